"""The uninterrupted reference sweep, computed once for the sweep tests."""

from __future__ import annotations

import pytest

from experiments import sweep as SW

from ._helpers import FAMS, GAMMAS, N, STEPS


@pytest.fixture(scope="package")
def base(tmp_path_factory):
    """The uninterrupted reference run, in this process: ``(out, SweepResult)``."""
    out = tmp_path_factory.mktemp("sweep") / "base"
    res = SW.run_sweep(N, FAMS, GAMMAS, 0, out, workers=1, update_steps=STEPS, progress=False)
    return out, res

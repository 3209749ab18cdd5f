"""Figure 19 (seed notes 001, penalty or constraint): its helpers and byte-identical output. The claim is
asserted by the smoke test."""

import numpy as np

from experiments import _common
from experiments import fig19_penalty_vs_constraint as F19


def test_fig19_binding_steps_and_iterations_to_the_optimum():
    d = F19.DELTA
    beta = np.ones(5)
    assert F19._binding(np.array([d, d, d * (1 + 1e-12), 0.3 * d, 0.0]), beta) == 3
    assert F19._binding(np.full(4, d), np.ones(4)) == 4
    # a multiplier at round-off (< BETA_ROUNDOFF of the largest) ends the learning steps
    assert F19._binding(np.full(4, d), np.array([2.0, 1.0, 1e-15, 1e-16])) == 2
    assert F19._iterations_to(np.array([0.0, 0.5, 0.9995, 1.0]), 1.0) == (2, True)
    assert F19._iterations_to(np.array([0.0, 0.5]), 1.0) == (None, True)
    # a progress within round-off of 0.999 makes the count approximate
    assert F19._iterations_to(np.array([0.0, 0.999 + 1e-13, 1.0]), 1.0) == (1, False)
    assert F19._fmt([(2, True), (None, True), (1, False)]) == "2/–/≈1"


def test_fig19_output_is_byte_identical(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    _common.run_experiment(F19, a, quick=True, seed=2)
    _common.run_experiment(F19, b, quick=True, seed=2)
    for ext in ("png", "pdf", "csv"):
        assert (a / f"{F19.NAME}.{ext}").read_bytes() == (b / f"{F19.NAME}.{ext}").read_bytes(), ext

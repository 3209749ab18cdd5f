"""Tests of experiments/export_certificates.py: saved sweep violations (written here in the sweep's
file format) become certificates that verify exactly; non-bound reasons are skipped."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bounds.counterexamples import known_counterexamples
from experiments.export_certificates import claim_of_reason, export_sweep
from tabular import io as tio


def test_saved_sweep_violations_export_as_proven_certificates(tmp_path):
    vdir = tmp_path / "sweep" / "violations"
    vdir.mkdir(parents=True)
    reasons = {"mean_kl": ["candidate:mean_kl_rho", "candidate:mean_kl_d"],
               "mean_tv_quadratic": ["candidate:mean_tv_squared", "non_monotone:trust_region"]}
    for i, c in enumerate(c for c in known_counterexamples() if c.name in reasons):
        tio.save(c.mdp, vdir / f"{i}.npz")
        with open(vdir / f"{i}.policies.npz", "wb") as f:
            np.savez_compressed(f, pi=c.pi, pi_new=c.pi_new)
        (vdir / f"{i}.json").write_text(json.dumps({"id": i, "reasons": reasons[c.name], "seed": 0}))
    out = export_sweep(tmp_path / "sweep", tmp_path / "certs")
    assert sorted(e.claim for e in out) == ["mean_kl", "mean_kl_d", "mean_tv_squared"]
    assert all(e.verification.proven and e.path.exists() for e in out)


def test_reasons_and_bad_folder():
    assert claim_of_reason("candidate:mean_kl_rho") == "mean_kl"
    assert claim_of_reason("bound:theorem1") == "theorem1"
    assert claim_of_reason("error") is None and claim_of_reason("non_monotone:mm") is None
    with pytest.raises(ValueError, match="sweep_dir"):
        export_sweep("/nonexistent/sweep", "/tmp/x")

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


def _one_saved(vdir):
    c = known_counterexamples()[0]
    tio.save(c.mdp, vdir / "0.npz")
    with open(vdir / "0.policies.npz", "wb") as f:
        np.savez_compressed(f, pi=c.pi, pi_new=c.pi_new)
    (vdir / "0.json").write_text(json.dumps({"id": 0, "reasons": ["candidate:mean_kl_rho"], "seed": 0}))


@pytest.mark.parametrize("damage, named", [
    (lambda v: (v / "0.json").write_text('{"id": 0, "reasons": '), "0.json is damaged"),
    (lambda v: (v / "0.json").write_text('[1]'), "0.json is damaged"),
    (lambda v: (v / "0.json").write_text('{"reasons": "candidate:mean_kl_rho"}'), "0.json is damaged"),
    (lambda v: (v / "0.npz").write_bytes(b"garbage"), "0.npz"),
    (lambda v: (v / "0.policies.npz").unlink(), "0.policies.npz"),
    (lambda v: (v / "0.policies.npz").write_bytes(b"PK\x03\x04"), "0.policies.npz"),
])
def test_damaged_saved_files_are_named(tmp_path, damage, named):
    vdir = tmp_path / "sweep" / "violations"
    vdir.mkdir(parents=True)
    _one_saved(vdir)
    damage(vdir)
    with pytest.raises(ValueError, match="sweep_dir") as exc:
        export_sweep(tmp_path / "sweep", tmp_path / "certs")
    assert named in str(exc.value)


def test_the_command_line_names_bad_arguments(tmp_path, capsys):
    from experiments.export_certificates import main

    vdir = tmp_path / "sweep" / "violations"
    vdir.mkdir(parents=True)
    _one_saved(vdir)
    for argv, named in ((["/nonexistent/sweep", str(tmp_path / "c")], "sweep_dir"),
                        ([str(tmp_path / "sweep"), "/dev/null/c"], "out_dir"), ([], "required")):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        err = capsys.readouterr().err
        assert exc.value.code == 2 and named in err.strip().splitlines()[-1] and "Traceback" not in err
    assert main([str(tmp_path / "sweep"), str(tmp_path / "c")]) == 0
    assert "violated by at least" in capsys.readouterr().out

"""Tests of experiments/tightness.py and experiments/fig20_tightness.py: the job resumes where it
stopped (state per cell, restarts never repeated, the recorded best is the recorded instance's ratio),
and the command writes certificates that verify, a summary, the table and figure 20."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bounds.counterexamples.tightness import (TightnessRestart, bound_named, tightness_ratio, verify_tightness)
from experiments import tightness as job
from experiments.__main__ import main as experiments_main


def test_a_cell_resumes_where_it_stopped(tmp_path):
    (tmp_path / "state").mkdir()
    (tmp_path / "certificates").mkdir()
    b = bound_named("theorem1")
    st1 = job.run_cell(tmp_path, b, "lower", 1, 1e-6, seed=0, maxfev=30)
    assert st1["restarts"] >= 1 and st1["certificate"]["verified"]
    again = job.run_cell(tmp_path, b, "lower", 1, 1e-6, seed=0, maxfev=30)  # budget spent: nothing new
    assert again["restarts"] == st1["restarts"] and again["best"] == st1["best"]
    more = job.run_cell(tmp_path, b, "lower", 1, st1["cpu_seconds"] + 0.3, seed=0, maxfev=30)
    assert more["restarts"] > st1["restarts"]
    assert more["evaluations"] > st1["evaluations"] and more["cpu_seconds"] >= st1["cpu_seconds"]
    assert more["best"]["ratio"] >= st1["best"]["ratio"]
    saved = json.loads((tmp_path / "state" / "theorem1__lower__band1.json").read_text())
    assert saved == more
    best = TightnessRestart.from_dict(saved["best"])  # the recorded ratio is the recorded instance's
    assert tightness_ratio(b, best.mdp, best.pi, best.pi_new) == pytest.approx(best.ratio, rel=1e-9)
    assert 0.1 <= best.mdp.gamma <= 0.5
    v = verify_tightness(tmp_path / saved["certificate"]["path"])
    assert v.proven and float(v.c) == pytest.approx(saved["certificate"]["c_float"])


def test_the_command_writes_verified_certificates_a_table_and_figure_20(tmp_path):
    out, figs = tmp_path / "t", tmp_path / "figs"
    argv = ["tightness", "--out", str(out), "--budget", "0.05", "--bounds", "span", "--maxfev", "20",
            "--figure-dir", str(figs), "--sweep-report", str(tmp_path / "absent.json")]
    assert experiments_main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert [(r["bound"], r["side"]) for r in summary["rows"]] == [("span", "lower"), ("span", "upper")]
    certs = sorted((out / "certificates").glob("*.json"))
    assert certs and all(verify_tightness(p).proven for p in certs)
    for r in summary["rows"]:
        cs = [x["c_float"] for x in r["bands"] if x["c_float"] is not None]
        assert r["c_max_float"] == max(cs) and all(0 < c <= 1 for c in cs)
    assert "| span | lower | 1 |" in (out / "table.md").read_text()
    for ext in ("png", "pdf", "csv"):
        assert (figs / f"fig20_tightness.{ext}").stat().st_size > 0
    restarts = summary["restarts_total"]
    assert experiments_main(argv) == 0  # resumed: the budget is spent, no new restart
    assert json.loads((out / "summary.json").read_text())["restarts_total"] == restarts


def test_unknown_bounds_are_an_argparse_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        job.main(["--out", str(tmp_path), "--bounds", "mean_kl"])
    assert exc.value.code == 2 and "mean_kl" in capsys.readouterr().err


def test_sweep_medians_reads_the_committed_report():
    med = job.sweep_medians("figures/sweep_1m/report.json")
    assert med["theorem1"] == pytest.approx(2376.0876, rel=1e-6)
    assert job.sweep_medians("no/such/report.json") == {}
    assert np.isfinite(med["span"])

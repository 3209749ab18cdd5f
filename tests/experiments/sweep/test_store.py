"""Tests of experiments/sweep/store.py: a resumed sweep (stopped between chunks or killed mid-write)
writes exactly the files of an uninterrupted one."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from experiments import sweep as SW

from ._helpers import FAMS, GAMMAS, N, STEPS, files


def test_resume_gives_the_uninterrupted_report(base, tmp_path):
    out0, res0 = base
    ref = files(out0)
    # interrupted after 20 instances, then rerun with n = 40
    a = tmp_path / "a"
    SW.run_sweep(20, FAMS, GAMMAS, 0, a, workers=1, update_steps=STEPS, progress=False, figure=False)
    res = SW.run_sweep(N, FAMS, GAMMAS, 0, a, workers=1, update_steps=STEPS, progress=False, figure=False)
    assert res.n_computed == N - 20
    assert res.report == res0.report
    assert files(a, figure=False) == files(out0, figure=False)
    # killed mid-write: the CSV ends in half a row
    b = tmp_path / "b"
    b.mkdir()
    shutil.copy(out0 / SW.CONFIG_NAME, b / SW.CONFIG_NAME)
    lines = (out0 / "results.csv").read_text().splitlines(keepends=True)
    (b / "results.csv").write_text("".join(lines[:26]) + lines[26][: len(lines[26]) // 2])
    res = SW.run_sweep(N, FAMS, GAMMAS, 0, b, workers=1, update_steps=STEPS, progress=False)
    assert res.n_computed == N - 25
    assert files(b) == ref  # CSV, report and figure byte-identical
    # nothing left to do
    again = SW.run_sweep(N, FAMS, GAMMAS, 0, b, workers=1, update_steps=STEPS, progress=False, figure=False)
    assert again.n_computed == 0 and again.report == res0.report


def test_rows_round_trip_and_a_partial_line_is_repaired(tmp_path):
    from experiments.sweep.store import append_rows, read_rows

    cols = ("id", "family", "x", "ok")
    path = tmp_path / "r.csv"
    seen = []
    rows = [[{"id": 0, "family": "chain", "x": 0.1, "ok": True}], [{"id": 1, "family": "a,b", "x": 1e-300, "ok": False}]]
    append_rows(path, cols, iter(rows), seen.append)
    assert seen == rows
    text = path.read_text()
    assert text.splitlines() == ["id,family,x,ok", "0,chain,0.1,1", '1,"a,b",1e-300,0']
    path.write_text(text + "2,chain,0.")  # killed mid-write
    got = read_rows(path, cols)
    assert sorted(got) == [0, 1] and path.read_text() == text  # the partial row is cut off the file
    with pytest.raises(ValueError, match="--out"):
        read_rows(path, ("id", "other"))


def test_load_results_types_the_columns(base):
    out, _ = base
    t = SW.load_results(out, n=10)
    assert t["id"].tolist() == list(range(10))
    assert t["theorem1_holds"].dtype == bool and t["S"].dtype == np.int64 and t["gap"].dtype == np.float64
    assert set(t["family"]) <= set(FAMS)

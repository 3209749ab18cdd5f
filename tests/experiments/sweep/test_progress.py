"""Tests of experiments/sweep/progress.py: a heartbeat line on stderr when it is not a terminal, a tqdm
bar when it is, the failures so far counted as the report counts them, and results unaffected."""

from __future__ import annotations

import io

import pytest

from experiments import sweep as SW
from experiments.sweep.progress import Bar, Heartbeat, Silent, progress_display
from experiments.sweep.report import row_failures

from ._helpers import FAMS, GAMMAS, N, STEPS, files


OK_ROW = SW.run_chunk(SW.SweepConfig(seed=0, families=("chain",), gammas=(0.5,), update_steps=0), [0])[0]
BAD_ROW = {"id": 1, "error": "ValueError: boom"}


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_heartbeat_prints_every_interval_and_at_the_end():
    clock, stream = Clock(), io.StringIO()
    hb = Heartbeat(100, every=10.0, stream=stream, clock=clock)
    ok, bad = OK_ROW, BAD_ROW
    clock.t = 4.0
    hb.update([ok] * 10)           # 4 s since the start: too early
    assert stream.getvalue() == ""
    clock.t = 10.0
    hb.update([ok] * 30 + [bad])   # 10 s: a line
    clock.t = 15.0
    hb.update([ok] * 9)            # 5 s since the last line: silent
    clock.t = 20.0
    hb.close()
    lines = stream.getvalue().splitlines()
    assert lines == [
        "sweep: 41/100 instances (41.0%), 4.1/s, 1 violations so far, 10 s elapsed, ETA 14 s",
        "sweep: 50/100 instances (50.0%), 2.5/s, 1 violations so far, 20 s elapsed, ETA 20 s",
    ]


def test_the_display_follows_the_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert isinstance(progress_display(5, None, stream=io.StringIO()), Heartbeat)
    bar = progress_display(5, None, stream=Tty())
    assert isinstance(bar, Bar)
    bar.update([OK_ROW] * 4 + [BAD_ROW])
    assert bar.failures == 1
    bar.close()
    assert isinstance(progress_display(5, True, stream=io.StringIO()), Bar)
    assert isinstance(progress_display(5, False, stream=Tty()), Silent)


def test_row_failures_count_what_the_report_counts(base):
    out, res = base
    cfg = SW.SweepConfig(**res.report["config"])
    rows = SW.run_chunk(cfg, range(4))
    assert [row_failures(r) for r in rows] == [0, 0, 0, 0]
    rows[1]["theorem1_holds"] = False
    rows[2]["cpi_nonmono"] = 2
    rows[2]["trust_region_nonmono"] = 5  # not a theorem
    rows[3] = {"id": 3, "error": "RuntimeError: x"}
    assert [row_failures(r) for r in rows] == [0, 1, 2, 1]


def test_a_sweep_off_a_terminal_prints_heartbeats_and_the_same_files(base, tmp_path, capsys):
    out0, _ = base
    out = tmp_path / "hb"
    res = SW.run_sweep(N, FAMS, GAMMAS, 0, out, workers=1, chunk=10, update_steps=STEPS, heartbeat=0, figure=False)
    err = capsys.readouterr().err.splitlines()
    assert err == [l for l in err if l.startswith("sweep: ")] and len(err) == 4
    assert err[0].startswith("sweep: 10/40 instances (25.0%)") and err[-1].startswith("sweep: 40/40 instances")
    assert all("0 violations so far" in line for line in err)
    assert res.n_computed == N and files(out, figure=False) == files(out0, figure=False)


def test_bad_arguments_name_themselves():
    from experiments.sweep.progress import progress_display

    with pytest.raises(ValueError, match="total"):
        progress_display(-1)
    with pytest.raises(ValueError, match="heartbeat"):
        progress_display(3, None, float("nan"))
    with pytest.raises(TypeError, match="progress"):
        progress_display(3, "no")

"""Tests of experiments/benchmark.py's report: a missed goal is flagged at full size, and in --quick mode
the goals (set for the full sizes) are said not to apply instead."""

from __future__ import annotations

import math

import pytest

from experiments import benchmark as B

ROWS = [
    dict(name="evaluate dense S=500", ours=0.2, base=0.1, baseline="np.linalg.solve", ratio=2.0, goal="< 1.5x",
         ok=False),
    dict(name="evaluate dense S=500 bis", ours=0.1, base=0.1, baseline="np.linalg.solve", ratio=1.0, goal="< 1.5x",
         ok=True),
    dict(name="check_all", ours=0.001, base=math.nan, baseline="-", ratio=math.nan, goal="1,000 instances/s",
         ok=None),
]


def test_full_size_flags_missed_goals():
    text = B.format_table(ROWS, ["a note"], 2**20, quick=False)
    lines = text.splitlines()
    assert lines[1].endswith("<-- MISSED") and not lines[2].endswith("MISSED")
    assert "n/a" not in text and "a note" in text and "1 MiB" in text


def test_quick_mode_says_the_goals_do_not_apply():
    text = B.format_table(ROWS, [], 0, quick=True)
    assert "MISSED" not in text
    lines = text.splitlines()
    assert "goals are set for the full sizes" in lines[0]
    assert lines[2].endswith(B.NOT_APPLICABLE) and lines[3].endswith(B.NOT_APPLICABLE)
    assert not lines[4].endswith(B.NOT_APPLICABLE)  # a row without a goal


@pytest.mark.parametrize("quick", [True, False])
def test_main_prints_the_table(monkeypatch, capsys, quick):
    seen = {}

    def fake(q):
        seen["quick"] = q
        return ROWS, [], 0

    monkeypatch.setattr(B, "run_benchmarks", fake)
    assert B.main(["--quick"] if quick else []) == 0
    out = capsys.readouterr().out
    assert seen["quick"] is quick
    assert ("n/a (quick)" in out) is quick and ("MISSED" in out) is not quick


def test_quick_sweep_note_is_not_a_miss(monkeypatch):
    class R:
        passed, seconds, text = True, 1.0, ""

    monkeypatch.setattr("experiments.sweep.run_sweep", lambda *a, **k: R())
    _, notes = B.bench_sweep(4, quick=True)
    assert B.NOT_APPLICABLE in notes[0] and "MISSED" not in notes[0]

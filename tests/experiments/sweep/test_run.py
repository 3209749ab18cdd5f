"""Tests of experiments/sweep/run.py: bad arguments, a resume with other settings, a missing optional
dependency."""

from __future__ import annotations

import pytest

from experiments import sweep as SW


def test_bad_input_and_mismatched_resume(tmp_path, monkeypatch, capsys):
    with pytest.raises(ValueError, match="families"):
        SW.run_sweep(2, ("nope",), (0.5,), 0, tmp_path / "a", workers=1)
    with pytest.raises(ValueError, match="gammas"):
        SW.run_sweep(2, ("chain",), (1.0,), 0, tmp_path / "b", workers=1)
    with pytest.raises(ValueError, match="n must"):
        SW.run_sweep(-1, ("chain",), (0.5,), 0, tmp_path / "c", workers=1)
    SW.run_sweep(2, ("chain",), (0.5,), 0, tmp_path / "d", workers=1, update_steps=0, figure=False, progress=False)
    with pytest.raises(ValueError, match="other settings"):
        SW.run_sweep(2, ("chain",), (0.5,), 1, tmp_path / "d", workers=1, update_steps=0)
    with pytest.raises(ValueError, match="instance_id"):
        SW.replay(tmp_path / "d", 0)
    monkeypatch.setattr("experiments.sweep.config.has_gymnasium", lambda: False)
    res = SW.run_sweep(2, ("chain", "frozenlake"), (0.5,), 0, tmp_path / "e", workers=1, update_steps=0,
                       figure=False, progress=False)
    assert res.report["config"]["families"] == ["chain"]
    assert "gymnasium is not installed" in capsys.readouterr().err

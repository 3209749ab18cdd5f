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


@pytest.mark.parametrize("kwargs, name", [
    (dict(n=-1), "n"), (dict(n=2.0), "n"), (dict(workers=0), "workers"), (dict(workers=True), "workers"),
    (dict(chunk=0), "chunk"), (dict(heartbeat=-1.0), "heartbeat"), (dict(seed=-3), "seed"),
    (dict(families=("garnet", "nope")), "families"), (dict(gammas=(0.5, float("nan"))), "gammas"),
    (dict(update_steps=-1), "update_steps"),
])
def test_arguments_are_checked_before_anything_is_written(tmp_path, kwargs, name):
    args = dict(n=4, families=("chain",), gammas=(0.5,), seed=0) | kwargs
    out = tmp_path / "out"
    with pytest.raises((ValueError, TypeError), match=rf"^{name}\b"):
        SW.run_sweep(args.pop("n"), args.pop("families"), args.pop("gammas"), args.pop("seed"), out, progress=False,
                     **args)
    assert not out.exists()

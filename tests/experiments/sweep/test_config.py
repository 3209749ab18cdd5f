"""Tests of experiments/sweep/config.py: the round robin over families and discounts, instances as
functions of ``(seed, i)`` alone, and settings validated with errors that name the setting."""

from __future__ import annotations

import numpy as np
import pytest

from experiments import sweep as SW
from experiments.sweep import config as C


def test_instance_spec_is_a_round_robin():
    cfg = SW.SweepConfig(seed=0, families=("chain", "garnet"), gammas=(0.5, 0.9, 0.99))
    got = [SW.instance_spec(i, cfg) for i in range(8)]
    assert got == [("chain", 0.5), ("garnet", 0.5), ("chain", 0.9), ("garnet", 0.9),
                   ("chain", 0.99), ("garnet", 0.99), ("chain", 0.5), ("garnet", 0.5)]


@pytest.mark.parametrize("family", ["garnet", "frozenlake"])
def test_make_instance_depends_on_seed_and_id_only(family):
    a, b = SW.make_instance(7, 3, family, 0.9), SW.make_instance(7, 3, family, 0.9)
    assert np.array_equal(a.pi, b.pi) and np.array_equal(a.pi_new, b.pi_new)
    assert np.array_equal(a.mdp.dense_P(), b.mdp.dense_P())
    c = SW.make_instance(7, 4, family, 0.9)
    assert not np.array_equal(a.pi, c.pi)
    assert a.meta["family"] == family and a.mdp.gamma == 0.9


@pytest.mark.parametrize("kwargs, name", [
    (dict(seed=-1), "seed"),
    (dict(families=()), "families"),
    (dict(families=("chain", "chain")), "families"),
    (dict(families=("nope",)), "families"),
    (dict(gammas=()), "gammas"),
    (dict(gammas=(0.5, -0.1)), "gammas"),
    (dict(update_steps=-1), "update_steps"),
    (dict(tr_delta=0.0), "tr_delta"),
])
def test_config_errors_name_the_setting(kwargs, name):
    settings = dict(seed=0, families=("chain",), gammas=(0.5,)) | kwargs
    with pytest.raises((ValueError, TypeError), match=name):
        SW.SweepConfig(**settings)


def test_config_round_trips_through_json():
    cfg = SW.SweepConfig(seed=3, families=("chain", "mdp_x"), gammas=(0.0, 0.99), candidates=True, update_steps=2)
    assert SW.SweepConfig(**cfg.to_json()) == cfg


def test_frozenlake_alone_without_gymnasium_is_an_error(monkeypatch):
    monkeypatch.setattr(C, "has_gymnasium", lambda: False)
    with pytest.raises(ValueError, match="families"):
        C.resolve_families(("frozenlake",))

"""Tests of ``tabular/instances.py``: the base families are unchanged (a sweep rebuilds instance i
from (seed, i)), and the edge families really have unreachable states and one-hot old policies."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from tabular import evaluate, evaluate_many, kl, max_tv, mean_kl, reachable_states, surrogate, tv
from tabular.instances import (
    ALL_FAMILIES,
    EDGE_FAMILIES,
    FAMILIES,
    policy_avoiding,
    sample_instance,
    sample_step,
    unreachable_mdp,
)


def test_the_family_tuples():
    assert FAMILIES == ("garnet", "sparse_garnet", "gridworld", "chain", "mdp_x", "two_state")  # unchanged
    assert EDGE_FAMILIES == ("unreachable", "deterministic")
    assert ALL_FAMILIES == FAMILIES + EDGE_FAMILIES


def test_default_draws_only_the_base_families():
    fams = {sample_instance(np.random.default_rng([0, i])).meta["family"] for i in range(300)}
    assert fams == set(FAMILIES)


FINGERPRINT = "a656e9722c785427"  # computed with the code of commit 88c3bd8


def test_base_families_are_drawn_as_before():
    """A fingerprint of 60 instances (family, sizes, step, gamma to 9 digits, and the first numbers of
    P and pi, to 9 digits) recorded before the edge families were added: the sweep's instance i depends
    only on (seed, i), and must stay so."""
    h = hashlib.sha256()
    for i in range(60):
        inst = sample_instance(np.random.default_rng([2024, i]))
        m = inst.meta
        h.update(f"{m['family']} {m['S']} {m['A']} {m['step']} {m['gamma']:.9f} "
                 f"{inst.mdp.dense_P().ravel()[:5].round(9).tolist()} {inst.pi.ravel()[:5].round(9).tolist()}"
                 .encode())
    assert h.hexdigest()[:16] == FINGERPRINT


@pytest.mark.parametrize("i", range(60))
def test_unreachable_family_has_exactly_zero_visitation_there(i):
    inst = sample_instance(np.random.default_rng([11, i]), family="unreachable")
    mdp, pi, pi_new = inst.mdp, inst.pi, inst.pi_new
    reach = reachable_states(mdp, pi)
    assert (~reach).sum() >= inst.meta["n_unreachable"] >= 1
    ev = evaluate(mdp, pi)
    assert np.all(ev.rho[~reach] == 0.0) and np.all(ev.d[~reach] == 0.0) and np.all(ev.rho >= 0)
    batch = evaluate_many(mdp, np.stack([pi, pi_new]))
    assert np.all(batch.rho[0][~reach] == 0.0) and np.all(batch.rho >= 0)
    # the quantities of the theory are well defined on it
    assert np.isfinite(surrogate(mdp, pi, pi_new, ev=ev))
    assert not np.isnan(mean_kl(pi, pi_new, ev.rho)) and 0.0 <= max_tv(pi, pi_new) <= 1.0 + 1e-12
    assert not np.any(np.isnan(kl(pi, pi_new))) and not np.any(np.isnan(tv(pi, pi_new)))


@pytest.mark.parametrize("i", range(60))
def test_deterministic_family_has_one_hot_old_policies(i):
    inst = sample_instance(np.random.default_rng([12, i]), family="deterministic")
    pi = inst.pi
    assert np.all((pi == 0.0) | (pi == 1.0)) and np.all(pi.sum(axis=1) == 1.0)
    assert inst.meta["base_family"] in FAMILIES
    ev = evaluate(inst.mdp, pi)
    assert np.all(ev.rho >= 0) and np.all(ev.rho[~reachable_states(inst.mdp, pi)] == 0.0)
    assert np.isfinite(surrogate(inst.mdp, pi, inst.pi_new, ev=ev))
    assert not np.isnan(mean_kl(pi, inst.pi_new, ev.rho))


def test_edge_instances_are_reproducible():
    for fam in EDGE_FAMILIES:
        a = sample_instance(np.random.default_rng([5, 1]), family=fam)
        b = sample_instance(np.random.default_rng([5, 1]), family=fam)
        np.testing.assert_array_equal(a.mdp.dense_P(), b.mdp.dense_P())
        np.testing.assert_array_equal(a.pi, b.pi)
        np.testing.assert_array_equal(a.pi_new, b.pi_new)


@pytest.mark.parametrize("closed", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_unreachable_mdp_and_policy_avoiding(closed, sparse):
    for seed in range(20):
        mdp, safe = unreachable_mdp(6, 3, np.random.default_rng(seed), gamma=0.9, closed=closed, sparse=sparse)
        assert mdp.is_sparse == sparse
        unreach = ~safe.any(axis=1)
        assert 1 <= unreach.sum() <= 5 and np.all(mdp.rho0[unreach] == 0)
        for kind in ("deterministic", "dirichlet"):
            pi = policy_avoiding(safe, np.random.default_rng(seed), kind=kind)
            assert np.all(pi[~unreach][~safe[~unreach]] == 0.0)
            reach = reachable_states(mdp, pi)
            assert not np.any(reach & unreach)
            assert np.all(evaluate(mdp, pi).rho[unreach] == 0.0)
        if closed:  # no action leads into the unreachable set: every policy avoids it
            assert np.all(evaluate(mdp, np.full((6, 3), 1 / 3)).rho[unreach] == 0.0)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"^family must be one of .*'unreachable', 'deterministic'"):
        sample_instance(0, family="garnett")
    with pytest.raises(ValueError, match="^gamma must lie in"):
        sample_instance(0, gamma=1.0)
    with pytest.raises(ValueError, match="^n_states must be >= 2"):
        unreachable_mdp(1, 2)
    with pytest.raises(TypeError, match="^n_states must be an integer"):
        unreachable_mdp(4.0, 2)
    with pytest.raises(TypeError, match="^sparse must be True or False"):
        unreachable_mdp(4, 2, sparse="yes")
    with pytest.raises(ValueError, match="^safe must be"):
        policy_avoiding(np.ones((2, 2)))
    with pytest.raises(ValueError, match="^kind must be"):
        policy_avoiding(np.ones((2, 2), dtype=bool), kind="uniform")
    inst = sample_instance(0)
    with pytest.raises(TypeError, match="^mdp must be a tabular.MDP"):
        sample_step(inst.pi, inst.pi, 0)


def test_instance_repr_is_short():
    inst = sample_instance(np.random.default_rng(3), family="unreachable")
    text = repr(inst)
    assert text.startswith("Instance(family='unreachable'") and len(text) < 200

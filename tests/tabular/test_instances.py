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


def _structure(inst) -> str:
    """The discrete part of an instance: family, sizes, step kind, storage, and the zero patterns of P,
    pi and pi_new (exact: nothing here can move with the last bit of a float)."""
    m = inst.meta
    bits = [np.packbits(x.ravel() > 0).tobytes().hex() for x in (inst.mdp.dense_P(), inst.pi, inst.pi_new)]
    return f"{m['family']} {m['S']} {m['A']} {m['step']} {inst.mdp.is_sparse} {' '.join(bits)}"


def _checksum(inst) -> float:
    """Every number of an instance (gamma, the meta numbers, P, R, rho0, pi, pi_new), in absolute value, in
    one weighted sum with weights sqrt(1), sqrt(2), ... (no cancellation): a change of 1e-5 in any entry
    moves it by more than 1e-10 of itself (it stays below 2e4 here), while round-off of the draws (1e-16
    per entry) and of the sum (n eps < 1e-12 relative) cannot."""
    m = inst.meta
    x = np.concatenate([[m["gamma"], m.get("alpha", 0.0), m.get("noise", 0.0)], inst.mdp.dense_P().ravel(),
                        inst.mdp.R.ravel(), inst.mdp.rho0, inst.pi.ravel(), inst.pi_new.ravel()])
    return float(np.sqrt(np.arange(1.0, x.size + 1.0)) @ np.abs(x))


#: Recorded with the tie rule of tabular.policies (commit after 58dfa7e); instance i depends only on
#: (seed, i) on every CPU: the discrete structure exactly, the numbers to 1e-10 relative.
STRUCTURE_SHA = "021a1f3def8759fa"
CHECKSUMS = [
    2563.19608972304, 530.779831030993, 946.014080234554, 86.7292722020094, 899.875250728252,
    400.877512037436, 1682.64638966319, 73.8973068203801, 185.327446648361, 435.146879947191,
    908.805597073033, 1006.22527169516, 1571.59557552952, 983.489837441156, 371.986921605529,
    8009.32190429663, 11420.2661762424, 86.1183930959359, 287.912279632651, 86.5931276569401,
    404.853771043836, 109.230177070046, 1232.96035024439, 72.9109448432491, 73.7972287101609,
    2732.19665467988, 1257.82840513975, 6809.18102194632, 405.585787193939, 9191.13064739661,
    241.778275420373, 1024.22328915109, 855.308847716214, 523.188930063931, 1677.06821016063,
    269.511217276979, 85.7803110395392, 3839.14468062492, 857.997227451565, 655.721919869816,
    160.849858828638, 724.848571931239, 277.531995492669, 95.6566821540885, 193.876150498124,
    189.324230570068, 148.947102391533, 181.455371580967, 2562.96138289097, 12442.0277587074,
    116.237897748647, 176.559393059628, 95.5623592961812, 1490.90617327286, 407.374317478538,
    86.1617129064937, 504.093336836613, 522.642312236, 74.0773096862752, 711.72012999148,
]


def _draws(n: int = 60, seed: int = 2024):
    return [sample_instance(np.random.default_rng([seed, i])) for i in range(n)]


def test_base_families_are_drawn_as_before():
    """60 instances: the sha256 of their discrete structure, and one checksum of all their numbers each
    (compared to 1e-10 relative, never to the last bit): the sweep's instance i depends only on
    (seed, i), on any CPU, and must stay so."""
    draws = _draws()
    h = hashlib.sha256("\n".join(map(_structure, draws)).encode()).hexdigest()[:16]
    assert h == STRUCTURE_SHA
    np.testing.assert_allclose([_checksum(d) for d in draws], CHECKSUMS, rtol=1e-10, atol=0)


def _same_draws(a, b) -> bool:
    return all(x.meta == y.meta and np.array_equal(x.mdp.dense_P(), y.mdp.dense_P())
               and np.array_equal(x.pi, y.pi) and np.array_equal(x.pi_new, y.pi_new) for x, y in zip(a, b))


def _round_off(monkeypatch, seed: int, exact_argmax: bool = False) -> None:
    """Simulate another CPU's LAPACK: every Q that instance drawing sees (the greedy step, policy
    iteration) is perturbed by 1e-13 of its value scale. ``exact_argmax`` switches the tie rule off."""
    import dataclasses

    import tabular.instances as instances
    import tabular.planning as planning
    from tabular.policies import greedy as rule_greedy

    rng = np.random.default_rng(seed)

    def noisy(mdp, pi, *args, **kwargs):
        ev = evaluate(mdp, pi, *args, **kwargs)
        return dataclasses.replace(ev, Q=ev.Q + rng.uniform(-1, 1, ev.Q.shape) * 1e-13 * np.abs(ev.Q).max())

    monkeypatch.setattr(instances, "evaluate", noisy)
    monkeypatch.setattr(planning, "evaluate", noisy)
    if exact_argmax:
        monkeypatch.setattr(instances, "greedy", lambda Q: rule_greedy(Q, rtol=0.0))
        monkeypatch.setattr(planning, "TIE_RTOL", 0.0)


def test_draws_do_not_move_with_round_off(monkeypatch):
    """Q perturbed by a few ulps (as on another CPU) leaves every draw bit-identical, base and edge
    families; with the exact argmax instead of the tie rule the same perturbation moves some draws (the
    test can fail)."""
    fams = [None] * 150 + [f for f in EDGE_FAMILIES for _ in range(20)]
    ref = [sample_instance(np.random.default_rng([7, i]), family=f) for i, f in enumerate(fams)]
    for seed in range(2):
        with monkeypatch.context() as m:
            _round_off(m, seed)
            assert _same_draws(ref, [sample_instance(np.random.default_rng([7, i]), family=f)
                                     for i, f in enumerate(fams)])
    with monkeypatch.context() as m:
        _round_off(m, 0, exact_argmax=True)
        assert not _same_draws(ref, [sample_instance(np.random.default_rng([7, i]), family=f)
                                     for i, f in enumerate(fams)])


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

"""Tests of tabular/mdp_batch.py: the stacked evaluation equals a loop of tabular.evaluate (dense and
densified sparse models, gamma = 0, unreachable states with rho exactly 0, extra right-hand sides),
and the batch refuses what it cannot hold."""

from __future__ import annotations

import numpy as np
import pytest

import tabular as T
from tabular.mdp_batch import MDPBatch, Segments, evaluate_batch
from tabular.instances import ALL_FAMILIES, sample_instance


def _instances(n, A=None, seed=7):
    out = []
    for child in np.random.SeedSequence(seed).spawn(n):
        fam = ALL_FAMILIES[len(out) % len(ALL_FAMILIES)]
        inst = sample_instance(child, family=fam, gamma=(0.0, 0.5, 0.9, 0.99)[len(out) % 4])
        if A is None or inst.mdp.n_actions == A:
            out.append(inst)
    return out


def test_segments_reduce_per_segment():
    s = Segments([2, 1, 3])
    x = np.array([1.0, 5.0, -2.0, 0.0, 4.0, 3.0])
    assert s.sum(x).tolist() == [6.0, -2.0, 7.0]
    assert s.max(x).tolist() == [5.0, -2.0, 4.0] and s.min(x).tolist() == [1.0, -2.0, 0.0]
    w = np.array([0.0, 1.0, 1.0, 0.0, 2.0, 1.0])
    v = np.array([np.inf, 1.0, 2.0, np.inf, 1.0, 1.0])
    assert s.weighted_sum(v, w).tolist() == [1.0, 2.0, 3.0]  # 0 * inf = 0
    sub, rows = s.subset(np.array([True, False, True]))
    assert sub.lengths.tolist() == [2, 3] and rows.tolist() == [1, 1, 0, 1, 1, 1]
    with pytest.raises(ValueError, match="positive"):
        Segments([2, 0])


@pytest.mark.parametrize("A", [2, 3, 4])
def test_evaluate_batch_equals_a_loop_of_evaluate(A):
    insts = sorted(_instances(300, A), key=lambda x: x.mdp.n_states)
    assert any(x.mdp.gamma == 0.0 for x in insts)
    assert A == 4 or any(x.mdp.is_sparse for x in insts)  # densified sparse models
    b = MDPBatch.from_mdps([x.mdp for x in insts])
    for pol in ("pi", "pi_new"):
        pis = [getattr(x, pol) for x in insts]
        ev = evaluate_batch(b, b.policy_rows(pis))
        for k, (x, p) in enumerate(zip(insts, pis)):
            ref = T.evaluate(x.mdp, p)
            scale = max(1.0, float(np.abs(x.mdp.R).max()) / (1.0 - x.mdp.gamma))
            sl = slice(b.segments.start[k], b.segments.start[k + 1])
            np.testing.assert_allclose(ev.V[sl], ref.V, rtol=0, atol=1e-12 * scale)
            np.testing.assert_allclose(ev.Q[sl], ref.Q, rtol=0, atol=1e-12 * scale)
            np.testing.assert_allclose(ev.A[sl], ref.A, rtol=0, atol=1e-12 * scale)
            assert ev.eta[k] == pytest.approx(ref.eta, abs=1e-12 * scale)
            np.testing.assert_allclose(ev.rho[sl], ref.rho, rtol=0, atol=1e-12 / (1.0 - x.mdp.gamma))
            assert np.all(ev.rho[sl] >= 0)
            np.testing.assert_array_equal(ev.d[sl], (1.0 - x.mdp.gamma) * ev.rho[sl])


def test_unreachable_states_get_exactly_zero_visitation():
    insts = [x for x in _instances(200, seed=3) if x.meta["family"] == "unreachable"]
    assert insts
    for A in {x.mdp.n_actions for x in insts}:
        xs = [x for x in insts if x.mdp.n_actions == A]
        b = MDPBatch.from_mdps([x.mdp for x in xs])
        ev = evaluate_batch(b, b.policy_rows([x.pi for x in xs]))
        for k, x in enumerate(xs):
            sl = slice(b.segments.start[k], b.segments.start[k + 1])
            reach = T.evaluation.reachable_states(x.mdp, x.pi)
            assert not reach.all()
            np.testing.assert_array_equal(ev.rho[sl] > 0, reach)


def test_extra_right_hand_sides_solve_the_bellman_system():
    m = T.garnet(6, 3, 2, rng=1, gamma=0.9)
    pi = T.random_policy(m, rng=2)
    b = MDPBatch.from_mdps([m, m.with_gamma(0.5)])
    rhs = np.arange(12.0)
    ev = evaluate_batch(b, b.policy_rows([pi, pi]), extra=rhs)
    for k, g in enumerate((0.9, 0.5)):
        P_pi = np.einsum("sa,sat->st", pi, m.P)
        w = np.linalg.solve(np.eye(6) - g * P_pi, rhs[6 * k:6 * k + 6])
        np.testing.assert_allclose(ev.W[6 * k:6 * k + 6, 0], w, rtol=1e-12)


def test_the_batch_refuses_mixed_actions_large_models_and_bad_policies():
    with pytest.raises(ValueError, match="actions"):
        MDPBatch.from_mdps([T.garnet(3, 2, 1, rng=0), T.garnet(3, 3, 1, rng=0)])
    with pytest.raises(ValueError, match="at most"):
        MDPBatch.from_mdps([T.garnet(201, 2, 1, rng=0, sparse=True)])
    with pytest.raises(ValueError, match="empty"):
        MDPBatch.from_mdps([])
    with pytest.raises(TypeError, match="mdps"):
        MDPBatch.from_mdps([np.zeros((2, 2, 2))])
    b = MDPBatch.from_mdps([T.two_state(0.9)])
    with pytest.raises(ValueError, match="sums to"):
        evaluate_batch(b, np.full((2, 2), 0.4))
    assert "K=1" in repr(b)

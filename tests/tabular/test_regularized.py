"""Tests of ``tabular/regularized.py``: entropy-regularized evaluation and the regularized optimum.

Independent checks: the soft Bellman identity ``V_tau = sum_a pi (Q_tau - tau log pi)`` (a different
formula than the one solved), a direct numpy solve, Monte Carlo returns within a confidence interval,
the fixed point of the soft Bellman optimality operator, optimality against random policies, the
closed form at ``gamma = 0`` and ``A = 1``, and the ``tau -> 0`` limit.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from tabular import MDP, evaluate, garnet, optimal, random_policy, two_state, uniform
from tabular.regularized import (entropy, soft_bellman_residual, soft_evaluate, soft_greedy,
                                 soft_optimal)
from tabular.sampling import sample_trajectories
from tabular.strategies import mdp_and_policies, mdps


def _direct_soft_values(mdp, pi, tau):
    """Plain numpy: (I - gamma P_pi) V = r_pi + tau H_pi, Q = r + gamma P V."""
    P = mdp.dense_P()
    P_pi = np.einsum("sa,sat->st", pi, P)
    with np.errstate(divide="ignore", invalid="ignore"):
        H = -np.where(pi > 0, pi * np.log(pi), 0.0).sum(axis=1)
    V = np.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * P_pi, (pi * mdp.R).sum(axis=1) + tau * H)
    return V, mdp.R + mdp.gamma * np.einsum("sat,t->sa", P, V)


@settings(max_examples=40, deadline=None)
@given(mdp_and_policies(1, max_states=5, max_actions=3))
def test_soft_bellman_identity_and_direct_solve(case):
    mdp, (pi,) = case
    tau = 0.3
    ev = soft_evaluate(mdp, pi, tau)
    with np.errstate(divide="ignore", invalid="ignore"):
        logpi = np.where(pi > 0, np.log(pi), 0.0)
    scale = 1.0 + (1.0 + tau * np.log(mdp.n_actions)) / (1.0 - mdp.gamma)
    np.testing.assert_allclose(ev.V, (pi * (ev.Q - tau * logpi)).sum(axis=1), atol=1e-9 * scale)
    V, Q = _direct_soft_values(mdp, pi, tau)
    np.testing.assert_allclose(ev.V, V, atol=1e-8 * scale)
    np.testing.assert_allclose(ev.Q, Q, atol=1e-8 * scale)
    assert ev.eta == pytest.approx(float(mdp.rho0 @ V), abs=1e-8 * scale)


def test_tau_zero_is_the_unregularized_evaluation():
    mdp = garnet(6, 3, 2, rng=0, gamma=0.9)
    pi = random_policy(mdp, rng=1)
    ev0, ev = soft_evaluate(mdp, pi, 0.0), evaluate(mdp, pi)
    np.testing.assert_allclose(ev0.V, ev.V, atol=1e-12)
    np.testing.assert_allclose(ev0.Q, ev.Q, atol=1e-12)


def test_monte_carlo_soft_return():
    mdp = garnet(5, 3, 2, rng=3, gamma=0.8)
    pi = random_policy(mdp, rng=4)
    tau = 0.5
    traj = sample_trajectories(mdp, pi, 20_000, 80, rng=5)
    logpi = np.log(pi)[traj.states, traj.actions]
    G = (traj.rewards - tau * logpi) @ traj.discounts()
    ev = soft_evaluate(mdp, pi, tau)
    se = G.std(ddof=1) / np.sqrt(G.size)
    assert abs(G.mean() - ev.eta) < 4.5 * se + 0.8**80 * 10  # 4.5 sigma + truncation


@settings(max_examples=30, deadline=None)
@given(mdps(max_states=5, max_actions=3, gamma=0.9))
def test_soft_optimum_is_the_fixed_point_and_beats_random_policies(mdp):
    tau = 0.2
    opt = soft_optimal(mdp, tau)
    scale = (1.0 + tau * np.log(mdp.n_actions)) / (1.0 - mdp.gamma)
    assert soft_bellman_residual(mdp, opt.V, tau) <= 1e-10 * scale
    assert opt.error_bound <= 1e-9 * scale
    np.testing.assert_allclose(opt.pi, soft_greedy(opt.Q, tau), atol=1e-10)
    rng = np.random.default_rng(0)
    for _ in range(5):
        other = soft_evaluate(mdp, random_policy(mdp, rng=rng), tau)
        assert np.all(other.V <= opt.V + 1e-9 * scale)


def test_gamma_zero_closed_form():
    rng = np.random.default_rng(7)
    R = rng.uniform(0, 1, size=(4, 3))
    P = np.full((4, 3, 4), 0.25)
    mdp = MDP(P, R, np.full(4, 0.25), 0.0)
    tau = 0.3
    opt = soft_optimal(mdp, tau)
    np.testing.assert_allclose(opt.V, tau * np.log(np.exp(R / tau).sum(axis=1)), atol=1e-13)
    np.testing.assert_allclose(opt.pi, np.exp(R / tau) / np.exp(R / tau).sum(axis=1, keepdims=True),
                               atol=1e-13)


def test_single_action_has_no_entropy():
    mdp = garnet(5, 1, 2, rng=2, gamma=0.9)
    opt = soft_optimal(mdp, 1.0)
    np.testing.assert_allclose(opt.V, evaluate(mdp, uniform(mdp)).V, atol=1e-10)
    np.testing.assert_allclose(entropy(opt.pi), 0.0, atol=0)


@pytest.mark.parametrize("tau", [1.0, 1e-1, 1e-2, 1e-3, 1e-5])
def test_tau_to_zero_limit(tau):
    mdp = garnet(8, 3, 3, rng=11, gamma=0.9)
    V_star = optimal(mdp).V
    opt = soft_optimal(mdp, tau)
    width = tau * np.log(mdp.n_actions) / (1.0 - mdp.gamma)
    assert np.all(opt.V >= V_star - 1e-9)
    assert np.all(opt.V <= V_star + width + 1e-9)
    ev = soft_evaluate(mdp, opt.pi, 0.0)  # the soft-optimal policy is nearly optimal unregularized
    assert np.all(ev.V >= V_star - width - 1e-9)


def test_two_state_soft_optimum_matches_soft_policy_iteration_by_hand():
    mdp = two_state(0.9)
    tau = 0.5
    pi = uniform(mdp)
    for _ in range(200):  # soft policy iteration written out with the direct numpy solve
        _, Q = _direct_soft_values(mdp, pi, tau)
        pi = np.exp((Q - Q.max(axis=1, keepdims=True)) / tau)
        pi /= pi.sum(axis=1, keepdims=True)
    opt = soft_optimal(mdp, tau)
    np.testing.assert_allclose(opt.pi, pi, atol=1e-12)


def test_bad_input():
    mdp = two_state()
    with pytest.raises(ValueError, match="tau"):
        soft_evaluate(mdp, uniform(mdp), -1.0)
    with pytest.raises(TypeError, match="tau"):
        soft_evaluate(mdp, uniform(mdp), "x")
    with pytest.raises(ValueError, match="tau"):
        soft_optimal(mdp, 0.0)
    with pytest.raises(TypeError, match="mdp"):
        soft_optimal("mdp", 1.0)
    with pytest.raises(ValueError, match="pi"):
        soft_evaluate(mdp, np.ones((2, 2)), 1.0)
    with pytest.raises(ValueError, match="tau"):
        soft_greedy(np.zeros((2, 2)), float("nan"))
    assert "tau=1" in repr(soft_optimal(mdp, 1.0))

"""Tests of ``bounds/rates.py``: each rate theorem against an independent numpy implementation of
its update, as a Hypothesis property over random MDPs with rewards in [0, 1], and on the edge cases
gamma = 0, A = 1 and a deterministic optimum. The PMD statement of THEORY.md §8 is shown false at
gamma = 0 by a closed-form one-state example; the derived statement holds there."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings

from bounds.rates import (entropy_npg_rate, npg_rate, pg_rate, pmd_rate, rate_checks, stationary_of,
                          unit_rewards)
from tabular import MDP, garnet, optimal, two_state
from tabular.regularized import soft_optimal
from tabular.strategies import mdps


def _dense(mdp):
    return mdp.dense_P(), np.asarray(mdp.R)


def _values(P, R, pi, gamma):
    P_pi = np.einsum("sa,sat->st", pi, P)
    V = np.linalg.solve(np.eye(P.shape[0]) - gamma * P_pi, (pi * R).sum(axis=1))
    return V, R + gamma * P @ V


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def unit_mdps(**kw):
    return mdps(max_states=5, max_actions=3, **kw).map(unit_rewards)


# ------------------------------------------------------------------ NPG, [AKLM] Thm 16
def test_npg_gaps_match_a_direct_numpy_run():
    mdp = unit_rewards(garnet(6, 3, 2, rng=0, gamma=0.9))
    P, R = _dense(mdp)
    step, theta = 0.7, np.zeros((6, 3))
    V_star = mdp.rho0 @ optimal(mdp).V
    gaps = []
    for _ in range(15):
        V, Q = _values(P, R, _softmax(theta), mdp.gamma)
        theta = theta + step * (Q - V[:, None]) / (1 - mdp.gamma)
        gaps.append(V_star - mdp.rho0 @ _values(P, R, _softmax(theta), mdp.gamma)[0])
    res = npg_rate(mdp, step, 15)
    np.testing.assert_allclose(res["rate"].gap, gaps, atol=1e-10)
    T = np.arange(1, 16)
    np.testing.assert_allclose(res["rate"].bound, math.log(3) / (step * T) + 1 / (0.01 * T), rtol=1e-12)
    assert res.holds


@settings(max_examples=25, deadline=None)
@given(unit_mdps())
def test_npg_bound_property(mdp):
    for step in (0.01, 1.0, 100.0):
        assert npg_rate(mdp, step, 12).holds


# ------------------------------------------------------------------ PG, [MXSS] Thm 4, Lemma 8
def test_pg_gaps_match_a_direct_numpy_run():
    mdp = unit_rewards(garnet(5, 3, 2, rng=1, gamma=0.5))
    mu = np.full(5, 0.2)
    P, R = _dense(mdp)
    g = mdp.gamma
    theta, gaps = np.zeros((5, 3)), []
    V_star = mu @ optimal(mdp).V
    for _ in range(30):
        pi = _softmax(theta)
        V, Q = _values(P, R, pi, g)
        P_pi = np.einsum("sa,sat->st", pi, P)
        d = (1 - g) * np.linalg.solve(np.eye(5) - g * P_pi.T, mu)
        gaps.append(V_star - mu @ V)
        theta = theta + (1 - g) ** 3 / 8 * d[:, None] * pi * (Q - V[:, None]) / (1 - g)
    res = pg_rate(mdp, 30, mu=mu)
    np.testing.assert_allclose(res["rate"].gap, gaps, atol=1e-12)
    assert res.holds


@settings(max_examples=20, deadline=None)
@given(unit_mdps(gamma=None))
def test_pg_rate_and_lemma8_property(mdp):
    mu = 0.5 * np.asarray(mdp.rho0) + 0.5 / mdp.n_states
    res = pg_rate(mdp, 25, mu=mu)
    assert res["rate"].holds and res["lemma8"].holds
    assert pg_rate(mdp, 10, mu=mu, rho=mdp.rho0)["lemma8"].holds


def test_pg_needs_full_support_mu():
    mdp = unit_rewards(garnet(3, 2, 2, rng=2))
    with pytest.raises(ValueError, match="mu"):
        pg_rate(mdp, 5, mu=[1.0, 0.0, 0.0])


# ------------------------------------------------------------------ entropy NPG, [CCCWC] Thm 1
def test_entropy_npg_gaps_match_a_direct_numpy_run():
    mdp = unit_rewards(garnet(5, 3, 2, rng=3, gamma=0.9))
    P, R = _dense(mdp)
    g, tau, step = mdp.gamma, 0.1, 0.4
    opt = soft_optimal(mdp, tau)
    pi = np.full((5, 3), 1 / 3)
    gaps = []
    for _ in range(20):
        P_pi = np.einsum("sa,sat->st", pi, P)
        H = -(pi * np.log(pi)).sum(axis=1)
        V = np.linalg.solve(np.eye(5) - g * P_pi, (pi * R).sum(axis=1) + tau * H)
        Q = R + g * P @ V
        pi = _softmax((1 - step * tau / (1 - g)) * np.log(pi) + step * Q / (1 - g))
        P_pi = np.einsum("sa,sat->st", pi, P)
        H = -(pi * np.log(pi)).sum(axis=1)
        V = np.linalg.solve(np.eye(5) - g * P_pi, (pi * R).sum(axis=1) + tau * H)
        gaps.append(np.max(np.abs(opt.Q - (R + g * P @ V))))
    res = entropy_npg_rate(mdp, tau, step, 20)
    np.testing.assert_allclose(res["Q"].gap, gaps, atol=1e-10)
    assert res.holds


@settings(max_examples=20, deadline=None)
@given(unit_mdps())
def test_entropy_npg_property(mdp):
    g = mdp.gamma
    for tau, frac in ((0.05, 1.0), (0.5, 0.3), (1.0, 0.05)):
        assert entropy_npg_rate(mdp, tau, frac * (1 - g) / tau, 12).holds


def test_entropy_npg_step_range():
    mdp = unit_rewards(two_state(0.9))
    with pytest.raises(ValueError, match="step"):
        entropy_npg_rate(mdp, 1.0, 0.2, 3)


# ------------------------------------------------------------------ PMD
@settings(max_examples=25, deadline=None)
@given(unit_mdps())
def test_pmd_derived_bound_property(mdp):
    for eta0 in (0.01, 1.0):
        assert pmd_rate(mdp, eta0, 15)["derived"].holds


def test_pmd_sheet_statement_is_false_at_gamma_zero():
    """One state, two actions, gamma = 0, R = (1, 0): pi_1(a*) = sigmoid(eta0), so the gap is
    1/(1 + e^eta0) > 0, while the THEORY.md §8 bound is gamma^1 (...) = 0. The derived bound
    (r = 0: D_0/eta0 = log 2/eta0) holds."""
    mdp = MDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), np.array([1.0]), 0.0)
    res = pmd_rate(mdp, 1.0, 3)
    assert res["sheet"].gap[0] == pytest.approx(1 / (1 + math.e), rel=1e-12)
    assert res["sheet"].bound[0] == 0.0 and not res["sheet"].holds
    assert res["derived"].bound[0] == pytest.approx(math.log(2), rel=1e-12)
    assert res["derived"].holds


def test_pmd_rate_is_gamma_at_the_stationary_distribution_of_pi_star():
    mdp = unit_rewards(garnet(6, 3, 3, rng=5, gamma=0.8))
    nu = stationary_of(mdp, optimal(mdp).pi)
    res = pmd_rate(mdp, 0.5, 12, rho=nu)
    assert res.constants["r"] == pytest.approx(0.8, abs=1e-6)
    assert res["derived"].holds


# ------------------------------------------------------------------ edge cases
def test_gamma_zero_single_action_and_deterministic_optimum():
    rng = np.random.default_rng(9)
    bandit = MDP(np.full((3, 2, 3), 1 / 3), rng.uniform(0, 1, (3, 2)), np.full(3, 1 / 3), 0.0)
    assert npg_rate(bandit, 1.0, 10).holds and pg_rate(bandit, 10).holds
    assert entropy_npg_rate(bandit, 0.5, 1.0, 10).holds and pmd_rate(bandit, 1.0, 5)["derived"].holds
    one = unit_rewards(garnet(4, 1, 2, rng=3, gamma=0.9))
    for res in (npg_rate(one, 1.0, 5), pg_rate(one, 5), entropy_npg_rate(one, 0.3, 0.1, 5), pmd_rate(one, 1.0, 5)):
        assert res.holds
        assert all(np.all(c.gap <= 1e-12) for c in res.checks)
    # deterministic optimum: action 0 pays 1, action 1 pays 0, everywhere
    P = np.zeros((3, 2, 3))
    P[:, :, 0] = 1.0
    det = MDP(P, np.tile([1.0, 0.0], (3, 1)), np.full(3, 1 / 3), 0.9)
    for res in (npg_rate(det, 0.5, 20), pg_rate(det, 20), entropy_npg_rate(det, 0.1, 0.5, 20),
                pmd_rate(det, 0.5, 20)):
        assert res.holds


def test_rate_checks_for_a_sweep():
    out = rate_checks(garnet(5, 3, 2, rng=0, gamma=0.9), rng=1, n_iter=15)
    assert set(out) == {"npg", "pg_mei", "pg_lemma8", "entropy_npg_Q", "entropy_npg_log_pi",
                        "pmd_sheet", "pmd_derived"}
    assert all(v <= 1.0 for k, v in out.items() if k != "pmd_sheet")


def test_bad_input_and_reprs():
    mdp = garnet(3, 2, 2, rng=0)
    bad = mdp.with_rewards(np.asarray(mdp.R) - 5.0)
    with pytest.raises(ValueError, match="mdp.R"):
        npg_rate(bad, 1.0, 3)
    with pytest.raises(TypeError, match="mdp"):
        pmd_rate("x", 1.0, 3)
    with pytest.raises(ValueError, match="step"):
        npg_rate(unit_rewards(mdp), -1.0, 3)
    with pytest.raises(TypeError, match="n_iter"):
        npg_rate(unit_rewards(mdp), 1.0, 2.5)
    with pytest.raises(ValueError, match="rho"):
        npg_rate(unit_rewards(mdp), 1.0, 3, rho=[0.5, 0.5])
    res = npg_rate(unit_rewards(mdp), 1.0, 3)
    assert "npg" in repr(res) and "worst" in repr(res) and len(repr(res)) < 200

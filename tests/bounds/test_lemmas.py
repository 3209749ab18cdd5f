"""Tests of bounds/lemmas.py: Eq. (1), (2), (4) and Lemmas 2-3 of [TRPO], checked independently."""

import numpy as np
import pytest
from scipy.stats import norm

from bounds.lemmas import first_order_match, lemma2, lemma3, performance_difference
from tabular.evaluation import evaluate
from tabular.policies import mixture, random_policy, softmax, uniform
from tabular.zoo import chain, garnet, gridworld, mdp_x
from tests.reference import np_eval


def _instance(rng):
    """A random (mdp, pi, pi_new): gamma in [0, 0.99], dense or sparse, small to large policy changes."""
    S = int(rng.integers(2, 9))
    A = int(rng.integers(2, 5))
    kind = rng.integers(4)
    gamma = [0.0, 0.99, float(rng.uniform(0, 0.99)), float(rng.uniform(0.9, 0.99))][kind]
    mdp = garnet(S, A, int(rng.integers(1, S + 1)), rng=rng, gamma=gamma, sparse=bool(rng.integers(2)),
                 reward=["uniform", "signed"][rng.integers(2)])
    pi = random_policy(mdp, rng=rng, concentration=float(rng.choice([0.1, 1.0, 10.0])))
    other = random_policy(mdp, rng=rng, concentration=float(rng.choice([0.1, 1.0])))
    step = rng.integers(3)
    if step == 0:  # small change
        alpha = float(10 ** rng.uniform(-4, -1))
    elif step == 1:  # medium
        alpha = float(rng.uniform(0.1, 0.9))
    else:  # large: an unrelated policy
        alpha = 1.0
    return mdp, pi, mixture(pi, other, alpha)


def _scale(mdp):
    return max(1.0, np.max(np.abs(mdp.R)) / (1 - mdp.gamma))




def _np_rollouts(mdp, pi, n, H, seed):
    """n episodes of length H of pi, sampled here with inverse-CDF draws (no tabular.sampling code)."""
    rng = np.random.default_rng(seed)
    P = np.asarray(mdp.dense_P())
    cum_pi, cum_P, cum_0 = np.cumsum(pi, axis=1), np.cumsum(P, axis=2), np.cumsum(mdp.rho0)
    states, actions = np.empty((n, H), dtype=int), np.empty((n, H), dtype=int)
    s = np.minimum(np.searchsorted(cum_0, rng.random(n), side="right"), len(cum_0) - 1)
    for t in range(H):
        a = (rng.random(n)[:, None] >= cum_pi[s]).sum(axis=1)
        a = np.minimum(a, pi.shape[1] - 1)
        states[:, t], actions[:, t] = s, a
        s = np.minimum((rng.random(n)[:, None] >= cum_P[s, a]).sum(axis=1), P.shape[0] - 1)
    return states, actions


# ------------------------------------------------------------------------------------------ Eq. (1)
def test_performance_difference_exact_sides_agree():
    rng = np.random.default_rng(2024)
    n_time_sums = 0
    for _ in range(60):
        mdp, pi, pi_new = _instance(rng)
        res = performance_difference(mdp, pi, pi_new)
        assert res.holds and res.mc_mean is None and res.mc_ci is None
        assert abs(res.lhs - res.rhs_exact) <= 1e-10 * _scale(mdp)
        # independent: the reverse form eta(pi_new) - eta(pi) = -sum_s rho_pi(s) sum_a pi(a|s) A_new(s, a)
        ev, ev_new = evaluate(mdp, pi), evaluate(mdp, pi_new)
        reverse = -float(ev.rho @ np.sum(pi * ev_new.A, axis=1))
        assert abs(res.lhs - reverse) <= 1e-10 * _scale(mdp)
        # independent: Eq. (1) as an explicit time sum with exact state distributions of pi_new
        if mdp.gamma <= 0.9:
            n_time_sums += 1
            T = int(np.ceil(np.log(1e-14) / np.log(mdp.gamma))) if mdp.gamma > 0 else 1
            P_new = np.einsum("sa,sat->st", pi_new, mdp.dense_P())
            Abar = np.sum(pi_new * ev.A, axis=1)
            mu, total = mdp.rho0.copy(), 0.0
            for t in range(T):
                total += mdp.gamma**t * (mu @ Abar)
                mu = mu @ P_new
            assert abs(total - res.rhs_exact) <= 1e-10 * _scale(mdp)
    assert n_time_sums >= 10  # the explicit time sum (the independent side) really runs


def test_performance_difference_on_mdp_x_by_hand():
    """MDP X (THEORY.md §6), gamma = 0.9: eta(pi) = gamma/(1-gamma) P(a1 at s0) (pi(a0|s2) - pi(a1|s2)) by hand."""
    g = 0.9
    mdp = mdp_x(g)
    pi = uniform(mdp)
    pi_new = np.array([[0.2, 0.8], [0.5, 0.5], [0.9, 0.1]])
    eta = lambda p: g / (1 - g) * p[0, 1] * (p[2, 0] - p[2, 1])  # noqa: E731
    res = performance_difference(mdp, pi, pi_new)
    assert res.lhs == pytest.approx(eta(pi_new) - eta(pi), abs=1e-12)
    assert res.rhs_exact == pytest.approx(eta(pi_new) - eta(pi), abs=1e-12)


@pytest.mark.parametrize(
    "mdp, seed",
    [
        pytest.param(garnet(8, 3, 3, rng=1, gamma=0.9), 1, id="garnet-0.9"),
        pytest.param(garnet(12, 2, 2, rng=2, gamma=0.5, sparse=True, reward="signed"), 2, id="sparse-0.5"),
        pytest.param(chain(5, gamma=0.8), 3, id="chain-0.8"),
        pytest.param(gridworld(gamma=0.9, sparse=True), 4, id="grid-0.9"),
        pytest.param(mdp_x(0.0), 5, id="mdp_x-0"),
    ],
)
def test_performance_difference_monte_carlo(mdp, seed):
    rng = np.random.default_rng(seed)
    pi = random_policy(mdp, rng=rng, concentration=2.0)
    pi_new = random_policy(mdp, rng=rng, concentration=2.0)
    res = performance_difference(mdp, pi, pi_new, n_episodes=3000, rng=seed, horizon=None)
    assert res.n_episodes == 3000 and res.horizon >= 1
    assert res.mc_stderr > 0 or mdp.gamma == 0
    assert abs(res.mc_mean - res.lhs) <= 4 * res.mc_stderr + res.mc_truncation + 1e-12
    assert res.mc_ci[0] <= res.lhs <= res.mc_ci[1] and res.mc_covers
    z = norm.ppf(0.9995)  # 99.9% two-sided normal quantile, 3.2905
    assert res.mc_ci[1] - res.mc_mean == pytest.approx(z * res.mc_stderr + res.mc_truncation, rel=1e-9)
    # reproducible
    res2 = performance_difference(mdp, pi, pi_new, n_episodes=3000, rng=seed)
    assert res2.mc_mean == res.mc_mean
    # independent Monte Carlo of Eq. (1) (own sampler, own A_pi, own eta's), and of its standard error
    ex, ex_new = np_eval(mdp, pi), np_eval(mdp, pi_new)
    lhs = ex_new["eta"] - ex["eta"]
    assert res.lhs == pytest.approx(lhs, abs=1e-10 * _scale(mdp))
    states, actions = _np_rollouts(mdp, pi_new, 3000, res.horizon, seed=1000 + seed)
    X = ex["A"][states, actions] @ mdp.gamma ** np.arange(res.horizon)
    se = X.std(ddof=1) / np.sqrt(X.size)
    trunc = mdp.gamma**res.horizon * np.abs(ex["A"]).max() / (1 - mdp.gamma)
    assert abs(X.mean() - lhs) <= 4 * se + trunc + 1e-12
    if se > 0:  # two estimates of one standard error from 3,000 episodes each agree to ~ +-5%
        assert res.mc_stderr == pytest.approx(se, rel=0.2)
    else:
        assert res.mc_stderr == pytest.approx(0.0, abs=1e-15)


def test_performance_difference_bad_input():
    mdp = mdp_x(0.9)
    pi = uniform(mdp)
    with pytest.raises(ValueError, match="n_episodes"):
        performance_difference(mdp, pi, pi, n_episodes=1)
    with pytest.raises(ValueError, match="n_episodes"):
        performance_difference(mdp, pi, pi, n_episodes=-3)
    with pytest.raises(ValueError, match="level"):
        performance_difference(mdp, pi, pi, n_episodes=10, level=1.0)
    with pytest.raises(ValueError, match="pi_new"):
        performance_difference(mdp, pi, np.ones((3, 2)))
    with pytest.raises(ValueError, match="ev"):
        performance_difference(mdp, pi, pi, ev=evaluate(mdp, np.array([[1.0, 0], [1, 0], [1, 0]])))


# ------------------------------------------------------------------------------------- Lemmas 2, 3
def test_lemmas_2_and_3_hold_on_random_instances():
    rng = np.random.default_rng(7)
    n_tight2 = 0
    for _ in range(200):
        mdp, pi, pi_new = _instance(rng)
        ev = evaluate(mdp, pi)
        eps = np.max(np.abs(ev.A))
        alpha = 0.5 * np.max(np.sum(np.abs(pi - pi_new), axis=1))
        tol = 1e-9 * _scale(mdp)

        r2 = lemma2(mdp, pi, pi_new, ev=ev)
        # independent recomputation of both sides
        Abar = np.sum(pi_new * (ev.Q - ev.V[:, None]), axis=1)
        np.testing.assert_allclose(r2.lhs, np.abs(Abar), rtol=1e-12, atol=1e-12 * _scale(mdp))
        assert r2.rhs == pytest.approx(2 * alpha * eps, rel=1e-12, abs=1e-300)
        assert r2.holds and r2.holds_state
        assert np.all(r2.lhs <= 2 * alpha * eps + tol)
        assert np.all(r2.rhs_state <= r2.rhs + tol)
        n_tight2 += r2.slack <= 0.5 * r2.rhs

        r3 = lemma3(mdp, pi, pi_new, T=40, ev=ev)
        assert r3.lhs[0] == 0.0  # both chains start from rho0
        t = np.arange(41)
        np.testing.assert_allclose(r3.rhs, 4 * alpha * (1 - (1 - alpha) ** t) * eps, rtol=1e-12, atol=1e-300)
        assert r3.holds
        assert np.all(r3.lhs <= r3.rhs + tol)
        # independent left side: exact time-t distributions by repeated products with the dense P_pi
        P = mdp.dense_P()
        P_new, P_old = np.einsum("sa,sat->st", pi_new, P), np.einsum("sa,sat->st", pi, P)
        mu_new, mu_old, lhs = mdp.rho0.copy(), mdp.rho0.copy(), np.empty(41)
        for k in range(41):
            lhs[k] = abs(mu_new @ Abar - mu_old @ Abar)
            mu_new, mu_old = mu_new @ P_new, mu_old @ P_old
        np.testing.assert_allclose(r3.lhs, lhs, rtol=1e-9, atol=1e-12 * _scale(mdp))
        assert np.all(lhs <= 4 * alpha * (1 - (1 - alpha) ** t) * eps + tol)  # Lemma 3 on independent numbers
    assert n_tight2 > 0  # the Lemma 2 bound is not vacuous on this sample


def test_lemma3_distributions_against_matrix_powers():
    mdp = garnet(6, 3, 3, rng=3, gamma=0.9, sparse=True)
    pi = random_policy(mdp, rng=1)
    pi_new = mixture(pi, random_policy(mdp, rng=2), 0.3)
    r3 = lemma3(mdp, pi, pi_new, T=12)
    ev = evaluate(mdp, pi)
    Abar = np.sum(pi_new * ev.A, axis=1)
    P = mdp.dense_P()
    for t in range(13):
        mu_new = mdp.rho0 @ np.linalg.matrix_power(np.einsum("sa,sat->st", pi_new, P), t)
        mu_old = mdp.rho0 @ np.linalg.matrix_power(np.einsum("sa,sat->st", pi, P), t)
        assert r3.abar_new[t] == pytest.approx(mu_new @ Abar, abs=1e-12)
        assert r3.abar_old[t] == pytest.approx(mu_old @ Abar, abs=1e-12)
    assert r3.slack >= 0


def test_lemmas_equal_policies_are_zero():
    mdp = garnet(5, 3, 2, rng=0, gamma=0.95)
    pi = random_policy(mdp, rng=1)
    r2, r3 = lemma2(mdp, pi, pi), lemma3(mdp, pi, pi, T=5)
    assert r2.alpha == 0 and r2.rhs == 0 and r2.holds
    assert np.all(r3.rhs == 0) and r3.holds
    assert np.max(r3.lhs) <= 1e-12


def test_lemma_bad_input():
    mdp = mdp_x(0.9)
    pi = uniform(mdp)
    with pytest.raises(ValueError, match="T"):
        lemma3(mdp, pi, pi, T=-1)
    with pytest.raises(ValueError, match="pi"):
        lemma2(mdp, np.full((3, 2), 0.2), pi)


# ------------------------------------------------------------------------------------------ Eq. (4)
@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.9, 0.99])
@pytest.mark.parametrize("sparse", [False, True])
def test_first_order_match(gamma, sparse):
    mdp = garnet(6, 3, 3, rng=int(100 * gamma) + sparse, gamma=gamma, sparse=sparse, reward="signed")
    theta0 = np.random.default_rng(5).normal(scale=1.5, size=mdp.shape)
    res = first_order_match(mdp, theta0)
    assert res.holds
    assert res.value_gap <= 1e-10 * _scale(mdp)
    assert res.err_eta <= 1e-6 and res.err_L <= 1e-6 and res.err_match_fd <= 1e-6
    assert res.err_match <= 1e-10
    # independent: the L value at theta0 equals eta from a separate evaluation
    assert res.L0 == pytest.approx(evaluate(mdp, softmax(theta0)).eta, abs=1e-10 * _scale(mdp))
    # independent: both gradients equal the tabular-softmax formula d eta / d theta = rho(s) pi(a|s) A(s, a)
    # (THEORY.md §2), with V and rho by np.linalg.solve, and central differences of that eta on a few entries
    pi0 = softmax(theta0)
    ex = np_eval(mdp, pi0)
    formula = ex["rho"][:, None] * pi0 * ex["A"]
    gscale = 1e-9 * max(1.0, np.abs(mdp.R).max()) / (1 - gamma) ** 2
    np.testing.assert_allclose(res.grad_eta, formula, rtol=1e-8, atol=gscale)
    np.testing.assert_allclose(res.grad_L, formula, rtol=1e-8, atol=gscale)
    h = 1e-6
    for s, a in [(0, 0), (2, 1), (5, 2)]:
        tp, tm = theta0.copy(), theta0.copy()
        tp[s, a] += h
        tm[s, a] -= h
        fd = (np_eval(mdp, softmax(tp))["eta"] - np_eval(mdp, softmax(tm))["eta"]) / (2 * h)
        assert fd == pytest.approx(formula[s, a], abs=1e-6 * max(1.0, np.abs(formula).max()))


def test_first_order_match_second_order_differs():
    """Eq. (4) is only first order: away from theta0 the surrogate and eta differ (non-vacuous check)."""
    mdp = garnet(5, 3, 3, rng=9, gamma=0.9, reward="signed")
    theta0 = np.random.default_rng(1).normal(size=mdp.shape)
    res = first_order_match(mdp, theta0, h=0.5)  # a large step: finite differences see curvature
    assert not res.holds and max(res.err_eta, res.err_match_fd) > 1e-5
    with pytest.raises(ValueError, match="h"):
        first_order_match(mdp, theta0, h=0.0)
    with pytest.raises(ValueError, match="theta0"):
        first_order_match(mdp, theta0[:2])

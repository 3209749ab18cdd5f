"""Tests of ``tabular/evaluation.py`` against THEORY.md §1-2 and independent computations.

Every property compares the exact evaluation with something computed another way: a truncated
power series ``sum_t gamma^t P_pi^t`` (evaluated by repeated squaring in the test), a direct einsum
of the one-step lookahead, a second solver, or an identity of [TRPO] (Eq. (2), Eq. (3), the
reverse form) that ties together quantities of two different policies. Tolerances are 1e-10
relative to the value scale ``max|R| / (1 - gamma)``.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from tabular import (
    MDP,
    chain,
    deterministic,
    evaluate,
    evaluate_policies,
    expected_advantage,
    garnet,
    gridworld,
    kl,
    mean_kl,
    policy_reward,
    policy_transition,
    random_policy,
    reachable_states,
    state_distribution,
    surrogate,
    uniform,
)
from tabular.strategies import mdp_and_policies, mdps, policy_pairs

PROPS = settings(max_examples=60, deadline=None, derandomize=True)


def _scale(mdp: MDP) -> float:
    """Value scale ``max|R| / (1 - gamma)`` (1 if the rewards are all zero)."""
    m = float(np.max(np.abs(mdp.R)))
    return (m if m > 0 else 1.0) / (1.0 - mdp.gamma)


def _tol(mdp: MDP, rel: float = 1e-10) -> float:
    return rel * _scale(mdp)


def _neumann(mdp: MDP, pi: np.ndarray) -> np.ndarray:
    """``N = sum_{t < 2^K} (gamma P_pi)^t`` by repeated squaring, with ``P_pi`` built here by a loop
    over (s, a) (independent of ``policy_transition``); ``K`` is chosen so that the omitted tail
    ``gamma^(2^K) / (1 - gamma)`` is below 1e-16. No linear solve, no inverse."""
    S, A = mdp.shape
    P = mdp.dense_P()
    P_pi = np.zeros((S, S))
    for s in range(S):
        for a in range(A):
            P_pi[s] += pi[s, a] * P[s, a]
    g = mdp.gamma
    N = np.eye(S)
    X = g * P_pi
    n_terms = 1
    while g ** n_terms / (1.0 - g) > 1e-16 and n_terms < 2**20:
        N = N + N @ X  # sum_{t < 2n} X^t = (I + X^n) sum_{t < n} X^t
        X = X @ X
        n_terms *= 2
    return N


# ----------------------------------------------------------------------------- against brute force
@given(mdp_and_policies(n_policies=1))
@PROPS
def test_V_and_rho_match_the_power_series(mp):
    mdp, (pi,) = mp
    ev = evaluate(mdp, pi)
    N = _neumann(mdp, pi)
    r_pi = np.array([pi[s] @ mdp.R[s] for s in range(mdp.n_states)])
    np.testing.assert_allclose(ev.V, N @ r_pi, rtol=0, atol=_tol(mdp))
    np.testing.assert_allclose(ev.rho, N.T @ mdp.rho0, rtol=0, atol=1e-10 / (1 - mdp.gamma))
    np.testing.assert_allclose(ev.d, (1 - mdp.gamma) * ev.rho, rtol=1e-15, atol=0)
    np.testing.assert_allclose(ev.r_pi, r_pi, rtol=0, atol=1e-15)
    assert np.all(ev.rho >= 0) and np.all(ev.d >= 0)  # non-negative by definition, round-off removed


@given(mdp_and_policies(n_policies=1))
@PROPS
def test_rho_is_the_discounted_sum_of_state_distributions(mp):
    """rho = sum_t gamma^t Pr(s_t = s), truncated where gamma^T / (1-gamma) < 1e-12."""
    mdp, (pi,) = mp
    g = mdp.gamma
    T = 1 if g == 0 else int(np.ceil(np.log(1e-12 * (1 - g)) / np.log(g))) + 1
    mus = state_distribution(mdp, pi, np.arange(T))
    rho_series = (g ** np.arange(T)) @ mus
    ev = evaluate(mdp, pi)
    np.testing.assert_allclose(ev.rho, rho_series, rtol=0, atol=1e-10 / (1 - g))
    # each s_t distribution is a probability vector
    np.testing.assert_allclose(mus.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@given(mdp_and_policies(n_policies=1))
@PROPS
def test_Q_is_one_step_lookahead_and_A_is_Q_minus_V(mp):
    mdp, (pi,) = mp
    ev = evaluate(mdp, pi)
    Q = mdp.R + mdp.gamma * np.einsum("sat,t->sa", mdp.dense_P(), ev.V)
    np.testing.assert_allclose(ev.Q, Q, rtol=0, atol=_tol(mdp, 1e-12))
    np.testing.assert_allclose(ev.A, Q - ev.V[:, None], rtol=0, atol=_tol(mdp, 1e-12))
    # the Bellman equation V = r_pi + gamma P_pi V, i.e. V(s) = sum_a pi(a|s) Q(s, a)
    np.testing.assert_allclose(np.sum(pi * Q, axis=1), ev.V, rtol=0, atol=_tol(mdp))


# ----------------------------------------------------------------------------- identities
@given(mdp_and_policies(n_policies=1))
@PROPS
def test_single_policy_identities(mp):
    mdp, (pi,) = mp
    ev = evaluate(mdp, pi)
    tol = _tol(mdp)
    assert abs(ev.rho.sum() - 1.0 / (1.0 - mdp.gamma)) <= 1e-10 / (1 - mdp.gamma)
    np.testing.assert_allclose(np.sum(pi * ev.A, axis=1), 0.0, rtol=0, atol=tol)  # sum_a pi A = 0
    assert abs(ev.eta - mdp.rho0 @ ev.V) <= tol
    r_pi = np.sum(pi * mdp.R, axis=1)
    assert abs(ev.eta - ev.rho @ r_pi) <= tol  # eta = sum_s rho(s) r_pi(s)
    assert abs(surrogate(mdp, pi, pi, ev=ev) - ev.eta) <= tol  # L_pi(pi) = eta(pi)
    assert ev.residual <= 1e-12
    assert ev.gamma == mdp.gamma and ev.solver in ("dense-lu", "sparse-lu")
    assert ev.pi.shape == mdp.shape


@given(policy_pairs())
@PROPS
def test_performance_difference_eq2_and_reverse_form(triple):
    """Eq. (2) of [TRPO]: eta(pi_new) = eta(pi) + sum_s rho_new(s) sum_a pi_new(a|s) A_pi(s, a), and
    the reverse form eta(pi_new) - eta(pi) = -sum_s rho_pi(s) sum_a pi(a|s) A_pi_new(s, a)."""
    mdp, pi, pi_new = triple
    ev, ev_new = evaluate(mdp, pi), evaluate(mdp, pi_new)
    tol = 2 * _tol(mdp)
    rhs = ev.eta + ev_new.rho @ np.sum(pi_new * ev.A, axis=1)  # Eq. (2)
    assert abs(ev_new.eta - rhs) <= tol
    reverse = -ev.rho @ np.sum(pi * ev_new.A, axis=1)
    assert abs((ev_new.eta - ev.eta) - reverse) <= tol
    # Eq. (3): the surrogate replaces rho_new by rho_pi
    L = ev.eta + ev.rho @ np.sum(pi_new * ev.A, axis=1)
    assert abs(surrogate(mdp, pi, pi_new) - L) <= tol
    np.testing.assert_allclose(expected_advantage(mdp, pi, pi_new), np.sum(pi_new * ev.A, axis=1), rtol=0, atol=tol)


def test_surrogate_matches_eta_to_first_order():
    """L_pi and eta agree to first order along a mixture pi + alpha (pi' - pi) (Eq. (4)): their
    difference is O(alpha^2), checked on a fixed Garnet with a central finite difference of eta."""
    mdp = garnet(12, 3, 4, rng=3, gamma=0.9, reward="signed")
    pi = random_policy(mdp, rng=4)
    pi_prime = random_policy(mdp, rng=5)
    ev = evaluate(mdp, pi)
    h = 1e-5
    deta = (evaluate(mdp, pi + h * (pi_prime - pi)).eta - evaluate(mdp, pi - h * (pi_prime - pi)).eta) / (2 * h)
    dL = ev.rho @ np.sum((pi_prime - pi) * ev.A, axis=1)  # derivative of L along the line (linear in pi_new)
    assert abs(deta - dL) <= 1e-7 * max(1.0, abs(dL))


# ----------------------------------------------------------------------------- solvers agree
@pytest.mark.parametrize("method", ["dense", "direct", "krylov"])
@given(mdp_and_policies(n_policies=1, sparse=False))
@settings(max_examples=30, deadline=None, derandomize=True)
def test_dense_equals_sparse(method, mp):
    mdp, (pi,) = mp
    ref = evaluate(mdp, pi)
    ev = evaluate(mdp.to_sparse(), pi, method=method)
    rel = 1e-9 if method == "krylov" else 1e-10
    for f in ("V", "Q", "A", "rho", "d", "r_pi"):
        np.testing.assert_allclose(getattr(ev, f), getattr(ref, f), rtol=0, atol=rel * _scale(mdp), err_msg=f)
    assert abs(ev.eta - ref.eta) <= rel * _scale(mdp)
    P_pi = ev.P_pi.toarray() if sp.issparse(ev.P_pi) else ev.P_pi
    np.testing.assert_allclose(P_pi, ref.P_pi, rtol=0, atol=1e-15)
    assert ev.residual <= (1e-10 if method == "krylov" else 1e-12)


def test_unknown_method():
    mdp = garnet(5, 2, 2, rng=0, sparse=True)
    with pytest.raises(ValueError, match="method"):
        evaluate(mdp, uniform(mdp), method="lu")


@given(mdps(max_states=6), st.integers(1, 5))
@settings(max_examples=30, deadline=None, derandomize=True)
def test_evaluate_many_is_a_loop_of_evaluate(mdp, K):
    pis = np.stack([random_policy(mdp, rng=k, concentration=0.5) for k in range(K)])
    batch = evaluate_policies(mdp, pis)
    assert len(batch) == K
    for k in range(K):
        ev = evaluate(mdp, pis[k])
        for f in ("V", "Q", "A", "rho", "d"):
            np.testing.assert_allclose(getattr(batch, f)[k], getattr(ev, f), rtol=0, atol=_tol(mdp), err_msg=f)
        assert abs(batch.eta[k] - ev.eta) <= _tol(mdp)
        np.testing.assert_array_equal(batch[k]["pi"], pis[k])


def test_evaluate_many_chunks():
    """A tiny max_bytes forces one policy per chunk; the result must not change."""
    mdp = garnet(7, 3, 3, rng=1, gamma=0.95)
    pis = np.stack([random_policy(mdp, rng=k) for k in range(5)])
    a, b = evaluate_policies(mdp, pis), evaluate_policies(mdp, pis, max_bytes=1)
    np.testing.assert_allclose(a.V, b.V, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.rho, b.rho, rtol=0, atol=1e-12)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_evaluate_many_threads_and_chunks_equal_the_loop(workers):
    """Any thread count and chunk size gives the loop of evaluate (one LU per policy, both systems)."""
    mdp = garnet(12, 3, 4, rng=3, gamma=0.97)
    pis = np.stack([random_policy(mdp, rng=k, concentration=0.3) for k in range(11)])
    for max_bytes in (1, 8 * 12 * 12 * 4, 2**20):
        batch = evaluate_policies(mdp, pis, workers=workers, max_bytes=max_bytes)
        for k in range(len(pis)):
            ev = evaluate(mdp, pis[k])
            for f in ("V", "Q", "A", "rho"):
                np.testing.assert_allclose(getattr(batch, f)[k], getattr(ev, f), rtol=0, atol=1e-11, err_msg=f)


def test_evaluate_many_leaves_the_callers_array_writable():
    mdp = garnet(5, 2, 2, rng=0)
    pis = np.stack([uniform(mdp)] * 3)
    batch = evaluate_policies(mdp, pis)
    assert pis.flags.writeable and not batch.pi.flags.writeable
    pis[0, 0] = [1.0, 0.0]  # the batch is a frozen copy
    np.testing.assert_array_equal(batch.pi[0, 0], [0.5, 0.5])


def test_evaluate_many_bad_input():
    mdp = garnet(4, 2, 2, rng=0)
    with pytest.raises(ValueError, match="pis"):
        evaluate_policies(mdp, np.full((3, 4, 3), 1 / 3))
    bad = np.full((2, 4, 2), 0.5)
    bad[1, 2] = [0.7, 0.7]
    with pytest.raises(ValueError, match="pis"):
        evaluate_policies(mdp, bad)
    for workers in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="workers"):
            evaluate_policies(mdp, np.full((2, 4, 2), 0.5), workers=workers)


# ----------------------------------------------------------------------------- large sparse models
def test_large_sparse_garnet_krylov_equals_sparse_lu():
    """S = 20000 sparse Garnet through the Krylov path vs sparse LU.

    Sparse LU of a random graph fills in catastrophically (minutes at S = 20000 with two or more
    random successors per state), so the model is a branching-1 Garnet with a policy that is
    deterministic on 80% of the states: P_pi is then a random functional graph plus a few thousand
    extra edges, cheap to factor, and still a non-trivial system for BiCGSTAB.
    """
    S, A = 20000, 2
    mdp = garnet(S, A, 1, rng=0, gamma=0.99, sparse=True, reward="signed")
    rng = np.random.default_rng(1)
    pi = deterministic(rng.integers(A, size=S), A)
    mixed = rng.random(S) < 0.2
    pi[mixed] = random_policy(int(mixed.sum()), A, rng=rng)
    ev_k = evaluate(mdp, pi, method="krylov")
    ev_d = evaluate(mdp, pi, method="direct")
    assert ev_d.solver == "sparse-lu" and ev_k.solver != "sparse-lu"
    tol = 1e-9 * _scale(mdp)
    np.testing.assert_allclose(ev_k.V, ev_d.V, rtol=0, atol=tol)
    np.testing.assert_allclose(ev_k.rho, ev_d.rho, rtol=0, atol=1e-9 / (1 - mdp.gamma))
    assert abs(ev_k.eta - ev_d.eta) <= tol


def test_large_well_mixed_garnet_krylov_equals_power_series():
    """S = 20000, three random successors per (s, a), stochastic policy: the "auto" method picks
    Krylov (LU would fill in); compare with the truncated Neumann series sum_t (gamma P_pi)^t r_pi
    computed by sparse mat-vecs in the test."""
    mdp = garnet(20000, 3, 3, rng=2, gamma=0.9, sparse=True, reward="signed")
    pi = random_policy(mdp, rng=3)
    ev = evaluate(mdp, pi)
    assert ev.solver in ("bicgstab", "gmres", "bicgstab+gmres", "gmres+bicgstab")
    S, A = mdp.shape
    # P_pi = Pi P_flat with the (S, S*A) matrix Pi[s, s*A + a] = pi(a|s)
    Pi = sp.csr_array((pi.ravel(), (np.repeat(np.arange(S), A), np.arange(S * A))), shape=(S, S * A))
    P_pi = (Pi @ mdp.P).tocsr()
    r_pi = np.sum(pi * mdp.R, axis=1)
    V, term, rho, mu = np.zeros(S), r_pi.copy(), np.zeros(S), mdp.rho0.copy()
    g = mdp.gamma
    for _ in range(int(np.ceil(np.log(1e-13 * (1 - g)) / np.log(g))) + 1):
        V += term
        term = g * (P_pi @ term)
        rho += mu
        mu = g * (P_pi.T @ mu)
    np.testing.assert_allclose(ev.V, V, rtol=0, atol=1e-9 * _scale(mdp))
    np.testing.assert_allclose(ev.rho, rho, rtol=0, atol=1e-9 / (1 - g))


# ----------------------------------------------------------------------------- building blocks
def test_policy_transition_and_reward_by_hand():
    P = np.zeros((2, 2, 2))
    P[0, 0] = [1.0, 0.0]
    P[0, 1] = [0.25, 0.75]
    P[1, 0] = [0.0, 1.0]
    P[1, 1] = [0.5, 0.5]
    R = np.array([[1.0, 3.0], [-2.0, 0.0]])
    mdp = MDP(P, R, np.array([1.0, 0.0]), 0.5)
    pi = np.array([[0.5, 0.5], [0.2, 0.8]])
    expected = np.array([[0.625, 0.375], [0.4, 0.6]])
    np.testing.assert_allclose(policy_transition(mdp, pi), expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(policy_transition(mdp.to_sparse(), pi).toarray(), expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(policy_reward(mdp, pi), [2.0, -0.4], rtol=0, atol=1e-15)


def test_two_state_closed_form():
    """A 2-state chain solved by hand: from s0 stay w.p. p (reward 1), else go to absorbing s1
    (reward 0). V(s1) = 0, V(s0) = 1 / (1 - gamma p); rho(s0) = 1 / (1 - gamma p),
    rho(s1) = gamma (1-p) / ((1 - gamma p)(1 - gamma))."""
    p, g = 0.3, 0.8
    P = np.zeros((2, 1, 2))
    P[0, 0] = [p, 1 - p]
    P[1, 0] = [0.0, 1.0]
    mdp = MDP(P, np.array([[1.0], [0.0]]), np.array([1.0, 0.0]), g)
    ev = evaluate(mdp, np.ones((2, 1)))
    np.testing.assert_allclose(ev.V, [1 / (1 - g * p), 0.0], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(ev.rho, [1 / (1 - g * p), g * (1 - p) / ((1 - g * p) * (1 - g))], rtol=1e-14)
    assert ev.eta == pytest.approx(1 / (1 - g * p), rel=1e-14)


def test_gamma_zero_is_one_step():
    mdp = garnet(6, 3, 2, rng=7, gamma=0.0)
    pi = random_policy(mdp, rng=8)
    ev = evaluate(mdp, pi)
    np.testing.assert_allclose(ev.V, np.sum(pi * mdp.R, axis=1), rtol=0, atol=1e-15)
    np.testing.assert_allclose(ev.Q, mdp.R, rtol=0, atol=1e-15)
    np.testing.assert_allclose(ev.rho, mdp.rho0, rtol=0, atol=1e-15)


def test_state_distribution_by_hand():
    P = np.zeros((3, 1, 3))
    P[0, 0, 1] = P[1, 0, 2] = P[2, 0, 0] = 1.0  # a 3-cycle
    mdp = MDP(P, np.zeros(3), np.array([1.0, 0.0, 0.0]), 0.5)
    pi = np.ones((3, 1))
    np.testing.assert_array_equal(state_distribution(mdp, pi, 0), [1, 0, 0])
    np.testing.assert_array_equal(state_distribution(mdp, pi, 4), [0, 1, 0])
    np.testing.assert_array_equal(state_distribution(mdp, pi, [5, 1, 3]), [[0, 0, 1], [0, 1, 0], [1, 0, 0]])
    with pytest.raises(ValueError, match="^t must"):
        state_distribution(mdp, pi, -1)
    with pytest.raises(ValueError, match="^t must"):
        state_distribution(mdp, pi, 1.5)


def test_evaluation_arrays_are_read_only():
    mdp = garnet(4, 2, 2, rng=0)
    ev = evaluate(mdp, uniform(mdp))
    for f in ("pi", "V", "Q", "A", "rho", "d", "r_pi", "P_pi"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(ev, f)[0] = 1.0


# ----------------------------------------------------------------------------- bad policies
@pytest.mark.parametrize(
    "make_bad, pattern",
    [
        (lambda pi: pi[:, :1], r"^pi has 1 actions"),
        (lambda pi: pi[:2], r"^pi has 2 states"),
        (lambda pi: pi.ravel(), r"^pi must have 2 dimension"),
        (lambda pi: pi * 1.01, r"^pi row .* sums to"),
        (lambda pi: np.array([[1.5, -0.5]] + pi[1:].tolist()), r"^pi has a negative probability"),
        (lambda pi: np.where(np.arange(pi.size).reshape(pi.shape) == 0, np.nan, pi), r"^pi contains NaN"),
        (lambda pi: np.where(np.arange(pi.size).reshape(pi.shape) == 1, np.inf, pi), r"^pi contains inf"),
    ],
)
@pytest.mark.parametrize("sparse", [False, True])
def test_bad_policy_raises(make_bad, pattern, sparse):
    mdp = garnet(3, 2, 2, rng=0, sparse=sparse)
    with pytest.raises(ValueError, match=pattern):
        evaluate(mdp, make_bad(uniform(mdp)))


def test_bad_pi_new_named():
    mdp = garnet(3, 2, 2, rng=0)
    pi = uniform(mdp)
    with pytest.raises(ValueError, match=r"^pi_new row"):
        surrogate(mdp, pi, pi * 0.5)
    with pytest.raises(ValueError, match=r"^pi_new has 3 actions"):
        expected_advantage(mdp, pi, np.full((3, 3), 1 / 3))
    stale = evaluate(mdp, random_policy(mdp, rng=1))  # another policy
    with pytest.raises(ValueError, match=r"^ev evaluates a different policy"):
        surrogate(mdp, pi, pi, ev=stale)
    with pytest.raises(ValueError, match=r"^ev was computed with gamma"):
        surrogate(mdp, pi, pi, ev=evaluate(mdp.with_gamma(0.5), pi))
    with pytest.raises(ValueError, match=r"^ev evaluates a different policy"):
        surrogate(mdp, pi, pi, ev=evaluate(garnet(4, 2, 2, rng=1), uniform(4, 2)))
    with pytest.raises(TypeError, match=r"^ev must be a tabular.Evaluation"):
        surrogate(mdp, pi, pi, ev={"eta": 0.0})


# ----------------------------------------------------------------------------- non-negative visitation
GRID_ACTIONS = [3, 3, 2, 0, 3, 0, 2, 1, 3, 0, 3, 0]


@pytest.mark.parametrize("sparse", [False, True])
def test_unreached_states_have_exactly_zero_visitation(sparse):
    """The dense LU leaves rho = -2.2e-16 at the states this deterministic policy never reaches (it
    stays in the start cell), and weighted means then refused the "negative weights"."""
    mdp = gridworld(3, 4, slip=0, gamma=0.99, sparse=sparse)
    pi = deterministic(np.array(GRID_ACTIONS), 4)
    ev = evaluate(mdp, pi)
    expected = np.zeros(12)
    expected[0] = 100.0
    batch = evaluate_policies(mdp, np.stack([pi, uniform(mdp), pi]))
    for rho, d in ((ev.rho, ev.d), (batch.rho[0], batch.d[0]), (batch.rho[2], batch.d[2])):
        assert np.all(rho[1:] == 0.0) and np.all(d[1:] == 0.0)  # exactly 0 at every unreached state
        np.testing.assert_allclose(rho, expected, rtol=1e-14, atol=0)
        np.testing.assert_allclose(d, (1 - 0.99) * expected, rtol=1e-14, atol=0)
    np.testing.assert_array_equal(reachable_states(mdp, pi), expected > 0)
    assert np.all(batch.rho >= 0) and np.all(batch.d >= 0)
    # downstream: a weighted mean with rho as weights works, and states pi never visits weigh 0
    pi_new = uniform(mdp)
    pi_new[5] = [1.0, 0.0, 0.0, 0.0]  # pi_new drops pi's action where rho = 0: KL = inf there
    assert mean_kl(pi, pi_new, ev.rho) == pytest.approx(100.0 * kl(pi, pi_new)[0])


@pytest.mark.parametrize("make", [
    lambda: gridworld(3, 4, slip=0, gamma=0.99),
    lambda: gridworld(4, 4, slip=0, gamma=0.9, sparse=True),
    lambda: gridworld(3, 3, slip=0.2, gamma=0.999),
    lambda: chain(6, slip=0.0, gamma=0.95),
    lambda: garnet(12, 3, 1, rng=4, gamma=0.99),
    lambda: garnet(30, 2, 1, rng=5, gamma=0.9, sparse=True),
])
def test_many_random_deterministic_policies_have_non_negative_visitation(make):
    mdp = make()
    S, A = mdp.shape
    rng = np.random.default_rng(0)
    pis = np.stack([deterministic(rng.integers(A, size=S), A) for _ in range(200)])
    batch = evaluate_policies(mdp, pis)
    assert np.all(batch.rho >= 0) and np.all(batch.d >= 0)
    for k in range(0, 200, 5):
        ev = evaluate(mdp, pis[k])
        reach = reachable_states(mdp, pis[k])
        assert np.all(ev.rho >= 0) and np.all(ev.d >= 0)
        assert np.all(ev.rho[~reach] == 0.0) and np.all(batch.rho[k][~reach] == 0.0)
        assert np.all(ev.rho[reach] > 0)  # gamma > 0: every reached state is visited
        np.testing.assert_allclose(batch.rho[k], ev.rho, rtol=0, atol=1e-10)
        np.testing.assert_allclose(ev.rho.sum(), 1 / (1 - mdp.gamma), rtol=1e-12)


@given(mdp_and_policies(n_policies=1))
@PROPS
def test_reachable_states_agree_with_state_distributions(mp):
    """s is reachable iff Pr(s_t = s) > 0 for some t < S (a shortest path has fewer than S steps)."""
    mdp, (pi,) = mp
    mus = state_distribution(mdp, pi, np.arange(mdp.n_states))
    assert np.all(mus >= 0)
    reach = reachable_states(mdp, pi)
    np.testing.assert_array_equal(reach, mus.max(axis=0) > 0)
    ev = evaluate(mdp, pi)
    assert np.all(ev.rho[~reach] == 0.0) and np.all(ev.rho >= 0)


def test_rho_is_not_changed_where_it_is_not_round_off():
    mdp = garnet(20, 3, 4, rng=0, gamma=0.9)
    pi = random_policy(mdp, rng=1)
    ev = evaluate(mdp, pi)
    M = np.eye(20) - mdp.gamma * policy_transition(mdp, pi).T
    np.testing.assert_allclose(ev.rho, np.linalg.solve(M, mdp.rho0), rtol=1e-13, atol=0)
    assert ev.rho.min() > 0


# ----------------------------------------------------------------------------- argument checks
@pytest.mark.parametrize("rtol", [-1e-3, 0.0, np.nan, np.inf])
def test_rtol_must_be_finite_and_positive(rtol):
    mdp = garnet(4, 2, 2, rng=0, sparse=True)
    with pytest.raises(ValueError, match=r"^rtol must be a finite positive real number"):
        evaluate(mdp, uniform(mdp), rtol=rtol, method="krylov")
    with pytest.raises(ValueError, match=r"^rtol must be"):
        evaluate(mdp.to_dense(), uniform(mdp), rtol=rtol)  # checked whatever the solver


def test_rtol_of_the_wrong_type():
    mdp = garnet(4, 2, 2, rng=0)
    for bad in ("1e-9", None, True):
        with pytest.raises(TypeError, match=r"^rtol must be a finite positive real number"):
            evaluate(mdp, uniform(mdp), rtol=bad)


def test_arguments_in_the_wrong_order_say_mdp_must_be_an_mdp():
    mdp = garnet(3, 2, 2, rng=0)
    pi = uniform(mdp)
    with pytest.raises(TypeError, match=r"^mdp must be a tabular.MDP, got a numpy array of shape \(3, 2\)"):
        evaluate(pi, mdp)
    with pytest.raises(TypeError, match=r"^mdp must be a tabular.MDP, got a numpy array of shape \(3, 2, 3\)"):
        evaluate(mdp.dense_P(), pi)
    with pytest.raises(TypeError, match=r"^pi must be an array of real numbers, got tabular.mdp.MDP"):
        evaluate(mdp, mdp)
    with pytest.raises(TypeError, match=r"^mdp must be a tabular.MDP"):
        evaluate_policies(pi[None], mdp)


def test_complex_string_and_object_policies_are_type_errors():
    mdp = garnet(2, 2, 2, rng=0)
    for bad in (np.full((2, 2), 0.5 + 0j), np.full((2, 2), "0.5"), np.full((2, 2), 0.5, dtype=object)):
        with pytest.raises(TypeError, match=r"^pi must be an array of real numbers"):
            evaluate(mdp, bad)
        with pytest.raises(TypeError, match=r"^pis must be an array of real numbers"):
            evaluate_policies(mdp, bad[None])


def test_evaluate_many_empty_batch_says_k_is_zero():
    mdp = garnet(4, 2, 2, rng=0)
    with pytest.raises(ValueError, match=r"^pis is an empty batch \(K = 0"):
        evaluate_policies(mdp, np.zeros((0, 4, 2)))


@pytest.mark.parametrize("sparse", [False, True])
def test_evaluate_many_names_the_bad_policy_and_state(sparse):
    mdp = garnet(4, 2, 2, rng=0, sparse=sparse)
    pis = np.full((3, 4, 2), 0.5)
    pis[1, 2] = [0.7, 0.7]
    with pytest.raises(ValueError, match=r"^pis\[1\] \(policy 1\), state 2 row sums to 1.4"):
        evaluate_policies(mdp, pis)
    pis[1, 2] = [-0.5, 1.5]
    with pytest.raises(ValueError, match=r"^pis\[1\] \(policy 1\), state 2 has a negative probability"):
        evaluate_policies(mdp, pis)


def test_evaluate_many_max_bytes_is_checked():
    mdp = garnet(4, 2, 2, rng=0)
    with pytest.raises(ValueError, match=r"^max_bytes must be >= 1"):
        evaluate_policies(mdp, uniform(mdp)[None], max_bytes=0)
    with pytest.raises(TypeError, match=r"^max_bytes must be an integer"):
        evaluate_policies(mdp, uniform(mdp)[None], max_bytes=1e6)


# ----------------------------------------------------------------------------- short reprs
def test_evaluation_repr_is_short_and_has_the_key_numbers():
    mdp = garnet(200, 4, 3, rng=0, gamma=0.9)
    ev = evaluate(mdp, uniform(mdp))
    text = repr(ev)
    assert len(text) < 400 and "\n" not in text
    assert text.startswith("Evaluation(S=200, A=4, gamma=0.9, ")
    assert f"eta={ev.eta:.10g}" in text and "residual=" in text and "solver='dense-lu'" in text
    batch = evaluate_policies(mdp, np.stack([uniform(mdp), random_policy(mdp, rng=0)]))
    text = repr(batch)
    assert len(text) < 400 and text.startswith("PolicyEvaluations(K=2, S=200, A=4, gamma=0.9, eta in [")
    assert f"{batch.eta.min():.6g}" in text
    assert ev.V.shape == (200,) and batch.V.shape == (2, 200)  # the fields are unchanged


# ----------------------------------------------------------------------------- an evaluation of another MDP
def _small(seed, S=4, A=3, gamma=0.9):
    r = np.random.default_rng(seed)
    return MDP(r.dirichlet(np.ones(S), size=(S, A)), r.normal(size=(S, A)), r.dirichlet(np.ones(S)), gamma)


@pytest.mark.parametrize("change", ["R", "P", "rho0"])
def test_an_evaluation_of_another_mdp_of_the_same_shape_is_refused(change):
    """check_evaluation_of (used by resolve_evaluation, hence by every ``ev=``) refuses an evaluation
    of an MDP that differs from the given one in its rewards, transitions or start distribution only."""
    from tabular.evaluation import check_evaluation_of, resolve_evaluation

    mdp, other = _small(0), _small(1)
    twin = {"R": mdp.with_rewards(other.R), "P": MDP(other.P, mdp.R, mdp.rho0, mdp.gamma),
            "rho0": mdp.with_rho0(other.rho0)}[change]
    pi = np.full(mdp.shape, 1.0 / mdp.n_actions)
    ev_twin = evaluate(twin, pi)
    with pytest.raises(ValueError, match="ev is not an evaluation in this MDP"):
        check_evaluation_of(mdp, ev_twin)
    with pytest.raises(ValueError, match="ev"):
        resolve_evaluation(mdp, pi, ev_twin)
    with pytest.raises(ValueError, match="ev"):
        surrogate(mdp, pi, pi, ev=ev_twin)


def test_an_evaluation_of_the_same_mdp_is_accepted_in_every_storage():
    """The same model dense and sparse (a different matrix-vector product, so not the same bits) and a
    Krylov evaluation all belong: the check is to a tolerance, not bitwise."""
    from tabular.evaluation import check_evaluation_of

    mdp = _small(2, S=30, A=3)
    pi = np.random.default_rng(3).dirichlet(np.ones(3), size=30)
    for ev in (evaluate(mdp, pi), evaluate(mdp.to_sparse(), pi), evaluate(mdp.to_sparse(), pi, method="krylov")):
        assert check_evaluation_of(mdp, ev) is ev
        assert check_evaluation_of(mdp.to_sparse(), ev) is ev

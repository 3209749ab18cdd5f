"""Tests of KL penalty and constraint per state, max-KL (Eq. 11) and mean-KL (Eq. 12): bounds/updates/solvers/kl.py."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounds.updates import solvers as so
from bounds.updates.solvers import SolverError
from bounds.updates.solvers import reference as ref

from ._helpers import instance, cvx_kl_penalty

cp = pytest.importorskip("cvxpy")

OBJ_TOL = 1e-7  # fast vs cvxpy, objective


@pytest.mark.parametrize("seed", [0, 1])
def test_kl_penalty_matches_cvxpy(seed):
    A, pi, rho = instance(seed)
    for c in [0.05, 1.0, 20.0, np.array([0.3, 2.0, 0.1, 5.0])]:
        fast = so.solve_kl_penalty(A, pi, c, rho)
        ref = so.solve_kl_penalty(A, pi, c, rho, solver="cvxpy")
        assert fast.objective == pytest.approx(ref.objective, abs=OBJ_TOL)
        # per-state values against a separately written cvxpy model
        cs = np.broadcast_to(np.asarray(c, dtype=float), (A.shape[0],))
        per_state = fast.value - cs * fast.kl
        np.testing.assert_allclose(per_state, cvx_kl_penalty(A, pi, cs), atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), c=st.floats(1e-4, 1e4), nA=st.integers(2, 5))
def test_kl_penalty_kkt(seed, c, nA):
    """KKT of max <p,A> - c KL(pi||p): A(a) + c pi(a)/p(a) = nu on the support; A(a) <= nu off it,
    with equality where p(a) > 0; p on the simplex."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(3, nA)) * 10 ** rng.uniform(-2, 2)
    pi = rng.dirichlet(np.full(nA, 0.5), size=3)
    pi[0, rng.integers(nA)] = 0.0  # an off-support action
    pi[0] /= pi[0].sum()
    sol = so.solve_kl_penalty(A, pi, c)
    p = sol.pi_new
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(p >= 0)
    for s in range(3):
        supp = pi[s] > 0
        nu = A[s, supp] + c * pi[s, supp] / p[s, supp]
        scale = np.abs(nu).max() + np.abs(A[s]).max()
        assert np.ptp(nu) <= 1e-9 * scale
        off = ~supp
        if off.any():
            assert np.all(A[s, off] <= nu[0] + 1e-9 * scale)
            moved = off & (p[s] > 1e-12)
            np.testing.assert_allclose(A[s, moved], nu[0], atol=1e-8 * scale)


def test_kl_penalty_one_action_support_closed_form():
    """pi deterministic on a0, best off-support gap g: p(a0) = min(1, c/g), the rest on the best."""
    A = np.array([[0.0, 1.0, 2.5]])
    pi = np.array([[1.0, 0.0, 0.0]])
    for c in [0.1, 1.0, 2.5, 3.0, 10.0]:
        p = so.solve_kl_penalty(A, pi, c).pi_new[0]
        expected = min(1.0, c / 2.5)
        np.testing.assert_allclose(p, [expected, 0.0, 1.0 - expected], atol=1e-14)


def test_kl_penalty_limits():
    A, pi, rho = instance(3, special=False)
    # c = inf: no move; c = 0: greedy value max_a A on every row
    np.testing.assert_array_equal(so.solve_kl_penalty(A, pi, np.inf).pi_new, pi)
    greedy = so.solve_kl_penalty(A, pi, 0.0)
    np.testing.assert_allclose(greedy.value, A.max(axis=1), atol=1e-15)
    # KL decreases with c, value decreases with c
    cs = np.logspace(-3, 3, 13)
    sols = [so.solve_kl_penalty(A, pi, c) for c in cs]
    kls = np.array([s.kl for s in sols])
    vals = np.array([s.value for s in sols])
    assert np.all(np.diff(kls, axis=0) < 0)
    assert np.all(np.diff(vals, axis=0) <= 1e-15)


def test_newton_and_brentq_agree():
    A, pi, rho = instance(4, S=6, nA=4)
    for c in [1e-3, 0.3, 30.0]:
        a = so.solve_kl_penalty(A, pi, c, rho)
        b = so.solve_kl_penalty(A, pi, c, rho, root="brentq")
        np.testing.assert_allclose(a.pi_new, b.pi_new, atol=1e-12)
    for delta in [1e-9, 0.05, 2.0]:
        a = so.solve_max_kl(A, pi, rho, delta)
        b = so.solve_max_kl(A, pi, rho, delta, root="brentq")
        assert a.objective == pytest.approx(b.objective, abs=1e-11)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), log_kappa=st.floats(-12, 2))
def test_kl_constraint_is_active_and_feasible(seed, log_kappa):
    kappa = 10.0**log_kappa
    A, pi, rho = instance(seed, S=5, nA=4)
    sol = so.solve_kl_constraint(A, pi, kappa, rho)
    flat = np.ptp(A, axis=1) == 0
    assert np.all(sol.kl <= kappa * (1 + 1e-9) + 1e-15)
    # active on every non-flat row (the greedy row has KL = inf); flat rows stay at pi. Exception: a row
    # whose exact solution underflows double precision (p(a) ~ exp(-kappa / pi(a)) below 1e-300 on the
    # support) is floored at the smallest normal number, which caps its KL below kappa.
    supp = pi > 0
    underflow = np.any(supp & (sol.pi_new < 1e-290), axis=1)
    check = ~flat & ~underflow
    np.testing.assert_allclose(sol.kl[check], kappa, rtol=1e-8, atol=1e-15)  # round-off of the direct KL
    np.testing.assert_array_equal(sol.pi_new[flat], pi[flat])


def test_kl_constraint_one_action_support_closed_form():
    """pi = one-hot a0 with a better off-support action: KL = -log p(a0) <= kappa, so p(a0) = exp(-kappa)."""
    A = np.array([[0.0, -1.0, 0.4]])
    pi = np.array([[1.0, 0.0, 0.0]])
    for kappa in [1e-6, 0.1, 3.0]:
        p = so.solve_kl_constraint(A, pi, kappa).pi_new[0]
        np.testing.assert_allclose(p, [np.exp(-kappa), 0.0, 1.0 - np.exp(-kappa)], rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("delta", [1e-3, 0.2, 3.0])
def test_max_and_mean_kl_match_cvxpy(delta):
    A, pi, rho = instance(5)
    fast = so.solve_max_kl(A, pi, rho, delta)
    ref = so.solve_max_kl(A, pi, rho, delta, solver="cvxpy")
    assert fast.objective == pytest.approx(ref.objective, abs=OBJ_TOL)
    for w in (rho, 0.5 * rho, np.array([1.0, 0.0, 2.0, 0.5])):
        fast = so.solve_mean_kl(A, pi, rho, w, delta)
        ref = so.solve_mean_kl(A, pi, rho, w, delta, solver="cvxpy")
        assert fast.objective == pytest.approx(ref.objective, abs=OBJ_TOL)
        assert so.kl_rows(pi, fast.pi_new)[w > 0] @ w[w > 0] <= delta * (1 + 1e-9)


def test_mean_kl_common_multiplier():
    """With w = rho every state is at the same penalty c_s = lambda: the KKT of Eq. (12)."""
    A, pi, rho = instance(6, special=False)
    sol = so.solve_mean_kl(A, pi, rho, rho, 0.1)
    lam = sol.multiplier
    pen = so.solve_kl_penalty(A, pi, lam)
    np.testing.assert_allclose(sol.pi_new, pen.pi_new, atol=1e-12)
    assert rho @ sol.kl == pytest.approx(0.1, rel=1e-9)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), log_delta=st.floats(-10, 2))
def test_extreme_policies(seed, log_delta):
    """Near-deterministic rows with probabilities down to 1e-300: feasible, finite, optimal vs a grid."""
    rng = np.random.default_rng(seed)
    S, nA = 4, 3
    A = rng.normal(size=(S, nA)) * 10 ** rng.uniform(-3, 3)
    pi = rng.dirichlet(np.full(nA, 0.05), size=S)
    mask = rng.random((S, nA)) < 0.3
    pi[mask] = 10.0 ** rng.uniform(-300, -5, size=int(mask.sum()))
    pi /= pi.sum(axis=1, keepdims=True)
    rho = rng.uniform(0.1, 1.0, size=S)
    delta = 10.0**log_delta
    sol = so.solve_max_kl(A, pi, rho, delta)
    assert np.all(np.isfinite(sol.pi_new)) and np.all(sol.kl <= delta + 1e-8)
    mean = so.solve_mean_kl(A, pi, rho, rho, delta)
    assert rho @ mean.kl <= delta + 1e-8
    C = float(rho @ np.abs(A).max(axis=1))
    mm = so.solve_max_kl_penalty(A, pi, rho, C)
    for kappa in (1e-8, 1e-4, 1e-2, 1.0):
        other = so.solve_max_kl(A, pi, rho, kappa)
        assert other.objective - C * other.kl.max() <= mm.objective + 1e-9 * (1 + abs(mm.objective))

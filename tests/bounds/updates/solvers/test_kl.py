"""Tests of KL penalty and constraint per state, max-KL (Eq. 11) and mean-KL (Eq. 12): bounds/updates/solvers/kl.py."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounds.updates import solvers as so
from bounds.updates.solvers import SolverError
from bounds.updates.solvers import reference as ref

from ._helpers import (cvx_kl_penalty, instance, np_kl_constraint_values, np_kl_rows, own_cvx_kl_constraint,
                       own_cvx_mean_kl)

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
    # the same KKT conditions checked without the row solver: A(s, a) + lambda pi(a|s) / p(a|s) = nu_s on
    # every row (one common lambda), and the constraint active with a KL written in the tests
    nu = A + lam * pi / sol.pi_new
    assert np.all(np.ptp(nu, axis=1) <= 1e-9 * (1 + np.abs(nu).max(axis=1)))
    assert rho @ np_kl_rows(pi, sol.pi_new) == pytest.approx(0.1, rel=1e-9)


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
    assert np.all(np_kl_rows(pi, sol.pi_new) <= delta + 1e-8)  # feasible by a KL written in the tests
    mean = so.solve_mean_kl(A, pi, rho, rho, delta)
    assert rho @ mean.kl <= delta + 1e-8
    assert rho @ np_kl_rows(pi, mean.pi_new) <= delta + 1e-8
    C = float(rho @ np.abs(A).max(axis=1))
    mm = so.solve_max_kl_penalty(A, pi, rho, C)
    for kappa in (1e-8, 1e-4, 1e-2, 1.0):
        other = so.solve_max_kl(A, pi, rho, kappa)
        assert other.objective - C * other.kl.max() <= mm.objective + 1e-9 * (1 + abs(mm.objective))


# ---------------------------------------------------------------- independent checks (issue: tests that cannot fail)
# test_max_and_mean_kl_match_cvxpy compares with the module's own cvxpy programs (reference.kl_program),
# test_kl_constraint_is_active_and_feasible checks feasibility only, and test_newton_and_brentq_agree and
# test_mean_kl_common_multiplier use one row solver on both sides. Below: cvxpy models written in the tests,
# a per-state bisection written in the tests, and a brute-force grid over the 2-action simplex.
@pytest.mark.parametrize("seed", [0, 5])
def test_kl_constraint_max_kl_and_mean_kl_against_own_cvxpy_models(seed):
    A, pi, rho = instance(seed)  # special rows: a zero in pi, one-hot pi with better off-support actions, flat
    for kappa in (1e-3, 0.2, 3.0):
        sol = so.solve_kl_constraint(A, pi, kappa)
        np.testing.assert_allclose(sol.value, own_cvx_kl_constraint(A, pi, kappa), atol=1e-6)
        assert np.all(np_kl_rows(pi, sol.pi_new) <= kappa * (1 + 1e-9))
        mk = so.solve_max_kl(A, pi, rho, kappa)
        assert mk.objective == pytest.approx(rho @ own_cvx_kl_constraint(A, pi, kappa), abs=1e-6)
        for w in (rho, np.array([1.0, 0.0, 2.0, 0.5])):
            mean = so.solve_mean_kl(A, pi, rho, w, kappa)
            assert mean.objective == pytest.approx(float(rho @ np.sum(mean.pi_new * A, axis=1)), abs=1e-12)
            assert mean.objective == pytest.approx(own_cvx_mean_kl(A, pi, rho, w, kappa), abs=1e-6)
            used = w > 0
            assert w[used] @ np_kl_rows(pi, mean.pi_new)[used] <= kappa * (1 + 1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_kl_constraint_against_a_bisection_written_here(seed):
    """Full-support rows, levels 1e-10 .. 10: the values of solve_kl_constraint against the per-state
    bisection on nu of the tests' helpers, and the constraint active with the tests' KL."""
    A, pi, rho = instance(30 + seed, S=6, nA=2 + seed % 3, special=False, scale=10.0 ** (seed - 2))
    kappas = np.logspace(-10, 1, 12)
    expected = np_kl_constraint_values(A, pi, kappas)
    for k, kappa in enumerate(kappas):
        sol = so.solve_kl_constraint(A, pi, kappa)
        gain = np.abs(expected[k] - np.sum(pi * A, axis=1))  # the improvement over pi, the part that can be wrong
        np.testing.assert_allclose(sol.value, expected[k], rtol=0,
                                   atol=1e-9 * gain.max() + 1e-15 * np.abs(A).max())
        np.testing.assert_allclose(np_kl_rows(pi, sol.pi_new), kappa, rtol=1e-7)


def _two_action_grid(n=400_001):
    """Every policy row (q, 1 - q) of a 2-action simplex on a grid of q (plus q = 0 and 1 exactly)."""
    q = np.linspace(0.0, 1.0, n)
    return np.stack([q, 1.0 - q], axis=1)


def test_two_action_rows_against_a_brute_force_grid():
    """2 actions, including a deterministic pi with the better action off its support: KL penalty, KL
    constraint and reverse-KL penalty per row against the best grid policy (objectives from the tests'
    KL). The solver must be at least as good as every grid point, and the grid within its resolution."""
    grid = _two_action_grid()
    rows = [(np.array([0.3, -0.5]), np.array([0.4, 0.6])), (np.array([0.0, 1.0]), np.array([1.0, 0.0])),
            (np.array([2.0, -1.0]), np.array([0.01, 0.99])), (np.array([-0.2, 0.1]), np.array([0.999, 0.001]))]
    for a, p0 in rows:
        P0 = np.broadcast_to(p0, grid.shape)
        lin = grid @ a
        kl_fwd = np_kl_rows(P0, grid)  # KL(pi || p)
        kl_rev = np_kl_rows(grid, P0)  # KL(p || pi)
        step = grid[1, 0] - grid[0, 0]
        res = np.ptp(a) * step * (1 + 1e-9) + 1e-12  # <p, a> is linear in q with slope ptp(a)
        for c in (0.05, 1.0, 10.0):
            sol = so.solve_kl_penalty(a[None], p0[None], c)
            mine = sol.pi_new[0] @ a - c * np_kl_rows(p0[None], sol.pi_new)[0]
            best = np.max(lin - c * kl_fwd)
            assert best - 1e-12 <= mine <= best + 1e-8 * (1 + c), (a, p0, c)  # smooth in q: O(step^2)
            tau_sol = so.solve_reverse_kl_penalty(a[None], p0[None], c)
            mine = tau_sol.pi_new[0] @ a - c * np_kl_rows(tau_sol.pi_new, p0[None])[0]
            best = np.max(np.where(np.isfinite(kl_rev), lin - c * kl_rev, -np.inf))
            assert best - 1e-12 <= mine <= best + 1e-8 * (1 + c), (a, p0, c)
        for kappa in (1e-4, 0.1, 2.0):
            sol = so.solve_kl_constraint(a[None], p0[None], kappa)
            assert np_kl_rows(p0[None], sol.pi_new)[0] <= kappa * (1 + 1e-9)
            best = np.max(np.where(kl_fwd <= kappa, lin, -np.inf))
            # the feasible set is an interval of q: its best grid point is within one grid step of the optimum
            assert best - 1e-12 <= sol.value[0] <= best + res, (a, p0, kappa)


def test_kl_penalty_off_support_ties_go_to_the_lowest_index():
    """pi puts all mass on action 0; actions 1 and 2 are off its support and tie (up to round-off) above
    it. For c below the off-support gap (1) the closed form gives p(0) = c / (M_off - A(0)) = c and the
    rest to the best off-support action: action 1, whichever of the two is larger by 1e-15."""
    pi = np.array([[1.0, 0.0, 0.0]])
    for eps in (0.0, 1e-15, -1e-15):
        A = np.array([[0.0, 1.0, 1.0 + eps]])
        p = so.solve_kl_penalty(A, pi, 0.1).pi_new
        np.testing.assert_allclose(p, [[0.1, 0.9, 0.0]], rtol=0, atol=1e-12)

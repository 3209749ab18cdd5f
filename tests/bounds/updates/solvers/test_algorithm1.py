"""Tests of Algorithm 1 (max-KL penalty) and its three methods: bounds/updates/solvers/algorithm1.py."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounds.updates import solvers as so
from bounds.updates.solvers import SolverError
from bounds.updates.solvers import reference as ref

from ._helpers import (brute_force_max_kl_penalty, instance, np_kl_rows, own_cvx_max_kl_penalty)

cp = pytest.importorskip("cvxpy")

OBJ_TOL = 1e-7  # fast vs cvxpy, objective


@pytest.mark.parametrize("C", [0.05, 1.0, 8.0])
def test_max_kl_penalty_matches_cvxpy(C):
    A, pi, rho = instance(7)
    rho[3] = 0.0  # a state outside the objective (its row is free within the KL level)
    fast = so.solve_max_kl_penalty(A, pi, rho, C)
    ref = so.solve_max_kl_penalty(A, pi, rho, C, solver="cvxpy")
    assert fast.objective == pytest.approx(ref.objective, abs=OBJ_TOL)
    assert fast.kl.max() == pytest.approx(fast.multiplier, rel=1e-8)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), log_C=st.floats(-3, 4))
def test_max_kl_penalty_beats_kappa_grid(seed, log_C):
    """g(kappa) = sum rho v(kappa) - C kappa is maximized at kappa*: compare with a grid of levels."""
    C = 10.0**log_C
    A, pi, rho = instance(seed, S=5, nA=3)
    sol = so.solve_max_kl_penalty(A, pi, rho, C)
    scale = 1e-10 * (1.0 + np.abs(rho @ np.abs(A).max(axis=1)))
    for kappa in np.r_[np.logspace(-10, 1, 12), sol.multiplier * np.array([0.9, 1.1])]:
        other = so.solve_max_kl(A, pi, rho, kappa)
        assert other.objective - C * other.kl.max() <= sol.objective + scale
    assert sol.objective >= rho @ np.einsum("sa,sa->s", pi, A) - scale  # kappa = 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_max_kl_penalty_joint_and_nested_agree(seed):
    """The joint-Newton fast path and the nested bracketed solver are two algorithms for kappa*."""
    A, pi, rho = instance(seed, S=6, nA=4, special=False)
    rho[0] = 0.0  # a state that does not enter the objective
    for C in (0.01, 1.0, 100.0):
        joint = so.solve_max_kl_penalty(A, pi, rho, C)
        if C >= 1.0:  # the fast path handles moderate and small KL levels (large ones may go nested)
            assert joint.info["method"] == "joint-newton"
        nested = so.solve_max_kl_penalty(A, pi, rho, C, method="nested")
        assert nested.info["method"] == "nested"
        assert joint.multiplier == pytest.approx(nested.multiplier, rel=1e-8)
        assert joint.objective == pytest.approx(nested.objective, rel=1e-12, abs=1e-12)


def test_max_kl_penalty_zero_level_and_zero_C():
    # every non-flat row has all supported actions tied (one-hot pi) and a better off-support action:
    # g'(0+) = sum rho (M_off - m) - C, so C above that sum gives kappa* = 0 (pi_new = pi)
    A = np.array([[0.0, 0.5], [1.0, 0.0]])
    pi = np.array([[1.0, 0.0], [1.0, 0.0]])
    rho = np.array([2.0, 1.0])
    sol = so.solve_max_kl_penalty(A, pi, rho, 1.01)  # g'(0+) = 2 * 0.5 - 1.01 < 0
    np.testing.assert_array_equal(sol.pi_new, pi)
    sol = so.solve_max_kl_penalty(A, pi, rho, 0.5)  # g'(0+) > 0: move, c = 0.5 e^-kappa, 2c = C
    assert sol.multiplier == pytest.approx(np.log(2.0), rel=1e-9)
    greedy = so.solve_max_kl_penalty(A, pi, rho, 0.0)
    np.testing.assert_allclose(greedy.value, A.max(axis=1))


@pytest.mark.parametrize("seed", range(6))
def test_nu_newton_fast_path_matches_the_general_solver(seed):
    """The explicit-nu Newton fast path of Algorithm 1 (full-support pi) against the general solver
    (method="nested" with root="brentq": another algorithm and another row solver) and its KKT conditions: every active row at KL = kappa,
    and sum_s rho(s) c_s = C."""
    rng = np.random.default_rng(100 + seed)
    S, nA = int(rng.integers(3, 30)), int(rng.integers(2, 6))
    A = rng.normal(size=(S, nA))
    pi = rng.dirichlet(np.full(nA, [0.5, 1.0, 5.0][seed % 3]), size=S)
    pi = np.maximum(pi, 1e-6)
    pi /= pi.sum(axis=1, keepdims=True)
    rho = rng.uniform(0.1, 2.0, size=S)
    n_fast = 0
    for C in (0.1, 1.0, 10.0, 100.0):
        fast = so.solve_max_kl_penalty(A, pi, rho, C)
        ref = so.solve_max_kl_penalty(A, pi, rho, C, root="brentq", method="nested")
        assert ref.info["method"] == "nested"
        assert fast.objective == pytest.approx(ref.objective, abs=1e-9 * (1 + abs(ref.objective)))
        if fast.info["method"] == "nu-newton":
            n_fast += 1
            kappa = fast.multiplier
            np.testing.assert_allclose(fast.kl, kappa, rtol=1e-8)
            np.testing.assert_allclose(np_kl_rows(pi, fast.pi_new), kappa, rtol=1e-8)  # KL written in the tests
            assert float(rho @ fast.info["c"]) == pytest.approx(C, rel=1e-8)
            # the multipliers are those of the KKT form p = c pi / (nu - A): c_s / p(a|s) * pi(a|s) + A = nu_s
            nu = A + fast.info["c"][:, None] * pi / fast.pi_new
            assert np.all(np.ptp(nu, axis=1) <= 1e-8 * (1 + np.abs(nu).max(axis=1)))
    assert n_fast > 0  # the fast path's KKT checks run (full-support pi, rho > 0)


# ---------------------------------------------------------------- independent checks (issue: tests that cannot fail)
# The tests above compare Algorithm 1 with the module's own cvxpy program (reference.kl_program), with a
# grid of levels solved by the same row solver (solve_max_kl), or its methods with each other. Below: a
# brute force over KL levels with a per-state solver written in the tests (bisection on nu), and a cvxpy
# model written in the tests, each against the solver's policy re-scored with a KL written in the tests.
def _score(A, pi, rho, C, p):
    """The Algorithm 1 objective of a policy p, recomputed here: sum rho <p, A> - C max_s KL(pi || p)."""
    assert np.all(p >= 0) and np.allclose(p.sum(axis=1), 1.0, atol=1e-12)
    kl_max = np_kl_rows(pi, p).max()
    return float(rho @ np.sum(p * A, axis=1)) - (0.0 if C == 0 or kl_max == 0 else C * kl_max)


def test_every_method_attains_the_brute_force_optimum_over_kl_levels():
    """Full-support problems (with and without a state of rho = 0) x C from 0.01 to 1e3, every method:
    the solver's policy scores max_kappa [sum_s rho v_s(kappa) - C kappa] up to round-off."""
    ran = set()
    for seed in range(4):
        A, pi, rho = instance(20 + seed, S=5, nA=[2, 3, 4, 3][seed], special=False)
        if seed % 2:
            rho[0] = 0.0  # nu-newton does not apply: the level-based methods run
        for C in (0.01, 1.0, 30.0, 1e3):
            best, _ = brute_force_max_kl_penalty(A, pi, rho, C)
            tol = 1e-10 * (1.0 + abs(best))
            for method in ("auto", "nu-newton", "joint-newton", "nested"):
                try:
                    sol = so.solve_max_kl_penalty(A, pi, rho, C, method=method)
                except SolverError:
                    assert method in ("nu-newton", "joint-newton")  # documented: these may not apply
                    continue
                ran.add(sol.info["method"])
                score = _score(A, pi, rho, C, sol.pi_new)
                assert sol.objective == pytest.approx(score, abs=tol)  # the reported objective is the policy's
                assert abs(score - best) <= tol, (seed, C, method, score - best)
    assert ran == {"nu-newton", "joint-newton", "nested"}


@pytest.mark.parametrize("C", [0.05, 1.0, 8.0])
def test_max_kl_penalty_matches_an_own_cvxpy_model_on_special_rows(C):
    """A zero in pi, a deterministic row with better off-support actions, a flat row, a state with rho = 0."""
    A, pi, rho = instance(7)
    rho[3] = 0.0
    sol = so.solve_max_kl_penalty(A, pi, rho, C)
    score = _score(A, pi, rho, C, sol.pi_new)
    assert sol.objective == pytest.approx(score, abs=1e-12)
    assert score == pytest.approx(own_cvx_max_kl_penalty(A, pi, rho, C), abs=1e-6)


def test_max_kl_penalty_attains_the_brute_force_optimum_on_extreme_policies():
    """The near-deterministic rows of test_kl.py::test_extreme_policies (probabilities down to 1e-300), whose
    optimality is there checked only against the same row solver: here against the brute force."""
    n = 0
    for seed in range(12):
        rng = np.random.default_rng(seed)
        A = rng.normal(size=(4, 3)) * 10 ** rng.uniform(-3, 3)
        pi = rng.dirichlet(np.full(3, 0.05), size=4)
        mask = rng.random((4, 3)) < 0.3
        pi[mask] = 10.0 ** rng.uniform(-300, -5, size=int(mask.sum()))
        pi /= pi.sum(axis=1, keepdims=True)
        if np.any(pi == 0):  # Dirichlet(0.05) underflows to exact zeros: not for the full-support brute force
            continue
        n += 1
        rho = rng.uniform(0.1, 1.0, size=4)
        C = float(rho @ np.abs(A).max(axis=1))
        sol = so.solve_max_kl_penalty(A, pi, rho, C)
        best, _ = brute_force_max_kl_penalty(A, pi, rho, C)
        score = _score(A, pi, rho, C, sol.pi_new)
        assert sol.objective == pytest.approx(score, abs=1e-12 * (1 + abs(best)))
        assert abs(score - best) <= 1e-10 * (1 + abs(best)), (seed, score - best)
    assert n >= 6

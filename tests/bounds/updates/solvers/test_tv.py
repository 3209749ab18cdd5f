"""Tests of The TV problems: bounds/updates/solvers/tv.py."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from bounds.updates import solvers as so
from bounds.updates.solvers import SolverError
from bounds.updates.solvers import reference as ref

from ._helpers import instance, own_cvx_max_tv_sq_penalty

cp = pytest.importorskip("cvxpy")

OBJ_TOL = 1e-7  # fast vs cvxpy, objective


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), t=st.floats(0.0, 1.0), nA=st.integers(2, 5))
def test_tv_constraint_matches_linprog(seed, t, nA):
    """Per state: max <p, A> s.t. 1/2 |p - pi|_1 <= t as an LP in (p, z), z >= |p - pi|."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(1, nA))
    pi = rng.dirichlet(np.full(nA, 0.7), size=1)
    sol = so.solve_tv_constraint(A, pi, t)
    n = nA
    cost = np.r_[-A[0], np.zeros(n)]
    I = np.eye(n)
    A_ub = np.block([[I, -I], [-I, -I], [np.zeros((1, n)), 0.5 * np.ones((1, n))]])
    b_ub = np.r_[pi[0], -pi[0], t]
    A_eq = np.r_[np.ones(n), np.zeros(n)][None]
    lp = linprog(cost, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[1.0], bounds=[(0, None)] * (2 * n))
    assert lp.status == 0
    # HiGHS works to a feasibility tolerance of 1e-7, so its value may exceed the exact one by that
    assert sol.value[0] == pytest.approx(-lp.fun, abs=1e-7 * (1 + np.ptp(A)))
    assert sol.tv[0] <= t + 1e-12


@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
def test_tv_sq_penalty_matches_cvxpy_and_grid(C):
    A, pi, rho = instance(8)
    fast = so.solve_max_tv_sq_penalty(A, pi, rho, C)
    ref = so.solve_max_tv_sq_penalty(A, pi, rho, C, solver="cvxpy")
    assert fast.objective == pytest.approx(ref.objective, abs=OBJ_TOL)
    for t in np.linspace(0, 1, 101):
        other = so.solve_tv_constraint(A, pi, t, rho)
        assert other.objective - C * other.tv.max() ** 2 <= fast.objective + 1e-12
    # independent (the grid above uses the same closed form as the solver, the cvxpy one the module's own
    # program): the policy re-scored here, against a cvxpy model written in the tests
    p = fast.pi_new
    assert np.all(p >= 0) and np.allclose(p.sum(axis=1), 1.0, atol=1e-12)
    score = rho @ np.sum(p * A, axis=1) - C * (0.5 * np.abs(p - pi).sum(axis=1).max()) ** 2
    assert fast.objective == pytest.approx(score, abs=1e-12)
    assert score == pytest.approx(own_cvx_max_tv_sq_penalty(A, pi, rho, C), abs=1e-6)


def test_tv_ties_do_not_move_with_round_off():
    """Tied advantages (up to 1e-9 of the row's scale) are never drained and the mass goes to the lowest
    tied index, so round-off of the advantages (here 1e-15) leaves the solution as computed by hand."""
    A = np.array([[0.0, 1.0, 1.0, -0.5], [2.0, 2.0, 2.0, 2.0], [0.3, -1.0, 0.3, 0.3]])
    pi = np.full((3, 4), 0.25)
    noise = np.random.default_rng(0).uniform(-1, 1, A.shape) * 1e-15
    # t = 0.1: row 0 drains its worst action (3) into action 1; row 1 is flat; row 2 drains action 1 into 0
    by_hand = [[0.25, 0.35, 0.25, 0.15], [0.25] * 4, [0.35, 0.15, 0.25, 0.25]]
    for a in (A, A + noise, A - noise):
        np.testing.assert_allclose(so.solve_tv_constraint(a, pi, 0.1).pi_new, by_hand, rtol=0, atol=1e-15)
    rho = np.array([1.0, 0.5, 2.0])
    p0 = so.solve_max_tv_sq_penalty(A, pi, rho, 0.3).pi_new
    for a in (A + noise, A - noise):
        p = so.solve_max_tv_sq_penalty(a, pi, rho, 0.3).pi_new
        np.testing.assert_allclose(p, p0, rtol=0, atol=1e-12)
        assert np.argmax(p - pi, axis=1).tolist() == [1, 0, 0]  # the receiving action: lowest tied index

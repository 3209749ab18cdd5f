"""Tests of The reverse-KL penalty (exact NPG): bounds/updates/solvers/reverse_kl.py."""

import numpy as np
import pytest

from bounds.updates import solvers as so
from bounds.updates.solvers import SolverError
from bounds.updates.solvers import reference as ref

from ._helpers import instance, np_kl_rows, own_cvx_reverse_kl_penalty

cp = pytest.importorskip("cvxpy")

OBJ_TOL = 1e-7  # fast vs cvxpy, objective


@pytest.mark.parametrize("tau", [0.05, 1.0, 10.0])
def test_reverse_kl_penalty_matches_cvxpy(tau):
    A, pi, rho = instance(9)
    fast = so.solve_reverse_kl_penalty(A, pi, tau, rho)
    ref = so.solve_reverse_kl_penalty(A, pi, tau, rho, solver="cvxpy")
    assert fast.objective == pytest.approx(ref.objective, abs=OBJ_TOL)
    np.testing.assert_array_equal(fast.pi_new[pi == 0], 0.0)


def test_reverse_kl_penalty_against_the_gibbs_formula_and_an_own_cvxpy_model():
    """Independent of the module (whose cvxpy side is reference.py): p ∝ pi exp(A / tau) computed here,
    the objective re-scored with the tests' KL, and a cvxpy model written in the tests."""
    A, pi, rho = instance(9)
    for tau in (0.05, 1.0, 10.0):
        sol = so.solve_reverse_kl_penalty(A, pi, tau, rho)
        w = pi * np.exp((A - A.max(axis=1, keepdims=True)) / tau)
        np.testing.assert_allclose(sol.pi_new, w / w.sum(axis=1, keepdims=True), rtol=1e-12, atol=1e-300)
        score = rho @ (np.sum(sol.pi_new * A, axis=1) - tau * np_kl_rows(sol.pi_new, pi))
        assert sol.objective == pytest.approx(score, abs=1e-12)
        assert score == pytest.approx(own_cvx_reverse_kl_penalty(A, pi, rho, tau), abs=1e-6)

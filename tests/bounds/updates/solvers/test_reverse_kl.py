"""Tests of The reverse-KL penalty (exact NPG): bounds/updates/solvers/reverse_kl.py."""

import numpy as np
import pytest

from bounds.updates import solvers as so
from bounds.updates.solvers import SolverError
from bounds.updates.solvers import reference as ref

from ._helpers import instance

cp = pytest.importorskip("cvxpy")

OBJ_TOL = 1e-7  # fast vs cvxpy, objective


@pytest.mark.parametrize("tau", [0.05, 1.0, 10.0])
def test_reverse_kl_penalty_matches_cvxpy(tau):
    A, pi, rho = instance(9)
    fast = so.solve_reverse_kl_penalty(A, pi, tau, rho)
    ref = so.solve_reverse_kl_penalty(A, pi, tau, rho, solver="cvxpy")
    assert fast.objective == pytest.approx(ref.objective, abs=OBJ_TOL)
    np.testing.assert_array_equal(fast.pi_new[pi == 0], 0.0)

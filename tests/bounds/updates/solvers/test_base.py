"""Tests of Validation of the solver inputs and the Problem/Solution types: bounds/updates/solvers/base.py."""

import numpy as np
import pytest

from bounds.updates import solvers as so
from bounds.updates.solvers import SolverError

from ._helpers import instance

cp = pytest.importorskip("cvxpy")


def test_bad_inputs():
    A, pi, rho = instance(11)
    with pytest.raises(ValueError, match="delta"):
        so.solve_max_kl(A, pi, rho, 0.0)
    with pytest.raises(ValueError, match="delta"):
        so.solve_mean_kl(A, pi, rho, rho, -1.0)
    with pytest.raises(ValueError, match="C"):
        so.solve_max_kl_penalty(A, pi, rho, -1.0)
    with pytest.raises(ValueError, match="c"):
        so.solve_kl_penalty(A, pi, np.nan)
    with pytest.raises(ValueError, match="kappa"):
        so.solve_kl_constraint(A, pi, -0.1)
    with pytest.raises(ValueError, match="solver"):
        so.solve_max_kl(A, pi, rho, 0.1, solver="scs")
    with pytest.raises(ValueError, match="root"):
        so.solve_max_kl(A, pi, rho, 0.1, root="secant")
    with pytest.raises(ValueError, match="pi"):
        so.solve_max_kl(A, pi * 2, rho, 0.1)
    with pytest.raises(ValueError, match="rho"):
        so.solve_max_kl(A, pi, -rho, 0.1)
    with pytest.raises(ValueError, match="tau"):
        so.solve_reverse_kl_penalty(A, pi, 0.0)

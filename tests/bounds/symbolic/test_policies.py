"""Tests of bounds/symbolic/policies.py: softmax and simplex policies, the exact policy-matrix check."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from bounds import symbolic as sy
from bounds.symbolic import evaluate_symbolic, softmax_policy, symbolic_mdp
from bounds.symbolic.policies import as_policy_matrix

from .helpers import as_array, tabular_softmax


def test_bad_policies_raise():
    m = symbolic_mdp()
    with pytest.raises(ValueError, match="shape"):
        evaluate_symbolic(m, sp.Matrix([[1, 0, 0], [0, 1, 0]]))
    with pytest.raises(ValueError, match="sum to exactly 1"):
        evaluate_symbolic(m, sp.Matrix([[sp.Rational(1, 2), sp.Rational(1, 3)], [1, 0]]))
    with pytest.raises(ValueError, match="negative"):
        evaluate_symbolic(m, sp.Matrix([[2, -1], [1, 0]]))


def test_softmax_policy_matches_tabular_softmax():
    """Independent: the float softmax of tabular at the same parameters."""
    pol = softmax_policy(2, 3)
    theta = np.array([[0.5, -1.25, 2.0], [0.0, 0.75, -0.5]])
    vals = {pol.theta[s, a]: sp.Rational(repr(float(theta[s, a]))) for s in range(2) for a in range(3)}
    np.testing.assert_allclose(as_array(pol.pi, vals), tabular_softmax(theta), rtol=1e-14)
    assert pol.shape == (2, 3)
    assert as_policy_matrix(pol, symbolic_mdp(2, 3)) == pol.pi  # rows sum to exactly 1
    with pytest.raises(ValueError, match="name must be"):
        softmax_policy(2, 2, "")


def test_simplex_policy_and_arrays_of_numbers():
    x = sy.simplex_policy(2, 3)
    assert x[0, 2] == 1 - x[0, 0] - x[0, 1]
    assert len(x.free_symbols) == 2 * 2
    M = as_policy_matrix([[0.25, 0.75], [1, 0]], symbolic_mdp())
    assert M == sp.Matrix([[sp.Rational(1, 4), sp.Rational(3, 4)], [1, 0]])
    with pytest.raises(ValueError, match=r"pi_new\[0,1\] must be rational"):
        as_policy_matrix([[1, sp.sqrt(2)], [1, 0]], symbolic_mdp(), "pi_new")

"""Tests of bounds/symbolic/evaluation.py: exact V, Q, A, eta, rho and the surrogate of Eq. (3).

Independent computations used: the float solver of ``tabular.evaluate`` / ``tabular.surrogate``,
the other exact route (``"lu"`` vs ``"fraction_free"``), and the closed form ``sum rho = 1/(1-gamma)``.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import tabular
from bounds import symbolic as sy
from bounds.symbolic import evaluate_symbolic, surrogate_symbolic, symbolic_mdp

from .helpers import TOL, as_array, policy_values, random_values


def test_bad_method_raises():
    m = symbolic_mdp()
    with pytest.raises(ValueError, match="method"):
        evaluate_symbolic(m, sp.Matrix([[1, 0], [1, 0]]), method="inv")
    with pytest.raises(ValueError, match="mdp must be a SymbolicMDP"):
        evaluate_symbolic(tabular.two_state(), sp.Matrix([[1, 0], [1, 0]]))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("method", ["lu", "fraction_free"])
def test_symbolic_evaluation_matches_tabular(seed, method):
    """Evaluate with every symbol free (P, R, rho0, gamma and a simplex policy), then substitute
    random rationals and compare with the float solver of tabular.evaluate / tabular.surrogate."""
    rng = np.random.default_rng(seed)
    m = symbolic_mdp()
    x = sy.simplex_policy(2, 2, "x")
    ev = evaluate_symbolic(m, x, method=method)
    L = surrogate_symbolic(m, x, sp.Matrix([[sp.Rational(1, 5), sp.Rational(4, 5)], [1, 0]]), ev=ev)
    vals = {**random_values(m, rng), **policy_values(x, rng)}
    num = tabular.evaluate(sy.to_tabular(m, {k: v for k, v in vals.items() if k in m.symbols}),
                           as_array(x, vals))
    np.testing.assert_allclose(as_array(ev.V, vals).ravel(), num.V, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(as_array(ev.Q, vals), num.Q, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(as_array(ev.A, vals), num.A, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(as_array(ev.rho, vals).ravel(), num.rho, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(as_array(ev.d, vals).ravel(), num.d, rtol=TOL, atol=TOL)
    assert sy.to_float(ev.eta, vals) == pytest.approx(num.eta, rel=TOL, abs=TOL)
    mdp_num = sy.to_tabular(m, {k: v for k, v in vals.items() if k in m.symbols})
    L_num = tabular.surrogate(mdp_num, num.pi, np.array([[0.2, 0.8], [1.0, 0.0]]))
    assert sy.to_float(L, vals) == pytest.approx(L_num, rel=TOL, abs=TOL)


def test_rational_evaluation_is_exact_and_matches_tabular():
    m = sy.random_rational_mdp(3, 2, rng=5)
    pi = sy.random_rational_policy(3, 2, rng=6)
    pi_new = sy.random_rational_policy(3, 2, rng=7)
    ev = evaluate_symbolic(m, pi)
    assert all(isinstance(v, sp.Rational) for v in [ev.eta, *ev.V, *ev.rho, *ev.A])
    ff = evaluate_symbolic(m, pi, method="fraction_free")
    assert ff.eta == ev.eta and ff.V == ev.V and ff.rho == ev.rho and ff.A == ev.A
    num = tabular.evaluate(sy.to_tabular(m), as_array(pi))
    assert float(ev.eta) == pytest.approx(num.eta, rel=TOL)
    np.testing.assert_allclose(as_array(ev.rho).ravel(), num.rho, rtol=TOL)
    L = surrogate_symbolic(m, pi, pi_new)
    assert isinstance(L, sp.Rational)
    assert float(L) == pytest.approx(tabular.surrogate(sy.to_tabular(m), num.pi, as_array(pi_new)), rel=TOL)


def test_lu_and_fraction_free_agree_symbolically():
    """The two exact routes give the same rational functions (fully symbolic MDP and policy)."""
    m = symbolic_mdp()
    x = sy.simplex_policy()
    lu = evaluate_symbolic(m, x)
    ff = evaluate_symbolic(m, x, method="fraction_free")
    for s in range(2):
        assert sp.cancel(lu.V[s] - ff.V[s]) == 0
        assert sp.cancel(lu.rho[s] - ff.rho[s]) == 0


def test_visitation_sums_to_one_over_one_minus_gamma_symbolically():
    m = symbolic_mdp()
    ev = evaluate_symbolic(m, sy.simplex_policy())
    assert sp.cancel(sp.Add(*ev.rho) - 1 / (1 - m.gamma)) == 0


def test_simplify_cancels_every_entry_without_changing_values():
    m = sy.random_rational_mdp(1, 2, rng=2)
    x = sy.simplex_policy(1, 2)
    raw = evaluate_symbolic(m, x)
    ev = evaluate_symbolic(m, x, simplify=True)
    for field in ("V", "Q", "A", "rho", "d", "P_pi", "r_pi"):
        a, b = getattr(ev, field), getattr(raw, field)
        assert a.applyfunc(sp.cancel) == a and (a - b).applyfunc(sp.cancel) == sp.zeros(*a.shape), field
    # one state, one free policy symbol x: V = r_x / (1 - gamma) in closed form
    r_x = x[0, 0] * m.R[0, 0] + x[0, 1] * m.R[0, 1]
    assert sp.cancel(ev.V[0] - r_x / (1 - m.gamma)) == 0

"""Tests of bounds/symbolic/ring.py: gcd-free rational functions and the fraction-free evaluation.

Independent computation: sympy's own ``together``/``cancel`` and ``diff`` on the same expressions.
"""

from __future__ import annotations

import pytest
import sympy as sp

from bounds import symbolic as sy
from bounds.symbolic import evaluate_symbolic, symbolic_mdp
from bounds.symbolic.ring import Frac, Ring


def test_fraction_free_rejects_non_polynomial_entries():
    x = sp.Symbol("x", positive=True)
    m = sy.from_arrays([[[1, 0]], [[0, 1]]], [[1 / (1 + x)], [0]], [1, 0], sp.Rational(1, 2))
    with pytest.raises(ValueError, match="not a polynomial"):
        evaluate_symbolic(m, sp.Matrix([[1], [1]]), method="fraction_free")
    assert sp.cancel(evaluate_symbolic(m, sp.Matrix([[1], [1]])).eta - 2 / (1 + x)) == 0


def _frac(ring, expr):
    n, d = ring.fraction(expr, "expr")
    return Frac.make([n], [d], K=ring.K)


def test_frac_arithmetic_and_derivatives_match_sympy():
    m = symbolic_mdp()
    ring = Ring(m)
    p, q, g = m.symbol("p_{0,0}"), m.symbol("q"), m.symbol("gamma")
    e1 = (1 + p) / (1 - g * q)
    e2 = -q ** 2 / ((1 - g * q) * (2 + p))
    f1, f2 = _frac(ring, e1), _frac(ring, e2)
    cases = [
        (f1 + f2, e1 + e2),
        (f1 - f2, e1 - e2),
        (f1 * f2, e1 * e2),
        (f1.scale(ring.poly(p, "p")), p * e1),
        (f1.diff(ring.gen(g)), sp.diff(e1, g)),
        ((f1 * f1).diff(ring.gen(g)), sp.diff(e1 ** 2, g)),  # a repeated denominator factor
        ((f1 * f2).diff(ring.gen(p)), sp.diff(e1 * e2, p)),
        (f1.diff(ring.gen(m.symbol("r_{0,0}"))), sp.Integer(0)),  # free of the generator
        (f1.compose([(ring.gen(p), ring.gen(q))]), e1.subs(p, q)),
        (ring.sum([f1, f2, f1]), 2 * e1 + e2),
    ]
    for got, want in cases:
        assert sp.cancel(ring.to_sympy(got) - want) == 0
    assert (f1 - f1).is_zero() and ring.to_sympy(f1 - f1) == 0
    assert not (f1 + f2).is_zero()
    assert ring.sum([]).is_zero()


def test_ring_makes_exp_theta_a_generator():
    pol = sy.softmax_policy(2, 2)
    ring = Ring(symbolic_mdp(), pol.pi)
    E = ring.gen(sp.exp(pol.theta[0, 0]))
    pi00 = _frac(ring, ring.policies[0][0, 0])
    # d pi(0|0) / d theta[0,0] = pi (1 - pi), by the chain rule d/dtheta = E d/dE
    want = pol.pi[0, 0] * (1 - pol.pi[0, 0])
    got = ring.to_sympy(pi00.diff(E).scale(E))
    expr, _ = sy.exp_to_symbols(got - want)
    assert sp.cancel(sp.together(expr)) == 0

"""Tests of bounds/symbolic/exact.py: exact conversions in and out of sympy."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from bounds import symbolic as sy
from bounds.symbolic.exact import as_rational, sums_to_one


def test_exp_to_symbols_shares_generators():
    th = sp.Symbol("th", real=True)
    expr = sp.exp(2 * th) + sp.exp(th) / (1 + sp.exp(-th))
    new, back = sy.exp_to_symbols(expr)
    assert not new.has(sp.exp) and len(back) == 1
    assert sp.simplify(new.xreplace(back) - expr) == 0


@pytest.mark.parametrize(
    "x, expected",
    [(0.1, sp.Rational(1, 10)), (np.float64(0.25), sp.Rational(1, 4)), (3, sp.Integer(3)),
     (np.int64(-2), sp.Integer(-2)), (Fraction(2, 7), sp.Rational(2, 7)), ("5/6", sp.Rational(5, 6)),
     (sp.Rational(1, 3), sp.Rational(1, 3))],
)
def test_as_rational_is_exact(x, expected):
    r = as_rational(x, "x")
    assert r == expected and isinstance(r, sp.Rational)


@pytest.mark.parametrize(
    "x, match",
    [(True, "x must be a number"), (float("inf"), "x must be finite"), ("abc", "x must be a rational"),
     (sp.sqrt(2), "x must be rational or symbolic"), ([1], "x must be a rational number or")],
)
def test_as_rational_rejects_non_rationals(x, match):
    with pytest.raises(ValueError, match=match):
        as_rational(x, "x")


def test_sums_to_one_is_exact_and_sees_through_exp():
    t = sp.Symbol("t", real=True)
    assert sums_to_one([sp.exp(t) / (sp.exp(t) + 1), 1 / (sp.exp(t) + 1)])
    assert sums_to_one([sp.Rational(1, 3), sp.Rational(2, 3)])
    assert not sums_to_one([sp.Rational(1, 3), sp.Rational(2, 3) + sp.Rational(1, 10**30)])
    assert not sums_to_one([t, 1 - 2 * t])


def test_to_float_against_known_values():
    x = sp.Symbol("x")
    assert sy.to_float(sp.sqrt(2) * x, {x: "1/2"}) == pytest.approx(2 ** -0.5, rel=1e-15)
    M = sp.Matrix([[x, 1], [2, x ** 2]])
    np.testing.assert_array_equal(sy.to_float(M, {x: 3}), [[3.0, 1.0], [2.0, 9.0]])
    with pytest.raises(ValueError, match="free symbols"):
        sy.to_float(x)
    with pytest.raises(ValueError, match="not a finite real"):
        sy.to_float(sp.sqrt(x), {x: -1})

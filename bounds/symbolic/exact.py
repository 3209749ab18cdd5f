"""Exact numbers and expressions: values into sympy Rationals, ``exp`` atoms into symbols, floats out.

The conversions every other module of :mod:`bounds.symbolic` uses at its public boundary:
:func:`as_rational` (a number to an exact sympy ``Rational``), :func:`sums_to_one` (an exact test that
a row of expressions is a probability row), :func:`exp_to_symbols` (``exp(theta)`` as a positive
symbol, so that softmax expressions become rational functions) and :func:`to_float` (back to floats,
to compare with the numeric core :mod:`tabular`).
"""

from __future__ import annotations

import numbers
from fractions import Fraction

import numpy as np
import sympy as sp

__all__ = ["as_rational", "sums_to_one", "exp_to_symbols", "to_float"]


def as_rational(x, name: str) -> sp.Expr:
    """Convert a number to an exact sympy Rational (floats through their shortest decimal repr,
    so 0.1 becomes 1/10); pass sympy expressions through unchanged.

    Raises ``ValueError`` naming ``name`` for an irrational sympy number, a boolean, a non-finite
    float, a string that is not a rational number, or any other type.

    Examples
    --------
    >>> from bounds.symbolic.exact import as_rational
    >>> print(as_rational(0.1, "x"), as_rational("3/4", "x"), as_rational(2, "x"))
    1/10 3/4 2
    >>> try:
    ...     as_rational(float("nan"), "p")
    ... except ValueError as err:
    ...     print(err)
    p must be finite, got nan
    """
    if isinstance(x, sp.Basic):
        x = sp.sympify(x)
        if x.is_number and not x.is_Rational:
            raise ValueError(f"{name} must be rational or symbolic, got the irrational number {x}")
        return x
    if isinstance(x, (bool, np.bool_)):
        raise ValueError(f"{name} must be a number, got the boolean {x!r}")
    if isinstance(x, (numbers.Integral, np.integer)):
        return sp.Integer(int(x))
    if isinstance(x, Fraction):
        return sp.Rational(x.numerator, x.denominator)
    if isinstance(x, (numbers.Real, np.floating)):
        f = float(x)
        if not np.isfinite(f):
            raise ValueError(f"{name} must be finite, got {x!r}")
        return sp.Rational(repr(f))
    if isinstance(x, str):
        try:
            return sp.Rational(x)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a rational number, got the string {x!r}") from None
    raise ValueError(f"{name} must be a rational number or a sympy expression, got {type(x).__name__}")


def sums_to_one(row) -> bool:
    """Exact check that a row of expressions sums to one (rational functions, ``exp`` allowed).

    Numbers are compared exactly; a symbolic sum is rewritten by :func:`exp_to_symbols` and
    brought over one denominator (``sympy.cancel``), so ``exp(t)/(exp(t)+1) + 1/(exp(t)+1)`` passes.

    Examples
    --------
    >>> import sympy as sp
    >>> from bounds.symbolic.exact import sums_to_one
    >>> t = sp.Symbol("t", real=True)
    >>> print(sums_to_one([sp.exp(t) / (sp.exp(t) + 1), 1 / (sp.exp(t) + 1)]))
    True
    >>> print(sums_to_one([sp.Rational(1, 3), sp.Rational(1, 2)]))
    False
    """
    total = sp.Add(*row) - 1
    if total == 0:
        return True
    if total.is_number:
        return False
    return sp.cancel(sp.together(exp_to_symbols(total)[0])) == 0


def exp_to_symbols(expr, dummies: dict | None = None):
    """Write ``expr`` as an expression in positive Dummies ``E_x = exp(x)``.

    Every atom ``exp(c0 + sum_i c_i x_i)`` whose argument is linear in symbols ``x_i`` with integer
    coefficients ``c_i`` becomes ``exp(c0) prod_i E_{x_i}**c_i`` (so ``exp(2 theta)`` and
    ``exp(theta)`` share the generator ``E_theta``); any other ``exp`` atom gets its own Dummy.

    Parameters
    ----------
    expr : sympy expression or matrix.
    dummies : dict, optional
        ``{x or exp atom: Dummy}`` to reuse (extended in place).

    Returns
    -------
    (new_expr, mapping)
        ``mapping = {Dummy: exp(x)}``; ``new_expr.xreplace(mapping)`` equals ``expr``.

    Examples
    --------
    >>> import sympy as sp
    >>> from bounds.symbolic import exp_to_symbols
    >>> t = sp.Symbol("t", real=True)
    >>> expr = sp.exp(2 * t) / (1 + sp.exp(t))
    >>> new, mapping = exp_to_symbols(expr)
    >>> print(new.has(sp.exp), len(mapping))
    False 1
    >>> print(sp.simplify(new.xreplace(mapping) - expr))
    0
    """
    expr = sp.sympify(expr)
    dummies = {} if dummies is None else dummies
    atoms = sorted(expr.atoms(sp.exp), key=sp.default_sort_key)
    repl = {atom: _exp_atom_in_dummies(atom, dummies) for atom in atoms}
    mapping = {d: (sp.exp(k) if isinstance(k, sp.Symbol) else k) for k, d in dummies.items()}
    return (expr.xreplace(repl) if repl else expr), mapping


def _exp_atom_in_dummies(atom, dummies: dict):
    """``exp(c0) prod_i E_{x_i}**c_i`` for ``atom = exp(c0 + sum_i c_i x_i)`` with integer ``c_i``,
    else the atom's own Dummy (both registered in ``dummies``)."""
    u = sp.expand(atom.args[0])
    coeffs = u.as_coefficients_dict()
    const = coeffs.pop(sp.Integer(1), 0) if hasattr(coeffs, "pop") else 0
    linear = all(isinstance(k, sp.Symbol) and sp.sympify(c).is_Integer for k, c in coeffs.items())
    if linear and coeffs:
        value = sp.exp(const)
        for x, c in coeffs.items():
            if x not in dummies:
                dummies[x] = sp.Dummy(f"E_{x}", positive=True)
            value *= dummies[x] ** int(c)
        return value
    if atom not in dummies:
        dummies[atom] = sp.Dummy(f"E_{atom}", positive=True)
    return dummies[atom]


def to_float(expr, values: dict | None = None, precision: int = 30):
    """Evaluate a sympy expression or matrix to float(s) after substituting ``values``.

    Evaluated with ``precision`` significant digits (``evalf``) before rounding to float; a matrix
    gives an ndarray of its shape. Raises ``ValueError`` if a symbol remains free or a value is not
    finite.

    Examples
    --------
    >>> import sympy as sp
    >>> from bounds.symbolic import to_float
    >>> x = sp.Symbol("x")
    >>> print(round(to_float(x ** 2 / 3, {x: 2}), 6))
    1.333333
    >>> print(to_float(sp.Matrix([[sp.Rational(1, 4), x]]), {x: "1/2"}))
    [[0.25 0.5 ]]
    """
    values = values or {}
    if isinstance(expr, sp.MatrixBase):
        return np.array([[to_float(x, values, precision) for x in expr.row(i)] for i in range(expr.rows)])
    e = sp.sympify(expr).xreplace({k: as_rational(v, str(k)) if not isinstance(v, sp.Basic) else v
                                   for k, v in values.items()})
    if e.free_symbols:
        raise ValueError(f"expression still has free symbols {sorted(map(str, e.free_symbols))}")
    val = complex(e.evalf(precision))
    if val.imag != 0 or not np.isfinite(val.real):
        raise ValueError(f"expression evaluates to {val}, not a finite real number")
    return val.real

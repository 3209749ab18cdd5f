"""Helpers shared by the tests of bounds/symbolic/: random rational values and float conversions."""

from __future__ import annotations

import numpy as np
import sympy as sp

import tabular
from bounds import symbolic as sy

TOL = 1e-12


def random_values(mdp, rng, den=20):
    """Random rational values for every symbol of ``symbolic_mdp`` (probabilities in (0, 1),
    rewards in [-1, 1], gamma in (0, 1))."""
    out = {}
    for s in mdp.symbols:
        if s.name.startswith("r_"):
            out[s] = sp.Rational(int(rng.integers(-den, den + 1)), den)
        else:  # p, q, gamma
            out[s] = sp.Rational(int(rng.integers(1, den)), den)
    return out


def policy_values(pi_sym, rng, den=20):
    """Random values in (0, 1/(A-1)) for the free symbols of a simplex policy, so rows stay valid."""
    A = pi_sym.shape[1]
    return {x: sp.Rational(int(rng.integers(1, den)), den * max(A - 1, 1))
            for x in sorted(pi_sym.free_symbols, key=str)}


def as_array(M, values=None):
    return sy.to_float(M, values).reshape(M.shape)


def tabular_softmax(theta):
    return tabular.softmax(np.asarray(theta, dtype=float))


def is_zero_matrix(M):
    """Every entry of ``M`` (expressions in ``exp`` allowed) is exactly zero."""
    expr, _ = sy.exp_to_symbols(M)
    return all(sp.cancel(sp.together(x)) == 0 for x in expr)

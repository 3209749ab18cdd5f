"""Exact symbolic (sympy) verification of the identities of [TRPO] (THEORY.md §2-3).

Everything here is exact: sympy expressions in the symbols of a small MDP, or sympy ``Rational``
numbers. Nothing is approximated, and "zero" means the exact sympy ``0``.

Two exact evaluation routes are provided, and the tests check that they agree:

* ``method="lu"`` -- sympy ``Matrix.LUsolve`` on ``(I - gamma P_pi) V = r_pi`` and
  ``(I - gamma P_pi)^T rho = rho0`` (THEORY.md §1). General, but with fully symbolic entries the
  results are deeply nested fractions that ``sympy.cancel`` simplifies only slowly (about a minute
  per parameter for the first-order identity Eq. (4) of [TRPO] on a fully symbolic 2-state,
  2-action MDP with softmax parameters, and minutes for ``L_pi(pi) - eta(pi)``).
* ``method="fraction_free"`` -- exact arithmetic in the polynomial ring ``QQ[symbols]``: each row of the
  Bellman system is multiplied by the common denominator ``Z_s`` of the policy row
  (``Z_s = sum_b exp(theta[s, b])`` for a softmax policy, with ``exp(theta[s, a])`` as a ring
  generator), and the polynomial systems are solved by fraction-free Gaussian elimination
  (``DomainMatrix.solve_den``). Every quantity is then a quotient ``numerator / denominator`` of
  polynomials, and an identity holds exactly when the numerator of the difference is the zero
  polynomial. This proves Eq. (4) for fully symbolic ``P``, ``R``, ``rho0``, ``gamma`` and
  ``theta`` in under a second (S = A = 2; about 1 s for S = 2, A = 3; about 40 s for S = 3, A = 2).

Derivatives in ``theta`` are taken by the chain rule through the generator ``E = exp(theta)``:
``d f / d theta = E * d f / d E`` (exact, since ``dE/dtheta = E``).

References: [TRPO] Schulman et al. 2015 (arXiv:1502.05477 v5); [KL02] Kakade & Langford 2002.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy as sp
from sympy import QQ
from sympy.polys.matrices import DomainMatrix
from sympy.polys.polyerrors import CoercionFailed, GeneratorsError

from tabular import MDP

__all__ = [
    "SymbolicMDP",
    "SoftmaxPolicy",
    "SymbolicEvaluation",
    "SoftmaxGradient",
    "KLHessianFisher",
    "CPIStep",
    "RationalCheck",
    "symbolic_mdp",
    "from_arrays",
    "random_rational_mdp",
    "random_rational_policy",
    "softmax_policy",
    "simplex_policy",
    "evaluate_symbolic",
    "surrogate_symbolic",
    "prove_surrogate_matches_eta",
    "prove_first_order_match",
    "eta_gradient_symbolic",
    "fisher_from_kl_hessian",
    "cpi_alpha_star",
    "exact_rational_check",
    "to_tabular",
    "to_float",
    "exp_to_symbols",
]

_METHODS = ("lu", "fraction_free")


# ============================================================================ conversions / checks
def _rational(x, name: str) -> sp.Expr:
    """Convert a number to an exact sympy Rational (floats through their shortest decimal repr,
    so 0.1 becomes 1/10); pass sympy expressions through unchanged."""
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


def _check_numeric_probability(x, name: str) -> None:
    if x.is_number and (x < 0 or x > 1):
        raise ValueError(f"{name} must lie in [0, 1], got {x}")


def _check_gamma(gamma) -> None:
    if gamma.is_number and not (0 <= gamma < 1):
        raise ValueError(f"gamma must lie in [0, 1), got {gamma}")


def _row_sum_is_one(row) -> bool:
    """Exact check that a row of expressions sums to one (rational functions, exp allowed)."""
    total = sp.Add(*row) - 1
    if total == 0:
        return True
    if total.is_number:
        return False
    return sp.cancel(sp.together(exp_to_symbols(total)[0])) == 0


# ============================================================================ the MDP
@dataclass(frozen=True, eq=False)
class SymbolicMDP:
    """A finite MDP with sympy entries (THEORY.md §1).

    Attributes
    ----------
    P : tuple of tuples of tuples of sympy expressions
        ``P[s][a][t] = Pr(s_{t+1} = t | s, a)``. For ``S = 2`` row ``(s, a)`` is
        ``(p_{s,a}, 1 - p_{s,a})`` (one free symbol per row).
    R : sympy ImmutableMatrix (S, A)
        Rewards ``r_{s,a}``.
    rho0 : sympy ImmutableMatrix (S, 1)
        Start distribution, ``(q, 1 - q)`` for ``S = 2``.
    gamma : sympy expression
        Discount.
    symbols : tuple of sympy Symbols
        Every symbol the constructor created, in the order p, r, q, gamma (including those
        later replaced by ``numeric`` values).
    values : dict
        The substitutions ``{symbol: Rational}`` applied to obtain this MDP.
    """

    P: tuple
    R: sp.ImmutableMatrix
    rho0: sp.ImmutableMatrix
    gamma: sp.Expr
    symbols: tuple = ()
    values: dict = None

    @property
    def n_states(self) -> int:
        return self.R.shape[0]

    @property
    def n_actions(self) -> int:
        return self.R.shape[1]

    @property
    def shape(self) -> tuple[int, int]:
        return self.R.shape

    @property
    def free_symbols(self) -> set:
        """The symbols still free in ``P``, ``R``, ``rho0`` and ``gamma``."""
        out = set(self.R.free_symbols) | set(self.rho0.free_symbols) | set(sp.sympify(self.gamma).free_symbols)
        for row in self.P:
            for probs in row:
                for x in probs:
                    out |= x.free_symbols
        return out

    def symbol(self, name: str) -> sp.Symbol:
        """The symbol called ``name`` (e.g. ``"p_{0,1}"``, ``"r_{1,0}"``, ``"q"``, ``"gamma"``)."""
        for s in self.symbols:
            if s.name == name:
                return s
        raise ValueError(f"name {name!r} is not a symbol of this MDP; known: {[s.name for s in self.symbols]}")

    def subs(self, values: dict) -> "SymbolicMDP":
        """The MDP with ``values`` (``{symbol or name: rational}``) substituted."""
        return _substitute(self, values)

    def policy_transition(self, pi) -> sp.Matrix:
        """``P_pi[s, t] = sum_a pi(a|s) P[s, a, t]``."""
        S, A = self.shape
        return sp.Matrix(S, S, lambda s, t: sp.Add(*[pi[s, a] * self.P[s][a][t] for a in range(A)]))

    def policy_reward(self, pi) -> sp.Matrix:
        """``r_pi[s] = sum_a pi(a|s) R[s, a]``."""
        S, A = self.shape
        return sp.Matrix(S, 1, lambda s, _: sp.Add(*[pi[s, a] * self.R[s, a] for a in range(A)]))


def _validate_mdp(mdp: SymbolicMDP) -> None:
    S, A = mdp.shape
    if len(mdp.P) != S or any(len(row) != A for row in mdp.P) or any(len(p) != S for row in mdp.P for p in row):
        raise ValueError(f"P must be nested as P[s][a][t] with S={S}, A={A}")
    if mdp.rho0.shape != (S, 1):
        raise ValueError(f"rho0 must have shape ({S}, 1), got {mdp.rho0.shape}")
    for s in range(S):
        for a in range(A):
            for t in range(S):
                _check_numeric_probability(mdp.P[s][a][t], f"P[{s}][{a}][{t}]")
            if not _row_sum_is_one(mdp.P[s][a]):
                raise ValueError(f"P[{s}][{a}] does not sum to exactly 1: {list(mdp.P[s][a])}")
    for t in range(S):
        _check_numeric_probability(mdp.rho0[t], f"rho0[{t}]")
    if not _row_sum_is_one(list(mdp.rho0)):
        raise ValueError(f"rho0 does not sum to exactly 1: {list(mdp.rho0)}")
    _check_gamma(mdp.gamma)


def _substitute(mdp: SymbolicMDP, values) -> SymbolicMDP:
    if values is None:
        return mdp
    if not isinstance(values, dict):
        raise ValueError(f"numeric must be a dict {{symbol or name: rational}}, got {type(values).__name__}")
    by_name = {s.name: s for s in mdp.symbols}
    subs = {}
    for key, val in values.items():
        if isinstance(key, str):
            if key not in by_name:
                raise ValueError(f"numeric has the unknown name {key!r}; known: {sorted(by_name)}")
            key = by_name[key]
        elif key not in mdp.symbols:
            raise ValueError(f"numeric has the unknown symbol {key!r}; known: {[s.name for s in mdp.symbols]}")
        subs[key] = _rational(val, f"numeric[{key.name!r}]")
    P = tuple(tuple(tuple(sp.sympify(x).subs(subs) for x in probs) for probs in row) for row in mdp.P)
    out = SymbolicMDP(
        P=P, R=mdp.R.subs(subs), rho0=mdp.rho0.subs(subs), gamma=sp.sympify(mdp.gamma).subs(subs),
        symbols=mdp.symbols, values={**(mdp.values or {}), **subs},
    )
    _validate_mdp(out)
    return out


def symbolic_mdp(S: int = 2, A: int = 2, numeric: dict | None = None) -> SymbolicMDP:
    """A fully symbolic MDP with ``S`` states and ``A`` actions (THEORY.md §1).

    For ``S = 2``: ``P[s][a] = (p_{s,a}, 1 - p_{s,a})`` (one free symbol per row),
    ``rho0 = (q, 1 - q)``. For ``S > 2`` row ``(s, a)`` has ``S - 1`` free symbols ``p_{s,a,t}`` and
    last entry ``1 - sum_t p_{s,a,t}``; ``rho0 = (q_0, ..., q_{S-2}, 1 - sum q)``. Rewards ``r_{s,a}``
    (real), discount ``gamma`` (non-negative).

    Parameters
    ----------
    S, A : int
        Numbers of states (>= 1) and actions (>= 1).
    numeric : dict, optional
        Rational substitutions ``{symbol or symbol name: value}`` applied after construction, e.g.
        ``{"gamma": Rational(9, 10), "p_{0,0}": Rational(1, 3)}``. Floats are converted through their
        shortest decimal representation (``0.1 -> 1/10``).

    Raises
    ------
    ValueError
        For bad sizes, unknown names in ``numeric``, a probability outside [0, 1] or a discount
        outside [0, 1) after substitution.
    """
    if isinstance(S, bool) or not isinstance(S, numbers.Integral) or S < 1:
        raise ValueError(f"S must be a positive integer, got {S!r}")
    if isinstance(A, bool) or not isinstance(A, numbers.Integral) or A < 1:
        raise ValueError(f"A must be a positive integer, got {A!r}")
    S, A = int(S), int(A)
    p_syms, P = [], []
    for s in range(S):
        row = []
        for a in range(A):
            if S == 2:
                p = sp.Symbol(f"p_{{{s},{a}}}", nonnegative=True)
                p_syms.append(p)
                row.append((p, 1 - p))
            else:
                ps = [sp.Symbol(f"p_{{{s},{a},{t}}}", nonnegative=True) for t in range(S - 1)]
                p_syms.extend(ps)
                row.append(tuple(ps) + (1 - sp.Add(*ps),))
        P.append(tuple(row))
    r_syms = [[sp.Symbol(f"r_{{{s},{a}}}", real=True) for a in range(A)] for s in range(S)]
    if S == 2:
        q_syms = [sp.Symbol("q", nonnegative=True)]
    else:
        q_syms = [sp.Symbol(f"q_{{{t}}}", nonnegative=True) for t in range(S - 1)]
    rho0 = sp.ImmutableMatrix(q_syms + [1 - sp.Add(*q_syms)])
    gamma = sp.Symbol("gamma", nonnegative=True)
    symbols = tuple(p_syms) + tuple(x for row in r_syms for x in row) + tuple(q_syms) + (gamma,)
    mdp = SymbolicMDP(P=tuple(P), R=sp.ImmutableMatrix(r_syms), rho0=rho0, gamma=gamma,
                      symbols=symbols, values={})
    return _substitute(mdp, numeric) if numeric else mdp


def from_arrays(P, R, rho0, gamma) -> SymbolicMDP:
    """A :class:`SymbolicMDP` from numbers: ``P`` of shape (S, A, S), ``R`` (S, A), ``rho0`` (S,).

    Entries are made exact Rationals (ints, Fractions, sympy numbers or expressions; floats via their
    shortest decimal repr). Rows of ``P`` and ``rho0`` must sum to exactly 1 after conversion.
    A :class:`tabular.MDP` can be converted with ``from_arrays(m.dense_P(), m.R, m.rho0, m.gamma)``.
    """
    Pa = np.asarray(P, dtype=object)
    Ra = np.asarray(R, dtype=object)
    ra = np.asarray(rho0, dtype=object)
    if Pa.ndim != 3 or Pa.shape[0] != Pa.shape[2]:
        raise ValueError(f"P must have shape (S, A, S), got {Pa.shape}")
    S, A, _ = Pa.shape
    if Ra.shape != (S, A):
        raise ValueError(f"R must have shape ({S}, {A}), got {Ra.shape}")
    if ra.shape != (S,):
        raise ValueError(f"rho0 must have shape ({S},), got {ra.shape}")
    Pt = tuple(tuple(tuple(_rational(Pa[s, a, t], f"P[{s},{a},{t}]") for t in range(S)) for a in range(A))
               for s in range(S))
    Rm = sp.ImmutableMatrix(S, A, lambda s, a: _rational(Ra[s, a], f"R[{s},{a}]"))
    r0 = sp.ImmutableMatrix([_rational(ra[t], f"rho0[{t}]") for t in range(S)])
    mdp = SymbolicMDP(P=Pt, R=Rm, rho0=r0, gamma=_rational(gamma, "gamma"), symbols=(), values={})
    _validate_mdp(mdp)
    return mdp


def _random_simplex_rows(rng, n_rows: int, n: int, denominator: int) -> list:
    rows = []
    for _ in range(n_rows):
        k = rng.integers(1, denominator + 1, size=n)
        total = int(k.sum())
        rows.append([sp.Rational(int(ki), total) for ki in k])
    return rows


def _check_denominator(denominator) -> int:
    if isinstance(denominator, bool) or not isinstance(denominator, numbers.Integral) or denominator < 2:
        raise ValueError(f"denominator must be an integer >= 2, got {denominator!r}")
    return int(denominator)


def random_rational_mdp(S: int = 2, A: int = 2, rng=None, denominator: int = 10) -> SymbolicMDP:
    """A random MDP with exact Rational entries, drawn from ``np.random.default_rng(rng)``.

    Each row of ``P`` and ``rho0`` is ``k / sum(k)`` with integers ``k`` uniform in
    ``[1, denominator]`` (full support); ``R[s, a] = k / denominator`` with ``k`` uniform in
    ``[-denominator, denominator]``; ``gamma = k / denominator`` with ``k`` in ``[1, denominator - 1]``.
    """
    if isinstance(S, bool) or not isinstance(S, numbers.Integral) or S < 1:
        raise ValueError(f"S must be a positive integer, got {S!r}")
    if isinstance(A, bool) or not isinstance(A, numbers.Integral) or A < 1:
        raise ValueError(f"A must be a positive integer, got {A!r}")
    den = _check_denominator(denominator)
    rng = np.random.default_rng(rng)
    rows = _random_simplex_rows(rng, S * A, S, den)
    P = [[rows[s * A + a] for a in range(A)] for s in range(S)]
    R = [[sp.Rational(int(k), den) for k in rng.integers(-den, den + 1, size=A)] for _ in range(S)]
    rho0 = _random_simplex_rows(rng, 1, S, den)[0]
    gamma = sp.Rational(int(rng.integers(1, den)), den)
    return from_arrays(P, R, rho0, gamma)


def random_rational_policy(S: int = 2, A: int = 2, rng=None, denominator: int = 10) -> sp.ImmutableMatrix:
    """A random full-support policy with Rational entries ``k / sum(k)``, ``k`` uniform in
    ``[1, denominator]``, drawn from ``np.random.default_rng(rng)``."""
    den = _check_denominator(denominator)
    rng = np.random.default_rng(rng)
    return sp.ImmutableMatrix(_random_simplex_rows(rng, S, A, den))


# ============================================================================ policies
@dataclass(frozen=True, eq=False)
class SoftmaxPolicy:
    """Tabular softmax policy ``pi(a|s) = exp(theta[s, a]) / sum_b exp(theta[s, b])`` (THEORY.md §2).

    Attributes
    ----------
    pi : ImmutableMatrix (S, A), the policy as expressions in ``exp(theta)``.
    theta : ImmutableMatrix (S, A) of real Symbols ``{name}_{s,a}``.
    """

    pi: sp.ImmutableMatrix
    theta: sp.ImmutableMatrix

    @property
    def shape(self) -> tuple[int, int]:
        return self.pi.shape


def softmax_policy(S: int = 2, A: int = 2, name: str = "theta") -> SoftmaxPolicy:
    """Symbolic tabular softmax policy with parameter symbols ``{name}_{s,a}``."""
    if isinstance(S, bool) or not isinstance(S, numbers.Integral) or S < 1:
        raise ValueError(f"S must be a positive integer, got {S!r}")
    if isinstance(A, bool) or not isinstance(A, numbers.Integral) or A < 1:
        raise ValueError(f"A must be a positive integer, got {A!r}")
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    theta = sp.ImmutableMatrix(S, A, lambda s, a: sp.Symbol(f"{name}_{{{s},{a}}}", real=True))
    pi = sp.ImmutableMatrix(
        S, A, lambda s, a: sp.exp(theta[s, a]) / sp.Add(*[sp.exp(theta[s, b]) for b in range(A)])
    )
    return SoftmaxPolicy(pi=pi, theta=theta)


def simplex_policy(S: int = 2, A: int = 2, name: str = "x") -> sp.ImmutableMatrix:
    """A generic policy on the simplex: ``pi(a|s) = x_{s,a}`` for ``a < A-1`` and
    ``pi(A-1|s) = 1 - sum_{a<A-1} x_{s,a}`` (non-negative symbols)."""
    if isinstance(S, bool) or not isinstance(S, numbers.Integral) or S < 1:
        raise ValueError(f"S must be a positive integer, got {S!r}")
    if isinstance(A, bool) or not isinstance(A, numbers.Integral) or A < 1:
        raise ValueError(f"A must be a positive integer, got {A!r}")
    rows = []
    for s in range(S):
        xs = [sp.Symbol(f"{name}_{{{s},{a}}}", nonnegative=True) for a in range(A - 1)]
        rows.append(xs + [1 - sp.Add(*xs)])
    return sp.ImmutableMatrix(rows)


def _as_policy_matrix(pi, mdp: SymbolicMDP, name: str = "pi") -> sp.ImmutableMatrix:
    if isinstance(pi, SoftmaxPolicy):
        pi = pi.pi
    if isinstance(pi, sp.MatrixBase):
        M = sp.ImmutableMatrix(pi)
    else:
        arr = np.asarray(pi, dtype=object)
        if arr.ndim != 2:
            raise ValueError(f"{name} must be a 2-D (S, A) matrix, got shape {arr.shape}")
        M = sp.ImmutableMatrix(arr.shape[0], arr.shape[1],
                               lambda s, a: _rational(arr[s, a], f"{name}[{s},{a}]"))
    if M.shape != mdp.shape:
        raise ValueError(f"{name} has shape {M.shape}, expected {mdp.shape} to match the MDP")
    for s in range(M.shape[0]):
        for a in range(M.shape[1]):
            if M[s, a].is_number and M[s, a] < 0:
                raise ValueError(f"{name}[{s},{a}] = {M[s, a]} is negative")
        if not _row_sum_is_one(list(M.row(s))):
            raise ValueError(f"{name} row {s} does not sum to exactly 1: {list(M.row(s))}")
    return M


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
    """
    expr = sp.sympify(expr)
    dummies = {} if dummies is None else dummies
    atoms = sorted(expr.atoms(sp.exp), key=sp.default_sort_key)
    repl = {}
    for atom in atoms:
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
        else:
            if atom not in dummies:
                dummies[atom] = sp.Dummy(f"E_{atom}", positive=True)
            value = dummies[atom]
        repl[atom] = value
    mapping = {d: (sp.exp(k) if isinstance(k, sp.Symbol) else k) for k, d in dummies.items()}
    return (expr.xreplace(repl) if repl else expr), mapping


# ============================================================================ exact evaluation
@dataclass(frozen=True, eq=False)
class SymbolicEvaluation:
    """Exact quantities of a policy (THEORY.md §1), as sympy expressions.

    Attributes
    ----------
    pi : ImmutableMatrix (S, A).
    V : ImmutableMatrix (S, 1), ``V = (I - gamma P_pi)^{-1} r_pi``.
    Q : ImmutableMatrix (S, A), ``Q = R + gamma P V``.
    A : ImmutableMatrix (S, A), ``A = Q - V``.
    eta : expression, ``eta = rho0 . V``.
    rho : ImmutableMatrix (S, 1), unnormalized visitation ``rho = (I - gamma P_pi^T)^{-1} rho0``.
    d : ImmutableMatrix (S, 1), normalized ``d = (1 - gamma) rho``.
    P_pi : ImmutableMatrix (S, S); r_pi : ImmutableMatrix (S, 1); gamma : expression.
    method : ``"lu"`` or ``"fraction_free"``.
    """

    pi: sp.ImmutableMatrix
    V: sp.ImmutableMatrix
    Q: sp.ImmutableMatrix
    A: sp.ImmutableMatrix
    eta: sp.Expr
    rho: sp.ImmutableMatrix
    d: sp.ImmutableMatrix
    P_pi: sp.ImmutableMatrix
    r_pi: sp.ImmutableMatrix
    gamma: sp.Expr
    method: str


class _Frac:
    """``c * prod(num) / prod(den)``: a rational function kept as lists of polynomial factors.

    ``c`` is a rational constant; ``num`` and ``den`` are lists (with repetition) of non-constant
    polynomials with positive leading coefficient, in a ring ``QQ[gens]``. Products concatenate the
    lists and cancel identical factors; sums bring both terms over the least common multiple of the
    factor lists and expand the numerator into one polynomial. No polynomial gcd is ever computed,
    so the representation is not canonical, but it is exact: every factor is a non-zero polynomial,
    so the rational function is identically zero iff ``c == 0`` (an expanded numerator that is the
    zero polynomial sets ``c = 0``). "Identically zero" means zero as a rational function, i.e.
    wherever the denominators do not vanish (for the MDP quantities: wherever
    ``I - gamma P_pi`` is invertible, in particular for every ``0 <= gamma < 1``).
    """

    __slots__ = ("c", "num", "den")

    def __init__(self, c, num, den):
        self.c, self.num, self.den = c, num, den

    # ------------------------------------------------------------ construction
    @classmethod
    def make(cls, num=(), den=(), c=None, K=None):
        """Build from factor lists, normalizing constants and signs."""
        if K is None:
            K = num[0].ring if num else den[0].ring
        c = K.domain.one if c is None else c
        nf, df = [], []
        for f in num:
            if not f:
                return cls(K.domain.zero, [], [])
            c, f = cls._split(c, f, nf, +1)
        for f in den:
            if not f:
                raise ValueError("a denominator is identically zero (singular system)")
            c, f = cls._split(c, f, df, -1)
        return cls._cancel(c, nf, df)

    @staticmethod
    def _split(c, f, out, sign):
        if f.is_ground:
            lc = f.LC
            return (c * lc if sign > 0 else c / lc), None
        if f.LC < 0:
            f, c = -f, -c
        out.append(f)
        return c, f

    @classmethod
    def _cancel(cls, c, nf, df):
        if not c:
            return cls(c, [], [])
        nf = list(nf)
        rest = []
        for f in df:
            for i, g in enumerate(nf):
                if g == f:
                    del nf[i]
                    break
            else:
                rest.append(f)
        return cls(c, nf, rest)

    @staticmethod
    def _prod(factors, one):
        out = one
        for f in factors:
            out = out * f
        return out

    def _ring_one(self):
        fs = self.num or self.den
        return fs[0].ring.one if fs else None

    # ------------------------------------------------------------ arithmetic
    def __mul__(self, other):
        return _Frac._cancel(self.c * other.c, self.num + other.num, self.den + other.den)

    def __neg__(self):
        return _Frac(-self.c, self.num, self.den)

    def __sub__(self, other):
        return self + (-other)

    def __add__(self, other):
        if not other.c:
            return self
        if not self.c:
            return other
        lcm, miss_a, miss_b = _multiset_lcm(self.den, other.den)
        one = self._ring_one() or other._ring_one()
        if one is None:  # both are constants
            return _Frac(self.c + other.c, [], [])
        num = (self._prod(self.num + miss_a, one) * self.c
               + self._prod(other.num + miss_b, one) * other.c)
        return _Frac._from_sum(num, lcm)

    @classmethod
    def _from_sum(cls, num, den):
        """``num / prod(den)`` for an expanded numerator."""
        if not num:
            return cls(num.ring.domain.zero, [], [])
        return cls.make([num], den, K=num.ring)

    def scale(self, poly):
        return _Frac.make(self.num + [poly], self.den, c=self.c, K=poly.ring)

    def diff(self, x):
        """Exact derivative in the ring generator ``x``. Factors free of ``x`` stay as they are;
        for the product ``g = prod_i n_i / prod_u u^{m_u}`` of the factors that contain ``x``::

            g' = (N' prod_u u - N sum_u m_u u' prod_{v != u} v) / (prod_u u^{m_u} prod_u u)

        with ``N = prod_i n_i`` and ``N' = sum_i n_i' prod_{k != i} n_k`` (product rule)."""
        if not self.c:
            return self
        ring = x.ring
        one = ring.one
        dep_n = [f for f in self.num if f.degree(x) > 0]
        dep_d = [f for f in self.den if f.degree(x) > 0]
        if not dep_n and not dep_d:
            return _Frac(ring.domain.zero, [], [])
        indep_n = [f for f in self.num if f.degree(x) <= 0]
        indep_d = [f for f in self.den if f.degree(x) <= 0]
        N = self._prod(dep_n, one)
        dN = ring.zero
        for i, f in enumerate(dep_n):
            dN += f.diff(x) * self._prod(dep_n[:i] + dep_n[i + 1:], one)
        distinct = []
        for f in dep_d:
            if not any(f == g for g, _ in distinct):
                distinct.append((f, sum(1 for h in dep_d if h == f)))
        prod_u = self._prod([u for u, _ in distinct], one)
        dD = ring.zero
        for j, (u, m) in enumerate(distinct):
            dD += u.diff(x) * m * self._prod([v for k, (v, _) in enumerate(distinct) if k != j], one)
        num = dN * prod_u - N * dD
        if not num:
            return _Frac(ring.domain.zero, [], [])
        return _Frac.make([num] + indep_n, indep_d + dep_d + [u for u, _ in distinct], c=self.c, K=ring)

    def compose(self, pairs):
        K = pairs[0][0].ring
        return _Frac.make([f.compose(pairs) for f in self.num], [f.compose(pairs) for f in self.den],
                          c=self.c, K=K)

    def is_zero(self) -> bool:
        return not self.c

    def to_sympy(self, K, back: dict):
        if not self.c:
            return sp.Integer(0)
        num = sp.Mul(K.domain.to_sympy(self.c), *[K.to_sympy(f) for f in self.num])
        den = sp.Mul(*[K.to_sympy(f) for f in self.den])
        return (num / den).xreplace(back)


def _multiset_lcm(a, b):
    """LCM of two factor multisets; returns (lcm, factors missing from a, factors missing from b)."""
    b_left = list(b)
    common = []
    only_a = []
    for f in a:
        for i, g in enumerate(b_left):
            if g == f:
                del b_left[i]
                common.append(f)
                break
        else:
            only_a.append(f)
    lcm = common + only_a + b_left
    return lcm, b_left, only_a


def _fsum(items, zero):
    out = zero
    for x in items:
        out = out + x
    return out


class _Ring:
    """The ring ``QQ[gens]`` shared by an MDP and some policies, with ``exp`` atoms as generators."""

    def __init__(self, mdp: SymbolicMDP, *policies):
        dummies = {}
        pols = []
        for pi in policies:
            pi2, _ = exp_to_symbols(pi, dummies)
            pols.append(sp.ImmutableMatrix(pi2))
        back = {d: (sp.exp(k) if isinstance(k, sp.Symbol) else k) for k, d in dummies.items()}
        fwd = {e: d for d, e in back.items()}
        syms = set(mdp.free_symbols)
        for p in pols:
            syms |= p.free_symbols
        gens = sorted(syms, key=sp.default_sort_key)
        if not gens:
            gens = [sp.Dummy("unused")]
        self.K = QQ[tuple(gens)]
        self.back = back  # Dummy -> exp(theta)
        self.fwd = fwd  # exp(theta) -> Dummy
        self.policies = pols
        self.mdp = mdp

    def poly(self, expr, what: str):
        try:
            return self.K.from_sympy(sp.expand(sp.sympify(expr)))
        except (CoercionFailed, GeneratorsError, TypeError, ValueError):
            raise ValueError(f"{what} = {expr} is not a polynomial in the MDP's symbols; the "
                             "fraction_free method needs polynomial P, R, rho0 and gamma") from None

    def gen(self, x):
        """The ring generator for a symbol, or for ``exp(theta)``."""
        x = self.fwd.get(x, x)
        return self.K.from_sympy(x)

    def fraction(self, expr, what: str):
        """``(numerator, denominator)`` polynomials of a rational expression."""
        n, d = sp.fraction(sp.together(sp.sympify(expr)))
        return self.poly(n, what), self.poly(d, what)

    def zero(self):
        return _Frac(QQ.zero, [], [])

    def to_sympy(self, f: _Frac):
        return f.to_sympy(self.K, self.back)


def _ff_evaluate(ring: _Ring, pi) -> dict:
    """Fraction-free exact evaluation in ``ring`` of a policy ``pi`` (expressions in ring symbols).

    With ``pi(a|s) = N[s, a] / Z[s]`` (one common denominator per state), the Bellman system
    ``(I - gamma P_pi) V = r_pi`` multiplied by ``diag(Z)`` is ``M V = b`` with the polynomial
    ``M[s, t] = Z[s] delta_{st} - gamma sum_a N[s, a] P[s, a, t]`` and ``b[s] = sum_a N[s, a] R[s, a]``.
    Since ``I - gamma P_pi = diag(Z)^{-1} M``, the visitation equation
    ``(I - gamma P_pi)^T rho = rho0`` is ``M^T u = rho0`` with ``rho = diag(Z) u``.
    Both polynomial systems are solved by fraction-free elimination (``DomainMatrix.solve_den``).
    """
    mdp = ring.mdp
    K = ring.K
    S, A = mdp.shape
    Z, N = [], []
    for s in range(S):
        fr = [ring.fraction(pi[s, a], f"pi[{s},{a}]") for a in range(A)]
        z = fr[0][1]
        for _, d in fr[1:]:
            z = z.lcm(d)
        Z.append(z)
        N.append([n * z.exquo(d) for n, d in fr])
        if sum(N[s], K.zero) != z:
            raise ValueError(f"pi row {s} does not sum to exactly 1")
    P = [[[ring.poly(mdp.P[s][a][t], f"P[{s}][{a}][{t}]") for t in range(S)] for a in range(A)] for s in range(S)]
    R = [[ring.poly(mdp.R[s, a], f"R[{s},{a}]") for a in range(A)] for s in range(S)]
    rho0 = [ring.poly(mdp.rho0[t], f"rho0[{t}]") for t in range(S)]
    g = ring.poly(mdp.gamma, "gamma")
    M = [[(Z[s] if s == t else K.zero) - g * sum((N[s][a] * P[s][a][t] for a in range(A)), K.zero)
          for t in range(S)] for s in range(S)]
    b = [sum((N[s][a] * R[s][a] for a in range(A)), K.zero) for s in range(S)]
    Md = DomainMatrix(M, (S, S), K)
    Vn, dV = Md.solve_den(DomainMatrix([[x] for x in b], (S, 1), K))
    un, du = Md.transpose().solve_den(DomainMatrix([[x] for x in rho0], (S, 1), K))
    Vn = [row[0] for row in Vn.to_list()]
    un = [row[0] for row in un.to_list()]
    if not dV or not du:
        raise ValueError("I - gamma P_pi is singular (gamma = 1?)")
    F = _Frac.make
    V = [F([Vn[s]], [dV], K=K) for s in range(S)]
    rho = [F([Z[s], un[s]], [du], K=K) for s in range(S)]  # rho = diag(Z) u
    # Q = R + gamma P V over the common denominator dV
    Qn = [[R[s][a] * dV + g * sum((P[s][a][t] * Vn[t] for t in range(S)), K.zero) for a in range(A)]
          for s in range(S)]
    Q = [[F([Qn[s][a]], [dV], K=K) for a in range(A)] for s in range(S)]
    Adv = [[F([Qn[s][a] - Vn[s]], [dV], K=K) for a in range(A)] for s in range(S)]  # A = Q - V
    eta = F([sum((rho0[t] * Vn[t] for t in range(S)), K.zero)], [dV], K=K)  # eta = rho0 . V
    pi_f = [[F([N[s][a]], [Z[s]], K=K) for a in range(A)] for s in range(S)]
    P_pi = [[F([sum((N[s][a] * P[s][a][t] for a in range(A)), K.zero)], [Z[s]], K=K) for t in range(S)]
            for s in range(S)]
    r_pi = [F([b[s]], [Z[s]], K=K) for s in range(S)]
    return dict(pi=pi_f, V=V, Q=Q, A=Adv, eta=eta, rho=rho, P_pi=P_pi, r_pi=r_pi, g=g, S=S, A_=A)


def _ff_to_evaluation(ring: _Ring, ev: dict, pi) -> SymbolicEvaluation:
    S, A = ev["S"], ev["A_"]
    ts = ring.to_sympy
    V = sp.ImmutableMatrix([ts(x) for x in ev["V"]])
    rho = sp.ImmutableMatrix([ts(x) for x in ev["rho"]])
    gamma = ring.mdp.gamma
    return SymbolicEvaluation(
        pi=sp.ImmutableMatrix(pi), V=V,
        Q=sp.ImmutableMatrix(S, A, lambda s, a: ts(ev["Q"][s][a])),
        A=sp.ImmutableMatrix(S, A, lambda s, a: ts(ev["A"][s][a])),
        eta=ts(ev["eta"]), rho=rho, d=sp.ImmutableMatrix((1 - gamma) * rho),
        P_pi=sp.ImmutableMatrix(S, S, lambda s, t: ts(ev["P_pi"][s][t])),
        r_pi=sp.ImmutableMatrix([ts(x) for x in ev["r_pi"]]),
        gamma=gamma, method="fraction_free",
    )


def evaluate_symbolic(mdp: SymbolicMDP, pi, *, method: str = "lu", simplify: bool = False) -> SymbolicEvaluation:
    """Exact ``V, Q, A, eta, rho`` of ``pi`` in ``mdp`` (THEORY.md §1).

    ``V = (I - gamma P_pi)^{-1} r_pi``, ``Q = R + gamma P V``, ``A = Q - V``, ``eta = rho0 . V`` and
    the unnormalized visitation ``rho = (I - gamma P_pi^T)^{-1} rho0`` (``sum rho = 1/(1-gamma)``),
    ``d = (1 - gamma) rho``. Linear systems are solved, never inverted.

    Parameters
    ----------
    mdp : SymbolicMDP
    pi : SoftmaxPolicy, sympy Matrix (S, A) or array of rationals
        Rows must sum to exactly 1.
    method : {"lu", "fraction_free"}
        ``"lu"``: sympy ``LUsolve`` (works for any entries). ``"fraction_free"``: polynomial-ring
        elimination (needs entries that are polynomials in the symbols and a policy that is a rational
        function of its symbols and of ``exp`` atoms); results are ``numerator / denominator``.
    simplify : bool
        Apply ``sympy.cancel`` to every entry (can be slow for fully symbolic inputs).
    """
    if not isinstance(mdp, SymbolicMDP):
        raise ValueError(f"mdp must be a SymbolicMDP, got {type(mdp).__name__}")
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    pi = _as_policy_matrix(pi, mdp)
    S, A = mdp.shape
    if method == "fraction_free":
        ring = _Ring(mdp, pi)
        ev = _ff_to_evaluation(ring, _ff_evaluate(ring, ring.policies[0]), pi)
    else:
        gamma = mdp.gamma
        P_pi = mdp.policy_transition(pi)
        r_pi = mdp.policy_reward(pi)
        M = sp.eye(S) - gamma * P_pi
        V = M.LUsolve(r_pi)  # Bellman equation
        rho = M.T.LUsolve(sp.Matrix(mdp.rho0))  # rho = (I - gamma P_pi^T)^{-1} rho0
        Q = sp.Matrix(S, A, lambda s, a: mdp.R[s, a]
                      + gamma * sp.Add(*[mdp.P[s][a][t] * V[t] for t in range(S)]))
        Adv = sp.Matrix(S, A, lambda s, a: Q[s, a] - V[s])
        eta = (sp.Matrix(mdp.rho0).T * V)[0, 0]
        ev = SymbolicEvaluation(
            pi=pi, V=sp.ImmutableMatrix(V), Q=sp.ImmutableMatrix(Q), A=sp.ImmutableMatrix(Adv),
            eta=eta, rho=sp.ImmutableMatrix(rho), d=sp.ImmutableMatrix((1 - gamma) * rho),
            P_pi=sp.ImmutableMatrix(P_pi), r_pi=sp.ImmutableMatrix(r_pi), gamma=gamma, method="lu",
        )
    if simplify:
        c = sp.cancel
        ev = SymbolicEvaluation(
            pi=ev.pi, V=ev.V.applyfunc(c), Q=ev.Q.applyfunc(c), A=ev.A.applyfunc(c), eta=c(ev.eta),
            rho=ev.rho.applyfunc(c), d=ev.d.applyfunc(c), P_pi=ev.P_pi.applyfunc(c),
            r_pi=ev.r_pi.applyfunc(c), gamma=ev.gamma, method=ev.method,
        )
    return ev


def surrogate_symbolic(mdp: SymbolicMDP, pi, pi_new, *, ev: SymbolicEvaluation | None = None,
                       method: str = "lu") -> sp.Expr:
    """The surrogate ``L_pi(pi_new)``, Eq. (3) of [TRPO]::

        L_pi(pi_new) = eta(pi) + sum_s rho_pi(s) sum_a pi_new(a|s) A_pi(s, a)

    with the unnormalized visitation ``rho_pi`` of the old policy. ``ev`` may pass
    ``evaluate_symbolic(mdp, pi)``; ``method`` is passed to :func:`evaluate_symbolic` otherwise.
    """
    pi_new = _as_policy_matrix(pi_new, mdp, "pi_new")
    if ev is None:
        ev = evaluate_symbolic(mdp, pi, method=method)
    S, A = mdp.shape
    return ev.eta + sp.Add(*[ev.rho[s] * pi_new[s, a] * ev.A[s, a]  # Eq. (3)
                             for s in range(S) for a in range(A)])


# ============================================================================ identities
def _default_mdp(mdp):
    if mdp is None:
        return symbolic_mdp()
    if not isinstance(mdp, SymbolicMDP):
        raise ValueError(f"mdp must be a SymbolicMDP or None, got {type(mdp).__name__}")
    return mdp


def _surrogate_terms(ev_old: dict, pi_new_f) -> list:
    """The terms of ``L_pi(pi_new) = eta(pi) + sum_s rho_pi(s) sum_a pi_new(a|s) A_pi(s, a)``
    (Eq. 3) as ring fractions (kept apart so that derivatives can be taken term by term)."""
    S, A = ev_old["S"], ev_old["A_"]
    return [ev_old["eta"]] + [ev_old["rho"][s] * pi_new_f[s][a] * ev_old["A"][s][a]  # Eq. (3)
                              for s in range(S) for a in range(A)]


def prove_surrogate_matches_eta(mdp: SymbolicMDP | None = None, policy=None) -> sp.Expr:
    """``L_{pi_theta0}(pi_theta0) - eta(pi_theta0)`` (first half of Eq. (4) of [TRPO]); exactly 0.

    By Eq. (3) the difference is ``sum_s rho(s) sum_a pi(a|s) A_pi(s, a)``, which vanishes because
    ``sum_a pi(a|s) A_pi(s, a) = r_pi + gamma P_pi V - V = 0`` (Bellman). Computed exactly with the
    fraction-free method in the ring ``QQ[P, R, rho0, gamma, exp(theta0)]``.

    Parameters
    ----------
    mdp : SymbolicMDP, optional
        Default :func:`symbolic_mdp` ``()``: fully symbolic P, R, rho0 and gamma (S = A = 2).
    policy : SoftmaxPolicy or Matrix, optional
        Default ``softmax_policy(S, A, "theta0")`` with symbolic ``theta0``.

    Returns
    -------
    sympy expression
        ``numerator / denominator`` of the exact difference (sympy reduces ``0 / den`` to ``0``).
    """
    mdp = _default_mdp(mdp)
    S, A = mdp.shape
    pi = _as_policy_matrix(softmax_policy(S, A, "theta0") if policy is None else policy, mdp, "policy")
    ring = _Ring(mdp, pi)
    ev = _ff_evaluate(ring, ring.policies[0])
    diff = _fsum(_surrogate_terms(ev, ev["pi"]), ring.zero()) - ev["eta"]  # Eq. (4), first half
    return ring.to_sympy(diff)


def _softmax_ring_derivatives(ring: _Ring, policy: SoftmaxPolicy):
    """Ring generators ``E[s][a] = exp(theta[s, a])``; ``d/dtheta = E d/dE``."""
    S, A = policy.shape
    return [[ring.gen(sp.exp(policy.theta[s, a])) for a in range(A)] for s in range(S)]


def prove_first_order_match(mdp: SymbolicMDP | None = None) -> list:
    """Eq. (4) of [TRPO]: ``dL_{pi_theta0}(pi_theta)/dtheta - d eta(pi_theta)/dtheta`` at ``theta0``.

    ``L_{pi_theta0}(pi_theta) = eta(pi_theta0) + sum_s rho_0(s) sum_a pi_theta(a|s) A_0(s, a)``
    (Eq. (3)) with ``rho_0, A_0`` of the fixed policy ``pi_theta0``. Both ``L`` and
    ``eta(pi_theta)`` are computed exactly as rational functions of ``E = exp(theta)`` and
    ``E0 = exp(theta0)`` (fraction-free method); each is differentiated by the chain rule
    ``d/dtheta[s,a] = E[s,a] d/dE[s,a]``, then ``E = E0`` is substituted.

    What is symbolic: everything. With the default ``mdp`` (``symbolic_mdp()``) P (one symbol per
    row), R, rho0 = (q, 1-q), gamma and all softmax parameters ``theta0[s, a]`` are free symbols;
    this takes well under a second. Any other :class:`SymbolicMDP` (e.g. ``symbolic_mdp(2, 3)`` or a
    rational one) may be passed.

    Returns
    -------
    list of sympy expressions
        One per parameter ``theta[s, a]`` in row-major order, each exactly 0.
    """
    mdp = _default_mdp(mdp)
    S, A = mdp.shape
    old = softmax_policy(S, A, "theta0")
    new = softmax_policy(S, A, "theta")
    ring = _Ring(mdp, old.pi, new.pi)
    ev0 = _ff_evaluate(ring, ring.policies[0])
    evn = _ff_evaluate(ring, ring.policies[1])
    E0 = _softmax_ring_derivatives(ring, old)
    E = _softmax_ring_derivatives(ring, new)
    at_old = [(E[s][a], E0[s][a]) for s in range(S) for a in range(A)]
    L_terms = _surrogate_terms(ev0, evn["pi"])  # L_{pi_theta0}(pi_theta), Eq. (3)
    out = []
    for s in range(S):
        for a in range(A):
            dL = _fsum((t.diff(E[s][a]).scale(E[s][a]).compose(at_old) for t in L_terms), ring.zero())
            deta = evn["eta"].diff(E[s][a]).scale(E[s][a]).compose(at_old)
            out.append(ring.to_sympy(dL - deta))  # Eq. (4), second half
    return out


@dataclass(frozen=True, eq=False)
class SoftmaxGradient:
    """Exact gradient of ``eta(pi_theta)`` for a tabular softmax policy (THEORY.md §2).

    Attributes
    ----------
    theta : ImmutableMatrix (S, A) of parameter symbols.
    grad : ImmutableMatrix (S, A), ``d eta / d theta[s, a]`` by differentiation.
    closed_form : ImmutableMatrix (S, A), ``rho_pi(s) pi(a|s) A_pi(s, a)``.
    difference : ImmutableMatrix (S, A), ``grad - closed_form`` computed exactly (all zeros).
    """

    theta: sp.ImmutableMatrix
    grad: sp.ImmutableMatrix
    closed_form: sp.ImmutableMatrix
    difference: sp.ImmutableMatrix


def eta_gradient_symbolic(mdp: SymbolicMDP | None = None, policy: SoftmaxPolicy | None = None) -> SoftmaxGradient:
    """``d eta(pi_theta) / d theta[s, a]`` and the closed form ``rho_pi(s) pi(a|s) A_pi(s, a)``.

    THEORY.md §2: for softmax parameters ``d eta / d theta[s, a] = rho_pi(s) pi(a|s) A_pi(s, a)``
    (``= d_pi(s) pi A / (1 - gamma)``). ``eta`` is computed exactly (fraction-free) as a rational
    function of ``E = exp(theta)`` and differentiated by ``d/dtheta = E d/dE``. Expressions are
    returned in ``exp(theta)``. Defaults: fully symbolic ``symbolic_mdp()`` and
    ``softmax_policy(S, A)``.
    """
    mdp = _default_mdp(mdp)
    S, A = mdp.shape
    policy = softmax_policy(S, A) if policy is None else policy
    if not isinstance(policy, SoftmaxPolicy):
        raise ValueError(f"policy must be a SoftmaxPolicy, got {type(policy).__name__}")
    _as_policy_matrix(policy, mdp, "policy")
    ring = _Ring(mdp, policy.pi)
    ev = _ff_evaluate(ring, ring.policies[0])
    E = _softmax_ring_derivatives(ring, policy)
    grad = [[ev["eta"].diff(E[s][a]).scale(E[s][a]) for a in range(A)] for s in range(S)]
    closed = [[ev["rho"][s] * ev["pi"][s][a] * ev["A"][s][a] for a in range(A)] for s in range(S)]
    ts = ring.to_sympy
    return SoftmaxGradient(
        theta=policy.theta,
        grad=sp.ImmutableMatrix(S, A, lambda s, a: ts(grad[s][a])),
        closed_form=sp.ImmutableMatrix(S, A, lambda s, a: ts(closed[s][a])),
        difference=sp.ImmutableMatrix(S, A, lambda s, a: ts(grad[s][a] - closed[s][a])),
    )


# ============================================================================ Fisher = KL Hessian
@dataclass(frozen=True, eq=False)
class KLHessianFisher:
    """Hessian of the weighted KL and the Fisher matrix (THEORY.md §2).

    Attributes
    ----------
    theta, theta_old : ImmutableMatrix (S, A) of symbols.
    pi_old : ImmutableMatrix (S, A), the softmax policy at ``theta_old``.
    weights : ImmutableMatrix (S, 1), state weights ``w(s)`` (``1`` when ``S = 1``).
    kl : expression, ``sum_s w(s) KL(pi_old(.|s) || pi_theta(.|s))``.
    hessian : ImmutableMatrix (S*A, S*A), Hessian of ``kl`` in ``theta`` (row-major flattening) at
        ``theta = theta_old``.
    fisher : ImmutableMatrix (S*A, S*A), block-diagonal, block ``s`` = ``w(s) (diag pi_s - pi_s pi_s^T)``.
    """

    theta: sp.ImmutableMatrix
    theta_old: sp.ImmutableMatrix
    pi_old: sp.ImmutableMatrix
    weights: sp.ImmutableMatrix
    kl: sp.Expr
    hessian: sp.ImmutableMatrix
    fisher: sp.ImmutableMatrix


def fisher_from_kl_hessian(A: int = 2, S: int = 1) -> KLHessianFisher:
    """Hessian at ``theta_old`` of ``sum_s w(s) KL(pi_old(.|s) || pi_theta(.|s))`` and the Fisher matrix.

    THEORY.md §2: for a tabular softmax policy the Hessian in ``theta`` at ``theta = theta_old`` of
    the weighted KL(pi_old || pi_theta) of [TRPO] (Eq. 9, 11, 12) is block-diagonal with block
    ``w(s) (diag pi_s - pi_s pi_s^T)``, each block singular (rank A - 1, null vector ``1``).

    ``S = 1`` gives the single-state case with weight 1; ``S > 1`` uses positive weight symbols
    ``w_s``. The Hessian is computed by sympy differentiation of
    ``KL = sum_a pi_old(a) (log pi_old(a) - log pi_theta(a))``.
    """
    if isinstance(A, bool) or not isinstance(A, numbers.Integral) or A < 1:
        raise ValueError(f"A must be a positive integer, got {A!r}")
    if isinstance(S, bool) or not isinstance(S, numbers.Integral) or S < 1:
        raise ValueError(f"S must be a positive integer, got {S!r}")
    new = softmax_policy(S, A, "theta")
    old = softmax_policy(S, A, "theta_old")
    if S == 1:
        w = sp.ImmutableMatrix([sp.Integer(1)])
    else:
        w = sp.ImmutableMatrix([sp.Symbol(f"w_{{{s}}}", positive=True) for s in range(S)])
    kl = sp.Add(*[w[s] * old.pi[s, a] * (sp.log(old.pi[s, a]) - sp.log(new.pi[s, a]))
                  for s in range(S) for a in range(A)])
    flat = [new.theta[s, a] for s in range(S) for a in range(A)]
    at_old = {new.theta[s, a]: old.theta[s, a] for s in range(S) for a in range(A)}
    grad = [sp.diff(kl, x) for x in flat]
    n = S * A
    H = sp.Matrix(n, n, lambda i, j: sp.diff(grad[i], flat[j]).subs(at_old))
    F = sp.zeros(n, n)
    for s in range(S):
        p = old.pi.row(s).T
        block = w[s] * (sp.diag(*p) - p * p.T)  # THEORY.md §2: Fisher block
        F[s * A:(s + 1) * A, s * A:(s + 1) * A] = block
    return KLHessianFisher(theta=new.theta, theta_old=old.theta, pi_old=old.pi, weights=w, kl=kl,
                           hessian=sp.ImmutableMatrix(H), fisher=sp.ImmutableMatrix(F))


# ============================================================================ CPI step size
@dataclass(frozen=True, eq=False)
class CPIStep:
    """The step size maximizing the CPI lower bound, Eq. (6) of [TRPO] (THEORY.md §3).

    Attributes
    ----------
    alpha, Abar, eps, gamma : Symbols (``Abar`` = 𝔸', ``eps`` = eps', both positive; 0 < gamma < 1).
    f : ``alpha Abar - 2 eps gamma alpha^2 / (1 - gamma)^2``, the guaranteed gain
        ``L_pi(pi_new) - eta(pi) - penalty`` of Eq. (6) for the mixture ``(1 - alpha) pi + alpha pi'``.
    f_prime, f_second : first and second derivatives in ``alpha``.
    alpha_star : the unique root of ``f_prime`` (unconstrained maximizer).
    gain : ``f(alpha_star)``.
    alpha_star_clipped : ``Min(1, alpha_star)``, the maximizer over ``alpha`` in [0, 1].
    concave : bool, whether ``f_second < 0`` was proved for all ``0 < gamma < 1``, ``eps > 0``.
    """

    alpha: sp.Symbol
    Abar: sp.Symbol
    eps: sp.Symbol
    gamma: sp.Symbol
    f: sp.Expr
    f_prime: sp.Expr
    f_second: sp.Expr
    alpha_star: sp.Expr
    gain: sp.Expr
    alpha_star_clipped: sp.Expr
    concave: bool


def cpi_alpha_star() -> CPIStep:
    """Derive the step ``alpha*`` maximizing the bound of Eq. (6) of [TRPO].

    For ``pi_new = (1 - alpha) pi + alpha pi'``, ``L_pi(pi_new) - eta(pi) = alpha 𝔸'`` with
    ``𝔸' = sum_s rho_pi(s) sum_a pi'(a|s) A_pi(s, a)``, so Eq. (6) guarantees
    ``eta(pi_new) - eta(pi) >= f(alpha) = alpha 𝔸' - 2 eps' gamma alpha^2 / (1 - gamma)^2``.
    Solving ``f'(alpha) = 0``: ``alpha* = (1 - gamma)^2 𝔸' / (4 gamma eps')`` with gain
    ``f(alpha*) = (1 - gamma)^2 𝔸'^2 / (8 gamma eps')`` (THEORY.md §3). ``f'' < 0`` is proved
    by writing ``gamma = 1 / (1 + k)`` with ``k > 0``.
    """
    alpha = sp.Symbol("alpha", nonnegative=True)
    Abar = sp.Symbol("Abar", positive=True)
    eps = sp.Symbol("epsilon", positive=True)
    gamma = sp.Symbol("gamma", positive=True)
    f = alpha * Abar - 2 * eps * gamma * alpha ** 2 / (1 - gamma) ** 2  # Eq. (6) with L - eta = alpha Abar
    f1 = sp.diff(f, alpha)
    f2 = sp.diff(f, alpha, 2)
    roots = sp.solve(sp.Eq(f1, 0), alpha)
    if len(roots) != 1:
        raise ValueError(f"expected one stationary point of f, got {roots}")  # pragma: no cover
    alpha_star = sp.factor(roots[0])
    gain = sp.factor(sp.cancel(f.subs(alpha, alpha_star)))
    k = sp.Symbol("k", positive=True)  # gamma = 1/(1+k) ranges over (0, 1) as k ranges over (0, inf)
    concave = bool(sp.cancel(f2.subs(gamma, 1 / (1 + k))).is_negative)
    return CPIStep(alpha=alpha, Abar=Abar, eps=eps, gamma=gamma, f=f, f_prime=f1, f_second=f2,
                   alpha_star=alpha_star, gain=gain, alpha_star_clipped=sp.Min(1, alpha_star),
                   concave=concave)


# ============================================================================ exact rational check
@dataclass(frozen=True, eq=False)
class RationalCheck:
    """Exact rational values of a random MDP and policy pair, and the residuals of the identities.

    Every residual is an exact sympy Rational and must be exactly ``0``.

    Attributes
    ----------
    mdp : SymbolicMDP (Rational entries); pi, pi_new : ImmutableMatrix (S, A).
    ev, ev_new : SymbolicEvaluation of ``pi`` and ``pi_new`` (method "lu").
    eta, eta_new : Rationals; L : ``L_pi(pi_new)`` (Eq. 3).
    rho_sum : ``sum_s rho_pi(s) - 1/(1-gamma)``.
    surrogate_at_pi : ``L_pi(pi) - eta(pi)`` (Eq. 4, first half).
    eq2 : ``eta(pi_new) - eta(pi) - sum_s rho_new(s) sum_a pi_new(a|s) A_pi(s, a)`` (Eq. 2).
    reverse : ``eta(pi_new) - eta(pi) + sum_s rho_pi(s) sum_a pi(a|s) A_new(s, a)`` (THEORY.md §2).
    advantage_sum : tuple, ``sum_a pi(a|s) A_pi(s, a)`` for each state.
    eta_visitation : ``eta(pi) - sum_s rho_pi(s) sum_a pi(a|s) R(s, a)``.
    """

    mdp: SymbolicMDP
    pi: sp.ImmutableMatrix
    pi_new: sp.ImmutableMatrix
    ev: SymbolicEvaluation
    ev_new: SymbolicEvaluation
    eta: sp.Expr
    eta_new: sp.Expr
    L: sp.Expr
    rho_sum: sp.Expr
    surrogate_at_pi: sp.Expr
    eq2: sp.Expr
    reverse: sp.Expr
    advantage_sum: tuple
    eta_visitation: sp.Expr

    @property
    def residuals(self) -> dict:
        """All residuals by name (``advantage_sum`` flattened as ``advantage_sum[s]``)."""
        out = {"rho_sum": self.rho_sum, "surrogate_at_pi": self.surrogate_at_pi, "eq2": self.eq2,
               "reverse": self.reverse, "eta_visitation": self.eta_visitation}
        out.update({f"advantage_sum[{s}]": x for s, x in enumerate(self.advantage_sum)})
        return out

    @property
    def all_zero(self) -> bool:
        """Whether every residual is exactly (sympy ``==``) zero."""
        return all(x == 0 for x in self.residuals.values())


def exact_rational_check(seed=0, *, S: int = 2, A: int = 2, denominator: int = 10) -> RationalCheck:
    """Evaluate a random Rational MDP and policy pair exactly and return the identity residuals.

    ``seed`` is passed to ``np.random.default_rng`` (an int, a Generator or None), which draws the
    MDP (:func:`random_rational_mdp`) and two full-support policies (:func:`random_rational_policy`),
    all with exact sympy Rationals. Checked identities (THEORY.md §1-2): ``sum rho = 1/(1-gamma)``,
    ``L_pi(pi) = eta(pi)`` (Eq. 4), Eq. (2), the reverse form, ``sum_a pi A_pi = 0`` and
    ``eta = sum_s rho(s) sum_a pi(a|s) R(s, a)``.
    """
    rng = np.random.default_rng(seed)
    mdp = random_rational_mdp(S, A, rng, denominator)
    pi = random_rational_policy(S, A, rng, denominator)
    pi_new = random_rational_policy(S, A, rng, denominator)
    ev = evaluate_symbolic(mdp, pi)
    ev_new = evaluate_symbolic(mdp, pi_new)
    g = mdp.gamma
    L = surrogate_symbolic(mdp, pi, pi_new, ev=ev)  # Eq. (3)
    L_same = surrogate_symbolic(mdp, pi, pi, ev=ev)
    eq2_sum = sp.Add(*[ev_new.rho[s] * pi_new[s, a] * ev.A[s, a] for s in range(S) for a in range(A)])
    rev_sum = sp.Add(*[ev.rho[s] * pi[s, a] * ev_new.A[s, a] for s in range(S) for a in range(A)])
    vis = sp.Add(*[ev.rho[s] * pi[s, a] * mdp.R[s, a] for s in range(S) for a in range(A)])
    return RationalCheck(
        mdp=mdp, pi=pi, pi_new=pi_new, ev=ev, ev_new=ev_new, eta=ev.eta, eta_new=ev_new.eta, L=L,
        rho_sum=sp.Add(*ev.rho) - 1 / (1 - g),
        surrogate_at_pi=L_same - ev.eta,
        eq2=ev_new.eta - ev.eta - eq2_sum,  # Eq. (2)
        reverse=ev_new.eta - ev.eta + rev_sum,
        advantage_sum=tuple(sp.Add(*[pi[s, a] * ev.A[s, a] for a in range(A)]) for s in range(S)),
        eta_visitation=ev.eta - vis,
    )


# ============================================================================ numeric bridges
def to_tabular(mdp: SymbolicMDP, values: dict | None = None) -> MDP:
    """The float :class:`tabular.MDP` of ``mdp`` after substituting ``values`` (must leave no symbol)."""
    m = mdp.subs(values) if values else mdp
    free = m.free_symbols
    if free:
        raise ValueError(f"values leave free symbols {sorted(map(str, free))}; give a value for each")
    S, A = m.shape
    P = np.array([[[float(m.P[s][a][t]) for t in range(S)] for a in range(A)] for s in range(S)])
    R = np.array([[float(m.R[s, a]) for a in range(A)] for s in range(S)])
    rho0 = np.array([float(x) for x in m.rho0])
    return MDP(P, R, rho0, float(m.gamma))


def to_float(expr, values: dict | None = None, precision: int = 30):
    """Evaluate a sympy expression or matrix to float(s) after substituting ``values``.

    Evaluated with ``precision`` significant digits (``evalf``) before rounding to float; a matrix
    gives an ndarray of its shape. Raises ``ValueError`` if a symbol remains free or a value is not
    finite.
    """
    values = values or {}
    if isinstance(expr, sp.MatrixBase):
        return np.array([[to_float(x, values, precision) for x in expr.row(i)] for i in range(expr.rows)])
    e = sp.sympify(expr).xreplace({k: _rational(v, str(k)) if not isinstance(v, sp.Basic) else v
                                   for k, v in values.items()})
    if e.free_symbols:
        raise ValueError(f"expression still has free symbols {sorted(map(str, e.free_symbols))}")
    val = complex(e.evalf(precision))
    if val.imag != 0 or not np.isfinite(val.real):
        raise ValueError(f"expression evaluates to {val}, not a finite real number")
    return val.real

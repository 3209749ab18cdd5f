"""A finite MDP with sympy entries (THEORY.md §1): construction, validation, random rational
instances and the bridge to the float :class:`tabular.MDP`.

Everything is exact: entries are sympy symbols, expressions of them, or ``Rational`` numbers, and
"sums to one" means exactly one (:func:`~bounds.symbolic.exact.sums_to_one`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from tabular import MDP
from tabular.validation import check_int

from .exact import as_rational, sums_to_one

__all__ = [
    "SymbolicMDP",
    "symbolic_mdp",
    "from_arrays",
    "random_rational_mdp",
    "random_rational_policy",
    "to_tabular",
    "check_size",
]


# ============================================================================ checks
def check_size(n, name: str, lo: int = 1) -> int:
    """Validate a size (a number of states or actions, a denominator): an integer ``>= lo``.

    The test is :func:`tabular.validation.check_int`; the error is kept from this module's history:
    a non-integer (``1.5``, ``True``, ``"2"``) raises ``ValueError`` here, not ``TypeError``, like
    every other bad argument of :mod:`bounds.symbolic`, with one message for both failures
    (``"S must be an integer >= 1, got 1.5"``).

    Examples
    --------
    >>> from bounds.symbolic.model import check_size
    >>> print(check_size(3, "S"))
    3
    >>> try:
    ...     check_size(0, "S")
    ... except ValueError as err:
    ...     print(err)
    S must be an integer >= 1, got 0
    """
    try:
        return check_int(n, name, lo=lo)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an integer >= {lo}, got {n!r}") from None


def _check_probability(x, name: str) -> None:
    """An exact test that a numeric entry lies in [0, 1] (symbolic entries pass)."""
    if x.is_number and (x < 0 or x > 1):
        raise ValueError(f"{name} must lie in [0, 1], got {x}")


def _check_gamma(gamma) -> None:
    """An exact test that a numeric discount lies in [0, 1) (a symbolic one passes).

    Not :func:`tabular.validation.check_gamma`: that one rounds to float (so ``1 - 10**-20`` would
    fail) and rejects symbols.
    """
    if gamma.is_number and not (0 <= gamma < 1):
        raise ValueError(f"gamma must lie in [0, 1), got {gamma}")


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

    Examples
    --------
    >>> from bounds.symbolic import SymbolicMDP, symbolic_mdp
    >>> mdp = symbolic_mdp(2, 2)
    >>> print(isinstance(mdp, SymbolicMDP), mdp.shape, mdp.gamma)
    True (2, 2) gamma
    >>> print(mdp.P[0][1], mdp.rho0.T)
    (p_{0,1}, 1 - p_{0,1}) Matrix([[q, 1 - q]])
    >>> print(mdp.subs({"gamma": "9/10"}).gamma)
    9/10
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
    """Shapes, exact probability rows of ``P`` and ``rho0``, and ``0 <= gamma < 1`` where numeric."""
    S, A = mdp.shape
    if len(mdp.P) != S or any(len(row) != A for row in mdp.P) or any(len(p) != S for row in mdp.P for p in row):
        raise ValueError(f"P must be nested as P[s][a][t] with S={S}, A={A}")
    if mdp.rho0.shape != (S, 1):
        raise ValueError(f"rho0 must have shape ({S}, 1), got {mdp.rho0.shape}")
    for s in range(S):
        for a in range(A):
            for t in range(S):
                _check_probability(mdp.P[s][a][t], f"P[{s}][{a}][{t}]")
            if not sums_to_one(mdp.P[s][a]):
                raise ValueError(f"P[{s}][{a}] does not sum to exactly 1: {list(mdp.P[s][a])}")
    for t in range(S):
        _check_probability(mdp.rho0[t], f"rho0[{t}]")
    if not sums_to_one(list(mdp.rho0)):
        raise ValueError(f"rho0 does not sum to exactly 1: {list(mdp.rho0)}")
    _check_gamma(mdp.gamma)


def _substitute(mdp: SymbolicMDP, values) -> SymbolicMDP:
    """``mdp`` with ``values`` (``{symbol or name: rational}``) substituted, validated again."""
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
        subs[key] = as_rational(val, f"numeric[{key.name!r}]")
    P = tuple(tuple(tuple(sp.sympify(x).subs(subs) for x in probs) for probs in row) for row in mdp.P)
    out = SymbolicMDP(
        P=P, R=mdp.R.subs(subs), rho0=mdp.rho0.subs(subs), gamma=sp.sympify(mdp.gamma).subs(subs),
        symbols=mdp.symbols, values={**(mdp.values or {}), **subs},
    )
    _validate_mdp(out)
    return out


# ============================================================================ constructors
def _symbolic_transitions(S: int, A: int) -> tuple[list, tuple]:
    """The free symbols ``p`` and the rows ``P[s][a]`` of :func:`symbolic_mdp`."""
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
    return p_syms, tuple(P)


def _symbolic_start(S: int) -> tuple[list, sp.ImmutableMatrix]:
    """The free symbols ``q`` and the start distribution ``rho0`` of :func:`symbolic_mdp`."""
    if S == 2:
        q_syms = [sp.Symbol("q", nonnegative=True)]
    else:
        q_syms = [sp.Symbol(f"q_{{{t}}}", nonnegative=True) for t in range(S - 1)]
    return q_syms, sp.ImmutableMatrix(q_syms + [1 - sp.Add(*q_syms)])


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

    Examples
    --------
    >>> from bounds.symbolic import symbolic_mdp
    >>> mdp = symbolic_mdp(2, 2, numeric={"gamma": 0.9, "p_{0,0}": "1/3"})
    >>> print(mdp.gamma, mdp.P[0][0])
    9/10 (1/3, 2/3)
    >>> print(sorted(str(x) for x in mdp.free_symbols))
    ['p_{0,1}', 'p_{1,0}', 'p_{1,1}', 'q', 'r_{0,0}', 'r_{0,1}', 'r_{1,0}', 'r_{1,1}']
    """
    S, A = check_size(S, "S"), check_size(A, "A")
    p_syms, P = _symbolic_transitions(S, A)
    r_syms = [[sp.Symbol(f"r_{{{s},{a}}}", real=True) for a in range(A)] for s in range(S)]
    q_syms, rho0 = _symbolic_start(S)
    gamma = sp.Symbol("gamma", nonnegative=True)
    symbols = tuple(p_syms) + tuple(x for row in r_syms for x in row) + tuple(q_syms) + (gamma,)
    mdp = SymbolicMDP(P=P, R=sp.ImmutableMatrix(r_syms), rho0=rho0, gamma=gamma,
                      symbols=symbols, values={})
    return _substitute(mdp, numeric) if numeric else mdp


def from_arrays(P, R, rho0, gamma) -> SymbolicMDP:
    """A :class:`SymbolicMDP` from numbers: ``P`` of shape (S, A, S), ``R`` (S, A), ``rho0`` (S,).

    Entries are made exact Rationals (ints, Fractions, sympy numbers or expressions; floats via their
    shortest decimal repr). Rows of ``P`` and ``rho0`` must sum to exactly 1 after conversion.
    A :class:`tabular.MDP` can be converted with ``from_arrays(m.dense_P(), m.R, m.rho0, m.gamma)``.

    Examples
    --------
    >>> from bounds.symbolic import from_arrays
    >>> P = [[[1, 0], [0.5, 0.5]], [[0, 1], [1, 0]]]
    >>> mdp = from_arrays(P, R=[[1, 0], [0, 2]], rho0=[0.5, 0.5], gamma=0.9)
    >>> print(mdp.P[0][1], mdp.gamma, mdp.free_symbols)
    (1/2, 1/2) 9/10 set()
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
    Pt = tuple(tuple(tuple(as_rational(Pa[s, a, t], f"P[{s},{a},{t}]") for t in range(S)) for a in range(A))
               for s in range(S))
    Rm = sp.ImmutableMatrix(S, A, lambda s, a: as_rational(Ra[s, a], f"R[{s},{a}]"))
    r0 = sp.ImmutableMatrix([as_rational(ra[t], f"rho0[{t}]") for t in range(S)])
    mdp = SymbolicMDP(P=Pt, R=Rm, rho0=r0, gamma=as_rational(gamma, "gamma"), symbols=(), values={})
    _validate_mdp(mdp)
    return mdp


# ============================================================================ random instances
def _random_simplex_rows(rng, n_rows: int, n: int, denominator: int) -> list:
    """``n_rows`` rows ``k / sum(k)`` with ``n`` integers ``k`` uniform in ``[1, denominator]``."""
    rows = []
    for _ in range(n_rows):
        k = rng.integers(1, denominator + 1, size=n)
        total = int(k.sum())
        rows.append([sp.Rational(int(ki), total) for ki in k])
    return rows


def random_rational_mdp(S: int = 2, A: int = 2, rng=None, denominator: int = 10) -> SymbolicMDP:
    """A random MDP with exact Rational entries, drawn from ``np.random.default_rng(rng)``.

    Each row of ``P`` and ``rho0`` is ``k / sum(k)`` with integers ``k`` uniform in
    ``[1, denominator]`` (full support); ``R[s, a] = k / denominator`` with ``k`` uniform in
    ``[-denominator, denominator]``; ``gamma = k / denominator`` with ``k`` in ``[1, denominator - 1]``.

    Examples
    --------
    >>> from bounds.symbolic import random_rational_mdp
    >>> mdp = random_rational_mdp(2, 2, rng=0)
    >>> print(mdp.shape, mdp.free_symbols)
    (2, 2) set()
    >>> print(all(sum(row) == 1 for rows in mdp.P for row in rows), sum(mdp.rho0))
    True 1
    """
    S, A = check_size(S, "S"), check_size(A, "A")
    den = check_size(denominator, "denominator", lo=2)
    rng = np.random.default_rng(rng)
    rows = _random_simplex_rows(rng, S * A, S, den)
    P = [[rows[s * A + a] for a in range(A)] for s in range(S)]
    R = [[sp.Rational(int(k), den) for k in rng.integers(-den, den + 1, size=A)] for _ in range(S)]
    rho0 = _random_simplex_rows(rng, 1, S, den)[0]
    gamma = sp.Rational(int(rng.integers(1, den)), den)
    return from_arrays(P, R, rho0, gamma)


def random_rational_policy(S: int = 2, A: int = 2, rng=None, denominator: int = 10) -> sp.ImmutableMatrix:
    """A random full-support policy with Rational entries ``k / sum(k)``, ``k`` uniform in
    ``[1, denominator]``, drawn from ``np.random.default_rng(rng)``.

    Examples
    --------
    >>> from bounds.symbolic import random_rational_policy
    >>> pi = random_rational_policy(2, 3, rng=0)
    >>> print(pi.shape, [sum(pi.row(s)) for s in range(2)], all(x > 0 for x in pi))
    (2, 3) [1, 1] True
    """
    S, A = check_size(S, "S", lo=1), check_size(A, "A", lo=1)
    den = check_size(denominator, "denominator", lo=2)
    rng = np.random.default_rng(rng)
    return sp.ImmutableMatrix(_random_simplex_rows(rng, S, A, den))


# ============================================================================ numeric bridge
def to_tabular(mdp: SymbolicMDP, values: dict | None = None) -> MDP:
    """The float :class:`tabular.MDP` of ``mdp`` after substituting ``values`` (must leave no symbol).

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.symbolic import symbolic_mdp, to_tabular
    >>> mdp = symbolic_mdp(2, 2)
    >>> values = {"p_{0,0}": "1/2", "p_{0,1}": 1, "p_{1,0}": 0, "p_{1,1}": "1/4",
    ...           "r_{0,0}": 1, "r_{0,1}": 0, "r_{1,0}": 0, "r_{1,1}": 2, "q": 1, "gamma": "9/10"}
    >>> m = to_tabular(mdp, values)
    >>> print(m.n_states, m.n_actions, round(float(m.gamma), 6), np.round(m.dense_P()[0, 0], 4))
    2 2 0.9 [0.5 0.5]
    """
    m = mdp.subs(values) if values else mdp
    free = m.free_symbols
    if free:
        raise ValueError(f"values leave free symbols {sorted(map(str, free))}; give a value for each")
    S, A = m.shape
    P = np.array([[[float(m.P[s][a][t]) for t in range(S)] for a in range(A)] for s in range(S)])
    R = np.array([[float(m.R[s, a]) for a in range(A)] for s in range(S)])
    rho0 = np.array([float(x) for x in m.rho0])
    return MDP(P, R, rho0, float(m.gamma))

"""Exact arithmetic for certificates: a rational MDP, its exact evaluation, and rigorous KL intervals.

Everything rational is a :class:`fractions.Fraction`: the linear systems of THEORY.md §1,
``V = (I - gamma P_pi)^{-1} r_pi`` and ``rho = (I - gamma P_pi^T)^{-1} rho0``, are solved by exact
Gaussian elimination, so ``eta``, ``Q``, ``A``, ``rho``, ``d``, ``L`` (Eq. (3) of [TRPO]) and every TV
quantity are exact. Logarithms (KL) are enclosed in intervals with :mod:`mpmath`'s ``iv`` (outward
rounding at :data:`PREC` bits), so a sign read off an interval is proven.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from tabular.mdp import MDP

__all__ = ["PREC", "as_fraction", "ExactMDP", "ExactEvaluation", "exact_policy", "exact_evaluate",
           "exact_solve", "interval", "kl_interval", "interval_upper", "interval_lower"]

#: Working precision (bits) of the interval arithmetic.
PREC = 200


def as_fraction(x, name: str = "value") -> Fraction:
    """A rational from a Fraction, int, ``"p/q"`` string or float (a float is taken at its exact binary value).

    Examples
    --------
    >>> from bounds.counterexamples.exact import as_fraction
    >>> print(as_fraction("3/7"), as_fraction(0.5), as_fraction(0.1) == 0.1)
    3/7 1/2 True
    >>> try:
    ...     as_fraction("abc", "gamma")
    ... except ValueError as err:
    ...     print(err)
    gamma must be a rational like '3/7', got 'abc'
    """
    if isinstance(x, bool):
        raise TypeError(f"{name} must be a number or 'p/q' string, got bool")
    if isinstance(x, (Fraction, int, np.integer)):
        return Fraction(int(x)) if not isinstance(x, Fraction) else x
    if isinstance(x, (float, np.floating)):
        if not math.isfinite(x):
            raise ValueError(f"{name} must be finite, got {x}")
        return Fraction(float(x))
    if isinstance(x, str):
        try:
            return Fraction(x.strip())
        except (ValueError, ZeroDivisionError) as exc:
            raise ValueError(f"{name} must be a rational like '3/7', got {x!r}") from exc
    raise TypeError(f"{name} must be a number or 'p/q' string, got {type(x).__name__}")


def _rows(x, name: str, shape: tuple) -> tuple:
    arr = np.asarray(x, dtype=object)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    return arr


def _check_distribution(row, name: str) -> None:
    if any(v < 0 for v in row):
        raise ValueError(f"{name} has a negative probability")
    if sum(row) != 1:
        raise ValueError(f"{name} must sum to exactly 1, sums to {sum(row)}")


def exact_policy(pi, S: int, A: int, name: str = "pi") -> tuple:
    """``pi`` as a tuple of rows of Fractions, each row a distribution summing to exactly 1.

    Examples
    --------
    >>> from bounds.counterexamples.exact import exact_policy
    >>> print(exact_policy([["1/3", "2/3"], [1, 0]], S=2, A=2))
    ((Fraction(1, 3), Fraction(2, 3)), (Fraction(1, 1), Fraction(0, 1)))
    >>> try:
    ...     exact_policy([["1/2", "3/5"], [1, 0]], S=2, A=2)
    ... except ValueError as err:
    ...     print(err)
    pi[0] must sum to exactly 1, sums to 11/10
    """
    arr = _rows(pi, name, (S, A))
    rows = tuple(tuple(as_fraction(v, name) for v in arr[s]) for s in range(S))
    for s, r in enumerate(rows):
        _check_distribution(r, f"{name}[{s}]")
    return rows


@dataclass(frozen=True, eq=False)
class ExactMDP:
    """A finite MDP with rational ``P[s][a][t]``, ``R[s][a]``, ``rho0[s]`` and ``gamma`` in [0, 1).

    Examples
    --------
    >>> from bounds.counterexamples.exact import ExactMDP
    >>> m = ExactMDP(P=[[[1, 0]], [["1/2", "1/2"]]], R=[[1], [0]], rho0=[1, 0], gamma="1/2")
    >>> print(m, m.shape, m.P[1][0])
    ExactMDP(S=2, A=1, gamma=1/2) (2, 1) (Fraction(1, 2), Fraction(1, 2))
    >>> print(m.to_mdp().gamma == 0.5)
    True
    """

    P: tuple
    R: tuple
    rho0: tuple
    gamma: Fraction

    def __post_init__(self):
        shape = np.asarray(self.R, dtype=object).shape  # a nested sequence or a numpy array alike
        if len(shape) != 2 or shape[0] < 1 or shape[1] < 1:
            raise ValueError(f"R must have at least one state and one action (an (S, A) table), got shape {shape}")
        S, A = shape
        object.__setattr__(self, "R", tuple(tuple(as_fraction(v, "R") for v in _rows(self.R, "R", (S, A))[s])
                                            for s in range(S)))
        P = _rows(self.P, "P", (S, A, S))
        object.__setattr__(self, "P", tuple(tuple(tuple(as_fraction(v, "P") for v in P[s, a]) for a in range(A))
                                            for s in range(S)))
        object.__setattr__(self, "rho0", tuple(as_fraction(v, "rho0") for v in _rows(self.rho0, "rho0", (S,))))
        g = as_fraction(self.gamma, "gamma")
        if not (0 <= g < 1):
            raise ValueError(f"gamma must be in [0, 1), got {g}")
        object.__setattr__(self, "gamma", g)
        for s in range(S):
            for a in range(A):
                _check_distribution(self.P[s][a], f"P[{s}][{a}]")
        _check_distribution(self.rho0, "rho0")

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.R), len(self.R[0])

    def to_mdp(self) -> MDP:
        """The floating-point :class:`tabular.MDP` nearest to this one."""
        return MDP(np.array(self.P, dtype=float), np.array(self.R, dtype=float), np.array(self.rho0, dtype=float),
                   float(self.gamma))

    def __repr__(self) -> str:
        S, A = self.shape
        return f"ExactMDP(S={S}, A={A}, gamma={self.gamma})"


def exact_solve(M: list, b: list) -> list:
    """Solve ``M x = b`` over the rationals by Gaussian elimination (``M`` square, non-singular).

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> from bounds.counterexamples.exact import exact_solve
    >>> print(exact_solve([[F(2), F(1)], [F(1), F(3)]], [F(3), F(5)]))
    [Fraction(4, 5), Fraction(7, 5)]
    """
    n = len(b)
    aug = [list(M[i]) + [b[i]] for i in range(n)]
    for c in range(n):
        piv = next((r for r in range(c, n) if aug[r][c] != 0), None)
        if piv is None:
            raise ValueError("M is singular")
        aug[c], aug[piv] = aug[piv], aug[c]
        inv = 1 / aug[c][c]
        rowc = [v * inv for v in aug[c]]
        aug[c] = rowc
        for r in range(n):
            f = aug[r][c]
            if r != c and f != 0:
                aug[r] = [vr - f * vc for vr, vc in zip(aug[r], rowc)]
    return [aug[i][n] for i in range(n)]


@dataclass(frozen=True, eq=False)
class ExactEvaluation:
    """Exact ``V, Q, A, rho, d, eta`` of a policy (THEORY.md §1), all Fractions (lists by state).

    Examples
    --------
    >>> from bounds.counterexamples.exact import ExactEvaluation, ExactMDP, exact_evaluate
    >>> m = ExactMDP(P=[[[1, 0]], [[0, 1]]], R=[[1], [0]], rho0=["1/2", "1/2"], gamma="1/2")
    >>> ev = exact_evaluate(m, ((1,), (1,)))
    >>> print(isinstance(ev, ExactEvaluation), ev.V, ev.eta, sum(ev.d))
    True [Fraction(2, 1), Fraction(0, 1)] 1 1
    """

    V: list
    Q: list
    A: list
    rho: list
    d: list
    eta: Fraction


def exact_evaluate(mdp: ExactMDP, pi: tuple) -> ExactEvaluation:
    """``V = (I - gamma P_pi)^{-1} r_pi``, ``rho = (I - gamma P_pi^T)^{-1} rho0``, ``Q = R + gamma P V``,
    ``A = Q - V``, ``eta = rho0 . V``, ``d = (1 - gamma) rho`` (THEORY.md §1), exactly.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import evaluate
    >>> from bounds.counterexamples.exact import ExactMDP, exact_evaluate, exact_policy
    >>> m = ExactMDP(P=[[[1, 0], [0, 1]], [[0, 1], ["1/2", "1/2"]]], R=[[1, 0], [0, 2]],
    ...              rho0=[1, 0], gamma="9/10")
    >>> pi = exact_policy([["1/2", "1/2"], ["1/4", "3/4"]], 2, 2)
    >>> ev = exact_evaluate(m, pi)
    >>> print(ev.eta)
    715/71
    >>> print(np.isclose(float(ev.eta), evaluate(m.to_mdp(), np.array(pi, dtype=float)).eta))
    True
    """
    S, A = mdp.shape
    g = mdp.gamma
    P_pi = [[sum(pi[s][a] * mdp.P[s][a][t] for a in range(A)) for t in range(S)] for s in range(S)]
    r_pi = [sum(pi[s][a] * mdp.R[s][a] for a in range(A)) for s in range(S)]
    M = [[(1 if s == t else 0) - g * P_pi[s][t] for t in range(S)] for s in range(S)]
    V = exact_solve(M, r_pi)
    rho = exact_solve([[M[t][s] for t in range(S)] for s in range(S)], list(mdp.rho0))
    Q = [[mdp.R[s][a] + g * sum(mdp.P[s][a][t] * V[t] for t in range(S)) for a in range(A)] for s in range(S)]
    Adv = [[Q[s][a] - V[s] for a in range(A)] for s in range(S)]
    eta = sum(mdp.rho0[s] * V[s] for s in range(S))
    return ExactEvaluation(V, Q, Adv, rho, [(1 - g) * r for r in rho], eta)


# ----------------------------------------------------------------------------- intervals
def _iv():
    from mpmath import iv

    if iv.prec < PREC:
        iv.prec = PREC
    return iv


def interval(x: Fraction):
    """An ``mpmath.iv`` interval enclosing the rational ``x`` (exact quotient of two integers, rounded outward).

    Examples
    --------
    >>> from fractions import Fraction
    >>> from bounds.counterexamples.exact import interval, interval_lower, interval_upper
    >>> x = interval(Fraction(1, 3))
    >>> print(interval_lower(x) <= Fraction(1, 3) <= interval_upper(x))
    True
    """
    iv = _iv()
    x = Fraction(x)
    return iv.mpf(x.numerator) / iv.mpf(x.denominator)


def kl_interval(p: tuple, q: tuple):
    """An interval enclosing ``KL(p || q) = sum_a p(a) log(p(a)/q(a))`` (THEORY.md §1), or ``math.inf``
    when ``q(a) = 0 < p(a)``. Terms with ``p(a) = 0`` are 0.

    Examples
    --------
    >>> import math
    >>> from fractions import Fraction as F
    >>> from bounds.counterexamples.exact import interval_lower, interval_upper, kl_interval
    >>> k = kl_interval((F(1, 2), F(1, 2)), (F(1, 4), F(3, 4)))
    >>> print(f"{float(interval_lower(k)):.12f}", f"{0.5 * math.log(2) + 0.5 * math.log(2 / 3):.12f}")
    0.143841036226 0.143841036226
    >>> print(float(interval_upper(k) - interval_lower(k)) < 1e-50)
    True
    >>> print(kl_interval((F(1), F(0)), (F(0), F(1))))
    inf
    """
    iv = _iv()
    total = iv.mpf(0)
    for pa, qa in zip(p, q):
        if pa == 0:
            continue
        if qa == 0:
            return math.inf
        total = total + interval(pa) * iv.log(interval(Fraction(pa) / Fraction(qa)))
    return total


def _mpf_fraction(v) -> Fraction:
    """The exact value of a (degenerate-interval) mpmath float as a Fraction: ``(-1)^sign man 2^exp``."""
    from mpmath import mpf

    # an interval end carries its exact endpoint in _mpi_; mpf(v) would round it to mp.prec (53) bits
    sign, man, exp, _ = v._mpi_[0] if hasattr(v, "_mpi_") else mpf(v)._mpf_
    if man == 0 and exp != 0:
        raise ValueError("interval end is infinite or NaN")
    return (-1) ** sign * Fraction(man) * Fraction(2) ** exp


def interval_upper(x) -> Fraction:
    """The exact upper end of an interval (an ``mpmath.iv`` one or a :class:`bounds.registry.Interval`;
    or a Fraction itself) as a Fraction.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from bounds.counterexamples.exact import interval, interval_upper
    >>> up = interval_upper(interval(Fraction(1, 10)))
    >>> print(up >= Fraction(1, 10), float(up - Fraction(1, 10)) < 1e-50)
    True True
    >>> print(interval_upper(Fraction(2, 3)))
    2/3
    """
    if isinstance(x, Fraction):
        return x
    return _mpf_fraction(getattr(x, "v", x).b)


def interval_lower(x) -> Fraction:
    """The exact lower end of an interval (an ``mpmath.iv`` one or a :class:`bounds.registry.Interval`;
    or a Fraction itself) as a Fraction.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from bounds.counterexamples.exact import interval, interval_lower
    >>> lo = interval_lower(interval(Fraction(1, 10)))
    >>> print(lo <= Fraction(1, 10), float(Fraction(1, 10) - lo) < 1e-50)
    True True
    """
    if isinstance(x, Fraction):
        return x
    return _mpf_fraction(getattr(x, "v", x).a)

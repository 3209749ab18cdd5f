"""The operations a penalty may use besides ``+ - * / **`` and comparisons: one namespace per kind of
number, so that ONE penalty function evaluates on floats (K instances at once) and on exact numbers.

A penalty is written ``def penalty(q, ops)`` over the named quantities ``q`` (:mod:`~bounds.registry.quantities`):
per-instance quantities (``q.C``, ``q.alpha``, ...) are ``(K,)`` float arrays or one exact number,
per-state quantities (``q.tv``, ``q.d``, ...) are the states of all K instances as rows (``(N,)``) or
one object array of exact numbers. Per-state values are combined with per-state values and reduced to
per-instance values with ``ops.sum``/``ops.max``/``ops.min``/``ops.weighted_sum``:

* :data:`FLOAT` -- numpy; the reductions are segment reductions over each instance's states.
* :data:`EXACT` -- Fractions where the quantity is rational, :class:`Interval` (an ``mpmath.iv``
  enclosure at :data:`~bounds.counterexamples.exact.PREC` bits) where a log or sqrt enters, ``math.inf``
  for an infinite KL; a decision an interval cannot make raises :class:`Undecided`.

The rules shared by every bound (THEORY.md §3): ``ops.times(c, x)`` is the product with ``0·∞ = 0``,
``ops.weighted_sum(w, x) = sum_s w(s) x(s)`` skips states of weight 0 (an unvisited state with an
infinite KL costs nothing).
"""

from __future__ import annotations

import math
from fractions import Fraction
from types import SimpleNamespace

import numpy as np

__all__ = ["FLOAT", "EXACT", "Interval", "Undecided", "float_ops", "is_exact_number"]


# ----------------------------------------------------------------------------- floats, K instances
def float_ops(seg) -> SimpleNamespace:
    """The float namespace over the instances of ``seg`` (a :class:`tabular.mdp_batch.Segments`).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular.mdp_batch import Segments
    >>> from bounds.registry.ops import float_ops
    >>> ops = float_ops(Segments([2, 3]))
    >>> x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    >>> ops.sum(x).tolist(), ops.max(x).tolist(), ops.times(0.0, np.inf).tolist()
    ([3.0, 12.0], [2.0, 5.0], 0.0)
    """

    def times(coef, div):
        """``coef * div`` elementwise with ``0 * inf = 0`` (:func:`tabular.divergences.penalty_product`)."""
        with np.errstate(invalid="ignore"):
            return np.where((np.asarray(coef) == 0) | (np.asarray(div) == 0), 0.0, coef * div)

    def where(cond, a, b):
        return np.where(cond, a, b)

    def safe_div(a, b):
        """``a / b``, and 0 where ``b = 0``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(b == 0, 0.0, a / np.where(b == 0, 1.0, b))

    return SimpleNamespace(
        kind="float", inf=math.inf, exact=False,
        sum=seg.sum, max=seg.max, min=seg.min, weighted_sum=lambda w, x: seg.weighted_sum(x, w),
        rows=lambda x: np.asarray(x)[seg.seg],  # a per-instance value on every state of its instance
        sum_actions=lambda x: np.sum(x, axis=1), max_actions=lambda x: np.max(x, axis=1),
        min_actions=lambda x: np.min(x, axis=1),
        expect=lambda p, x: np.einsum("na,na->n", p, x),  # sum_a p(a|s) x(s, a)
        sqrt=np.sqrt, log=np.log, abs=np.abs, times=times, where=where, safe_div=safe_div,
        clip=np.clip, negligible=1e-15,
    )


FLOAT = float_ops  # the float namespace is built per batch of instances


# ----------------------------------------------------------------------------- exact numbers
class Undecided(ArithmeticError):
    """An interval straddles the point a comparison asks about: exact evaluation cannot decide it.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from bounds.registry import Undecided
    >>> from bounds.registry.ops import EXACT
    >>> third = EXACT.sqrt(Fraction(1, 9))
    >>> try:
    ...     third >= Fraction(1, 3)
    ... except Undecided as exc:
    ...     print(type(exc).__name__, isinstance(exc, ArithmeticError))
    Undecided True
    """


def _iv():
    from mpmath import iv

    from ..counterexamples.exact import PREC

    if iv.prec < PREC:
        iv.prec = PREC
    return iv


def _to_iv(x):
    iv = _iv()
    if isinstance(x, Interval):
        return x.v
    if isinstance(x, (Fraction, int)):
        x = Fraction(x)
        return iv.mpf(x.numerator) / iv.mpf(x.denominator)
    if isinstance(x, float) and math.isinf(x):
        return iv.mpf(x)
    raise TypeError(f"cannot use a {type(x).__name__} ({x!r}) in exact arithmetic")


class Interval:
    """A closed interval enclosing a real number (``mpmath.iv`` underneath), mixing freely with
    Fractions and ints; comparisons are decided only when the enclosures do not overlap.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from bounds.registry import Interval, Undecided
    >>> from bounds.registry.ops import EXACT
    >>> r = EXACT.sqrt(Fraction(2))
    >>> r.lower < Fraction(141422, 100000) and r > Fraction(141421, 100000)
    True
    >>> print(f"{float(r * r):.12f}")
    2.000000000000
    >>> try:
    ...     r * r > 2
    ... except Undecided:
    ...     print("undecided")
    undecided
    """

    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v if not isinstance(v, (Fraction, int, float, Interval)) else _to_iv(v)

    # arithmetic: the other operand is turned into an interval (a Fraction exactly, outward rounded)
    def _op(self, other, f):
        if isinstance(other, np.ndarray):
            return NotImplemented
        try:
            o = _to_iv(other)
        except TypeError:
            return NotImplemented
        return Interval(f(self.v, o))

    def __add__(self, o): return self._op(o, lambda a, b: a + b)
    def __radd__(self, o): return self._op(o, lambda a, b: b + a)
    def __sub__(self, o): return self._op(o, lambda a, b: a - b)
    def __rsub__(self, o): return self._op(o, lambda a, b: b - a)
    def __mul__(self, o): return self._op(o, lambda a, b: a * b)
    def __rmul__(self, o): return self._op(o, lambda a, b: b * a)
    def __truediv__(self, o): return self._op(o, lambda a, b: a / b)
    def __rtruediv__(self, o): return self._op(o, lambda a, b: b / a)
    def __neg__(self): return Interval(-self.v)
    def __abs__(self): return Interval(abs(self.v))

    def __pow__(self, n):
        if not isinstance(n, int):
            return NotImplemented
        return Interval(self.v ** n)

    @property
    def lower(self) -> Fraction:
        from ..counterexamples.exact import interval_lower

        return interval_lower(self.v)

    @property
    def upper(self) -> Fraction:
        from ..counterexamples.exact import interval_upper

        return interval_upper(self.v)

    def _cmp(self, other, strict: bool):
        """``self > other`` decided from the ends, or :class:`Undecided`."""
        o = Interval(other) if not isinstance(other, Interval) else other
        lo, hi = _ends(self), _ends(o)
        if lo[0] > hi[1] or (not strict and lo[0] >= hi[1]):
            return True
        if lo[1] < hi[0] or (strict and lo[1] <= hi[0]):
            return False
        raise Undecided("an interval comparison cannot be decided at this precision")

    def __gt__(self, o): return self._cmp(o, True)
    def __ge__(self, o): return self._cmp(o, False)
    def __lt__(self, o): return Interval(o)._cmp(self, True) if not isinstance(o, Interval) else o._cmp(self, True)
    def __le__(self, o): return Interval(o)._cmp(self, False) if not isinstance(o, Interval) else o._cmp(self, False)

    def __eq__(self, o):
        if isinstance(o, float) and math.isinf(o):
            return bool(self.v.a == o and self.v.b == o)
        if isinstance(o, (Fraction, int)) and self.v.a == self.v.b:
            return _ends(self)[0] == o
        return NotImplemented if not isinstance(o, (Fraction, int)) else False

    __hash__ = None

    def __float__(self) -> float:
        return float(self.v.mid)

    def __repr__(self) -> str:
        return f"Interval([{float(self.v.a):.17g}, {float(self.v.b):.17g}])"


def _ends(x: Interval) -> tuple:
    """``(lower, upper)`` of an interval as Fractions (``+-inf`` as floats)."""
    a, b = x.v.a, x.v.b
    lo = float(a) if not math.isfinite(float(a)) else x.lower
    hi = float(b) if not math.isfinite(float(b)) else x.upper
    return lo, hi


def is_exact_number(x) -> bool:
    """A Fraction, int, :class:`Interval` or ``math.inf`` (what exact quantities and penalties are made of).

    Examples
    --------
    >>> import math
    >>> from fractions import Fraction
    >>> from bounds.registry.ops import is_exact_number
    >>> is_exact_number(Fraction(1, 3)), is_exact_number(2), is_exact_number(math.inf), is_exact_number(0.5)
    (True, True, True, False)
    """
    return isinstance(x, (Fraction, int, Interval)) and not isinstance(x, bool) or (
        isinstance(x, float) and x == math.inf)


def _values(x) -> list:
    if isinstance(x, (list, tuple)):
        return list(x)
    return list(np.asarray(x, dtype=object).ravel()) if isinstance(x, np.ndarray) else [x]


def _xmax(xs, sign=1):
    """``max`` (``sign=1``) or ``min`` (``-1``) of exact numbers: exact when all are Fractions, an
    interval enclosing it otherwise; ``inf`` wins a max."""
    xs = _values(xs)
    if sign == 1 and any(isinstance(v, float) and v == math.inf for v in xs):
        return math.inf
    xs = [v for v in xs if not (isinstance(v, float) and v == math.inf)]
    if all(isinstance(v, (Fraction, int)) for v in xs):
        return max(xs) if sign == 1 else min(xs)
    iv = _iv()
    ivs = [_to_iv(v) for v in xs]
    pick = max if sign == 1 else min
    return Interval(iv.mpf([pick(v.a for v in ivs), pick(v.b for v in ivs)]))


def _xsum(xs):
    total = Fraction(0)
    for v in _values(xs):
        if isinstance(v, float) and v == math.inf:
            return math.inf
        total = total + v
    return total


def _xtimes(coef, div):
    """``coef * div`` with ``0 * inf = 0``."""
    if coef == 0 or (not isinstance(div, Interval) and div == 0):
        return Fraction(0)
    if (isinstance(div, float) and div == math.inf) or (isinstance(coef, float) and coef == math.inf):
        return math.inf
    return coef * div


def _xweighted(w, x):
    """``sum_s w(s) x(s)`` over the states with ``w(s) != 0`` (``0 * inf = 0``)."""
    return _xsum([wi * xi if not (isinstance(xi, float) and xi == math.inf) else math.inf
                  for wi, xi in zip(_values(w), _values(x)) if wi != 0])


def _xunary(name):
    def f(x):
        if isinstance(x, np.ndarray):
            return np.array([f(v) for v in x.ravel()], dtype=object).reshape(x.shape)
        if isinstance(x, float) and x == math.inf:
            return math.inf
        if name == "sqrt" and isinstance(x, (Fraction, int)) and x == 0:
            return Fraction(0)
        iv = _iv()
        return Interval(getattr(iv, name)(_to_iv(x)))
    return f


def _xwhere(cond, a, b):
    if isinstance(cond, np.ndarray):
        return np.array([ai if c else bi for c, ai, bi in zip(cond.ravel(), np.broadcast_to(a, cond.shape).ravel(),
                                                                np.broadcast_to(b, cond.shape).ravel())],
                        dtype=object).reshape(cond.shape)
    return a if cond else b


def _xclip(x, lo, hi):
    return min(max(x, lo), hi)


def _rows_of(x, per_state):
    return np.array([x] * len(per_state), dtype=object)


EXACT = SimpleNamespace(
    kind="exact", inf=math.inf, exact=True,
    sum=_xsum, max=_xmax, min=lambda xs: _xmax(xs, -1), weighted_sum=_xweighted,
    rows=None,  # set per instance (needs the number of states): ExactQuantities.ops
    sum_actions=lambda x: np.array([_xsum(r) for r in x], dtype=object),
    max_actions=lambda x: np.array([_xmax(r) for r in x], dtype=object),
    min_actions=lambda x: np.array([_xmax(r, -1) for r in x], dtype=object),
    expect=lambda p, x: np.array([_xsum(pr * xr) for pr, xr in zip(p, x)], dtype=object),
    sqrt=_xunary("sqrt"), log=_xunary("log"), abs=lambda x: np.abs(x) if isinstance(x, np.ndarray) else abs(x),
    times=_xtimes, where=_xwhere, safe_div=lambda a, b: Fraction(0) if b == 0 else a / b,
    clip=_xclip, negligible=0,
)

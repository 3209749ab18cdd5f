"""A vectorized, safeguarded Newton root finder for decreasing functions (the multipliers of the
KL problems of :mod:`bounds.updates.solvers`: per-state ``c_s``, the mean-KL ``lambda`` and the
KL level ``kappa`` of Algorithm 1, each searched on a log scale)."""

from __future__ import annotations

import numpy as np

from .base import SolverError, quiet

__all__ = ["decreasing_root", "C_MIN", "C_MAX", "LOG_C_MIN", "LOG_C_MAX"]

#: Range searched for a per-state multiplier c (and for the common multiplier of the mean-KL form).
C_MIN, C_MAX = 1e-300, 1e300
LOG_C_MIN, LOG_C_MAX = float(np.log(C_MIN)), float(np.log(C_MAX))

_RES = 8.0 * np.finfo(float).eps


class _Bracket:
    """Per-problem state of :func:`decreasing_root`: the iterate ``x`` with ``f(x)``, ``f'(x)``, the
    bracket ``[lo, hi]`` (``f(lo) > 0 >= f(hi) = fhi``) and which problems are done."""

    def __init__(self, fun, x0, ftol):
        n = x0.size
        self.fun, self.ftol = fun, ftol
        self.x = x0.copy()
        self.f, self.df = fun(self.x, np.arange(n))
        self.lo = np.full(n, -np.inf)
        self.hi = np.full(n, np.inf)
        self.fhi = np.full(n, -np.inf)
        self.record(np.arange(n), self.x, self.f, self.df)
        self.done = np.abs(self.f) <= ftol

    def record(self, idx, xt, ft, dft):
        """Store ``x, f, f'`` of problems ``idx`` and move the bracket end on the side of ``f``."""
        self.x[idx], self.f[idx], self.df[idx] = xt, ft, dft
        p = ft > 0
        self.lo[idx[p]] = xt[p]
        self.hi[idx[~p]], self.fhi[idx[~p]] = xt[~p], ft[~p]
        return p


def _bracket(B: _Bracket, x_min, x_max, accept_min, what):
    """Step past the Newton point (x 1.1), at least a minimum step growing fourfold, until every
    problem not yet done has a bracket; ``accept_min`` accepts ``f(x_min) <= 0`` as done."""
    step = 1e-5 * (1.0 + np.abs(B.x))
    need = np.flatnonzero(~B.done & (np.isinf(B.lo) | np.isinf(B.hi)))
    while need.size:
        up = np.isinf(B.hi[need])  # f > 0 so far: move right
        sign = np.where(up, 1.0, -1.0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            newton = -B.f[need] / B.df[need] * sign
        newton = np.where(np.isfinite(newton) & (newton > 0), np.minimum(1.1 * newton, 1e3), 0.0)
        xt = np.clip(B.x[need] + sign * np.maximum(step[need], newton), x_min, x_max)
        ft, dft = B.fun(xt, need)
        p = B.record(need, xt, ft, dft)
        B.done[need] |= np.abs(ft) <= B.ftol[need]
        step[need] *= 4.0
        if np.any(up & p & (xt >= x_max)):
            raise SolverError(f"could not bracket the {what}: f is still positive at the upper end "
                              f"exp({x_max:.4g}) of the search range")
        stuck_down = ~up & ~p & (xt <= x_min)
        if np.any(stuck_down):
            if not accept_min:
                raise SolverError(f"could not bracket the {what}: f is still non-positive at the lower "
                                  f"end exp({x_min:.4g}) of the search range")
            B.done[need[stuck_down]] = True
        need = np.flatnonzero(~B.done & (np.isinf(B.lo) | np.isinf(B.hi)))


def _safeguarded_newton(B: _Bracket, xtol, maxiter, what):
    """Newton steps inside the brackets, bisecting whenever a step leaves the bracket or did not
    halve ``|f|``, until every problem has converged (see :func:`decreasing_root`)."""
    act = np.flatnonzero(~B.done)
    fprev = np.abs(B.f)
    bisect_next = np.zeros(B.x.size, dtype=bool)
    for _ in range(maxiter):
        if act.size == 0:
            break
        xa, fa, dfa = B.x[act], B.f[act], B.df[act]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            xn = xa - fa / dfa
        mid = 0.5 * (B.lo[act] + B.hi[act])
        bad = ~np.isfinite(xn) | (xn <= B.lo[act]) | (xn >= B.hi[act]) | bisect_next[act]
        xn = np.where(bad, mid, xn)
        fn, dfn = B.fun(xn, act)
        B.record(act, xn, fn, dfn)
        bisect_next[act] = np.abs(fn) > 0.5 * fprev[act]
        fprev[act] = np.abs(fn)
        moved = np.abs(xn - xa)
        width = B.hi[act] - B.lo[act]
        tiny = _RES * (1e-300 + np.abs(xn))
        with np.errstate(divide="ignore", invalid="ignore"):
            nstep = np.abs(fn / dfn)  # the next Newton step: converged when negligible
        conv = (np.abs(fn) <= B.ftol[act]) | (width <= tiny) | (~bad & (moved <= tiny)) | (
            (nstep <= xtol * (1.0 + np.abs(xn))) & (np.abs(fn) <= 1e-9))
        B.done[act[conv]] = True
        act = act[~conv]
    if act.size:
        width = B.hi[act] - B.lo[act]
        if not np.all(width <= 1e-8 * (1.0 + np.abs(B.x[act]))):
            raise SolverError(f"the {what} did not converge (bracket width {np.max(width):.3g})")


@quiet
def decreasing_root(fun, x0, *, ftol, x_min, x_max, xtol=1e-12, accept_min=False, feasible=False,
                    what="root", maxiter=400):
    """Vectorized safeguarded Newton for ``f_i(x_i) = 0`` with each ``f_i`` decreasing.

    ``fun(x, idx) -> (f, df)`` evaluates the problems ``idx`` at ``x`` (``df = f'(x) <= 0``).
    Brackets each root by stepping from ``x0`` (1.1 Newton steps, at least a minimum step that
    grows fourfold) within ``[x_min, x_max]``, then takes Newton steps, falling back to bisection
    whenever a step leaves the bracket or does not halve ``|f|``.
    With ``accept_min``, a problem with ``f(x_min) <= 0`` returns ``x_min``. Converged when
    ``|f| <= ftol``, when the next Newton step would move ``x`` by at most ``xtol (1 + |x|)`` and
    ``|f| <= 1e-9`` (round-off in ``f``; every ``f`` here is a log-ratio), or
    when the bracket has shrunk to floating-point resolution. With ``feasible``, a
    result with ``f > 0`` is replaced by the bracket's right end (``f <= 0``, e.g. ``KL <= kappa``)
    when that end has ``f >= -1e-12``.
    Raises :class:`SolverError` if a root cannot be bracketed or does not converge.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.roots import decreasing_root
    >>> b = np.array([1.0, 4.0])
    >>> def fun(x, idx):  # f_i(x) = b_i - x^2, decreasing for x > 0
    ...     return b[idx] - x ** 2, -2 * x
    >>> x = decreasing_root(fun, np.array([1.0, 1.0]), ftol=1e-12, x_min=0.0, x_max=10.0)
    >>> np.round(x, 10).tolist()
    [1.0, 2.0]
    """
    x0 = np.clip(np.asarray(x0, dtype=np.float64), x_min, x_max)
    ftol = np.broadcast_to(np.asarray(ftol, dtype=np.float64), (x0.size,))
    B = _Bracket(fun, x0, ftol)
    _bracket(B, x_min, x_max, accept_min, what)
    _safeguarded_newton(B, xtol, maxiter, what)
    x = B.x
    if feasible:  # step onto the feasible end of the bracket when that costs |f| <= 1e-12
        swap = (B.f > 0) & np.isfinite(B.hi) & (B.fhi >= -1e-12)
        x = np.where(swap, B.hi, x)
    return x

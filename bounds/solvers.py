"""Exact solvers for the per-state convex problems behind the updates of Section 7 of [TRPO].

Every problem here maximizes the surrogate's advantage term ``sum_s rho(s) sum_a p(a|s) A(s, a)``
(Eq. (3) of [TRPO] without the constant ``eta``) over policies ``p`` under a penalty or a constraint
that is separable over states, or couples the states through a single scalar (a common KL level,
a common multiplier or a common TV radius). Each problem has two solvers:

* ``solver="fast"``: closed forms plus 1-D root finding, vectorized over all states at once.
* ``solver="cvxpy"``: the same convex program in cvxpy, solved by Clarabel (exponential cones),
  used as the independent reference. A status other than ``optimal`` raises :class:`SolverError`.

Notation: ``A`` is an ``(S, A)`` array of advantages (any real array works), ``pi`` the old policy
``pi[s, a] = pi(a|s)``, ``rho`` state weights (the unnormalized visitation ``rho_pi`` of [TRPO] in
the updates), ``KL_s = KL(pi(.|s) || p(.|s))``, the direction of [TRPO] Eq. (9), (11), (12).

The per-state KL-penalized problem (THEORY.md §4)
------------------------------------------------
``max_p sum_a p(a) A(a) - c KL(pi || p)`` over the simplex. Its KKT conditions give, on the support
of ``pi``, ``p(a) = c pi(a) / (nu - A(a))`` with ``nu > m = max_{a: pi(a)>0} A(a)`` making the row
sum to one. Writing ``nu = m + c u`` and ``b(a) = (m - A(a)) / c >= 0`` this is
``p(a) = pi(a) / (u + b(a))`` with ``u in [pi*, 1]`` the root of ``sum_a pi(a) / (u + b(a)) = 1``
(``pi*`` = mass of ``pi`` on the supported maximizers of ``A``). The fast solver finds ``u`` for
all states at once by Newton's method on the concave increasing function
``u -> 1 / sum_a pi(a)/(u + b(a))``, started at a Jensen lower bound of the root, so the iterates
increase monotonically to the root (exact in one step when all non-maximal actions share one
``b``). ``root="brentq"`` instead calls :func:`scipy.optimize.brentq` state by state on the same
bracket; it gives the same answer and is 40-80 times slower at S = 200, A = 5
(``python -m experiments.bench_updates``), so Newton is the default.

Precision: rows with ``u`` near 1 (small steps) are solved for ``e = u - 1`` rather than ``u``, the
row-sum residual is evaluated as ``-sum_a pi(a) y_a / (u + b(a))`` with ``y_a = u - 1 + b(a)``
(no cancellation), and ``KL(pi || p) = sum_a pi(a) [log(1 + y_a) - y_a / (1 + y_a)]`` (valid at the
root; every term is non-negative and second order in ``y``). So a KL level of 1e-12 is hit to
~1e-12 relative precision, where the direct formula ``sum pi log(pi/p)`` has absolute error ~1e-16.

Actions outside the support of ``pi`` are *not* penalized by ``KL(pi || p)``, so they are part of
the exact argmax: if the best off-support advantage ``M_off`` exceeds ``m``, the multiplier is
``nu = max(nu_root, M_off)``; when ``nu = M_off`` the supported actions keep
``p(a) = c pi(a) / (M_off - A(a))`` and the rest of the mass goes to the best off-support action
(lowest index). Restricting ``p`` to the support of ``pi`` would not give the maximizer of the
stated problem. With ``c = 0`` the solution is greedy (the limit ``c -> 0+``: mass proportional to
``pi`` on the supported maximizers, or all mass on the best off-support action when it is strictly
better); with ``c = inf`` it is ``pi``.

"Flat" rows, where every supported action already attains ``max_a A(a)`` (constant advantage rows,
or a deterministic ``pi`` on a best action), have ``p = pi`` for every penalty and every KL level;
their value does not depend on ``c`` or ``kappa``. A row counts as flat when
``max_a A - min_{supp} A <= FLAT_RTOL (1 + max_a |A|)``.

The derivative used by the Newton steps on multipliers is ``dKL/dlog c = -chi2 / (1 + chi2)`` with
``chi2 = chi^2(p || pi) = sum_a (p - pi)^2 / pi`` (and ``-1`` when off-support mass is present); by
the envelope theorem the value ``v(kappa)`` of the KL-constrained problem has ``v'(kappa) = c``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import scipy.sparse as sp
from scipy.optimize import brentq

from tabular.validation import as_float_array, as_policy
from tabular.divergences import kl_unchecked

__all__ = [
    "SolverError",
    "Solution",
    "solve_kl_penalty",
    "solve_kl_constraint",
    "solve_max_kl",
    "solve_mean_kl",
    "solve_max_kl_penalty",
    "solve_tv_constraint",
    "solve_max_tv_sq_penalty",
    "solve_reverse_kl_penalty",
    "kl_rows",
    "reverse_kl_rows",
    "FLAT_RTOL",
    "CLARABEL_OPTIONS",
]

#: Relative spread below which an advantage row counts as flat (see the module docstring).
FLAT_RTOL = 1e-13
#: Range searched for a per-state multiplier c (and for the common multiplier of the mean-KL form).
C_MIN, C_MAX = 1e-300, 1e300
_LOG_C_MIN, _LOG_C_MAX = float(np.log(C_MIN)), float(np.log(C_MAX))
#: Clarabel options of the reference solver (tighter than its defaults, so it agrees to ~1e-9).
CLARABEL_OPTIONS = dict(tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10, max_iter=500)
# Clarabel's own defaults, passed explicitly for the retry: cvxpy keeps the solver settings of the
# previous solve of the same problem, so an empty options dict would retry at the tight tolerances
CLARABEL_RETRY_OPTIONS = dict(tol_gap_abs=1e-8, tol_gap_rel=1e-8, tol_feas=1e-8, max_iter=200)

_TINY = float(np.finfo(np.float64).tiny)
_SOLVERS = ("fast", "cvxpy")
_ROOTS = ("newton", "brentq")


class SolverError(RuntimeError):
    """A solver failed: a root could not be bracketed or did not converge, or cvxpy returned a
    status other than ``optimal`` (the message names the status)."""


@dataclass(frozen=True, eq=False)
class Solution:
    """Solution of one of the problems of this module.

    Attributes
    ----------
    pi_new : (S, A) the maximizing policy.
    objective : float, the maximized objective *without* ``eta``: ``sum_s rho(s) value(s)`` minus the
        penalty term of the problem (0 for constrained problems).
    value : (S,) ``sum_a pi_new(a|s) A(s, a)``.
    kl : (S,) ``KL(pi(.|s) || pi_new(.|s))`` (``+inf`` where ``pi_new`` vanishes on the support of ``pi``).
    tv : (S,) ``D_TV(pi(.|s), pi_new(.|s))``.
    multiplier : float or (S,) array -- the problem's multiplier (documented per function).
    solver : str, ``"fast"`` or ``"cvxpy"``.
    info : read-only mapping with problem-specific extras.
    """

    pi_new: np.ndarray
    objective: float
    value: np.ndarray
    kl: np.ndarray
    tv: np.ndarray
    multiplier: object
    solver: str
    info: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))


# ============================================================================ validation helpers
def _check_solver(solver: str) -> str:
    if solver not in _SOLVERS:
        raise ValueError(f"solver must be one of {_SOLVERS}, got {solver!r}")
    return solver


def _check_root(root: str) -> str:
    if root not in _ROOTS:
        raise ValueError(f"root must be one of {_ROOTS}, got {root!r}")
    return root


def _scalar(x, name: str, *, positive: bool = False, allow_inf: bool = False) -> float:
    """A real, non-negative (or positive) scalar; NaN, and inf unless allowed, raise ValueError."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {x!r}")
    v = float(x)
    if np.isnan(v):
        raise ValueError(f"{name} must be a number, got NaN")
    if np.isinf(v) and not (allow_inf and v > 0):
        raise ValueError(f"{name} must be finite, got {x!r}")
    if positive and not v > 0:
        raise ValueError(f"{name} must be positive, got {x!r}")
    if v < 0:
        raise ValueError(f"{name} must be non-negative, got {x!r}")
    return v


def _per_state(x, S: int, name: str, *, allow_inf: bool = False, positive: bool = False) -> np.ndarray:
    """A scalar or an (S,) array of non-negative numbers, as an (S,) array."""
    arr = np.array(x, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(S, _scalar(float(arr), name, positive=positive, allow_inf=allow_inf))
    if arr.shape != (S,):
        raise ValueError(f"{name} must be a scalar or have shape ({S},), got shape {arr.shape}")
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} contains NaN")
    if not allow_inf and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    if np.any(arr < 0) or (positive and np.any(arr <= 0)):
        raise ValueError(f"{name} must be {'positive' if positive else 'non-negative'}")
    return arr


def _problem(A, pi, rho=None):
    A = as_float_array(A, "A", ndim=2)
    S, nA = A.shape
    if S == 0 or nA == 0:
        raise ValueError(f"A has an empty state or action set (shape {A.shape})")
    pi = as_policy(pi, S, nA, name="pi")
    if rho is None:
        rho = np.ones(S)
    else:
        rho = as_float_array(rho, "rho", ndim=1)
        if rho.shape != (S,):
            raise ValueError(f"rho must have shape ({S},) to match A, got {rho.shape}")
        if np.any(rho < 0):
            raise ValueError("rho must be non-negative")
    return A, pi, rho


def kl_rows(pi: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``KL(pi(.|s) || p(.|s))`` per row; ``+inf`` where ``p`` vanishes on the support of ``pi``
    (:func:`tabular.divergences.kl_unchecked`: cancellation-free, accurate for tiny steps)."""
    return kl_unchecked(pi, p)


def reverse_kl_rows(pi: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``KL(p(.|s) || pi(.|s))`` per row (the direction of [CPO] and of NPG's proximal form)."""
    return kl_rows(p, pi)


def _tv_rows(pi: np.ndarray, p: np.ndarray) -> np.ndarray:
    return 0.5 * np.abs(pi - p).sum(axis=1)


def _clean(p: np.ndarray) -> np.ndarray:
    """Remove round-off from a solver's policy: clip tiny negatives, renormalize rows."""
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, None)
    s = p.sum(axis=1, keepdims=True)
    if np.any(~np.isfinite(s)) or np.any(s <= 0):
        raise SolverError("solver returned a policy with a non-finite or empty row")
    return p / s


def _solution(A, pi, rho, p, penalty, multiplier, solver, info=None, kl=None) -> Solution:
    value = np.einsum("sa,sa->s", p, A)
    objective = float(rho @ value) - penalty
    if np.isnan(objective):
        raise SolverError("objective evaluated to NaN")
    return Solution(
        pi_new=p, objective=objective, value=value, kl=kl_rows(pi, p) if kl is None else kl, tv=_tv_rows(pi, p),
        multiplier=multiplier, solver=solver, info=MappingProxyType(dict(info or {})),
    )


def _quiet(fn):
    """Run ``fn`` with floating-point warnings off: the fast solvers handle inf (greedy limits,
    overflowing ``1/c``) explicitly and check their results for NaN."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)

    return wrapper


def _times(coef, x):
    """``coef * x`` with ``0 * inf = 0`` (a zero coefficient switches a penalty off, and an infinite
    coefficient on a zero divergence costs nothing)."""
    return 0.0 if coef == 0 or x == 0 else coef * x


# ============================================================================ per-row KL data
class _Rows:
    """Quantities of ``(A, pi)`` shared by every multiplier (see the module docstring)."""

    def __init__(self, A: np.ndarray, pi: np.ndarray, root: str = "newton"):
        self.A, self.pi, self.root = A, pi, root
        supp = pi > 0
        self.supp = supp
        m = np.where(supp, A, -np.inf).max(axis=1)  # best supported advantage
        self.m = m
        self.gap = np.where(supp, m[:, None] - A, 0.0)  # m - A >= 0 on the support
        A_off = np.where(supp, -np.inf, A)
        M_off = A_off.max(axis=1)
        self.off_idx = np.argmax(A_off, axis=1)  # lowest-index best off-support action
        top = np.maximum(m, M_off)
        low = np.where(supp, A, np.inf).min(axis=1)
        self.flat = (top - low) <= FLAT_RTOL * (1.0 + np.abs(A).max(axis=1))
        with np.errstate(invalid="ignore"):
            off_gap = M_off - m
        self.has_off = (off_gap > 0) & ~self.flat
        self.off_gap = np.where(self.has_off, off_gap, 0.0)
        ismax = supp & (self.gap == 0)
        self.ismax = ismax
        self.pi_star = np.where(ismax, pi, 0.0).sum(axis=1)
        rest_mask = supp & (self.gap > 0)
        self.rest = np.where(rest_mask, pi, 0.0).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.gap_bar = np.where(self.rest > 0, (pi * self.gap).sum(axis=1) / self.rest, 0.0)
        mean = (pi * A).sum(axis=1)
        self.var = np.where(supp, pi * (A - mean[:, None]) ** 2, 0.0).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.where(supp, np.log(np.where(supp, self.off_gap[:, None] + self.gap, 1.0)), 0.0)
        # KL in the off-support regime is log_off - log c (only used where has_off)
        self.log_off = np.where(self.has_off, (pi * logs).sum(axis=1), 0.0)
        # c at which the off-support regime starts when pi* = 1 (all supported actions tie): KL(c)=0 above
        self.c_zero = np.where(self.has_off & (self.rest == 0), self.off_gap, np.inf)


_SERIES = (0.5, -2.0 / 3, 0.75, -0.8, 5.0 / 6, -6.0 / 7)  # phi(y) = sum_k>=2 (-1)^k (k-1) y^k / k


def _phi_series(y: np.ndarray) -> np.ndarray:
    c2, c3, c4, c5, c6, c7 = _SERIES
    return y * y * (c2 + y * (c3 + y * (c4 + y * (c5 + y * (c6 + y * c7)))))


def _phi(y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``phi = log(d) - y / d >= 0`` with ``d = 1 + y > 0``, accurate for small ``|y|``.

    At the root of the row-sum equation ``KL(pi || p) = sum_a pi(a) phi(y_a)`` with
    ``p(a) = pi(a) / d_a``: every term is non-negative and second order in ``y``, so the KL of a
    tiny step is computed to full relative precision (no cancellation). ``d`` is passed separately
    because ``1 + y`` loses precision when ``d`` is tiny.
    """
    small = np.abs(y) < 1e-3
    series = _phi_series(np.where(small, y, 0.0))
    dl = np.where(small, 1.0, d)
    yl = np.where(small, 0.0, y)
    direct = np.where(np.isinf(dl), np.inf, np.log(dl) - yl / dl)
    return np.where(small, series, direct)


def _solve_u(pi, b, pi_star, rest, b_bar, root):
    """Root ``u in [pi*, 1]`` of ``S(u) = sum_a pi(a) / (u + b(a)) = 1`` for every row.

    Returns ``(d, y)`` with ``d_a = u + b(a)`` and ``y_a = u - 1 + b(a)``, so that
    ``p(a) = pi(a) / d_a`` and ``KL = sum_a pi(a) phi(y_a)``. Rows whose root is near 1 (small
    steps, ``c`` large) are solved for ``e = u - 1`` and rows with ``u < 1/2`` for ``u`` itself, so
    both ``y`` (tiny steps) and ``d`` (near-greedy steps) keep full relative precision. ``S - 1`` is
    evaluated as ``-sum_a pi(a) y_a / d_a`` (no cancellation, since ``sum_a pi(a) = 1``).
    Newton on the concave increasing ``H(u) = 1/S(u)``, started at a Jensen lower bound of the root,
    increases monotonically to the root; rows that fail a residual check are bisected.
    """
    # Jensen lower bound: pi*/u + rest/(u + b_bar) = 1  <=>  u^2 + (b_bar - 1) u - pi* b_bar = 0
    disc = np.sqrt((b_bar - 1.0) ** 2 + 4.0 * pi_star * b_bar)
    u0 = np.where(b_bar > 1.0, 2.0 * pi_star * b_bar / ((b_bar - 1.0) + disc), 0.5 * ((1.0 - b_bar) + disc))
    # the same root written as e0 = u0 - 1 without cancellation when b_bar is small
    e0 = np.where(b_bar > 1.0, u0 - 1.0, -2.0 * rest * b_bar / ((1.0 + b_bar) + disc))
    u0 = np.where(np.isfinite(u0), np.clip(np.maximum(u0, pi_star), 0.0, 1.0), pi_star)
    e0 = np.where(np.isfinite(e0), np.clip(np.maximum(e0, pi_star - 1.0), -1.0, 0.0), pi_star - 1.0)
    shift = (u0 >= 0.5) | (rest == 0)  # solve for z = u - 1 (True) or z = u (False)
    z = np.where(shift, np.where(rest > 0, e0, 0.0), u0)
    z_lo = np.where(shift, pi_star - 1.0, pi_star)
    z_hi = np.where(shift, 0.0, 1.0)
    sh = shift.astype(np.float64)[:, None]
    b = np.minimum(b, 1e300)

    def dy(zv, rows=slice(None)):
        zb = zv[:, None] + b[rows]
        return zb + sh[rows], zb + (sh[rows] - 1.0)  # d = u + b, y = u - 1 + b

    def s_minus_1(zv, rows=slice(None)):
        d, y = dy(zv, rows)
        return -np.sum(pi[rows] * (y / d), axis=1), d  # pi = 0 off the support, d > 0

    solve = rest > 0
    if root == "brentq":
        failed = []
        for i in np.flatnonzero(solve):
            row = np.array([i])

            def g(x, row=row):
                return float(s_minus_1(np.array([x]), row)[0][0])

            lo, hi = float(z[i]), float(z_hi[i])
            if g(lo) <= 0:
                continue
            if g(hi) > 0:
                raise SolverError(f"could not bracket the KL-penalty root in row {i}")
            z[i], res = brentq(g, lo, hi, xtol=5e-324, rtol=4 * np.finfo(float).eps, maxiter=500,
                               full_output=True, disp=False)
            if not res.converged:
                failed.append(i)
        bad = np.array(failed, dtype=np.intp)
    else:
        active = solve.copy()
        for _ in range(100):
            sm1, d = s_minus_1(z)
            t = np.sum((pi / d) / d, axis=1)  # not pi / d^2: d may be ~1e-307
            # Newton on H(u) = 1/S(u): u <- u + (1 - H)/H' = u + S (S - 1) / T
            step = np.where(active, np.maximum((1.0 + sm1) * sm1 / t, 0.0), 0.0)
            z = np.minimum(z + step, z_hi)
            active &= (step > 4.0 * np.finfo(float).eps * np.abs(z)) & np.isfinite(z)
            if not active.any():
                break
        # the last step is the convergence certificate
        bad = np.flatnonzero(solve & ~(step <= 1e-10 * np.abs(z) + 1e-300))
    if bad.size:  # repair by bisection
        lo, hi = z_lo[bad].copy(), z_hi[bad].copy()
        for _ in range(2000):
            mid = 0.5 * (lo + hi)
            big = s_minus_1(mid, bad)[0] > 0
            lo = np.where(big, mid, lo)
            hi = np.where(big, hi, mid)
            if np.all(hi - lo <= 4 * np.finfo(float).eps * np.maximum(np.abs(lo), np.abs(hi))):
                break
        z[bad] = lo
        if not np.all(hi - lo <= 1e-12 * np.maximum(np.abs(lo), np.abs(hi)) + 1e-300):
            raise SolverError("KL-penalty root did not converge")
    return dy(z)


@_quiet
def _penalized(R: _Rows, c: np.ndarray, idx: np.ndarray):
    """Per-state solution of ``max <p, A> - c KL(pi || p)`` for rows ``idx``.

    Returns ``(p, kl, dkl)`` with ``dkl = dKL/dlog c`` (<= 0).
    """
    pi = R.pi[idx]
    gap = R.gap[idx]
    n = idx.size
    p = pi.copy()
    kl = np.zeros(n)
    dkl = np.zeros(n)
    flat = R.flat[idx]
    zero = (c == 0) & ~flat
    pos = (c > 0) & np.isfinite(c) & ~flat
    if np.any(zero):
        z = np.flatnonzero(zero)
        rows = idx[z]
        ho = R.has_off[rows]
        g = np.where(R.ismax[rows], R.pi[rows], 0.0) / R.pi_star[rows][:, None]
        g[ho] = 0.0
        g[np.flatnonzero(ho), R.off_idx[rows][ho]] = 1.0
        p[z] = g
        kl[z] = np.inf
        dkl[z] = -1.0
    if np.any(pos):
        k = np.flatnonzero(pos)
        rows = idx[k]
        ck = c[k]
        pik = pi[k]
        b = gap[k] / ck[:, None]
        b_bar = R.gap_bar[rows] / ck
        d, y = _solve_u(pik, b, R.pi_star[rows], R.rest[rows], b_bar, R.root)
        q = pik / d  # p = pi / (u + b) on the support
        supp = pik > 0
        klk = np.where(supp, pik * _phi(np.where(supp, y, 0.0), np.where(supp, d, 1.0)), 0.0).sum(axis=1)
        # chi2 = sum (p - pi)^2 / pi = sum pi (y/d)^2, written to avoid overflow when d ~ 1e-307
        chi2 = np.where(supp, q * (y / d) * y, 0.0).sum(axis=1)
        dk = -chi2 / (1.0 + chi2)
        pk = q / q.sum(axis=1, keepdims=True)
        ho = R.has_off[rows]
        if np.any(ho):
            u_off = R.off_gap[rows] / ck
            u = d[np.arange(k.size), np.argmin(b, axis=1)]  # d = u + b and min b = 0
            reg2 = ho & (u_off > u)
            if np.any(reg2):
                r = np.flatnonzero(reg2)
                rr = rows[r]
                # nu = M_off: p(a) = c pi(a) / (M_off - A(a)) on the support, rest to the best off-support action
                q2 = ck[r, None] * pik[r] / (R.off_gap[rr][:, None] + gap[k][r])
                q2 = np.where(pik[r] > 0, q2, 0.0)
                q2[np.arange(r.size), R.off_idx[rr]] += np.maximum(1.0 - q2.sum(axis=1), 0.0)
                pk[r] = q2
                klk[r] = R.log_off[rr] - np.log(ck[r])
                dk[r] = -1.0
        # Keep supported probabilities representable: with tiny pi(a) and tiny c the exact p(a)
        # underflows to 0, which would make the computed KL(pi || p) infinite. Flooring at the
        # smallest normal double changes p by < 1e-307 and only lowers KL.
        pk = np.where(pik > 0, np.maximum(pk, _TINY), pk)
        p[k] = pk / pk.sum(axis=1, keepdims=True)
        kl[k] = np.maximum(klk, 0.0)
        dkl[k] = dk
    return p, kl, dkl


# ============================================================================ 1-D root finding
@_quiet
def _decreasing_root(fun, x0, *, ftol, x_min, x_max, xtol=1e-12, accept_min=False, feasible=False,
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
    """
    res = 8.0 * np.finfo(float).eps
    x0 = np.clip(np.asarray(x0, dtype=np.float64), x_min, x_max)
    n = x0.size
    ftol = np.broadcast_to(np.asarray(ftol, dtype=np.float64), (n,))
    all_idx = np.arange(n)
    x = x0.copy()
    f, df = fun(x, all_idx)
    lo = np.full(n, -np.inf)
    hi = np.full(n, np.inf)
    fhi = np.full(n, -np.inf)
    pos = f > 0
    lo[pos] = x[pos]
    hi[~pos], fhi[~pos] = x[~pos], f[~pos]
    done = np.abs(f) <= ftol
    # ---- bracket: step past the Newton point (x 1.1), at least a minimum step growing fourfold
    step = 1e-5 * (1.0 + np.abs(x))
    need = np.flatnonzero(~done & (np.isinf(lo) | np.isinf(hi)))
    while need.size:
        up = np.isinf(hi[need])  # f > 0 so far: move right
        sign = np.where(up, 1.0, -1.0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            newton = -f[need] / df[need] * sign
        newton = np.where(np.isfinite(newton) & (newton > 0), np.minimum(1.1 * newton, 1e3), 0.0)
        xt = np.clip(x[need] + sign * np.maximum(step[need], newton), x_min, x_max)
        ft, dft = fun(xt, need)
        x[need], f[need], df[need] = xt, ft, dft
        p = ft > 0
        lo[need[p]] = xt[p]
        hi[need[~p]], fhi[need[~p]] = xt[~p], ft[~p]
        done[need] |= np.abs(ft) <= ftol[need]
        step[need] *= 4.0
        stuck_up = up & p & (xt >= x_max)
        if np.any(stuck_up):
            raise SolverError(f"could not bracket the {what}: f is still positive at the upper end "
                              f"exp({x_max:.4g}) of the search range")
        stuck_down = ~up & ~p & (xt <= x_min)
        if np.any(stuck_down):
            if not accept_min:
                raise SolverError(f"could not bracket the {what}: f is still non-positive at the lower "
                                  f"end exp({x_min:.4g}) of the search range")
            s = need[stuck_down]
            done[s] = True
        need = np.flatnonzero(~done & (np.isinf(lo) | np.isinf(hi)))
    # ---- safeguarded Newton inside [lo, hi]
    act = np.flatnonzero(~done)
    fprev = np.abs(f)
    bisect_next = np.zeros(n, dtype=bool)
    for _ in range(maxiter):
        if act.size == 0:
            break
        xa, fa, dfa = x[act], f[act], df[act]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            xn = xa - fa / dfa
        mid = 0.5 * (lo[act] + hi[act])
        bad = ~np.isfinite(xn) | (xn <= lo[act]) | (xn >= hi[act]) | bisect_next[act]
        xn = np.where(bad, mid, xn)
        fn, dfn = fun(xn, act)
        p = fn > 0
        lo[act[p]] = xn[p]
        hi[act[~p]], fhi[act[~p]] = xn[~p], fn[~p]
        bisect_next[act] = np.abs(fn) > 0.5 * fprev[act]
        fprev[act] = np.abs(fn)
        moved = np.abs(xn - xa)
        x[act], f[act], df[act] = xn, fn, dfn
        width = hi[act] - lo[act]
        tiny = res * (1e-300 + np.abs(xn))
        with np.errstate(divide="ignore", invalid="ignore"):
            nstep = np.abs(fn / dfn)  # the next Newton step: converged when negligible
        conv = (np.abs(fn) <= ftol[act]) | (width <= tiny) | (~bad & (moved <= tiny)) | (
            (nstep <= xtol * (1.0 + np.abs(xn))) & (np.abs(fn) <= 1e-9))
        done[act[conv]] = True
        act = act[~conv]
    if act.size:
        width = hi[act] - lo[act]
        if not np.all(width <= 1e-8 * (1.0 + np.abs(x[act]))):
            raise SolverError(f"the {what} did not converge (bracket width {np.max(width):.3g})")
    if feasible:  # step onto the feasible end of the bracket when that costs |f| <= 1e-12
        swap = (f > 0) & np.isfinite(hi) & (fhi >= -1e-12)
        x = np.where(swap, hi, x)
    return x


def _kl_level(R: _Rows, kappa: np.ndarray, idx: np.ndarray, c0: np.ndarray | None = None,
              feasible: bool = True) -> np.ndarray:
    """Multipliers ``c`` with ``KL(pi || p_c) = kappa`` for the non-flat rows ``idx`` (kappa > 0).

    ``feasible=True`` rounds to the side ``KL <= kappa`` (costing at most ~1e-9 relative in ``c``);
    the nested solve of Algorithm 1 uses ``False`` for the most precise ``c``.
    """
    if idx.size == 0:
        return np.zeros(0)
    # rows with all supported actions tied and a better action off the support: in closed form,
    # KL(c) = log(M_off - m) - log c for c < M_off - m (and 0 above), so c = (M_off - m) exp(-kappa)
    tied = R.has_off[idx] & (R.rest[idx] == 0)
    if np.any(tied):
        c = np.empty(idx.size)
        c[tied] = R.off_gap[idx[tied]] * np.exp(-kappa[tied])
        rest = ~tied
        if np.any(rest):
            c[rest] = _kl_level(R, kappa[rest], idx[rest], None if c0 is None else c0[rest], feasible)
        return np.maximum(c, C_MIN)
    var = R.var[idx]
    with np.errstate(divide="ignore", invalid="ignore"):
        guess = np.where(var > 0, np.sqrt(var / (2.0 * kappa)), R.off_gap[idx] * np.exp(-np.minimum(kappa, 700.0)))
    if c0 is not None:
        guess = np.where((c0 > 0) & np.isfinite(c0), c0, guess)
    guess = np.where((guess > 0) & np.isfinite(guess), guess, 1.0)

    log_kappa = np.log(kappa)

    def fun(x, sub):
        # log KL(c) - log kappa is nearly linear in log c at both ends (slope -2 as c -> inf,
        # KL ~ -(1 - pi*) log c as c -> 0), so Newton converges in a few steps
        rows = idx[sub]
        _, kl, dkl = _penalized(R, np.exp(x), rows)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(kl) - log_kappa[sub], dkl / kl

    x = _decreasing_root(fun, np.log(guess), ftol=1e-15, x_min=_LOG_C_MIN, x_max=_LOG_C_MAX,
                         accept_min=True, feasible=feasible, what="per-state KL multiplier")
    return np.exp(x)


# ============================================================================ cvxpy helpers
def _solve_cvxpy(prob, what: str):
    """Solve a cvxpy problem with Clarabel; raise :class:`SolverError` unless the status is optimal.

    First with the tight :data:`CLARABEL_OPTIONS`; if Clarabel reports ``optimal_inaccurate`` there
    (it cannot always reach 1e-10), once more with Clarabel's default tolerances (1e-8, passed
    explicitly: cvxpy would otherwise reuse the previous settings). Any status
    other than ``optimal`` after that raises, naming the status.
    """
    import warnings

    import cvxpy as cp

    for opts in (CLARABEL_OPTIONS, CLARABEL_RETRY_OPTIONS):
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Solution may be inaccurate")
                prob.solve(solver=cp.CLARABEL, **opts)
        except cp.error.SolverError as exc:
            raise SolverError(f"{what}: Clarabel failed ({exc})") from exc
        if prob.status != cp.OPTIMAL_INACCURATE:
            break
    if prob.status != cp.OPTIMAL:
        raise SolverError(f"{what}: cvxpy/Clarabel returned status {prob.status!r}, expected 'optimal'")
    return prob


def _cvx_setup(A, pi, rho):
    """Variable ``p`` on the simplex rows, the linear term and per-state ``KL(pi || p)`` expressions."""
    import cvxpy as cp

    S, nA = A.shape
    p = cp.Variable((S, nA), nonneg=True)
    cons = [cp.sum(p, axis=1) == 1]
    lin = cp.sum(cp.multiply(rho[:, None] * A, p))
    flat_idx = np.flatnonzero(pi.ravel() > 0)
    sel = sp.csr_matrix((np.ones(flat_idx.size), (flat_idx // nA, np.arange(flat_idx.size))),
                        shape=(S, flat_idx.size))
    terms = cp.rel_entr(pi.ravel()[flat_idx], cp.vec(p, order="C")[flat_idx])  # pi log(pi/p)
    kl = sel @ terms
    return p, cons, lin, kl


# ============================================================================ problem 1: KL penalty
def solve_kl_penalty(A, pi, c, rho=None, *, solver: str = "fast", root: str = "newton") -> Solution:
    """Per-state KL-penalized step, the inner problem of Eq. (9) of [TRPO] (THEORY.md §4).

    Solves, for every state independently,
    ``max_p sum_a p(a|s) A(s, a) - c_s KL(pi(.|s) || p(.|s))``; the closed form is
    ``p(a|s) = c_s pi(a|s) / (nu_s - A(s, a))`` with ``nu_s > max_{a: pi(a|s)>0} A(s, a)`` the root
    making the row sum to one (module docstring; off-support actions as explained there).

    Parameters
    ----------
    A : (S, A) advantages. pi : (S, A) old policy.
    c : float or (S,) penalty coefficients in ``[0, inf]`` (0: greedy, inf: ``pi``).
    rho : (S,) state weights of the reported objective ``sum_s rho(s) [value(s) - c_s KL_s]``
        (default ones; they do not change the per-state solution).
    solver : ``"fast"`` (closed form + root) or ``"cvxpy"`` (Clarabel reference).
    root : ``"newton"`` (vectorized safeguarded Newton) or ``"brentq"`` (scipy, state by state).

    Returns
    -------
    Solution with ``multiplier = c`` (an (S,) array).
    """
    A, pi, rho = _problem(A, pi, rho)
    S = A.shape[0]
    c = _per_state(c, S, "c", allow_inf=True)
    solver, root = _check_solver(solver), _check_root(root)
    if solver == "fast":
        R = _Rows(A, pi, root)
        p, _, _ = _penalized(R, c, np.arange(S))
    else:
        import cvxpy as cp

        p_var, cons, lin, kl = _cvx_setup(A, pi, rho)
        fin = np.isfinite(c)
        obj = lin - cp.sum(cp.multiply(rho[fin] * c[fin], kl[np.flatnonzero(fin)])) if np.any(fin) else lin
        if np.any(~fin):
            cons.append(p_var[np.flatnonzero(~fin), :] == pi[~fin])
        _solve_cvxpy(cp.Problem(cp.Maximize(obj), cons), "KL-penalized step")
        p = _clean(p_var.value)
    klv = kl_rows(pi, p)
    penalty = float(sum(_times(rho[s] * c[s], klv[s]) for s in range(S)))
    return _solution(A, pi, rho, p, penalty, c, solver)


# ============================================================================ problem 2: KL constraint
def _kl_constraint_fast(R: _Rows, kappa: np.ndarray):
    """``p`` and ``c`` solving ``max <p, A>  s.t.  KL(pi || p) <= kappa_s`` per state (fast)."""
    S = R.A.shape[0]
    c = np.full(S, np.inf)  # flat rows and kappa = 0: p = pi (multiplier undefined; reported as inf)
    c[R.flat] = 0.0
    act = np.flatnonzero(~R.flat & (kappa > 0))
    # rows whose KL(c) vanishes above c_zero: kappa > 0 always binds below c_zero, so no special case
    c[act] = _kl_level(R, kappa[act], act)
    p, kl, _ = _penalized(R, np.where(R.flat, np.inf, c), np.arange(S))
    return p, c, kl


def solve_kl_constraint(A, pi, kappa, rho=None, *, solver: str = "fast", root: str = "newton") -> Solution:
    """Per-state KL-constrained step: ``max_p sum_a p(a|s) A(s, a)  s.t.  KL(pi(.|s) || p) <= kappa_s``.

    The fast solver finds the multiplier ``c_s`` of the penalized form (``KL`` of the penalized
    solution decreases strictly in ``c_s`` on non-flat rows) by safeguarded Newton on ``log c_s``
    with ``dKL/dlog c = -chi2/(1+chi2)``. The constraint is active on every non-flat row (the
    unconstrained maximizer, a greedy row, has ``KL = inf`` unless the row is flat). Flat rows and
    ``kappa_s = 0`` return ``pi``. If even ``c = 1e-300`` has ``KL < kappa_s`` (astronomically large
    ``kappa``), that solution is returned (its value is within ``1e-300 kappa`` of the optimum).

    Returns
    -------
    Solution with ``multiplier = c`` ((S,) array; 0 on flat rows, ``inf`` where ``kappa = 0``) and
    ``objective = sum_s rho(s) value(s)``. ``dv_s/dkappa_s = c_s`` (envelope theorem).
    """
    A, pi, rho = _problem(A, pi, rho)
    S = A.shape[0]
    kappa = _per_state(kappa, S, "kappa")
    solver, root = _check_solver(solver), _check_root(root)
    if solver == "fast":
        p, c, _ = _kl_constraint_fast(_Rows(A, pi, root), kappa)
        return _solution(A, pi, rho, p, 0.0, c, solver)
    import cvxpy as cp

    p_var, cons, lin, kl = _cvx_setup(A, pi, np.ones(S))
    cons.append(kl <= kappa)
    _solve_cvxpy(cp.Problem(cp.Maximize(lin), cons), "KL-constrained step")
    c = np.asarray(cons[-1].dual_value, dtype=np.float64).ravel()
    return _solution(A, pi, rho, _clean(p_var.value), 0.0, c, solver)


# ============================================================================ problem 3: max-KL (Eq. 11)
def solve_max_kl(A, pi, rho, delta, *, solver: str = "fast", root: str = "newton") -> Solution:
    """Eq. (11) of [TRPO]: ``max_p sum_s rho(s) sum_a p(a|s) A(s, a)  s.t.  KL_s <= delta  for all s``.

    Separable: every state solves :func:`solve_kl_constraint` with ``kappa = delta`` (states with
    ``rho(s) = 0`` too, so the solution does not depend on ``rho``). The Lagrange multiplier of the
    constraint of state ``s`` is ``rho(s) c_s`` (``info["mu"]``).

    Returns
    -------
    Solution with ``multiplier = c`` ((S,) array) and ``objective = sum_s rho(s) value(s)``.
    """
    A, pi, rho = _problem(A, pi, rho)
    delta = _scalar(delta, "delta", positive=True)
    sol = solve_kl_constraint(A, pi, delta, rho, solver=solver, root=root)
    c = np.asarray(sol.multiplier)
    with np.errstate(invalid="ignore"):
        mu = np.where(rho > 0, rho * c, 0.0)
    return Solution(sol.pi_new, sol.objective, sol.value, sol.kl, sol.tv, c, sol.solver,
                    MappingProxyType({"mu": mu, "delta": delta}))


# ============================================================================ problem 4: mean-KL (Eq. 12)
def solve_mean_kl(A, pi, rho, weights, delta, *, solver: str = "fast", root: str = "newton") -> Solution:
    """Eq. (12) of [TRPO]: ``max_p sum_s rho(s) sum_a p A  s.t.  sum_s w(s) KL_s <= delta``.

    ``weights`` ``w`` is an (S,) non-negative array; pass ``rho`` for the unnormalized sum written
    in Eq. (12) or ``d = (1-gamma) rho`` for a true expectation. One common multiplier ``lambda``:
    each state solves the KL-penalized problem with ``c_s = lambda w(s) / rho(s)`` (``c_s = lambda``
    when ``w = rho``), and ``lambda`` is the root of ``sum_s w(s) KL_s(lambda) = delta`` (safeguarded
    Newton on ``log lambda``; the constraint is always active unless every non-flat state with
    ``rho(s) > 0`` has ``w(s) = 0``, in which case ``lambda = 0``). States with ``rho(s) = 0`` keep
    ``pi`` (they do not enter the objective); states with ``w(s) = 0 < rho(s)`` are greedy.

    Returns
    -------
    Solution with ``multiplier = lambda`` (float) and ``objective = sum_s rho(s) value(s)``.
    """
    A, pi, rho = _problem(A, pi, rho)
    S = A.shape[0]
    w = as_float_array(weights, "weights", ndim=1)
    if w.shape != (S,):
        raise ValueError(f"weights must have shape ({S},), got {w.shape}")
    if np.any(w < 0):
        raise ValueError("weights must be non-negative")
    delta = _scalar(delta, "delta", positive=True)
    solver, root = _check_solver(solver), _check_root(root)
    if solver == "cvxpy":
        import cvxpy as cp

        p_var, cons, lin, kl = _cvx_setup(A, pi, rho)
        keep = np.flatnonzero(rho == 0)
        if keep.size:
            cons.append(p_var[keep, :] == pi[keep])
        used = np.flatnonzero(w > 0)
        cons.append(w[used] @ kl[used] <= delta)
        _solve_cvxpy(cp.Problem(cp.Maximize(lin), cons), "mean-KL trust region")
        lam = float(np.asarray(cons[-1].dual_value))
        return _solution(A, pi, rho, _clean(p_var.value), 0.0, lam, solver, {"weights": w, "delta": delta})

    R = _Rows(A, pi, root)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(rho > 0, w / np.where(rho > 0, rho, 1.0), np.inf)  # c_s = lambda * ratio_s
    active = np.flatnonzero(~R.flat & (rho > 0) & (w > 0))
    all_idx = np.arange(S)

    def coeffs(lam):
        with np.errstate(invalid="ignore"):
            c = np.where(np.isinf(ratio), np.inf, lam * ratio)
        return c

    if active.size == 0:
        lam = 0.0
    else:
        wa, ra = w[active], ratio[active]
        num = np.sum(rho[active] ** 2 * R.var[active] / (2.0 * wa))
        lam0 = np.sqrt(num / delta) if num > 0 else 1.0

        def fun(x, _sub):
            lam = float(np.exp(x[0]))
            _, kl, dkl = _penalized(R, lam * ra, active)
            tot = np.float64(wa @ kl)
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.array([np.log(tot) - np.log(delta)]), np.array([np.float64(wa @ dkl) / tot])

        x = _decreasing_root(fun, np.array([np.log(lam0)]), ftol=1e-10, feasible=True,
                             x_min=_LOG_C_MIN, x_max=_LOG_C_MAX, accept_min=True,
                             what="mean-KL multiplier lambda")
        lam = float(np.exp(x[0]))
    p, _, _ = _penalized(R, coeffs(lam), all_idx)
    return _solution(A, pi, rho, p, 0.0, lam, solver, {"weights": w, "delta": delta,
                                                        "c": coeffs(lam)})


def _mm_joint_newton(R: _Rows, act: np.ndarray, rho_a: np.ndarray, C: float, t0: float, maxiter: int = 20):
    """Newton on the whole optimality system of Algorithm 1 at once (fast path).

    Unknowns ``x_s = log c_s`` (rows ``act``) and ``y = log kappa``; equations
    ``F_s = log KL_s(c_s) - y = 0`` and ``G = log sum_s rho(s) c_s - log C = 0``. The Jacobian is
    arrow-shaped (``dF_s/dx_s = d_s = dlog KL/dlog c``, ``dF_s/dy = -1``,
    ``dG/dx_s = w_s = rho c / sum rho c``), so a Newton step costs O(S):
    ``dy = (-G + sum_s w_s F_s / d_s) / sum_s w_s / d_s`` and ``dx_s = (dy - F_s) / d_s``. Steps are
    capped at 2 in every coordinate and halved until ``|F|^2 + G^2`` decreases. The start is
    ``kappa = t0`` with ``c_s`` from the small-step approximation ``KL_s ~ Var_s / (2 c_s^2)``, or
    the exact per-row multiplier at ``t0`` where that approximation is off by more than e^0.5.
    Rows whose KL cannot reach ``t0`` even at ``c = C_MIN`` stay pinned there (as in the nested
    solver; checked at the end); rows whose KL is nearly saturated in ``c`` (``|d_s| < 0.05``) are
    re-solved exactly at every ``y`` and enter the step through the Schur complement. Returns ``(kappa, c)`` once every ``|F_s|`` and ``|G|`` is below
    1e-9 (relative errors of KL and of ``sum rho c``), or None (the caller then uses the nested bracketed solver): when a row is tied (it has
    a closed form), a multiplier leaves ``(C_MIN, C_MAX)``, or the iteration does not converge.
    """
    if np.any(R.rest[act] == 0) or np.any(R.var[act] <= 0):
        return None
    log_C = float(np.log(C))
    y = float(np.log(t0))
    x = np.log(np.sqrt(R.var[act] / (2.0 * t0)))
    _, kl0, _ = _penalized(R, np.exp(x), act)
    off = ~(np.abs(np.log(kl0) - y) <= 0.5)
    if off.any():
        x[off] = np.log(_kl_level(R, np.full(int(off.sum()), t0), act[off], feasible=False))
    pinned = x <= _LOG_C_MIN + 1e-9
    keep = ~pinned
    if not keep.any():
        return None
    kl_floor = _penalized(R, np.full(int(pinned.sum()), C_MIN), act[pinned])[1] if pinned.any() else None
    act_all = act
    act, rho_a, x = act[keep], rho_a[keep], x[keep]
    # "hard" rows: KL nearly saturated in c (|dlog KL/dlog c| < 0.05, e.g. a tiny mass off the best
    # action); Newton in their x_s would need huge steps, so they are re-solved exactly at every y
    _, kl1, dkl1 = _penalized(R, np.exp(x), act)
    hard = ~(np.abs(dkl1 / kl1) >= 0.05)
    easy = ~hard
    budget = [3 * maxiter]

    def residual(xe, y):
        budget[0] -= 1
        if budget[0] < 0 or not (np.isfinite(y) and np.all(np.isfinite(xe))):
            return None
        xx = x.copy()
        xx[easy] = xe
        if hard.any():
            xx[hard] = np.log(_kl_level(R, np.full(int(hard.sum()), np.exp(y)), act[hard],
                                        np.exp(x[hard]), feasible=False))
        if not (np.all(xx > _LOG_C_MIN) and np.all(xx < _LOG_C_MAX)):
            return None
        c = np.exp(xx)
        _, kl, dkl = _penalized(R, c, act)
        if not (np.all(kl > 0) and np.all(np.isfinite(kl)) and np.all(dkl < 0)):
            return None
        rc = rho_a * c
        tot = float(rc.sum())
        F = np.where(easy, np.log(kl) - y, 0.0)
        G = float(np.log(tot) - log_C)
        return xx, F, G, dkl / kl, rc / tot, float(F @ F + G * G)

    cur = residual(x[easy], y)
    slow = 0
    for _ in range(maxiter):
        if cur is None:
            return None
        xx, F, G, d, w, phi = cur
        x = xx
        if np.max(np.abs(F)) <= 1e-9 and abs(G) <= 1e-9:  # relative, above the round-off of KL
            kappa = float(np.exp(y))
            if kl_floor is not None and np.any(kl_floor > kappa):
                return None
            # polish every row to KL_s = kappa at fixed kappa (two per-row Newton steps, kept where
            # they help): the objective's penalty C max_s KL_s is first order in any excess
            for _ in range(2):
                _, kl, dkl = _penalized(R, np.exp(x), act)
                Fr = np.log(kl) - y
                xn = x - Fr / (dkl / kl)
                _, kln, _ = _penalized(R, np.exp(xn), act)
                better = np.isfinite(xn) & (np.abs(np.log(kln) - y) < np.abs(Fr))
                x = np.where(better, xn, x)
            c_all = np.full(act_all.size, C_MIN)
            c_all[keep] = np.exp(x)
            return kappa, c_all
        # Schur complement of the arrow Jacobian (F_s = 0 and dx_s = dy / d_s on the hard rows)
        dy = (-G + float(np.sum(w * F / d))) / float(np.sum(w / d))
        dx = ((dy - F) / d)[easy]
        lam0 = 1.0 / max(1.0, float(np.max(np.abs(dx), initial=0.0)) / 2.0, abs(dy) / 2.0)
        lam = lam0
        for _ in range(6):  # backtrack on the merit |F|^2 + G^2 (give up early: the nested solver is robust)
            new = residual(x[easy] + lam * dx, y + lam * dy)
            if new is not None and new[5] < (1.0 - 1e-4 * lam) * phi:
                break
            lam *= 0.5
        else:
            return None
        # slow: a full Newton step that did not cut the merit by 4, or a step that had to backtrack
        slow = slow + 1 if (lam < lam0 or (lam0 == 1.0 and new[5] > 0.25 * phi)) else 0
        if slow >= 3:  # not converging like Newton: hand over to the nested solver
            return None
        y, cur = y + lam * dy, new
    return None


# ============================================================================ problem 5: Algorithm 1
def _phi_direct(y: np.ndarray) -> np.ndarray:
    """``phi(y) = log(1 + y) - y / (1 + y) >= 0`` for ``y > -1``, to full relative precision (the
    series to ``y^7`` below ``|y| < 1e-3``, where the direct form cancels; truncation error below
    ``1e-17`` relative); a lean version of :func:`_phi` that skips the branch not needed."""
    a = np.abs(y)
    if a.max(initial=0.0) < 1e-3:
        return _phi_series(y)
    direct = np.log1p(y) - y / (1.0 + y)
    if a.min() >= 1e-3:
        return direct
    small = a < 1e-3
    direct[small] = _phi_series(y[small])
    return direct


@_quiet
def _mm_nu_newton(A: np.ndarray, pi: np.ndarray, rho: np.ndarray, C: float, maxiter: int = 40):
    """Fast path of Algorithm 1 for full-support ``pi``: Newton in the row-sum multipliers ``nu_s``.

    The KL-penalized row with multiplier ``c_s`` is ``p(a) = c_s pi(a) / (nu_s - A(s, a))``; the row-sum
    condition makes ``c_s = 1 / sum_a pi(a) / (nu_s - A(s, a))`` an explicit, increasing function of
    ``nu_s > max_a A(s, a)``, and ``KL_s(nu_s) = sum_a pi(a) phi(y_a)`` with
    ``y_a = sum_b pi(b) (A(s, b) - A(s, a)) / (nu_s - A(s, b))`` (so ``p(a) = pi(a) / (1 + y_a)``; every
    term of the sum is non-negative, no cancellation) is an explicit, decreasing one. The optimality
    system of Algorithm 1 -- ``KL_s = kappa`` on the active rows and ``sum_s rho(s) c_s = C`` -- is then
    solved by damped Newton in ``z_s = log(nu_s - max_a A(s, a))`` and ``log kappa``, whose Jacobian is
    arrow-shaped (O(S A^2) per iteration, no inner root finding). Derivatives:
    ``d KL_s / d nu_s = -c_s Var_pi(1 / (nu_s - A))`` and ``d c_s / d nu_s = c_s^2 E_pi[1 / (nu_s - A)^2]``.

    Stopping: once every residual is below ``1e-5`` (log scale) one last full Newton step is taken and
    not re-checked -- the iteration is then in its quadratic phase (observed contraction
    ``|F_k+1| <~ 0.2 |F_k|^2``), so that step lands near ``1e-11`` -- and ``p`` is formed from it
    directly as ``p = c pi / (nu - A)``. Returns ``(p, kappa, c, kl)`` (``kl``: the per-row KL of
    ``p``) or None when the fast path does not
    apply or does not converge (the caller then uses the general solvers): rows that saturate
    (``kappa`` beyond the KL of their greedy limit), extreme scales.
    """
    S, nA = A.shape
    if C <= 0 or not pi.min() >= 1e-12:  # near-deterministic rows: the careful general solver
        return None
    mean = np.einsum("sa,sa->s", pi, A)
    cen = A - mean[:, None]
    var = np.einsum("sa,sa->s", pi, cen * cen)
    m = A.max(axis=1)
    scale = 1.0 + np.abs(A).max(axis=1)
    act = (var > (1e-24 * scale) ** 2) & (rho > 0)
    if act.all():
        Aa, pa, ra, ma, va, mu = A, pi, rho, m, var, mean
    elif act.any():
        Aa, pa, ra, ma, va, mu = A[act], pi[act], rho[act], m[act], var[act], mean[act]
    else:
        return None
    Dm = ma[:, None] - Aa  # >= 0: gaps to the row maximum
    diff = Aa[:, None, :] - Aa[:, :, None]  # diff[s, a, b] = A(s, b) - A(s, a)
    logC = np.log(C)

    def resid(z, ly):
        e = np.exp(z)  # nu - max A > 0
        g = 1.0 / (Dm + e[:, None])  # 1 / (nu - A), finite and positive
        q = pa * g
        W = np.add.reduce(q, axis=1)  # (ndarray.sum's Python wrapper costs as much as the sum here)
        y = np.einsum("sb,sab->sa", q, diff)  # p = pi / (1 + y)
        kl = np.einsum("sa,sa->s", pa, _phi_direct(y))
        h = g - W[:, None]
        vg = np.einsum("sa,sa->s", pa, h * h)  # Var_pi(1 / (nu - A))
        if not (kl.min() > 0 and np.isfinite(np.add.reduce(kl)) and vg.min() > 0):
            return None
        c = 1.0 / W
        tot = float(ra @ c)
        d = -(vg * c * e) / kl  # d log KL_s / d z_s
        w = ra * (np.einsum("sa,sa->s", q, g) * c * c * e) / tot  # d log(sum rho c) / d z_s
        F = np.log(kl) - ly
        G = np.log(tot) - logC
        return c, d, w, F, G, float(F @ F + G * G)

    sd = np.sqrt(va)
    kappa0 = (float(ra @ sd) / (np.sqrt(2.0) * C)) ** 2  # small-step approximation KL ~ Var / (2 c^2)
    c0 = sd / np.sqrt(2.0 * kappa0)
    # nu ~ mean + c for small steps; nu - max A ~ c pi(argmax) when nu approaches max A (large steps)
    top = pa[np.arange(pa.shape[0]), Aa.argmax(axis=1)]
    z = np.log(np.maximum(mu + c0 - ma, c0 * top))
    ly = np.log(kappa0)
    cur = resid(z, ly)
    for _ in range(maxiter):
        if cur is None:
            return None
        c, d, w, F, G, phi = cur
        wd = w / d
        dly = (float(wd @ F) - G) / float(wd.sum())
        dz = (dly - F) / d
        if np.abs(F).max() <= 1e-5 and abs(G) <= 1e-5:  # quadratic phase: the last step is exact
            z, ly = z + dz, ly + dly
            e = np.exp(z)
            q = pa / (Dm + e[:, None])
            W = np.add.reduce(q, axis=1)
            p = pi.copy()
            p[act] = q / W[:, None]  # p = c pi / (nu - A)
            c_all = np.full(S, np.inf)
            c_all[act] = 1.0 / W
            kl = np.zeros(S)  # KL of the returned rows in the cancellation-free phi form
            kl[act] = np.einsum("sa,sa->s", pa, _phi_direct(np.einsum("sb,sab->sa", q, diff)))  # p = pi/(1+y)
            return p, float(np.exp(ly)), c_all, kl
        step = 1.0 / max(1.0, np.abs(dz).max() / 10.0, abs(dly) / 10.0)
        for _ in range(30):
            nxt = resid(z + step * dz, ly + step * dly)
            if nxt is not None and nxt[-1] < phi:
                break
            step *= 0.5
        else:
            return None
        z, ly, cur = z + step * dz, ly + step * dly, nxt
        if z.min() < -60:  # a row saturates towards its greedy limit: not for the fast path
            return None
    return None


def solve_max_kl_penalty(A, pi, rho, C, *, solver: str = "fast", root: str = "newton") -> Solution:
    """Algorithm 1 of [TRPO]: ``max_p sum_s rho(s) sum_a p A - C max_s KL_s`` (THEORY.md §4).

    For a common KL level ``kappa`` each state solves the KL-constrained problem with value
    ``v_s(kappa)``; ``g(kappa) = sum_s rho(s) v_s(kappa) - C kappa`` is concave with
    ``g'(kappa) = sum_s rho(s) c_s(kappa) - C`` (envelope theorem), so the fast solver finds the
    root ``kappa*`` of ``g'`` exactly instead of a golden-section search on ``g``: first by Newton
    on the joint system ``KL_s(c_s) = kappa``, ``sum_s rho(s) c_s = C`` (arrow-shaped Jacobian, one
    per-state solve per iteration; ``info["method"] = "joint-newton"``), and, if that does not
    converge, by safeguarded Newton on ``log kappa`` nested around bracketed per-state multiplier
    solves (``"nested"``). If
    ``g'(0+) <= 0`` (possible only when every non-flat row has all its supported actions tied and a
    better action off the support), ``kappa* = 0`` and ``pi_new = pi``; the result is also checked
    against ``kappa = 0``. ``C = 0`` gives the greedy policy (``kappa* = inf``, objective
    ``= sum rho v`` with ``0 * inf = 0``). Flat rows keep ``pi``; rows with ``rho(s) = 0`` solve the
    constrained problem at the same level ``kappa*``.

    The cvxpy reference uses an epigraph variable ``t >= KL_s`` for all ``s``.

    Returns
    -------
    Solution with ``multiplier = kappa*`` (the common KL level, float), ``info["c"]`` the per-state
    multipliers and ``objective = sum_s rho(s) value(s) - C max_s KL_s``.
    """
    A, pi, rho = _problem(A, pi, rho)
    return _max_kl_penalty(A, pi, rho, _scalar(C, "C"), _check_solver(solver), _check_root(root))


def _max_kl_penalty(A, pi, rho, C: float, solver: str, root: str) -> Solution:
    """:func:`solve_max_kl_penalty` on validated inputs (``mm_step`` passes its evaluation's arrays)."""
    S = A.shape[0]
    if solver == "cvxpy":
        import cvxpy as cp

        p_var, cons, lin, kl = _cvx_setup(A, pi, rho)
        t = cp.Variable(nonneg=True)
        cons.append(kl <= t)
        _solve_cvxpy(cp.Problem(cp.Maximize(lin - C * t), cons), "max-KL penalized step (Algorithm 1)")
        p = _clean(p_var.value)
        klv = kl_rows(pi, p)
        return _solution(A, pi, rho, p, _times(C, float(klv.max())), float(t.value), solver,
                         {"C": C, "c": None})

    if root == "newton" and np.all(rho > 0):
        direct = _mm_nu_newton(A, pi, rho, C)
        if direct is not None:
            p, kappa, c, klv = direct
            sol = _solution(A, pi, rho, p, _times(C, float(klv.max())), kappa, solver,
                            {"C": C, "c": c, "method": "nu-newton"}, kl=klv)
            if sol.objective >= float(rho @ np.einsum("sa,sa->s", pi, A)):  # never worse than kappa = 0
                return sol
    R = _Rows(A, pi, root)
    all_idx = np.arange(S)
    nonflat = np.flatnonzero(~R.flat)
    act = np.flatnonzero(~R.flat & (rho > 0))
    if C == 0:
        p, _, _ = _penalized(R, np.where(R.flat, np.inf, 0.0), all_idx)
        return _solution(A, pi, rho, p, 0.0, float(np.inf) if act.size else 0.0, solver,
                         {"C": C, "c": np.zeros(S)})
    if act.size == 0 or np.sum(rho[act] * R.c_zero[act]) <= C:  # g'(0+) <= 0: kappa* = 0
        return _solution(A, pi, rho, pi.copy(), 0.0, 0.0, solver, {"C": C, "c": np.full(S, np.inf)})

    ra = rho[act]
    scale = float(np.sum(ra * np.sqrt(R.var[act] / 2.0)))
    t0 = (scale / C) ** 2 if scale > 0 else 1.0  # small-step approximation KL_s ~ Var_s / (2 c_s^2)
    t0 = min(max(t0, 1e-200), 1e3)
    c = np.zeros(S)
    joint = _mm_joint_newton(R, act, ra, C, t0)
    if joint is not None:
        kappa, c[act] = joint
        method = "joint-newton"
        rest = np.setdiff1d(nonflat, act)  # rows with rho = 0: the same level kappa
        c[rest] = _kl_level(R, np.full(rest.size, kappa), rest)
    else:
        method = "nested"
        warm = {"c": None}

        def fun(y, _sub):
            t = float(np.exp(y[0]))
            cc = _kl_level(R, np.full(act.size, t), act, warm["c"], feasible=False)
            warm["c"] = cc
            _, _, dkl = _penalized(R, cc, act)
            with np.errstate(divide="ignore", invalid="ignore"):
                # dc/dlog kappa = kappa c / (dKL/dlog c); rows pinned at C_MIN (their KL cannot
                # reach kappa) do not respond to kappa
                dc = np.where(cc <= C_MIN * (1 + 1e-9), 0.0, np.where(dkl < 0, cc / dkl, -np.inf))
                tot = np.float64(ra @ cc)
                # log sum rho c - log C, nearly linear in log kappa for small kappa
                return np.array([np.log(tot) - np.log(C)]), np.array([t * np.float64(ra @ dc) / tot])

        y = _decreasing_root(fun, np.array([np.log(t0)]), ftol=1e-9,
                             x_min=float(np.log(1e-280)), x_max=float(np.log(1e5)),
                             accept_min=True, what="Algorithm 1 KL level kappa")
        kappa = float(np.exp(y[0]))
        c[nonflat] = _kl_level(R, np.full(nonflat.size, kappa), nonflat)
    p, _, _ = _penalized(R, np.where(R.flat, np.inf, c), all_idx)
    klv = kl_rows(pi, p)
    sol = _solution(A, pi, rho, p, _times(C, float(klv.max())), kappa, solver,
                    {"C": C, "c": c, "method": method})
    base = float(rho @ np.einsum("sa,sa->s", pi, A))  # g(0): pi_new = pi
    if sol.objective < base:
        return _solution(A, pi, rho, pi.copy(), 0.0, 0.0, solver, {"C": C, "c": np.full(S, np.inf)})
    return sol


# ============================================================================ problem 6: TV
def _tv_order(A, pi):
    """Drain order of every row: strictly worse actions by increasing advantage."""
    S = A.shape[0]
    best = np.argmax(A, axis=1)  # lowest-index maximizer
    a_star = A[np.arange(S), best]
    worse = A < a_star[:, None]
    key = np.where(worse, A, np.inf)
    order = np.argsort(key, axis=1, kind="stable")
    mass = np.take_along_axis(np.where(worse, pi, 0.0), order, axis=1)
    slope = np.take_along_axis(np.where(worse, a_star[:, None] - A, 0.0), order, axis=1)
    cum_after = np.cumsum(mass, axis=1)
    # the same floats as cum_after (not cum_after - mass), so a piece's end and the next piece's
    # start are one breakpoint
    cum_before = np.concatenate([np.zeros((S, 1)), cum_after[:, :-1]], axis=1)
    return best, order, mass, slope, cum_before, cum_after


def _tv_apply(pi, best, order, mass, cum_before, t):
    """Move mass ``min(t_s, available)`` from the worst actions to the best one."""
    S = pi.shape[0]
    drained_sorted = np.clip(t[:, None] - cum_before, 0.0, mass)
    drained = np.zeros_like(pi)
    np.put_along_axis(drained, order, drained_sorted, axis=1)
    p = pi - drained
    p[np.arange(S), best] += drained.sum(axis=1)
    return np.clip(p, 0.0, None)


def solve_tv_constraint(A, pi, t, rho=None) -> Solution:
    """Per-state ``max_p sum_a p(a|s) A(s, a)  s.t.  D_TV(pi(.|s), p) <= t_s`` (a small LP).

    Closed form: move mass ``t_s`` from the lowest-advantage actions (in increasing order of
    ``A``) to the best action ``argmax_a A(s, a)`` (lowest index); actions tied with the best are
    not moved. The value ``v_s(t)`` is concave and piecewise linear in ``t`` with slopes
    ``max A - A(s, a)``.

    Returns
    -------
    Solution with ``multiplier = t`` ((S,) array), ``objective = sum_s rho(s) value(s)``.
    """
    A, pi, rho = _problem(A, pi, rho)
    t = _per_state(t, A.shape[0], "t")
    best, order, mass, _, cum_before, _ = _tv_order(A, pi)
    p = _tv_apply(pi, best, order, mass, cum_before, t)
    return _solution(A, pi, rho, p, 0.0, t, "fast")


def solve_max_tv_sq_penalty(A, pi, rho, C, *, solver: str = "fast") -> Solution:
    """``max_p sum_s rho(s) sum_a p A - C (max_s D_TV(s))^2`` (Theorem 1, Eq. (8) of [TRPO]).

    For a common TV radius ``t`` each state solves :func:`solve_tv_constraint`; then
    ``g(t) = sum_s rho(s) v_s(t) - C t^2`` is concave with piecewise-constant
    ``G(t) = sum_s rho(s) v_s'(t)``, so ``t*`` is found exactly: the first interval between
    breakpoints on which ``G / (2C)`` falls below its right end gives ``t* = max(left, G/(2C))``.
    ``C = 0`` gives the greedy step. The cvxpy reference uses ``s >= D_TV(s)`` for all ``s`` and
    the objective ``... - C s^2``.

    Returns
    -------
    Solution with ``multiplier = t*`` and ``objective = sum_s rho(s) value(s) - C (max_s TV_s)^2``.
    """
    A, pi, rho = _problem(A, pi, rho)
    S = A.shape[0]
    C = _scalar(C, "C")
    solver = _check_solver(solver)
    if solver == "cvxpy":
        import cvxpy as cp

        p_var = cp.Variable(A.shape, nonneg=True)
        s = cp.Variable(nonneg=True)
        cons = [cp.sum(p_var, axis=1) == 1, 0.5 * cp.sum(cp.abs(p_var - pi), axis=1) <= s]
        obj = cp.sum(cp.multiply(rho[:, None] * A, p_var)) - C * cp.square(s)
        _solve_cvxpy(cp.Problem(cp.Maximize(obj), cons), "max-TV^2 penalized step")
        p = _clean(p_var.value)
        return _solution(A, pi, rho, p, C * float(_tv_rows(pi, p).max()) ** 2, float(s.value), solver,
                         {"C": C})
    best, order, mass, slope, cum_before, cum_after = _tv_order(A, pi)
    use = (rho[:, None] > 0) & (mass > 0)
    w = (rho[:, None] * slope)[use]
    points = np.concatenate([cum_before[use], cum_after[use]])
    deltas = np.concatenate([w, -w])
    if points.size == 0:
        t_star = 0.0
    else:
        tau, inv = np.unique(points, return_inverse=True)
        dG = np.zeros(tau.size)
        np.add.at(dG, inv, deltas)
        G = np.cumsum(dG)  # sum_s rho v_s'(t) on [tau_k, tau_{k+1})
        if C == 0:
            t_star = float(tau[-1])
        else:
            nxt = np.r_[tau[1:], np.inf]
            cand = G / (2.0 * C)  # g'(t) = G - 2 C t = 0
            k = int(np.argmax(cand < nxt))
            t_star = float(max(tau[k], cand[k]))
    p = _tv_apply(pi, best, order, mass, cum_before, np.full(S, t_star))
    return _solution(A, pi, rho, p, C * float(_tv_rows(pi, p).max()) ** 2, t_star, solver, {"C": C})


# ============================================================================ reverse-KL penalty (NPG)
def solve_reverse_kl_penalty(A, pi, tau, rho=None, *, solver: str = "fast") -> Solution:
    """``max_p sum_a p(a|s) A(s, a) - tau KL(p(.|s) || pi(.|s))`` per state (THEORY.md §4, [AKLM]).

    Closed form (Gibbs variational principle): ``p(a|s) ∝ pi(a|s) exp(A(s, a) / tau)``, zero off the
    support of ``pi``. With ``tau = (1-gamma)/step`` this is the exact NPG / soft policy iteration
    update (Eq. (17) of [TRPO] for softmax). ``tau = inf`` returns ``pi``.

    Returns
    -------
    Solution with ``multiplier = tau``, ``objective = sum_s rho(s) [value(s) - tau KL(p || pi)]``
    and ``info["reverse_kl"]`` the per-state ``KL(p || pi)``.
    """
    A, pi, rho = _problem(A, pi, rho)
    tau = _scalar(tau, "tau", positive=True, allow_inf=True)
    solver = _check_solver(solver)
    supp = pi > 0
    if solver == "fast":
        if np.isinf(tau):
            p = pi.copy()
        else:
            with np.errstate(divide="ignore"):
                logits = np.where(supp, np.log(np.where(supp, pi, 1.0)) + A / tau, -np.inf)
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
    else:
        import cvxpy as cp

        S, nA = A.shape
        p_var = cp.Variable((S, nA), nonneg=True)
        cons = [cp.sum(p_var, axis=1) == 1]
        if np.any(~supp):
            cons.append(cp.multiply(p_var, (~supp).astype(float)) == 0)
        lin = cp.sum(cp.multiply(rho[:, None] * A, p_var))
        if np.isinf(tau):
            cons.append(p_var == pi)
            obj = lin
        else:
            idx = np.flatnonzero(supp.ravel())
            rk = cp.rel_entr(cp.vec(p_var, order="C")[idx], pi.ravel()[idx])
            obj = lin - tau * cp.sum(cp.multiply(np.repeat(rho, nA)[idx], rk))
        _solve_cvxpy(cp.Problem(cp.Maximize(obj), cons), "reverse-KL penalized step (NPG)")
        p = _clean(np.where(supp, p_var.value, 0.0))
    rkl = reverse_kl_rows(pi, p)
    penalty = 0.0 if np.isinf(tau) else float(tau * (rho @ rkl))
    return _solution(A, pi, rho, p, penalty, tau, solver, {"reverse_kl": rkl})

"""The per-state KL-penalized row problem, solved for all states at once (THEORY.md §4).

Every KL problem of :mod:`bounds.updates.solvers` (the KL penalty and constraint per state, the
max-KL and mean-KL trust regions of Eq. (11)-(12) of [TRPO], Algorithm 1) reduces to rows of
``max_p sum_a p(a) A(a) - c KL(pi || p)`` at some multipliers ``c``; this module solves those rows
(:func:`penalized`) and finds the multiplier hitting a given KL level (:func:`kl_level`).

The per-state KL-penalized problem (THEORY.md §4)
-------------------------------------------------
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
(lowest index among those within ``1e-9 max_a |A(a)|`` of the best: the tie rule of
:mod:`tabular.policies`, so that round-off never decides which action receives the mass). Restricting ``p`` to the support of ``pi`` would not give the maximizer of the
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

import numpy as np
from scipy.optimize import brentq

from tabular.policies import argmax_tol

from .base import SolverError, quiet
from .roots import LOG_C_MAX, LOG_C_MIN, C_MIN, decreasing_root

__all__ = ["KLRows", "FLAT_RTOL", "penalized", "kl_level", "phi", "phi_series", "phi_direct"]

#: Relative spread below which an advantage row counts as flat (see the module docstring).
FLAT_RTOL = 1e-13

_TINY = float(np.finfo(np.float64).tiny)

class KLRows:
    """Quantities of ``(A, pi)`` shared by every multiplier (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.rows import KLRows
    >>> R = KLRows(np.array([[1.0, 0.0, -1.0], [2.0, 2.0, 2.0]]), np.full((2, 3), 1 / 3))
    >>> R.m.tolist(), R.flat.tolist()  # best supported advantage; a constant row is flat
    ([1.0, 2.0], [False, True])
    """

    def __init__(self, A: np.ndarray, pi: np.ndarray, root: str = "newton"):
        self.A, self.pi, self.root = A, pi, root
        supp = pi > 0
        self.supp = supp
        m = np.where(supp, A, -np.inf).max(axis=1)  # best supported advantage
        self.m = m
        self.gap = np.where(supp, m[:, None] - A, 0.0)  # m - A >= 0 on the support
        A_off = np.where(supp, -np.inf, A)
        M_off = A_off.max(axis=1)
        # lowest-index best off-support action, ties by the rule of tabular.policies (row scale)
        self.off_idx = argmax_tol(A_off, axis=1, scale=np.abs(A).max(axis=1, keepdims=True))
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


def phi_series(y: np.ndarray) -> np.ndarray:
    """

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.rows import phi_series
    >>> y = np.array([1e-3])
    >>> bool(np.isclose(phi_series(y)[0], np.log1p(1e-3) - 1e-3 / (1 + 1e-3), rtol=1e-12))
    True
    """

    c2, c3, c4, c5, c6, c7 = _SERIES
    return y * y * (c2 + y * (c3 + y * (c4 + y * (c5 + y * (c6 + y * c7)))))


def phi(y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``phi = log(d) - y / d >= 0`` with ``d = 1 + y > 0``, accurate for small ``|y|``.

    At the root of the row-sum equation ``KL(pi || p) = sum_a pi(a) phi(y_a)`` with
    ``p(a) = pi(a) / d_a``: every term is non-negative and second order in ``y``, so the KL of a
    tiny step is computed to full relative precision (no cancellation). ``d`` is passed separately
    because ``1 + y`` loses precision when ``d`` is tiny.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.rows import phi
    >>> y = np.array([1e-8, 0.5])
    >>> r = phi(y, 1 + y)
    >>> bool(np.isclose(r[1], np.log(1.5) - 0.5 / 1.5)), bool(np.isclose(r[0], 0.5e-16))
    (True, True)
    """
    small = np.abs(y) < 1e-3
    series = phi_series(np.where(small, y, 0.0))
    dl = np.where(small, 1.0, d)
    yl = np.where(small, 0.0, y)
    direct = np.where(np.isinf(dl), np.inf, np.log(dl) - yl / dl)
    return np.where(small, series, direct)


def phi_direct(y: np.ndarray) -> np.ndarray:
    """``phi(y) = log(1 + y) - y / (1 + y) >= 0`` for ``y > -1``, to full relative precision (the
    series to ``y^7`` below ``|y| < 1e-3``, where the direct form cancels; truncation error below
    ``1e-17`` relative); a lean version of :func:`phi` that skips the branch not needed.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.rows import phi_direct, phi_series
    >>> y = np.array([1e-6, 2.0])
    >>> r = phi_direct(y)
    >>> bool(np.isclose(r[0], phi_series(y[:1])[0], rtol=1e-12)), bool(np.isclose(r[1], np.log(3) - 2 / 3))
    (True, True)
    """
    a = np.abs(y)
    if a.max(initial=0.0) < 1e-3:
        return phi_series(y)
    direct = np.log1p(y) - y / (1.0 + y)
    if a.min() >= 1e-3:
        return direct
    small = a < 1e-3
    direct[small] = phi_series(y[small])
    return direct


class _RowSum:
    """The row-sum equation of :func:`_solve_u` in the variable ``z`` (``z = u - 1`` on shifted rows,
    ``z = u`` otherwise): ``d = u + b``, ``y = u - 1 + b`` and ``S - 1 = -sum_a pi(a) y_a / d_a``."""

    def __init__(self, pi, b, shift):
        self.pi = pi
        self.b = np.minimum(b, 1e300)
        self.sh = shift.astype(np.float64)[:, None]

    def dy(self, zv, rows=slice(None)):
        zb = zv[:, None] + self.b[rows]
        return zb + self.sh[rows], zb + (self.sh[rows] - 1.0)  # d = u + b, y = u - 1 + b

    def s_minus_1(self, zv, rows=slice(None)):
        d, y = self.dy(zv, rows)
        return -np.sum(self.pi[rows] * (y / d), axis=1), d  # pi = 0 off the support, d > 0


def _jensen_start(pi_star, rest, b_bar):
    """Start ``z``, bracket ``[z_lo, z_hi]`` and the shift of every row (see :func:`_solve_u`)."""
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
    return z, z_lo, z_hi, shift


def _brentq_rows(eq: _RowSum, z, z_hi, solve):
    """:func:`scipy.optimize.brentq` row by row (in place on ``z``); returns the rows that failed."""
    failed = []
    for i in np.flatnonzero(solve):
        row = np.array([i])

        def g(x, row=row):
            return float(eq.s_minus_1(np.array([x]), row)[0][0])

        lo, hi = float(z[i]), float(z_hi[i])
        if g(lo) <= 0:
            continue
        if g(hi) > 0:
            raise SolverError(f"could not bracket the KL-penalty root in row {i}")
        z[i], res = brentq(g, lo, hi, xtol=5e-324, rtol=4 * np.finfo(float).eps, maxiter=500,
                           full_output=True, disp=False)
        if not res.converged:
            failed.append(i)
    return np.array(failed, dtype=np.intp)


def _newton_rows(eq: _RowSum, z, z_hi, solve):
    """Newton on ``H(u) = 1/S(u)`` for every row at once (in place on ``z``); returns the rows whose
    last step is not a convergence certificate.

    Each iteration works on the rows still moving only (most rows converge in a few steps, a few take
    many): every row's iterates are those of the same loop run on all rows, where a stopped row takes
    zero steps."""
    pi = eq.pi
    idx = np.flatnonzero(solve)
    last_idx, last_step = idx, np.zeros(idx.size)
    for _ in range(100):
        if idx.size == 0:
            break
        zi = z[idx]
        sm1, d = eq.s_minus_1(zi, idx)
        t = np.sum((pi[idx] / d) / d, axis=1)  # not pi / d^2: d may be ~1e-307
        # Newton on H(u) = 1/S(u): u <- u + (1 - H)/H' = u + S (S - 1) / T
        step = np.maximum((1.0 + sm1) * sm1 / t, 0.0)
        zi = np.minimum(zi + step, z_hi[idx])
        z[idx] = zi
        last_idx, last_step = idx, step
        idx = idx[(step > 4.0 * np.finfo(float).eps * np.abs(zi)) & np.isfinite(zi)]
    # the last iteration's step is the convergence certificate (rows stopped before it took none)
    step = np.zeros(z.shape)
    step[last_idx] = last_step
    return np.flatnonzero(solve & ~(step <= 1e-10 * np.abs(z) + 1e-300))


def _bisect_rows(eq: _RowSum, z, z_lo, z_hi, bad):
    """Repair rows ``bad`` by bisection on their bracket (in place on ``z``)."""
    lo, hi = z_lo[bad].copy(), z_hi[bad].copy()
    for _ in range(2000):
        mid = 0.5 * (lo + hi)
        big = eq.s_minus_1(mid, bad)[0] > 0
        lo = np.where(big, mid, lo)
        hi = np.where(big, hi, mid)
        if np.all(hi - lo <= 4 * np.finfo(float).eps * np.maximum(np.abs(lo), np.abs(hi))):
            break
    z[bad] = lo
    if not np.all(hi - lo <= 1e-12 * np.maximum(np.abs(lo), np.abs(hi)) + 1e-300):
        raise SolverError("KL-penalty root did not converge")


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
    z, z_lo, z_hi, shift = _jensen_start(pi_star, rest, b_bar)
    eq = _RowSum(pi, b, shift)
    solve = rest > 0
    if root == "brentq":
        bad = _brentq_rows(eq, z, z_hi, solve)
    else:
        bad = _newton_rows(eq, z, z_hi, solve)
    if bad.size:
        _bisect_rows(eq, z, z_lo, z_hi, bad)
    return eq.dy(z)


def _greedy_rows(R: KLRows, rows):
    """The ``c = 0`` limit of the rows ``rows``: mass in proportion to ``pi`` on the supported
    maximizers, or all of it on the best off-support action when that one is strictly better."""
    ho = R.has_off[rows]
    g = np.where(R.ismax[rows], R.pi[rows], 0.0) / R.pi_star[rows][:, None]
    g[ho] = 0.0
    g[np.flatnonzero(ho), R.off_idx[rows][ho]] = 1.0
    return g


def _off_support_regime(R: KLRows, rows, ck, pik, gapk, b, d, pk, klk, dk):
    """Rows where the best off-support action beats the root's multiplier (``nu = M_off``):
    ``p(a) = c pi(a) / (M_off - A(a))`` on the support, the rest of the mass to the best
    off-support action (updates ``pk``, ``klk``, ``dk`` in place)."""
    ho = R.has_off[rows]
    if not np.any(ho):
        return
    u_off = R.off_gap[rows] / ck
    u = d[np.arange(rows.size), np.argmin(b, axis=1)]  # d = u + b and min b = 0
    reg2 = ho & (u_off > u)
    if np.any(reg2):
        r = np.flatnonzero(reg2)
        rr = rows[r]
        q2 = ck[r, None] * pik[r] / (R.off_gap[rr][:, None] + gapk[r])
        q2 = np.where(pik[r] > 0, q2, 0.0)
        q2[np.arange(r.size), R.off_idx[rr]] += np.maximum(1.0 - q2.sum(axis=1), 0.0)
        pk[r] = q2
        klk[r] = R.log_off[rr] - np.log(ck[r])
        dk[r] = -1.0


@quiet
def penalized(R: KLRows, c: np.ndarray, idx: np.ndarray):
    """Per-state solution of ``max <p, A> - c KL(pi || p)`` for rows ``idx`` (THEORY.md §4).

    ``p(a) = c pi(a) / (nu - A(a))`` on the support of ``pi`` (module docstring). Returns
    ``(p, kl, dkl)`` with ``dkl = dKL/dlog c`` (<= 0).

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.rows import KLRows, penalized
    >>> A = np.array([[1.0, 0.0, -1.0]]); pi = np.full((1, 3), 1 / 3)
    >>> p, kl, dkl = penalized(KLRows(A, pi), np.array([1.0]), np.array([0]))
    >>> nu = 1.0 * pi[0, 0] / p[0, 0] + A[0, 0]  # p(a) = c pi(a) / (nu - A(a)) with one nu
    >>> bool(np.allclose(p[0], pi[0] / (nu - A[0]))), bool(kl[0] > 0 and dkl[0] <= 0)
    (True, True)
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
        p[z] = _greedy_rows(R, idx[z])
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
        klk = np.where(supp, pik * phi(np.where(supp, y, 0.0), np.where(supp, d, 1.0)), 0.0).sum(axis=1)
        # chi2 = sum (p - pi)^2 / pi = sum pi (y/d)^2, written to avoid overflow when d ~ 1e-307
        chi2 = np.where(supp, q * (y / d) * y, 0.0).sum(axis=1)
        dk = -chi2 / (1.0 + chi2)
        pk = q / q.sum(axis=1, keepdims=True)
        _off_support_regime(R, rows, ck, pik, gap[k], b, d, pk, klk, dk)
        # Keep supported probabilities representable: with tiny pi(a) and tiny c the exact p(a)
        # underflows to 0, which would make the computed KL(pi || p) infinite. Flooring at the
        # smallest normal double changes p by < 1e-307 and only lowers KL.
        pk = np.where(pik > 0, np.maximum(pk, _TINY), pk)
        p[k] = pk / pk.sum(axis=1, keepdims=True)
        kl[k] = np.maximum(klk, 0.0)
        dkl[k] = dk
    return p, kl, dkl


def kl_level(R: KLRows, kappa: np.ndarray, idx: np.ndarray, c0: np.ndarray | None = None,
              feasible: bool = True) -> np.ndarray:
    """Multipliers ``c`` with ``KL(pi || p_c) = kappa`` for the non-flat rows ``idx`` (kappa > 0).

    ``feasible=True`` rounds to the side ``KL <= kappa`` (costing at most ~1e-9 relative in ``c``);
    the nested solve of Algorithm 1 uses ``False`` for the most precise ``c``.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.rows import KLRows, kl_level, penalized
    >>> R = KLRows(np.array([[1.0, 0.0, -1.0]]), np.full((1, 3), 1 / 3))
    >>> c = kl_level(R, np.array([0.05]), np.array([0]))
    >>> p, kl, _ = penalized(R, c, np.array([0]))
    >>> print(f"{kl[0]:.8f}")
    0.05000000
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
            c[rest] = kl_level(R, kappa[rest], idx[rest], None if c0 is None else c0[rest], feasible)
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
        _, kl, dkl = penalized(R, np.exp(x), rows)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(kl) - log_kappa[sub], dkl / kl

    x = decreasing_root(fun, np.log(guess), ftol=1e-15, x_min=LOG_C_MIN, x_max=LOG_C_MAX,
                         accept_min=True, feasible=feasible, what="per-state KL multiplier")
    return np.exp(x)



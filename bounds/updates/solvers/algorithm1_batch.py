"""Algorithm 1 of [TRPO] on many instances at once: the batched form of :mod:`.algorithm1`.

``K`` problems ``max_p sum_s rho(s) sum_a p(a|s) A(s, a) - C_k max_s KL(pi(.|s) || p(.|s))`` (THEORY.md
§4) are given as rows: ``A``, ``pi`` of shape ``(N, A)``, ``rho`` ``(N,)``, the states of problem ``k``
being the rows of segment ``k`` of a :class:`tabular.mdp_batch.Segments`. Each problem is routed as the
scalar solver ``method="auto"`` routes it, and solved by the same iterations run on all problems of a
route at once, with masks for the problems that have converged:

* ``C_k = 0``: the greedy limit, row by row (:func:`.rows.penalized` at ``c = 0``);
* full-support ``pi`` (``>= 1e-12``), ``rho > 0``: the ``nu``-Newton iteration of
  :func:`.algorithm1._nu_newton` -- the same start, damped Newton steps, backtracking and stopping
  rule per problem, the arrow-shaped Newton systems solved for all problems at once;
* the rest, and the problems where ``nu``-Newton fails or is worse than ``kappa = 0``: the level
  method. Where the scalar ``auto`` tries the joint Newton iteration before the nested one, this
  module runs the **nested** solver (:func:`.algorithm1._nested`: safeguarded Newton on ``log kappa``
  around per-state multiplier solves, the method that always applies) on all of them at once: the
  outer root finder is vectorized over problems, the inner one over their rows. Both methods find
  the same root ``kappa*`` to their tolerances (``1e-9`` relative), so the policies agree to that.

Problems on which the batched iteration fails are retried one at a time; a problem that still fails is
reported (``ok = False``) for the caller to solve with the scalar solver.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tabular.mdp_batch import Segments
from tabular.divergences import kl_unchecked
from tabular.validation import as_float_array, as_policy

from .rows import phi_direct  # the lean phi of the scalar nu-Newton, shared
from .base import SolverError
from .roots import C_MIN, decreasing_root
from .rows import KLRows, kl_level, penalized

__all__ = ["BatchSolution", "max_kl_penalty_batch"]


@dataclass(frozen=True, eq=False)
class BatchSolution:
    """``p`` (N, A) the new policy rows, ``kl`` (N,) their ``KL(pi || p)``, ``method`` (K,) the route
    of each problem (the ``info["method"]`` names of :func:`.algorithm1.max_kl_penalty`, ``"nested"``
    for the level method), ``ok`` (K,) False where the batched solver failed (``p = pi`` there).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular.mdp_batch import Segments
    >>> from bounds.updates.solvers.algorithm1_batch import max_kl_penalty_batch
    >>> A = np.array([[1.0, 0.0, -1.0], [0.5, -0.5, 0.0], [0.2, 0.0, -0.1]]); pi = np.full((3, 3), 1 / 3)
    >>> out = max_kl_penalty_batch(A, pi, np.ones(3), np.array([10.0, 5.0]), Segments([2, 1]))
    >>> out.p.shape, out.kl.shape, out.ok.tolist()
    ((3, 3), (3,), [True, True])
    """

    p: np.ndarray
    kl: np.ndarray
    method: np.ndarray
    ok: np.ndarray


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(starts[i], starts[i] + lengths[i])``."""
    tot = int(lengths.sum())
    heads = np.cumsum(lengths) - lengths
    return np.arange(tot) - np.repeat(heads - starts, lengths)


class _Sub:
    """Row bookkeeping of a subset ``idx`` of the problems: their rows ``r`` (into the row arrays),
    each row's position in ``idx`` (``loc``) and segment reductions."""

    def __init__(self, idx, starts, lengths):
        self.idx = idx
        ln = lengths[idx]
        self.r = _ranges(starts[idx], ln)
        self.loc = np.repeat(np.arange(idx.size), ln)
        self.heads = np.cumsum(ln) - ln

    def sum(self, x):
        return np.add.reduceat(x, self.heads)

    def max(self, x):
        return np.maximum.reduceat(x, self.heads)

    def min(self, x):
        return np.minimum.reduceat(x, self.heads)


class _NuBatch:
    """The ``nu``-Newton system of :class:`.algorithm1._NuSystem` for the active rows of many problems."""

    def __init__(self, A, pi, rho, C, act, mean, var, segs: Segments):
        self.rows = np.flatnonzero(act)  # active rows, problem-major
        self.lengths = segs.sum(act.astype(np.intp))
        self.starts = np.cumsum(self.lengths) - self.lengths
        self.Aa, self.pa, self.ra, self.va, self.mu = A[act], pi[act], rho[act], var[act], mean[act]
        self.ma = self.Aa.max(axis=1)
        self.Dm = self.ma[:, None] - self.Aa
        self.diff = self.Aa[:, None, :] - self.Aa[:, :, None]
        self.C, self.logC = C, np.log(C)

    def sub(self, idx) -> _Sub:
        return _Sub(idx, self.starts, self.lengths)

    def start(self):
        """Per row ``z``, per problem ``log kappa`` (:meth:`.algorithm1._NuSystem.start`)."""
        every = self.sub(np.arange(self.C.size))
        sd = np.sqrt(self.va)
        kappa0 = (every.sum(self.ra * sd) / (np.sqrt(2.0) * self.C)) ** 2
        c0 = sd / np.sqrt(2.0 * kappa0[every.loc])
        top = self.pa[np.arange(self.pa.shape[0]), self.Aa.argmax(axis=1)]
        return np.log(np.maximum(self.mu + c0 - self.ma, c0 * top)), np.log(kappa0)

    def resid(self, s: _Sub, z, ly):
        """:meth:`.algorithm1._NuSystem.resid` for problems ``s.idx`` (rows ``z``, problems ``ly``):
        ``(valid, d, w, F, G, merit)``, ``valid`` per problem."""
        r = s.r
        pa = self.pa[r]
        e = np.exp(z)
        g = 1.0 / (self.Dm[r] + e[:, None])
        q = pa * g
        W = np.add.reduce(q, axis=1)
        y = np.einsum("sb,sab->sa", q, self.diff[r])
        kl = np.einsum("sa,sa->s", pa, phi_direct(y))
        h = g - W[:, None]
        vg = np.einsum("sa,sa->s", pa, h * h)
        valid = (s.min(kl) > 0) & np.isfinite(s.sum(kl)) & (s.min(vg) > 0)
        c = 1.0 / W
        ra = self.ra[r]
        tot = s.sum(ra * c)
        d = -(vg * c * e) / kl
        w = ra * (np.einsum("sa,sa->s", q, g) * c * c * e) / tot[s.loc]
        F = np.log(kl) - ly[s.loc]
        G = np.log(tot) - self.logC[s.idx]
        merit = s.sum(F * F) + G * G
        return valid & np.isfinite(merit), d, w, F, G, merit

    def policy(self, s: _Sub, z):
        """``p = c pi / (nu - A)`` and its KL (phi form) on the active rows of problems ``s.idx``."""
        r = s.r
        q = self.pa[r] / (self.Dm[r] + np.exp(z)[:, None])
        W = np.add.reduce(q, axis=1)
        kl = np.einsum("sa,sa->s", self.pa[r], phi_direct(np.einsum("sb,sab->sa", q, self.diff[r])))
        return q / W[:, None], kl


def _nu_newton_batch(A, pi, rho, C, segs: Segments, maxiter: int = 40):
    """:func:`.algorithm1._nu_newton` on every problem of ``segs`` (each has ``C > 0``, ``pi >= 1e-12``,
    ``rho > 0``): ``(p, kl, ok)``, with ``p = pi``, ``kl = 0`` on the inactive rows."""
    K = segs.K
    mean = np.einsum("sa,sa->s", pi, A)
    cen = A - mean[:, None]
    var = np.einsum("sa,sa->s", pi, cen * cen)
    scale = 1.0 + np.abs(A).max(axis=1)
    act = (var > (1e-24 * scale) ** 2) & (rho > 0)
    has = segs.any(act)
    p, kl = pi.copy(), np.zeros(segs.N)
    ok = np.zeros(K, dtype=bool)
    if not has.any():
        return p, kl, ok
    keep, krows = segs.subset(has)
    act = act[krows]
    nb = _NuBatch(A[krows], pi[krows], rho[krows], C[has], act, mean[krows], var[krows], keep)
    Ka = int(has.sum())
    z, ly = nb.start()
    done, failed = np.zeros(Ka, dtype=bool), np.zeros(Ka, dtype=bool)
    d_, w_, F_ = np.empty_like(z), np.empty_like(z), np.empty_like(z)
    G_, merit_ = np.empty(Ka), np.empty(Ka)
    every = nb.sub(np.arange(Ka))
    valid, d_[:], w_[:], F_[:], G_[:], merit_[:] = nb.resid(every, z, ly)
    failed |= ~valid
    for _ in range(maxiter):
        run = np.flatnonzero(~done & ~failed)
        if run.size == 0:
            break
        s = nb.sub(run)
        d, w, F, G = d_[s.r], w_[s.r], F_[s.r], G_[run]
        wd = w / d
        dly = (s.sum(wd * F) - G) / s.sum(wd)
        dz = (dly[s.loc] - F) / d
        conv = (s.max(np.abs(F)) <= 1e-5) & (np.abs(G) <= 1e-5)  # quadratic phase: the last step is exact
        if conv.any():
            cr = conv[s.loc]
            z[s.r[cr]] += dz[cr]
            ly[run[conv]] += dly[conv]
            done[run[conv]] = True
        nc = ~conv
        if not nc.any():
            continue
        rows_nc = nc[s.loc]
        pend = run[nc]
        dz_p, dly_p = dz[rows_nc], dly[nc]
        step = 1.0 / np.maximum(np.maximum(1.0, s.max(np.abs(dz)) / 10.0), np.abs(dly) / 10.0)[nc]
        moved = []
        for _ in range(30):
            sp = nb.sub(pend)
            zt = z[sp.r] + step[sp.loc] * dz_p
            lyt = ly[pend] + step * dly_p
            v, d, w, F, G, merit = nb.resid(sp, zt, lyt)
            acc = v & (merit < merit_[pend])
            if acc.any():
                ra_ = acc[sp.loc]
                rr = sp.r[ra_]
                z[rr], d_[rr], w_[rr], F_[rr] = zt[ra_], d[ra_], w[ra_], F[ra_]
                ia = pend[acc]
                ly[ia], G_[ia], merit_[ia] = lyt[acc], G[acc], merit[acc]
                moved.append(ia)
            if acc.all():
                pend = pend[:0]
                break
            rest = ~acc
            pend, dz_p, dly_p, step = pend[rest], dz_p[rest[sp.loc]], dly_p[rest], step[rest] * 0.5
        failed[pend] = True  # no step decreased the merit in 30 halvings
        if moved:
            ia = np.concatenate(moved)
            sa = nb.sub(ia)
            failed[ia[sa.min(z[sa.r]) < -60]] = True  # a row saturates towards its greedy limit
    ok_a = done & ~failed
    idx = np.flatnonzero(ok_a)
    if idx.size:
        s = nb.sub(idx)
        pa, kla = nb.policy(s, z[s.r])
        loc_rows = np.flatnonzero(krows)[nb.rows[s.r]]  # back to the rows of segs
        p[loc_rows], kl[loc_rows] = pa, kla
    ok[np.flatnonzero(has)[ok_a]] = True
    return p, kl, ok


def _nested_batch(R: KLRows, act: np.ndarray, ra: np.ndarray, lengths: np.ndarray, C: np.ndarray,
                  t0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`.algorithm1._nested` for many problems: ``kappa*`` per problem, and the multipliers of
    the active rows at the last level tried. ``act`` are the active rows of the problems
    (problem-major, ``lengths`` of each), ``ra`` their ``rho``."""
    starts = np.cumsum(lengths) - lengths
    warm = np.full(act.size, np.nan)  # no warm start yet (kl_level ignores non-finite c0)
    logC = np.log(C)

    def fun(y, sub):
        s = _Sub(sub, starts, lengths)
        t = np.exp(y)
        idx = act[s.r]
        cc = kl_level(R, t[s.loc], idx, warm[s.r], feasible=False)
        warm[s.r] = cc
        _, _, dkl = penalized(R, cc, idx)
        with np.errstate(divide="ignore", invalid="ignore"):
            dc = np.where(cc <= C_MIN * (1 + 1e-9), 0.0, np.where(dkl < 0, cc / dkl, -np.inf))
            rr = ra[s.r]
            tot = s.sum(rr * cc)
            return np.log(tot) - logC[sub], t * s.sum(rr * dc) / tot

    y = decreasing_root(fun, np.log(t0), ftol=1e-9, x_min=float(np.log(1e-280)), x_max=float(np.log(1e5)),
                        accept_min=True, what="Algorithm 1 KL level kappa")
    return np.exp(y), warm


def _level_batch(A, pi, rho, C, segs: Segments):
    """:func:`.algorithm1._by_level` (nested) on every problem of ``segs`` (each ``C > 0``):
    ``(p, kl, method, ok)``."""
    K = segs.K
    R = KLRows(A, pi)
    nonflat = ~R.flat
    act = nonflat & (rho > 0)
    with np.errstate(invalid="ignore"):
        czero = segs.sum(np.where(act, rho * R.c_zero, 0.0))
    stay = ~segs.any(act) | (czero <= C)  # g'(0+) <= 0: kappa* = 0
    p, kl = pi.copy(), np.zeros(segs.N)
    method = np.where(stay, "kappa=0", "nested").astype(object)
    ok = np.ones(K, dtype=bool)
    todo = np.flatnonzero(~stay)
    if todo.size == 0:
        return p, kl, method, ok
    scale = segs.sum(np.where(act, rho * np.sqrt(R.var / 2.0), 0.0))
    with np.errstate(divide="ignore"):
        t0 = np.where(scale > 0, (scale / C) ** 2, 1.0)  # small-step approximation KL ~ Var / (2 c^2)
    t0 = np.minimum(np.maximum(t0, 1e-200), 1e3)
    kappa = np.full(K, np.nan)
    warm = np.full(segs.N, np.nan)  # the multipliers at the last level tried: the final solve's start
    lengths = segs.sum(act.astype(np.intp))

    def solve(ids):
        rows = segs.rows_of(np.isin(np.arange(K), ids)) & act
        kappa[ids], warm[rows] = _nested_batch(R, np.flatnonzero(rows), rho[rows], lengths[ids], C[ids], t0[ids])

    try:
        solve(todo)
    except SolverError:  # one problem failed: the others alone (composition-independent), then give up
        for k in todo:
            try:
                solve(np.array([k]))
            except SolverError:
                ok[k] = False
    todo = todo[ok[todo]]
    rows = segs.rows_of(np.isin(np.arange(K), todo))
    nf = np.flatnonzero(rows & nonflat)
    c = np.zeros(segs.N)
    c[nf] = kl_level(R, kappa[segs.seg[nf]], nf, warm[nf])  # the same root as unstarted, to 1e-15
    r_idx = np.flatnonzero(rows)
    pp, _, _ = penalized(R, np.where(R.flat, np.inf, c)[r_idx], r_idx)
    p[r_idx] = pp
    kl[r_idx] = kl_unchecked(pi[r_idx], pp)
    method[~ok] = "failed"
    return p, kl, method, ok


def _objective(A, p, kl, rho, C, segs: Segments):
    """``sum_s rho(s) sum_a p A - C max_s KL_s`` (0 * inf = 0) and its value at ``p = pi`` is the caller's."""
    val = segs.sum(rho * np.einsum("sa,sa->s", p, A))
    kmax = segs.max(kl)
    with np.errstate(invalid="ignore"):
        return val - np.where((C == 0) | (kmax == 0), 0.0, C * kmax)


def _check_inputs(A, pi, rho, C, segs):
    """The arguments of :func:`max_kl_penalty_batch` as float arrays, or an error naming the bad one."""
    if not isinstance(segs, Segments):
        raise TypeError(f"segs must be a tabular.mdp_batch.Segments, got {type(segs).__name__}")
    A = as_float_array(A, "A", ndim=2)
    if A.shape[0] != segs.N or A.shape[1] == 0:
        raise ValueError(f"A must have shape ({segs.N}, n_actions) (one row per state of segs), got {A.shape}")
    pi = as_policy(pi, segs.N, A.shape[1], name="pi")
    rho = as_float_array(rho, "rho", ndim=1)
    if rho.shape != (segs.N,):
        raise ValueError(f"rho must have shape ({segs.N},), got {rho.shape}")
    if np.any(rho < 0):
        raise ValueError(f"rho must be non-negative (a visitation), got {rho.min():.3g} at row {int(np.argmin(rho))}")
    C = as_float_array(C, "C", ndim=(0, 1))
    C = np.broadcast_to(C, (segs.K,)) if C.ndim == 0 else C
    if C.shape != (segs.K,):
        raise ValueError(f"C must have shape ({segs.K},) (one coefficient per problem), got {C.shape}")
    if np.any(C < 0):
        raise ValueError(f"C must be >= 0, got {C.min():.3g} for problem {int(np.argmin(C))}")
    return A, pi, rho, C


def max_kl_penalty_batch(A, pi, rho, C, segs: Segments) -> BatchSolution:
    """Algorithm 1 on every problem of ``segs`` (rows ``A``, ``pi``, ``rho``; ``C`` ``(K,)`` >= 0),
    routed as :func:`.algorithm1.max_kl_penalty` with ``method="auto"`` routes (module docstring).
    Every argument is checked (shapes against ``segs``, ``pi`` rows distributions, ``rho >= 0``,
    ``C >= 0``, all finite); ``ValueError``/``TypeError`` name the argument.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular.mdp_batch import Segments
    >>> from bounds.updates.solvers import solve_max_kl_penalty
    >>> from bounds.updates.solvers.algorithm1_batch import max_kl_penalty_batch
    >>> A = np.array([[1.0, 0.0, -1.0], [0.5, -0.5, 0.0], [0.2, 0.0, -0.1]]); pi = np.full((3, 3), 1 / 3)
    >>> out = max_kl_penalty_batch(A, pi, np.ones(3), np.array([10.0, 5.0]), Segments([2, 1]))
    >>> one = solve_max_kl_penalty(A[2:], pi[2:], np.ones(1), 5.0)  # the second problem alone
    >>> bool(np.allclose(out.p[2:], one.pi_new, atol=1e-8))
    True
    """
    A, pi, rho, C = _check_inputs(A, pi, rho, C, segs)
    K = segs.K
    p, kl = pi.copy(), np.zeros(segs.N)
    method = np.full(K, "", dtype=object)
    ok = np.ones(K, dtype=bool)
    with np.errstate(all="ignore"):
        g0 = segs.sum(rho * np.einsum("sa,sa->s", pi, A))  # the objective at kappa = 0 (p = pi)
        zero = C == 0
        if zero.any():  # greedy (C = 0): the limit c -> 0+ row by row
            sub, rows = segs.subset(zero)
            R = KLRows(A[rows], pi[rows])
            pz, _, _ = penalized(R, np.where(R.flat, np.inf, 0.0), np.arange(sub.N))
            p[rows], kl[rows] = pz, kl_unchecked(pi[rows], pz)
            method[zero] = "greedy (C = 0)"
        elig = ~zero & segs.all(rho > 0) & (segs.min(pi.min(axis=1)) >= 1e-12)
        taken = zero.copy()
        if elig.any():
            sub, rows = segs.subset(elig)
            pn, kn, okn = _nu_newton_batch(A[rows], pi[rows], rho[rows], C[elig], sub)
            obj = _objective(A[rows], pn, kn, rho[rows], C[elig], sub)
            okn &= obj >= g0[elig]  # never worse than kappa = 0
            good = np.flatnonzero(elig)[okn]
            use = segs.rows_of(np.isin(np.arange(K), good))
            sel = okn[sub.seg]
            p[use], kl[use] = pn[sel], kn[sel]
            method[good] = "nu-newton"
            taken[good] = True
        rest = ~taken
        if rest.any():
            sub, rows = segs.subset(rest)
            pl, kll, ml, okl = _level_batch(A[rows], pi[rows], rho[rows], C[rest], sub)
            obj = _objective(A[rows], pl, kll, rho[rows], C[rest], sub)
            worse = okl & (obj < g0[rest])  # g(0) is better: pi_new = pi
            if worse.any():
                wr = worse[sub.seg]
                pl[wr], kll[wr] = pi[rows][wr], 0.0
                ml[worse] = "kappa=0"
            p[rows], kl[rows] = pl, kll
            method[rest] = ml
            ok[rest] = okl
    return BatchSolution(p, kl, method, ok)

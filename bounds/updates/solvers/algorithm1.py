"""Algorithm 1 of [TRPO]: ``max_p sum_s rho(s) sum_a p(a|s) A(s, a) - C max_s KL(pi(.|s) || p(.|s))``
(the MM step of Eq. (9)-(10); THEORY.md §4), solved exactly.

For a common KL level ``kappa`` each state solves the KL-constrained problem with value ``v_s(kappa)``;
``g(kappa) = sum_s rho(s) v_s(kappa) - C kappa`` is concave with ``g'(kappa) = sum_s rho(s) c_s(kappa) - C``
(envelope theorem), so the optimum is the root ``kappa*`` of ``g'``. Three exact algorithms find it,
chosen by ``method``:

* ``"nu-newton"``: Newton in the row-sum multipliers ``nu_s`` of full-support rows (explicit
  ``c_s(nu_s)`` and ``KL_s(nu_s)``, no inner root finding); the fastest, for full-support ``pi`` and
  ``rho > 0``.
* ``"joint-newton"``: Newton on the joint system ``KL_s(c_s) = kappa``, ``sum_s rho(s) c_s = C``
  (arrow-shaped Jacobian, one per-state solve per iteration).
* ``"nested"``: safeguarded Newton on ``log kappa`` around bracketed per-state multiplier solves;
  the slowest and most robust, it always applies.
* ``"auto"`` (default): the first of these that applies and converges, in that order.

The two Newton iterations each keep their system (residual, Jacobian, start, final step) in a small
class, so the damped-Newton loops themselves stay short.
"""

from __future__ import annotations

import numpy as np

from tabular.divergences import penalty_product
from tabular.validation import check_real

from . import reference
from .base import Problem, Solution, SolverError, check_root, check_solver, kl_rows, make_solution, quiet
from .roots import C_MIN, LOG_C_MAX, LOG_C_MIN, decreasing_root
from .rows import KLRows, kl_level, penalized, phi_direct

__all__ = ["solve_max_kl_penalty", "max_kl_penalty", "METHODS"]

#: The algorithms of :func:`solve_max_kl_penalty`.
METHODS = ("auto", "nu-newton", "joint-newton", "nested")


def _joint_start(R: KLRows, act: np.ndarray, t0: float):
    """Start of :func:`_joint_newton`: ``x_s = log c_s`` at ``kappa = t0`` (small-step guess, or the
    exact per-row multiplier where the guess is off by more than e^0.5), the rows not pinned at
    ``C_MIN`` and the pinned rows' KL floor; None when every row is pinned."""
    y = float(np.log(t0))
    x = np.log(np.sqrt(R.var[act] / (2.0 * t0)))
    _, kl0, _ = penalized(R, np.exp(x), act)
    off = ~(np.abs(np.log(kl0) - y) <= 0.5)
    if off.any():
        x[off] = np.log(kl_level(R, np.full(int(off.sum()), t0), act[off], feasible=False))
    pinned = x <= LOG_C_MIN + 1e-9
    keep = ~pinned
    if not keep.any():
        return None
    kl_floor = penalized(R, np.full(int(pinned.sum()), C_MIN), act[pinned])[1] if pinned.any() else None
    return x, keep, kl_floor


class _JointSystem:
    """The joint system ``F_s = log KL_s(c_s) - y``, ``G = log sum_s rho(s) c_s - log C`` of
    :func:`_joint_newton`; ``x`` is the current iterate (the hard rows are warm-started from it)."""

    def __init__(self, R: KLRows, act, rho_a, C: float, x, budget: int):
        self.R, self.act, self.rho_a, self.log_C, self.x = R, act, rho_a, float(np.log(C)), x
        # "hard" rows: KL nearly saturated in c (|dlog KL/dlog c| < 0.05, e.g. a tiny mass off the best
        # action); Newton in their x_s would need huge steps, so they are re-solved exactly at every y
        _, kl1, dkl1 = penalized(R, np.exp(x), act)
        self.hard = ~(np.abs(dkl1 / kl1) >= 0.05)
        self.easy = ~self.hard
        self.budget = budget

    def residual(self, xe, y):
        """``(x, F, G, d, w, |F|^2 + G^2)`` at easy coordinates ``xe`` and ``y = log kappa``, or None."""
        R, act, hard, easy = self.R, self.act, self.hard, self.easy
        self.budget -= 1
        if self.budget < 0 or not (np.isfinite(y) and np.all(np.isfinite(xe))):
            return None
        xx = self.x.copy()
        xx[easy] = xe
        if hard.any():
            xx[hard] = np.log(kl_level(R, np.full(int(hard.sum()), np.exp(y)), act[hard],
                                       np.exp(self.x[hard]), feasible=False))
        if not (np.all(xx > LOG_C_MIN) and np.all(xx < LOG_C_MAX)):
            return None
        c = np.exp(xx)
        _, kl, dkl = penalized(R, c, act)
        if not (np.all(kl > 0) and np.all(np.isfinite(kl)) and np.all(dkl < 0)):
            return None
        rc = self.rho_a * c
        tot = float(rc.sum())
        F = np.where(easy, np.log(kl) - y, 0.0)
        G = float(np.log(tot) - self.log_C)
        return xx, F, G, dkl / kl, rc / tot, float(F @ F + G * G)

    def polish(self, y):
        """Every row to ``KL_s = kappa`` at fixed ``kappa`` (two per-row Newton steps, kept where they
        help): the objective's penalty ``C max_s KL_s`` is first order in any excess."""
        R, act, x = self.R, self.act, self.x
        for _ in range(2):
            _, kl, dkl = penalized(R, np.exp(x), act)
            Fr = np.log(kl) - y
            xn = x - Fr / (dkl / kl)
            _, kln, _ = penalized(R, np.exp(xn), act)
            better = np.isfinite(xn) & (np.abs(np.log(kln) - y) < np.abs(Fr))
            x = np.where(better, xn, x)
        return x


def _joint_newton(R: KLRows, act: np.ndarray, rho_a: np.ndarray, C: float, t0: float, maxiter: int = 20):
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
    start = _joint_start(R, act, t0)
    if start is None:
        return None
    x, keep, kl_floor = start
    y = float(np.log(t0))
    J = _JointSystem(R, act[keep], rho_a[keep], C, x[keep], 3 * maxiter)
    easy = J.easy
    cur = J.residual(J.x[easy], y)
    slow = 0
    for _ in range(maxiter):
        if cur is None:
            return None
        xx, F, G, d, w, phi = cur
        J.x = xx
        if np.max(np.abs(F)) <= 1e-9 and abs(G) <= 1e-9:  # relative, above the round-off of KL
            kappa = float(np.exp(y))
            if kl_floor is not None and np.any(kl_floor > kappa):
                return None
            c_all = np.full(act.size, C_MIN)
            c_all[keep] = np.exp(J.polish(y))
            return kappa, c_all
        # Schur complement of the arrow Jacobian (F_s = 0 and dx_s = dy / d_s on the hard rows)
        dy = (-G + float(np.sum(w * F / d))) / float(np.sum(w / d))
        dx = ((dy - F) / d)[easy]
        lam0 = 1.0 / max(1.0, float(np.max(np.abs(dx), initial=0.0)) / 2.0, abs(dy) / 2.0)
        lam = lam0
        for _ in range(6):  # backtrack on the merit |F|^2 + G^2 (give up early: the nested solver is robust)
            new = J.residual(J.x[easy] + lam * dx, y + lam * dy)
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


class _NuSystem:
    """The optimality system of Algorithm 1 in ``z_s = log(nu_s - max_a A(s, a))`` and ``log kappa``
    on the active rows (see :func:`_nu_newton`)."""

    def __init__(self, A, pi, rho, C, act, mean, var):
        if act.all():
            self.Aa, self.pa, self.ra, self.va, self.mu = A, pi, rho, var, mean
        else:
            self.Aa, self.pa, self.ra, self.va, self.mu = A[act], pi[act], rho[act], var[act], mean[act]
        self.ma = self.Aa.max(axis=1)
        self.Dm = self.ma[:, None] - self.Aa  # >= 0: gaps to the row maximum
        self.diff = self.Aa[:, None, :] - self.Aa[:, :, None]  # diff[s, a, b] = A(s, b) - A(s, a)
        self.C, self.logC = C, np.log(C)

    def start(self):
        """``(z, log kappa)`` from the small-step approximation ``KL ~ Var / (2 c^2)``."""
        sd = np.sqrt(self.va)
        kappa0 = (float(self.ra @ sd) / (np.sqrt(2.0) * self.C)) ** 2
        c0 = sd / np.sqrt(2.0 * kappa0)
        # nu ~ mean + c for small steps; nu - max A ~ c pi(argmax) when nu approaches max A (large steps)
        top = self.pa[np.arange(self.pa.shape[0]), self.Aa.argmax(axis=1)]
        return np.log(np.maximum(self.mu + c0 - self.ma, c0 * top)), np.log(kappa0)

    def resid(self, z, ly):
        """``(c, d, w, F, G, |F|^2 + G^2)``: the multipliers, the arrow Jacobian's ``d log KL_s/d z_s``
        and ``d log(sum rho c)/d z_s``, and the residuals; None outside the domain."""
        pa = self.pa
        e = np.exp(z)  # nu - max A > 0
        g = 1.0 / (self.Dm + e[:, None])  # 1 / (nu - A), finite and positive
        q = pa * g
        W = np.add.reduce(q, axis=1)  # (ndarray.sum's Python wrapper costs as much as the sum here)
        y = np.einsum("sb,sab->sa", q, self.diff)  # p = pi / (1 + y)
        kl = np.einsum("sa,sa->s", pa, phi_direct(y))
        h = g - W[:, None]
        vg = np.einsum("sa,sa->s", pa, h * h)  # Var_pi(1 / (nu - A))
        if not (kl.min() > 0 and np.isfinite(np.add.reduce(kl)) and vg.min() > 0):
            return None
        c = 1.0 / W
        tot = float(self.ra @ c)
        d = -(vg * c * e) / kl  # d log KL_s / d z_s
        w = self.ra * (np.einsum("sa,sa->s", q, g) * c * c * e) / tot  # d log(sum rho c) / d z_s
        F = np.log(kl) - ly
        G = np.log(tot) - self.logC
        return c, d, w, F, G, float(F @ F + G * G)

    def policy(self, z, pi, act):
        """``p = c pi / (nu - A)`` on the active rows (``pi`` elsewhere), ``c`` and the rows' KL."""
        S = pi.shape[0]
        q = self.pa / (self.Dm + np.exp(z)[:, None])
        W = np.add.reduce(q, axis=1)
        p = pi.copy()
        p[act] = q / W[:, None]  # p = c pi / (nu - A)
        c_all = np.full(S, np.inf)
        c_all[act] = 1.0 / W
        kl = np.zeros(S)  # KL of the returned rows in the cancellation-free phi form, p = pi/(1+y)
        kl[act] = np.einsum("sa,sa->s", self.pa, phi_direct(np.einsum("sb,sab->sa", q, self.diff)))
        return p, c_all, kl


@quiet
def _nu_newton(A: np.ndarray, pi: np.ndarray, rho: np.ndarray, C: float, maxiter: int = 40):
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
    if C <= 0 or not pi.min() >= 1e-12:  # near-deterministic rows: the careful general solver
        return None
    mean = np.einsum("sa,sa->s", pi, A)
    cen = A - mean[:, None]
    var = np.einsum("sa,sa->s", pi, cen * cen)
    scale = 1.0 + np.abs(A).max(axis=1)
    act = (var > (1e-24 * scale) ** 2) & (rho > 0)
    if not act.any():
        return None
    sys_ = _NuSystem(A, pi, rho, C, act, mean, var)
    z, ly = sys_.start()
    cur = sys_.resid(z, ly)
    for _ in range(maxiter):
        if cur is None:
            return None
        c, d, w, F, G, phi = cur
        wd = w / d
        dly = (float(wd @ F) - G) / float(wd.sum())
        dz = (dly - F) / d
        if np.abs(F).max() <= 1e-5 and abs(G) <= 1e-5:  # quadratic phase: the last step is exact
            z, ly = z + dz, ly + dly
            p, c_all, kl = sys_.policy(z, pi, act)
            return p, float(np.exp(ly)), c_all, kl
        step = 1.0 / max(1.0, np.abs(dz).max() / 10.0, abs(dly) / 10.0)
        for _ in range(30):
            nxt = sys_.resid(z + step * dz, ly + step * dly)
            if nxt is not None and nxt[-1] < phi:
                break
            step *= 0.5
        else:
            return None
        z, ly, cur = z + step * dz, ly + step * dly, nxt
        if z.min() < -60:  # a row saturates towards its greedy limit: not for the fast path
            return None
    return None


def _nested(R: KLRows, act, ra, C: float, t0: float) -> float:
    """``kappa*`` by safeguarded Newton on ``log kappa``, nested around per-state solves of ``c_s(kappa)``."""
    warm = {"c": None}

    def fun(y, _sub):
        t = float(np.exp(y[0]))
        cc = kl_level(R, np.full(act.size, t), act, warm["c"], feasible=False)
        warm["c"] = cc
        _, _, dkl = penalized(R, cc, act)
        with np.errstate(divide="ignore", invalid="ignore"):
            # dc/dlog kappa = kappa c / (dKL/dlog c); rows pinned at C_MIN (their KL cannot
            # reach kappa) do not respond to kappa
            dc = np.where(cc <= C_MIN * (1 + 1e-9), 0.0, np.where(dkl < 0, cc / dkl, -np.inf))
            tot = np.float64(ra @ cc)
            # log sum rho c - log C, nearly linear in log kappa for small kappa
            return np.array([np.log(tot) - np.log(C)]), np.array([t * np.float64(ra @ dc) / tot])

    y = decreasing_root(fun, np.array([np.log(t0)]), ftol=1e-9,
                        x_min=float(np.log(1e-280)), x_max=float(np.log(1e5)),
                        accept_min=True, what="Algorithm 1 KL level kappa")
    return float(np.exp(y[0]))


def _stay(prob: Problem, C: float, solver: str) -> Solution:
    """``kappa* = 0``: ``pi_new = pi``."""
    return make_solution(prob, prob.pi.copy(), 0.0, 0.0, solver, {"C": C, "c": np.full(prob.n_states, np.inf),
                                                                   "method": "kappa=0"})


def _by_nu_newton(prob: Problem, C: float, solver: str) -> Solution | None:
    """The ``"nu-newton"`` solution, or None when it does not apply or is worse than ``kappa = 0``."""
    A, pi, rho = prob.A, prob.pi, prob.rho
    if not np.all(rho > 0):
        return None
    direct = _nu_newton(A, pi, rho, C)
    if direct is None:
        return None
    p, kappa, c, klv = direct
    sol = make_solution(prob, p, penalty_product(C, float(klv.max())), kappa, solver,
                        {"C": C, "c": c, "method": "nu-newton"}, kl=klv)
    if sol.objective >= float(rho @ np.einsum("sa,sa->s", pi, A)):  # never worse than kappa = 0
        return sol
    return None


def _by_level(prob: Problem, C: float, solver: str, root: str, method: str) -> Solution:
    """``"joint-newton"`` (falling back to ``"nested"`` under ``"auto"``) or ``"nested"``."""
    A, pi, rho = prob.A, prob.pi, prob.rho
    S = A.shape[0]
    R = KLRows(A, pi, root)
    nonflat = np.flatnonzero(~R.flat)
    act = np.flatnonzero(~R.flat & (rho > 0))
    if C == 0:
        p, _, _ = penalized(R, np.where(R.flat, np.inf, 0.0), np.arange(S))
        return make_solution(prob, p, 0.0, float(np.inf) if act.size else 0.0, solver,
                             {"C": C, "c": np.zeros(S), "method": "greedy (C = 0)"})
    if act.size == 0 or np.sum(rho[act] * R.c_zero[act]) <= C:  # g'(0+) <= 0: kappa* = 0
        return _stay(prob, C, solver)
    ra = rho[act]
    scale = float(np.sum(ra * np.sqrt(R.var[act] / 2.0)))
    t0 = (scale / C) ** 2 if scale > 0 else 1.0  # small-step approximation KL_s ~ Var_s / (2 c_s^2)
    t0 = min(max(t0, 1e-200), 1e3)
    c = np.zeros(S)
    joint = _joint_newton(R, act, ra, C, t0) if method in ("auto", "joint-newton") else None
    if joint is not None:
        kappa, c[act] = joint
        used = "joint-newton"
        rest = np.setdiff1d(nonflat, act)  # rows with rho = 0: the same level kappa
        c[rest] = kl_level(R, np.full(rest.size, kappa), rest)
    elif method == "joint-newton":
        raise SolverError("Algorithm 1: method='joint-newton' did not converge on this problem "
                          "(method='nested' always applies)")
    else:
        used = "nested"
        kappa = _nested(R, act, ra, C, t0)
        c[nonflat] = kl_level(R, np.full(nonflat.size, kappa), nonflat)
    p, _, _ = penalized(R, np.where(R.flat, np.inf, c), np.arange(S))
    klv = kl_rows(pi, p)
    sol = make_solution(prob, p, penalty_product(C, float(klv.max())), kappa, solver,
                        {"C": C, "c": c, "method": used})
    if sol.objective < float(rho @ np.einsum("sa,sa->s", pi, A)):  # g(0): pi_new = pi
        return _stay(prob, C, solver)
    return sol


def max_kl_penalty(prob: Problem, C, *, solver: str = "fast", root: str = "newton",
                   method: str = "auto") -> Solution:
    """:func:`solve_max_kl_penalty` on a validated problem (``mm_step`` passes its evaluation's).

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.algorithm1 import max_kl_penalty
    >>> from bounds.updates.solvers.base import Problem
    >>> A = np.array([[1.0, 0.0, -1.0], [0.5, -0.5, 0.0]]); pi = np.full((2, 3), 1 / 3)
    >>> sol = max_kl_penalty(Problem.from_arrays(A, pi, np.array([1.0, 2.0])), 10.0)
    >>> t = sol.kl.max()
    >>> bool(np.isclose(sol.objective, float(np.array([1.0, 2.0]) @ sol.value) - 10.0 * t))
    True
    """
    C = check_real(C, "C", lo=0.0)
    solver, root = check_solver(solver), check_root(root)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if solver == "cvxpy":
        p, t = reference.cvxpy_max_kl_penalty(prob, C)
        klv = kl_rows(prob.pi, p)
        return make_solution(prob, p, penalty_product(C, float(klv.max())), t, solver,
                             {"C": C, "c": None, "method": "cvxpy"})
    if method in ("auto", "nu-newton"):
        sol = _by_nu_newton(prob, C, solver)
        if sol is not None:
            return sol
        if method == "nu-newton":
            raise SolverError("Algorithm 1: method='nu-newton' does not apply to this problem (it needs "
                              "pi >= 1e-12 everywhere, rho > 0, C > 0, and rows that do not saturate); "
                              "use method='auto'")
    return _by_level(prob, C, solver, root, method)


def solve_max_kl_penalty(A, pi, rho, C, *, solver: str = "fast", root: str = "newton",
                         method: str = "auto") -> Solution:
    """Algorithm 1 of [TRPO]: ``max_p sum_s rho(s) sum_a p A - C max_s KL_s`` (THEORY.md §4).

    The optimum is the root ``kappa*`` of ``g'(kappa) = sum_s rho(s) c_s(kappa) - C`` (module
    docstring), found by ``method``: ``"nu-newton"``, ``"joint-newton"``, ``"nested"`` or ``"auto"``
    (the first that applies; ``info["method"]`` says which ran). ``root`` chooses the per-row root
    finder of the level-based methods (``"newton"`` or scipy's ``"brentq"``). If ``g'(0+) <= 0``
    (possible only when every non-flat row has all its supported actions tied and a better action
    off the support), ``kappa* = 0`` and ``pi_new = pi``; the result is also checked against
    ``kappa = 0``. ``C = 0`` gives the greedy policy (``kappa* = inf``, objective ``= sum rho v``
    with ``0 * inf = 0``). Flat rows keep ``pi``; rows with ``rho(s) = 0`` solve the constrained
    problem at the same level ``kappa*``. The cvxpy reference uses an epigraph variable
    ``t >= KL_s`` for all ``s`` (:func:`bounds.updates.solvers.reference.cvxpy_max_kl_penalty`).

    Returns
    -------
    Solution with ``multiplier = kappa*`` (the common KL level, float), ``info["c"]`` the per-state
    multipliers, ``info["method"]`` and ``objective = sum_s rho(s) value(s) - C max_s KL_s``.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers import solve_max_kl_penalty
    >>> A = np.array([[1.0, 0.0, -1.0], [0.5, -0.5, 0.0]]); pi = np.full((2, 3), 1 / 3)
    >>> rho = np.array([1.0, 2.0])
    >>> fast = solve_max_kl_penalty(A, pi, rho, 10.0)
    >>> ref = solve_max_kl_penalty(A, pi, rho, 10.0, solver="cvxpy")
    >>> bool(abs(fast.objective - ref.objective) < 1e-6)
    True
    >>> bool(np.allclose(fast.pi_new, ref.pi_new, atol=1e-5))
    True
    """
    return max_kl_penalty(Problem.from_arrays(A, pi, rho), C, solver=solver, root=root, method=method)

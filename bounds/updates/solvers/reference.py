"""The independent reference solvers: every problem of :mod:`bounds.updates.solvers` written as a
convex program in cvxpy and solved by Clarabel (exponential cones for the KL terms).

Each ``cvxpy_*`` function builds the program from the problem's definition alone (variables on the
simplex rows, the objective of Eq. (3) of [TRPO] without ``eta``, the penalty or constraint) and
returns the solver's policy, cleaned of round-off, with the multiplier cvxpy reports. They share no
code with the fast solvers, so agreement between the two is a real check. A status other than
``optimal`` raises :class:`SolverError` naming the status.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

from .base import Problem, SolverError, clean

__all__ = [
    "CLARABEL_OPTIONS", "CLARABEL_RETRY_OPTIONS", "solve_cvxpy", "kl_program",
    "cvxpy_kl_penalty", "cvxpy_kl_constraint", "cvxpy_mean_kl", "cvxpy_max_kl_penalty",
    "cvxpy_max_tv_sq_penalty", "cvxpy_reverse_kl_penalty",
]

#: Clarabel options of the reference solver (tighter than its defaults, so it agrees to ~1e-9).
CLARABEL_OPTIONS = dict(tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10, max_iter=500)
# Clarabel's own defaults, passed explicitly for the retry: cvxpy keeps the solver settings of the
# previous solve of the same problem, so an empty options dict would retry at the tight tolerances
CLARABEL_RETRY_OPTIONS = dict(tol_gap_abs=1e-8, tol_gap_rel=1e-8, tol_feas=1e-8, max_iter=200)


def solve_cvxpy(prob, what: str):
    """Solve a cvxpy problem with Clarabel; raise :class:`SolverError` unless the status is optimal.

    First with the tight :data:`CLARABEL_OPTIONS`; if Clarabel reports ``optimal_inaccurate`` there
    (it cannot always reach 1e-10), once more with Clarabel's default tolerances (1e-8, passed
    explicitly: cvxpy would otherwise reuse the previous settings). Any status
    other than ``optimal`` after that raises, naming the status.

    Examples
    --------
    >>> import cvxpy as cp
    >>> from bounds.updates.solvers.reference import solve_cvxpy
    >>> x = cp.Variable()
    >>> prob = cp.Problem(cp.Minimize(cp.square(x - 1)), [x >= 0])
    >>> solve_cvxpy(prob, "a toy problem").status
    'optimal'
    >>> print(f"{float(x.value):.6f}")
    1.000000
    """
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


def kl_program(A, pi, rho):
    """Variable ``p`` on the simplex rows, the linear term ``sum rho A p`` and the per-state
    ``KL(pi || p)`` expressions (``rel_entr(pi, p)`` summed over each row's support).

    Examples
    --------
    >>> import cvxpy as cp
    >>> import numpy as np
    >>> from bounds.updates.solvers.reference import kl_program, solve_cvxpy
    >>> A = np.array([[1.0, 0.0, -1.0]]); pi = np.full((1, 3), 1 / 3)
    >>> p, cons, lin, kl = kl_program(A, pi, np.ones(1))
    >>> prob = cp.Problem(cp.Maximize(lin), cons + [kl <= 0.05])
    >>> solve_cvxpy(prob, "KL-constrained step").status
    'optimal'
    >>> print(f"{float(prob.value):.4f}", bool(np.argmax(p.value[0]) == 0))
    0.2549 True
    """
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


def cvxpy_kl_penalty(prob: Problem, c: np.ndarray) -> np.ndarray:
    """``max sum_s rho(s) [<p_s, A_s> - c_s KL_s]``; ``c_s = inf`` pins ``p_s = pi_s``.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers import solve_kl_penalty
    >>> from bounds.updates.solvers.base import Problem
    >>> from bounds.updates.solvers.reference import cvxpy_kl_penalty
    >>> A = np.array([[1.0, 0.0, -1.0]]); pi = np.full((1, 3), 1 / 3)
    >>> p = cvxpy_kl_penalty(Problem.from_arrays(A, pi), np.array([1.0]))
    >>> bool(np.allclose(p, solve_kl_penalty(A, pi, 1.0).pi_new, atol=1e-5))
    True
    """
    import cvxpy as cp

    A, pi, rho = prob.A, prob.pi, prob.rho
    p_var, cons, lin, kl = kl_program(A, pi, rho)
    fin = np.isfinite(c)
    obj = lin - cp.sum(cp.multiply(rho[fin] * c[fin], kl[np.flatnonzero(fin)])) if np.any(fin) else lin
    if np.any(~fin):
        cons.append(p_var[np.flatnonzero(~fin), :] == pi[~fin])
    solve_cvxpy(cp.Problem(cp.Maximize(obj), cons), "KL-penalized step")
    return clean(p_var.value)


def cvxpy_kl_constraint(prob: Problem, kappa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``max <p_s, A_s>  s.t.  KL_s <= kappa_s`` per state; returns ``(p, c)`` (the duals).

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers import solve_kl_constraint
    >>> from bounds.updates.solvers.base import Problem
    >>> from bounds.updates.solvers.reference import cvxpy_kl_constraint
    >>> A = np.array([[1.0, 0.0, -1.0]]); pi = np.full((1, 3), 1 / 3)
    >>> p, c = cvxpy_kl_constraint(Problem.from_arrays(A, pi), np.array([0.05]))
    >>> fast = solve_kl_constraint(A, pi, 0.05)
    >>> bool(np.allclose(p, fast.pi_new, atol=1e-5)), bool(np.allclose(c, fast.multiplier, rtol=1e-3))
    (True, True)
    """
    import cvxpy as cp

    p_var, cons, lin, kl = kl_program(prob.A, prob.pi, np.ones(prob.n_states))
    cons.append(kl <= kappa)
    solve_cvxpy(cp.Problem(cp.Maximize(lin), cons), "KL-constrained step")
    c = np.asarray(cons[-1].dual_value, dtype=np.float64).ravel()
    return clean(p_var.value), c


def cvxpy_mean_kl(prob: Problem, w: np.ndarray, delta: float) -> tuple[np.ndarray, float]:
    """Eq. (12): ``max sum rho <p, A>  s.t.  sum_s w(s) KL_s <= delta``; rows with ``rho = 0`` keep
    ``pi``. Returns ``(p, lambda)``.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers import solve_mean_kl
    >>> from bounds.updates.solvers.base import Problem
    >>> from bounds.updates.solvers.reference import cvxpy_mean_kl
    >>> A = np.array([[1.0, 0.0, -1.0], [0.5, -0.5, 0.0]]); pi = np.full((2, 3), 1 / 3)
    >>> w = np.array([0.5, 0.5])
    >>> p, lam = cvxpy_mean_kl(Problem.from_arrays(A, pi), w, 0.05)
    >>> fast = solve_mean_kl(A, pi, None, w, 0.05)
    >>> bool(np.allclose(p, fast.pi_new, atol=1e-5)), bool(np.isclose(lam, fast.multiplier, rtol=1e-3))
    (True, True)
    """
    import cvxpy as cp

    p_var, cons, lin, kl = kl_program(prob.A, prob.pi, prob.rho)
    keep = np.flatnonzero(prob.rho == 0)
    if keep.size:
        cons.append(p_var[keep, :] == prob.pi[keep])
    used = np.flatnonzero(w > 0)
    cons.append(w[used] @ kl[used] <= delta)
    solve_cvxpy(cp.Problem(cp.Maximize(lin), cons), "mean-KL trust region")
    return clean(p_var.value), float(np.asarray(cons[-1].dual_value))


def cvxpy_max_kl_penalty(prob: Problem, C: float) -> tuple[np.ndarray, float]:
    """Algorithm 1: ``max sum rho <p, A> - C t  s.t.  KL_s <= t`` for all ``s`` (epigraph form).
    Returns ``(p, t)``.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers import solve_max_kl_penalty
    >>> from bounds.updates.solvers.base import Problem
    >>> from bounds.updates.solvers.reference import cvxpy_max_kl_penalty
    >>> A = np.array([[1.0, 0.0, -1.0], [0.5, -0.5, 0.0]]); pi = np.full((2, 3), 1 / 3)
    >>> rho = np.array([1.0, 2.0])
    >>> p, t = cvxpy_max_kl_penalty(Problem.from_arrays(A, pi, rho), 10.0)
    >>> fast = solve_max_kl_penalty(A, pi, rho, 10.0)
    >>> bool(np.allclose(p, fast.pi_new, atol=1e-5)), bool(np.isclose(t, fast.kl.max(), rtol=1e-4))
    (True, True)
    """
    import cvxpy as cp

    p_var, cons, lin, kl = kl_program(prob.A, prob.pi, prob.rho)
    t = cp.Variable(nonneg=True)
    cons.append(kl <= t)
    solve_cvxpy(cp.Problem(cp.Maximize(lin - C * t), cons), "max-KL penalized step (Algorithm 1)")
    return clean(p_var.value), float(t.value)


def cvxpy_max_tv_sq_penalty(prob: Problem, C: float) -> tuple[np.ndarray, float]:
    """Theorem 1's step: ``max sum rho <p, A> - C s^2  s.t.  D_TV(s) <= s`` for all ``s``.
    Returns ``(p, s)``.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers import solve_max_tv_sq_penalty
    >>> from bounds.updates.solvers.base import Problem
    >>> from bounds.updates.solvers.reference import cvxpy_max_tv_sq_penalty
    >>> A = np.array([[1.0, 0.0, -1.0], [0.5, -0.5, 0.0]]); pi = np.full((2, 3), 1 / 3)
    >>> rho = np.array([1.0, 2.0])
    >>> p, s = cvxpy_max_tv_sq_penalty(Problem.from_arrays(A, pi, rho), 10.0)
    >>> fast = solve_max_tv_sq_penalty(A, pi, rho, 10.0)
    >>> bool(np.isclose(s, fast.tv.max(), atol=1e-6))
    True
    """
    import cvxpy as cp

    A, pi, rho = prob.A, prob.pi, prob.rho
    p_var = cp.Variable(A.shape, nonneg=True)
    s = cp.Variable(nonneg=True)
    cons = [cp.sum(p_var, axis=1) == 1, 0.5 * cp.sum(cp.abs(p_var - pi), axis=1) <= s]
    obj = cp.sum(cp.multiply(rho[:, None] * A, p_var)) - C * cp.square(s)
    solve_cvxpy(cp.Problem(cp.Maximize(obj), cons), "max-TV^2 penalized step")
    return clean(p_var.value), float(s.value)


def cvxpy_reverse_kl_penalty(prob: Problem, tau: float) -> np.ndarray:
    """NPG's proximal form: ``max sum rho [<p, A> - tau KL(p || pi)]``, ``p = 0`` off the support.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers import solve_reverse_kl_penalty
    >>> from bounds.updates.solvers.base import Problem
    >>> from bounds.updates.solvers.reference import cvxpy_reverse_kl_penalty
    >>> A = np.array([[1.0, 0.0, -1.0]]); pi = np.full((1, 3), 1 / 3)
    >>> p = cvxpy_reverse_kl_penalty(Problem.from_arrays(A, pi), 0.5)
    >>> bool(np.allclose(p, solve_reverse_kl_penalty(A, pi, 0.5).pi_new, atol=1e-5))
    True
    """
    import cvxpy as cp

    A, pi, rho = prob.A, prob.pi, prob.rho
    S, nA = A.shape
    supp = pi > 0
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
    solve_cvxpy(cp.Problem(cp.Maximize(obj), cons), "reverse-KL penalized step (NPG)")
    return clean(np.where(supp, p_var.value, 0.0))

"""The KL problems of Section 7 of [TRPO] whose states decouple, or couple through one multiplier:
the per-state KL penalty and constraint, the max-KL trust region of Eq. (11) and the mean-KL trust
region of Eq. (12) (THEORY.md §4).

Each problem has a public ``solve_*`` function on arrays (validated there) and a function of the
same name without ``solve_`` on a validated :class:`~bounds.updates.solvers.base.Problem`, which
the updates call with the arrays of an exact evaluation.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from tabular.divergences import penalty_product
from tabular.validation import as_float_array, check_real

from . import reference
from .base import Problem, Solution, check_root, check_solver, kl_rows, make_solution, per_state
from .roots import LOG_C_MAX, LOG_C_MIN, decreasing_root
from .rows import KLRows, kl_level, penalized

__all__ = [
    "solve_kl_penalty", "solve_kl_constraint", "solve_max_kl", "solve_mean_kl",
    "kl_penalty", "kl_constraint", "max_kl", "mean_kl",
]


# ============================================================================ the KL penalty per state
def kl_penalty(prob: Problem, c, *, solver: str = "fast", root: str = "newton") -> Solution:
    """:func:`solve_kl_penalty` on a validated problem.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers import solve_kl_penalty
    >>> from bounds.updates.solvers.base import Problem
    >>> from bounds.updates.solvers.kl import kl_penalty
    >>> A = np.array([[1.0, 0.0, -1.0]]); pi = np.full((1, 3), 1 / 3)
    >>> sol = kl_penalty(Problem.from_arrays(A, pi), np.array([1.0]))
    >>> bool(np.array_equal(sol.pi_new, solve_kl_penalty(A, pi, 1.0).pi_new))
    True
    """
    A, pi, rho = prob.A, prob.pi, prob.rho
    S = A.shape[0]
    c = per_state(c, S, "c", allow_inf=True)
    solver, root = check_solver(solver), check_root(root)
    if solver == "fast":
        p, _, _ = penalized(KLRows(A, pi, root), c, np.arange(S))
    else:
        p = reference.cvxpy_kl_penalty(prob, c)
    klv = kl_rows(pi, p)
    penalty = float(sum(penalty_product(rho[s] * c[s], klv[s]) for s in range(S)))
    return make_solution(prob, p, penalty, c, solver)


def solve_kl_penalty(A, pi, c, rho=None, *, solver: str = "fast", root: str = "newton") -> Solution:
    """Per-state KL-penalized step, the inner problem of Eq. (9) of [TRPO] (THEORY.md §4).

    Solves, for every state independently,
    ``max_p sum_a p(a|s) A(s, a) - c_s KL(pi(.|s) || p(.|s))``; the closed form is
    ``p(a|s) = c_s pi(a|s) / (nu_s - A(s, a))`` with ``nu_s > max_{a: pi(a|s)>0} A(s, a)`` the root
    making the row sum to one (:mod:`bounds.updates.solvers.rows`; off-support actions as explained there).

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

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers import solve_kl_penalty
    >>> A = np.array([[1.0, 0.0, -1.0], [0.5, -0.5, 0.0]]); pi = np.full((2, 3), 1 / 3)
    >>> fast = solve_kl_penalty(A, pi, 1.0)
    >>> ref = solve_kl_penalty(A, pi, 1.0, solver="cvxpy")
    >>> bool(np.allclose(fast.pi_new, ref.pi_new, atol=1e-5))
    True
    >>> print(np.round(fast.pi_new, 4))
    [[0.6474 0.22   0.1325]
     [0.5096 0.2015 0.2888]]
    """
    return kl_penalty(Problem.from_arrays(A, pi, rho), c, solver=solver, root=root)


# ============================================================================ the KL constraint per state
def _kl_constraint_fast(R: KLRows, kappa: np.ndarray):
    """``p`` and ``c`` solving ``max <p, A>  s.t.  KL(pi || p) <= kappa_s`` per state (fast)."""
    S = R.A.shape[0]
    c = np.full(S, np.inf)  # flat rows and kappa = 0: p = pi (multiplier undefined; reported as inf)
    c[R.flat] = 0.0
    act = np.flatnonzero(~R.flat & (kappa > 0))
    # rows whose KL(c) vanishes above c_zero: kappa > 0 always binds below c_zero, so no special case
    c[act] = kl_level(R, kappa[act], act)
    p, kl, _ = penalized(R, np.where(R.flat, np.inf, c), np.arange(S))
    return p, c, kl


def kl_constraint(prob: Problem, kappa, *, solver: str = "fast", root: str = "newton") -> Solution:
    """:func:`solve_kl_constraint` on a validated problem.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.base import Problem
    >>> from bounds.updates.solvers.kl import kl_constraint
    >>> A = np.array([[1.0, 0.0, -1.0]]); pi = np.full((1, 3), 1 / 3)
    >>> sol = kl_constraint(Problem.from_arrays(A, pi), np.array([0.05]))
    >>> print(f"{sol.kl[0]:.6f}")
    0.050000
    """
    kappa = per_state(kappa, prob.n_states, "kappa")
    solver, root = check_solver(solver), check_root(root)
    if solver == "fast":
        p, c, _ = _kl_constraint_fast(KLRows(prob.A, prob.pi, root), kappa)
    else:
        p, c = reference.cvxpy_kl_constraint(prob, kappa)
    return make_solution(prob, p, 0.0, c, solver)


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

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers import solve_kl_constraint
    >>> A = np.array([[1.0, 0.0, -1.0], [0.5, -0.5, 0.0]]); pi = np.full((2, 3), 1 / 3)
    >>> sol = solve_kl_constraint(A, pi, 0.05)
    >>> np.round(sol.kl, 8).tolist()  # the constraint is active in every state
    [0.05, 0.05]
    >>> ref = solve_kl_constraint(A, pi, 0.05, solver="cvxpy")
    >>> bool(np.allclose(sol.pi_new, ref.pi_new, atol=1e-5))
    True
    """
    return kl_constraint(Problem.from_arrays(A, pi, rho), kappa, solver=solver, root=root)


# ============================================================================ max-KL trust region (Eq. 11)
def max_kl(prob: Problem, delta, *, solver: str = "fast", root: str = "newton") -> Solution:
    """:func:`solve_max_kl` on a validated problem.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.base import Problem
    >>> from bounds.updates.solvers.kl import max_kl
    >>> A = np.array([[1.0, 0.0, -1.0], [0.5, -0.5, 0.0]]); pi = np.full((2, 3), 1 / 3)
    >>> sol = max_kl(Problem.from_arrays(A, pi), 0.05)
    >>> np.round(sol.kl, 6).tolist()
    [0.05, 0.05]
    """
    delta = check_real(delta, "delta", positive=True)
    sol = kl_constraint(prob, delta, solver=solver, root=root)
    c = np.asarray(sol.multiplier)
    with np.errstate(invalid="ignore"):
        mu = np.where(prob.rho > 0, prob.rho * c, 0.0)
    return Solution(sol.pi_new, sol.objective, sol.value, sol.kl, sol.tv, c, sol.solver,
                    MappingProxyType({"mu": mu, "delta": delta}))


def solve_max_kl(A, pi, rho, delta, *, solver: str = "fast", root: str = "newton") -> Solution:
    """Eq. (11) of [TRPO]: ``max_p sum_s rho(s) sum_a p(a|s) A(s, a)  s.t.  KL_s <= delta  for all s``.

    Separable: every state solves :func:`solve_kl_constraint` with ``kappa = delta`` (states with
    ``rho(s) = 0`` too, so the solution does not depend on ``rho``). The Lagrange multiplier of the
    constraint of state ``s`` is ``rho(s) c_s`` (``info["mu"]``).

    Returns
    -------
    Solution with ``multiplier = c`` ((S,) array) and ``objective = sum_s rho(s) value(s)``.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers import solve_max_kl
    >>> A = np.array([[1.0, 0.0, -1.0], [0.5, -0.5, 0.0]]); pi = np.full((2, 3), 1 / 3)
    >>> sol = solve_max_kl(A, pi, np.array([1.0, 2.0]), 0.05)
    >>> print(f"{sol.objective:.6f}", bool(sol.kl.max() <= 0.05 + 1e-12))
    0.509816 True
    >>> ref = solve_max_kl(A, pi, np.array([1.0, 2.0]), 0.05, solver="cvxpy")
    >>> bool(abs(sol.objective - ref.objective) < 1e-6)
    True
    """
    return max_kl(Problem.from_arrays(A, pi, rho), delta, solver=solver, root=root)


# ============================================================================ mean-KL trust region (Eq. 12)
def _mean_kl_multiplier(R: KLRows, rho, w, ratio, active, delta) -> float:
    """The root ``lambda`` of ``sum_s w(s) KL_s(lambda w(s)/rho(s)) = delta`` (safeguarded Newton
    on ``log lambda``), started at the small-step approximation ``KL_s ~ Var_s / (2 c_s^2)``."""
    wa, ra = w[active], ratio[active]
    num = np.sum(rho[active] ** 2 * R.var[active] / (2.0 * wa))
    lam0 = np.sqrt(num / delta) if num > 0 else 1.0

    def fun(x, _sub):
        lam = float(np.exp(x[0]))
        _, kl, dkl = penalized(R, lam * ra, active)
        tot = np.float64(wa @ kl)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.array([np.log(tot) - np.log(delta)]), np.array([np.float64(wa @ dkl) / tot])

    x = decreasing_root(fun, np.array([np.log(lam0)]), ftol=1e-10, feasible=True,
                        x_min=LOG_C_MIN, x_max=LOG_C_MAX, accept_min=True,
                        what="mean-KL multiplier lambda")
    return float(np.exp(x[0]))


def mean_kl(prob: Problem, weights, delta, *, solver: str = "fast", root: str = "newton") -> Solution:
    """:func:`solve_mean_kl` on a validated problem.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.base import Problem
    >>> from bounds.updates.solvers.kl import mean_kl
    >>> A = np.array([[1.0, 0.0, -1.0], [0.5, -0.5, 0.0]]); pi = np.full((2, 3), 1 / 3)
    >>> sol = mean_kl(Problem.from_arrays(A, pi), np.array([0.5, 0.5]), 0.05)
    >>> print(f"{sol.kl.mean():.6f}", sol.kl[0] > sol.kl[1])
    0.050000 True
    """
    A, pi, rho = prob.A, prob.pi, prob.rho
    S = A.shape[0]
    w = as_float_array(weights, "weights", ndim=1)
    if w.shape != (S,):
        raise ValueError(f"weights must have shape ({S},), got {w.shape}")
    if np.any(w < 0):
        raise ValueError("weights must be non-negative")
    delta = check_real(delta, "delta", positive=True)
    solver, root = check_solver(solver), check_root(root)
    if solver == "cvxpy":
        p, lam = reference.cvxpy_mean_kl(prob, w, delta)
        return make_solution(prob, p, 0.0, lam, solver, {"weights": w, "delta": delta})
    R = KLRows(A, pi, root)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(rho > 0, w / np.where(rho > 0, rho, 1.0), np.inf)  # c_s = lambda * ratio_s
    active = np.flatnonzero(~R.flat & (rho > 0) & (w > 0))
    lam = 0.0 if active.size == 0 else _mean_kl_multiplier(R, rho, w, ratio, active, delta)
    with np.errstate(invalid="ignore"):
        c = np.where(np.isinf(ratio), np.inf, lam * ratio)
    p, _, _ = penalized(R, c, np.arange(S))
    return make_solution(prob, p, 0.0, lam, solver, {"weights": w, "delta": delta, "c": c})


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

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers import solve_mean_kl
    >>> A = np.array([[1.0, 0.0, -1.0], [0.5, -0.5, 0.0]]); pi = np.full((2, 3), 1 / 3)
    >>> rho = np.array([1.0, 2.0]); w = rho / rho.sum()
    >>> sol = solve_mean_kl(A, pi, rho, w, 0.05)
    >>> print(f"{float(w @ sol.kl):.6f}")
    0.050000
    >>> ref = solve_mean_kl(A, pi, rho, w, 0.05, solver="cvxpy")
    >>> bool(abs(sol.objective - ref.objective) < 1e-6)
    True
    """
    return mean_kl(Problem.from_arrays(A, pi, rho), weights, delta, solver=solver, root=root)

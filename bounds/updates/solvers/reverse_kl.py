"""The reverse-KL penalized step ``max_p sum_a p(a|s) A(s, a) - tau KL(p(.|s) || pi(.|s))`` per state:
the exact NPG / soft policy iteration update (Eq. (17) of [TRPO] for softmax; [AKLM]; THEORY.md §4)."""

from __future__ import annotations

import numpy as np

from tabular.validation import check_real

from . import reference
from .base import Problem, Solution, check_solver, make_solution, reverse_kl_rows

__all__ = ["solve_reverse_kl_penalty", "reverse_kl_penalty"]


def reverse_kl_penalty(prob: Problem, tau, *, solver: str = "fast") -> Solution:
    """:func:`solve_reverse_kl_penalty` on a validated problem.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.base import Problem
    >>> from bounds.updates.solvers.reverse_kl import reverse_kl_penalty
    >>> A = np.array([[1.0, 0.0, -1.0]]); pi = np.full((1, 3), 1 / 3)
    >>> sol = reverse_kl_penalty(Problem.from_arrays(A, pi), 0.5)
    >>> print(np.round(sol.pi_new, 4))
    [[0.8668 0.1173 0.0159]]
    """
    A, pi, rho = prob.A, prob.pi, prob.rho
    tau = check_real(tau, "tau", positive=True, allow_inf=True)
    solver = check_solver(solver)
    supp = pi > 0
    if solver == "cvxpy":
        p = reference.cvxpy_reverse_kl_penalty(prob, tau)
    elif np.isinf(tau):
        p = pi.copy()
    else:
        with np.errstate(divide="ignore"):
            logits = np.where(supp, np.log(np.where(supp, pi, 1.0)) + A / tau, -np.inf)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)  # Gibbs variational principle: p ∝ pi exp(A / tau)
        p /= p.sum(axis=1, keepdims=True)
    rkl = reverse_kl_rows(pi, p)
    penalty = 0.0 if np.isinf(tau) else float(tau * (rho @ rkl))
    return make_solution(prob, p, penalty, tau, solver, {"reverse_kl": rkl})


def solve_reverse_kl_penalty(A, pi, tau, rho=None, *, solver: str = "fast") -> Solution:
    """``max_p sum_a p(a|s) A(s, a) - tau KL(p(.|s) || pi(.|s))`` per state (THEORY.md §4, [AKLM]).

    Closed form (Gibbs variational principle): ``p(a|s) ∝ pi(a|s) exp(A(s, a) / tau)``, zero off the
    support of ``pi``. With ``tau = (1-gamma)/step`` this is the exact NPG / soft policy iteration
    update (Eq. (17) of [TRPO] for softmax). ``tau = inf`` returns ``pi``.

    Returns
    -------
    Solution with ``multiplier = tau``, ``objective = sum_s rho(s) [value(s) - tau KL(p || pi)]``
    and ``info["reverse_kl"]`` the per-state ``KL(p || pi)``.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers import solve_reverse_kl_penalty
    >>> A = np.array([[1.0, 0.0, -1.0]]); pi = np.full((1, 3), 1 / 3)
    >>> sol = solve_reverse_kl_penalty(A, pi, 0.5)
    >>> closed = pi * np.exp(A / 0.5); closed /= closed.sum(axis=1, keepdims=True)  # p ∝ pi exp(A/tau)
    >>> bool(np.allclose(sol.pi_new, closed))
    True
    """
    return reverse_kl_penalty(Problem.from_arrays(A, pi, rho), tau, solver=solver)

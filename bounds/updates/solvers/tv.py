"""The total-variation problems: the per-state TV-constrained LP and the max-TV^2 penalized step of
Theorem 1 (Eq. (8) of [TRPO]; THEORY.md §4), both in closed form (mass moved from the worst actions
to the best one)."""

from __future__ import annotations

import numpy as np

from tabular.policies import near_max
from tabular.validation import check_real

from . import reference
from .base import Problem, Solution, check_solver, make_solution, per_state, tv_rows

__all__ = ["solve_tv_constraint", "solve_max_tv_sq_penalty", "tv_constraint", "max_tv_sq_penalty"]


def _tv_order(A, pi):
    """Drain order of every row: the actions worse than the best by more than the tie tolerance, by
    increasing advantage. The best action and its ties follow the rule of :mod:`tabular.policies`
    ("Ties") with each row's own scale ``max_a |A(s, a)|``."""
    S = A.shape[0]
    tied = near_max(A, axis=1, scale=np.abs(A).max(axis=1, keepdims=True))
    best = np.argmax(tied, axis=1)  # lowest-index maximizer up to ties
    a_star = A[np.arange(S), best]
    worse = ~tied
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


def tv_constraint(prob: Problem, t) -> Solution:
    """:func:`solve_tv_constraint` on a validated problem.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.base import Problem
    >>> from bounds.updates.solvers.tv import tv_constraint
    >>> A = np.array([[1.0, 0.0, -1.0]]); pi = np.full((1, 3), 1 / 3)
    >>> sol = tv_constraint(Problem.from_arrays(A, pi), np.array([0.2]))
    >>> print(f"{sol.tv[0]:.6f} {sol.value[0]:.6f}")
    0.200000 0.400000
    """
    t = per_state(t, prob.n_states, "t")
    best, order, mass, _, cum_before, _ = _tv_order(prob.A, prob.pi)
    p = _tv_apply(prob.pi, best, order, mass, cum_before, t)
    return make_solution(prob, p, 0.0, t, "fast")


def solve_tv_constraint(A, pi, t, rho=None) -> Solution:
    """Per-state ``max_p sum_a p(a|s) A(s, a)  s.t.  D_TV(pi(.|s), p) <= t_s`` (a small LP).

    Closed form: move mass ``t_s`` from the lowest-advantage actions (in increasing order of
    ``A``) to the best action ``argmax_a A(s, a)``; actions tied with the best are not moved (ties:
    the rule of :mod:`tabular.policies`, lowest index among the advantages within ``1e-9 max_a |A(s, a)|``
    of the row's best, so that round-off never decides which action receives the mass). The value ``v_s(t)`` is concave and piecewise linear in ``t`` with slopes
    ``max A - A(s, a)``.

    Returns
    -------
    Solution with ``multiplier = t`` ((S,) array), ``objective = sum_s rho(s) value(s)``.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers import solve_tv_constraint
    >>> A = np.array([[1.0, 0.0, -1.0]]); pi = np.full((1, 3), 1 / 3)
    >>> sol = solve_tv_constraint(A, pi, 0.2)  # move 0.2 of mass from the worst action to the best
    >>> print(np.round(sol.pi_new, 6))
    [[0.533333 0.333333 0.133333]]
    """
    return tv_constraint(Problem.from_arrays(A, pi, rho), t)


def _tv_radius(prob: Problem, C: float, mass, slope, cum_before, cum_after) -> float:
    """The maximizer ``t*`` of the concave ``g(t) = sum_s rho(s) v_s(t) - C t^2``: the first interval
    between breakpoints on which ``G / (2C)`` falls below its right end gives ``t* = max(left, G/(2C))``."""
    rho = prob.rho
    use = (rho[:, None] > 0) & (mass > 0)
    w = (rho[:, None] * slope)[use]
    points = np.concatenate([cum_before[use], cum_after[use]])
    deltas = np.concatenate([w, -w])
    if points.size == 0:
        return 0.0
    tau, inv = np.unique(points, return_inverse=True)
    dG = np.zeros(tau.size)
    np.add.at(dG, inv, deltas)
    G = np.cumsum(dG)  # sum_s rho v_s'(t) on [tau_k, tau_{k+1})
    if C == 0:
        return float(tau[-1])
    nxt = np.r_[tau[1:], np.inf]
    cand = G / (2.0 * C)  # g'(t) = G - 2 C t = 0
    k = int(np.argmax(cand < nxt))
    return float(max(tau[k], cand[k]))


def max_tv_sq_penalty(prob: Problem, C, *, solver: str = "fast") -> Solution:
    """:func:`solve_max_tv_sq_penalty` on a validated problem.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.base import Problem
    >>> from bounds.updates.solvers.tv import max_tv_sq_penalty
    >>> A = np.array([[1.0, 0.0, -1.0], [0.5, -0.5, 0.0]]); pi = np.full((2, 3), 1 / 3)
    >>> sol = max_tv_sq_penalty(Problem.from_arrays(A, pi, np.array([1.0, 2.0])), 10.0)
    >>> s = sol.tv.max()
    >>> bool(np.isclose(sol.objective, float(np.array([1.0, 2.0]) @ sol.value) - 10.0 * s ** 2))
    True
    """
    C = check_real(C, "C", lo=0.0)
    solver = check_solver(solver)
    pi = prob.pi
    if solver == "cvxpy":
        p, s = reference.cvxpy_max_tv_sq_penalty(prob, C)
        return make_solution(prob, p, C * float(tv_rows(pi, p).max()) ** 2, s, solver, {"C": C})
    best, order, mass, slope, cum_before, cum_after = _tv_order(prob.A, pi)
    t_star = _tv_radius(prob, C, mass, slope, cum_before, cum_after)
    p = _tv_apply(pi, best, order, mass, cum_before, np.full(prob.n_states, t_star))
    return make_solution(prob, p, C * float(tv_rows(pi, p).max()) ** 2, t_star, solver, {"C": C})


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

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers import solve_max_tv_sq_penalty
    >>> A = np.array([[1.0, 0.0, -1.0], [0.5, -0.5, 0.0]]); pi = np.full((2, 3), 1 / 3)
    >>> rho = np.array([1.0, 2.0])
    >>> fast = solve_max_tv_sq_penalty(A, pi, rho, 10.0)
    >>> ref = solve_max_tv_sq_penalty(A, pi, rho, 10.0, solver="cvxpy")
    >>> bool(abs(fast.objective - ref.objective) < 1e-6)
    True
    """
    return max_tv_sq_penalty(Problem.from_arrays(A, pi, rho), C, solver=solver)

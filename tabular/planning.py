"""Exact planning: Howard policy iteration and value iteration with a stated error bound."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .validation import as_float_array, as_policy, check_int, check_mdp, check_tolerance, readonly
from .evaluation import q_from_v, evaluate
from .mdp import MDP
from .policies import deterministic, greedy, uniform

__all__ = ["PlanningResult", "policy_iteration", "value_iteration", "optimal", "bellman_optimality_residual"]


@dataclass(frozen=True, eq=False)
class PlanningResult:
    """Result of a planner.

    Attributes
    ----------
    pi : (S, A) deterministic policy (greedy, lowest-index ties).
    V, Q : values. For policy iteration they are the exact ``V_pi``, ``Q_pi`` of ``pi``; for value
        iteration the last iterate ``V_k`` and ``Q_k = R + gamma P V_k``.
    eta : float, ``rho0 . V``.
    iterations : int, number of improvement (PI) or Bellman (VI) steps taken.
    error_bound : float, a guaranteed bound on ``||V - V*||_inf`` (0 for converged policy iteration).
    converged : bool.
    """

    pi: np.ndarray
    V: np.ndarray
    Q: np.ndarray
    eta: float
    iterations: int
    error_bound: float
    converged: bool

    def __repr__(self) -> str:
        S, A = self.pi.shape
        return (f"PlanningResult(S={S}, A={A}, eta={self.eta:.10g}, iterations={self.iterations}, "
                f"error_bound={self.error_bound:.2e}, converged={self.converged})")


def bellman_optimality_residual(mdp: MDP, V) -> float:
    """``||T V - V||_inf`` with ``T`` the Bellman optimality operator."""
    mdp = check_mdp(mdp)
    V = as_float_array(V, "V", ndim=1)
    if V.shape != (mdp.n_states,):
        raise ValueError(f"V must have shape ({mdp.n_states},) (one value per state), got {V.shape}")
    return float(np.max(np.abs(q_from_v(mdp, V).max(axis=1) - V)))


def policy_iteration(mdp: MDP, pi0=None, max_iter: int = 10_000, tol: float | None = None) -> PlanningResult:
    """Howard policy iteration, exact up to the linear solves.

    Starting from ``pi0`` (default: the uniform policy, then its greedy policy), alternate exact
    evaluation and greedy improvement. A state switches action only if another action's ``Q`` exceeds
    the current action's by more than ``tol`` (default ``1e-12 * (1 + max|Q|)``), which rules out
    cycling on floating-point ties; ties then go to the lowest index. Terminates when no state
    switches; the policy is then optimal (Puterman 1994, Thm. 6.4.2), and ``error_bound`` is the
    bound ``gamma/(1-gamma) * ||T V - V||_inf`` certified a posteriori.
    """
    mdp = check_mdp(mdp)
    S, A = mdp.shape
    pi = uniform(S, A) if pi0 is None else as_policy(pi0, S, A, name="pi0")
    max_iter = check_int(max_iter, "max_iter", lo=1)
    if tol is not None:
        tol = check_tolerance(tol, "tol")
    ev = evaluate(mdp, pi)
    actions = np.argmax(greedy(ev.Q), axis=1)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        pi = deterministic(actions, A)
        ev = evaluate(mdp, pi)
        Q = ev.Q
        thr = tol if tol is not None else 1e-12 * (1.0 + np.max(np.abs(Q)))
        current = Q[np.arange(S), actions]
        best = Q.max(axis=1)
        switch = best > current + thr
        if not np.any(switch):
            converged = True
            break
        new = np.argmax(Q >= best[:, None] - thr, axis=1)
        actions = np.where(switch, new, actions)
    resid = bellman_optimality_residual(mdp, ev.V)
    bound = mdp.gamma / (1.0 - mdp.gamma) * resid if mdp.gamma > 0 else resid
    return PlanningResult(
        pi=readonly(pi), V=ev.V, Q=ev.Q, eta=ev.eta, iterations=it, error_bound=float(bound),
        converged=converged,
    )


def value_iteration(mdp: MDP, tol: float = 1e-8, V0=None, max_iter: int = 1_000_000) -> PlanningResult:
    """Value iteration ``V_{k+1} = max_a [R + gamma P V_k]``.

    Error bound: ``T`` is a ``gamma``-contraction in the sup norm, so
    ``||V_{k+1} - V*||_inf <= gamma/(1-gamma) ||V_{k+1} - V_k||_inf`` (Puterman 1994, Thm. 6.3.1).
    Iteration stops once that bound is at most ``tol``; the returned ``error_bound`` is the bound
    reached, so ``||V - V*||_inf <= error_bound <= tol``. The greedy policy ``pi`` of the returned
    ``V`` then satisfies ``||V_pi - V*||_inf <= 2 gamma error_bound / (1-gamma)`` (Singh & Yee 1994).
    """
    mdp = check_mdp(mdp)
    tol = check_tolerance(tol, "tol", positive=True)
    max_iter = check_int(max_iter, "max_iter", lo=1)
    S, A = mdp.shape
    g = mdp.gamma
    V = np.zeros(S) if V0 is None else as_float_array(V0, "V0", ndim=1)
    if V.shape != (S,):
        raise ValueError(f"V0 must have shape ({S},), got {V.shape}")
    converged = False
    bound = np.inf
    k = 0
    for k in range(1, max_iter + 1):
        Q = q_from_v(mdp, V)
        V_new = Q.max(axis=1)
        diff = float(np.max(np.abs(V_new - V)))
        V = V_new
        bound = g / (1.0 - g) * diff if g > 0 else 0.0
        if bound <= tol:
            converged = True
            break
    Q = q_from_v(mdp, V)
    return PlanningResult(
        pi=readonly(greedy(Q)), V=readonly(V), Q=readonly(Q), eta=float(mdp.rho0 @ V), iterations=k,
        error_bound=float(bound), converged=converged,
    )


def optimal(mdp: MDP) -> PlanningResult:
    """The optimal deterministic policy and its exact values, by :func:`policy_iteration`."""
    return policy_iteration(check_mdp(mdp))

"""Exact planning: Howard policy iteration and value iteration with a stated error bound."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .validation import as_float_array, as_policy, check_int, check_mdp, check_tolerance, readonly
from .evaluation import q_from_v, evaluate
from .mdp import MDP
from .policies import TIE_RTOL, deterministic, greedy, near_max, uniform

__all__ = ["PlanningResult", "policy_iteration", "value_iteration", "optimal", "bellman_optimality_residual"]


@dataclass(frozen=True, eq=False)
class PlanningResult:
    """Result of a planner.

    Attributes
    ----------
    pi : (S, A) deterministic policy, greedy under the tie rule of :mod:`tabular.policies` ("Ties").
    V, Q : values. For policy iteration they are the exact ``V_pi``, ``Q_pi`` of ``pi``; for value
        iteration the last iterate ``V_k`` and ``Q_k = R + gamma P V_k``.
    eta : float, ``rho0 . V``.
    iterations : int, number of improvement (PI) or Bellman (VI) steps taken.
    error_bound : float, a guaranteed bound on ``||V - V*||_inf`` (0 for converged policy iteration).
    converged : bool.

    Examples
    --------
    >>> from tabular import optimal, two_state
    >>> res = optimal(two_state())
    >>> print(res.pi.tolist(), round(res.eta, 6), res.converged)
    [[1.0, 0.0], [1.0, 0.0]] -14.285714 True
    >>> bool(res.error_bound < 1e-9)
    True
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
    """``||T V - V||_inf`` with ``T`` the Bellman optimality operator.

    Examples
    --------
    The residual of ``V*`` is round-off; for a policy's values it is the largest advantage ``max A_pi``:

    >>> from tabular import evaluate, optimal, two_state, uniform
    >>> from tabular.planning import bellman_optimality_residual
    >>> mdp = two_state()
    >>> bool(bellman_optimality_residual(mdp, optimal(mdp).V) < 1e-9)
    True
    >>> round(bellman_optimality_residual(mdp, evaluate(mdp, uniform(mdp)).V), 4)
    0.1475
    """
    mdp = check_mdp(mdp)
    V = as_float_array(V, "V", ndim=1)
    if V.shape != (mdp.n_states,):
        raise ValueError(f"V must have shape ({mdp.n_states},) (one value per state), got {V.shape}")
    return float(np.max(np.abs(q_from_v(mdp, V).max(axis=1) - V)))


def _improve(Q: np.ndarray, actions: np.ndarray, keep: bool, tol) -> np.ndarray:
    """Greedy improvement under the tie rule (:func:`tabular.policies.argmax_tol`). With ``keep``, a
    state keeps its current action while that action is tied with the best one."""
    tied = near_max(Q, axis=1, atol=0.0 if tol is None else tol, rtol=TIE_RTOL if tol is None else 0.0)
    new = np.argmax(tied, axis=1)  # lowest tied index
    if keep:
        new = np.where(tied[np.arange(Q.shape[0]), actions], actions, new)
    return new


def policy_iteration(mdp: MDP, pi0=None, max_iter: int = 10_000, tol: float | None = None) -> PlanningResult:
    """Howard policy iteration, exact up to the linear solves, with ties broken by one rule.

    Starting from ``pi0`` (default: the uniform policy), alternate exact evaluation and greedy
    improvement ``actions <- argmax_tol(Q_pi)``: in each state the lowest action index among the
    actions within ``tol`` of the best, ``tol = 1e-9 * max|Q|`` by default (the tie rule of
    :mod:`tabular.policies`, "Ties"; a given ``tol`` is an absolute tolerance). Stops when the greedy
    policy is unchanged, so the returned ``pi`` is ``greedy(Q_pi)`` itself: with exact ties in ``Q*``
    (walls, symmetric actions) it is the lowest-index optimal policy, whichever start and CPU, since
    round-off differences of ``Q`` never decide. Should the tie rule revisit a policy (only possible
    between actions within ``tol`` of each other, never seen in practice), a state keeps its action
    while it is tied with the best from then on; every switch then gains more than ``tol``, so no
    policy repeats. The policy is then optimal up to ties (Puterman 1994, Thm. 6.4.2), and
    ``error_bound`` is the bound ``gamma/(1-gamma) * ||T V - V||_inf`` certified a posteriori.

    Examples
    --------
    >>> from tabular import zoo
    >>> res = policy_iteration(zoo.two_state(0.95))
    >>> res.pi.tolist(), round(res.eta, 6)
    ([[1.0, 0.0], [1.0, 0.0]], -14.285714)
    """
    mdp = check_mdp(mdp)
    S, A = mdp.shape
    pi = uniform(S, A) if pi0 is None else as_policy(pi0, S, A, name="pi0")
    max_iter = check_int(max_iter, "max_iter", lo=1)
    if tol is not None:
        tol = check_tolerance(tol, "tol")
    actions = _improve(evaluate(mdp, pi).Q, np.zeros(S, dtype=int), False, tol)
    seen, keep, converged, it = set(), False, False, 0
    for it in range(1, max_iter + 1):
        pi = deterministic(actions, A)
        ev = evaluate(mdp, pi)
        new = _improve(ev.Q, actions, keep, tol)
        if np.array_equal(new, actions):
            converged = True
            break
        seen.add(actions.tobytes())
        if not keep and new.tobytes() in seen:  # a cycle between near-tied actions: keep ties from now on
            keep = True
            new = _improve(ev.Q, actions, keep, tol)
            if np.array_equal(new, actions):
                converged = True
                break
        actions = new
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
    ``V`` then satisfies ``||V_pi - V*||_inf <= 2 gamma error_bound / (1-gamma)`` (Singh & Yee 1994);
    its ties are broken by the rule of :mod:`tabular.policies` ("Ties").

    Examples
    --------
    Value iteration and policy iteration agree within the certified bound:

    >>> import numpy as np
    >>> from tabular import sutton_barto_gridworld, value_iteration, policy_iteration
    >>> mdp = sutton_barto_gridworld()
    >>> vi = value_iteration(mdp, tol=1e-8)
    >>> pi_ = policy_iteration(mdp)
    >>> print(vi.converged, vi.error_bound <= 1e-8, bool(np.max(np.abs(vi.V - pi_.V)) <= vi.error_bound))
    True True True
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
    """The optimal deterministic policy and its exact values, by :func:`policy_iteration`.

    Examples
    --------
    >>> from tabular import optimal, sutton_barto_gridworld
    >>> res = optimal(sutton_barto_gridworld())
    >>> print(f"{res.V[1]:.1f}")  # cell A of Sutton & Barto's Figure 3.5
    24.4
    """
    return policy_iteration(check_mdp(mdp))

"""Exact entropy-regularized ("soft") evaluation and planning, as in [CCCWC] (Cen, Cheng, Chen, Wei,
Chi, "Fast global convergence of natural policy gradient methods with entropy regularization",
Operations Research 2022, arXiv:2007.06558), Section 2.2.

With a regularization weight ``tau >= 0`` (THEORY.md §8):

* ``V_tau^pi(s) = E[sum_t gamma^t (r(s_t, a_t) - tau log pi(a_t|s_t)) | s_0 = s]``, i.e.
  ``V_tau = (I - gamma P_pi)^{-1} (r_pi + tau H_pi)`` with the entropy
  ``H_pi(s) = -sum_a pi(a|s) log pi(a|s)`` (``0 log 0 = 0``).
* ``Q_tau^pi(s, a) = r(s, a) + gamma sum_t P(t|s, a) V_tau^pi(t)`` (the entropy of the *first* state
  is in ``V``, not in ``Q``), so that ``V_tau(s) = sum_a pi(a|s) (Q_tau(s, a) - tau log pi(a|s))``.
* The soft Bellman optimality operator ``(T_tau V)(s) = tau log sum_a exp(Q(s, a) / tau)`` with
  ``Q = r + gamma P V`` is a ``gamma``-contraction in the sup norm; its fixed point is ``V*_tau`` and
  the unique optimal policy is ``pi*_tau(a|s) = exp((Q*_tau(s, a) - V*_tau(s)) / tau)``
  ([CCCWC] Eq. (9)-(10); Haarnoja et al. 2017).
* ``tau -> 0`` limit: ``V* <= V*_tau <= V* + tau log|A| / (1 - gamma)`` (the entropy is between 0 and
  ``log|A|`` at every step), and ``V_tau^pi -> V^pi``.

``tau = 0`` is allowed in :func:`soft_evaluate` (it returns the unregularized ``V^pi``, ``Q^pi``); the
optimum needs ``tau > 0`` (use :func:`tabular.optimal` for ``tau = 0``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .evaluation import evaluate, q_from_v
from .mdp import MDP
from .validation import as_float_array, as_policy, check_int, check_real, readonly

__all__ = ["SoftEvaluation", "SoftOptimum", "entropy", "soft_evaluate", "soft_optimal", "check_soft_evaluation_of",
           "soft_bellman_residual", "soft_greedy"]


@dataclass(frozen=True, eq=False)
class SoftEvaluation:
    """The entropy-regularized values of a policy (arrays read-only).

    Attributes
    ----------
    pi : (S, A). tau : float. V : (S,) ``V_tau^pi``. Q : (S, A) ``Q_tau^pi = r + gamma P V_tau``.
    entropy : (S,) ``H_pi(s)``. eta : float ``rho0 . V_tau``. gamma : float.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import evaluate, two_state, uniform
    >>> from tabular.regularized import soft_evaluate
    >>> mdp, pi = two_state(), uniform(2, 2)
    >>> sev = soft_evaluate(mdp, pi, tau=0.5)
    >>> sev
    SoftEvaluation(S=2, A=2, tau=0.5, eta=-7.494...)
    >>> bonus = 0.5 * np.log(2) / (1 - mdp.gamma)  # uniform policy: H = log 2 in every state
    >>> bool(np.allclose(sev.V, evaluate(mdp, pi).V + bonus))
    True
    """

    pi: np.ndarray
    tau: float
    V: np.ndarray
    Q: np.ndarray
    entropy: np.ndarray
    eta: float
    gamma: float

    def __repr__(self) -> str:
        S, A = self.pi.shape
        return f"SoftEvaluation(S={S}, A={A}, tau={self.tau:g}, eta={self.eta:.10g})"


@dataclass(frozen=True, eq=False)
class SoftOptimum:
    """The regularized optimum ``pi*_tau``, ``V*_tau``, ``Q*_tau`` (arrays read-only).

    ``error_bound`` certifies ``||V - V*_tau||_inf <= error_bound`` a posteriori:
    ``||T_tau V - V||_inf / (1 - gamma)`` (contraction). ``iterations`` counts soft value iteration
    sweeps plus soft policy iteration steps.

    Examples
    --------
    >>> from tabular import two_state
    >>> from tabular.regularized import soft_optimal
    >>> opt = soft_optimal(two_state(), tau=0.5)
    >>> opt
    SoftOptimum(S=2, A=2, tau=0.5, eta=-7.479269788, error_bound=...)
    >>> bool(opt.error_bound < 1e-10)
    True
    """

    pi: np.ndarray
    tau: float
    V: np.ndarray
    Q: np.ndarray
    eta: float
    error_bound: float
    iterations: int

    def __repr__(self) -> str:
        S, A = self.pi.shape
        return (f"SoftOptimum(S={S}, A={A}, tau={self.tau:g}, eta={self.eta:.10g}, "
                f"error_bound={self.error_bound:.3g})")


def _check_mdp(mdp) -> MDP:
    if not isinstance(mdp, MDP):
        raise TypeError(f"mdp must be a tabular.MDP, got {type(mdp).__name__}")
    return mdp


def entropy(pi) -> np.ndarray:
    """``H_pi(s) = -sum_a pi(a|s) log pi(a|s)`` in nats, with ``0 log 0 = 0``; shape (S,).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular.regularized import entropy
    >>> H = entropy([[0.5, 0.5], [1.0, 0.0]])
    >>> print(f"{H[0]:.6f} {np.log(2):.6f}", bool(H[1] == 0))  # log 2 for a coin, 0 for a sure action
    0.693147 0.693147 True
    """
    pi = as_policy(pi, name="pi")
    return _entropy(pi)


def _entropy(pi: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pi > 0, pi * np.log(np.where(pi > 0, pi, 1.0)), 0.0)
    return -terms.sum(axis=1)


def soft_evaluate(mdp: MDP, pi, tau: float) -> SoftEvaluation:
    """Exact entropy-regularized evaluation of ``pi`` ([CCCWC] Eq. (6)-(8), THEORY.md §8).

    Solves ``(I - gamma P_pi) V_tau = r_pi + tau H_pi`` by the exact solver of
    :func:`tabular.evaluate` (the same MDP with the reward ``r(s, a) - tau log pi(a|s)``, which has
    the same ``r_pi + tau H_pi``), then ``Q_tau = r + gamma P V_tau``.

    Raises ``ValueError`` for ``tau < 0`` or a NaN/inf ``tau``, ``TypeError`` for a non-MDP.

    Examples
    --------
    >>> from tabular import two_state, uniform, evaluate
    >>> from tabular.regularized import soft_evaluate
    >>> mdp = two_state()
    >>> bool(soft_evaluate(mdp, uniform(mdp), tau=0.0).eta == evaluate(mdp, uniform(mdp)).eta)  # tau = 0
    True
    """
    mdp = _check_mdp(mdp)
    pi = as_policy(pi, mdp.n_states, mdp.n_actions, name="pi")
    tau = check_real(tau, "tau", lo=0.0)
    with np.errstate(divide="ignore"):
        logpi = np.where(pi > 0, np.log(np.where(pi > 0, pi, 1.0)), 0.0)  # weight 0 where pi = 0
    with np.errstate(over="ignore", invalid="ignore"):
        R_soft = mdp.R - tau * logpi
    if not np.all(np.isfinite(R_soft)):
        raise ValueError(f"tau={tau!r} is too large: the soft reward r - tau log pi overflows; expected a tau "
                         f"with tau * max|log pi| = {tau:g} * {float(np.max(-logpi)):.3g} finite")
    with np.errstate(over="ignore", invalid="ignore"):
        V = evaluate(mdp.with_rewards(R_soft), pi).V  # V_tau = (I - gamma P_pi)^{-1} (r_pi + tau H)
    if not np.all(np.isfinite(V)):
        raise ValueError(f"tau={tau!r} is too large: the soft values (r_pi + tau H) / (1 - gamma) overflow")
    Q = q_from_v(mdp, np.asarray(V))  # Q_tau = r + gamma P V_tau
    return SoftEvaluation(pi=readonly(pi.copy()), tau=tau, V=readonly(np.array(V)), Q=readonly(Q),
                          entropy=readonly(_entropy(pi)), eta=float(mdp.rho0 @ V), gamma=mdp.gamma)


def check_soft_evaluation_of(mdp: MDP, sev, pi: np.ndarray, tau: float, name: str = "sev") -> SoftEvaluation:
    """Raise naming ``name`` unless ``sev`` is ``soft_evaluate(mdp, pi, tau)``: a :class:`SoftEvaluation`
    (``TypeError``) of this ``tau``, discount and policy (to 1e-12) whose ``V`` and ``Q`` satisfy the
    soft Bellman equations of ``mdp`` (``V = r_pi + tau H_pi + gamma P_pi V``, ``Q = r + gamma P V``)
    to 1e-7 relative (``ValueError``): an evaluation of another MDP is refused.

    Examples
    --------
    >>> from tabular import two_state, uniform
    >>> from tabular.regularized import check_soft_evaluation_of, soft_evaluate
    >>> mdp, pi = two_state(), uniform(2, 2)
    >>> sev = soft_evaluate(mdp, pi, 0.5)
    >>> check_soft_evaluation_of(mdp, sev, pi, 0.5) is sev
    True
    >>> try:
    ...     check_soft_evaluation_of(mdp, sev, pi, 0.25)
    ... except ValueError as err:
    ...     print(err)
    sev was computed with tau=0.5, not tau=0.25
    """
    if not isinstance(sev, SoftEvaluation):
        raise TypeError(f"{name} must be a tabular.regularized.SoftEvaluation (soft_evaluate(mdp, pi, tau)), "
                        f"got {type(sev).__name__}")
    if np.shape(sev.pi) != pi.shape or not np.allclose(sev.pi, pi, atol=1e-12, rtol=0):
        raise ValueError(f"{name} evaluates a different policy than pi; pass {name}=soft_evaluate(mdp, pi, tau) or None")
    if sev.tau != tau:
        raise ValueError(f"{name} was computed with tau={sev.tau!r}, not tau={tau!r}")
    if sev.gamma != mdp.gamma:
        raise ValueError(f"{name} was computed with gamma={sev.gamma!r}, but the MDP has gamma={mdp.gamma!r}")
    V = np.asarray(sev.V)
    Q = q_from_v(mdp, V)
    v_of_q = np.einsum("sa,sa->s", pi, Q) + tau * _entropy(pi)  # V = sum_a pi Q + tau H
    scale = float(np.max(np.abs(mdp.R))) + tau * float(np.max(np.abs(sev.entropy)) + 1.0) + float(np.max(np.abs(V)))
    if not (np.max(np.abs(Q - sev.Q)) <= 1e-7 * scale and np.max(np.abs(v_of_q - V)) <= 1e-7 * scale):
        raise ValueError(f"{name} does not satisfy the soft Bellman equations of this MDP (it evaluates "
                         f"another MDP); pass {name}=soft_evaluate(mdp, pi, tau) or None")
    return sev


def _soft_max(Q: np.ndarray, tau: float) -> tuple[np.ndarray, np.ndarray]:
    """``tau log sum_a exp(Q/tau)`` and the Gibbs policy ``exp((Q - V)/tau)``, stably."""
    m = Q.max(axis=1, keepdims=True)
    z = np.exp((Q - m) / tau)
    s = z.sum(axis=1, keepdims=True)
    V = (m + tau * np.log(s))[:, 0]
    return V, z / s


def soft_greedy(Q, tau: float) -> np.ndarray:
    """The Gibbs policy ``pi(a|s) ∝ exp(Q(s, a) / tau)`` ([CCCWC] Eq. (10)), stable for small ``tau``.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular.regularized import soft_greedy
    >>> print(np.round(soft_greedy([[0.0, np.log(3.0)]], tau=1.0), 4))
    [[0.25 0.75]]
    >>> print(np.round(soft_greedy([[0.0, 1.0]], tau=1e-3), 4))  # tau -> 0: greedy
    [[0. 1.]]
    """
    Q = as_float_array(Q, "Q", ndim=2)
    if Q.size == 0:
        raise ValueError(f"Q must be a non-empty (S, A) array, got shape {Q.shape}")
    tau = check_real(tau, "tau", positive=True)
    return _soft_max(Q, tau)[1]


def soft_bellman_residual(mdp: MDP, V, tau: float) -> float:
    """``||T_tau V - V||_inf`` with the soft Bellman optimality operator ``T_tau``.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import two_state
    >>> from tabular.regularized import soft_bellman_residual, soft_optimal
    >>> mdp = two_state()
    >>> bool(soft_bellman_residual(mdp, soft_optimal(mdp, 0.5).V, 0.5) < 1e-10)
    True
    """
    mdp = _check_mdp(mdp)
    tau = check_real(tau, "tau", positive=True)
    V = as_float_array(V, "V", ndim=1)
    if V.shape != (mdp.n_states,):
        raise ValueError(f"V must have shape ({mdp.n_states},) (one value per state), got {V.shape}")
    return float(np.max(np.abs(_soft_max(q_from_v(mdp, V), tau)[0] - V)))


def soft_optimal(mdp: MDP, tau: float, tol: float = 1e-13, max_iter: int = 100_000) -> SoftOptimum:
    """The regularized optimum by soft value iteration, polished by soft policy iteration.

    Soft value iteration ``V <- T_tau V`` (a ``gamma``-contraction) runs until
    ``gamma/(1-gamma) ||V_{k+1} - V_k||_inf <= max(tol, 1e-8 scale)``; then soft policy iteration
    ``pi <- softmax(Q_tau^pi / tau)`` with exact :func:`soft_evaluate` (which converges
    quadratically near ``pi*_tau``, [CCCWC] Section 3.2 with ``eta = (1-gamma)/tau``) until
    ``V`` stops changing. The returned values are those of the returned policy, and
    ``error_bound = ||T_tau V - V||_inf / (1 - gamma) >= ||V - V*_tau||_inf``.

    Examples
    --------
    The optimum is a fixed point: its Gibbs policy is itself, and evaluating it gives back its values:

    >>> import numpy as np
    >>> from tabular import two_state
    >>> from tabular.regularized import soft_evaluate, soft_greedy, soft_optimal
    >>> mdp = two_state()
    >>> opt = soft_optimal(mdp, tau=0.5)
    >>> bool(np.allclose(soft_greedy(opt.Q, 0.5), opt.pi))
    True
    >>> bool(np.allclose(soft_evaluate(mdp, opt.pi, 0.5).V, opt.V))
    True
    """
    mdp = _check_mdp(mdp)
    tau = check_real(tau, "tau", positive=True)
    tol = check_real(tol, "tol", positive=True)
    max_iter = check_int(max_iter, "max_iter", lo=1)
    g = mdp.gamma
    scale = max(1.0, float(np.max(np.abs(mdp.R))) + tau * np.log(mdp.n_actions)) / (1.0 - g)
    V = np.zeros(mdp.n_states)
    it = 0
    for it in range(1, max_iter + 1):  # soft value iteration
        V_new, pi = _soft_max(q_from_v(mdp, V), tau)
        diff = float(np.max(np.abs(V_new - V)))
        V = V_new
        if g * diff <= (1.0 - g) * max(tol, 1e-8 * scale):
            break
    for _ in range(50):  # soft policy iteration, exact evaluation
        it += 1
        ev = soft_evaluate(mdp, pi, tau)
        _, pi_new = _soft_max(np.asarray(ev.Q), tau)
        done = np.max(np.abs(ev.V - V)) <= 1e-15 * scale
        V, pi = np.asarray(ev.V), pi_new
        if done:
            break
    ev = soft_evaluate(mdp, pi, tau)
    resid = soft_bellman_residual(mdp, ev.V, tau)
    return SoftOptimum(pi=readonly(pi), tau=tau, V=ev.V, Q=ev.Q, eta=ev.eta,
                       error_bound=float(resid / (1.0 - g)), iterations=it)

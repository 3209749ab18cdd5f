"""Policy-gradient estimators (REINFORCE, reward-to-go, baselines, k-step and GAE advantages) and the closed-form expectations of the biased ones."""

from __future__ import annotations

import numbers

import numpy as np

from ..validation import (
    as_float_array,
    check_bool,
    check_dense_size,
    check_mdp,
    check_real,
    check_unit_interval,
)
from ..evaluation import Evaluation, policy_transition, resolve_evaluation
from ..mdp import MDP
from ..policies import softmax
from ..sampling import Trajectories
from .checks import BASELINES_REINFORCE, BASELINES_RTG, check_traj, pos_int, theta_of, values_of
from .results import GradientEstimate
from .surrogate import score_sums

__all__ = ['pg_reinforce', 'pg_reward_to_go', 'pg_from_advantages', 'gae_advantages', 'k_step_advantages', 'gae_expected_gradient', 'k_step_expected_gradient']


# ----------------------------------------------------------------------------- policy gradients
def _check_finite_estimate(g: np.ndarray, name: str, value) -> None:
    """Refuse an estimate that overflowed (never a silent inf or NaN), naming the argument to blame."""
    if not np.all(np.isfinite(g)):
        raise ValueError(f"{name} ({value!r:.40}) makes the estimate overflow (inf or NaN in the per-episode "
                         f"gradients); expected values of the scale of the returns")

def _loo_mean(x: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Leave-one-out mean along axis 0: ``(sum_j x_j - x_i) / (N - 1)``."""
    N = x.shape[0]
    if N < 2:
        raise ValueError("data-dependent baselines need at least 2 episodes (leave-one-out)")
    return (x.sum(axis=0, keepdims=True) - x) / (N - 1)


def _loo_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Leave-one-out ratio ``(sum_{j != i} num_j) / (sum_{j != i} den_j)`` along axis 0 (0 where den = 0)."""
    if num.shape[0] < 2:
        raise ValueError("data-dependent baselines need at least 2 episodes (leave-one-out)")
    n = num.sum(axis=0, keepdims=True) - num
    d = den.sum(axis=0, keepdims=True) - den
    tiny = 1e-300
    return np.where(d > tiny, n / np.where(d > tiny, d, 1.0), 0.0)


def _optimal_baseline(X: np.ndarray, h: np.ndarray, scalar: bool) -> np.ndarray:
    """Variance-minimizing constant baseline for ``X - b h`` (per episode), leave-one-out.

    Per coordinate ``k``: ``b_k = E[X_k h_k] / E[h_k^2]`` (returns (N, S, A)); scalar: ``b = E[X . h] /
    E[|h|^2]`` (returns (N, 1, 1)). For REINFORCE ``X = h R`` this is the seed notes'
    ``E[g^2 R] / E[g^2]``.
    """
    if scalar:
        num = np.einsum("nsa,nsa->n", X, h)
        den = np.einsum("nsa,nsa->n", h, h)
        return _loo_ratio(num, den)[:, None, None]
    return _loo_ratio(X * h, h * h)


def pg_reinforce(traj: Trajectories, theta, baseline=None) -> GradientEstimate:
    """REINFORCE with the full discounted return (seed notes 003; Williams 1992)::

        g_i = (sum_{t<H} grad log pi_theta(a_t|s_t)) (sum_{t<H} gamma^t r_t - b)

    unbiased for ``grad eta(pi_theta)`` (of the H-truncated return) for any action-independent ``b``.
    ``baseline``: None (b = 0), a float, ``"constant"`` (leave-one-out mean return), ``"optimal"``
    (per-coordinate ``E[h_k^2 R] / E[h_k^2]``, ``h = sum_t score_t``) or ``"optimal_scalar"``
    (``E[|h|^2 R] / E[|h|^2]``); the last three leave-one-out. ``traj`` must be sampled from
    ``softmax(theta)``.

    Examples
    --------
    Every coordinate lies within 3 standard errors of the exact gradient
    (:func:`tabular.gradients.softmax_policy_gradient`):

    >>> import numpy as np
    >>> from tabular import softmax, two_state
    >>> from tabular.estimators import pg_reinforce
    >>> from tabular.gradients import softmax_policy_gradient
    >>> from tabular.sampling import sample_trajectories
    >>> mdp, theta = two_state(0.9), np.array([[0.0, 0.5], [0.0, 0.0]])
    >>> traj = sample_trajectories(mdp, softmax(theta), n_episodes=1000, horizon=132, rng=0)
    >>> est = pg_reinforce(traj, theta, baseline="optimal")
    >>> bool(np.all(np.abs(est.grad - softmax_policy_gradient(mdp, theta)) <= 3 * est.stderr))
    True
    """
    theta = theta_of(theta, "theta")
    check_traj(traj, theta.shape[0], A=theta.shape[1])
    N, H = traj.states.shape
    h = score_sums(theta, traj.states, traj.actions, np.ones((N, H)))
    R = traj.discounted_returns()
    X = h * R[:, None, None]
    if baseline is None:
        return GradientEstimate(grad=X.mean(axis=0), per_episode=X)
    if isinstance(baseline, numbers.Real) and not isinstance(baseline, bool):
        b = np.full((N, 1, 1), check_real(baseline, "baseline"))
    elif baseline == "constant":
        b = _loo_mean(R)[:, None, None]
    elif baseline in ("optimal", "optimal_scalar"):
        b = _optimal_baseline(X, h, baseline == "optimal_scalar")
    else:
        raise ValueError(f"baseline must be None, a number or one of {BASELINES_REINFORCE[1:]}, got {baseline!r}")
    with np.errstate(over="ignore", invalid="ignore"):
        g = X - b * h
        est = GradientEstimate(grad=g.mean(axis=0), per_episode=g)
    _check_finite_estimate(g, "baseline", baseline)
    _check_finite_estimate(est.grad, "baseline", baseline)
    return est


def pg_from_advantages(traj: Trajectories, theta, psi, discount_states: bool = True) -> GradientEstimate:
    """``g_i = sum_t gamma^t grad log pi_theta(a_t|s_t) psi_t`` for given per-step weights ``psi`` (N, H).

    With ``discount_states=False`` the ``gamma^t`` factor is dropped (common practice; a biased
    estimate of ``grad eta`` since states are then weighted by the undiscounted visitation).

    Examples
    --------
    With ``lambda = 1`` GAE advantages are ``G_t - V(s_t)``, unbiased for any ``V``:

    >>> import numpy as np
    >>> from tabular import softmax, two_state
    >>> from tabular.estimators import gae_advantages, pg_from_advantages
    >>> from tabular.gradients import softmax_policy_gradient
    >>> from tabular.sampling import sample_trajectories
    >>> mdp, theta = two_state(0.9), np.array([[0.0, 0.5], [0.0, 0.0]])
    >>> traj = sample_trajectories(mdp, softmax(theta), n_episodes=1000, horizon=132, rng=0)
    >>> est = pg_from_advantages(traj, theta, gae_advantages(traj, np.array([-50.0, -9.0]), lam=1.0))
    >>> bool(np.all(np.abs(est.grad - softmax_policy_gradient(mdp, theta)) <= 3 * est.stderr))
    True
    """
    theta = theta_of(theta, "theta")
    check_traj(traj, theta.shape[0], A=theta.shape[1])
    psi = as_float_array(psi, "psi", ndim=2)
    if psi.shape != traj.states.shape:
        raise ValueError(f"psi must have shape {traj.states.shape} (N, H), got {psi.shape}")
    return _from_psi(traj, theta, psi, check_bool(discount_states, "discount_states"), "psi", "given")


def _from_psi(traj, theta, psi, discount_states: bool, blame: str, value) -> GradientEstimate:
    """:func:`pg_from_advantages` on validated arguments; an overflow is blamed on the argument ``blame``."""
    coef = psi * traj.discounts()[None, :] if discount_states else psi
    with np.errstate(over="ignore", invalid="ignore"):
        g = score_sums(theta, traj.states, traj.actions, coef)
        est = GradientEstimate(grad=g.mean(axis=0), per_episode=g)
    _check_finite_estimate(est.grad, blame, value)
    _check_finite_estimate(g, blame, value)
    return est


def pg_reward_to_go(traj: Trajectories, theta, baseline=None, V=None, discount_states: bool = True) -> GradientEstimate:
    """Reward-to-go (causality) estimator ``g_i = sum_t gamma^t score_t (G_t - b_t)``, ``G_t`` the
    discounted return-to-go (seed notes 003). Unbiased for ``grad eta`` for every baseline offered:

    * None; a float ``b``;
    * ``"constant"``: leave-one-out ``gamma^t``-weighted mean of ``G_t`` over the other episodes;
    * ``"optimal"`` / ``"optimal_scalar"``: variance-minimizing constant for ``X - b h`` with
      ``X = sum_t gamma^t score_t G_t``, ``h = sum_t gamma^t score_t`` (per coordinate
      ``E[X_k h_k]/E[h_k^2]``, or scalar ``E[X.h]/E[|h|^2]``), leave-one-out;
    * ``"time"``: ``b_t`` = leave-one-out mean of ``G_t`` at the same ``t``;
    * ``"state"``: ``b(s_t) = V[s_t]`` for a given ``V`` (e.g. exact ``V_pi``; any ``V`` is unbiased).

    Examples
    --------
    The exact ``V_pi`` as a state baseline shrinks the standard error of the state-0 coordinates:

    >>> import numpy as np
    >>> from tabular import evaluate, softmax, two_state
    >>> from tabular.estimators import pg_reward_to_go
    >>> from tabular.gradients import softmax_policy_gradient
    >>> from tabular.sampling import sample_trajectories
    >>> mdp, theta = two_state(0.9), np.array([[0.0, 0.5], [0.0, 0.0]])
    >>> traj = sample_trajectories(mdp, softmax(theta), n_episodes=1000, horizon=132, rng=0)
    >>> plain = pg_reward_to_go(traj, theta)
    >>> est = pg_reward_to_go(traj, theta, baseline="state", V=evaluate(mdp, softmax(theta)).V)
    >>> bool(np.all(np.abs(est.grad - softmax_policy_gradient(mdp, theta)) <= 3 * est.stderr))
    True
    >>> bool(est.stderr[0, 0] < plain.stderr[0, 0])
    True
    """
    theta = theta_of(theta, "theta")
    S = theta.shape[0]
    check_traj(traj, S, A=theta.shape[1])
    discount_states = check_bool(discount_states, "discount_states")
    N, H = traj.states.shape
    G = traj.returns_to_go()
    if isinstance(baseline, (np.ndarray, list, tuple)):
        raise TypeError(f"baseline must be None, a number or one of {BASELINES_RTG[1:]}, got {type(baseline).__name__}"
                        " (pass per-state values as V with baseline='state')")
    if baseline not in BASELINES_RTG and not (isinstance(baseline, numbers.Real) and not isinstance(baseline, bool)):
        raise ValueError(f"baseline must be None, a number or one of {BASELINES_RTG[1:]}, got {baseline!r}")
    if V is not None and baseline != "state":
        raise ValueError("V is only used with baseline='state'")
    if baseline is None:
        psi = G
    elif isinstance(baseline, numbers.Real) and not isinstance(baseline, str):
        with np.errstate(over="ignore"):
            psi = G - check_real(baseline, "baseline")
        _check_finite_estimate(psi, "baseline", baseline)
    elif baseline == "constant":
        disc = traj.discounts()
        per = (G @ disc) / disc.sum()
        psi = G - _loo_mean(per)[:, None]
    elif baseline == "time":
        psi = G - _loo_mean(G)
    elif baseline == "state":
        if V is None:
            raise ValueError("baseline='state' needs V (shape (S,))")
        psi = G - values_of(V, S)[traj.states]
    else:  # optimal
        disc = traj.discounts()[None, :] if discount_states else np.ones((1, H))
        X = score_sums(theta, traj.states, traj.actions, G * disc)
        h = score_sums(theta, traj.states, traj.actions, np.broadcast_to(disc, (N, H)))
        g = X - _optimal_baseline(X, h, baseline == "optimal_scalar") * h
        return GradientEstimate(grad=g.mean(axis=0), per_episode=g)
    blame = "V" if baseline == "state" else "baseline" if baseline is not None else "traj"
    return _from_psi(traj, theta, psi, discount_states, blame, "its values" if baseline == "state" else
                     baseline if baseline is not None else "its returns")


def gae_advantages(traj: Trajectories, V, lam: float) -> np.ndarray:
    """GAE(gamma, lambda) advantages ``Ahat_t = sum_{l >= 0} (gamma lambda)^l delta_{t+l}`` with
    ``delta_t = r_t + gamma V(s_{t+1}) - V(s_t)`` (Schulman et al. 2016, Eq. (16)), truncated at the
    episode end with ``V(s_H) := 0``; shape (N, H). ``lambda = 1`` gives ``G_t - V(s_t)``;
    ``lambda = 0`` the one-step TD error.

    Examples
    --------
    ``lambda = 1`` gives the return-to-go minus the baseline, ``lambda = 0`` the TD error:

    >>> import numpy as np
    >>> from tabular import two_state, uniform
    >>> from tabular.estimators import gae_advantages
    >>> from tabular.sampling import sample_trajectories
    >>> traj = sample_trajectories(two_state(0.9), uniform(2, 2), n_episodes=5, horizon=30, rng=0)
    >>> V = np.array([1.0, -2.0])
    >>> bool(np.allclose(gae_advantages(traj, V, 1.0), traj.returns_to_go() - V[traj.states]))
    True
    >>> td = traj.rewards[:, 0] + 0.9 * V[traj.states[:, 1]] - V[traj.states[:, 0]]
    >>> bool(np.allclose(gae_advantages(traj, V, 0.0)[:, 0], td))
    True
    """
    lam = check_unit_interval(lam, "lam")
    v = as_float_array(V, "V", ndim=1)
    check_traj(traj, v.shape[0], "V")
    N, H = traj.states.shape
    Vs = v[traj.states]
    Vnext = np.zeros_like(Vs)
    Vnext[:, :-1] = Vs[:, 1:]  # V(s_H) := 0
    delta = traj.rewards + traj.gamma * Vnext - Vs  # TD residual
    out = np.empty_like(delta)
    acc = np.zeros(N)
    for t in range(H - 1, -1, -1):
        acc = delta[:, t] + traj.gamma * lam * acc  # GAE recursion
        out[:, t] = acc
    return out


def k_step_advantages(traj: Trajectories, V, k: int) -> np.ndarray:
    """k-step (A3C-style) advantages ``Ahat_t = sum_{l<k} gamma^l r_{t+l} + gamma^k V(s_{t+k}) - V(s_t)``
    (``= sum_{l<k} gamma^l delta_{t+l}``), truncated at the episode end with ``V(s_H) := 0``; (N, H).

    Examples
    --------
    ``k = 1`` is the TD error; ``k >= H`` the return-to-go minus ``V(s_t)``:

    >>> import numpy as np
    >>> from tabular import two_state, uniform
    >>> from tabular.estimators import gae_advantages, k_step_advantages
    >>> from tabular.sampling import sample_trajectories
    >>> traj = sample_trajectories(two_state(0.9), uniform(2, 2), n_episodes=5, horizon=30, rng=0)
    >>> V = np.array([1.0, -2.0])
    >>> bool(np.allclose(k_step_advantages(traj, V, 1), gae_advantages(traj, V, 0.0)))
    True
    >>> bool(np.allclose(k_step_advantages(traj, V, 30), traj.returns_to_go() - V[traj.states]))
    True
    """
    k = pos_int(k, "k")
    v = as_float_array(V, "V", ndim=1)
    check_traj(traj, v.shape[0], "V")
    H = traj.states.shape[1]
    g = traj.gamma
    Vs = v[traj.states]
    out = -Vs.copy()
    for l in range(min(k, H)):  # rewards beyond the episode end add nothing
        out[:, : max(H - l, 0)] += g**l * traj.rewards[:, l:]
    if k < H:
        out[:, : H - k] += g**k * Vs[:, k:]
    return out


def _expected_adv_gradient(ev: Evaluation, pi: np.ndarray, Atilde: np.ndarray) -> np.ndarray:
    """``sum_s rho(s) sum_a pi (e_a - pi) Atilde(s, a)`` = ``rho pi (Atilde - pi . Atilde)``."""
    return ev.rho[:, None] * pi * (Atilde - np.einsum("sa,sa->s", pi, Atilde)[:, None])


def _value_error(mdp: MDP, theta, V_hat, ev):
    """``pi = softmax(theta)``, its evaluation, the value error ``e = V_hat - V_pi`` and dense ``P_pi``."""
    pi = softmax(theta_of(theta, "theta", mdp.shape))
    ev = resolve_evaluation(mdp, pi, ev, "ev")
    e = values_of(V_hat, mdp.n_states, "V_hat") - ev.V
    P_pi = policy_transition(mdp, pi)
    return pi, ev, e, (P_pi.toarray() if hasattr(P_pi, "toarray") else P_pi)


def _lookahead(mdp: MDP, y: np.ndarray) -> np.ndarray:
    """``[P y](s, a) = sum_t P[s, a, t] y(t)``, shape (S, A), without densifying a sparse ``P``."""
    return (mdp.P_flat @ y).reshape(mdp.shape)


def gae_expected_gradient(mdp: MDP, theta, V_hat, lam: float, ev: Evaluation | None = None) -> np.ndarray:
    """Exact expectation (infinite horizon) of ``sum_t gamma^t score_t Ahat_t^{GAE}`` with value ``V_hat``.

    With ``e = V_hat - V_pi``, ``E[delta_{t+l} | s_t, a_t]`` telescopes and
    ``E[Ahat_t | s, a] = A_pi(s, a) - e(s) + (1 - lambda) gamma [P (I - gamma lambda P_pi)^{-1} e](s, a)``,
    so the expected gradient is ``rho pi (Atilde - pi.Atilde)`` with ``Atilde`` that expectation (the
    ``-e(s)`` term cancels). The bias is ``(1 - lambda)`` times a fixed term: zero at ``lambda = 1`` or
    ``e = 0``.

    Examples
    --------
    Unbiased with the exact ``V_pi`` at every ``lambda`` and with any ``V`` at ``lambda = 1``; biased
    otherwise:

    >>> import numpy as np
    >>> from tabular import evaluate, softmax, two_state
    >>> from tabular.estimators import gae_expected_gradient
    >>> from tabular.gradients import softmax_policy_gradient
    >>> mdp, theta = two_state(0.9), np.array([[0.0, 0.5], [0.0, 0.0]])
    >>> V = evaluate(mdp, softmax(theta)).V
    >>> g = softmax_policy_gradient(mdp, theta)
    >>> V_bad = V + np.array([1.0, -1.0])
    >>> print(bool(np.allclose(gae_expected_gradient(mdp, theta, V, 0.5), g)),
    ...       bool(np.allclose(gae_expected_gradient(mdp, theta, V_bad, 1.0), g)),
    ...       bool(np.allclose(gae_expected_gradient(mdp, theta, V_bad, 0.5), g)))
    True True False
    """
    mdp = check_mdp(mdp)
    lam = check_unit_interval(lam, "lam")
    check_dense_size(mdp.n_states, None, "gae_expected_gradient on this MDP", copies=2, sparse_hint=None)
    pi, ev, e, P_pi = _value_error(mdp, theta, V_hat, ev)
    y = np.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * lam * P_pi, e)
    B = (1.0 - lam) * mdp.gamma * _lookahead(mdp, y)  # (S, A)
    return _expected_adv_gradient(ev, pi, ev.A + B)


def k_step_expected_gradient(mdp: MDP, theta, V_hat, k: int, ev: Evaluation | None = None) -> np.ndarray:
    """Exact expectation of the k-step estimator: ``E[Ahat^(k)_t | s, a] = A_pi(s, a) - e(s) +
    gamma^k [P P_pi^{k-1} e](s, a)`` with ``e = V_hat - V_pi`` (telescoping ``sum_{l<k} gamma^l delta``).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import evaluate, softmax, two_state
    >>> from tabular.estimators import k_step_expected_gradient
    >>> from tabular.gradients import softmax_policy_gradient
    >>> mdp, theta = two_state(0.9), np.array([[0.0, 0.5], [0.0, 0.0]])
    >>> V = evaluate(mdp, softmax(theta)).V
    >>> g = softmax_policy_gradient(mdp, theta)
    >>> print(bool(np.allclose(k_step_expected_gradient(mdp, theta, V, 3), g)),
    ...       bool(np.allclose(k_step_expected_gradient(mdp, theta, V + [1.0, -1.0], 3), g)))
    True False
    """
    mdp = check_mdp(mdp)
    k = pos_int(k, "k")
    check_dense_size(mdp.n_states, None, "k_step_expected_gradient on this MDP", sparse_hint=None)
    pi, ev, e, P_pi = _value_error(mdp, theta, V_hat, ev)
    gk = mdp.gamma**k
    if gk == 0.0:  # gamma^k underflows (or gamma = 0): the term is exactly 0 (P_pi^j e stays bounded)
        return _expected_adv_gradient(ev, pi, ev.A)
    if k - 1 > mdp.n_states:  # by repeated squaring: O(S^3 log k), not k matrix-vector products
        y = np.linalg.matrix_power(P_pi, k - 1) @ e
    else:
        y = e
        for _ in range(k - 1):
            y = P_pi @ y
    B = gk * _lookahead(mdp, y)
    return _expected_adv_gradient(ev, pi, ev.A + B)

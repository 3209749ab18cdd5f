"""The result types of the sample-based estimators (samples of Eq. (14), estimates, gradients, PPO)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


__all__ = ['SurrogateSamples', 'SurrogateEstimate', 'GradientEstimate', 'PPOEstimate']


@dataclass(frozen=True, eq=False)
class SurrogateSamples:
    """Samples ``(s_j, a_j, Qhat_j)`` for the importance-sampled surrogate of Eq. (14) of [TRPO].

    The estimate is ``Lhat(theta) = (1/n_groups) sum_j weights_j pi_theta(a_j|s_j) / q_prob_j Qhat_j``,
    unbiased (up to truncation) for ``M(theta) = sum_s rho_old(s) sum_a pi_theta(a|s) Q_old(s, a)``
    (module docstring; ``L = M + surrogate_offset``).

    Attributes
    ----------
    states, actions : (M,) int arrays.
    q_hat : (M,) float, the estimates ``Qhat(s_j, a_j)``.
    q_prob : (M,) float, the sampling probability ``q(a_j|s_j)`` (``pi_old`` for single path; ``1/A``
        when the vine enumerates all actions).
    weights : (M,) float, ``gamma^t`` (single path) or ``1 / ((1 - gamma) K)`` (vine).
    group : (M,) int, the independent unit of sample ``j`` (episode or rollout state), for error bars.
    n_groups : int, number of independent units ``n``.
    steps : int, environment steps simulated to produce the samples (the simulation budget).
    kind : str, ``"single_path"`` or ``"vine"``.
    n_states, n_actions : int or None, the shape ``(S, A)`` of the MDP the samples were drawn from
        (None for samples built by hand), so a step can refuse samples of another MDP.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import two_state, uniform
    >>> from tabular.estimators import single_path
    >>> samples = single_path(two_state(0.9), uniform(2, 2), n_episodes=10, horizon=20, rng=0)
    >>> samples
    SurrogateSamples(kind='single_path', samples=200, n_groups=10, steps=200)
    >>> print(samples.q_prob[:3].tolist(), samples.weights[:3].round(2).tolist())  # q = pi_old, w = gamma^t
    [0.5, 0.5, 0.5] [1.0, 0.9, 0.81]
    """

    states: np.ndarray
    actions: np.ndarray
    q_hat: np.ndarray
    q_prob: np.ndarray
    weights: np.ndarray
    group: np.ndarray
    n_groups: int
    steps: int
    kind: str
    n_states: int | None = None
    n_actions: int | None = None

    def __repr__(self) -> str:
        return (f"SurrogateSamples(kind={self.kind!r}, samples={self.states.size}, "
                f"n_groups={self.n_groups}, steps={self.steps})")


@dataclass(frozen=True, eq=False)
class SurrogateEstimate:
    """``Lhat(theta)`` of Eq. (14), its gradient and their standard errors (over groups).

    ``value`` estimates ``M(theta)`` (see :func:`surrogate_target`); ``grad`` (S, A) estimates
    ``grad L = grad M``; ``per_group`` (n,) and ``per_group_grad`` (n, S, A) hold the independent terms
    whose means are ``value`` and ``grad``.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import two_state, uniform
    >>> from tabular.estimators import single_path, surrogate_estimate
    >>> samples = single_path(two_state(0.9), uniform(2, 2), n_episodes=50, horizon=100, rng=0)
    >>> est = surrogate_estimate(samples, np.zeros((2, 2)))
    >>> print(est.grad.shape, est.per_group.shape, bool(np.isclose(est.value, est.per_group.mean())))
    (2, 2) (50,) True
    """

    value: float
    stderr: float
    grad: np.ndarray
    grad_stderr: np.ndarray
    per_group: np.ndarray
    per_group_grad: np.ndarray

    def __repr__(self) -> str:
        return (f"SurrogateEstimate(value={self.value:.6g}, stderr={self.stderr:.2e}, "
                f"grad_norm={float(np.linalg.norm(self.grad)):.6g}, shape={self.grad.shape}, "
                f"n_groups={self.per_group.shape[0]})")


@dataclass(frozen=True, eq=False)
class GradientEstimate:
    """A policy-gradient estimate: ``grad`` (S, A) is the mean of ``per_episode`` (N, S, A).

    ``stderr`` is the per-coordinate standard error ``std(per_episode, ddof=1) / sqrt(N)``.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import two_state, uniform
    >>> from tabular.estimators import pg_reinforce
    >>> from tabular.sampling import sample_trajectories
    >>> traj = sample_trajectories(two_state(0.9), uniform(2, 2), n_episodes=20, horizon=50, rng=0)
    >>> g = pg_reinforce(traj, np.zeros((2, 2)))
    >>> print(g.n_episodes, g.per_episode.shape, bool(np.allclose(g.grad, g.per_episode.mean(axis=0))))
    20 (20, 2, 2) True
    >>> g.stderr.shape
    (2, 2)
    """

    grad: np.ndarray
    per_episode: np.ndarray

    def __repr__(self) -> str:
        return (f"GradientEstimate(n_episodes={self.n_episodes}, shape={self.grad.shape}, "
                f"grad_norm={float(np.linalg.norm(self.grad)):.6g})")

    @property
    def n_episodes(self) -> int:
        return int(self.per_episode.shape[0])

    @property
    def stderr(self) -> np.ndarray:
        N = self.n_episodes
        if N < 2:
            raise ValueError("stderr needs at least 2 episodes")
        return self.per_episode.std(axis=0, ddof=1) / np.sqrt(N)


@dataclass(frozen=True, eq=False)
class PPOEstimate:
    """PPO objectives (Schulman et al. 2017) and their gradients with respect to ``theta``.

    ``l_clip = mean_j w_j min(r_j A_j, clip(r_j, 1-eps, 1+eps) A_j)``, ``l_is = mean_j w_j r_j A_j``,
    ``ratio`` (M,) the ``r_j = pi_theta(a_j|s_j) / pi_old(a_j|s_j)``, ``clipped`` (M,) bool, True where
    the clipped term is strictly smaller (its gradient is zero there), ``grad_clip``, ``grad_is`` (S, A).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular.estimators import ppo_objectives
    >>> est = ppo_objectives(np.zeros((2, 2)), np.zeros((2, 2)), [0, 1], [1, 0], [1.0, -2.0])
    >>> print(est.l_clip, est.l_is, est.ratio.tolist(), est.clipped.tolist())  # at theta_old: r = 1
    -0.5 -0.5 [1.0, 1.0] [False, False]
    """

    l_clip: float
    l_is: float
    grad_clip: np.ndarray
    grad_is: np.ndarray
    ratio: np.ndarray
    clipped: np.ndarray

    def __repr__(self) -> str:
        frac = float(np.mean(self.clipped)) if self.clipped.size else 0.0
        return (f"PPOEstimate(l_clip={self.l_clip:.6g}, l_is={self.l_is:.6g}, samples={self.ratio.size}, "
                f"clipped_fraction={frac:.3g})")

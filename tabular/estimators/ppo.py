"""PPO's clipped objective on samples (seed notes 003)."""

from __future__ import annotations

import numbers

import numpy as np

from ..validation import (
    as_float_array,
    as_index_array,
)
from ..policies import softmax
from .checks import theta_of
from .results import PPOEstimate
from .surrogate import score_sums

__all__ = ['ppo_objectives']


# ----------------------------------------------------------------------------- PPO
def ppo_objectives(theta, theta_old, states, actions, advantages, eps: float = 0.2, weights=None) -> PPOEstimate:
    """PPO's clipped objective and the plain importance-sampled one (Schulman et al. 2017, Eq. (6), (7))::

        L^IS(theta)   = mean_j w_j r_j A_j,            r_j = pi_theta(a_j|s_j) / pi_old(a_j|s_j)
        L^CLIP(theta) = mean_j w_j min(r_j A_j, clip(r_j, 1 - eps, 1 + eps) A_j)

    Gradients: ``d r_j / d theta[s_j, :] = r_j (e_{a_j} - pi_theta(.|s_j))``. Sample ``j`` contributes
    ``w_j A_j grad r_j`` to ``grad L^CLIP`` unless its clipped term is strictly smaller (``A_j > 0`` and
    ``r_j > 1 + eps``, or ``A_j < 0`` and ``r_j < 1 - eps``: the direction that would push ``r`` further
    out), where it contributes zero. ``L^CLIP <= L^IS`` always; they and their gradients agree at
    ``theta = theta_old``. ``weights`` default 1 (pass ``gamma^t`` for the rho-weighted form).

    Examples
    --------
    By hand: the ratios are ``r = 2 e/(1+e), 2/(1+e), 1 = 1.462, 0.538, 1`` (``pi_old`` is uniform), so
    ``L^CLIP = (min(1.462, 1.2) * 1 + min(-0.538, -0.8) + 0.5) / 3 = (1.2 - 0.8 + 0.5) / 3 = 0.3``:

    >>> import numpy as np
    >>> from tabular.estimators import ppo_objectives
    >>> theta_old, theta = np.zeros((2, 2)), np.array([[1.0, 0.0], [0.0, 0.0]])
    >>> est = ppo_objectives(theta, theta_old, states=[0, 0, 1], actions=[0, 1, 0],
    ...                      advantages=[1.0, -1.0, 0.5], eps=0.2)
    >>> print(f"{est.l_clip:.4f} {est.l_is:.4f}", np.round(est.ratio, 3).tolist(), est.clipped.tolist())
    0.3000 0.4747 [1.462, 0.538, 1.0] [True, True, False]
    """
    theta = theta_of(theta, "theta")
    theta_old = theta_of(theta_old, "theta_old", theta.shape)
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not (0.0 < float(eps) < 1.0):
        raise ValueError(f"eps must be a real number in (0, 1), got {eps!r}")
    eps = float(eps)
    S, A = theta.shape
    s = as_index_array(states, "states", S).ravel()
    a = as_index_array(actions, "actions", A).ravel()
    adv = as_float_array(advantages, "advantages").ravel()
    if not (s.shape == a.shape == adv.shape) or s.size == 0:
        raise ValueError(f"states, actions, advantages must be non-empty and equal-sized, got {s.size}, {a.size}, {adv.size}")
    w = np.ones(s.size) if weights is None else as_float_array(weights, "weights").ravel()
    if w.shape != s.shape:
        raise ValueError(f"weights must have {s.size} entries, got {w.size}")
    pi = softmax(theta)
    pi_old = softmax(theta_old)
    r = pi[s, a] / pi_old[s, a]
    unclipped = r * adv
    clipped_term = np.clip(r, 1.0 - eps, 1.0 + eps) * adv
    is_clipped = clipped_term < unclipped  # min picks the clipped (constant) term: zero gradient
    M = s.size
    l_is = float(np.mean(w * unclipped))
    l_clip = float(np.mean(w * np.minimum(unclipped, clipped_term)))
    coef_is = w * adv * r / M
    coef_clip = np.where(is_clipped, 0.0, coef_is)
    grp = np.zeros(M, dtype=np.int64)
    grad_is = score_sums(theta, s, a, coef_is, n_groups=1, group=grp)[0]
    grad_clip = score_sums(theta, s, a, coef_clip, n_groups=1, group=grp)[0]
    return PPOEstimate(l_clip=l_clip, l_is=l_is, grad_clip=grad_clip, grad_is=grad_is, ratio=r, clipped=is_clipped)

"""Exact gradients, the Fisher matrix and Fisher-vector products of the tabular softmax policy.

The parameterization is ``theta[s, a]`` with ``pi_theta(a|s) = exp(theta[s, a]) / sum_b exp(theta[s, b])``
(row-wise softmax, :func:`tabular.policies.softmax`). THEORY.md §2 and [TRPO] (Schulman et al. 2015,
arXiv:1502.05477 v5):

* Policy gradient theorem (Sutton et al. 2000) for the softmax:
  ``d eta / d theta[s, a] = rho_pi(s) pi(a|s) A_pi(s, a)`` with the **unnormalized** visitation
  ``rho_pi`` (``= d_pi(s) pi A / (1 - gamma)`` in the normalized convention of [AKLM]).
* Surrogate gradient: ``d L_{pi_old}(pi_theta) / d theta[s, a]
  = rho_old(s) pi_theta(a|s) (A_old(s, a) - sum_b pi_theta(b|s) A_old(s, b))`` (derivative of Eq. (3)).
  At ``theta = theta_old`` it equals the policy gradient: Eq. (4) of [TRPO].
* Fisher matrix = Hessian at ``theta_old`` of ``sum_s w(s) KL(pi_old(.|s) || pi_theta(.|s))``:
  block diagonal, block ``s`` equal to ``w(s) (diag pi_s - pi_s pi_s^T)`` ([TRPO] Appendix C). Each
  block has the constant vector in its null space (adding a constant to ``theta[s, :]`` leaves
  ``pi`` unchanged), so it has rank at most ``A - 1``.

The flat parameter vector is ``theta.ravel()`` (row-major: index ``s * A + a``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .validation import as_float_array, as_policy, check_bool, check_mdp
from .evaluation import Evaluation, expected_advantage, resolve_evaluation
from .mdp import MDP
from .policies import log_softmax, softmax

__all__ = [
    "softmax_policy_gradient",
    "softmax_surrogate_gradient",
    "softmax_fisher",
    "softmax_fvp",
    "mean_kl_softmax",
]

#: Tolerance for an ``Evaluation`` passed in to count as evaluating the policy of ``theta``.


def as_theta(theta, name: str, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Validate softmax parameters ``theta[s, a]``: finite, 2-D, non-empty, of ``shape`` if given."""
    arr = as_float_array(theta, name, ndim=2)
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} has an empty state or action set (shape {arr.shape})")
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape (S, A) = {tuple(shape)}, got {arr.shape}")
    return arr


def as_weights(weights, n_states: int) -> np.ndarray:
    """Validate per-state weights ``w(s)``: finite, non-negative, shape ``(S,)``."""
    w = as_float_array(weights, "weights", ndim=1)
    if w.shape != (n_states,):
        raise ValueError(f"weights must have shape ({n_states},) (one per state), got {w.shape}")
    if np.any(w < 0):
        s = int(np.argmax(w < 0))
        raise ValueError(f"weights must be non-negative, got weights[{s}] = {w[s]:.3g}")
    return w


def softmax_policy_gradient(mdp: MDP, theta, ev: Evaluation | None = None) -> np.ndarray:
    """Exact gradient of ``eta(pi_theta)`` with respect to the softmax parameters, shape (S, A).

    Policy gradient theorem (Sutton et al. 2000) for the tabular softmax (THEORY.md §2)::

        d eta / d theta[s, a] = rho_pi(s) pi(a|s) A_pi(s, a)

    with ``rho_pi`` the unnormalized discounted visitation of [TRPO] (``sum rho = 1/(1-gamma)``).

    Parameters
    ----------
    mdp : MDP
    theta : (S, A) array_like, softmax parameters.
    ev : Evaluation, optional
        A precomputed ``evaluate(mdp, softmax(theta))``; checked to evaluate that policy.

    Returns
    -------
    ndarray of shape (S, A)

    Examples
    --------
    The exact gradient agrees with a central finite difference of ``eta``:

    >>> import numpy as np
    >>> from tabular import evaluate, garnet, softmax
    >>> from tabular.gradients import softmax_policy_gradient
    >>> mdp = garnet(5, 3, rng=0)
    >>> theta = np.random.default_rng(1).standard_normal((5, 3))
    >>> g = softmax_policy_gradient(mdp, theta)
    >>> E = np.zeros((5, 3)); E[2, 1] = 1e-6
    >>> fd = (evaluate(mdp, softmax(theta + E)).eta - evaluate(mdp, softmax(theta - E)).eta) / 2e-6
    >>> bool(np.isclose(g[2, 1], fd, rtol=1e-5, atol=1e-9))
    True
    """
    mdp = check_mdp(mdp)
    theta = as_theta(theta, "theta", mdp.shape)
    pi = softmax(theta)
    ev = resolve_evaluation(mdp, pi, ev, "ev")
    return ev.rho[:, None] * pi * ev.A  # THEORY.md §2, policy gradient theorem


def softmax_surrogate_gradient(mdp: MDP, theta_old, theta, ev_old: Evaluation | None = None) -> np.ndarray:
    """Exact gradient of the surrogate ``L_{pi_old}(pi_theta)`` (Eq. (3) of [TRPO]), shape (S, A).

    With ``L_{pi_old}(pi) = eta(pi_old) + sum_s rho_old(s) sum_a pi(a|s) A_old(s, a)`` and the softmax
    Jacobian ``d pi(b|s) / d theta[s, a] = pi(b|s) (1[a=b] - pi(a|s))``::

        d L / d theta[s, a] = rho_old(s) pi_theta(a|s) (A_old(s, a) - sum_b pi_theta(b|s) A_old(s, b))

    At ``theta = theta_old`` the inner sum vanishes and this equals :func:`softmax_policy_gradient`
    (Eq. (4) of [TRPO]).

    Parameters
    ----------
    mdp : MDP
    theta_old : (S, A) array_like, parameters of ``pi_old`` (defines ``rho_old`` and ``A_old``).
    theta : (S, A) array_like, parameters at which the gradient is taken.
    ev_old : Evaluation, optional
        A precomputed ``evaluate(mdp, softmax(theta_old))``.

    Examples
    --------
    At ``theta = theta_old`` it is the policy gradient (Eq. (4) of [TRPO]); elsewhere it matches a finite
    difference of the surrogate:

    >>> import numpy as np
    >>> from tabular import garnet, softmax, surrogate
    >>> from tabular.gradients import softmax_policy_gradient, softmax_surrogate_gradient
    >>> mdp = garnet(5, 3, rng=0)
    >>> rng = np.random.default_rng(1)
    >>> th_old, th = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    >>> bool(np.allclose(softmax_surrogate_gradient(mdp, th_old, th_old), softmax_policy_gradient(mdp, th_old)))
    True
    >>> E = np.zeros((5, 3)); E[0, 2] = 1e-6
    >>> pi_old = softmax(th_old)
    >>> fd = (surrogate(mdp, pi_old, softmax(th + E)) - surrogate(mdp, pi_old, softmax(th - E))) / 2e-6
    >>> bool(np.isclose(softmax_surrogate_gradient(mdp, th_old, th)[0, 2], fd, rtol=1e-5, atol=1e-9))
    True
    """
    mdp = check_mdp(mdp)
    theta_old = as_theta(theta_old, "theta_old", mdp.shape)
    theta = as_theta(theta, "theta", mdp.shape)
    pi_old = softmax(theta_old)
    ev_old = resolve_evaluation(mdp, pi_old, ev_old, "ev_old")
    pi = softmax(theta)
    Abar = expected_advantage(mdp, pi_old, pi, ev=ev_old)  # sum_b pi_theta(b|s) A_old(s, b)
    return ev_old.rho[:, None] * pi * (ev_old.A - Abar[:, None])  # d/dtheta of Eq. (3)


def softmax_fisher(pi, weights, *, sparse: bool = False):
    """The Fisher matrix of the softmax policy, weighted by ``weights``, shape (S*A, S*A).

    It is the Hessian at ``theta_old`` of ``sum_s w(s) KL(pi_old(.|s) || pi_theta(.|s))``
    ([TRPO] Appendix C, THEORY.md §2): block diagonal with block ``s`` equal to::

        F_s = w(s) (diag(pi_s) - pi_s pi_s^T)

    symmetric positive semi-definite, with the constant vector in its null space (rank <= A - 1;
    exactly ``A - 1`` when ``w(s) > 0`` and ``pi_s`` has full support). With ``w = rho_old`` this is
    the Hessian of the mean KL of Eq. (12); with ``w = d_old`` that of ``E_{s~d}[KL]``.

    Parameters
    ----------
    pi : (S, A) array_like, the policy ``pi_old = softmax(theta_old)``.
    weights : (S,) array_like, non-negative state weights ``w(s)``.
    sparse : bool
        Return a scipy CSR array instead of a dense ndarray (memory ``S A^2`` instead of ``(S A)^2``).

    Examples
    --------
    ``F`` is the curvature of the mean KL: ``KL(theta, theta + eps v) ~ eps^2 v^T F v / 2``:

    >>> import numpy as np
    >>> from tabular import softmax
    >>> from tabular.gradients import mean_kl_softmax, softmax_fisher
    >>> rng = np.random.default_rng(0)
    >>> theta, v, w = rng.standard_normal((3, 2)), rng.standard_normal(6), np.array([1.0, 2.0, 0.5])
    >>> F = softmax_fisher(softmax(theta), w)
    >>> eps = 1e-4
    >>> kl = mean_kl_softmax(theta, theta + eps * v.reshape(3, 2), w)
    >>> print(F.shape, bool(np.isclose(kl, 0.5 * eps**2 * v @ F @ v, rtol=1e-3)))
    (6, 6) True
    >>> bool(np.allclose(softmax_fisher(softmax(theta), w, sparse=True).toarray(), F))
    True
    """
    pi = as_policy(pi, name="pi")
    S, A = pi.shape
    w = as_weights(weights, S)
    eye = np.eye(A)
    blocks = w[:, None, None] * (pi[:, :, None] * eye[None] - pi[:, :, None] * pi[:, None, :])  # App. C
    if check_bool(sparse, "sparse"):
        rows = np.repeat(np.arange(S * A), A)  # (s, a, b) -> s*A + a
        cols = np.broadcast_to(np.arange(S)[:, None, None] * A + np.arange(A)[None, None, :], (S, A, A))
        return sp.csr_array((blocks.ravel(), (rows, cols.ravel())), shape=(S * A, S * A))
    F = np.zeros((S, A, S, A))
    idx = np.arange(S)
    F[idx, :, idx, :] = blocks
    return F.reshape(S * A, S * A)


def softmax_fvp(pi, weights, v) -> np.ndarray:
    """Fisher-vector product ``F v`` without forming ``F`` (see :func:`softmax_fisher`).

    Per state: ``(F v)_s = w(s) (pi_s * v_s - pi_s (pi_s . v_s))`` ([TRPO] Appendix C), cost ``O(S A)``.

    Parameters
    ----------
    pi : (S, A) array_like, the policy ``pi_old``.
    weights : (S,) array_like, non-negative state weights.
    v : array_like of shape (S*A,) or (S, A)

    Returns
    -------
    ndarray of the same shape as ``v``.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import softmax
    >>> from tabular.gradients import softmax_fisher, softmax_fvp
    >>> rng = np.random.default_rng(0)
    >>> pi, v, w = softmax(rng.standard_normal((4, 3))), rng.standard_normal(12), rng.random(4)
    >>> bool(np.allclose(softmax_fvp(pi, w, v), softmax_fisher(pi, w) @ v))
    True
    """
    pi = as_policy(pi, name="pi")
    S, A = pi.shape
    w = as_weights(weights, S)
    v_arr = as_float_array(v, "v", ndim=(1, 2))
    if v_arr.shape not in ((S * A,), (S, A)):
        raise ValueError(f"v must have shape ({S * A},) or ({S}, {A}), got {v_arr.shape}")
    V = v_arr.reshape(S, A)
    out = w[:, None] * pi * (V - np.einsum("sa,sa->s", pi, V)[:, None])  # App. C, F_s v_s
    return out.reshape(v_arr.shape)


def mean_kl_softmax(theta_old, theta, weights) -> float:
    """``sum_s w(s) KL(pi_old(.|s) || pi_theta(.|s))`` for softmax policies (Eq. (12) of [TRPO] with w = rho).

    Computed from log-softmax values, so it is finite for every finite ``theta`` (softmax policies
    have full support) and accurate near ``theta = theta_old``. The weights are not renormalized:
    pass ``rho_old`` for the mean KL of Eq. (12), ``d_old`` for an expectation.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import kl, mean_kl, softmax
    >>> from tabular.gradients import mean_kl_softmax
    >>> rng = np.random.default_rng(0)
    >>> th_old, th, w = rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.random(4)
    >>> bool(np.isclose(mean_kl_softmax(th_old, th, w), mean_kl(softmax(th_old), softmax(th), w)))
    True
    >>> round(mean_kl_softmax(th_old, th_old + 7.0, w), 12)  # a constant shift leaves the policy unchanged
    0.0
    """
    theta_old = as_theta(theta_old, "theta_old")
    theta = as_theta(theta, "theta", theta_old.shape)
    w = as_weights(weights, theta_old.shape[0])
    logp_old = log_softmax(theta_old)
    logp = log_softmax(theta)
    kl_s = np.einsum("sa,sa->s", np.exp(logp_old), logp_old - logp)  # KL(pi_old || pi_theta) per state
    return float(w @ kl_s)

"""PPO-clip, exactly: the clipped surrogate of [PPO] maximized on tabular softmax policies.

[PPO] Schulman, Wolski, Dhariwal, Radford, Klimov, "Proximal policy optimization algorithms",
arXiv:1707.06347 (2017), Eq. (7); [TPPO] Wang, He, Tan, "Truly proximal policy optimization", UAI 2019
(arXiv:1903.07940). THEORY.md §8 writes the exact objective with the normalized visitation::

    L^CLIP(theta) = sum_s d_old(s) sum_a pi_old(a|s) min(r A_old, clip(r, 1-eps, 1+eps) A_old),
    r(s, a) = pi_theta(a|s) / pi_old(a|s)

(the expectation of [PPO] Eq. (7) over ``s ~ d_old``, ``a ~ pi_old`` with exact advantages). Its
gradient, for the softmax ``pi_theta(.|s) = softmax(theta[s])``, is
``dL/dtheta[s, b] = d_old(s) pi_theta(b|s) (g(s, b) - sum_a pi_theta(a|s) g(s, a))`` with
``g = A_old`` where the unclipped term is the minimum (``A >= 0`` and ``r < 1+eps``, or ``A < 0``
and ``r > 1-eps``) and ``g = 0`` elsewhere (the clipped term is constant in ``theta``).

:func:`ppo_clip_step` maximizes it as PPO does: ``epochs`` passes of full-batch ascent (here each
pass is one step on the exact objective; ``optimizer="adam"``, PPO's optimizer, or ``"sgd"``) from
``theta = log pi_old``, and records after every epoch the ratio range, the max and the mean KL and
the true ``eta``. Nothing in the objective bounds the KL: a clipped action has zero gradient, but
the softmax couples the actions of a state, so the other actions' gradients (and Adam's momentum)
keep moving its ratio beyond ``[1-eps, 1+eps]`` -- the point of [TPPO].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tabular.divergences import kl_unchecked
from tabular.evaluation import Evaluation, evaluate, resolve_evaluation
from tabular.mdp import MDP
from tabular.policies import softmax
from tabular.validation import as_float_array, as_policy, check_alloc, check_int, check_real, readonly

__all__ = ["PPOClipResult", "clip_objective", "clip_gradient", "ppo_clip_step"]


@dataclass(frozen=True, eq=False)
class PPOClipResult:
    """One exact PPO-clip update, epoch by epoch (arrays read-only; index 0 is ``pi_old``).

    pi_new, theta_new : the final policy and parameters. eps, lr, optimizer : the settings.
    eta_old : ``eta(pi_old)``. eta : (K+1,) true ``eta`` after each epoch. objective : (K+1,) ``L^CLIP``.
    ratio_min, ratio_max : (K+1,) extreme ``pi_theta/pi_old`` over states with ``d_old > 0``.
    kl_max : (K+1,) ``max_s KL(pi_old || pi_theta)``; kl_mean : (K+1,) ``sum_s d_old(s) KL_s``.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds.updates.ppo import ppo_clip_step
    >>> m = T.two_state(0.9)
    >>> r = ppo_clip_step(m, T.uniform(m), eps=0.2, epochs=3)
    >>> r.eta.shape, r.objective.shape, float(r.kl_max[0]), float(r.ratio_min[0])
    ((4,), (4,), 0.0, 1.0)
    """

    pi_new: np.ndarray
    theta_new: np.ndarray
    eps: float
    lr: float
    optimizer: str
    eta_old: float
    eta: np.ndarray
    objective: np.ndarray
    ratio_min: np.ndarray
    ratio_max: np.ndarray
    kl_max: np.ndarray
    kl_mean: np.ndarray

    def __repr__(self) -> str:
        return (f"PPOClipResult(eps={self.eps:g}, epochs={self.eta.size - 1}, optimizer={self.optimizer!r}, "
                f"eta {self.eta_old:.6g} -> {self.eta[-1]:.6g}, ratio in [{self.ratio_min[-1]:.3g}, "
                f"{self.ratio_max[-1]:.3g}], kl_max={self.kl_max[-1]:.3g}, kl_mean={self.kl_mean[-1]:.3g})")


def _check_eps(eps) -> float:
    eps = check_real(eps, "eps", positive=True)
    if not eps < 1.0:
        raise ValueError(f"eps must lie in (0, 1), got {eps!r}")
    return eps


def _theta(theta, shape) -> np.ndarray:
    theta = as_float_array(theta, "theta", ndim=2)
    if theta.shape != shape:
        raise ValueError(f"theta must have shape {shape}, got {theta.shape}")
    return theta


def _full_support(pi: np.ndarray, name: str) -> None:
    if np.any(pi <= 0):
        s, a = np.argwhere(pi <= 0)[0]
        raise ValueError(f"{name} must have full support (the ratio divides by it); {name}[{s}, {a}] = 0")


def _parts(ev: Evaluation, theta: np.ndarray, eps: float):
    pi = softmax(theta)
    r = pi / ev.pi
    A = np.asarray(ev.A)
    unclipped, clipped = r * A, np.clip(r, 1.0 - eps, 1.0 + eps) * A
    active = np.where(A >= 0, r < 1.0 + eps, r > 1.0 - eps)  # the unclipped term is the min
    return pi, r, np.minimum(unclipped, clipped), np.where(active, A, 0.0)


def clip_objective(ev_old: Evaluation, theta, eps: float) -> float:
    """``L^CLIP(theta)`` of [PPO] Eq. (7), exactly (module docstring); ``pi_old = ev_old.pi`` must
    have full support. ``L^CLIP(log pi_old) = 0`` (``sum_a pi A = 0``).

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds.updates.ppo import clip_objective
    >>> m = T.two_state(0.9); pi = T.uniform(m); ev = T.evaluate(m, pi)
    >>> abs(clip_objective(ev, np.log(pi), 0.2)) < 1e-12  # at theta = log pi_old the ratio is 1: E_d[A] = 0
    True
    >>> theta = np.log(pi) + np.array([[0.0, 0.1], [0.0, 0.0]])
    >>> clip_objective(ev, theta, 0.2) > 0
    True
    """
    if not isinstance(ev_old, Evaluation):
        raise TypeError(f"ev_old must be a tabular.Evaluation, got {type(ev_old).__name__}")
    _full_support(ev_old.pi, "ev_old.pi")
    theta, eps = _theta(theta, ev_old.pi.shape), _check_eps(eps)
    _, _, terms, _ = _parts(ev_old, theta, eps)
    return float(ev_old.d @ np.einsum("sa,sa->s", ev_old.pi, terms))  # [PPO] Eq. (7), exact


def clip_gradient(ev_old: Evaluation, theta, eps: float) -> np.ndarray:
    """``dL^CLIP/dtheta``, shape (S, A) (module docstring; at the kinks the one-sided derivative
    with the clipped branch taken for ``r = 1 +- eps`` exactly).

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds.updates.ppo import clip_gradient, clip_objective
    >>> m = T.two_state(0.9); ev = T.evaluate(m, T.uniform(m))
    >>> theta = np.log(T.uniform(m)) + np.array([[0.0, 0.05], [0.0, 0.0]])
    >>> g = clip_gradient(ev, theta, 0.2)
    >>> h = 1e-6; e = np.zeros((2, 2)); e[0, 1] = h
    >>> fd = (clip_objective(ev, theta + e, 0.2) - clip_objective(ev, theta - e, 0.2)) / (2 * h)
    >>> bool(np.isclose(g[0, 1], fd, rtol=1e-5))
    True
    """
    if not isinstance(ev_old, Evaluation):
        raise TypeError(f"ev_old must be a tabular.Evaluation, got {type(ev_old).__name__}")
    _full_support(ev_old.pi, "ev_old.pi")
    theta, eps = _theta(theta, ev_old.pi.shape), _check_eps(eps)
    pi, _, _, g = _parts(ev_old, theta, eps)
    return ev_old.d[:, None] * pi * (g - np.einsum("sa,sa->s", pi, g)[:, None])


def _record(mdp, ev_old, theta, eps):
    pi, r, terms, _ = _parts(ev_old, theta, eps)
    live = ev_old.d > 0
    kl = kl_unchecked(ev_old.pi, pi)
    return (float(evaluate(mdp, pi).eta), float(ev_old.d @ np.einsum("sa,sa->s", ev_old.pi, terms)),
            float(r[live].min()), float(r[live].max()), float(kl.max()), float(ev_old.d @ kl))


def ppo_clip_step(mdp: MDP, pi, eps: float = 0.2, epochs: int = 10, lr: float = 0.05,
                  optimizer: str = "adam", ev: Evaluation | None = None) -> PPOClipResult:
    """Maximize ``L^CLIP`` exactly by ``epochs`` full-batch ascent steps from ``theta = log pi``.

    ``optimizer="adam"``: Adam (Kingma & Ba 2015; beta1 = 0.9, beta2 = 0.999, 1e-8), PPO's optimizer,
    with step ``lr``; ``"sgd"``: ``theta += lr * grad``. ``pi`` must have full support.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds.updates.ppo import ppo_clip_step
    >>> m = T.two_state(0.9)
    >>> r = ppo_clip_step(m, T.uniform(m), eps=0.2, epochs=3)
    >>> r
    PPOClipResult(eps=0.2, epochs=3, optimizer='adam', eta -4.51613 -> -4.51316, ...)
    >>> bool(r.eta[-1] > r.eta_old), bool(np.allclose(r.pi_new.sum(axis=1), 1))
    (True, True)
    """
    if not isinstance(mdp, MDP):
        raise TypeError(f"mdp must be a tabular.MDP, got {type(mdp).__name__}")
    pi = as_policy(pi, mdp.n_states, mdp.n_actions, name="pi")
    _full_support(pi, "pi")
    eps = _check_eps(eps)
    epochs = check_int(epochs, "epochs", lo=1)
    check_alloc(256.0 * epochs, "epochs", epochs, "the per-epoch records (about 256 bytes each)")
    lr = check_real(lr, "lr", positive=True)
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    ev = resolve_evaluation(mdp, pi, ev)
    theta = np.log(pi)
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    rows = [_record(mdp, ev, theta, eps)]
    for k in range(1, epochs + 1):
        pi_t, _, _, g = _parts(ev, theta, eps)
        grad = ev.d[:, None] * pi_t * (g - np.einsum("sa,sa->s", pi_t, g)[:, None])
        if optimizer == "sgd":
            theta = theta + lr * grad
        else:
            m = 0.9 * m + 0.1 * grad
            v = 0.999 * v + 0.001 * grad**2
            theta = theta + lr * (m / (1 - 0.9**k)) / (np.sqrt(v / (1 - 0.999**k)) + 1e-8)
        if not np.all(np.isfinite(theta)):
            raise ValueError(f"lr={lr!r} is too large: the logits overflowed at epoch {k}")
        rows.append(_record(mdp, ev, theta, eps))
    cols = [readonly(np.array(c, dtype=np.float64)) for c in zip(*rows)]
    return PPOClipResult(pi_new=readonly(softmax(theta)), theta_new=readonly(theta), eps=eps, lr=lr,
                         optimizer=optimizer, eta_old=float(ev.eta), eta=cols[0], objective=cols[1],
                         ratio_min=cols[2], ratio_max=cols[3], kl_max=cols[4], kl_mean=cols[5])

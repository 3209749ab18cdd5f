"""Parameterized policies: the tabular softmax and the log-linear (shared-feature) policy.

Section 5-6 and Appendix C of [TRPO] (Schulman et al. 2015, arXiv:1502.05477 v5) optimize a policy
``pi_theta`` through its parameters ``theta``. Two classes share one interface:

* :class:`TabularSoftmax` -- ``pi_theta(a|s) ∝ exp(theta[s, a])``, ``theta`` flat of size ``S*A``
  (row-major, index ``s*A + a``). One parameter block per state: every exact update is then
  separable over states (THEORY.md §3, last item).
* :class:`LogLinear` -- ``pi_theta(a|s) ∝ exp(theta . phi(s, a))`` with features ``phi`` of shape
  ``(S, A, d)`` and ``theta`` of size ``d`` **shared across states**: a step that helps one state can
  hurt another, which is what makes the line search of [TRPO] §6 necessary (THEORY.md §7).

With ``onehot_features(S, A)`` the log-linear policy *is* the tabular softmax.

Every formula is written with the score ``psi(s, a) = grad_theta log pi_theta(a|s)``:

* Log-linear: ``psi(s, a) = phi(s, a) - sum_b pi(b|s) phi(s, b)``.
* Softmax: ``d log pi(a|s) / d theta[s', b] = 1[s = s'] (1[a = b] - pi(b|s))``.
* Policy gradient theorem (Sutton et al. 2000; THEORY.md §2)::

      grad eta(pi_theta) = sum_s rho_pi(s) sum_a pi(a|s) psi(s, a) A_pi(s, a)

  with the **unnormalized** visitation ``rho_pi`` of [TRPO] (sums to ``1/(1-gamma)``).
* Surrogate gradient (derivative of Eq. (3) of [TRPO])::

      grad_theta L_{pi_old}(pi_theta) = sum_s rho_old(s) sum_a pi_theta(a|s) psi_theta(s, a) A_old(s, a)

  equal to ``grad eta`` at ``theta = theta_old`` (Eq. (4) of [TRPO]).
* Fisher matrix ([TRPO] Appendix C): the Hessian at ``theta_old`` of
  ``sum_s w(s) KL(pi_old(.|s) || pi_theta(.|s))``::

      F = sum_s w(s) sum_a pi(a|s) psi(s, a) psi(s, a)^T

  symmetric positive semi-definite. The Fisher-vector product ``F v = J^T (w pi (J v))`` uses the
  Jacobian ``J`` of ``log pi`` twice and never forms ``F``.

Everything is exact (no sampling) and uses numpy only.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from .validation import as_float_array, check_int, check_mdp, check_real, readonly
from .evaluation import Evaluation, resolve_evaluation
from .gradients import as_weights
from .mdp import MDP

__all__ = [
    "ParametricPolicy",
    "TabularSoftmax",
    "LogLinear",
    "random_features",
    "onehot_features",
]


def _log_softmax_rows(z: np.ndarray) -> np.ndarray:
    """Row-wise (last axis) ``log softmax``, stable for large logits."""
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _positive_int(x, name: str) -> int:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {x!r}")
    return check_int(x, name, lo=1)


class ParametricPolicy:
    """Base class: the interface shared by :class:`TabularSoftmax` and :class:`LogLinear`.

    Public: ``n_states``, ``n_actions``, ``n_params``, :meth:`check_theta`, :meth:`check_mdp`,
    :meth:`probs`, :meth:`log_probs`, ``grad_log_prob``, :meth:`policy_gradient`,
    :meth:`surrogate_gradient`, :meth:`fisher`, :meth:`fvp`, :meth:`fvp_operator`,
    :meth:`kl_per_state`, :meth:`mean_kl`.

    Subclasses provide ``n_states``, ``n_actions``, ``n_params``, ``_logits(theta)``,
    ``_jvp(theta, pi, v)`` (``(J v)[s, a] = psi(s, a) . v``) and ``_vjp(theta, pi, M)``
    (``J^T M = sum_{s,a} M[s, a] psi(s, a)``) and ``grad_log_prob``.

    Examples
    --------
    Both subclasses share the interface; a log-linear policy with one-hot features is the tabular
    softmax:

    >>> import numpy as np
    >>> from tabular.parametric import LogLinear, ParametricPolicy, TabularSoftmax, onehot_features
    >>> tab, lin = TabularSoftmax(3, 2), LogLinear(onehot_features(3, 2))
    >>> isinstance(tab, ParametricPolicy) and isinstance(lin, ParametricPolicy)
    True
    >>> theta = np.random.default_rng(0).standard_normal(6)
    >>> bool(np.allclose(tab.probs(theta), lin.probs(theta)) and np.allclose(tab.fisher(theta, np.ones(3)),
    ...                                                                     lin.fisher(theta, np.ones(3))))
    True
    """

    n_states: int
    n_actions: int

    # ------------------------------------------------------------------ validation
    def check_theta(self, theta, name: str = "theta") -> np.ndarray:
        """Validate ``theta`` (finite, ``n_params`` entries) and return it as a flat float array.

        A 1-D array of length ``n_params`` is accepted; :class:`TabularSoftmax` also accepts the
        ``(S, A)`` matrix form. Anything else raises ``ValueError``.
        """
        arr = as_float_array(theta, name)
        n = self.n_params
        shapes = self._theta_shapes()
        if arr.shape not in shapes:
            want = " or ".join(str(s) for s in shapes)
            raise ValueError(f"{name} must have shape {want} ({n} parameters), got shape {arr.shape}")
        return arr.reshape(n)

    def _theta_shapes(self) -> tuple:
        return ((self.n_params,),)

    def check_mdp(self, mdp) -> MDP:
        """Raise unless ``mdp`` is a :class:`tabular.MDP` with this policy's ``(S, A)``."""
        mdp = check_mdp(mdp)
        if mdp.shape != (self.n_states, self.n_actions):
            raise ValueError(f"mdp has shape (S, A) = {mdp.shape} but the policy is defined for "
                             f"{(self.n_states, self.n_actions)}")
        return mdp

    # ------------------------------------------------------------------ policy
    def log_probs(self, theta) -> np.ndarray:
        """``log pi_theta(a|s)``, shape (S, A) (stable log-softmax of the logits)."""
        return _log_softmax_rows(self._logits(self.check_theta(theta)))

    def probs(self, theta) -> np.ndarray:
        """``pi_theta(a|s)``, shape (S, A); every row has full support."""
        return np.exp(self.log_probs(theta))

    # ------------------------------------------------------------------ gradients
    def policy_gradient(self, mdp: MDP, theta, ev: Evaluation | None = None) -> np.ndarray:
        """Exact ``grad_theta eta(pi_theta)``, shape ``(n_params,)``.

        Policy gradient theorem (THEORY.md §2)::

            grad eta = sum_s rho_pi(s) sum_a pi(a|s) grad log pi(a|s) A_pi(s, a)

        with the unnormalized visitation ``rho_pi``. ``ev`` may pass ``evaluate(mdp, probs(theta))``.
        """
        mdp = self.check_mdp(mdp)
        theta = self.check_theta(theta)
        pi = self.probs(theta)
        ev = resolve_evaluation(mdp, pi, ev, "ev")
        return self._vjp(theta, pi, ev.rho[:, None] * pi * ev.A)  # policy gradient theorem

    def surrogate_gradient(self, mdp: MDP, theta_old, theta, ev_old: Evaluation | None = None) -> np.ndarray:
        """Exact ``grad_theta L_{pi_old}(pi_theta)`` of the surrogate of Eq. (3) of [TRPO], ``(n_params,)``.

        ``L_{pi_old}(pi_theta) = eta(pi_old) + sum_s rho_old(s) sum_a pi_theta(a|s) A_old(s, a)``, so::

            grad L = sum_s rho_old(s) sum_a pi_theta(a|s) grad log pi_theta(a|s) A_old(s, a)

        At ``theta = theta_old`` it equals :meth:`policy_gradient` (Eq. (4) of [TRPO]).
        ``ev_old`` may pass ``evaluate(mdp, probs(theta_old))``.
        """
        mdp = self.check_mdp(mdp)
        theta_old = self.check_theta(theta_old, "theta_old")
        theta = self.check_theta(theta)
        ev_old = resolve_evaluation(mdp, self.probs(theta_old), ev_old, "ev_old")
        pi = self.probs(theta)
        return self._vjp(theta, pi, ev_old.rho[:, None] * pi * ev_old.A)  # d/dtheta of Eq. (3)

    def fisher(self, theta, weights) -> np.ndarray:
        """The Fisher matrix at ``theta``, shape ``(n_params, n_params)`` ([TRPO] Appendix C).

        Hessian at ``theta_old = theta`` of ``sum_s w(s) KL(pi_old(.|s) || pi_theta(.|s))``::

            F = sum_s w(s) sum_a pi(a|s) psi(s, a) psi(s, a)^T,   psi = grad log pi

        Symmetric PSD. ``weights`` are not renormalized (pass ``d`` for an expectation, ``rho`` for
        the unnormalized sum of Eq. (12)).
        """
        theta = self.check_theta(theta)
        w = as_weights(weights, self.n_states)
        pi = self.probs(theta)
        G = self.grad_log_prob(theta)  # (S, A, n)
        F = np.einsum("sa,sai,saj->ij", w[:, None] * pi, G, G)  # App. C
        return 0.5 * (F + F.T)

    def fvp(self, theta, weights, v) -> np.ndarray:
        """Fisher-vector product ``F v`` without forming ``F`` ([TRPO] Appendix C), shape ``(n_params,)``.

        ``F v = J^T (w(s) pi(a|s) (J v)(s, a))`` with ``(J v)(s, a) = grad log pi(a|s) . v``: two
        Jacobian products, cost ``O(S A)`` (softmax) or ``O(S A d)`` (log-linear).
        """
        theta = self.check_theta(theta)
        w = as_weights(weights, self.n_states)
        v = as_float_array(v, "v")
        if v.size != self.n_params or v.ndim not in (1, 2):
            raise ValueError(f"v must have {self.n_params} entries, got shape {v.shape}")
        v = v.reshape(self.n_params)
        pi = self.probs(theta)
        return self._vjp(theta, pi, w[:, None] * pi * self._jvp(theta, pi, v))  # App. C: F v

    def fvp_operator(self, theta, weights):
        """A fast closure ``v -> F v`` with ``theta`` and ``weights`` validated once (for CG)."""
        theta = self.check_theta(theta)
        w = as_weights(weights, self.n_states)
        pi = self.probs(theta)
        wpi = w[:, None] * pi

        def matvec(v):
            v = np.asarray(v, dtype=np.float64).reshape(self.n_params)
            return self._vjp(theta, pi, wpi * self._jvp(theta, pi, v))  # App. C: F v

        return matvec

    def kl_per_state(self, theta_old, theta) -> np.ndarray:
        """``KL(pi_old(.|s) || pi_theta(.|s))`` per state, shape (S,), from log-probabilities."""
        logp_old = self.log_probs(theta_old)
        logp = self.log_probs(theta)
        return np.maximum(np.einsum("sa,sa->s", np.exp(logp_old), logp_old - logp), 0.0)

    def mean_kl(self, theta_old, theta, weights) -> float:
        """``sum_s w(s) KL(pi_old(.|s) || pi_theta(.|s))`` (Eq. (12) of [TRPO] with ``w = rho``).

        The weights are not renormalized: pass ``d_old`` (sums to one) for the expectation
        ``E_{s~d}[KL]``, ``rho_old`` for the unnormalized sum written in Eq. (12). Finite for every
        finite ``theta`` (full support).
        """
        theta_old = self.check_theta(theta_old, "theta_old")
        theta = self.check_theta(theta)
        w = as_weights(weights, self.n_states)
        return float(w @ self.kl_per_state(theta_old, theta))


@dataclass(frozen=True)
class TabularSoftmax(ParametricPolicy):
    """Tabular softmax policy ``pi_theta(a|s) = exp(theta[s, a]) / sum_b exp(theta[s, b])``.

    ``theta`` is flat of size ``S*A`` (row-major, index ``s*A + a``); the ``(S, A)`` form is also
    accepted. The score is ``d log pi(a|s) / d theta[s', b] = 1[s = s'] (1[a = b] - pi(b|s))``, so
    the Fisher matrix is block diagonal with blocks ``w(s) (diag pi_s - pi_s pi_s^T)`` and null
    space spanned by one constant vector per state (rank ``S (A - 1)`` when every ``w(s) > 0``).

    Parameters
    ----------
    n_states, n_actions : positive ints.

    Examples
    --------
    The policy gradient of the class is that of the policy gradient theorem:

    >>> import numpy as np
    >>> from tabular import garnet
    >>> from tabular.gradients import softmax_policy_gradient
    >>> from tabular.parametric import TabularSoftmax
    >>> mdp = garnet(4, 2, rng=0)
    >>> policy = TabularSoftmax(4, 2)
    >>> theta = np.zeros(policy.n_params)
    >>> print(policy.n_params, policy.probs(theta)[0].tolist())
    8 [0.5, 0.5]
    >>> bool(np.allclose(policy.policy_gradient(mdp, theta), softmax_policy_gradient(mdp, theta.reshape(4, 2)).ravel()))
    True
    """

    n_states: int
    n_actions: int

    def __post_init__(self):
        _positive_int(self.n_states, "n_states")
        _positive_int(self.n_actions, "n_actions")

    @property
    def n_params(self) -> int:
        """``S * A``."""
        return self.n_states * self.n_actions

    def _theta_shapes(self) -> tuple:
        return ((self.n_params,), (self.n_states, self.n_actions))

    def _logits(self, theta: np.ndarray) -> np.ndarray:
        return theta.reshape(self.n_states, self.n_actions)

    def grad_log_prob(self, theta) -> np.ndarray:
        """``grad_theta log pi_theta(a|s)``, shape ``(S, A, S*A)`` (dense; mostly zeros)."""
        theta = self.check_theta(theta)
        S, A = self.n_states, self.n_actions
        pi = self.probs(theta)
        G = np.zeros((S, A, S, A))
        idx = np.arange(S)
        G[idx, :, idx, :] = np.eye(A)[None] - pi[:, None, :]  # 1[a=b] - pi(b|s)
        return G.reshape(S, A, S * A)

    def _jvp(self, theta, pi, v):
        V = v.reshape(self.n_states, self.n_actions)
        return V - np.einsum("sb,sb->s", pi, V)[:, None]  # (J v)[s, a] = v[s, a] - sum_b pi v[s, b]

    def _vjp(self, theta, pi, M):
        return (M - pi * M.sum(axis=1, keepdims=True)).ravel()  # (J^T M)[s, b] = M[s, b] - pi(b|s) sum_a M


@dataclass(frozen=True, eq=False)
class LogLinear(ParametricPolicy):
    """Log-linear policy ``pi_theta(a|s) ∝ exp(theta . phi(s, a))`` with parameters shared across states.

    The score is ``psi(s, a) = phi(s, a) - sum_b pi(b|s) phi(s, b)``. ``features`` is stored as a
    read-only float copy.

    Parameters
    ----------
    features : (S, A, d) array_like, finite, with ``S, A, d >= 1``.

    Examples
    --------
    The exact policy gradient agrees with a finite difference of ``eta`` along a random direction:

    >>> import numpy as np
    >>> from tabular import evaluate, garnet
    >>> from tabular.parametric import LogLinear, random_features
    >>> mdp = garnet(6, 3, rng=0)
    >>> policy = LogLinear(random_features(6, 3, d=2, rng=0))
    >>> policy
    LogLinear(S=6, A=3, d=2)
    >>> theta, u = np.array([0.3, -0.2]), np.array([1.0, 2.0])
    >>> g = policy.policy_gradient(mdp, theta)
    >>> eta = lambda t: evaluate(mdp, policy.probs(t)).eta
    >>> bool(np.isclose(g @ u, (eta(theta + 1e-6 * u) - eta(theta - 1e-6 * u)) / 2e-6, rtol=1e-5))
    True
    """

    features: np.ndarray

    def __post_init__(self):
        phi = as_float_array(self.features, "features", ndim=3)
        if min(phi.shape) < 1:
            raise ValueError(f"features must have shape (S, A, d) with S, A, d >= 1, got {phi.shape}")
        object.__setattr__(self, "features", readonly(phi.copy()))

    def __repr__(self) -> str:
        S, A, d = self.features.shape
        return f"LogLinear(S={S}, A={A}, d={d})"

    @property
    def n_states(self) -> int:
        return int(self.features.shape[0])

    @property
    def n_actions(self) -> int:
        return int(self.features.shape[1])

    @property
    def n_params(self) -> int:
        """The feature dimension ``d``."""
        return int(self.features.shape[2])

    def _logits(self, theta: np.ndarray) -> np.ndarray:
        return self.features @ theta  # theta . phi(s, a)

    def _centered(self, pi):
        """``psi(s, a) = phi(s, a) - sum_b pi(b|s) phi(s, b)``, shape (S, A, d)."""
        return self.features - np.einsum("sb,sbi->si", pi, self.features)[:, None, :]

    def grad_log_prob(self, theta) -> np.ndarray:
        """``grad_theta log pi_theta(a|s) = phi(s, a) - E_{b~pi(.|s)} phi(s, b)``, shape ``(S, A, d)``."""
        return self._centered(self.probs(theta))

    def _jvp(self, theta, pi, v):
        return self._centered(pi) @ v

    def _vjp(self, theta, pi, M):
        return np.einsum("sa,sai->i", M, self._centered(pi))


def random_features(n_states: int, n_actions: int, d: int, rng=None, scale: float = 1.0) -> np.ndarray:
    """Random Gaussian features ``phi(s, a) ~ N(0, scale^2 I_d)``, shape ``(S, A, d)``.

    With ``d < S (A - 1)`` the log-linear policy cannot represent every policy and its parameters
    are shared across states.

    Examples
    --------
    >>> from tabular.parametric import random_features
    >>> phi = random_features(5, 3, d=4, rng=0, scale=0.5)
    >>> phi.shape
    (5, 3, 4)
    """
    S = _positive_int(n_states, "n_states")
    A = _positive_int(n_actions, "n_actions")
    d = _positive_int(d, "d")
    scale = check_real(scale, "scale", positive=True)
    rng = np.random.default_rng(rng)
    return scale * rng.standard_normal((S, A, d))


def onehot_features(n_states: int, n_actions: int) -> np.ndarray:
    """One-hot features ``phi(s, a) = e_{s*A + a}``, shape ``(S, A, S*A)``: the log-linear policy
    with these features is exactly :class:`TabularSoftmax` (same parameter layout).

    Examples
    --------
    >>> from tabular.parametric import onehot_features
    >>> phi = onehot_features(2, 3)
    >>> print(phi.shape, phi[1, 2].tolist())  # e_{s*A + a} for s = 1, a = 2
    (2, 3, 6) [0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    """
    S = _positive_int(n_states, "n_states")
    A = _positive_int(n_actions, "n_actions")
    return np.eye(S * A).reshape(S, A, S * A)

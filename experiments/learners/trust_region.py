"""The pieces of the sample-based TRPO variants that the practical step of
:mod:`bounds.updates.practical` does not have: the importance-sampled surrogate of Eq. (14) for **any**
parametric policy (the existing sample step is tabular-softmax only), the empirical Fisher matrix
(outer products of score vectors), the per-state quadratic KL model of the max-KL constraint, and one
public step that takes these as arguments, with the practical step's CG, step length and line search
(:mod:`bounds.updates.practical.line_search`).

References: [TRPO] Schulman et al. 2015 (arXiv:1502.05477 v5) Eq. (14), §5-6, Appendix C and §8
(the empirical-FIM and max-KL variants); Amari 1998 and Kakade 2002 (the natural gradient);
Martens 2014, "New insights and perspectives on the natural gradient method" §9.2 (the empirical
Fisher is not the Fisher).

Score products. Every formula is written with the score ``psi(s, a) = grad log pi_theta(a|s)``
through the two Jacobian products ``(J v)[s, a] = psi(s, a) . v`` and ``J^T M = sum_{s,a} M[s, a]
psi(s, a)`` of :class:`tabular.parametric.ParametricPolicy` (its subclass interface ``_jvp``/``_vjp``,
used here after :meth:`~tabular.parametric.ParametricPolicy.check_theta`), so that softmax and
log-linear policies share one code path and no ``(S, A, n)`` score tensor is ever formed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tabular.estimators import SurrogateSamples
from tabular.estimators.checks import check_samples
from tabular.parametric import ParametricPolicy
from tabular.validation import as_float_array, check_bool, check_int, check_real, readonly

from bounds.updates.practical.line_search import backtracking_line_search, full_step

__all__ = [
    "SampleSurrogate",
    "sample_surrogate",
    "SearchResult",
    "kl_constrained_step",
]


def _jvp(policy, theta, pi, v):
    """``(J v)[s, a] = psi(s, a) . v``, shape (S, A)."""
    return policy._jvp(theta, pi, v)


def _vjp(policy, theta, pi, M):
    """``J^T M = sum_{s,a} M[s, a] psi(s, a)``, shape (n_params,)."""
    return policy._vjp(theta, pi, M)


@dataclass(frozen=True, eq=False)
class SampleSurrogate:
    """The importance-sampled surrogate of Eq. (14) of [TRPO] for a parametric policy, and the
    sample quantities the TRPO variants need, all reduced to ``(S, A)`` tables once per batch.

    With samples ``(s_j, a_j, Qhat_j)``, sampling probabilities ``q_j`` and weights ``w_j`` over ``n``
    groups (:class:`tabular.estimators.SurrogateSamples`)::

        Lhat(theta) = (1/n) sum_j w_j pi_theta(a_j|s_j) / q_j Qhat_j  =  sum_{s,a} pi_theta(a|s) K[s, a]
        K[s, a]     = (1/n) sum_{j: (s_j, a_j) = (s, a)} w_j Qhat_j / q_j                       (Eq. (14))
        grad Lhat   = J^T (pi_theta * K)                      (= tabular.estimators.surrogate_estimate)

    Attributes
    ----------
    policy : the parametric policy. theta_old : (n,) the parameters the samples were drawn with.
    K : (S, A) the table above.
    state_weights : (S,) ``d_hat(s)``, the samples' weights per state normalized to sum to one (the
        empirical ``d_old``, as in :func:`bounds.updates.practical.trpo_step_samples`).
    action_weights : (S, A) ``omega[s, a]``, the normalized weights of the sampled pairs reweighted to
        ``pi_old``: ``omega[s, a] ∝ sum_{j: (s_j, a_j) = (s, a)} w_j pi_old(a_j|s_j) / q_j`` (for single
        path ``q = pi_old``: the discounted empirical frequencies). Its expectation is
        ``d_old(s) pi_old(a|s)`` up to normalization, so ``sum omega psi psi^T`` converges to the
        analytic Fisher matrix (the empirical Fisher of [TRPO] §8, see :meth:`empirical_fvp`).
    visited : (S,) bool, the sampled states.
    kind : ``"single_path"`` or ``"vine"``. steps : int, environment steps of the samples.

    Examples
    --------
    The reduced surrogate has the value and gradient of :func:`tabular.estimators.surrogate_estimate`:

    >>> import numpy as np
    >>> from tabular import chain
    >>> from tabular.estimators import surrogate_estimate
    >>> from tabular.parametric import TabularSoftmax
    >>> from experiments.learners import draw_samples, sample_surrogate
    >>> mdp, policy, theta = chain(4, gamma=0.9), TabularSoftmax(4, 2), np.zeros(8)
    >>> samples = draw_samples(mdp, policy.probs(theta), "single_path", budget=2000, horizon=66, rng=0)
    >>> sur = sample_surrogate(samples, policy, theta)
    >>> sur
    SampleSurrogate(kind='single_path', visited_states=4, steps=1,980)
    >>> theta1 = np.linspace(-0.5, 0.5, 8)
    >>> est = surrogate_estimate(samples, theta1.reshape(4, 2))
    >>> print(bool(np.isclose(sur.value(theta1), est.value)), bool(np.allclose(sur.grad(theta1), est.grad.ravel())))
    True True
    >>> print(round(sur.mean_kl(theta), 12), round(float(sur.state_weights.sum()), 12))
    0.0 1.0
    """

    policy: ParametricPolicy
    theta_old: np.ndarray
    K: np.ndarray
    state_weights: np.ndarray
    action_weights: np.ndarray
    visited: np.ndarray
    kind: str
    steps: int

    def __repr__(self) -> str:
        return (f"SampleSurrogate(kind={self.kind!r}, visited_states={int(self.visited.sum())}, "
                f"steps={self.steps:,})")

    def value(self, theta) -> float:
        """``Lhat(theta) = sum_{s,a} pi_theta(a|s) K[s, a]`` (Eq. (14))."""
        return float(np.sum(self.policy.probs(theta) * self.K))

    def grad(self, theta) -> np.ndarray:
        """``grad Lhat(theta) = J^T (pi_theta * K)``, shape (n_params,) (Eq. (14))."""
        theta = self.policy.check_theta(theta)
        pi = self.policy.probs(theta)
        return _vjp(self.policy, theta, pi, pi * self.K)

    def analytic_fvp(self):
        """``v -> F v`` with ``F = sum_s d_hat(s) sum_a pi_old psi psi^T``: the analytic Hessian of the
        mean KL averaged over the sampled states ([TRPO] Appendix C)."""
        return self.policy.fvp_operator(self.theta_old, self.state_weights)

    def empirical_fvp(self):
        """``v -> F_emp v`` with the empirical Fisher ``F_emp = sum_{s,a} omega[s, a] psi(s, a) psi(s, a)^T``.

        The "covariance matrix of the gradients" of [TRPO] §8 (the empirical-FIM baseline): the
        average outer product of the score vectors of the sampled pairs, in place of the analytic
        expectation over actions. Computed as ``J^T (omega * (J v))``; it converges to
        :meth:`analytic_fvp` as the samples grow (``omega -> d_old pi_old``).
        """
        theta, pol, om = self.theta_old, self.policy, self.action_weights
        pi = pol.probs(theta)

        def matvec(v):
            v = np.asarray(v, dtype=np.float64).reshape(pol.n_params)
            return _vjp(pol, theta, pi, om * _jvp(pol, theta, pi, v))  # sum_j omega_j psi_j (psi_j . v)

        return matvec

    def max_curvature(self, v) -> float:
        """``max`` over sampled states of ``v^T F_s v = sum_a pi_old(a|s) (psi(s, a) . v)^2``: the
        quadratic model of ``max_s KL(pi_old(.|s) || pi_{theta_old + v}(.|s))`` is half of it
        (Appendix C per state; the max-KL constraint of Eq. (11))."""
        theta, pol = self.theta_old, self.policy
        pi = pol.probs(theta)
        per_state = np.einsum("sa,sa->s", pi, _jvp(pol, theta, pi, np.asarray(v, dtype=np.float64)) ** 2)
        return float(per_state[self.visited].max())

    def mean_kl(self, theta) -> float:
        """``sum_s d_hat(s) KL(pi_old(.|s) || pi_theta(.|s))`` over the sampled states."""
        return float(self.state_weights @ self.policy.kl_per_state(self.theta_old, theta))

    def max_kl(self, theta) -> float:
        """``max`` over sampled states of ``KL(pi_old(.|s) || pi_theta(.|s))`` (Eq. (11) on samples)."""
        return float(self.policy.kl_per_state(self.theta_old, theta)[self.visited].max())


def sample_surrogate(samples: SurrogateSamples, policy: ParametricPolicy, theta_old) -> SampleSurrogate:
    """Reduce single-path or vine samples of ``pi_old = pi_{theta_old}`` to a :class:`SampleSurrogate`.

    Raises ``TypeError`` for samples that are not :class:`~tabular.estimators.SurrogateSamples` or a
    policy that is not parametric, ``ValueError`` for samples of another MDP or with no weight.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import chain
    >>> from tabular.parametric import TabularSoftmax
    >>> from experiments.learners import draw_samples, sample_surrogate
    >>> mdp, policy, theta = chain(4, gamma=0.9), TabularSoftmax(4, 2), np.zeros(8)
    >>> samples = draw_samples(mdp, policy.probs(theta), "vine", budget=2000, horizon=66, rng=0)
    >>> sur = sample_surrogate(samples, policy, theta)
    >>> print(sur.kind, sur.K.shape, bool(np.isclose(sur.action_weights.sum(), 1.0)))
    vine (4, 2) True
    """
    if not isinstance(samples, SurrogateSamples):
        raise TypeError(f"samples must be a tabular.estimators.SurrogateSamples, got {type(samples).__name__}")
    if not isinstance(policy, ParametricPolicy):
        raise TypeError(f"policy must be a TabularSoftmax or LogLinear, got {type(policy).__name__}")
    S, A = policy.n_states, policy.n_actions
    for got, want, what in ((samples.n_states, S, "states"), (samples.n_actions, A, "actions")):
        if got is not None and got != want:
            raise ValueError(f"samples were drawn from an MDP with {got} {what}, but the policy has {want}: "
                             "the samples come from another MDP")
    check_samples(samples, S, A, against="policy")
    theta_old = policy.check_theta(theta_old, "theta_old")
    s, a = samples.states, samples.actions
    if s.size == 0:
        raise ValueError("samples is empty: no (state, action) pair to estimate the surrogate from")
    if int(s.max()) >= S or int(a.max()) >= A:
        raise ValueError(f"samples visit state {int(s.max())} or action {int(a.max())}, outside the "
                         f"policy's ({S}, {A}): the samples come from another MDP")
    idx = s * A + a
    K = np.bincount(idx, weights=samples.weights * samples.q_hat / samples.q_prob, minlength=S * A)
    K = K.reshape(S, A) / samples.n_groups  # Eq. (14)
    d_hat = np.bincount(s, weights=samples.weights, minlength=S)
    if not d_hat.sum() > 0:
        raise ValueError("samples carry no weight: cannot estimate the state distribution")
    pi_old = policy.probs(theta_old)
    om = np.bincount(idx, weights=samples.weights * pi_old[s, a] / samples.q_prob, minlength=S * A)
    return SampleSurrogate(policy=policy, theta_old=readonly(theta_old), K=readonly(K),
                           state_weights=readonly(d_hat / d_hat.sum()),
                           action_weights=readonly(om.reshape(S, A) / om.sum()),
                           visited=readonly(d_hat > 0), kind=str(samples.kind), steps=int(samples.steps))


@dataclass(frozen=True, eq=False)
class SearchResult:
    """One step of :func:`kl_constrained_step`.

    Attributes
    ----------
    theta_new : (n,) the new parameters (``theta`` when no step was taken).
    accepted : bool, whether a step was taken.
    step_fraction : float, ``backtrack^k`` of the accepted step (1 = full, 0 = none).
    n_backtracks : int. beta : float, the full-step length. direction : (n,) the CG solution ``s``.
    predicted_kl : float, the quadratic model ``1/2 (f beta)^2 c(s)`` of the step taken.
    cg_iterations : int. cg_residual : float, ``||(F + damping I) s - g|| / ||g||``.

    Examples
    --------
    >>> import numpy as np
    >>> from experiments.learners import kl_constrained_step
    >>> res = kl_constrained_step(np.zeros(2), np.array([1.0, 0.0]), lambda v: v, 0.5,
    ...                           gain=lambda th: th[0], kl=lambda th: 0.75 * th @ th, damping=0.0)
    >>> res
    SearchResult(accepted=True, step_fraction=0.8, beta=1, predicted_kl=0.32)
    >>> print(res.n_backtracks, res.theta_new.round(6).tolist(), res.cg_iterations >= 1)
    1 [0.8, 0.0] True
    """

    theta_new: np.ndarray
    accepted: bool
    step_fraction: float
    n_backtracks: int
    beta: float
    direction: np.ndarray
    predicted_kl: float
    cg_iterations: int
    cg_residual: float

    def __repr__(self) -> str:
        return (f"SearchResult(accepted={self.accepted}, step_fraction={self.step_fraction:.3g}, "
                f"beta={self.beta:.4g}, predicted_kl={self.predicted_kl:.3g})")


def kl_constrained_step(theta, g, fvp, delta: float, *, gain, kl, curvature=None, step_length=None,
                        cg_iters: int = 10, damping: float = 1e-3, backtrack: float = 0.8,
                        max_backtracks: int = 10, line_search: bool = True) -> SearchResult:
    """Conjugate gradient, step length and backtracking line search of [TRPO] Appendix C.

    1. Direction: ``(F + damping I) s = g`` by ``cg_iters`` iterations of conjugate gradient on the
       products ``fvp(v) = F v`` (:func:`bounds.updates.practical.full_step`).
    2. Length: ``beta = sqrt(2 delta / c(s))`` with ``c(s) = curvature(s)``, default ``s^T F s``
       (undamped), so the quadratic KL model of the full step is ``1/2 beta^2 c(s) = delta``
       (Appendix C); or a fixed ``beta = step_length`` (the natural gradient with a fixed step,
       Kakade 2002; then ``delta`` only labels the KL model).
    3. Line search: ``beta <- backtrack * beta`` (at most ``max_backtracks`` times) until
       ``gain(theta_new) > 0`` and ``kl(theta_new) <= delta`` ([TRPO] §6); none passing keeps
       ``theta`` (:func:`bounds.updates.practical.backtracking_line_search`). ``line_search=False`` takes the full step unchecked.

    Same rules and defaults as the practical step of :mod:`bounds.updates.practical` (on the same
    inputs it returns the same ``theta_new``); ``curvature``, ``step_length`` and ``kl`` are the
    arguments that step does not take. ``gain``, ``kl`` and ``curvature`` are callables of ``theta``
    (or of ``s``).

    Examples
    --------
    A toy problem with ``F = I``: the full step ``beta s`` with ``beta = sqrt(2 delta / s^T s) = 1``
    has the model KL ``1/2 = delta``, but the true KL ``0.75 |theta|^2 = 0.75`` breaks the constraint;
    one backtrack (``0.8``) gives ``0.48 <= 0.5``:

    >>> import numpy as np
    >>> from experiments.learners import kl_constrained_step
    >>> res = kl_constrained_step(np.zeros(2), np.array([1.0, 0.0]), lambda v: v, 0.5,
    ...                           gain=lambda th: th[0], kl=lambda th: 0.75 * th @ th, damping=0.0)
    >>> print(res.accepted, res.step_fraction, res.theta_new.round(6).tolist())
    True 0.8 [0.8, 0.0]
    >>> full = kl_constrained_step(np.zeros(2), np.array([1.0, 0.0]), lambda v: v, 0.5,
    ...                            gain=lambda th: th[0], kl=lambda th: 0.75 * th @ th, damping=0.0,
    ...                            line_search=False)
    >>> full.theta_new.round(6).tolist()
    [1.0, 0.0]
    """
    theta = as_float_array(theta, "theta", ndim=1)
    g = as_float_array(g, "g", ndim=1)
    if g.shape != theta.shape:
        raise ValueError(f"g must have the shape of theta {theta.shape}, got {g.shape}")
    delta = check_real(delta, "delta", positive=True)
    cg_iters = check_int(cg_iters, "cg_iters", lo=1)
    damping = check_real(damping, "damping", lo=0.0)
    backtrack = check_real(backtrack, "backtrack", positive=True, hi=1.0, open_hi=True)
    max_backtracks = check_int(max_backtracks, "max_backtracks", lo=0)
    line_search = check_bool(line_search, "line_search")
    if step_length is not None:
        step_length = check_real(step_length, "step_length", positive=True)
    fs = full_step(theta, g, fvp, delta, cg_iters=cg_iters, damping=damping, curvature=curvature,
                   step_length=step_length)  # App. C, the practical step's direction and length
    s, its, res, beta, c = fs.direction, fs.cg_iterations, fs.cg_residual, fs.beta, fs.curvature
    if not fs.ok:
        return SearchResult(theta.copy(), False, 0.0, 0, beta, s, 0.0, its, res)
    full = beta * s
    if not line_search:
        with np.errstate(over="ignore"):
            predicted = float(0.5 * np.float64(beta) ** 2 * c)  # may be +inf for a huge fixed length
        return SearchResult(theta + full, True, 1.0, 0, beta, s, predicted, its, res)
    ls = backtracking_line_search(  # §6: improve the surrogate, keep the KL
        theta, full, lambda th, _frac: gain(th) > 0 and kl(th) <= delta, backtrack=backtrack,
        max_backtracks=max_backtracks)
    frac = ls.step_fraction
    predicted = 0.5 * (frac * beta) ** 2 * c if ls.accepted else 0.0
    return SearchResult(ls.theta_new, ls.accepted, frac, ls.n_backtracks, beta, s, predicted, its, res)

"""Sample-based TRPO and its variants of [TRPO] §8: single path, vine, the max-KL constraint and the
empirical Fisher; and the natural gradient with a fixed step, which differs from single-path TRPO only
in its step rule.

[TRPO]: Schulman, Levine, Moritz, Jordan & Abbeel 2015, arXiv:1502.05477 v5. The variants, as §8.1
describes them:

* **single path** (§5.1) and **vine** (§5.2): the practical step (CG on the analytic Fisher averaged
  over the sampled states, ``beta = sqrt(2 delta / s^T F s)``, line search on the Eq. (14) surrogate
  and the sampled mean KL, Appendix C) from :func:`tabular.estimators.single_path` or
  :func:`tabular.estimators.vine` samples;
* **max KL**: the same, with the mean KL replaced by the maximum KL over the sampled states (Eq. (11)
  instead of Eq. (12)): ``beta = sqrt(2 delta / max_s s^T F_s s)`` from the per-state quadratic models
  and a line search on ``max_s KL_s <= delta``. The direction stays the mean-Fisher natural gradient:
  a practical stand-in for the max-KL trust region, which [TRPO] solved only on cart-pole;
* **empirical FIM**: single path with the Fisher matrix replaced by the average outer product of the
  score vectors of the sampled pairs ("the covariance matrix of the gradients",
  :meth:`SampleSurrogate.empirical_fvp`), for the direction and ``beta``; the line search is that of
  single path (analytic sampled mean KL), so only the curvature estimate differs;
* **natural gradient** (Kakade 2002): single path with "a fixed penalty coefficient (Lagrange
  multiplier) instead of the KL constraint": ``theta += beta_fixed s`` with no line search, i.e. the
  maximizer of ``g . x - (1 / (2 beta_fixed)) x^T F x``. ``beta_fixed`` is a parameter; by default it
  is the TRPO step length of the **first** iteration (``sqrt(2 delta / s_0^T F_0 s_0)`` on the first
  batch), then held fixed, so the two methods take the same first step.

Tabular-softmax policies with the analytic Fisher and the mean KL use the existing practical step
:func:`bounds.updates.practical.trpo_step_samples`; every other case (log-linear policies, max KL,
empirical Fisher, fixed step) uses :func:`~.trust_region.kl_constrained_step` on a
:class:`~.trust_region.SampleSurrogate`, which on the common cases gives the same step (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tabular.estimators import SurrogateSamples, single_path, vine
from tabular.evaluation import evaluate
from tabular.mdp import MDP
from tabular.parametric import TabularSoftmax
from tabular.validation import as_rng, check_alloc, check_int, check_mdp, check_real

from bounds.updates.practical.step import trpo_step_samples
from .base import LearningCurve, check_problem, episodes_for, record, vine_states_for
from .trust_region import kl_constrained_step, sample_surrogate

__all__ = ["SampleStepResult", "sample_trpo_step", "draw_samples", "trpo", "natural_gradient"]

FISHERS = ("analytic", "empirical")
CONSTRAINTS = ("mean", "max")
ESTIMATORS = ("single_path", "vine")


@dataclass(frozen=True, eq=False)
class SampleStepResult:
    """One sample-based step of a TRPO variant (or of the fixed-step natural gradient).

    Attributes
    ----------
    theta_new : (n,) new parameters. accepted : bool. step_fraction : float, ``backtrack^k``.
    beta : float, the full-step length. predicted_kl : float, the quadratic KL model of the step.
    mean_kl, max_kl : float, ``sum_s d_hat KL_s`` and ``max_s KL_s`` over the sampled states (exact
        per-state KL of the step taken).
    surrogate_gain : float, ``Lhat(theta_new) - Lhat(theta_old)`` (Eq. (14)).
    eta_old, eta_new : float, exact values when ``mdp`` was given (diagnostics only), else NaN.
    fisher, constraint, rule : str, ``rule`` is ``"trust_region"`` or ``"fixed_step"``.
    delta : float.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import chain
    >>> from tabular.parametric import TabularSoftmax
    >>> from experiments.learners import draw_samples, sample_trpo_step
    >>> mdp, policy, theta = chain(4, gamma=0.9), TabularSoftmax(4, 2), np.zeros(8)
    >>> samples = draw_samples(mdp, policy.probs(theta), "single_path", budget=2000, horizon=66, rng=0)
    >>> step = sample_trpo_step(samples, policy, theta, delta=0.01, mdp=mdp)
    >>> print(step.rule, step.fisher, step.constraint, step.theta_new.shape)
    trust_region analytic mean (8,)
    >>> bool(step.accepted and step.mean_kl <= 0.01 and step.surrogate_gain > 0)  # the line search's tests
    True
    """

    theta_new: np.ndarray
    accepted: bool
    step_fraction: float
    beta: float
    predicted_kl: float
    mean_kl: float
    max_kl: float
    surrogate_gain: float
    eta_old: float
    eta_new: float
    fisher: str
    constraint: str
    rule: str
    delta: float

    def __repr__(self) -> str:
        return (f"SampleStepResult({self.rule}, fisher={self.fisher!r}, constraint={self.constraint!r}, "
                f"accepted={self.accepted}, mean_kl={self.mean_kl:.3g}, max_kl={self.max_kl:.3g}, "
                f"delta={self.delta:g})")


def _choice(x, name, allowed):
    if not isinstance(x, str) or x not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {x!r}")
    return x


def sample_trpo_step(samples: SurrogateSamples, policy, theta, delta: float, *, fisher: str = "analytic",
                     constraint: str = "mean", step_length: float | None = None, cg_iters: int = 10,
                     damping: float = 1e-3, backtrack: float = 0.8, max_backtracks: int = 10,
                     mdp: MDP | None = None) -> SampleStepResult:
    """One step of a sample-based TRPO variant of [TRPO] §8 (module docstring).

    Parameters
    ----------
    samples : single-path or vine samples of ``pi_theta`` (:mod:`tabular.estimators`).
    policy : TabularSoftmax or LogLinear. theta : its parameters (the policy that was sampled).
    delta : float > 0, the KL radius.
    fisher : ``"analytic"`` (Appendix C, averaged over the sampled states) or ``"empirical"`` (outer
        products of the sampled scores).
    constraint : ``"mean"`` (Eq. (12): ``sum_s d_hat KL_s <= delta``) or ``"max"`` (Eq. (11) on the
        sampled states).
    step_length : None (trust region: ``beta = sqrt(2 delta / c(s))`` and a line search) or a fixed
        ``beta > 0`` (the natural gradient with a fixed step: ``theta + beta s``, no line search).
    cg_iters, damping, backtrack, max_backtracks : as in :func:`bounds.updates.practical.trpo_step`.
    mdp : optional exact model, for the diagnostics ``eta_old``/``eta_new`` only.

    Examples
    --------
    The four variants of [TRPO] §8 from one batch of samples; an accepted trust-region step keeps its
    KL constraint, the natural gradient with a fixed step has none:

    >>> import numpy as np
    >>> from tabular import chain
    >>> from tabular.parametric import TabularSoftmax
    >>> from experiments.learners import draw_samples, sample_trpo_step
    >>> mdp, policy, theta = chain(4, gamma=0.9), TabularSoftmax(4, 2), np.zeros(8)
    >>> samples = draw_samples(mdp, policy.probs(theta), "single_path", budget=2000, horizon=66, rng=0)
    >>> mean = sample_trpo_step(samples, policy, theta, 0.01)
    >>> worst = sample_trpo_step(samples, policy, theta, 0.01, constraint="max")
    >>> emp = sample_trpo_step(samples, policy, theta, 0.01, fisher="empirical")
    >>> print(mean.mean_kl <= 0.01, worst.max_kl <= 0.01, emp.mean_kl <= 0.01)
    True True True
    >>> fixed = sample_trpo_step(samples, policy, theta, 0.01, step_length=0.5)
    >>> print(fixed.rule, fixed.beta)
    fixed_step 0.5
    """
    fisher = _choice(fisher, "fisher", FISHERS)
    constraint = _choice(constraint, "constraint", CONSTRAINTS)
    delta = check_real(delta, "delta", positive=True)
    sur = sample_surrogate(samples, policy, theta)
    theta = sur.theta_old
    opts = dict(cg_iters=cg_iters, damping=damping, backtrack=backtrack, max_backtracks=max_backtracks)
    rule = "trust_region" if step_length is None else "fixed_step"
    if (isinstance(policy, TabularSoftmax) and fisher == "analytic" and constraint == "mean"
            and step_length is None):
        res = trpo_step_samples(samples, policy, theta, delta, **opts)  # the existing practical step
        theta_new, accepted, frac, beta, pkl = (res.theta_new, res.accepted, res.step_fraction, res.beta,
                                                res.predicted_kl)
    else:
        L0 = sur.value(theta)
        fvp = sur.analytic_fvp() if fisher == "analytic" else sur.empirical_fvp()
        if constraint == "mean":
            curvature, kl = None, sur.mean_kl
        else:
            curvature, kl = sur.max_curvature, sur.max_kl
        res = kl_constrained_step(theta, sur.grad(theta), fvp, delta, gain=lambda th: sur.value(th) - L0,
                                  kl=kl, curvature=curvature, step_length=step_length,
                                  line_search=step_length is None, **opts)
        theta_new, accepted, frac, beta, pkl = (res.theta_new, res.accepted, res.step_fraction, res.beta,
                                                res.predicted_kl)
    if mdp is not None:
        policy.check_mdp(mdp)
        eta_old = evaluate(mdp, policy.probs(theta)).eta
        eta_new = evaluate(mdp, policy.probs(theta_new)).eta if accepted else eta_old
    else:
        eta_old = eta_new = float("nan")
    return SampleStepResult(
        theta_new=theta_new, accepted=bool(accepted), step_fraction=float(frac), beta=float(beta),
        predicted_kl=float(pkl), mean_kl=sur.mean_kl(theta_new), max_kl=sur.max_kl(theta_new),
        surrogate_gain=sur.value(theta_new) - sur.value(theta), eta_old=float(eta_old),
        eta_new=float(eta_new), fisher=fisher, constraint=constraint, rule=rule, delta=delta)


def draw_samples(mdp: MDP, pi, estimator: str, budget: int, horizon: int, rng) -> SurrogateSamples:
    """Fresh samples of ``pi`` within ``budget`` environment steps.

    ``"single_path"``: ``budget // horizon`` episodes of length ``horizon`` ([TRPO] §5.1).
    ``"vine"``: :func:`~.base.vine_states_for` rollout states, all ``A`` actions each, rollouts of
    length ``horizon`` with common random numbers ([TRPO] §5.2).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import chain, uniform
    >>> from experiments.learners import draw_samples
    >>> mdp = chain(4, gamma=0.9)
    >>> draw_samples(mdp, uniform(mdp), "single_path", budget=2000, horizon=66, rng=0)  # 30 episodes
    SurrogateSamples(kind='single_path', samples=1980, n_groups=30, steps=1980)
    >>> vine = draw_samples(mdp, uniform(mdp), "vine", budget=2000, horizon=66, rng=0)
    >>> print(vine.kind, vine.n_groups)  # 13 rollout states, two actions each
    vine 13
    """
    estimator = _choice(estimator, "estimator", ESTIMATORS)
    mdp = check_mdp(mdp)
    budget, horizon = check_int(budget, "budget", lo=1), check_int(horizon, "horizon", lo=1)
    check_alloc(64.0 * budget, "budget", budget, "the samples of one draw")
    if estimator == "single_path":
        return single_path(mdp, pi, episodes_for(budget, horizon), horizon, rng=rng)
    return vine(mdp, pi, n_states=vine_states_for(budget, mdp, horizon), rollout_horizon=horizon, rng=rng)


def trpo(mdp: MDP, policy, theta0, n_iter: int, budget: int, rng=None, *, delta: float = 0.01,
         estimator: str = "single_path", fisher: str = "analytic", constraint: str = "mean",
         horizon: int | None = None, **step_kwargs) -> LearningCurve:
    """Sample-based TRPO ([TRPO] §5-6, §8): each iteration draws fresh samples of the current policy
    with ``budget`` environment steps and takes one :func:`sample_trpo_step`.

    ``estimator="single_path"|"vine"``, ``fisher="analytic"|"empirical"``, ``constraint="mean"|"max"``
    select the variant; ``delta`` (0.01 in [TRPO] §8) the KL radius. Returns the exact ``eta`` of every
    iterate (:class:`~.base.LearningCurve`).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import chain
    >>> from tabular.parametric import TabularSoftmax
    >>> from experiments.learners import trpo
    >>> mdp, policy = chain(4, gamma=0.9), TabularSoftmax(4, 2)
    >>> curve = trpo(mdp, policy, np.zeros(8), n_iter=3, budget=2000, rng=0, delta=0.01)
    >>> print(curve.method, curve.steps_per_iteration.tolist())  # 30 episodes of 66 steps per iteration
    trpo_single_path [1980, 1980, 1980]
    >>> dict(curve.settings)["delta"]
    0.01
    """
    mdp, theta, n_iter, budget, H = check_problem(mdp, policy, theta0, n_iter, budget, horizon)
    _choice(estimator, "estimator", ESTIMATORS)
    rng = as_rng(rng)
    thetas, steps = [theta], []
    for _ in range(n_iter):
        smp = draw_samples(mdp, policy.probs(theta), estimator, budget, H, rng)
        theta = sample_trpo_step(smp, policy, theta, delta, fisher=fisher, constraint=constraint,
                                 **step_kwargs).theta_new
        thetas.append(theta)
        steps.append(smp.steps)
    name = {("single_path", "analytic", "mean"): "trpo_single_path", ("vine", "analytic", "mean"): "trpo_vine"}
    method = name.get((estimator, fisher, constraint), f"trpo_{estimator}_{fisher}_{constraint}")
    settings = (("delta", delta), ("estimator", estimator), ("fisher", fisher), ("constraint", constraint),
                ("horizon", H), *sorted(step_kwargs.items()))
    return record(method, mdp, policy, thetas, steps, budget, settings)


def natural_gradient(mdp: MDP, policy, theta0, n_iter: int, budget: int, rng=None, *,
                     step_length: float | None = None, delta: float = 0.01, horizon: int | None = None,
                     **step_kwargs) -> LearningCurve:
    """The natural policy gradient with a fixed step (Kakade 2002; the "natural gradient" of [TRPO] §8).

    Single-path samples, direction ``s = (F + damping I)^{-1} g`` by CG on the analytic Fisher, then
    ``theta += beta_fixed s``, no KL constraint, no line search. ``step_length`` sets ``beta_fixed``;
    by default it is the first iteration's TRPO length ``sqrt(2 delta / s_0^T F_0 s_0)``.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import chain
    >>> from tabular.parametric import TabularSoftmax
    >>> from experiments.learners import natural_gradient
    >>> mdp, policy = chain(4, gamma=0.9), TabularSoftmax(4, 2)
    >>> curve = natural_gradient(mdp, policy, np.zeros(8), n_iter=3, budget=2000, rng=0, step_length=0.5)
    >>> print(curve.method, curve.n_iter, bool(np.isfinite(curve.eta).all()))
    natural_gradient 3 True
    """
    mdp, theta, n_iter, budget, H = check_problem(mdp, policy, theta0, n_iter, budget, horizon)
    if step_length is not None:
        step_length = check_real(step_length, "step_length", positive=True)
    delta = check_real(delta, "delta", positive=True)
    rng = as_rng(rng)
    thetas, steps, beta = [theta], [], step_length
    for _ in range(n_iter):
        smp = draw_samples(mdp, policy.probs(theta), "single_path", budget, H, rng)
        if beta is None:  # calibrate once, on the first batch: the TRPO step length, then fixed
            first = sample_trpo_step(smp, policy, theta, delta, **step_kwargs)
            if not np.isfinite(first.beta):
                raise ValueError(f"delta={delta!r} is too large: the calibrated step length "
                                 "sqrt(2 delta / s^T F s) overflows")
            beta = first.beta if first.beta > 0 else None
        if beta is not None:
            theta = sample_trpo_step(smp, policy, theta, delta, step_length=beta, **step_kwargs).theta_new
        thetas.append(theta)
        steps.append(smp.steps)
    settings = (("step_length", beta if beta is not None else float("nan")),
                ("calibrated", step_length is None), ("delta", delta), ("horizon", H),
                *sorted(step_kwargs.items()))
    return record("natural_gradient", mdp, policy, thetas, steps, budget, settings)

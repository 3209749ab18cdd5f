"""The practical TRPO step on exact or sampled data ([TRPO] §5-6, Appendix C, Eq. (14); THEORY.md §5):
search direction by conjugate gradient, step length ``beta = sqrt(2 delta / s^T F s)``, line search."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tabular.estimators import SurrogateSamples, surrogate_estimate
from tabular.evaluation import Evaluation, evaluate, resolve_evaluation, surrogate_of
from tabular.mdp import MDP
from tabular.parametric import ParametricPolicy, TabularSoftmax
from tabular.validation import as_float_array, check_int, check_real, summary_repr

from .line_search import backtracking_line_search, full_step

__all__ = ["TRPOStepResult", "trpo_step", "trpo_step_samples"]


@dataclass(frozen=True, eq=False)
class TRPOStepResult:
    """One practical TRPO step ``theta_old -> theta_new`` ([TRPO] §5-6, Appendix C).

    Attributes
    ----------
    theta_new : (n,) the new parameters (``theta_old`` when no candidate was accepted).
    accepted : bool, whether a step was taken. False when no line-search candidate passed, when the
        gradient is zero, when ``theta + beta s`` overflows, or when ``s^T F s = 0`` (no KL curvature along ``s``: a numerically
        deterministic policy, or zero weights where the gradient lives); ``theta_new = theta_old`` then.
    n_backtracks : int, number of shrinks ``beta <- backtrack beta`` before acceptance (or the number
        tried when none was accepted).
    step_fraction : float, ``backtrack^k`` of the accepted step (1 = full step, 0 = no step).
    cg_residual : float, ``||(F + damping I) s - g|| / ||g||`` of the system actually solved.
    cg_iterations : int, CG iterations performed.
    beta : float, full-step length ``sqrt(2 delta / s^T F s)``.
    search_direction : (n,) the CG solution ``s``.
    gradient : (n,) ``g = grad L = grad eta`` at ``theta_old`` (Eq. (4)).
    predicted_kl : float, ``1/2 (f beta)^2 s^T F s`` of the step taken (``f`` = step_fraction;
        ``= delta`` for the full step).
    actual_kl : float, the exact mean KL ``sum_s w(s) KL(pi_old || pi_new)`` of the step taken.
    predicted_improvement : float, ``g . (theta_new - theta_old)`` (linear model of ``L``).
    actual_surrogate_improvement : float, ``L_{pi_old}(pi_new) - eta(pi_old)`` (Eq. (3)).
    actual_eta_improvement : float, ``eta(pi_new) - eta(pi_old)`` (exact).
    eta_old, eta_new : float.
    delta : float. weights : (S,) the KL weights used. weights_name : ``"d"``, ``"rho"`` or ``"array"``.
    line_search, check_kl : bool. damping, backtrack : float. max_backtracks : int.
    accept_ratio : float or None. cg_solver : ``"scipy"`` or ``"own"``.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from tabular.parametric import TabularSoftmax
    >>> from bounds.updates.practical.step import trpo_step
    >>> r = trpo_step(T.garnet(4, 2, rng=0), TabularSoftmax(4, 2), np.zeros(8), 0.01)
    >>> r.accepted, r.theta_new.shape, r.weights_name
    (True, (8,), 'd')
    >>> bool(np.isclose(r.eta_new - r.eta_old, r.actual_eta_improvement))
    True
    """

    theta_new: np.ndarray
    accepted: bool
    n_backtracks: int
    step_fraction: float
    cg_residual: float
    cg_iterations: int
    beta: float
    search_direction: np.ndarray
    gradient: np.ndarray
    predicted_kl: float
    actual_kl: float
    predicted_improvement: float
    actual_surrogate_improvement: float
    actual_eta_improvement: float
    eta_old: float
    eta_new: float
    delta: float
    weights: np.ndarray
    weights_name: str
    line_search: bool
    check_kl: bool
    damping: float
    backtrack: float
    max_backtracks: int
    accept_ratio: float | None
    cg_solver: str

    def __repr__(self) -> str:
        return summary_repr(self, ('accepted', 'n_backtracks', 'step_fraction', 'beta', 'cg_residual', 'predicted_kl', 'actual_kl', 'actual_surrogate_improvement', 'actual_eta_improvement', 'delta'))




def _kl_weights(weights, ev: Evaluation) -> tuple[np.ndarray, str]:
    S = ev.rho.shape[0]
    if isinstance(weights, str):
        if weights == "d":
            return np.asarray(ev.d, dtype=np.float64), "d"
        if weights == "rho":
            return np.asarray(ev.rho, dtype=np.float64), "rho"
        raise ValueError(f"weights must be 'd', 'rho' or an array of shape ({S},), got {weights!r}")
    w = as_float_array(weights, "weights", ndim=1)
    if w.shape != (S,):
        raise ValueError(f"weights must have shape ({S},), got {w.shape}")
    if np.any(w < 0):
        raise ValueError("weights must be non-negative")
    return w, "array"




def _step_options(delta, cg_iters, damping, backtrack, max_backtracks, accept_ratio, cg):
    """Validate the options shared by the exact and the sample-based practical steps."""
    delta = check_real(delta, "delta", positive=True)
    cg_iters = check_int(cg_iters, "cg_iters", lo=1)
    damping = check_real(damping, "damping", lo=0.0)
    backtrack = check_real(backtrack, "backtrack", positive=True, hi=1.0, open_hi=True)
    max_backtracks = check_int(max_backtracks, "max_backtracks", lo=0)
    if accept_ratio is not None:
        accept_ratio = check_real(accept_ratio, "accept_ratio", positive=True, hi=1.0)
    if cg not in ("scipy", "own"):
        raise ValueError(f"cg must be 'scipy' or 'own', got {cg!r}")
    return delta, cg_iters, damping, backtrack, max_backtracks, accept_ratio


def _search(theta, g, Fv, delta, cg_iters, damping, backtrack, max_backtracks, accept_ratio, check_kl,
            line_search, cg, *, gain, kl, finish):
    """Search direction, step length and line search of [TRPO] Appendix C (THEORY.md §5).

    ``(F + damping I) s = g`` by conjugate gradient on Fisher-vector products ``Fv``;
    ``beta = sqrt(2 delta / s^T F s)`` (undamped ``F``) so that ``1/2 beta^2 s^T F s = delta``; then
    ``beta <- backtrack * beta`` until ``gain(theta_new) > 0`` (or ``>= accept_ratio`` times the linear
    prediction) and, if ``check_kl``, ``kl(theta_new) <= delta``. ``finish(theta_new, accepted,
    n_backtracks, step_fraction, cg_residual, cg_iterations, beta, s, predicted_kl,
    predicted_improvement)`` builds the result. No step is taken (``accepted=False``) when ``g = 0``,
    when ``s^T F s`` is not positive (no KL curvature along ``s``: a numerically deterministic policy),
    when the full step overflows, or when no line-search candidate passes.
    Direction, length and line search are :func:`.line_search.full_step` and
    :func:`.line_search.backtracking_line_search`.
    """
    fs = full_step(theta, g, Fv, delta, cg_iters=cg_iters, damping=damping, solver=cg)
    s_dir, its, res, beta, sFs = fs.direction, fs.cg_iterations, fs.cg_residual, fs.beta, fs.curvature
    if not fs.ok:
        return finish(theta.copy(), False, 0, 0.0, res, its, beta, s_dir, 0.0, 0.0)
    full = beta * s_dir
    expected_full = float(g @ full)
    if not line_search:
        return finish(theta + full, True, 0, 1.0, res, its, beta, s_dir, 0.5 * beta**2 * sFs, expected_full)

    def accept(theta_new, frac):  # §6: the surrogate improves (by accept_ratio of the model) within the KL
        improve = gain(theta_new)
        ok = improve >= accept_ratio * frac * expected_full if accept_ratio is not None else improve > 0
        return ok and (not check_kl or kl(theta_new) <= delta)

    ls = backtracking_line_search(theta, full, accept, backtrack=backtrack, max_backtracks=max_backtracks)
    frac = ls.step_fraction
    if ls.accepted:
        return finish(ls.theta_new, True, ls.n_backtracks, frac, res, its, beta, s_dir,
                      0.5 * (frac * beta) ** 2 * sFs, frac * expected_full)
    return finish(ls.theta_new, False, max_backtracks, 0.0, res, its, beta, s_dir, 0.0, 0.0)


def trpo_step(mdp_or_samples, policy, theta, delta: float, cg_iters: int = 10, damping: float = 1e-3,
              backtrack: float = 0.8, max_backtracks: int = 10, accept_ratio: float | None = None,
              check_kl: bool = True, line_search: bool = True, weights="d", cg: str = "scipy",
              ev: Evaluation | None = None) -> TRPOStepResult:
    """One practical TRPO step ([TRPO] §5-6 and Appendix C; THEORY.md §5), exact-model version.

    ``g = grad L = grad eta`` (Eq. (4)); ``(F + damping I) s = g`` by ``cg_iters`` iterations of
    conjugate gradient on Fisher-vector products; ``beta = sqrt(2 delta / s^T F s)`` so that
    ``1/2 beta^2 s^T F s = delta``; then the backtracking line search ``beta <- backtrack * beta``
    (at most ``max_backtracks`` times) until ``L_{pi_old}(pi_new) > L_{pi_old}(pi_old) = eta(pi_old)``
    -- or ``L_new - eta_old >= accept_ratio * g . step`` when ``accept_ratio`` is given -- and, if
    ``check_kl``, ``sum_s w(s) KL(pi_old(.|s) || pi_new(.|s)) <= delta``.

    Parameters
    ----------
    mdp_or_samples : MDP or SurrogateSamples
        The exact model (advantages, visitation and surrogate computed exactly), or samples of
        ``pi_old`` from :func:`tabular.estimators.single_path` or :func:`tabular.estimators.vine`: then
        ``g``, the surrogate and the KL are the sample estimates of Eq. (14) (see :func:`trpo_step_samples`;
        tabular softmax only, ``weights`` ignored).
    policy : TabularSoftmax or LogLinear (:mod:`tabular.parametric`).
    theta : array_like, the parameters of ``pi_old`` (``policy.n_params`` entries).
    delta : float > 0, the KL radius.
    cg_iters : int >= 1 (10 in [TRPO]). damping : float >= 0.
    backtrack : float in (0, 1), the shrink factor. max_backtracks : int >= 0.
    accept_ratio : float in (0, 1] or None (then any strict surrogate improvement is accepted).
    check_kl : bool, also require the mean KL <= delta. line_search : bool, False takes the full step.
    weights : ``"d"`` (default), ``"rho"`` or an (S,) non-negative array: the state weights of the
        mean KL and of ``F``.
    cg : ``"scipy"`` (default) or ``"own"``, the conjugate-gradient implementation.
    ev : optional precomputed ``evaluate(mdp, policy.probs(theta))``.

    Returns
    -------
    TRPOStepResult

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from tabular.parametric import TabularSoftmax
    >>> from bounds.updates.practical.step import trpo_step
    >>> r = trpo_step(T.garnet(4, 2, rng=0), TabularSoftmax(4, 2), np.zeros(8), delta=0.01)
    >>> print(f"{r.predicted_kl:.4f} {r.actual_kl:.4f}", r.actual_kl <= r.delta, r.actual_eta_improvement > 0)
    0.0100 0.0100 True True
    """
    if isinstance(mdp_or_samples, SurrogateSamples):
        return trpo_step_samples(mdp_or_samples, policy, theta, delta, cg_iters=cg_iters, damping=damping,
                                  backtrack=backtrack, max_backtracks=max_backtracks,
                                  accept_ratio=accept_ratio, check_kl=check_kl, line_search=line_search,
                                  cg=cg, mdp=None)
    if not isinstance(mdp_or_samples, MDP):
        raise TypeError(
            f"trpo_step needs a tabular.MDP (exact step) or a tabular.estimators.SurrogateSamples "
            f"(sample-based step, Eq. (14)); got {type(mdp_or_samples).__name__}")
    mdp = mdp_or_samples
    if not isinstance(policy, ParametricPolicy):
        raise TypeError(f"policy must be a TabularSoftmax or LogLinear, got {type(policy).__name__}")
    policy.check_mdp(mdp)
    theta = policy.check_theta(theta)
    delta, cg_iters, damping, backtrack, max_backtracks, accept_ratio = _step_options(
        delta, cg_iters, damping, backtrack, max_backtracks, accept_ratio, cg)

    pi_old = policy.probs(theta)
    ev = resolve_evaluation(mdp, pi_old, ev, "ev")
    w, wname = _kl_weights(weights, ev)
    g = policy.policy_gradient(mdp, theta, ev=ev)  # Eq. (4): grad L = grad eta at theta_old
    Fv = policy.fvp_operator(theta, w)

    def finish(theta_new, accepted, n_bt, frac, res, its, beta, s, pkl, pimp):
        pi_new = policy.probs(theta_new)
        L_new = surrogate_of(ev, pi_new)
        eta_new = evaluate(mdp, pi_new).eta if accepted else float(ev.eta)
        return TRPOStepResult(
            theta_new=theta_new, accepted=accepted, n_backtracks=n_bt, step_fraction=frac,
            cg_residual=res, cg_iterations=its, beta=beta, search_direction=s, gradient=g,
            predicted_kl=pkl, actual_kl=policy.mean_kl(theta, theta_new, w),
            predicted_improvement=pimp, actual_surrogate_improvement=L_new - float(ev.eta),
            actual_eta_improvement=eta_new - float(ev.eta), eta_old=float(ev.eta), eta_new=eta_new,
            delta=delta, weights=w, weights_name=wname, line_search=bool(line_search),
            check_kl=bool(check_kl), damping=damping, backtrack=backtrack,
            max_backtracks=max_backtracks, accept_ratio=accept_ratio, cg_solver=cg)

    return _search(theta, g, Fv, delta, cg_iters, damping, backtrack, max_backtracks, accept_ratio,
                   check_kl, line_search, cg,
                   gain=lambda th: surrogate_of(ev, policy.probs(th)) - float(ev.eta),  # Eq. (3)
                   kl=lambda th: policy.mean_kl(theta, th, w), finish=finish)


# =============================================================================== sample-based step
def _sample_state_weights(samples: SurrogateSamples, n_states: int) -> np.ndarray:
    """The empirical discounted state distribution of the samples (an estimate of ``d_old``)."""
    if samples.n_states is not None and samples.n_states != n_states:
        raise ValueError(f"samples were drawn from an MDP with {samples.n_states} states, but the policy has "
                         f"{n_states}: the samples come from another MDP")
    if samples.states.size and int(samples.states.max()) >= n_states:
        raise ValueError(f"samples visit state {int(samples.states.max())}, but the policy has only {n_states} "
                         "states: the samples come from another MDP")
    w = np.bincount(samples.states, weights=samples.weights, minlength=n_states)
    total = w.sum()
    if not total > 0:
        raise ValueError("samples carry no weight: cannot estimate the state distribution")
    return w / total


def trpo_step_samples(samples: SurrogateSamples, policy, theta, delta: float, cg_iters: int = 10,
                      damping: float = 1e-3, backtrack: float = 0.8, max_backtracks: int = 10,
                      accept_ratio: float | None = None, check_kl: bool = True, line_search: bool = True,
                      cg: str = "scipy", mdp: MDP | None = None) -> TRPOStepResult:
    """The practical TRPO step from samples of ``pi_old`` ([TRPO] §5-6, Eq. (14); THEORY.md §5).

    Everything the exact step computes from the model is estimated from ``samples`` (single path or
    vine, :mod:`tabular.estimators`):

    * ``g`` = the gradient of the importance-sampled surrogate ``Lhat`` of Eq. (14) at ``theta_old``;
    * ``F`` and the mean KL average the exact per-state Fisher / KL over the **sampled** states, with
      the samples' discount weights normalized (``w = d_hat``, the empirical ``d_old``), as in
      [TRPO] Appendix C ("the analytic Hessian of the KL, averaged over the sampled states");
    * the line search accepts a step when ``Lhat`` improves (or by ``accept_ratio`` of the linear
      model) and, if ``check_kl``, ``sum_s d_hat(s) KL_s <= delta``.

    Only :class:`~tabular.parametric.TabularSoftmax` is supported (the estimators' gradients are
    those of the tabular softmax). With ``mdp`` given, ``eta_old``/``eta_new``,
    ``actual_eta_improvement`` and ``actual_surrogate_improvement`` are the exact values (diagnostics
    only, the step never uses them); without it they are NaN, because they cannot be known from samples.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from tabular.estimators import single_path
    >>> from tabular.parametric import TabularSoftmax
    >>> from bounds.updates.practical.step import trpo_step_samples
    >>> m = T.garnet(4, 2, rng=0)
    >>> samples = single_path(m, T.uniform(m), 50, 20, rng=0)
    >>> r = trpo_step_samples(samples, TabularSoftmax(4, 2), np.zeros(8), 0.01, mdp=m)
    >>> r.accepted, r.weights_name, bool(r.actual_kl <= 0.01 + 1e-12)
    (True, 'd_hat (samples)', True)
    """
    if not isinstance(samples, SurrogateSamples):
        raise TypeError(f"samples must be a SurrogateSamples, got {type(samples).__name__}")
    if not isinstance(policy, TabularSoftmax):
        raise TypeError("the sample-based step supports TabularSoftmax policies only, "
                        f"got {type(policy).__name__}")
    theta = policy.check_theta(theta)
    delta, cg_iters, damping, backtrack, max_backtracks, accept_ratio = _step_options(
        delta, cg_iters, damping, backtrack, max_backtracks, accept_ratio, cg)
    S, A = policy.n_states, policy.n_actions
    if samples.states.size and int(samples.states.max()) >= S:
        raise ValueError(f"samples visit state {int(samples.states.max())} but the policy has {S} states")
    if samples.n_actions is not None and samples.n_actions != A:
        raise ValueError(f"samples were drawn with {samples.n_actions} actions, but the policy has {A}: "
                         "the samples come from another MDP")
    w = _sample_state_weights(samples, S)
    est_old = surrogate_estimate(samples, theta.reshape(S, A))
    g = est_old.grad.ravel()  # gradient of Lhat, Eq. (14)
    Fv = policy.fvp_operator(theta, w)
    ev = evaluate(mdp, policy.probs(theta)) if mdp is not None else None

    def finish(theta_new, accepted, n_bt, frac, res, its, beta, s_dir, pkl, pimp):
        Lhat_gain = surrogate_estimate(samples, theta_new.reshape(S, A)).value - est_old.value
        if ev is not None:
            pi_new = policy.probs(theta_new)
            eta_new = evaluate(mdp, pi_new).eta
            eta_old, L_gain = float(ev.eta), surrogate_of(ev, pi_new) - float(ev.eta)
        else:
            eta_old = eta_new = L_gain = float("nan")
        return TRPOStepResult(
            theta_new=theta_new, accepted=accepted, n_backtracks=n_bt, step_fraction=frac,
            cg_residual=res, cg_iterations=its, beta=beta, search_direction=s_dir, gradient=g,
            predicted_kl=pkl, actual_kl=policy.mean_kl(theta, theta_new, w),
            predicted_improvement=pimp, actual_surrogate_improvement=L_gain if ev is not None else Lhat_gain,
            actual_eta_improvement=eta_new - eta_old, eta_old=eta_old, eta_new=eta_new,
            delta=delta, weights=w, weights_name="d_hat (samples)", line_search=bool(line_search),
            check_kl=bool(check_kl), damping=damping, backtrack=backtrack,
            max_backtracks=max_backtracks, accept_ratio=accept_ratio, cg_solver=cg)

    return _search(theta, g, Fv, delta, cg_iters, damping, backtrack, max_backtracks, accept_ratio,
                   check_kl, line_search, cg,
                   gain=lambda th: surrogate_estimate(samples, th.reshape(S, A)).value - est_old.value,
                   kl=lambda th: policy.mean_kl(theta, th, w), finish=finish)

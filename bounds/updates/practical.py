"""The practical TRPO step: conjugate gradient on Fisher-vector products plus a line search.

[TRPO] (Schulman et al. 2015, arXiv:1502.05477 v5) Sections 5-6 and Appendix C; THEORY.md §5. For a
parameterized policy ``pi_theta`` (:mod:`tabular.parametric`) and a KL radius ``delta``:

1. ``g = grad_theta L_{pi_old}(pi_theta)`` at ``theta_old``, equal to ``grad eta`` (Eq. (4)).
2. Search direction: solve ``(F + damping I) s = g`` by conjugate gradient (``cg_iters`` iterations,
   [TRPO] uses 10), with ``F`` the Fisher matrix = Hessian of the mean KL at ``theta_old``
   (Appendix C), accessed only through Fisher-vector products.
3. Step length: ``beta = sqrt(2 delta / s^T F s)``, so that the quadratic model of the mean KL of
   the full step is ``1/2 beta^2 s^T F s = delta`` (Appendix C). ``F`` here is the *undamped*
   Fisher matrix: the damping only regularizes the direction, not the KL model.
4. Backtracking line search: ``theta_new = theta_old + backtrack^k beta s`` for ``k = 0, 1, ...,
   max_backtracks`` until the surrogate improves, ``L(theta_new) > L(theta_old)`` (or, with
   ``accept_ratio``, the improvement is at least ``accept_ratio`` times the linear prediction
   ``g . (backtrack^k beta s)``), and (``check_kl``) the mean KL is at most ``delta``. If no
   candidate passes, ``theta_old`` is kept. ``line_search=False`` takes the full step (the ablation
   of [TRPO] §6).

The paper names no damping or shrink factor; public implementations use damping 1e-3 ... 0.1 and a
shrink factor 0.5 (10 tries) or 0.8 (10-15 tries). The defaults here (1e-3, 0.8, 10) are one such
choice and are reported in :class:`TRPOStepResult`.

Mean KL: ``sum_s w(s) KL(pi_old(.|s) || pi_theta(.|s))`` with ``w = d_old`` (default,
``weights="d"``, a true expectation ``E_{s~d}[KL]``), ``w = rho_old`` (``"rho"``, the unnormalized sum
written in Eq. (12)) or a given array. The same ``w`` defines ``F``.

Only the exact-model version exists so far: the advantages, visitation and surrogate are computed
exactly from a :class:`tabular.MDP`. A sample-based version (Eq. (14)) is not implemented.

Conjugate gradient: ``cg="scipy"`` (default) uses :func:`scipy.sparse.linalg.cg` on a
:class:`~scipy.sparse.linalg.LinearOperator`; ``cg="own"`` runs the same textbook recursion
written out (as in [TRPO]'s reference code). Measured on Garnet/softmax (S*A = 30 ... 10^4) and a
log-linear problem with 10 iterations and damping 1e-3: identical relative residuals to all printed
digits, and the written-out loop 1.2-1.7x faster per solve (0.5 vs 0.6-0.9 ms at S*A <= 500). Both
are negligible next to the exact policy evaluation of each step, so scipy stays the default.

Convergence to the exact solution (measured, tabular softmax, ``damping=0``, CG run to convergence,
full step): as ``delta -> 0`` the angle between the practical and the exact policy change and the
relative surrogate shortfall ``1 - improvement ratio`` shrink like ``sqrt(delta)``; the gap
``L_exact(delta) - L_practical`` shrinks only like ``delta`` (part of it is the KL mismatch of the
quadratic model, ``O(delta^{3/2})`` in KL times ``dL/dKL ~ delta^{-1/2}``), while the gap at matched
KL, ``L_exact(KL_practical) - L_practical``, shrinks like ``delta^{3/2}``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import scipy.sparse.linalg as spla

from tabular.validation import as_float_array
from tabular.divergences import kl as kl_per_state
from tabular.evaluation import Evaluation, evaluate, resolve_evaluation
from tabular.mdp import MDP
from tabular.estimators import SurrogateSamples, surrogate_estimate
from tabular.parametric import ParametricPolicy, TabularSoftmax

from .steps import trust_region_step

__all__ = [
    "TRPOStepResult",
    "trpo_step_samples",
    "SampleTRPOHistory",
    "sample_trpo",
    "ExactComparison",
    "trpo_step",
    "conjugate_gradient",
    "compare_with_exact",
]

#: Relative residual at which conjugate gradient stops early (as in [TRPO]'s reference code, 1e-10).
CG_RTOL = 1e-10


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


@dataclass(frozen=True, eq=False)
class ExactComparison:
    """The practical step against the exact mean-KL trust-region solution (Eq. (12), weights ``d``).

    Attributes
    ----------
    step : TRPOStepResult, the practical step.
    pi, pi_practical, pi_exact : (S, A) old policy and the two new policies.
    eta_old : float.
    surrogate_practical, surrogate_exact : float, ``L_pi`` of each new policy (Eq. (3)).
    improvement_practical, improvement_exact : float, ``L - eta_old`` of each.
    improvement_ratio : float, ``improvement_practical / improvement_exact`` (NaN-free: 1.0 when both
        are zero, i.e. ``pi`` is optimal).
    surrogate_gap : float, ``L_exact(delta) - L_practical`` (negative when the practical step
        overshoots the KL radius and so reaches more surrogate than the radius allows).
    surrogate_gap_matched : float, ``L_exact(kl_practical) - L_practical``: the gap to the exact
        optimum *at the KL the practical step actually moved* (>= 0 up to solver tolerance).
    kl_practical, kl_exact : float, mean KL (weights ``d``) moved by each.
    kl_overshoot : float, ``kl_practical - delta``.
    angle : float, radians, between ``vec(pi_practical - pi)`` and ``vec(pi_exact - pi)``.
    eta_practical, eta_exact : float, exact ``eta`` of the new policies.
    delta : float.
    """

    step: TRPOStepResult
    pi: np.ndarray
    pi_practical: np.ndarray
    pi_exact: np.ndarray
    eta_old: float
    surrogate_practical: float
    surrogate_exact: float
    improvement_practical: float
    improvement_exact: float
    improvement_ratio: float
    surrogate_gap: float
    surrogate_gap_matched: float
    kl_practical: float
    kl_exact: float
    kl_overshoot: float
    angle: float
    eta_practical: float
    eta_exact: float
    delta: float


# =============================================================================== validation
def _real(x, name: str, *, positive: bool = False, lo: float | None = None, hi: float | None = None,
          open_hi: bool = False) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {x!r}")
    v = float(x)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {x!r}")
    if positive and not v > 0:
        raise ValueError(f"{name} must be positive, got {x!r}")
    if lo is not None and v < lo:
        raise ValueError(f"{name} must be >= {lo:g}, got {x!r}")
    if hi is not None and (v >= hi if open_hi else v > hi):
        raise ValueError(f"{name} must be {'<' if open_hi else '<='} {hi:g}, got {x!r}")
    return v


def _int(x, name: str, lo: int) -> int:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {x!r}")
    if int(x) < lo:
        raise ValueError(f"{name} must be >= {lo}, got {x!r}")
    return int(x)


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


# =============================================================================== conjugate gradient
def conjugate_gradient(matvec, b, iters: int, rtol: float = CG_RTOL, solver: str = "scipy"):
    """Solve ``M x = b`` for symmetric positive (semi-)definite ``M`` given by ``matvec``.

    At most ``iters`` iterations of conjugate gradient from ``x = 0``, stopping early when
    ``||b - M x|| <= rtol ||b||``. ``solver="scipy"``: :func:`scipy.sparse.linalg.cg` on a
    :class:`~scipy.sparse.linalg.LinearOperator`; ``solver="own"``: the same recursion written out.

    Returns
    -------
    (x, n_iterations, relative_residual) with the residual recomputed as ``||M x - b|| / ||b||``.
    """
    b = np.asarray(b, dtype=np.float64)
    n = b.shape[0]
    nb = float(np.linalg.norm(b))
    if nb == 0.0:
        return np.zeros(n), 0, 0.0
    if solver == "scipy":
        count = [0]

        def cb(_xk):
            count[0] += 1

        op = spla.LinearOperator((n, n), matvec=matvec, dtype=np.float64)
        x, _info = spla.cg(op, b, rtol=rtol, atol=0.0, maxiter=iters, callback=cb)
        its = count[0]
    elif solver == "own":
        x = np.zeros(n)
        r = b.copy()
        p = r.copy()
        rr = float(r @ r)
        its = 0
        for _ in range(iters):
            if np.sqrt(rr) <= rtol * nb:
                break
            Mp = matvec(p)
            pMp = float(p @ Mp)
            if pMp <= 0:  # direction of zero curvature: M is singular along p and b has no component
                break
            a = rr / pMp
            x += a * p
            r -= a * Mp
            rr_new = float(r @ r)
            p = r + (rr_new / rr) * p
            rr = rr_new
            its += 1
    else:
        raise ValueError(f"cg must be 'scipy' or 'own', got {solver!r}")
    res = float(np.linalg.norm(matvec(x) - b)) / nb
    return x, its, res


# =============================================================================== the step
def _surrogate(ev: Evaluation, pi_new: np.ndarray) -> float:
    return float(ev.eta + ev.rho @ np.einsum("sa,sa->s", pi_new, ev.A))  # Eq. (3)


def _step_options(delta, cg_iters, damping, backtrack, max_backtracks, accept_ratio, cg):
    """Validate the options shared by the exact and the sample-based practical steps."""
    delta = _real(delta, "delta", positive=True)
    cg_iters = _int(cg_iters, "cg_iters", 1)
    damping = _real(damping, "damping", lo=0.0)
    backtrack = _real(backtrack, "backtrack", positive=True, hi=1.0, open_hi=True)
    max_backtracks = _int(max_backtracks, "max_backtracks", 0)
    if accept_ratio is not None:
        accept_ratio = _real(accept_ratio, "accept_ratio", positive=True, hi=1.0)
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
    """
    if float(np.linalg.norm(g)) == 0.0:  # stationary point: no ascent direction
        return finish(theta.copy(), False, 0, 0.0, 0.0, 0, 0.0, np.zeros_like(g), 0.0, 0.0)
    s_dir, its, res = conjugate_gradient(lambda v: Fv(v) + damping * v, g, cg_iters, solver=cg)
    sFs = float(s_dir @ Fv(s_dir))  # undamped quadratic model of the mean KL
    if not (np.isfinite(sFs) and sFs > 0):
        return finish(theta.copy(), False, 0, 0.0, res, its, 0.0, s_dir, 0.0, 0.0)
    beta = float(np.sqrt(2.0 * delta / sFs))  # App. C: 1/2 beta^2 s^T F s = delta
    full = beta * s_dir
    if not np.all(np.isfinite(theta + full)):
        return finish(theta.copy(), False, 0, 0.0, res, its, beta, s_dir, 0.0, 0.0)
    expected_full = float(g @ full)
    if not line_search:
        return finish(theta + full, True, 0, 1.0, res, its, beta, s_dir, 0.5 * beta**2 * sFs, expected_full)
    for k in range(max_backtracks + 1):
        frac = backtrack**k
        theta_new = theta + frac * full
        improve = gain(theta_new)
        ok = improve >= accept_ratio * frac * expected_full if accept_ratio is not None else improve > 0
        if ok and check_kl:
            ok = kl(theta_new) <= delta
        if ok:
            return finish(theta_new, True, k, frac, res, its, beta, s_dir,
                          0.5 * (frac * beta) ** 2 * sFs, frac * expected_full)
    return finish(theta.copy(), False, max_backtracks, 0.0, res, its, beta, s_dir, 0.0, 0.0)


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
        L_new = _surrogate(ev, pi_new)
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
                   gain=lambda th: _surrogate(ev, policy.probs(th)) - float(ev.eta),  # Eq. (3)
                   kl=lambda th: policy.mean_kl(theta, th, w), finish=finish)


# =============================================================================== sample-based step
def _sample_state_weights(samples: SurrogateSamples, n_states: int) -> np.ndarray:
    """The empirical discounted state distribution of the samples (an estimate of ``d_old``)."""
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
            eta_old, L_gain = float(ev.eta), _surrogate(ev, pi_new) - float(ev.eta)
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


@dataclass(frozen=True, eq=False)
class SampleTRPOHistory:
    """Sample-based TRPO: exact ``eta`` of each iterate, environment steps used, and the steps taken."""

    eta: np.ndarray  # (n_iter + 1,)
    steps_used: np.ndarray  # (n_iter + 1,) cumulative environment steps
    thetas: tuple
    results: tuple


def sample_trpo(mdp: MDP, theta0, delta: float, n_iter: int, estimator: str = "single_path",
                budget: int = 5000, rng=None, horizon: int | None = None, **step_kwargs) -> SampleTRPOHistory:
    """Iterate :func:`trpo_step_samples` with fresh samples of each policy (tabular softmax).

    Each iteration draws about ``budget`` environment steps: single path uses
    ``budget // horizon`` episodes of length ``horizon`` (default: the smallest ``H`` with
    ``gamma^H <= 1e-3``, at least 10); the vine spends them on rollout states of ``A`` rollouts each
    (common random numbers). The exact ``eta`` of every iterate is recorded for evaluation only.
    """
    from tabular.estimators import single_path, vine
    from tabular.sampling import horizon_for

    if estimator not in ("single_path", "vine"):
        raise ValueError(f"estimator must be 'single_path' or 'vine', got {estimator!r}")
    n_iter = _int(n_iter, "n_iter", 0)
    budget = _int(budget, "budget", 1)
    rng = np.random.default_rng(rng)
    S, A = mdp.shape
    policy = TabularSoftmax(S, A)
    theta = policy.check_theta(theta0)
    H = int(horizon) if horizon is not None else max(10, horizon_for(mdp.gamma, 1e-3))
    etas, used, thetas, results = [evaluate(mdp, policy.probs(theta)).eta], [0], [theta], []
    for _ in range(n_iter):
        pi = policy.probs(theta)
        if estimator == "single_path":
            smp = single_path(mdp, pi, max(2, budget // H), H, rng=rng)
        else:
            per_state = (1.0 / (1.0 - mdp.gamma)) + A * H  # trunk + A rollouts of length H
            smp = vine(mdp, pi, n_states=max(2, int(budget // per_state)), rollout_horizon=H, rng=rng)
        res = trpo_step_samples(smp, policy, theta, delta, mdp=mdp, **step_kwargs)
        theta = res.theta_new
        thetas.append(theta)
        results.append(res)
        etas.append(res.eta_new if res.accepted else etas[-1])
        used.append(used[-1] + int(smp.steps))
    return SampleTRPOHistory(np.array(etas), np.array(used), tuple(thetas), tuple(results))


# =============================================================================== comparison
def compare_with_exact(mdp: MDP, policy: TabularSoftmax, theta, delta: float, **step_kwargs) -> ExactComparison:
    """Compare the practical step with the exact mean-KL trust-region solution of Eq. (12).

    The exact step is ``bounds.updates.trust_region_step(mdp, pi, delta, constraint="mean",
    weights="d")``: ``max_p L_pi(p) s.t. sum_s d(s) KL(pi(.|s) || p(.|s)) <= delta`` over *all*
    policies -- which the tabular softmax can represent (its solution has full support when ``pi``
    has), so the practical step is an approximation of the same problem. ``step_kwargs`` go to
    :func:`trpo_step` (its ``weights`` is fixed to ``"d"``).

    Reports the surrogate gap ``L_exact - L_practical`` at the radius ``delta`` and at the KL the
    practical step actually moved, the KL overshoot ``KL_practical - delta``, the improvement
    ratio and the angle between ``vec(pi_practical - pi)`` and ``vec(pi_exact - pi)``.
    """
    if not isinstance(policy, TabularSoftmax):
        raise TypeError(f"compare_with_exact needs a TabularSoftmax policy (the exact problem is over all "
                        f"tabular policies), got {type(policy).__name__}")
    if "weights" in step_kwargs:
        raise ValueError("compare_with_exact fixes weights='d' (the exact problem's weights)")
    if not isinstance(mdp, MDP):
        raise TypeError(f"mdp must be a tabular.MDP, got {type(mdp).__name__}")
    theta = policy.check_theta(theta)
    delta = _real(delta, "delta", positive=True)
    pi = policy.probs(theta)
    ev = evaluate(mdp, pi)
    step = trpo_step(mdp, policy, theta, delta, weights="d", ev=ev, **step_kwargs)
    pi_p = policy.probs(step.theta_new)
    ex = trust_region_step(mdp, pi, delta, constraint="mean", weights="d", ev=ev)  # Eq. (12)
    pi_e = ex.pi_new
    L_p, L_e = _surrogate(ev, pi_p), _surrogate(ev, pi_e)
    kl_p = step.actual_kl
    kl_e = float(ev.d @ kl_per_state(pi, pi_e))
    if kl_p > 0:
        L_match = _surrogate(ev, trust_region_step(mdp, pi, kl_p, constraint="mean", weights="d",
                                                   ev=ev).pi_new)
    else:
        L_match = float(ev.eta)
    imp_p, imp_e = L_p - float(ev.eta), L_e - float(ev.eta)
    ratio = imp_p / imp_e if imp_e > 0 else 1.0
    u, v = (pi_p - pi).ravel(), (pi_e - pi).ravel()
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    angle = float(np.arccos(np.clip(u @ v / (nu * nv), -1.0, 1.0))) if nu > 0 and nv > 0 else 0.0
    return ExactComparison(
        step=step, pi=pi, pi_practical=pi_p, pi_exact=pi_e, eta_old=float(ev.eta),
        surrogate_practical=L_p, surrogate_exact=L_e, improvement_practical=imp_p,
        improvement_exact=imp_e, improvement_ratio=float(ratio), surrogate_gap=L_e - L_p,
        surrogate_gap_matched=L_match - L_p, kl_practical=kl_p, kl_exact=kl_e,
        kl_overshoot=kl_p - delta, angle=angle, eta_practical=step.eta_new,
        eta_exact=evaluate(mdp, pi_e).eta, delta=delta)

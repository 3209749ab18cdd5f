"""Checks of the identities and lemmas behind Theorem 1 of [TRPO], each returning both sides.

Equation numbers are those of Schulman et al., "Trust Region Policy Optimization", ICML 2015
(arXiv:1502.05477 v5), written [TRPO]; conventions are those of THEORY.md §1 (unnormalized
visitation ``rho``, ``Abar(s) = sum_a pi_new(a|s) A_pi(s, a)``, ``alpha = D_TV^max(pi, pi_new)``,
``eps = max_{s,a} |A_pi(s, a)|``).

* :func:`performance_difference` -- Eq. (1), exactly through Eq. (2), and by Monte Carlo.
* :func:`lemma2` -- Appendix A, Lemma 2: ``|Abar(s)| <= 2 alpha eps``.
* :func:`lemma3` -- Appendix A, Lemma 3:
  ``|E_{s_t~pi_new} Abar - E_{s_t~pi} Abar| <= 4 alpha (1 - (1-alpha)^t) eps``.
* :func:`first_order_match` -- Eq. (4): ``L`` and ``eta`` agree to first order at ``theta_0``.

The lemmas are stated in [TRPO] for ``alpha``-coupled policies. Two policies with
``D_TV(pi(.|s), pi_new(.|s)) <= alpha`` at every state are ``alpha``-coupled through the maximal
coupling (Levin, Peres & Wilmer, Prop. 4.7), which is how the paper passes from coupling to TV; here
``alpha`` is always the exact ``D_TV^max``.

Tolerances: ``holds`` allows an absolute floating-point slack ``atol``, by default
``1e-9 * max(1, max|R| / (1 - gamma))`` (the scale of values and advantages).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from tabular.validation import as_float_array, as_policy, check_mdp, check_real, check_tolerance, summary_repr
from tabular.divergences import tv
from tabular.evaluation import (
    Evaluation,
    evaluate,
    evaluate_policies,
    resolve_evaluation,
    expected_advantage,
    state_distribution,
    surrogate,
)
from tabular.gradients import softmax_policy_gradient, softmax_surrogate_gradient
from tabular.mdp import MDP
from tabular.policies import softmax
from tabular.sampling import horizon_for, sample_trajectories, truncation_bound

from .inequalities import default_atol

__all__ = [
    "PerformanceDifference",
    "Lemma2Result",
    "Lemma3Result",
    "FirstOrderMatch",
    "performance_difference",
    "lemma2",
    "lemma3",
    "first_order_match",
]

#: Relative floating-point tolerance, times the value scale ``max(1, max|R|/(1-gamma))``.
RTOL = 1e-9
#: ``gamma^H`` at most this when the Monte Carlo horizon is chosen automatically.
MC_HORIZON_TOL = 1e-10


def _atol(mdp: MDP, atol) -> float:
    """The tolerance of the checks: :func:`bounds.inequalities.default_atol` unless given (then finite, >= 0)."""
    return default_atol(mdp) if atol is None else check_tolerance(atol, "atol")


def _policies(mdp: MDP, pi, pi_new):
    mdp = check_mdp(mdp)
    S, A = mdp.shape
    return as_policy(pi, S, A, name="pi"), as_policy(pi_new, S, A, name="pi_new")


def _ev(mdp: MDP, pi: np.ndarray, ev: Evaluation | None) -> Evaluation:
    return resolve_evaluation(mdp, pi, ev)


# ---------------------------------------------------------------------------------------- Eq. (1)
@dataclass(frozen=True)
class PerformanceDifference:
    """Both sides of the performance difference identity, Eq. (1) of [TRPO].

    Attributes
    ----------
    eta, eta_new : float, ``eta(pi)`` and ``eta(pi_new)``.
    lhs : float, ``eta(pi_new) - eta(pi)``.
    rhs_exact : float, ``sum_s rho_new(s) sum_a pi_new(a|s) A_pi(s, a)`` (Eq. (2)), which equals
        ``E_{tau ~ pi_new}[sum_t gamma^t A_pi(s_t, a_t)]`` exactly.
    gap : float, ``|lhs - rhs_exact|``.
    atol : float, the tolerance used by ``holds``.
    holds : bool, ``gap <= atol``.
    n_episodes : int, Monte Carlo episodes (0: no Monte Carlo estimate; the ``mc_*`` fields are None).
    horizon : int or None, the episode length ``H`` of the Monte Carlo estimate.
    mc_mean : float or None, mean over episodes of ``sum_{t<H} gamma^t A_pi(s_t, a_t)``, ``tau ~ pi_new``.
    mc_stderr : float or None, its standard error ``std / sqrt(n)`` (``ddof = 1``).
    mc_truncation : float or None, bias bound ``gamma^H eps / (1 - gamma)`` from truncating at ``H``.
    level : float, confidence level of ``mc_ci``.
    mc_ci : (float, float) or None, ``mc_mean -+ (z mc_stderr + mc_truncation)`` with ``z`` the
        normal quantile of ``(1 + level) / 2``.
    mc_covers : bool or None, whether ``lhs`` lies in ``mc_ci`` (a statistical check: it fails with
        probability about ``1 - level`` even though Eq. (1) holds).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds.lemmas import performance_difference
    >>> m = T.two_state(0.9)
    >>> r = performance_difference(m, T.uniform(m), T.random_policy(m, rng=0))
    >>> r
    PerformanceDifference(eta=-4.51613, eta_new=-4.5122, lhs=0.00393128, rhs_exact=0.00393128, gap=...)
    >>> r.holds, r.mc_mean is None
    (True, True)
    """

    eta: float
    eta_new: float
    lhs: float
    rhs_exact: float
    gap: float
    atol: float
    holds: bool
    n_episodes: int
    horizon: int | None
    mc_mean: float | None
    mc_stderr: float | None
    mc_truncation: float | None
    level: float
    mc_ci: tuple[float, float] | None
    mc_covers: bool | None
    equation: str = "[TRPO] Eq. (1), (2)"

    def __repr__(self) -> str:
        return summary_repr(self, ('eta', 'eta_new', 'lhs', 'rhs_exact', 'gap'))


def performance_difference(
    mdp: MDP,
    pi,
    pi_new,
    n_episodes: int = 0,
    rng=None,
    *,
    horizon: int | None = None,
    level: float = 0.999,
    ev: Evaluation | None = None,
    atol: float | None = None,
) -> PerformanceDifference:
    """Check the performance difference identity, Eq. (1) of [TRPO] ([KL02] Lemma 6.1)::

        eta(pi_new) = eta(pi) + E_{tau ~ pi_new}[ sum_t gamma^t A_pi(s_t, a_t) ]

    The exact right side is Eq. (2), ``sum_s rho_new(s) sum_a pi_new(a|s) A_pi(s, a)`` with the
    unnormalized visitation ``rho_new`` of the **new** policy (the surrogate, Eq. (3), uses
    ``rho_pi`` instead). If ``n_episodes > 0``, also estimates the expectation by Monte Carlo from
    ``n_episodes`` trajectories of ``pi_new`` (exact ``A_pi`` along sampled states and actions),
    truncated at ``horizon`` (default: the smallest ``H`` with ``gamma^H <= 1e-10``), with its standard
    error and a ``level`` confidence interval widened by the truncation bias bound
    ``gamma^H max|A_pi| / (1 - gamma)``.

    Parameters
    ----------
    mdp : MDP
    pi, pi_new : (S, A) array_like, the old and new policies.
    n_episodes : int, 0 or at least 2.
    rng : Generator, int or None, for the Monte Carlo trajectories.
    horizon : int, optional, Monte Carlo episode length.
    level : float in (0, 1), confidence level of the interval (default 99.9%).
    ev : Evaluation, optional, a precomputed ``evaluate(mdp, pi)``.
    atol : float, optional, tolerance of ``holds`` (default ``1e-9 max(1, max|R|/(1-gamma))``).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds.lemmas import performance_difference
    >>> m = T.two_state(0.9); pi = T.uniform(m); pn = T.random_policy(m, rng=0)
    >>> r = performance_difference(m, pi, pn, n_episodes=200, rng=0)
    >>> r.holds, r.mc_covers  # exact identity to round-off; the Monte Carlo interval covers it
    (True, True)
    >>> print(f"{r.lhs:.6f} {r.rhs_exact:.6f}")
    0.003931 0.003931
    """
    pi, pi_new = _policies(mdp, pi, pi_new)
    if isinstance(n_episodes, bool) or not isinstance(n_episodes, (int, np.integer)) or n_episodes < 0 \
            or n_episodes == 1:
        raise ValueError(f"n_episodes must be 0 (exact only) or an integer >= 2, got {n_episodes!r}")
    if not (isinstance(level, (float, int)) and 0.0 < float(level) < 1.0):
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    tol = _atol(mdp, atol)
    ev_pi = _ev(mdp, pi, ev)
    ev_new = evaluate(mdp, pi_new)
    lhs = ev_new.eta - ev_pi.eta
    Abar = expected_advantage(mdp, pi, pi_new, ev=ev_pi)
    rhs_exact = float(ev_new.rho @ Abar)  # Eq. (2)
    gap = abs(lhs - rhs_exact)

    mc_mean = mc_se = mc_trunc = mc_ci = mc_covers = H = None
    if n_episodes > 0:
        H = horizon_for(mdp.gamma, MC_HORIZON_TOL) if horizon is None else horizon
        traj = sample_trajectories(mdp, pi_new, int(n_episodes), H, rng=rng)
        X = ev_pi.A[traj.states, traj.actions] @ traj.discounts()  # Eq. (1), sum_t gamma^t A_pi(s_t, a_t)
        mc_mean = float(X.mean())
        mc_se = float(X.std(ddof=1) / np.sqrt(X.size))
        mc_trunc = truncation_bound(mdp.gamma, H, float(np.max(np.abs(ev_pi.A))))
        half = NormalDist().inv_cdf(0.5 + 0.5 * float(level)) * mc_se + mc_trunc
        mc_ci = (mc_mean - half, mc_mean + half)
        mc_covers = bool(mc_ci[0] - tol <= lhs <= mc_ci[1] + tol)
    return PerformanceDifference(
        eta=ev_pi.eta, eta_new=ev_new.eta, lhs=float(lhs), rhs_exact=rhs_exact, gap=float(gap), atol=tol,
        holds=bool(gap <= tol), n_episodes=int(n_episodes), horizon=H, mc_mean=mc_mean, mc_stderr=mc_se,
        mc_truncation=mc_trunc, level=float(level), mc_ci=mc_ci, mc_covers=mc_covers,
    )


# ---------------------------------------------------------------------------------------- Lemma 2
@dataclass(frozen=True, eq=False)
class Lemma2Result:
    """Both sides of Lemma 2 of [TRPO] (Appendix A) at every state.

    Attributes
    ----------
    Abar : (S,) expected advantage ``sum_a pi_new(a|s) A_pi(s, a)``.
    lhs : (S,) ``|Abar(s)|``.
    alpha : float, ``D_TV^max(pi, pi_new)``.
    epsilon : float, ``max_{s,a} |A_pi(s, a)|``.
    rhs : float, ``2 alpha epsilon``.
    rhs_state : (S,) the per-state form from the same proof, ``2 D_TV(s) max_a |A_pi(s, a)|`` (<= rhs).
    slack : float, ``rhs - max_s lhs``.
    holds : bool, ``lhs <= rhs + atol`` at every state.
    holds_state : bool, ``lhs <= rhs_state + atol`` at every state.
    atol : float.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds.lemmas import lemma2
    >>> m = T.two_state(0.9)
    >>> r = lemma2(m, T.uniform(m), T.random_policy(m, rng=0))
    >>> r.Abar.shape, r.holds, bool((r.lhs <= r.rhs_state + r.atol).all())
    ((2,), True, True)
    """

    Abar: np.ndarray
    lhs: np.ndarray
    alpha: float
    epsilon: float
    rhs: float
    rhs_state: np.ndarray
    slack: float
    holds: bool
    holds_state: bool
    atol: float
    equation: str = "[TRPO] Appendix A, Lemma 2"

    def __repr__(self) -> str:
        return summary_repr(self, ('alpha', 'epsilon', 'rhs', 'slack', 'holds', 'holds_state', 'equation'))


def lemma2(mdp: MDP, pi, pi_new, *, ev: Evaluation | None = None, atol: float | None = None) -> Lemma2Result:
    """Lemma 2 of [TRPO] (Appendix A): for ``alpha``-coupled ``(pi, pi_new)``, at every state::

        |Abar(s)| <= 2 alpha max_{s,a} |A_pi(s, a)|,   Abar(s) = sum_a pi_new(a|s) A_pi(s, a)

    with ``alpha = D_TV^max(pi, pi_new)`` (maximal coupling). Since ``sum_a pi(a|s) A_pi(s, a) = 0``,
    ``Abar(s) = sum_a (pi_new - pi)(a|s) A_pi(s, a)``, which also gives the per-state form
    ``|Abar(s)| <= 2 D_TV(s) max_a |A_pi(s, a)|`` reported as ``rhs_state``.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds.lemmas import lemma2
    >>> m = T.two_state(0.9)
    >>> r = lemma2(m, T.uniform(m), T.random_policy(m, rng=0))
    >>> print(r.holds, f"{r.alpha:.4f} {r.epsilon:.4f}", r.slack >= 0)
    True 0.3972 0.0323 True
    >>> abs(r.rhs - 2 * r.alpha * r.epsilon) < 1e-15
    True
    """
    pi, pi_new = _policies(mdp, pi, pi_new)
    tol = _atol(mdp, atol)
    ev_pi = _ev(mdp, pi, ev)
    Abar = expected_advantage(mdp, pi, pi_new, ev=ev_pi)
    lhs = np.abs(Abar)
    tv_s = tv(pi, pi_new)
    alpha = float(tv_s.max())
    eps = float(np.max(np.abs(ev_pi.A)))
    rhs = 2.0 * alpha * eps  # Lemma 2
    rhs_state = 2.0 * tv_s * np.max(np.abs(ev_pi.A), axis=1)
    return Lemma2Result(
        Abar=Abar, lhs=lhs, alpha=alpha, epsilon=eps, rhs=rhs, rhs_state=rhs_state,
        slack=float(rhs - lhs.max()), holds=bool(np.all(lhs <= rhs + tol)),
        holds_state=bool(np.all(lhs <= rhs_state + tol)), atol=tol,
    )


# ---------------------------------------------------------------------------------------- Lemma 3
@dataclass(frozen=True, eq=False)
class Lemma3Result:
    """Both sides of Lemma 3 of [TRPO] (Appendix A) for ``t = 0..T``.

    Attributes
    ----------
    t : (T+1,) time steps.
    abar_new : (T+1,) ``E_{s_t ~ pi_new}[Abar(s_t)]`` (exact time-t state distribution of ``pi_new``).
    abar_old : (T+1,) ``E_{s_t ~ pi}[Abar(s_t)]``.
    lhs : (T+1,) ``|abar_new - abar_old|``; zero at ``t = 0`` (both start from ``rho0``).
    rhs : (T+1,) ``4 alpha (1 - (1 - alpha)^t) epsilon``.
    alpha, epsilon : float, ``D_TV^max(pi, pi_new)`` and ``max |A_pi|``.
    slack : float, ``min_{t >= 1} (rhs - lhs)`` (at ``t = 0`` both sides are 0; ``T = 0`` gives 0).
    holds : bool, ``lhs <= rhs + atol`` at every ``t``.
    atol : float.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds.lemmas import lemma3
    >>> m = T.two_state(0.9)
    >>> r = lemma3(m, T.uniform(m), T.random_policy(m, rng=0), T=20)
    >>> r.t.shape, r.holds, bool((r.lhs <= r.rhs + r.atol).all())
    ((21,), True, True)
    """

    t: np.ndarray
    abar_new: np.ndarray
    abar_old: np.ndarray
    lhs: np.ndarray
    rhs: np.ndarray
    alpha: float
    epsilon: float
    slack: float
    holds: bool
    atol: float
    equation: str = "[TRPO] Appendix A, Lemma 3"

    def __repr__(self) -> str:
        return summary_repr(self, ('t', 'alpha', 'epsilon', 'slack', 'holds', 'equation'))


def lemma3(
    mdp: MDP, pi, pi_new, T: int = 50, *, ev: Evaluation | None = None, atol: float | None = None
) -> Lemma3Result:
    """Lemma 3 of [TRPO] (Appendix A): for ``alpha``-coupled ``(pi, pi_new)`` and every ``t >= 0``::

        |E_{s_t ~ pi_new}[Abar(s_t)] - E_{s_t ~ pi}[Abar(s_t)]| <= 4 alpha (1 - (1 - alpha)^t) max |A_pi|

    with exact time-``t`` state distributions ``rho0^T P_pi^t`` (:func:`tabular.state_distribution`)
    and ``alpha = D_TV^max(pi, pi_new)``. Summing ``gamma^t`` times this bound over ``t`` gives
    Theorem 1 (Eq. (8)).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds.lemmas import lemma3
    >>> m = T.two_state(0.9)
    >>> r = lemma3(m, T.uniform(m), T.random_policy(m, rng=0), T=20)
    >>> print(r.holds, f"{r.slack:.4f}", r.slack >= 0)
    True 0.0202 True
    """
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 0:
        raise ValueError(f"T must be a non-negative integer, got {T!r}")
    pi, pi_new = _policies(mdp, pi, pi_new)
    tol = _atol(mdp, atol)
    ev_pi = _ev(mdp, pi, ev)
    Abar = expected_advantage(mdp, pi, pi_new, ev=ev_pi)
    ts = np.arange(int(T) + 1)
    abar_new = state_distribution(mdp, pi_new, ts) @ Abar
    abar_old = state_distribution(mdp, pi, ts) @ Abar
    lhs = np.abs(abar_new - abar_old)
    alpha = float(tv(pi, pi_new).max())
    eps = float(np.max(np.abs(ev_pi.A)))
    rhs = 4.0 * alpha * (1.0 - (1.0 - alpha) ** ts) * eps  # Lemma 3
    return Lemma3Result(
        t=ts, abar_new=abar_new, abar_old=abar_old, lhs=lhs, rhs=rhs, alpha=alpha, epsilon=eps,
        slack=float(np.min((rhs - lhs)[1:])) if T > 0 else 0.0, holds=bool(np.all(lhs <= rhs + tol)), atol=tol,
    )


# ---------------------------------------------------------------------------------------- Eq. (4)
@dataclass(frozen=True, eq=False)
class FirstOrderMatch:
    """Eq. (4) of [TRPO] at ``theta0``: values and gradients of ``L_{pi_theta0}`` and ``eta``.

    Attributes
    ----------
    L0, eta0 : float, ``L_{pi_theta0}(pi_theta0)`` and ``eta(pi_theta0)``.
    value_gap : float, ``|L0 - eta0|``.
    grad_eta, grad_L : (S, A) analytic gradients (:mod:`tabular.gradients`).
    grad_eta_fd, grad_L_fd : (S, A) central finite differences of :func:`tabular.evaluate` and
        :func:`tabular.surrogate` with step ``h``.
    err_eta, err_L : float, relative errors analytic vs finite differences.
    err_match : float, relative error between the analytic ``grad_L`` and ``grad_eta``.
    err_match_fd : float, relative error between the finite-difference ``grad_L_fd`` and ``grad_eta_fd``.
    h : float, the finite-difference step.
    holds : bool, ``value_gap <= atol`` and all four errors ``<= rtol``.
    rtol, atol : float.

    Relative error: ``max|x - y| / max(max|x|, max|y|, floor)`` with
    ``floor = 1e-8 max(1, max|R|) / (1-gamma)^2`` (the scale of ``rho A``), so that a vanishing
    gradient does not turn rounding noise into a large relative error.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds.lemmas import first_order_match
    >>> r = first_order_match(T.two_state(0.9), np.zeros((2, 2)))
    >>> r.holds, r.grad_eta.shape, bool(np.allclose(r.grad_eta, r.grad_L))
    (True, (2, 2), True)
    """

    L0: float
    eta0: float
    value_gap: float
    grad_eta: np.ndarray
    grad_L: np.ndarray
    grad_eta_fd: np.ndarray
    grad_L_fd: np.ndarray
    err_eta: float
    err_L: float
    err_match: float
    err_match_fd: float
    h: float
    holds: bool
    rtol: float
    atol: float
    equation: str = "[TRPO] Eq. (4)"


def first_order_match(
    mdp: MDP, theta0, h: float = 1e-6, *, rtol: float = 1e-5, atol: float | None = None
) -> FirstOrderMatch:
    """Eq. (4) of [TRPO] for the tabular softmax ``pi_theta = softmax(theta)``::

        L_{pi_theta0}(pi_theta0) = eta(pi_theta0),
        grad_theta L_{pi_theta0}(pi_theta) |_{theta0} = grad_theta eta(pi_theta) |_{theta0}

    Both gradients are computed analytically (:func:`tabular.gradients.softmax_surrogate_gradient`,
    :func:`tabular.gradients.softmax_policy_gradient`) and by central finite differences
    ``(f(theta0 + h e_i) - f(theta0 - h e_i)) / (2 h)`` of :func:`tabular.surrogate` (Eq. (3)) and of
    ``eta`` from exact evaluation (:func:`tabular.evaluate_policies`, batched). ``2 S A`` evaluations.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds.lemmas import first_order_match
    >>> theta0 = np.random.default_rng(0).normal(size=(2, 2))
    >>> r = first_order_match(T.two_state(0.9), theta0)
    >>> r.holds, r.err_match < 1e-10, r.value_gap < 1e-12  # L = eta and grad L = grad eta at theta0
    (True, True, True)
    """
    S, A = check_mdp(mdp).shape
    theta0 = as_float_array(theta0, "theta0", ndim=2)
    if theta0.shape != (S, A):
        raise ValueError(f"theta0 must have shape (S, A) = {(S, A)}, got {theta0.shape}")
    h = check_real(h, "h", positive=True)
    rtol = check_tolerance(rtol, "rtol", positive=True)
    tol = _atol(mdp, atol)
    pi0 = softmax(theta0)
    ev0 = evaluate(mdp, pi0)
    L0 = surrogate(mdp, pi0, pi0, ev=ev0)  # Eq. (3) at pi_new = pi
    grad_eta = softmax_policy_gradient(mdp, theta0, ev=ev0)
    grad_L = softmax_surrogate_gradient(mdp, theta0, theta0, ev_old=ev0)

    n = S * A
    E = (h * np.eye(n)).reshape(n, S, A)
    thetas = np.concatenate([theta0[None] + E, theta0[None] - E])  # (2n, S, A)
    pis = np.stack([softmax(th) for th in thetas])
    etas = evaluate_policies(mdp, pis).eta
    Ls = np.array([surrogate(mdp, pi0, p, ev=ev0) for p in pis])
    grad_eta_fd = ((etas[:n] - etas[n:]) / (2.0 * h)).reshape(S, A)
    grad_L_fd = ((Ls[:n] - Ls[n:]) / (2.0 * h)).reshape(S, A)

    floor = 1e-8 * max(1.0, float(np.max(np.abs(mdp.R)))) / (1.0 - mdp.gamma) ** 2

    def rel(x, y):
        return float(np.max(np.abs(x - y)) / max(np.max(np.abs(x)), np.max(np.abs(y)), floor))

    err_eta, err_L = rel(grad_eta, grad_eta_fd), rel(grad_L, grad_L_fd)
    err_match, err_match_fd = rel(grad_L, grad_eta), rel(grad_L_fd, grad_eta_fd)
    value_gap = abs(L0 - ev0.eta)
    return FirstOrderMatch(
        L0=float(L0), eta0=float(ev0.eta), value_gap=float(value_gap), grad_eta=grad_eta, grad_L=grad_L,
        grad_eta_fd=grad_eta_fd, grad_L_fd=grad_L_fd, err_eta=err_eta, err_L=err_L, err_match=err_match,
        err_match_fd=err_match_fd, h=h,
        holds=bool(value_gap <= tol and max(err_eta, err_L, err_match, err_match_fd) <= rtol),
        rtol=float(rtol), atol=tol,
    )

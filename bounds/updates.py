"""The exact policy updates of Section 7 of [TRPO] and Algorithm 1, on tabular MDPs.

Every update is written as "argmax of the surrogate ``L_pi`` of Eq. (3) under a penalty or a
constraint" (the unifying view of Section 7, THEORY.md §4) and returns a :class:`StepResult`:

* :func:`mm_step` -- Algorithm 1: ``argmax_p L_pi(p) - C D_KL^max(pi, p)``, ``C = 4 eps gamma/(1-gamma)^2``.
* :func:`cpi_step` -- conservative policy iteration ([KL02], Eq. (5)-(6)): mixture with the greedy policy.
* :func:`trust_region_step` -- Eq. (11) (max-KL) and Eq. (12) (mean-KL) trust regions.
* :func:`kl_penalty_step` -- per-state KL penalty, closed form.
* :func:`npg_step` -- exact natural policy gradient for softmax = soft policy iteration ([AKLM]).
* :func:`pg_step` -- exact softmax policy gradient ascent (Eq. (18) of [TRPO] is its L2-constrained form).
* :func:`pi_step` -- policy iteration (unconstrained argmax of ``L``: the greedy policy).

:func:`run` iterates any of them and records Eq. (10) of [TRPO] and every bound of ``bounds.core``.

The convex steps (``mm_step``, ``trust_region_step``, ``kl_penalty_step``, ``npg_step``) take
``solver="fast"`` (closed forms and 1-D roots, :mod:`bounds.solvers`) or ``solver="cvxpy"`` (the
Clarabel reference); ``cpi_step``, ``pg_step`` and ``pi_step`` are explicit formulas. The steps are
exact argmaxes over *all* policies: since ``KL(pi || p)`` does not penalize mass on actions outside
the support of ``pi``, such actions receive mass when their advantage beats every supported one
(see :mod:`bounds.solvers`); from a full-support ``pi`` this never arises.

Conventions (THEORY.md §1): ``rho`` is the unnormalized discounted visitation of the *old* policy
(sums to ``1/(1-gamma)``), ``L_pi(p) = eta(pi) + sum_s rho(s) sum_a p(a|s) A_pi(s, a)`` and
``KL_s = KL(pi(.|s) || p(.|s))`` in the [TRPO] direction. ``StepResult.kl_mean`` is the
``rho``-weighted *sum* ``sum_s rho(s) KL_s`` (the unnormalized mean of Eq. (12)).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from tabular.validation import as_float_array, as_policy
from tabular.divergences import kl_unchecked, tv_unchecked
from tabular.divergences import weighted_mean
from tabular.evaluation import Evaluation, evaluate, resolve_evaluation
from tabular.mdp import MDP
from tabular.policies import greedy, softmax

from . import solvers as _solvers
from .core import theory_C, theory_C_of
from .solvers import SolverError

__all__ = [
    "StepResult",
    "MMHistory",
    "SolverError",
    "theory_C",
    "mm_step",
    "cpi_step",
    "trust_region_step",
    "kl_penalty_step",
    "npg_step",
    "pg_step",
    "pi_step",
    "run",
    "UPDATES",
]


@dataclass(frozen=True, eq=False)
class StepResult:
    """One exact policy update ``pi -> pi_new``.

    Attributes
    ----------
    pi_new : (S, A) the new policy.
    objective : float, the value of the function the update maximizes, including ``eta(pi)``
        (e.g. ``L_pi(pi_new) - C D_KL^max`` for Algorithm 1, ``L_pi(pi_new)`` for a trust region);
        each step function documents its own.
    kl_max : float, ``D_KL^max(pi, pi_new) = max_s KL(pi(.|s) || pi_new(.|s))`` (may be ``inf``).
    kl_mean : float, ``sum_s rho_pi(s) KL_s`` (``rho``-weighted sum, unnormalized as in Eq. (12)).
    tv_max : float, ``D_TV^max(pi, pi_new)`` (the ``alpha`` of Theorem 1).
    multiplier : float or (S,) array -- the step's multiplier, penalty coefficient, ``alpha`` or
        KL level (documented per function).
    solver : str, ``"fast"``, ``"cvxpy"`` or ``"closed-form"``.
    info : read-only mapping; always has ``eta`` (= ``eta(pi)``), ``surrogate`` (= ``L_pi(pi_new)``)
        and ``theory_C`` (= ``4 eps gamma/(1-gamma)^2`` of ``pi``), plus step-specific entries.
    """

    pi_new: np.ndarray
    objective: float
    kl_max: float
    kl_mean: float
    tv_max: float
    multiplier: object
    solver: str
    info: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))


# =============================================================================== helpers
def _check_mdp(mdp) -> MDP:
    if not isinstance(mdp, MDP):
        raise TypeError(f"mdp must be a tabular.MDP, got {type(mdp).__name__}")
    return mdp


def _prepare(mdp, pi, ev):
    mdp = _check_mdp(mdp)
    pi = as_policy(pi, mdp.n_states, mdp.n_actions, name="pi")
    return mdp, pi, resolve_evaluation(mdp, pi, ev)


def _real(x, name: str, *, lo: float | None = 0.0, allow_inf: bool = False) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {x!r}")
    v = float(x)
    if np.isnan(v):
        raise ValueError(f"{name} must be a number, got NaN")
    if np.isinf(v) and not allow_inf:
        raise ValueError(f"{name} must be finite, got {x!r}")
    if lo is not None and v < lo:
        raise ValueError(f"{name} must be >= {lo:g}, got {x!r}")
    return v


def _eps(ev: Evaluation) -> float:
    """``eps = max_{s,a} |A_pi(s, a)|`` (THEORY.md §3)."""
    return float(np.max(np.abs(ev.A)))


def _weights(weights, ev: Evaluation, name: str = "weights") -> np.ndarray:
    S = ev.rho.shape[0]
    if isinstance(weights, str):
        if weights == "rho":
            return np.asarray(ev.rho, dtype=np.float64)
        if weights == "d":
            return np.asarray(ev.d, dtype=np.float64)
        raise ValueError(f"{name} must be 'rho', 'd' or an array of shape ({S},), got {weights!r}")
    w = as_float_array(weights, name, ndim=1)
    if w.shape != (S,):
        raise ValueError(f"{name} must have shape ({S},), got {w.shape}")
    if np.any(w < 0):
        raise ValueError(f"{name} must be non-negative")
    return w


def _result(mdp, pi, ev, pi_new, objective, multiplier, solver, info=None, kl=None, tv=None) -> StepResult:
    """Assemble a :class:`StepResult`: divergences, surrogate and the shared ``info`` entries.

    ``kl``/``tv`` may pass the per-state divergences a solver already computed for ``pi_new``."""
    pi_new = as_policy(pi_new, mdp.n_states, mdp.n_actions, name="pi_new (solver output)")
    kl = kl_unchecked(pi, pi_new) if kl is None else kl
    surrogate = float(ev.eta + ev.rho @ np.einsum("sa,sa->s", pi_new, ev.A))  # Eq. (3)
    if np.isnan(objective):
        raise SolverError("the step's objective evaluated to NaN")
    full = {"eta": float(ev.eta), "surrogate": surrogate,
            "theory_C": theory_C_of(ev)}
    full.update(info or {})
    return StepResult(
        pi_new=pi_new, objective=float(objective), kl_max=float(kl.max()),
        kl_mean=weighted_mean(kl, ev.rho), tv_max=float((tv_unchecked(pi, pi_new) if tv is None else tv).max()),
        multiplier=multiplier, solver=solver, info=MappingProxyType(full),
    )


# =============================================================================== the updates
def mm_step(mdp: MDP, pi, C: float | None = None, penalty: str = "kl", C_scale: float = 1.0,
            solver: str = "fast", ev: Evaluation | None = None) -> StepResult:
    """One step of Algorithm 1 of [TRPO] (minorization-maximization), solved exactly.

    ``penalty="kl"``: ``pi_new = argmax_p L_pi(p) - C D_KL^max(pi, p)`` (Eq. (9), (10));
    ``penalty="tv"``: ``pi_new = argmax_p L_pi(p) - C (D_TV^max(pi, p))^2`` (Eq. (8), Theorem 1).
    By default ``C = 4 eps gamma / (1-gamma)^2`` with ``eps = max_{s,a} |A_pi(s, a)|`` (THEORY.md §3),
    multiplied by ``C_scale``; an explicit ``C`` is also multiplied by ``C_scale``.

    The KL problem is solved through a common KL level ``kappa`` (THEORY.md §4): each state solves
    ``max sum_a p A s.t. KL_s <= kappa`` and ``kappa*`` maximizes the concave
    ``sum_s rho(s) v_s(kappa) - C kappa`` (see :func:`bounds.solvers.solve_max_kl_penalty`).

    ``C = 0`` (``gamma = 0``, or all advantages zero, or ``C_scale = 0``) removes the penalty: the
    step is then greedy (policy iteration) -- more precisely the limit ``C -> 0+``, which puts the
    mass of each state on the maximizers of ``A_pi`` in proportion to ``pi`` (a single action when the
    maximizer is unique); with ``gamma = 0`` that is optimal after one step. When all advantages are
    zero ``pi`` is optimal and is returned.

    Parameters
    ----------
    mdp : MDP. pi : (S, A) current policy.
    C : float >= 0 or None (theory value). penalty : ``"kl"`` or ``"tv"``.
    C_scale : float >= 0, multiplies ``C``. solver : ``"fast"`` or ``"cvxpy"``.
    ev : optional ``evaluate(mdp, pi)``.

    Returns
    -------
    StepResult with ``objective = M(pi_new) = L_pi(pi_new) - C D(pi, pi_new)`` (``D`` = max-KL or
    squared max-TV), ``multiplier`` = the common KL level ``kappa*`` (or TV radius ``t*``) and
    ``info["C"]`` the coefficient used, ``info["penalty"]``, ``info["c"]`` per-state multipliers.
    """
    mdp, pi, ev = _prepare(mdp, pi, ev)
    if penalty not in ("kl", "tv"):
        raise ValueError(f"penalty must be 'kl' or 'tv', got {penalty!r}")
    C_scale = _real(C_scale, "C_scale")
    C_th = theory_C_of(ev)  # Eq. (8)
    C_used = (C_th if C is None else _real(C, "C")) * C_scale
    if penalty == "kl":
        # ev.A, ev.rho come from evaluate and pi was validated by _prepare: skip the re-validation
        sol = _solvers._max_kl_penalty(ev.A, pi, ev.rho, C_used, _solvers._check_solver(solver), "newton")
    else:
        sol = _solvers.solve_max_tv_sq_penalty(ev.A, pi, ev.rho, C_used, solver=solver)
    objective = float(ev.eta) + sol.objective  # Eq. (10): M(pi_new)
    info = {"C": C_used, "penalty": penalty, "c": sol.info.get("c"), "eps": _eps(ev),
            "method": sol.info.get("method")}
    return _result(mdp, pi, ev, sol.pi_new, objective, sol.multiplier, sol.solver, info, kl=sol.kl, tv=sol.tv)


def cpi_step(mdp: MDP, pi, alpha: float | None = None, ev: Evaluation | None = None) -> StepResult:
    """Conservative policy iteration ([KL02]; Eq. (5)-(6) of [TRPO]; THEORY.md §3).

    ``pi' = greedy(Q_pi)`` (argmax, lowest index on ties) and ``pi_new = (1 - alpha) pi + alpha pi'``
    (Eq. (5)) with, by default, the ``alpha`` maximizing the lower bound of Eq. (6)::

        alpha* = min{1, (1-gamma)^2 A' / (4 gamma eps')},
        A' = sum_s rho(s) sum_a pi'(a|s) A_pi(s, a),   eps' = max_s |sum_a pi'(a|s) A_pi(s, a)|.

    ``eps' = 0`` means ``max_a A_pi(s, a) = 0`` everywhere (``pi`` is already optimal): ``alpha* = 0``
    (``eps'`` below ``64 machine-eps (1 + max|Q|)`` counts as zero: round-off of an optimal ``pi``).
    Otherwise ``gamma = 0`` gives ``alpha* = 1`` (the bound has no penalty).

    Returns
    -------
    StepResult with ``multiplier = alpha``, ``objective`` = the Eq. (6) lower bound
    ``L_pi(pi_new) - 2 eps' gamma alpha^2 / (1-gamma)^2`` and ``info`` entries ``alpha_star``,
    ``A_prime``, ``eps_prime``, ``pi_prime``.
    """
    mdp, pi, ev = _prepare(mdp, pi, ev)
    g = mdp.gamma
    pi_prime = greedy(ev.Q)
    Abar = np.einsum("sa,sa->s", pi_prime, ev.A)
    A_prime = float(ev.rho @ Abar)
    eps_prime = float(np.max(np.abs(Abar)))
    if eps_prime <= 64 * np.finfo(float).eps * (1.0 + float(np.max(np.abs(ev.Q)))):
        alpha_star = 0.0  # eps' = 0 up to round-off: pi is greedy-optimal, nothing to gain
    elif g == 0.0:
        alpha_star = 1.0
    else:
        alpha_star = min(1.0, (1.0 - g) ** 2 * A_prime / (4.0 * g * eps_prime))  # THEORY.md §3
    if alpha is None:
        alpha_used = alpha_star
    else:
        alpha_used = _real(alpha, "alpha")
        if alpha_used > 1.0:
            raise ValueError(f"alpha must lie in [0, 1], got {alpha!r}")
    pi_new = (1.0 - alpha_used) * pi + alpha_used * pi_prime  # Eq. (5)
    surrogate = float(ev.eta + ev.rho @ np.einsum("sa,sa->s", pi_new, ev.A))
    objective = surrogate - 2.0 * eps_prime * g * alpha_used**2 / (1.0 - g) ** 2  # Eq. (6)
    info = {"alpha_star": alpha_star, "A_prime": A_prime, "eps_prime": eps_prime, "pi_prime": pi_prime}
    return _result(mdp, pi, ev, pi_new, objective, alpha_used, "closed-form", info)


def trust_region_step(mdp: MDP, pi, delta: float, constraint: str = "max", weights="rho",
                      solver: str = "fast", ev: Evaluation | None = None) -> StepResult:
    """The trust-region updates of [TRPO], solved exactly.

    ``constraint="max"``, Eq. (11): ``max_p L_pi(p)  s.t.  KL(pi(.|s) || p(.|s)) <= delta`` for all
    ``s``; separable, each state at its own multiplier ``c_s`` (``multiplier`` = the (S,) array of
    ``c_s``; the Lagrange multiplier of state ``s`` is ``rho(s) c_s``). ``weights`` is ignored.

    ``constraint="mean"``, Eq. (12): ``max_p L_pi(p)  s.t.  sum_s w(s) KL_s <= delta`` with
    ``weights="rho"`` (default: the unnormalized ``rho_pi`` exactly as Eq. (12) is written),
    ``"d"`` (``d = (1-gamma) rho``, a true expectation) or an (S,) non-negative array. One common
    multiplier ``lambda`` (``multiplier``); state ``s`` solves the KL penalty with ``c_s = lambda w(s)/rho(s)``.

    Both constraints are active unless ``pi`` is already greedy-optimal on the states that matter.
    ``objective = L_pi(pi_new)``.
    """
    mdp, pi, ev = _prepare(mdp, pi, ev)
    delta = _real(delta, "delta", lo=None)
    if not delta > 0:
        raise ValueError(f"delta must be positive, got {delta!r}")
    if constraint == "max":
        sol = _solvers.solve_max_kl(ev.A, pi, ev.rho, delta, solver=solver)  # Eq. (11)
        info = {"constraint": "max", "delta": delta, "mu": sol.info["mu"]}
    elif constraint == "mean":
        w = _weights(weights, ev)
        sol = _solvers.solve_mean_kl(ev.A, pi, ev.rho, w, delta, solver=solver)  # Eq. (12)
        info = {"constraint": "mean", "delta": delta, "weights": w,
                "weights_name": weights if isinstance(weights, str) else "array"}
    else:
        raise ValueError(f"constraint must be 'max' or 'mean', got {constraint!r}")
    return _result(mdp, pi, ev, sol.pi_new, float(ev.eta) + sol.objective, sol.multiplier, sol.solver, info)


def kl_penalty_step(mdp: MDP, pi, c: float, weights=None, solver: str = "fast",
                    ev: Evaluation | None = None) -> StepResult:
    """Per-state KL-penalized update (THEORY.md §4)::

        max_p  L_pi(p) - c sum_s rho(s) w(s) KL(pi(.|s) || p(.|s))

    i.e. per state ``max_p sum_a p A_pi - c w(s) KL``, with the closed form
    ``p(a|s) = c w(s) pi(a|s) / (nu_s - A_pi(s, a))`` (``nu_s`` by a 1-D root). ``weights`` is None
    (``w = 1``), ``"rho"``, ``"d"`` or an (S,) non-negative array. ``c = 0`` is greedy.

    Returns
    -------
    StepResult with ``multiplier = c`` and ``objective = L_pi(pi_new) - c sum_s rho w KL_s``.
    """
    mdp, pi, ev = _prepare(mdp, pi, ev)
    c = _real(c, "c")
    w = np.ones(mdp.n_states) if weights is None else _weights(weights, ev)
    sol = _solvers.solve_kl_penalty(ev.A, pi, c * w, ev.rho, solver=solver)
    return _result(mdp, pi, ev, sol.pi_new, float(ev.eta) + sol.objective, c, sol.solver,
                   {"weights": w})


def npg_step(mdp: MDP, pi, step: float, ev: Evaluation | None = None, solver: str = "fast") -> StepResult:
    """Exact natural policy gradient for the tabular softmax policy (Eq. (17) of [TRPO]; [AKLM]).

    ``theta <- theta + step A_pi / (1 - gamma)``, i.e. ``pi_new(a|s) ∝ pi(a|s) exp(step A_pi(s, a)/(1-gamma))``
    (THEORY.md §4; soft policy iteration). Zeros of ``pi`` stay zero. This is the closed-form
    solution of the per-state proximal problem ``max_p sum_a p A_pi - tau KL(p || pi)`` with
    ``tau = (1-gamma)/step`` (the reverse KL direction); ``solver="cvxpy"`` solves that problem
    instead. It improves ``V`` at every state. ``step`` must be finite and >= 0; ``step = 0``
    returns ``pi``, and a huge step tends to the greedy policy within the support of ``pi``.

    Returns
    -------
    StepResult with ``multiplier = tau`` (``inf`` for ``step = 0``) and
    ``objective = L_pi(pi_new) - tau sum_s rho(s) KL(pi_new(.|s) || pi(.|s))``.
    """
    mdp, pi, ev = _prepare(mdp, pi, ev)
    step = _real(step, "step")
    tau = np.inf if step == 0 else (1.0 - mdp.gamma) / step
    sol = _solvers.solve_reverse_kl_penalty(ev.A, pi, tau, ev.rho, solver=solver)  # Eq. (17)
    solver_name = "closed-form" if solver == "fast" else sol.solver
    return _result(mdp, pi, ev, sol.pi_new, float(ev.eta) + sol.objective, tau, solver_name,
                   {"step": step, "reverse_kl": sol.info["reverse_kl"]})


def pg_step(mdp: MDP, pi, step: float, ev: Evaluation | None = None) -> StepResult:
    """Exact softmax policy gradient ascent: ``theta <- theta + step * d eta / d theta``.

    With ``theta = log pi`` (so ``softmax(theta) = pi``; requires ``pi > 0`` everywhere) the gradient
    is ``d eta / d theta[s, a] = rho_pi(s) pi(a|s) A_pi(s, a)`` (THEORY.md §2). Eq. (18) of [TRPO]
    (an L2 constraint on ``theta``) is this step with ``step`` set by the radius. ``step`` must be
    finite and >= 0. Not monotone in general (a large step can overshoot).

    Returns
    -------
    StepResult with ``multiplier = step``, ``objective = L_pi(pi_new)`` and ``info`` entries
    ``gradient`` and ``theta_new``.
    """
    mdp, pi, ev = _prepare(mdp, pi, ev)
    step = _real(step, "step")
    if np.any(pi <= 0):
        s, a = np.argwhere(pi <= 0)[0]
        raise ValueError(f"pg_step needs a full-support pi (theta = log pi); pi[{s}, {a}] = 0")
    grad = ev.rho[:, None] * pi * ev.A  # d eta / d theta (THEORY.md §2)
    theta_new = np.log(pi) + step * grad
    pi_new = softmax(theta_new)
    surrogate = float(ev.eta + ev.rho @ np.einsum("sa,sa->s", pi_new, ev.A))
    return _result(mdp, pi, ev, pi_new, surrogate, step, "closed-form",
                   {"gradient": grad, "theta_new": theta_new})


def pi_step(mdp: MDP, pi, ev: Evaluation | None = None) -> StepResult:
    """Policy iteration: ``pi_new = greedy(Q_pi)`` (argmax, lowest index on ties), the unconstrained
    argmax of ``L_pi`` (Section 7 of [TRPO]). ``multiplier = 0`` (no penalty); ``objective = L_pi(pi_new)``."""
    mdp, pi, ev = _prepare(mdp, pi, ev)
    pi_new = greedy(ev.Q)
    surrogate = float(ev.eta + ev.rho @ np.einsum("sa,sa->s", pi_new, ev.A))
    return _result(mdp, pi, ev, pi_new, surrogate, 0.0, "closed-form")


#: The update functions by name, for :func:`run`.
UPDATES: dict[str, Callable[..., StepResult]] = {
    "mm": mm_step,
    "cpi": cpi_step,
    "trust_region": trust_region_step,
    "kl_penalty": kl_penalty_step,
    "npg": npg_step,
    "pg": pg_step,
    "pi": pi_step,
}


# =============================================================================== the iteration
@dataclass(frozen=True, eq=False)
class MMHistory:
    """The record of :func:`run`: one entry per performed step ``i = 0..n-1`` unless said otherwise.

    Attributes
    ----------
    update : str, the update's name.
    eta : (n+1,) ``eta(pi_0), ..., eta(pi_n)``.
    surrogate : (n,) ``L_{pi_i}(pi_{i+1})`` (Eq. (3)).
    M_old : (n,) ``M_i(pi_i) = eta(pi_i)``.
    M_new : (n,) ``M_i(pi_{i+1}) = L_{pi_i}(pi_{i+1}) - C_i D_i`` with ``D_i = D_KL^max(pi_i, pi_{i+1})``
        (``(D_TV^max)^2`` for ``mm_step(penalty="tv")``); ``-inf`` when ``D_i = inf`` and ``C_i > 0``.
    C : (n,) ``C_i``: the coefficient the update used if it has one (``mm_step``: ``info["C"]``),
        otherwise the theory value ``4 eps_i gamma/(1-gamma)^2`` of ``pi_i``.
    C_theory : (n,) the theory value of ``pi_i``.
    kl_max, kl_mean, tv_max : (n,) divergences moved (``kl_mean`` is ``rho``-weighted).
    multiplier : tuple of the steps' multipliers (floats, or arrays for per-state multipliers).
    eta_gain, M_gain : (n,) ``eta(pi_{i+1}) - eta(pi_i)`` and ``M_i(pi_{i+1}) - M_i(pi_i)``.
    policies : tuple of the n+1 policies.
    steps : tuple of the n :class:`StepResult`.
    bound_slack, bound_holds : read-only mappings bound name -> (n,) array of the slack / holds of
        every bound of ``bounds.core.check_all(mdp, pi_i, pi_{i+1})`` (empty if not recorded).
    monotonic : bool, ``eta_gain >= -atol`` at every step.
    eq10_holds : bool, Eq. (10) of [TRPO] at every step: ``eta_gain >= M_gain - atol`` and
        ``M_gain >= -atol``. Meaningful for ``mm_step`` (with ``C_scale >= 1``, for which [TRPO]
        proves it); for the other updates ``M`` uses the theory ``C``, and the second inequality
        may fail (e.g. a greedy step has ``D_KL^max = inf``).
    atol : float, the tolerance used: ``max(tol, 1e-12 (1 + max|eta|))`` (round-off floor).
    converged : bool, whether the run stopped because ``eta_gain < tol``.
    """

    update: str
    eta: np.ndarray
    surrogate: np.ndarray
    M_old: np.ndarray
    M_new: np.ndarray
    C: np.ndarray
    C_theory: np.ndarray
    kl_max: np.ndarray
    kl_mean: np.ndarray
    tv_max: np.ndarray
    multiplier: tuple
    eta_gain: np.ndarray
    M_gain: np.ndarray
    policies: tuple
    steps: tuple
    bound_slack: MappingProxyType
    bound_holds: MappingProxyType
    monotonic: bool
    eq10_holds: bool
    atol: float
    converged: bool

    @property
    def n_steps(self) -> int:
        """Number of steps performed."""
        return int(self.surrogate.shape[0])

    @property
    def pi(self) -> np.ndarray:
        """The last policy."""
        return self.policies[-1]

    def table(self, max_rows: int | None = 40) -> str:
        """A plain-text table, one row per step (the first and last rows if there are many)."""
        head = (f"{'i':>4} {'eta_i':>13} {'L(pi_i+1)':>13} {'M(pi_i+1)':>13} {'C_i':>10} "
                f"{'KLmax':>10} {'TVmax':>10} {'eta gain':>11} {'M gain':>11}")
        if self.bound_slack:
            head += f" {'min slack':>11}"
        title = (f"update={self.update}  steps={self.n_steps}  monotonic={self.monotonic}  "
                 f"eq10_holds={self.eq10_holds}  converged={self.converged}")
        lines = [title, head, "-" * len(head)]
        n = self.n_steps
        rows = list(range(n))
        if max_rows is not None and n > max_rows:
            rows = rows[: max_rows // 2] + [-1] + rows[n - max_rows // 2:]
        for i in rows:
            if i == -1:
                lines.append(f"{'...':>4}")
                continue
            line = (f"{i:>4} {self.eta[i]:>13.8g} {self.surrogate[i]:>13.8g} {self.M_new[i]:>13.8g} "
                    f"{self.C[i]:>10.4g} {self.kl_max[i]:>10.3g} {self.tv_max[i]:>10.3g} "
                    f"{self.eta_gain[i]:>11.4g} {self.M_gain[i]:>11.4g}")
            if self.bound_slack:
                line += f" {min(v[i] for v in self.bound_slack.values()):>11.4g}"
            lines.append(line)
        lines.append(f"{'end':>4} {self.eta[-1]:>13.8g}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _resolve(update) -> tuple[str, Callable[..., StepResult]]:
    if isinstance(update, str):
        if update not in UPDATES:
            raise ValueError(f"update must be one of {sorted(UPDATES)} or a step function, got {update!r}")
        return update, UPDATES[update]
    for name, fn in UPDATES.items():
        if update is fn:
            return name, fn
    if callable(update):
        return getattr(update, "__name__", "custom"), update
    raise TypeError(f"update must be a name or a callable, got {update!r}")


def run(update, mdp: MDP, pi0, n_iter: int, tol: float = 1e-12, record_bounds: bool = True,
        **update_kwargs) -> MMHistory:
    """Iterate an update from ``pi0`` and record Eq. (10) of [TRPO] at every step.

    At step ``i``: evaluate ``pi_i`` exactly, ``pi_{i+1} = update(mdp, pi_i, ev=ev_i, **update_kwargs)``,
    and record ``eta(pi_i)``, ``L_{pi_i}(pi_{i+1})``, ``M_i(pi_i) = eta(pi_i)``,
    ``M_i(pi_{i+1}) = L_{pi_i}(pi_{i+1}) - C_i D_KL^max(pi_i, pi_{i+1})`` (``C_i`` as in
    :class:`MMHistory`), the KL and TV moved, and (``record_bounds``) the slack of every bound of
    ``bounds.core.check_all(mdp, pi_i, pi_{i+1})``. Stops after ``n_iter`` steps, or early after a
    step whose ``eta`` gain is below ``tol``.

    Parameters
    ----------
    update : a step function of this module (or any callable with the same signature and a
        :class:`StepResult` result), or its name: ``"mm"``, ``"cpi"``, ``"trust_region"``,
        ``"kl_penalty"``, ``"npg"``, ``"pg"``, ``"pi"``.
    mdp : MDP. pi0 : (S, A) initial policy. n_iter : int >= 0, maximum number of steps.
    tol : float; ``-inf`` never stops early. record_bounds : bool. **update_kwargs : passed to the update (e.g. ``delta``).
    """
    name, fn = _resolve(update)
    mdp = _check_mdp(mdp)
    if isinstance(n_iter, bool) or not isinstance(n_iter, numbers.Integral) or n_iter < 0:
        raise ValueError(f"n_iter must be a non-negative integer, got {n_iter!r}")
    tol = _real(tol, "tol", lo=None, allow_inf=True)
    if "ev" in update_kwargs:
        raise ValueError("run evaluates every policy itself; do not pass ev")
    check_all = None
    if record_bounds:
        from .core import check_all  # lazily: the updates do not need the bounds module

    pi = as_policy(pi0, mdp.n_states, mdp.n_actions, name="pi0")
    ev = evaluate(mdp, pi)
    etas, pols, steps = [float(ev.eta)], [pi], []
    rec = {k: [] for k in ("surrogate", "M_new", "C", "C_theory", "kl_max", "kl_mean", "tv_max")}
    slack: dict[str, list] = {}
    holds: dict[str, list] = {}
    converged = False
    for _ in range(int(n_iter)):
        res = fn(mdp, pi, ev=ev, **update_kwargs)
        pi_new = as_policy(res.pi_new, mdp.n_states, mdp.n_actions, name="pi_new")
        ev_new = evaluate(mdp, pi_new)
        C_th = theory_C_of(ev)
        C_i = float(res.info["C"]) if "C" in res.info else C_th
        L = float(res.info["surrogate"])
        if res.info.get("penalty") == "tv":
            D = res.tv_max**2
        else:
            D = res.kl_max
        M_new = L - (0.0 if C_i == 0 else C_i * D)  # Eq. (10)
        for k, v in (("surrogate", L), ("M_new", M_new), ("C", C_i), ("C_theory", C_th),
                     ("kl_max", res.kl_max), ("kl_mean", res.kl_mean), ("tv_max", res.tv_max)):
            rec[k].append(v)
        if check_all is not None:
            table = check_all(mdp, pi, pi_new, ev=ev)
            for r in table.results:
                slack.setdefault(r.name, []).append(float(r.slack))
                holds.setdefault(r.name, []).append(bool(r.holds))
        steps.append(res)
        gain = float(ev_new.eta) - float(ev.eta)
        pi, ev = pi_new, ev_new
        etas.append(float(ev.eta))
        pols.append(pi)
        if gain < tol:
            converged = True
            break
    eta = np.array(etas)
    M_old = eta[:-1].copy()
    arr = {k: np.array(v, dtype=np.float64) for k, v in rec.items()}
    eta_gain = np.diff(eta)
    M_gain = arr["M_new"] - M_old
    atol = max(tol, 1e-12 * (1.0 + float(np.max(np.abs(eta)))))
    monotonic = bool(np.all(eta_gain >= -atol))
    eq10 = bool(np.all(eta_gain >= M_gain - atol) and np.all(M_gain >= -atol))
    return MMHistory(
        update=name, eta=eta, surrogate=arr["surrogate"], M_old=M_old, M_new=arr["M_new"],
        C=arr["C"], C_theory=arr["C_theory"], kl_max=arr["kl_max"], kl_mean=arr["kl_mean"],
        tv_max=arr["tv_max"], multiplier=tuple(s.multiplier for s in steps), eta_gain=eta_gain,
        M_gain=M_gain, policies=tuple(pols), steps=tuple(steps),
        bound_slack=MappingProxyType({k: np.array(v) for k, v in slack.items()}),
        bound_holds=MappingProxyType({k: np.array(v, dtype=bool) for k, v in holds.items()}),
        monotonic=monotonic, eq10_holds=eq10, atol=atol, converged=converged,
    )

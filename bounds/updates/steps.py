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

:func:`run` iterates any of them and records Eq. (10) of [TRPO] and every bound of ``bounds.inequalities``.

The convex steps (``mm_step``, ``trust_region_step``, ``kl_penalty_step``, ``npg_step``) take
``solver="fast"`` (closed forms and 1-D roots, :mod:`bounds.updates.solvers`) or ``solver="cvxpy"`` (the
Clarabel reference); ``cpi_step``, ``pg_step`` and ``pi_step`` are explicit formulas. The steps are
exact argmaxes over *all* policies: since ``KL(pi || p)`` does not penalize mass on actions outside
the support of ``pi``, such actions receive mass when their advantage beats every supported one
(see :mod:`bounds.updates.solvers`); from a full-support ``pi`` this never arises.

Conventions (THEORY.md §1): ``rho`` is the unnormalized discounted visitation of the *old* policy
(sums to ``1/(1-gamma)``), ``L_pi(p) = eta(pi) + sum_s rho(s) sum_a p(a|s) A_pi(s, a)`` and
``KL_s = KL(pi(.|s) || p(.|s))`` in the [TRPO] direction. ``StepResult.kl_mean`` is the
``rho``-weighted *sum* ``sum_s rho(s) KL_s`` (the unnormalized mean of Eq. (12)).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from tabular.divergences import kl_unchecked, tv_unchecked, weighted_mean
from tabular.evaluation import Evaluation, resolve_evaluation, surrogate_of
from tabular.mdp import MDP
from tabular.policies import greedy, softmax
from tabular.validation import as_float_array, as_policy, check_mdp, check_real

from ..inequalities import cpi_alpha_star_of, cpi_terms, epsilon_of, theory_C, theory_C_of
from .solvers import Problem, SolverError, max_kl, max_kl_penalty, max_tv_sq_penalty, mean_kl, kl_penalty
from .solvers import reverse_kl_penalty

__all__ = [
    "StepResult",
    "SolverError",
    "theory_C",
    "mm_step",
    "cpi_step",
    "trust_region_step",
    "kl_penalty_step",
    "npg_step",
    "pg_step",
    "pi_step",
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
    info : read-only mapping of step-specific entries (it also repeats ``eta``, ``surrogate`` and
        ``theory_C`` under those keys, for code written before they were fields).
    eta : float, ``eta(pi)``. surrogate : float, ``L_pi(pi_new)`` (Eq. (3)).
    theory_C : float, ``4 eps gamma/(1-gamma)^2`` of ``pi`` (Eq. (8)).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import trust_region_step
    >>> m = T.two_state(0.9)
    >>> r = trust_region_step(m, T.uniform(m), delta=0.01)
    >>> r
    StepResult(S=2, A=2, eta=-4.516129032, surrogate=-4.513200475, ..., solver='fast', ...)
    >>> print(f"{r.kl_max:.6f}", r.surrogate >= r.eta)
    0.010000 True
    """

    pi_new: np.ndarray
    objective: float
    kl_max: float
    kl_mean: float
    tv_max: float
    multiplier: float | np.ndarray
    solver: str
    info: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    eta: float = float("nan")
    surrogate: float = float("nan")
    theory_C: float = float("nan")

    def __repr__(self) -> str:
        m = self.multiplier
        mult = f"array{np.shape(m)}" if np.ndim(m) else f"{float(m):.6g}"
        return (f"StepResult(S={self.pi_new.shape[0]}, A={self.pi_new.shape[1]}, eta={self.eta:.10g}, "
                f"surrogate={self.surrogate:.10g}, objective={self.objective:.10g}, kl_max={self.kl_max:.4g}, "
                f"kl_mean={self.kl_mean:.4g}, tv_max={self.tv_max:.4g}, multiplier={mult}, "
                f"solver={self.solver!r}, info keys={sorted(self.info)})")


# =============================================================================== helpers
def _prepare(mdp, pi, ev):
    mdp = check_mdp(mdp)
    pi = as_policy(pi, mdp.n_states, mdp.n_actions, name="pi")
    return mdp, pi, resolve_evaluation(mdp, pi, ev)


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
    if not np.any(w > 0):
        raise ValueError(f"{name} are all zero: the constraint would bind nothing and the step would be "
                         "an unconstrained greedy step; pass weights with a positive entry ('rho' or 'd')")
    return w


def _result(mdp, pi, ev, pi_new, objective, multiplier, solver, info=None, kl=None, tv=None) -> StepResult:
    """Assemble a :class:`StepResult`: divergences, surrogate and the shared ``info`` entries.

    ``kl``/``tv`` may pass the per-state divergences a solver already computed for ``pi_new``."""
    pi_new = as_policy(pi_new, mdp.n_states, mdp.n_actions, name="pi_new (solver output)")
    kl = kl_unchecked(pi, pi_new) if kl is None else kl
    surrogate = surrogate_of(ev, pi_new)  # Eq. (3)
    if np.isnan(objective):
        raise SolverError("the step's objective evaluated to NaN")
    full = {"eta": float(ev.eta), "surrogate": surrogate,
            "theory_C": theory_C_of(ev)}
    full.update(info or {})
    return StepResult(
        pi_new=pi_new, objective=float(objective), kl_max=float(kl.max()),
        kl_mean=weighted_mean(kl, ev.rho), tv_max=float((tv_unchecked(pi, pi_new) if tv is None else tv).max()),
        multiplier=multiplier, solver=solver, info=MappingProxyType(full),
        eta=full["eta"], surrogate=surrogate, theory_C=full["theory_C"],
    )


# =============================================================================== the updates
#: :func:`mm_step` solves a ``C <= NEGLIGIBLE_C * eps`` (``eps = max |A_pi|``) as its limit ``C -> 0+``.
NEGLIGIBLE_C = np.finfo(float).eps ** 2


def mm_step(mdp: MDP, pi, C: float | None = None, penalty: str = "kl", C_scale: float = 1.0,
            solver: str = "fast", ev: Evaluation | None = None, method: str = "auto") -> StepResult:
    """One step of Algorithm 1 of [TRPO] (minorization-maximization), solved exactly.

    ``penalty="kl"``: ``pi_new = argmax_p L_pi(p) - C D_KL^max(pi, p)`` (Eq. (9), (10));
    ``penalty="tv"``: ``pi_new = argmax_p L_pi(p) - C (D_TV^max(pi, p))^2`` (Eq. (8), Theorem 1).
    By default ``C = 4 eps gamma / (1-gamma)^2`` with ``eps = max_{s,a} |A_pi(s, a)|`` (THEORY.md §3),
    multiplied by ``C_scale``; an explicit ``C`` is also multiplied by ``C_scale``.

    The KL problem is solved through a common KL level ``kappa`` (THEORY.md §4): each state solves
    ``max sum_a p A s.t. KL_s <= kappa`` and ``kappa*`` maximizes the concave
    ``sum_s rho(s) v_s(kappa) - C kappa`` (see :func:`bounds.updates.solvers.solve_max_kl_penalty`).

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
    method : the algorithm of the KL step (``"auto"``, ``"nu-newton"``, ``"joint-newton"``,
        ``"nested"``; :func:`bounds.updates.solvers.solve_max_kl_penalty`).

    Returns
    -------
    StepResult with ``objective = M(pi_new) = L_pi(pi_new) - C D(pi, pi_new)`` (``D`` = max-KL or
    squared max-TV), ``multiplier`` = the common KL level ``kappa*`` (or TV radius ``t*``) and
    ``info["C"]`` the coefficient used, ``info["penalty"]``, ``info["c"]`` per-state multipliers.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds import mm_step
    >>> m = T.garnet(4, 2, rng=0); pi = T.uniform(m)
    >>> fast, ref = mm_step(m, pi), mm_step(m, pi, solver="cvxpy")
    >>> bool(np.allclose(fast.pi_new, ref.pi_new, atol=1e-5))
    True
    >>> T.evaluate(m, fast.pi_new).eta >= fast.eta  # Eq. (10): the MM step never decreases eta
    True
    """
    mdp, pi, ev = _prepare(mdp, pi, ev)
    if penalty not in ("kl", "tv"):
        raise ValueError(f"penalty must be 'kl' or 'tv', got {penalty!r}")
    C_scale = check_real(C_scale, "C_scale", lo=0.0)
    C_th = theory_C_of(ev)  # Eq. (8)
    C_used = (C_th if C is None else check_real(C, "C", lo=0.0)) * C_scale
    if not np.isfinite(C_used):
        raise ValueError(f"C * C_scale must be finite, got {C_used!r} (C={C!r}, C_scale={C_scale!r})")
    prob = Problem.from_evaluation(ev)  # validated by evaluate: no re-validation
    # A C below eps_mach^2 * eps (e.g. the theory C of a gamma of 1e-300, or a subnormal) is the C -> 0+
    # limit to round-off: the exact step moves a mass of order C / gap <= eps_mach off the maximizers
    # of A_pi and changes M by at most C KL. Solved as C = 0, the greedy limit (no 1/C overflow).
    C_solve = 0.0 if C_used <= NEGLIGIBLE_C * epsilon_of(ev) else C_used
    if penalty == "kl":
        # at C = 0 every method has the same answer, the greedy limit (nu-Newton would refuse C = 0)
        sol = max_kl_penalty(prob, C_solve, solver=solver, method="auto" if C_solve == 0 and method in
                             ("nu-newton", "joint-newton", "nested") else method)
    else:
        sol = max_tv_sq_penalty(prob, C_solve, solver=solver)
    objective = float(ev.eta) + sol.objective  # Eq. (10): M(pi_new)
    info = {"C": C_used, "penalty": penalty, "c": sol.info.get("c"), "eps": epsilon_of(ev),
            "method": sol.info.get("method")}
    return _result(mdp, pi, ev, sol.pi_new, objective, sol.multiplier, sol.solver, info, kl=sol.kl, tv=sol.tv)


def cpi_step(mdp: MDP, pi, alpha: float | None = None, ev: Evaluation | None = None) -> StepResult:
    """Conservative policy iteration ([KL02]; Eq. (5)-(6) of [TRPO]; THEORY.md §3).

    ``pi' = greedy(Q_pi)`` (argmax, lowest index on ties) and ``pi_new = (1 - alpha) pi + alpha pi'``
    (Eq. (5)) with, by default, the ``alpha`` maximizing the lower bound of Eq. (6)::

        alpha* = min{1, (1-gamma)^2 A' / (4 gamma eps')},
        A' = sum_s rho(s) sum_a pi'(a|s) A_pi(s, a),   eps' = max_s |sum_a pi'(a|s) A_pi(s, a)|.

    ``alpha*`` is :func:`bounds.inequalities.cpi_alpha_star_of`, the one home of CPI's step size, clipped
    to ``[0, 1]``: 0 when ``A' <= 0`` or ``eps' = 0`` up to round-off (``pi`` is already greedy where it
    matters), 1 when ``gamma = 0`` (the bound has no penalty).

    Returns
    -------
    StepResult with ``multiplier = alpha``, ``objective`` = the Eq. (6) lower bound
    ``L_pi(pi_new) - 2 eps' gamma alpha^2 / (1-gamma)^2`` and ``info`` entries ``alpha_star``,
    ``A_prime``, ``eps_prime``, ``pi_prime``.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds import cpi_alpha_star, cpi_step
    >>> m = T.two_state(0.9); pi = T.uniform(m)
    >>> r = cpi_step(m, pi)
    >>> pp = r.info["pi_prime"]; a = r.info["alpha_star"]
    >>> bool(np.allclose(r.pi_new, (1 - a) * pi + a * pp)), a == cpi_alpha_star(m, pi, pp)
    (True, True)
    """
    mdp, pi, ev = _prepare(mdp, pi, ev)
    g = mdp.gamma
    pi_prime = greedy(ev.Q)
    A_prime, eps_prime = cpi_terms(ev, pi_prime)
    alpha_star = cpi_alpha_star_of(ev, pi_prime)  # Eq. (6), clipped to [0, 1]
    if alpha is None:
        alpha_used = alpha_star
    else:
        alpha_used = check_real(alpha, "alpha", lo=0.0, hi=1.0)
    pi_new = (1.0 - alpha_used) * pi + alpha_used * pi_prime  # Eq. (5)
    objective = surrogate_of(ev, pi_new) - 2.0 * eps_prime * g * alpha_used**2 / (1.0 - g) ** 2  # Eq. (6)
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

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds import trust_region_step
    >>> m = T.two_state(0.9); pi = T.uniform(m)
    >>> fast = trust_region_step(m, pi, delta=0.01)
    >>> ref = trust_region_step(m, pi, delta=0.01, solver="cvxpy")
    >>> bool(np.allclose(fast.pi_new, ref.pi_new, atol=1e-5)), bool(fast.kl_max <= 0.01 + 1e-12)
    (True, True)
    >>> mean = trust_region_step(m, pi, delta=0.01, constraint="mean")  # Eq. (12)
    >>> print(f"{mean.kl_mean:.6f}", mean.surrogate >= fast.surrogate)
    0.010000 True
    """
    mdp, pi, ev = _prepare(mdp, pi, ev)
    delta = check_real(delta, "delta", positive=True)
    if constraint == "max":
        sol = max_kl(Problem.from_evaluation(ev), delta, solver=solver)  # Eq. (11)
        info = {"constraint": "max", "delta": delta, "mu": sol.info["mu"]}
    elif constraint == "mean":
        w = _weights(weights, ev)
        sol = mean_kl(Problem.from_evaluation(ev), w, delta, solver=solver)  # Eq. (12)
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

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds import kl_penalty_step
    >>> m = T.two_state(0.9); pi = T.uniform(m)
    >>> fast = kl_penalty_step(m, pi, c=1.0)
    >>> ref = kl_penalty_step(m, pi, c=1.0, solver="cvxpy")
    >>> bool(np.allclose(fast.pi_new, ref.pi_new, atol=1e-5)), fast.surrogate >= fast.eta
    (True, True)
    """
    mdp, pi, ev = _prepare(mdp, pi, ev)
    c = check_real(c, "c", lo=0.0)
    w = np.ones(mdp.n_states) if weights is None else _weights(weights, ev)
    sol = kl_penalty(Problem.from_evaluation(ev), c * w, solver=solver)
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

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds import npg_step
    >>> m = T.two_state(0.9); pi = T.uniform(m); ev = T.evaluate(m, pi)
    >>> r = npg_step(m, pi, step=1.0)
    >>> closed = pi * np.exp(1.0 * ev.A / (1 - 0.9))  # pi exp(step A / (1-gamma)), normalized
    >>> bool(np.allclose(r.pi_new, closed / closed.sum(axis=1, keepdims=True)))
    True
    """
    mdp, pi, ev = _prepare(mdp, pi, ev)
    step = check_real(step, "step", lo=0.0)
    tau = np.inf if step == 0 else (1.0 - mdp.gamma) / step
    # a tau below eps_mach^2 * eps (a step near the largest float) is the greedy limit to round-off;
    # solved at that floor so that A / tau cannot overflow (as mm_step does with a negligible C)
    floor = NEGLIGIBLE_C * epsilon_of(ev)
    tau_solve = max(tau, floor) if floor > 0 else (tau if tau > 0 else np.inf)  # A = 0: pi is the answer
    sol = reverse_kl_penalty(Problem.from_evaluation(ev), tau_solve, solver=solver)  # Eq. (17)
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

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds import pg_step
    >>> m = T.two_state(0.9); pi = T.uniform(m)
    >>> r = pg_step(m, pi, step=1.0)
    >>> theta = r.info["theta_new"]
    >>> p = np.exp(theta - theta.max(axis=1, keepdims=True))
    >>> bool(np.allclose(r.pi_new, p / p.sum(axis=1, keepdims=True))), T.evaluate(m, r.pi_new).eta > r.eta
    (True, True)
    """
    mdp, pi, ev = _prepare(mdp, pi, ev)
    step = check_real(step, "step", lo=0.0)
    if np.any(pi <= 0):
        s, a = np.argwhere(pi <= 0)[0]
        raise ValueError(f"pg_step needs a full-support pi (theta = log pi); pi[{s}, {a}] = 0")
    grad = ev.rho[:, None] * pi * ev.A  # d eta / d theta (THEORY.md §2)
    theta_new = np.log(pi) + step * grad
    pi_new = softmax(theta_new)
    return _result(mdp, pi, ev, pi_new, surrogate_of(ev, pi_new), step, "closed-form",
                   {"gradient": grad, "theta_new": theta_new})


def pi_step(mdp: MDP, pi, ev: Evaluation | None = None) -> StepResult:
    """Policy iteration: ``pi_new = greedy(Q_pi)`` (argmax, lowest index on ties), the unconstrained
    argmax of ``L_pi`` (Section 7 of [TRPO]). ``multiplier = 0`` (no penalty); ``objective = L_pi(pi_new)``.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds import pi_step
    >>> m = T.two_state(0.9); pi = T.uniform(m)
    >>> r = pi_step(m, pi)
    >>> r.pi_new.tolist(), r.tv_max
    ([[0.0, 1.0], [1.0, 0.0]], 0.5)
    >>> bool(np.array_equal(r.pi_new, T.greedy(T.evaluate(m, pi).Q)))
    True
    """
    mdp, pi, ev = _prepare(mdp, pi, ev)
    pi_new = greedy(ev.Q)
    return _result(mdp, pi, ev, pi_new, surrogate_of(ev, pi_new), 0.0, "closed-form")


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

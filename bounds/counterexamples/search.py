"""Search for an instance ``(mdp, pi, pi_new)`` violating a claimed lower bound on ``eta(pi_new)``.

A claim is any function ``candidate(mdp, pi, pi_new)`` returning the claimed lower bound (a float,
or an object with an ``rhs`` attribute such as :class:`bounds.inequalities.BoundResult`). Each
restart draws a starting point (transition structure, rewards, discount, policy logits) and
minimizes the scale-free relative slack::

    f = (eta(pi_new) - rhs) / (|eta(pi_new) - eta(pi)| + |rhs - eta(pi)| + 1e-10 scale),
    scale = max(1, max|R| / (1 - gamma))

with a local method: Nelder-Mead (scipy) or CMA-ES (the ``cma`` package). ``f < 0`` is a
violation; ``f`` is invariant under rescaling the rewards, so flat regions of tiny values do not
hide violations; the ``1e-10 scale`` term keeps round-off-sized differences from counting.
``eta`` is the value of Eq. (2)/(3) of [TRPO], computed by :func:`tabular.evaluate`.

Every policy-improvement bound is tight to second order: ``eta(pi_new) - L`` and the penalty both vanish
like the square of the policy change, while the denominator of ``f`` vanishes like its first power, so
``f -> 0+`` as ``pi_new -> pi`` and a local method can slide into that trivial point. Half of the
restarts therefore minimize the *surrogate-relative* slack (:func:`surrogate_relative_slack`)::

    g = (eta(pi_new) - rhs) / (|eta(pi_new) - L| + |L - rhs| + 1e-8 scale)   in [-1, 1],

the ratio of second-order quantities (``L`` of Eq. (3)): with ``rhs = L - penalty``, ``g < 0`` exactly when
``L - eta(pi_new) > penalty``, and ``g`` decreases as ``(L - eta(pi_new)) / penalty`` grows, so ``g`` keeps
pointing at the instances on which the claim is tightest. The ``1e-8 scale`` term makes changes so small
that their second-order terms are round-off-sized unattractive (``g -> 0`` there), so the violations found
are large enough to shrink and certify.

A claim that raises or returns NaN on a valid instance has failed: the search stops and reports it
(``found=True``, ``failure`` says what happened), never as "no violation".
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from tabular.evaluation import evaluate, surrogate_of
from tabular.mdp import MDP
from tabular.policies import softmax

__all__ = ["ViolationSearch", "find_violation", "rhs_of", "relative_slack", "surrogate_relative_slack",
           "violation_atol", "METHODS", "OBJECTIVES", "ClaimFailure"]

#: Local methods a restart can use; ``"portfolio"`` alternates them across restarts.
METHODS = ("nelder-mead", "cma", "portfolio")
#: Objectives a restart can minimize; ``"auto"`` alternates them in pairs of restarts.
OBJECTIVES = ("value", "surrogate", "auto")
_BAD = 1e6  # objective value of an instance the claim cannot be evaluated on


@dataclass(frozen=True, eq=False)
class ViolationSearch:
    """Outcome of :func:`find_violation`, with the effort behind it.

    ``found`` is True when ``slack = eta(pi_new) - claimed_rhs < -atol`` (:func:`violation_atol`) on
    the returned instance, which can be replayed with ``candidate(result.mdp, result.pi, result.pi_new)``,
    or when the claim failed on it (raised or returned NaN; ``failure`` says how, ``slack`` is NaN).
    Otherwise the instance is the one of smallest relative slack seen. ``method`` is the local method
    of the restart that produced the instance. The effort: ``n_evaluations`` instances evaluated,
    ``n_restarts`` restarts, ``seconds`` of wall time, ``gamma_range`` and ``sizes`` searched, the
    ``methods`` and ``objectives`` used (see :meth:`effort`).

    Examples
    --------
    >>> from tabular import evaluate
    >>> from bounds.counterexamples import ViolationSearch, find_violation
    >>> def too_strong(mdp, pi, pi_new):  # planted: claims more than eta(pi_new) itself
    ...     return evaluate(mdp, pi_new).eta + 1.0
    >>> res = find_violation(too_strong, rng=0, n_restarts=1, maxiter=20, method="nelder-mead")
    >>> print(isinstance(res, ViolationSearch), res.found, f"{res.slack:.4f}", res.failure)
    True True -1.0000 None
    >>> print(f"{too_strong(res.mdp, res.pi, res.pi_new) - evaluate(res.mdp, res.pi_new).eta:.4f}")
    1.0000
    >>> print(res.effort()["restarts"], res.effort()["methods"])
    1 ('nelder-mead',)
    """

    found: bool
    slack: float
    rel_slack: float
    eta_new: float
    rhs: float
    mdp: MDP
    pi: np.ndarray
    pi_new: np.ndarray
    n_evaluations: int
    n_restarts: int
    method: str = "nelder-mead"
    seconds: float = 0.0
    failure: str | None = None
    gamma_range: tuple = (math.nan, math.nan)
    sizes: tuple = ()
    methods: tuple = ()
    objectives: tuple = ()
    transitions: bool = False

    def effort(self) -> dict:
        """The effort behind the answer: instances evaluated, restarts, seconds, discounts, sizes, methods."""
        return {"evaluations": self.n_evaluations, "restarts": self.n_restarts, "seconds": round(self.seconds, 2),
                "gamma_range": tuple(self.gamma_range), "sizes": tuple(self.sizes), "methods": tuple(self.methods),
                "objectives": tuple(self.objectives), "transitions optimized": self.transitions}

    def effort_text(self) -> str:
        """One line: ``"searched N instances in R restarts, T s, gamma in [a, b], sizes ..., methods ..."``."""
        lo, hi = self.gamma_range
        sizes = ", ".join(f"{S}x{A}" for S, A in self.sizes)
        return (f"searched {self.n_evaluations} instances in {self.n_restarts} restarts, {self.seconds:.1f} s, "
                f"gamma in [{lo:.4g}, {hi:.4g}], sizes {sizes}, methods {'/'.join(self.methods)}, "
                f"objectives {'/'.join(self.objectives)}" + (", transitions optimized" if self.transitions else ""))

    def __repr__(self) -> str:
        S, A = self.mdp.shape
        fail = "" if self.failure is None else f", failure={self.failure!r}"
        return (f"ViolationSearch(found={self.found}, slack={self.slack:.3g}, rel_slack={self.rel_slack:.3g}, "
                f"S={S}, A={A}, gamma={self.mdp.gamma:.4g}, restarts={self.n_restarts}, "
                f"evaluations={self.n_evaluations}, method={self.method!r}{fail})")


class ClaimFailure(Exception):
    """A claim raised or returned NaN on a valid instance (a failure of the claim, not of the search).

    Examples
    --------
    >>> from tabular import two_state, uniform
    >>> from bounds.counterexamples.search import ClaimFailure, surrogate_relative_slack
    >>> m = two_state(gamma=0.9)
    >>> try:
    ...     surrogate_relative_slack(lambda mdp, p, q: float("nan"), m, uniform(m), uniform(m))
    ... except ClaimFailure as err:
    ...     print(err)
    the claim returned NaN
    """


# ----------------------------------------------------------------------------- evaluation of a claim
def rhs_of(candidate, mdp: MDP, pi, pi_new) -> float:
    """The claimed lower bound as a float: ``candidate(...)`` or its ``rhs`` attribute.

    Examples
    --------
    >>> from tabular import two_state, uniform
    >>> from bounds import theorem1
    >>> from bounds.counterexamples.search import rhs_of
    >>> m = two_state(gamma=0.9)
    >>> pi, pi_new = uniform(m), [[0.6, 0.4], [0.3, 0.7]]
    >>> print(rhs_of(theorem1, m, pi, pi_new) == theorem1(m, pi, pi_new).rhs)
    True
    >>> print(rhs_of(lambda mdp, p, q: 1, m, pi, pi_new))
    1.0
    """
    out = candidate(mdp, pi, pi_new)
    return float(getattr(out, "rhs", out))


def violation_atol(mdp: MDP) -> float:
    """Round-off allowance for a violation: ``1e-12 * max(1, max|R| / (1-gamma))``.

    Examples
    --------
    >>> from tabular import two_state
    >>> from bounds.counterexamples.search import violation_atol
    >>> m = two_state(gamma=0.5)  # max|R| = 10, so 1e-12 * 10 / (1 - 0.5)
    >>> print(f"{violation_atol(m):.1e}")
    2.0e-11
    """
    return 1e-12 * max(1.0, float(np.max(np.abs(mdp.R))) / (1.0 - mdp.gamma))


def _scale(mdp: MDP) -> float:
    return max(1.0, float(np.max(np.abs(mdp.R))) / (1.0 - mdp.gamma))


def relative_slack(candidate, mdp: MDP, pi, pi_new) -> tuple[float, float, float]:
    """``(f, slack, rhs)``: the relative slack of the module docstring, ``eta(pi_new) - rhs`` and ``rhs``.

    An infinite ``rhs`` gives ``f = +-1e6`` (``-inf``: no claim; ``+inf``: violated everywhere).

    Examples
    --------
    >>> from tabular import evaluate, two_state, uniform
    >>> from bounds.counterexamples import claim_named
    >>> from bounds.counterexamples.search import relative_slack
    >>> m = two_state(gamma=0.9)
    >>> pi, pi_new = uniform(m), [[0.6, 0.4], [0.3, 0.7]]
    >>> f, slack, rhs = relative_slack(claim_named("theorem1"), m, pi, pi_new)
    >>> print(f >= 0, slack == evaluate(m, pi_new).eta - rhs)
    True True
    >>> print(relative_slack(lambda mdp, p, q: float("-inf"), m, pi, pi_new)[0])
    1000000.0
    """
    eta = evaluate(mdp, pi).eta
    eta_new = evaluate(mdp, pi_new).eta
    rhs = rhs_of(candidate, mdp, pi, pi_new)
    if math.isnan(rhs):
        return _BAD, math.nan, rhs
    if not math.isfinite(rhs):
        return (_BAD if rhs < 0 else -_BAD), eta_new - rhs, rhs
    return (eta_new - rhs) / (abs(eta_new - eta) + abs(rhs - eta) + 1e-10 * _scale(mdp)), eta_new - rhs, rhs


def _slacks(candidate, mdp: MDP, pi, pi_new, objective: str) -> tuple[float, float, float]:
    """``(objective value, slack, rhs)``; raises :class:`ClaimFailure` if the claim raises or gives NaN."""
    ev = evaluate(mdp, pi)
    eta_new = evaluate(mdp, pi_new).eta
    try:
        rhs = rhs_of(candidate, mdp, pi, pi_new)
    except Exception as exc:  # noqa: BLE001 -- whatever a claim raises on a valid instance is its failure
        raise ClaimFailure(f"the claim raised {type(exc).__name__}: {exc}") from exc
    if math.isnan(rhs):
        raise ClaimFailure("the claim returned NaN")
    if not math.isfinite(rhs):
        return (_BAD if rhs < 0 else -_BAD), eta_new - rhs, rhs
    if objective == "surrogate":
        L = surrogate_of(ev, pi_new)  # Eq. (3)
        den = abs(eta_new - L) + abs(L - rhs) + 1e-8 * _scale(mdp)
    else:
        den = abs(eta_new - ev.eta) + abs(rhs - ev.eta) + 1e-10 * _scale(mdp)
    return (eta_new - rhs) / den, eta_new - rhs, rhs


def surrogate_relative_slack(candidate, mdp: MDP, pi, pi_new) -> tuple[float, float, float]:
    """``(g, slack, rhs)``: the surrogate-relative slack ``g`` of the module docstring (in [-1, 1] when
    ``rhs`` is finite), ``eta(pi_new) - rhs`` and ``rhs``; raises :class:`ClaimFailure` on a NaN claim.

    Examples
    --------
    >>> from tabular import two_state, uniform
    >>> from bounds.counterexamples import claim_named
    >>> from bounds.counterexamples.search import surrogate_relative_slack
    >>> m = two_state(gamma=0.9)
    >>> pi, pi_new = uniform(m), [[0.6, 0.4], [0.3, 0.7]]
    >>> g, slack, rhs = surrogate_relative_slack(claim_named("theorem1"), m, pi, pi_new)
    >>> print(0 <= g <= 1, slack >= 0)
    True True
    """
    return _slacks(candidate, mdp, pi, pi_new, "surrogate")


# ----------------------------------------------------------------------------- one restart's search space
@dataclass(frozen=True, eq=False)
class _Space:
    """The parameters of one restart and how a vector ``x`` maps to ``(mdp, pi, pi_new)``.

    ``x = [pi logits (S*A), pi_new logits (S*A), rewards (S*A, tanh-squashed), gamma (sigmoid into
    gamma_range), transition logits (S*A*S)]``, each block present only when optimized.
    """

    P: np.ndarray
    R: np.ndarray
    rho0: np.ndarray
    gamma: float
    lo: float
    hi: float
    rewards: bool
    discount: bool
    transitions: bool

    @property
    def shape(self):
        return self.R.shape

    def pack(self, theta, theta_new) -> np.ndarray:
        parts = [theta.ravel(), theta_new.ravel()]
        if self.rewards:
            parts.append(np.arctanh(np.clip(self.R.ravel(), -0.999, 0.999)))
        if self.discount:
            g = min(max(self.gamma, self.lo + 1e-9), self.hi - 1e-9)
            parts.append([math.log((g - self.lo) / (self.hi - g))])
        if self.transitions:
            parts.append(np.log(self.P + 1e-3).ravel())
        return np.concatenate(parts)

    def unpack(self, x):
        S, A = self.shape
        n = S * A
        pi, pn = softmax(x[:n].reshape(S, A)), softmax(x[n:2 * n].reshape(S, A))
        k = 2 * n
        R = self.R
        if self.rewards:
            R, k = np.tanh(x[k:k + n]).reshape(S, A), k + n
        g = self.gamma
        if self.discount:
            g, k = self.lo + (self.hi - self.lo) * 0.5 * (1.0 + math.tanh(0.5 * x[k])), k + 1
        P = self.P
        if self.transitions:
            z = x[k:k + n * S].reshape(S, A, S)
            P = np.exp(z - z.max(axis=2, keepdims=True))
            P /= P.sum(axis=2, keepdims=True)
        return MDP(P, R, self.rho0, g), pi, pn


def _structure(rng, S, A, kind: str):
    """Random transitions: ``"deterministic"`` (absorbing states likely) or ``"branching"`` (2 successors)."""
    P = np.zeros((S, A, S))
    if kind == "deterministic":
        P[np.arange(S)[:, None], np.arange(A)[None, :], rng.integers(S, size=(S, A))] = 1.0
        return P
    for s in range(S):
        for a in range(A):
            t = rng.choice(S, size=min(2, S), replace=False)
            P[s, a, t] = rng.dirichlet(np.ones(t.size))
    return P


def _draw_start(rng, restart, S, A, template, lo, hi, rewards, discount, transitions):
    """The search space and starting vector of one restart (structures and gamma draws alternate)."""
    kind = ("deterministic", "deterministic", "branching")[restart % 3] if rng.random() < 0.9 else "branching"
    if template is not None:
        P, rho0, R0, g0 = template.dense_P(), template.rho0, np.asarray(template.R), template.gamma
    else:
        P, rho0, R0 = _structure(rng, S, A, kind), np.eye(S)[0], rng.uniform(-1, 1, size=(S, A))
        g0 = None
    if g0 is None or discount:
        if restart % 2 == 0:  # log-uniform (small gamma well covered), then uniform (large gamma)
            g0 = math.exp(rng.uniform(math.log(max(lo, 1e-6)), math.log(hi)))
        else:
            g0 = rng.uniform(lo, hi)
    space = _Space(P, R0, rho0, g0, lo, hi, rewards, discount, transitions)
    x0 = space.pack(rng.normal(0, 2, (S, A)), rng.normal(0, 2, (S, A)))
    return space, x0


# ----------------------------------------------------------------------------- local minimization
class _Stop(Exception):
    pass


class _Tracker:
    """The objective of one restart: counts evaluations, keeps the best point, enforces the deadline,
    and stops at the first instance on which the claim fails (``failure``)."""

    def __init__(self, candidate, space: _Space, deadline: float, stop_below: float | None, objective: str = "value"):
        self.candidate, self.space, self.deadline, self.stop_below = candidate, space, deadline, stop_below
        self.objective = objective
        self.n, self.best_f, self.best_x, self.failure = 0, math.inf, None, None

    def __call__(self, x) -> float:
        if self.n % 32 == 0 and time.perf_counter() > self.deadline:
            raise _Stop
        self.n += 1
        try:
            inst = self.space.unpack(np.asarray(x, dtype=float))
        except (ValueError, FloatingPointError, ZeroDivisionError, OverflowError):
            return _BAD  # the search's own parametrization left the valid instances
        try:
            f = _slacks(self.candidate, *inst, self.objective)[0]
        except ClaimFailure as exc:
            self.failure, self.best_x, self.best_f = str(exc), np.array(x, dtype=float), -math.inf
            raise _Stop
        except (np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError, OverflowError):
            f = _BAD
        if not math.isfinite(f):
            f = _BAD
        if f < self.best_f:
            self.best_f, self.best_x = f, np.array(x, dtype=float)
        if self.stop_below is not None and f < self.stop_below:
            raise _Stop
        return f


def _nelder_mead(track: _Tracker, x0, maxiter: int) -> None:
    minimize(track, x0, method="Nelder-Mead",
             options=dict(maxiter=maxiter, maxfev=2 * maxiter, xatol=1e-10, fatol=1e-12))


def _cma(track: _Tracker, x0, maxiter: int, seed: int) -> None:
    import cma

    es = cma.CMAEvolutionStrategy(x0, 1.0, {"maxfevals": 2 * maxiter, "verbose": -9, "seed": seed,
                                            "tolfun": 1e-13, "tolx": 1e-11})
    while not es.stop():
        xs = es.ask()
        es.tell(xs, [track(x) for x in xs])


def _local_minimize(track: _Tracker, x0, method: str, maxiter: int, seed: int) -> None:
    """Run ``method`` from ``x0``; the tracker keeps the best point even when stopped early."""
    try:
        if method == "cma":
            _cma(track, x0, maxiter, seed)
        else:
            _nelder_mead(track, x0, maxiter)
    except _Stop:
        pass
    if track.best_x is None:
        track.best_x, track.best_f = np.asarray(x0, dtype=float), _BAD


def _result_of(candidate, track: _Tracker, method: str, n_evals: int, restarts: int, t0: float):
    m, p, q = track.space.unpack(track.best_x)
    eta_new = evaluate(m, q).eta
    if track.failure is not None:
        return ViolationSearch(True, math.nan, -math.inf, float(eta_new), math.nan, m, p, q, n_evals, restarts,
                               method, time.perf_counter() - t0, failure=track.failure)
    try:
        f, slack, rhs = _slacks(candidate, m, p, q, track.objective)
    except ClaimFailure as exc:
        return ViolationSearch(True, math.nan, -math.inf, float(eta_new), math.nan, m, p, q, n_evals, restarts,
                               method, time.perf_counter() - t0, failure=str(exc))
    except (np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError, OverflowError):
        f, slack, rhs = _BAD, math.inf, -math.inf
    if track.objective == "surrogate" and math.isfinite(rhs):  # report the value-relative slack everywhere
        f = relative_slack(candidate, m, p, q)[0]
    return ViolationSearch(
        found=bool(slack < -violation_atol(m)), slack=float(slack), rel_slack=float(f), eta_new=float(eta_new),
        rhs=float(rhs), mdp=m, pi=p, pi_new=q, n_evaluations=n_evals, n_restarts=restarts, method=method,
        seconds=time.perf_counter() - t0,
    )


def _better(cand: ViolationSearch, best: ViolationSearch | None) -> bool:
    if best is None or (cand.found and not best.found):
        return True
    return cand.found == best.found and cand.rel_slack < best.rel_slack


def _int_arg(name, v, lo, allow_none=False):
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {lo}{' or None' if allow_none else ''}, "
                        f"got {type(v).__name__} {v!r}")
    if v < lo:
        raise ValueError(f"{name} must be >= {lo}, got {v}")
    return int(v)


def _gamma_range(gamma_range) -> tuple[float, float]:
    if isinstance(gamma_range, (str, bytes)) or not hasattr(gamma_range, "__len__") or len(gamma_range) != 2:
        raise TypeError(f"gamma_range must be a pair of numbers (lo, hi), got {type(gamma_range).__name__} "
                        f"{gamma_range!r}")
    try:
        lo, hi = (float(v) for v in gamma_range)
    except (TypeError, ValueError):
        raise TypeError(f"gamma_range must be a pair of numbers (lo, hi), got {gamma_range!r}") from None
    if not (0.0 <= lo < hi < 1.0):
        raise ValueError(f"gamma_range must satisfy 0 <= lo < hi < 1, got {gamma_range}")
    return lo, hi


def _check_args(candidate, n_restarts, gamma_range, method, time_budget, n_states, n_actions, template,
                maxiter, objective, flags):
    """Validate every argument of :func:`find_violation` (each error names its argument)."""
    if not callable(candidate):
        raise TypeError(f"candidate_bound must be callable (mdp, pi, pi_new) -> bound, got {type(candidate).__name__}")
    n_restarts = _int_arg("n_restarts", n_restarts, 1, allow_none=True)
    if time_budget is not None:
        if isinstance(time_budget, bool) or not isinstance(time_budget, (int, float, np.integer, np.floating)):
            raise TypeError(f"time_budget must be a number of seconds or None, got {type(time_budget).__name__}")
        if not (math.isfinite(time_budget) and time_budget > 0):
            raise ValueError(f"time_budget must be a positive finite number of seconds, got {time_budget}")
    if n_restarts is None and time_budget is None:
        raise ValueError("n_restarts: give n_restarts or time_budget (both None would never stop)")
    lo, hi = _gamma_range(gamma_range)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    if template is not None and not isinstance(template, MDP):
        raise TypeError(f"template must be a tabular.MDP, got {type(template).__name__}")
    if template is None:
        _int_arg("n_states", n_states, 1)
        _int_arg("n_actions", n_actions, 1)
    _int_arg("maxiter", maxiter, 1)
    for name, v in flags.items():
        if name == "optimize_transitions" and isinstance(v, str) and v == "auto":
            continue
        if not isinstance(v, (bool, np.bool_)):
            also = " or 'auto'" if name == "optimize_transitions" else ""
            raise TypeError(f"{name} must be True or False{also}, got {type(v).__name__} {v!r}")
    return lo, hi


def find_violation(
    candidate_bound,
    rng=None,
    n_restarts: int | None = 30,
    n_states: int = 3,
    n_actions: int = 2,
    template: MDP | None = None,
    optimize_gamma: bool = True,
    optimize_rewards: bool = True,
    gamma_range: tuple[float, float] = (1e-3, 0.99),
    maxiter: int = 600,
    stop_at_first: bool = True,
    method: str = "portfolio",
    optimize_transitions: bool | str = "auto",
    time_budget: float | None = None,
    objective: str = "auto",
) -> ViolationSearch:
    """Search for an instance where ``eta(pi_new) < candidate_bound(mdp, pi, pi_new)``.

    Each restart draws a transition structure (deterministic or 2-branching, alternating; or uses
    ``template``'s), then minimizes a relative slack of :mod:`.search` over the softmax logits of
    ``pi`` and ``pi_new``, the rewards (``tanh``-squashed to [-1, 1]), ``gamma`` (sigmoid-squashed
    into ``gamma_range``; starts alternate log-uniform and uniform) and, with
    ``optimize_transitions``, the transition logits.

    Parameters
    ----------
    candidate_bound : callable ``(mdp, pi, pi_new) -> float`` or an object with ``rhs``.
    method : ``"nelder-mead"``, ``"cma"`` (CMA-ES) or ``"portfolio"`` (alternate both; the default).
    objective : ``"value"`` (the relative slack ``f``), ``"surrogate"`` (the surrogate-relative slack ``g``)
        or ``"auto"`` (the default: pairs of restarts alternate them).
    n_restarts, time_budget : stop after this many restarts or seconds, whichever comes first
        (``n_restarts=None`` means only the time budget counts).
    stop_at_first : return as soon as a restart ends with a violation.
    optimize_transitions : True, False or ``"auto"`` (the default: restarts 4-7, 12-15, ... also optimize the
        transition logits; the others keep the drawn structure). Some violations need a transition
        structure no draw gives: e.g. the CPO-KL bound with a quarter of its penalty near gamma = 1 is
        violated by -0.19 with optimized transitions, while 30 restarts on drawn structures reach only
        -2e-12, below round-off.

    Returns a :class:`ViolationSearch`; a claim that raises or returns NaN is reported as found, with
    ``failure`` saying what happened, and its :meth:`~ViolationSearch.effort` records the search behind it.


    Examples
    --------
    >>> from tabular import evaluate
    >>> from bounds.counterexamples import find_violation
    >>> def too_strong(mdp, pi, pi_new):  # planted: claims more than eta(pi_new) itself
    ...     return evaluate(mdp, pi_new).eta + 1.0
    >>> res = find_violation(too_strong, rng=0, n_restarts=1, maxiter=20, method="nelder-mead")
    >>> print(res.found, f"{res.slack:.4f}", res.n_restarts)
    True -1.0000 1
    >>> def broken(mdp, pi, pi_new):
    ...     raise RuntimeError("oops")
    >>> res = find_violation(broken, rng=0, n_restarts=1, maxiter=20)
    >>> print(res.found, res.failure)
    True the claim raised RuntimeError: oops
    """
    flags = dict(optimize_gamma=optimize_gamma, optimize_rewards=optimize_rewards, stop_at_first=stop_at_first,
                 optimize_transitions=optimize_transitions)
    lo, hi = _check_args(candidate_bound, n_restarts, gamma_range, method, time_budget, n_states, n_actions,
                         template, maxiter, objective, flags)
    rng = np.random.default_rng(rng)
    t0 = time.perf_counter()
    deadline = math.inf if time_budget is None else t0 + float(time_budget)
    S, A = template.shape if template is not None else (int(n_states), int(n_actions))
    best, n_evals, restart, methods, objectives, any_trans = None, 0, 0, [], [], False
    while (n_restarts is None or restart < int(n_restarts)) and time.perf_counter() < deadline:
        trans = (restart // 4) % 2 == 1 if isinstance(optimize_transitions, str) else bool(optimize_transitions)
        any_trans = any_trans or trans
        space, x0 = _draw_start(rng, restart, S, A, template, lo, hi, optimize_rewards, optimize_gamma, trans)
        m = "cma" if method == "cma" or (method == "portfolio" and restart % 2 == 1) else "nelder-mead"
        obj = objective if objective != "auto" else ("value", "surrogate")[(restart // 2) % 2]
        track = _Tracker(candidate_bound, space, deadline, -1e-3 if stop_at_first and m == "cma" else None, obj)
        _local_minimize(track, x0, m, int(maxiter), int(rng.integers(1, 2**31 - 1)))
        n_evals += track.n
        restart += 1
        methods += [m] if m not in methods else []
        objectives += [obj] if obj not in objectives else []
        cand = _result_of(candidate_bound, track, m, n_evals, restart, t0)
        if _better(cand, best):
            best = cand
        if cand.failure is not None or (best.found and stop_at_first):
            best = cand if cand.failure is not None else best
            break
    if best is None:  # the time budget ran out before the first restart finished drawing
        raise ValueError(f"time_budget={time_budget} s is too small for one restart")
    return ViolationSearch(**{**best.__dict__, "n_evaluations": n_evals, "n_restarts": restart,
                              "seconds": time.perf_counter() - t0, "gamma_range": (lo, hi), "sizes": ((S, A),),
                              "methods": tuple(methods), "objectives": tuple(objectives),
                              "transitions": any_trans})

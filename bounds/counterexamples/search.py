"""Search for an instance ``(mdp, pi, pi_new)`` violating a claimed lower bound on ``eta(pi_new)``.

A claim is any function ``candidate(mdp, pi, pi_new)`` returning the claimed lower bound (a float,
or an object with an ``rhs`` attribute such as :class:`bounds.inequalities.BoundResult`). Each
restart draws a starting point (transition structure, rewards, discount, policy logits) and
minimizes the scale-free relative slack

    f = (eta(pi_new) - rhs) / (|eta(pi_new) - eta(pi)| + |rhs - eta(pi)| + 1e-10 scale),
    scale = max(1, max|R| / (1 - gamma))

with a local method: Nelder-Mead (scipy) or CMA-ES (the ``cma`` package). ``f < 0`` is a
violation; ``f`` is invariant under rescaling the rewards, so flat regions of tiny values do not
hide violations; the ``1e-10 scale`` term keeps round-off-sized differences from counting.
``eta`` is the value of Eq. (2)/(3) of [TRPO], computed by :func:`tabular.evaluate`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from tabular.evaluation import evaluate
from tabular.mdp import MDP
from tabular.policies import softmax

__all__ = ["ViolationSearch", "find_violation", "rhs_of", "relative_slack", "violation_atol", "METHODS"]

#: Local methods a restart can use; ``"portfolio"`` alternates them across restarts.
METHODS = ("nelder-mead", "cma", "portfolio")
_BAD = 1e6  # objective value of an instance the claim cannot be evaluated on


@dataclass(frozen=True, eq=False)
class ViolationSearch:
    """Outcome of :func:`find_violation`.

    ``found`` is True when ``slack = eta(pi_new) - claimed_rhs < -atol`` (:func:`violation_atol`) on
    the returned instance, which can be replayed with ``candidate(result.mdp, result.pi, result.pi_new)``.
    Otherwise the instance is the one of smallest relative slack seen. ``method`` is the local method
    of the restart that produced the instance.
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

    def __repr__(self) -> str:
        S, A = self.mdp.shape
        return (f"ViolationSearch(found={self.found}, slack={self.slack:.3g}, rel_slack={self.rel_slack:.3g}, "
                f"S={S}, A={A}, gamma={self.mdp.gamma:.4g}, restarts={self.n_restarts}, method={self.method!r})")


# ----------------------------------------------------------------------------- evaluation of a claim
def rhs_of(candidate, mdp: MDP, pi, pi_new) -> float:
    """The claimed lower bound as a float: ``candidate(...)`` or its ``rhs`` attribute."""
    out = candidate(mdp, pi, pi_new)
    return float(getattr(out, "rhs", out))


def violation_atol(mdp: MDP) -> float:
    """Round-off allowance for a violation: ``1e-12 * max(1, max|R| / (1-gamma))``."""
    return 1e-12 * max(1.0, float(np.max(np.abs(mdp.R))) / (1.0 - mdp.gamma))


def relative_slack(candidate, mdp: MDP, pi, pi_new) -> tuple[float, float, float]:
    """``(f, slack, rhs)``: the relative slack of the module docstring, ``eta(pi_new) - rhs`` and ``rhs``.

    An infinite ``rhs`` gives ``f = +-1e6`` (``-inf``: no claim; ``+inf``: violated everywhere).
    """
    eta = evaluate(mdp, pi).eta
    eta_new = evaluate(mdp, pi_new).eta
    rhs = rhs_of(candidate, mdp, pi, pi_new)
    if math.isnan(rhs):
        return _BAD, math.nan, rhs
    if not math.isfinite(rhs):
        return (_BAD if rhs < 0 else -_BAD), eta_new - rhs, rhs
    scale = max(1.0, float(np.max(np.abs(mdp.R))) / (1.0 - mdp.gamma))
    return (eta_new - rhs) / (abs(eta_new - eta) + abs(rhs - eta) + 1e-10 * scale), eta_new - rhs, rhs


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
    """The objective of one restart: counts evaluations, keeps the best point, enforces the deadline."""

    def __init__(self, candidate, space: _Space, deadline: float, stop_below: float | None):
        self.candidate, self.space, self.deadline, self.stop_below = candidate, space, deadline, stop_below
        self.n, self.best_f, self.best_x = 0, math.inf, None

    def __call__(self, x) -> float:
        if self.n % 32 == 0 and time.perf_counter() > self.deadline:
            raise _Stop
        self.n += 1
        try:
            f = relative_slack(self.candidate, *self.space.unpack(np.asarray(x, dtype=float)))[0]
        except (ValueError, FloatingPointError, ZeroDivisionError, OverflowError):
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
    try:
        f, slack, rhs = relative_slack(candidate, m, p, q)
    except (ValueError, FloatingPointError, ZeroDivisionError, OverflowError):
        f, slack, rhs = _BAD, math.inf, -math.inf
    eta_new = evaluate(m, q).eta
    return ViolationSearch(
        found=bool(slack < -violation_atol(m)), slack=float(slack), rel_slack=float(f), eta_new=float(eta_new),
        rhs=float(rhs), mdp=m, pi=p, pi_new=q, n_evaluations=n_evals, n_restarts=restarts, method=method,
        seconds=time.perf_counter() - t0,
    )


def _better(cand: ViolationSearch, best: ViolationSearch | None) -> bool:
    if best is None or (cand.found and not best.found):
        return True
    return cand.found == best.found and cand.rel_slack < best.rel_slack


def _check_args(n_restarts, gamma_range, method, time_budget, n_states, n_actions, template):
    if n_restarts is not None and int(n_restarts) < 1:
        raise ValueError(f"n_restarts must be >= 1, got {n_restarts}")
    if n_restarts is None and time_budget is None:
        raise ValueError("n_restarts: give n_restarts or time_budget (both None would never stop)")
    lo, hi = gamma_range
    if not (0.0 <= lo < hi < 1.0):
        raise ValueError(f"gamma_range must satisfy 0 <= lo < hi < 1, got {gamma_range}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if time_budget is not None and not (time_budget > 0):
        raise ValueError(f"time_budget must be a positive number of seconds, got {time_budget}")
    if template is not None and not isinstance(template, MDP):
        raise TypeError(f"template must be a tabular.MDP, got {type(template).__name__}")
    if template is None and (int(n_states) < 1 or int(n_actions) < 1):
        raise ValueError(f"n_states and n_actions must be >= 1, got {n_states}, {n_actions}")


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
    method: str = "nelder-mead",
    optimize_transitions: bool = False,
    time_budget: float | None = None,
) -> ViolationSearch:
    """Search for an instance where ``eta(pi_new) < candidate_bound(mdp, pi, pi_new)``.

    Each restart draws a transition structure (deterministic or 2-branching, alternating; or uses
    ``template``'s), then minimizes the relative slack of :mod:`.search` over the softmax logits of
    ``pi`` and ``pi_new``, the rewards (``tanh``-squashed to [-1, 1]), ``gamma`` (sigmoid-squashed
    into ``gamma_range``; starts alternate log-uniform and uniform) and, with
    ``optimize_transitions``, the transition logits.

    Parameters
    ----------
    candidate_bound : callable ``(mdp, pi, pi_new) -> float`` or an object with ``rhs``.
    method : ``"nelder-mead"``, ``"cma"`` (CMA-ES) or ``"portfolio"`` (alternate both).
    n_restarts, time_budget : stop after this many restarts or seconds, whichever comes first
        (``n_restarts=None`` means only the time budget counts).
    stop_at_first : return as soon as a restart ends with a violation.
    """
    _check_args(n_restarts, gamma_range, method, time_budget, n_states, n_actions, template)
    rng = np.random.default_rng(rng)
    t0 = time.perf_counter()
    deadline = math.inf if time_budget is None else t0 + float(time_budget)
    S, A = template.shape if template is not None else (int(n_states), int(n_actions))
    lo, hi = map(float, gamma_range)
    best, n_evals, restart = None, 0, 0
    while (n_restarts is None or restart < int(n_restarts)) and time.perf_counter() < deadline:
        space, x0 = _draw_start(rng, restart, S, A, template, lo, hi, optimize_rewards, optimize_gamma,
                                optimize_transitions)
        m = "cma" if method == "cma" or (method == "portfolio" and restart % 2 == 1) else "nelder-mead"
        track = _Tracker(candidate_bound, space, deadline, -1e-3 if stop_at_first and m == "cma" else None)
        _local_minimize(track, x0, m, maxiter, int(rng.integers(1, 2**31 - 1)))
        n_evals += track.n
        restart += 1
        cand = _result_of(candidate_bound, track, m, n_evals, restart, t0)
        if _better(cand, best):
            best = cand
        if best.found and stop_at_first:
            break
    if best is None:  # the time budget ran out before the first restart finished drawing
        raise ValueError(f"time_budget={time_budget} s is too small for one restart")
    return ViolationSearch(**{**best.__dict__, "n_evaluations": n_evals, "n_restarts": restart,
                              "seconds": time.perf_counter() - t0})

"""Known non-theorems (THEORY.md §6) as data, and a search for violations of claimed bounds.

Three plausible-looking statements are false, each shown on the MDP X of THEORY.md §6
(:func:`tabular.zoo.mdp_x`):

1. the mean-KL form ``eta(pi_new) >= L - C sum_s rho(s) KL(s)`` (the max of Eq. (9) replaced by a mean);
2. the quadratic mean-TV forms ``L - C E_d[TV^2]`` and ``L - C (E_d TV)^2``;
3. "a larger surrogate means a larger eta".

:func:`find_violation` searches for an instance violating any claimed lower bound by random
restarts plus local optimization (Nelder-Mead) over policies, discount and rewards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from tabular import divergences as dv
from tabular.evaluation import evaluate, surrogate_of
from tabular.validation import as_policy
from tabular.mdp import MDP
from tabular.policies import softmax, uniform
from tabular.zoo import mdp_x

from .inequalities import theory_C

__all__ = [
    "mean_kl_candidate",
    "mean_tv_squared_candidate",
    "squared_mean_tv_candidate",
    "Counterexample",
    "known_counterexamples",
    "ViolationSearch",
    "find_violation",
]


# ----------------------------------------------------------------------------- candidate "bounds"
def _L_and_ev(mdp, pi, pi_new):
    if not isinstance(mdp, MDP):
        raise TypeError(f"mdp must be a tabular.MDP, got {type(mdp).__name__}")
    pi_new = as_policy(pi_new, mdp.n_states, mdp.n_actions, name="pi_new")
    ev = evaluate(mdp, pi)
    L = surrogate_of(ev, pi_new)  # Eq. (3)
    return L, ev


def mean_kl_candidate(mdp: MDP, pi, pi_new, weights: str = "rho") -> float:
    """The FALSE mean-KL form ``L_pi(pi_new) - C sum_s w(s) KL(pi(.|s) || pi_new(.|s))``.

    ``weights="rho"`` (unnormalized, as in Eq. (12)) or ``"d"`` (normalized). ``C = 4 eps gamma/(1-gamma)^2``.
    THEORY.md §6: violated on MDP X at gamma = 0.01.
    """
    L, ev = _L_and_ev(mdp, pi, pi_new)
    w = ev.rho if weights == "rho" else ev.d
    return L - dv.penalty_product(theory_C(mdp, pi, ev=ev), dv.mean_kl(pi, pi_new, w))


def mean_tv_squared_candidate(mdp: MDP, pi, pi_new) -> float:
    """The FALSE form ``L - C E_{s~d}[D_TV(s)^2]`` (THEORY.md §6)."""
    L, ev = _L_and_ev(mdp, pi, pi_new)
    return L - theory_C(mdp, pi, ev=ev) * dv.weighted_mean(dv.tv(pi, pi_new) ** 2, ev.d)


def squared_mean_tv_candidate(mdp: MDP, pi, pi_new) -> float:
    """The FALSE form ``L - C (E_{s~d} D_TV(s))^2`` (THEORY.md §6)."""
    L, ev = _L_and_ev(mdp, pi, pi_new)
    return L - theory_C(mdp, pi, ev=ev) * dv.mean_tv(pi, pi_new, ev.d) ** 2


# ----------------------------------------------------------------------------- known counterexamples
@dataclass(frozen=True, eq=False)
class Counterexample:
    """A replayable instance refuting ``claim``.

    ``values`` holds the numbers that show it (e.g. ``eta_new`` and the claimed lower bound).
    ``violated`` is recomputed from the instance, not stored by hand.
    """

    name: str
    claim: str
    mdp: MDP
    pi: np.ndarray
    pi_new: np.ndarray
    values: dict
    violated: bool


def _x_policy(s0, s2, s1=(0.5, 0.5)):
    return np.array([s0, s1, s2], dtype=np.float64)


def known_counterexamples() -> list[Counterexample]:
    """The three non-theorems of THEORY.md §6 on MDP X, each recomputed exactly."""
    out = []
    # 1. mean-KL form, gamma = 0.01
    m = mdp_x(0.01)
    pi = uniform(m)
    pn = _x_policy((0.45, 0.55), (0.2, 0.8))
    eta_new = evaluate(m, pn).eta
    rhs_rho = mean_kl_candidate(m, pi, pn, "rho")
    rhs_d = mean_kl_candidate(m, pi, pn, "d")
    L, ev = _L_and_ev(m, pi, pn)
    rhs_max = L - theory_C(m, pi, ev=ev) * dv.max_kl(pi, pn)
    out.append(Counterexample(
        "mean_kl", "eta(pi_new) >= L_pi(pi_new) - C * mean_rho KL(pi || pi_new)", m, pi, pn,
        dict(eta_new=eta_new, surrogate=L, rhs_mean_rho=rhs_rho, rhs_mean_d=rhs_d, rhs_max_kl=rhs_max),
        violated=bool(eta_new < rhs_rho and eta_new < rhs_d),
    ))
    # 2. quadratic mean-TV forms, gamma = 0.9
    m = mdp_x(0.9)
    pi = _x_policy((0.9999, 0.0001), (0.5, 0.5))
    pn = _x_policy((0.9899, 0.0101), (0.1, 0.9))
    eta_new = evaluate(m, pn).eta
    r1 = mean_tv_squared_candidate(m, pi, pn)
    r2 = squared_mean_tv_candidate(m, pi, pn)
    out.append(Counterexample(
        "mean_tv_quadratic", "eta(pi_new) >= L - C E_d[TV^2]  and  >= L - C (E_d TV)^2", m, pi, pn,
        dict(eta_new=eta_new, rhs_mean_tv_squared=r1, rhs_squared_mean_tv=r2),
        violated=bool(eta_new < r1 and eta_new < r2),
    ))
    # 3. larger L does not mean larger eta, gamma = 0.9
    pi = _x_policy((0.99, 0.01), (0.99, 0.01))
    pn = _x_policy((0.5, 0.5), (0.01, 0.99))
    ev = evaluate(m, pi)
    L, _ = _L_and_ev(m, pi, pn)
    eta_new = evaluate(m, pn).eta
    out.append(Counterexample(
        "surrogate_not_monotone", "L_pi(pi_new) > L_pi(pi) = eta(pi) implies eta(pi_new) > eta(pi)", m, pi, pn,
        dict(eta=ev.eta, surrogate=L, eta_new=eta_new),
        violated=bool(L > ev.eta and eta_new < ev.eta),
    ))
    return out


# ----------------------------------------------------------------------------- violation search
@dataclass(frozen=True, eq=False)
class ViolationSearch:
    """Outcome of :func:`find_violation`.

    ``found`` is True when ``slack = eta(pi_new) - claimed_rhs < -atol`` on the returned instance,
    which can be replayed with ``candidate(result.mdp, result.pi, result.pi_new)``. Otherwise the
    instance is the one of smallest relative slack seen.
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


def _structure(rng, S, A):
    """Random transitions: deterministic (absorbing states likely) or 2-branching."""
    P = np.zeros((S, A, S))
    if rng.random() < 0.6:
        P[np.arange(S)[:, None], np.arange(A)[None, :], rng.integers(S, size=(S, A))] = 1.0
    else:
        for s in range(S):
            for a in range(A):
                t = rng.choice(S, size=min(2, S), replace=False)
                p = rng.dirichlet(np.ones(t.size))
                P[s, a, t] = p
    return P


def _sigmoid(x):
    return 0.5 * (1.0 + math.tanh(0.5 * x))


def find_violation(
    candidate_bound,
    rng=None,
    n_restarts: int = 30,
    n_states: int = 3,
    n_actions: int = 2,
    template: MDP | None = None,
    optimize_gamma: bool = True,
    optimize_rewards: bool = True,
    gamma_range: tuple[float, float] = (1e-3, 0.99),
    maxiter: int = 600,
    stop_at_first: bool = True,
) -> ViolationSearch:
    """Search for an instance where ``eta(pi_new) < candidate_bound(mdp, pi, pi_new)``.

    Each restart draws a transition structure (or uses ``template``'s), then minimizes the
    scale-free relative slack ``(eta(pi_new) - rhs) / (|eta(pi_new) - eta(pi)| + |rhs - eta(pi)| + 1e-12)``
    by Nelder-Mead over the softmax logits of ``pi`` and ``pi_new``, the rewards (``tanh``-squashed to
    [-1, 1]) and ``gamma`` (sigmoid-squashed into ``gamma_range``, log-uniform start).

    ``candidate_bound(mdp, pi, pi_new)`` returns the claimed lower bound on ``eta(pi_new)`` (a float,
    or an object with an ``rhs`` attribute such as a :class:`~bounds.inequalities.BoundResult`).
    """
    rng = np.random.default_rng(rng)
    if n_restarts < 1:
        raise ValueError(f"n_restarts must be >= 1, got {n_restarts}")
    lo, hi = gamma_range
    if not (0.0 <= lo < hi < 1.0):
        raise ValueError(f"gamma_range must satisfy 0 <= lo < hi < 1, got {gamma_range}")
    if template is not None:
        S, A = template.shape
    else:
        S, A = int(n_states), int(n_actions)
    n_evals = 0
    best = None

    def rhs_of(m, p, q):
        out = candidate_bound(m, p, q)
        return float(getattr(out, "rhs", out))

    for restart in range(n_restarts):
        P = template.dense_P() if template is not None else _structure(rng, S, A)
        rho0 = template.rho0 if template is not None else np.eye(S)[0]
        R0 = template.R if template is not None else rng.uniform(-1, 1, size=(S, A))
        g0 = math.exp(rng.uniform(math.log(max(lo, 1e-6)), math.log(hi)))
        x0 = np.concatenate([
            rng.normal(0, 2, S * A), rng.normal(0, 2, S * A),
            np.arctanh(np.clip(R0.ravel(), -0.999, 0.999)) if optimize_rewards else [],
            [math.log((g0 - lo) / (hi - g0))] if optimize_gamma else [],
        ])

        def unpack(x):
            k = 0
            pi = softmax(x[k:k + S * A].reshape(S, A)); k += S * A
            pn = softmax(x[k:k + S * A].reshape(S, A)); k += S * A
            if optimize_rewards:
                R = np.tanh(x[k:k + S * A]).reshape(S, A); k += S * A
            else:
                R = R0
            g = lo + (hi - lo) * _sigmoid(x[k]) if optimize_gamma else (template.gamma if template else g0)
            return MDP(P, R, rho0, g), pi, pn

        def rel_slack(x):
            nonlocal n_evals
            n_evals += 1
            try:
                m, p, q = unpack(x)
                eta = evaluate(m, p).eta
                eta_new = evaluate(m, q).eta
                rhs = rhs_of(m, p, q)
            except (ValueError, FloatingPointError):
                return 1e6
            if not math.isfinite(rhs):
                return 1e6 if rhs == -math.inf else -1e6
            return (eta_new - rhs) / (abs(eta_new - eta) + abs(rhs - eta) + 1e-12)

        res = minimize(rel_slack, x0, method="Nelder-Mead",
                       options=dict(maxiter=maxiter, maxfev=2 * maxiter, xatol=1e-10, fatol=1e-12))
        m, p, q = unpack(res.x)
        eta_new = evaluate(m, q).eta
        rhs = rhs_of(m, p, q)
        slack = eta_new - rhs
        atol = 1e-12 * max(1.0, float(np.max(np.abs(m.R))) / (1 - m.gamma))
        cand = ViolationSearch(
            found=bool(slack < -atol), slack=float(slack), rel_slack=float(res.fun), eta_new=float(eta_new),
            rhs=rhs, mdp=m, pi=p, pi_new=q, n_evaluations=n_evals, n_restarts=restart + 1,
        )
        if best is None or (cand.found and not best.found) or (cand.found == best.found and cand.rel_slack < best.rel_slack):
            best = cand
        if best.found and stop_at_first:
            break
    return ViolationSearch(**{**best.__dict__, "n_evaluations": n_evals, "n_restarts": restart + 1})

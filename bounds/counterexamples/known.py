"""Known non-theorems (THEORY.md §6) as claimed lower bounds and as replayable instances on MDP X.

Three plausible-looking statements are false, each shown on the MDP X of THEORY.md §6
(:func:`tabular.zoo.mdp_x`):

1. the mean-KL form ``eta(pi_new) >= L - C sum_s rho(s) KL(s)`` (the max of Eq. (9) replaced by a mean);
2. the quadratic mean-TV forms ``L - C E_d[TV^2]`` and ``L - C (E_d TV)^2``;
3. "a larger surrogate means a larger eta".

Each false claim is written as a function ``(mdp, pi, pi_new) -> claimed lower bound on eta(pi_new)``
so that the search (:mod:`.search`), the shrinker (:mod:`.shrink`) and the certificates
(:mod:`.certificate`) treat them like any user's claim.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tabular import divergences as dv
from tabular.evaluation import evaluate, surrogate_of
from tabular.validation import as_policy
from tabular.mdp import MDP
from tabular.policies import uniform
from tabular.zoo import mdp_x

from ..inequalities import theory_C

__all__ = [
    "mean_kl_candidate",
    "mean_tv_squared_candidate",
    "squared_mean_tv_candidate",
    "surrogate_monotone_candidate",
    "Counterexample",
    "known_counterexamples",
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

    Examples
    --------
    >>> from tabular import evaluate
    >>> from bounds.counterexamples import known_counterexamples, mean_kl_candidate
    >>> cx = known_counterexamples()[0]
    >>> rhs = mean_kl_candidate(cx.mdp, cx.pi, cx.pi_new)
    >>> print(f"eta(pi_new) = {evaluate(cx.mdp, cx.pi_new).eta:.6f} < claimed {rhs:.6f}")
    eta(pi_new) = -0.003333 < claimed -0.003281
    """
    L, ev = _L_and_ev(mdp, pi, pi_new)
    w = ev.rho if weights == "rho" else ev.d
    return L - dv.penalty_product(theory_C(mdp, pi, ev=ev), dv.mean_kl(pi, pi_new, w))


def mean_tv_squared_candidate(mdp: MDP, pi, pi_new) -> float:
    """The FALSE form ``L - C E_{s~d}[D_TV(s)^2]`` (THEORY.md §6).

    Examples
    --------
    >>> from tabular import evaluate
    >>> from bounds.counterexamples import known_counterexamples, mean_tv_squared_candidate
    >>> cx = known_counterexamples()[1]
    >>> rhs = mean_tv_squared_candidate(cx.mdp, cx.pi, cx.pi_new)
    >>> print(f"eta(pi_new) = {evaluate(cx.mdp, cx.pi_new).eta:.4f} < claimed {rhs:.4f}")
    eta(pi_new) = -0.0727 < claimed -0.0095
    """
    L, ev = _L_and_ev(mdp, pi, pi_new)
    return L - theory_C(mdp, pi, ev=ev) * dv.weighted_mean(dv.tv(pi, pi_new) ** 2, ev.d)


def squared_mean_tv_candidate(mdp: MDP, pi, pi_new) -> float:
    """The FALSE form ``L - C (E_{s~d} D_TV(s))^2`` (THEORY.md §6).

    Examples
    --------
    >>> from tabular import evaluate
    >>> from bounds.counterexamples import known_counterexamples, squared_mean_tv_candidate
    >>> cx = known_counterexamples()[1]
    >>> rhs = squared_mean_tv_candidate(cx.mdp, cx.pi, cx.pi_new)
    >>> print(f"eta(pi_new) = {evaluate(cx.mdp, cx.pi_new).eta:.4f} < claimed {rhs:.4f}")
    eta(pi_new) = -0.0727 < claimed -0.0011
    """
    L, ev = _L_and_ev(mdp, pi, pi_new)
    return L - theory_C(mdp, pi, ev=ev) * dv.mean_tv(pi, pi_new, ev.d) ** 2


def surrogate_monotone_candidate(mdp: MDP, pi, pi_new) -> float:
    """The FALSE claim "``L_pi(pi_new) > eta(pi)`` implies ``eta(pi_new) > eta(pi)``" as a lower bound.

    Eq. (3) gives ``L_pi(pi) = eta(pi)``; the claim is the lower bound ``eta(pi)`` when
    ``L_pi(pi_new) > eta(pi)`` and ``-inf`` (no claim) otherwise (THEORY.md §6).

    Examples
    --------
    >>> from tabular import evaluate, surrogate
    >>> from bounds.counterexamples import known_counterexamples, surrogate_monotone_candidate
    >>> cx = known_counterexamples()[2]
    >>> m, pi, pn = cx.mdp, cx.pi, cx.pi_new
    >>> print(surrogate(m, pi, pn) > evaluate(m, pi).eta, evaluate(m, pn).eta < evaluate(m, pi).eta)
    True True
    >>> rhs = surrogate_monotone_candidate(m, pi, pn)
    >>> print(rhs == evaluate(m, pi).eta, evaluate(m, pn).eta < rhs)
    True True
    """
    L, ev = _L_and_ev(mdp, pi, pi_new)
    return float(ev.eta) if L > ev.eta else -math.inf


# ----------------------------------------------------------------------------- known counterexamples
@dataclass(frozen=True, eq=False)
class Counterexample:
    """A replayable instance refuting ``claim``.

    ``values`` holds the numbers that show it (e.g. ``eta_new`` and the claimed lower bound).
    ``violated`` is recomputed from the instance, not stored by hand.

    Examples
    --------
    >>> from bounds.counterexamples import Counterexample, known_counterexamples
    >>> cx = known_counterexamples()[0]
    >>> print(isinstance(cx, Counterexample), cx.name, cx.violated, cx.mdp.shape)
    True mean_kl True (3, 2)
    >>> print(sorted(cx.values))
    ['eta_new', 'rhs_max_kl', 'rhs_mean_d', 'rhs_mean_rho', 'surrogate']
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
    """The three non-theorems of THEORY.md §6 on MDP X, each recomputed exactly.

    Examples
    --------
    >>> from bounds.counterexamples import known_counterexamples
    >>> for cx in known_counterexamples():
    ...     print(cx.name, cx.violated, round(float(cx.mdp.gamma), 2))
    mean_kl True 0.01
    mean_tv_quadratic True 0.9
    surrogate_not_monotone True 0.9
    """
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

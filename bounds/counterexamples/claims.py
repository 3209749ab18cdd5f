"""Named claims: every bound of :mod:`bounds.inequalities` and every non-theorem of :mod:`.known`,
each with its floating-point form (the one home of the formula) and an exact twin for certificates.

An exact twin returns the slack ``eta(pi_new) - rhs`` as a Fraction (rational claims: Theorem 1,
Eq. (44), CPI, KL02, CPO Cor. 1, SPI, span, the mean-TV forms, the surrogate claim) or as an
``mpmath.iv`` interval (claims with a KL), or ``+inf`` when the claimed bound is ``-inf``. The
formulas restate those of the float functions, cited by equation; the certificate tests check
that both agree on random instances.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType

from .. import inequalities as ineq
from . import known
from .exact import ExactMDP, exact_evaluate, exact_solve, interval, kl_interval

__all__ = ["Claim", "CLAIMS", "claim_named", "ExactPair"]


@dataclass(frozen=True, eq=False)
class ExactPair:
    """Exact quantities of ``(mdp, pi, pi_new)`` shared by the exact twins."""

    mdp: ExactMDP
    pi: tuple
    pi_new: tuple

    def __post_init__(self):
        ev, ev_new = exact_evaluate(self.mdp, self.pi), exact_evaluate(self.mdp, self.pi_new)
        S, A = self.mdp.shape
        Abar = [sum(self.pi_new[s][a] * ev.A[s][a] for a in range(A)) for s in range(S)]  # THEORY.md §2
        tv = [sum(abs(self.pi[s][a] - self.pi_new[s][a]) for a in range(A)) / 2 for s in range(S)]
        eps = max(abs(v) for row in ev.A for v in row)
        g = self.mdp.gamma
        for k, v in dict(ev=ev, ev_new=ev_new, Abar=Abar, tv=tv, eps=eps, alpha=max(tv),
                         L=ev.eta + sum(r * a for r, a in zip(ev.rho, Abar)),  # Eq. (3)
                         C=4 * eps * g / (1 - g) ** 2).items():  # Eq. (8)
            object.__setattr__(self, k, v)

    @property
    def eta_new(self) -> Fraction:
        return self.ev_new.eta


def _lower(p: ExactPair, penalty):
    """Slack of ``eta_new >= L - penalty``; ``penalty`` a Fraction, an interval or ``inf``."""
    if penalty == math.inf:
        return math.inf
    if isinstance(penalty, Fraction):
        return p.eta_new - p.L + penalty
    return interval(p.eta_new - p.L) + penalty


def _weighted(weights, values):
    """``sum_s w(s) v(s)`` with ``0 * inf = 0`` (THEORY.md §3); a Fraction, or an interval if any ``v`` is one."""
    exact, inexact = Fraction(0), None
    for w, v in zip(weights, values):
        if w == 0:
            continue
        if v == math.inf:
            return math.inf
        if isinstance(v, Fraction):
            exact += w * v
        else:
            inexact = interval(w) * v if inexact is None else inexact + interval(w) * v
    return exact if inexact is None else inexact + interval(exact)


def _times(coef: Fraction, div):
    """``coef * div`` with ``0 * inf = 0`` (:func:`tabular.divergences.penalty_product`)."""
    if coef == 0 or (isinstance(div, Fraction) and div == 0):
        return Fraction(0)
    if div == math.inf:
        return math.inf
    return coef * div if isinstance(div, Fraction) else interval(coef) * div


def _kl(p: ExactPair, reverse: bool = False) -> list:
    return [kl_interval(q, r) if not reverse else kl_interval(r, q) for q, r in zip(p.pi, p.pi_new)]


def _interval_max(xs):
    """An interval enclosing ``max`` of the numbers enclosed by the intervals ``xs``."""
    from mpmath import iv, mpf

    return iv.mpf([max(mpf(v.a) for v in xs), max(mpf(v.b) for v in xs)])


def _cpi_parts(p: ExactPair):
    """Smallest ``alpha`` with ``pi_new = (1-alpha) pi + alpha pi'`` and ``eps' = max_s |sum_a pi' A|``
    (:func:`bounds.inequalities.cpi_decomposition`, Eq. (6))."""
    S, A = p.mdp.shape
    ratio = min(p.pi_new[s][a] / p.pi[s][a] for s in range(S) for a in range(A) if p.pi[s][a] > 0)
    alpha = min(max(1 - ratio, Fraction(0)), Fraction(1))
    if alpha == 0:
        return alpha, Fraction(0)
    prime = [[(p.pi_new[s][a] - (1 - alpha) * p.pi[s][a]) / alpha for a in range(A)] for s in range(S)]
    return alpha, max(abs(sum(prime[s][a] * p.ev.A[s][a] for a in range(A))) for s in range(S))


def _x_theorem1(p, **_):
    return _lower(p, p.C * p.alpha ** 2)  # Eq. (8)


def _x_theorem1_tight(p, **_):
    g = p.mdp.gamma
    return _lower(p, 4 * p.alpha ** 2 * g * p.eps / ((1 - g) * (1 - g * (1 - p.alpha))))  # Eq. (44)


def _x_kl_max(p, constant="pollard", **_):
    kls = _kl(p)
    kl_max = math.inf if math.inf in kls else _interval_max(kls)
    return _lower(p, _times(p.C / (2 if constant == "pinsker" else 1), kl_max))  # Eq. (9)


def _x_cpi(p, which="cpi", **_):
    alpha, eps_p = _cpi_parts(p)
    g = p.mdp.gamma
    if which == "cpi":
        return _lower(p, 2 * eps_p * g * alpha ** 2 / (1 - g) ** 2)  # Eq. (6)
    return _lower(p, 2 * alpha ** 2 * g * eps_p / ((1 - g) * (1 - g * (1 - alpha))))  # [KL02] Thm 4.1


def _x_cpo(p, corollary=1, **_):
    g = p.mdp.gamma
    coef = 2 * g * max(abs(v) for v in p.Abar) / (1 - g) ** 2
    if corollary == 1:
        return _lower(p, _times(coef, _weighted(p.ev.d, p.tv)))  # [CPO] Cor. 1
    from mpmath import iv

    m = _weighted(p.ev.d, _kl(p, reverse=True))
    div = math.inf if m == math.inf else iv.sqrt(interval(m) / 2 if isinstance(m, Fraction) else m / 2)
    return _lower(p, _times(coef, div))  # [CPO] Cor. 3


def _x_spi(p, **_):
    g = p.mdp.gamma
    S, A = p.mdp.shape
    dist = max(sum(abs(p.pi_new[s][a] - p.pi[s][a]) for a in range(A)) for s in range(S))
    return _lower(p, g / (1 - g) ** 2 * dist * (max(p.Abar) - min(p.Abar)) / 2)  # [SPI] Thm 3.5


def _x_span(p, **_):
    g = p.mdp.gamma
    S, A = p.mdp.shape
    P_new = [[sum(p.pi_new[s][a] * p.mdp.P[s][a][t] for a in range(A)) for t in range(S)] for s in range(S)]
    w = exact_solve([[(1 if s == t else 0) - g * P_new[s][t] for t in range(S)] for s in range(S)], p.Abar)
    return _lower(p, g / (1 - g) * _weighted(p.ev.d, p.tv) * (max(w) - min(w)))  # THEORY.md §3 span


def _x_mean_kl(p, weights="rho", **_):
    w = p.ev.rho if weights == "rho" else p.ev.d
    return _lower(p, _times(p.C, _weighted(w, _kl(p))))  # Eq. (9) with a mean (FALSE, THEORY.md §6)


def _x_mean_tv_squared(p, **_):
    return _lower(p, p.C * _weighted(p.ev.d, [t * t for t in p.tv]))  # THEORY.md §6 (FALSE)


def _x_squared_mean_tv(p, **_):
    return _lower(p, p.C * _weighted(p.ev.d, p.tv) ** 2)  # THEORY.md §6 (FALSE)


def _x_surrogate_monotone(p, **_):
    return p.eta_new - p.ev.eta if p.L > p.ev.eta else math.inf  # THEORY.md §6 (FALSE)


def _f_cpi(which):
    def f(mdp, pi, pi_new):
        alpha, prime = ineq.cpi_decomposition(pi, pi_new)
        return (ineq.cpi_bound if which == "cpi" else ineq.kl02_bound)(mdp, pi, prime, alpha).rhs
    return f


@dataclass(frozen=True, eq=False)
class Claim:
    """A named claimed lower bound on ``eta(pi_new)``: its float form, exact twin and whether it is a theorem."""

    name: str
    statement: str
    source: str
    theorem: bool
    function: object
    exact: object
    params: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def __call__(self, mdp, pi, pi_new) -> float:
        return float(getattr(out := self.function(mdp, pi, pi_new), "rhs", out))

    def exact_slack(self, pair: ExactPair):
        return self.exact(pair, **self.params)

    def __repr__(self) -> str:
        return f"Claim({self.name!r}, {'theorem' if self.theorem else 'FALSE'}, {self.source})"


def _c(name, statement, source, theorem, function, exact, **params):
    return Claim(name, statement, source, theorem, function, exact, MappingProxyType(params))


#: Every named claim, by name.
CLAIMS = {c.name: c for c in (
    _c("theorem1", "eta_new >= L - C maxTV^2", "[TRPO] Theorem 1, Eq. (8)", True, ineq.theorem1, _x_theorem1),
    _c("theorem1_tight", "eta_new >= L - 4 a^2 g eps/((1-g)(1-g(1-a)))", "[TRPO] Eq. (44)", True,
       ineq.theorem1_tight, _x_theorem1_tight),
    _c("kl_max", "eta_new >= L - C maxKL", "[TRPO] Eq. (9)", True, ineq.kl_bound, _x_kl_max, constant="pollard"),
    _c("kl_max_pinsker", "eta_new >= L - (C/2) maxKL", "[TRPO] Eq. (9), Pinsker", True,
       lambda m, p, q: ineq.kl_bound(m, p, q, constant="pinsker"), _x_kl_max, constant="pinsker"),
    _c("cpi", "Eq. (6) through the smallest mixture decomposition", "[TRPO] Eq. (6)", True, _f_cpi("cpi"),
       _x_cpi, which="cpi"),
    _c("kl02", "[KL02] Thm 4.1 through the smallest mixture decomposition", "[KL02] Theorem 4.1", True,
       _f_cpi("kl02"), _x_cpi, which="kl02"),
    _c("cpo_tv", "eta_new >= L - 2 g eps_new/(1-g)^2 E_d TV", "[CPO] Corollary 1", True,
       lambda m, p, q: ineq.cpo_bound(m, p, q, corollary=1), _x_cpo, corollary=1),
    _c("cpo_kl", "eta_new >= L - 2 g eps_new/(1-g)^2 sqrt(E_d KL(new||old)/2)", "[CPO] Corollary 3", True,
       lambda m, p, q: ineq.cpo_bound(m, p, q, corollary=3), _x_cpo, corollary=3),
    _c("spi", "[SPI] Theorem 3.5", "[SPI] Theorem 3.5", True, ineq.spi_bound, _x_spi),
    _c("span", "resolvent-span bound", "THEORY.md §3", True, ineq.span_bound, _x_span),
    _c("mean_kl", "eta_new >= L - C sum_s rho(s) KL(s)", "THEORY.md §6 (false)", False,
       lambda m, p, q: known.mean_kl_candidate(m, p, q, "rho"), _x_mean_kl, weights="rho"),
    _c("mean_kl_d", "eta_new >= L - C sum_s d(s) KL(s)", "THEORY.md §6 (false)", False,
       lambda m, p, q: known.mean_kl_candidate(m, p, q, "d"), _x_mean_kl, weights="d"),
    _c("mean_tv_squared", "eta_new >= L - C E_d[TV^2]", "THEORY.md §6 (false)", False,
       known.mean_tv_squared_candidate, _x_mean_tv_squared),
    _c("squared_mean_tv", "eta_new >= L - C (E_d TV)^2", "THEORY.md §6 (false)", False,
       known.squared_mean_tv_candidate, _x_squared_mean_tv),
    _c("surrogate_monotone", "L > eta implies eta_new >= eta", "THEORY.md §6 (false)", False,
       known.surrogate_monotone_candidate, _x_surrogate_monotone),
)}

_ALIASES = {"mean_kl_rho": "mean_kl", "kl_bound": "kl_max", "cpi_bound": "cpi", "kl02_bound": "kl02",
            "cpo_bound": "cpo_tv", "spi_bound": "spi", "span_bound": "span",
            "mean_kl_candidate": "mean_kl", "mean_tv_squared_candidate": "mean_tv_squared",
            "squared_mean_tv_candidate": "squared_mean_tv", "surrogate_monotone_candidate": "surrogate_monotone"}


def claim_named(name: str) -> Claim:
    """The :class:`Claim` called ``name`` (also ``bounds:theorem1``-style and function-name aliases)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    key = name.split(":")[-1].strip()
    key = _ALIASES.get(key, key)
    if key not in CLAIMS:
        raise ValueError(f"name: no claim named {name!r}; known: {sorted(CLAIMS)}")
    return CLAIMS[key]

"""Every bound of :func:`bounds.inequalities.check_all`, as array operations over a batch of instances.

The batched twin of :mod:`bounds.inequalities` for sweeps: ``K`` instances ``(mdp_k, pi_k, pi_new_k)``
held as the rows of a :class:`tabular.batch.MDPBatch` (all with the same number of actions) give,
per bound, the ``(K,)`` arrays of penalty, lower bound ``rhs = L - penalty``, slack, upper slack and
``holds`` that the scalar functions give one instance at a time (equal to round-off; a test compares
every bound name both produce). The formulas are those of :mod:`bounds.inequalities` (each function
below names its scalar twin and the equation); conventions are the same: ``rho`` unnormalized,
``d = (1 - gamma) rho``, ``KL(pi || pi_new)`` except [CPO] Cor. 3, a zero coefficient times an
infinite divergence is 0, an infinite penalty gives ``rhs = -inf``, ``slack = +inf`` and holds.

Adding a bound: write ``def _my_bound(t: Terms) -> np.ndarray`` returning the ``(K,)`` penalties from
the shared per-instance quantities of :class:`Terms` (add a cached property there if a new one is
needed) and append ``BatchedBound("my_bound", two_sided, _my_bound)`` to :data:`BOUNDS`, under the
name :func:`~bounds.inequalities.check_all` gives it. A bound of ``check_all`` missing here is not an
error: the sweep computes it with the scalar function (and says so).

The non-theorems of THEORY.md §6 (:mod:`bounds.counterexamples`) are here too (:data:`CANDIDATES`), as
batched claimed lower bounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Callable

import numpy as np

from tabular.batch import BatchEvaluation, MDPBatch, evaluate_batch
from tabular.divergences import kl_unchecked, tv_unchecked

from .inequalities import RTOL

__all__ = ["Terms", "BatchedBound", "BOUNDS", "CANDIDATES", "BatchBounds", "check_all_batch",
           "default_atol_batch", "penalty_product_batch", "bound_names_batch"]


def penalty_product_batch(coef: np.ndarray, divergence: np.ndarray) -> np.ndarray:
    """:func:`tabular.divergences.penalty_product` elementwise: ``coef * divergence`` with ``0 * inf = 0``."""
    with np.errstate(invalid="ignore"):
        return np.where((coef == 0) | (divergence == 0), 0.0, coef * divergence)


def default_atol_batch(batch: MDPBatch) -> np.ndarray:
    """:func:`bounds.inequalities.default_atol` per instance: ``1e-9 * max(1, max|R| / (1-gamma))``."""
    return RTOL * np.maximum(1.0, batch.segments.max(np.abs(batch.R).max(axis=1)) / (1.0 - batch.gamma))


class Terms:
    """The quantities every bound shares, per instance (``(K,)``) or per row (``(N,)``), computed once
    on first use. ``ev`` evaluates ``pi``; ``ev_new`` evaluates ``pi_new`` with ``W[:, 0] = w`` of the
    span bound (``(I - gamma P_new)^{-1} Abar``)."""

    def __init__(self, batch: MDPBatch, pi, pi_new, ev: BatchEvaluation, ev_new: BatchEvaluation):
        self.batch, self.pi, self.pi_new, self.ev, self.ev_new = batch, pi, pi_new, ev, ev_new
        self.seg = batch.segments
        self.gamma = batch.gamma

    @cached_property
    def Abar(self) -> np.ndarray:
        """``Abar(s) = sum_a pi_new(a|s) A_pi(s, a)`` (THEORY.md §2)."""
        return np.einsum("na,na->n", self.pi_new, self.ev.A)

    @cached_property
    def L(self) -> np.ndarray:
        """``L_pi(pi_new) = eta(pi) + sum_s rho(s) Abar(s)``, Eq. (3)."""
        return self.ev.eta + self.seg.sum(self.ev.rho * self.Abar)

    @cached_property
    def eps(self) -> np.ndarray:
        """``max_{s,a} |A_pi(s, a)|`` (:func:`bounds.inequalities.epsilon_of`)."""
        return self.seg.max(np.abs(self.ev.A).max(axis=1))

    @cached_property
    def C(self) -> np.ndarray:
        """``4 eps gamma / (1-gamma)^2``, Eq. (8) (:func:`bounds.inequalities.theory_C_of`)."""
        return 4.0 * self.eps * self.gamma / (1.0 - self.gamma) ** 2

    @cached_property
    def tv(self) -> np.ndarray:
        return tv_unchecked(self.pi, self.pi_new)

    @cached_property
    def alpha(self) -> np.ndarray:
        """``D_TV^max(pi, pi_new)``."""
        return self.seg.max(self.tv)

    @cached_property
    def kl_max(self) -> np.ndarray:
        return self.seg.max(kl_unchecked(self.pi, self.pi_new))

    @cached_property
    def mean_tv_d(self) -> np.ndarray:
        return self.seg.weighted_sum(self.tv, self.ev.d)

    @cached_property
    def cpi(self) -> tuple:
        """``(alpha, 𝔸', eps')`` of the smallest decomposition ``pi_new = (1-alpha) pi + alpha pi'``
        (:func:`bounds.inequalities.cpi_decomposition`, :func:`~bounds.inequalities.cpi_terms`)."""
        pi, pi_new = self.pi, self.pi_new
        pos = pi > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = self.seg.min(np.where(pos, pi_new / np.where(pos, pi, 1.0), np.inf).min(axis=1))
        alpha = np.clip(1.0 - ratio, 0.0, 1.0)
        alpha = np.where(alpha <= 1e-15, 0.0, alpha)
        a_rows = alpha[self.seg.seg][:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            prime = np.maximum((pi_new - (1.0 - a_rows) * pi) / a_rows, 0.0)
            prime = prime / prime.sum(axis=1, keepdims=True)
        prime = np.where(a_rows > 0, prime, pi)
        Aprime_s = np.einsum("na,na->n", prime, self.ev.A)
        return alpha, self.seg.sum(self.ev.rho * Aprime_s), self.seg.max(np.abs(Aprime_s))

    @cached_property
    def cpo_general(self) -> tuple:
        """``(centre, half-width)`` of [CPO] Theorem 1's interval with check_all's default f."""
        return _cpo_general_interval(self)

    @cached_property
    def eps_new(self) -> np.ndarray:
        """``max_s |Abar(s)|`` of [CPO]."""
        return self.seg.max(np.abs(self.Abar))


# ----------------------------------------------------------------------------- the bounds
def _theorem1(t: Terms) -> np.ndarray:
    """:func:`bounds.inequalities.theorem1`: ``C alpha^2``, Eq. (8)."""
    return t.C * t.alpha**2  # Eq. (8)


def _theorem1_tight(t: Terms) -> np.ndarray:
    """:func:`bounds.inequalities.theorem1_tight`, Eq. (44)."""
    g, a = t.gamma, t.alpha
    return 4.0 * a**2 * g * t.eps / ((1.0 - g) * (1.0 - g * (1.0 - a)))  # Eq. (44)


def _kl_max(t: Terms) -> np.ndarray:
    """:func:`bounds.inequalities.kl_bound` (Pollard constant): ``C D_KL^max``, Eq. (9)."""
    return penalty_product_batch(t.C, t.kl_max)  # Eq. (9)


def _kl_max_pinsker(t: Terms) -> np.ndarray:
    """:func:`bounds.inequalities.kl_bound` with ``constant="pinsker"``: ``(C/2) D_KL^max``."""
    return penalty_product_batch(t.C / 2.0, t.kl_max)


def _cpi(t: Terms) -> np.ndarray:
    """:func:`bounds.inequalities.cpi_bound` through the smallest decomposition: Eq. (6)."""
    alpha, _, eps_p = t.cpi
    g = t.gamma
    return 2.0 * eps_p * g * alpha**2 / (1.0 - g) ** 2  # Eq. (6)


def _kl02(t: Terms) -> np.ndarray:
    """:func:`bounds.inequalities.kl02_bound`: [KL02] Theorem 4.1 in [TRPO] units."""
    alpha, _, eps_p = t.cpi
    g = t.gamma
    return 2.0 * alpha**2 * g * eps_p / ((1.0 - g) * (1.0 - g * (1.0 - alpha)))  # [KL02] Thm 4.1


def _cpo_coef(t: Terms) -> np.ndarray:
    return 2.0 * t.gamma * t.eps_new / (1.0 - t.gamma) ** 2


def _cpo_tv(t: Terms) -> np.ndarray:
    """:func:`bounds.inequalities.cpo_bound`, Corollary 1: TV averaged over the normalized ``d``."""
    return penalty_product_batch(_cpo_coef(t), t.mean_tv_d)


def _cpo_kl(t: Terms) -> np.ndarray:
    """:func:`bounds.inequalities.cpo_bound`, Corollary 3: ``sqrt(E_d KL(pi_new || pi) / 2)``."""
    mean_kl_rev = t.seg.weighted_sum(kl_unchecked(t.pi_new, t.pi), t.ev.d)
    return penalty_product_batch(_cpo_coef(t), np.sqrt(0.5 * mean_kl_rev))


def _spi(t: Terms) -> np.ndarray:
    """:func:`bounds.inequalities.spi_bound`: [SPI] Theorem 3.5."""
    g = t.gamma
    dist = t.seg.max(np.abs(t.pi_new - t.pi).sum(axis=1))
    spread = t.seg.max(t.Abar) - t.seg.min(t.Abar)
    return g / (1.0 - g) ** 2 * dist * spread / 2.0  # [SPI] Thm 3.5


def _span(t: Terms) -> np.ndarray:
    """:func:`bounds.inequalities.span_bound`, THEORY.md §3, with ``w`` from ``ev_new.W``."""
    w = t.ev_new.W[:, 0]
    span = t.seg.max(w) - t.seg.min(w)
    return t.gamma / (1.0 - t.gamma) * t.mean_tv_d * span


def _cpo_general_interval(t: Terms) -> tuple[np.ndarray, np.ndarray]:
    """:func:`bounds.inequalities.cpo_general_bound` with check_all's default ``f = T_{pi_new} V_pi``
    ([CPO] Theorem 1): ``(centre, half-width)`` of its interval for ``eta(pi_new)``.

    With ``f = V_pi + Abar`` (= ``sum_a pi_new Q_pi``), ``delta_f(s, a) = A_pi(s, a) + gamma (P Abar)(s, a)
    - Abar(s)``, ``eps_f = max_s |sum_a pi_new delta_f|``, ``L_f = sum_s d_pi(s) sum_a (pi_new - pi) delta_f``;
    centre ``eta(pi) + L_f / (1-gamma)``, half-width ``2 gamma eps_f / (1-gamma)^2 sum_s d_pi D_TV(s)``."""
    g_rows = t.batch.gamma_rows[:, None]
    delta = t.ev.A + g_rows * t.batch.apply_P(t.Abar) - t.Abar[:, None]
    eps_f = t.seg.max(np.abs(np.einsum("na,na->n", t.pi_new, delta)))
    L_f = t.seg.sum(t.ev.d * np.einsum("na,na->n", t.pi_new - t.pi, delta))
    half = penalty_product_batch(2.0 * t.gamma * eps_f / (1.0 - t.gamma) ** 2, t.mean_tv_d)
    return t.ev.eta + L_f / (1.0 - t.gamma), half


def _cpo_general(t: Terms) -> np.ndarray:
    """``L - lower end`` of [CPO] Theorem 1's interval (``rhs`` is its lower end, as in ``check_all``)."""
    centre, half = t.cpo_general
    return t.L - (centre - half)


@dataclass(frozen=True)
class BatchedBound:
    """A bound of :func:`bounds.inequalities.check_all` in batched form: its name there, whether it is
    two-sided about L, and ``penalty(terms) -> (K,)``; ``interval(terms) -> (centre, half-width)`` for a
    bound centred elsewhere (both ends of its interval count in ``holds``, as in ``check_all``)."""

    name: str
    two_sided: bool
    penalty: Callable[[Terms], np.ndarray]
    interval: Callable[[Terms], tuple] | None = None


#: The batched bounds, in the order of :func:`bounds.inequalities.check_all`.
BOUNDS = (
    BatchedBound("theorem1", False, _theorem1),
    BatchedBound("theorem1_tight", True, _theorem1_tight),
    BatchedBound("kl_max", False, _kl_max),
    BatchedBound("kl_max_pinsker", False, _kl_max_pinsker),
    BatchedBound("cpi", False, _cpi),
    BatchedBound("kl02", False, _kl02),
    BatchedBound("cpo_tv", True, _cpo_tv),
    BatchedBound("cpo_kl", True, _cpo_kl),
    BatchedBound("spi", False, _spi),
    BatchedBound("span", True, _span),
    BatchedBound("cpo_general", False, _cpo_general, interval=lambda t: t.cpo_general),
)


def bound_names_batch() -> tuple:
    return tuple(b.name for b in BOUNDS)


# ----------------------------------------------------------------------------- the non-theorems
def _mean_kl_rho(t: Terms) -> np.ndarray:
    """:func:`bounds.counterexamples.mean_kl_candidate` (``weights="rho"``): ``L - C sum_s rho KL``."""
    return t.L - penalty_product_batch(t.C, t.seg.weighted_sum(kl_unchecked(t.pi, t.pi_new), t.ev.rho))


def _mean_kl_d(t: Terms) -> np.ndarray:
    """:func:`bounds.counterexamples.mean_kl_candidate` (``weights="d"``)."""
    return t.L - penalty_product_batch(t.C, t.seg.weighted_sum(kl_unchecked(t.pi, t.pi_new), t.ev.d))


def _mean_tv_squared(t: Terms) -> np.ndarray:
    """:func:`bounds.counterexamples.mean_tv_squared_candidate`: ``L - C E_d[TV^2]``."""
    return t.L - t.C * t.seg.weighted_sum(t.tv**2, t.ev.d)


def _squared_mean_tv(t: Terms) -> np.ndarray:
    """:func:`bounds.counterexamples.squared_mean_tv_candidate`: ``L - C (E_d TV)^2``."""
    return t.L - t.C * t.mean_tv_d**2


#: Claimed (false) lower bounds of THEORY.md §6: name -> ``rhs(terms)``, ``(K,)``.
CANDIDATES = MappingProxyType({
    "mean_kl_rho": _mean_kl_rho,
    "mean_kl_d": _mean_kl_d,
    "mean_tv_squared": _mean_tv_squared,
    "squared_mean_tv": _squared_mean_tv,
})


# ----------------------------------------------------------------------------- the table
@dataclass(frozen=True, eq=False)
class BatchBounds:
    """:func:`check_all_batch`'s result: per-instance ``(K,)`` arrays.

    eta, eta_new, surrogate (L), gap ``|eta_new - L|``, atol; and per bound name (mappings name ->
    ``(K,)``): penalty, rhs, slack, upper_slack (``L + penalty - eta_new`` for two-sided bounds,
    ``+inf`` otherwise), holds; centre and half_width for the bounds not centred on L. ``nan`` (``(K,)`` bool) marks instances where some penalty is NaN (the
    scalar path raises there). ``terms`` keeps the shared :class:`Terms` (and both evaluations).
    """

    names: tuple
    eta: np.ndarray
    eta_new: np.ndarray
    surrogate: np.ndarray
    gap: np.ndarray
    atol: np.ndarray
    penalty: MappingProxyType
    rhs: MappingProxyType
    slack: MappingProxyType
    upper_slack: MappingProxyType
    holds: MappingProxyType
    centre: MappingProxyType
    half_width: MappingProxyType
    nan: np.ndarray
    terms: Terms


def check_all_batch(batch: MDPBatch, pi, pi_new, *, ev: BatchEvaluation | None = None) -> BatchBounds:
    """Every bound of :data:`BOUNDS` on the instances of ``batch`` (rows ``pi``, ``pi_new``, validated).

    ``ev`` may pass :func:`tabular.batch.evaluate_batch` of ``pi``; ``pi_new`` is evaluated here, with
    the span bound's ``w = (I - gamma P_new)^{-1} Abar`` solved in the same factorization.
    """
    pi = batch.check_rows(pi, "pi")
    pi_new = batch.check_rows(pi_new, "pi_new")
    ev = evaluate_batch(batch, pi) if ev is None else ev
    Abar = np.einsum("na,na->n", pi_new, ev.A)
    ev_new = evaluate_batch(batch, pi_new, extra=Abar)
    t = Terms(batch, pi, pi_new, ev, ev_new)
    t.__dict__["Abar"] = Abar
    L, eta_new = t.L, ev_new.eta
    atol = default_atol_batch(batch)
    out = {k: {} for k in ("penalty", "rhs", "slack", "upper_slack", "holds", "centre", "half_width")}
    nan = np.zeros(batch.K, dtype=bool)
    with np.errstate(invalid="ignore"):
        for b in BOUNDS:
            pen = np.asarray(b.penalty(t), dtype=np.float64)
            nan |= np.isnan(pen)
            rhs = L - pen
            slack = eta_new - rhs
            holds = slack >= -atol
            if b.two_sided:
                holds &= eta_new <= L + pen + atol
            if b.interval is not None:
                centre, half = b.interval(t)
                holds &= eta_new <= centre + half + atol
                out["centre"][b.name], out["half_width"][b.name] = centre, half
            out["penalty"][b.name], out["rhs"][b.name], out["slack"][b.name] = pen, rhs, slack
            out["upper_slack"][b.name] = (L + pen - eta_new) if b.two_sided else np.full(batch.K, np.inf)
            out["holds"][b.name] = holds
    return BatchBounds(bound_names_batch(), ev.eta, eta_new, L, np.abs(eta_new - L), atol,
                       **{k: MappingProxyType(v) for k, v in out.items()}, nan=nan, terms=t)

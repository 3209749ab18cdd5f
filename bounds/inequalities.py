"""Every policy-improvement bound of THEORY.md §3, computed exactly, with its constants.

A bound compares the true ``eta(pi_new)`` with a lower bound ``rhs = L_pi(pi_new) - penalty`` built
from quantities of the *old* policy ``pi``. Each function returns a :class:`BoundResult` tied to its
equation; :func:`check_all` returns all of them as a printable :class:`BoundTable`.

Conventions (THEORY.md §1): ``L_pi`` is Eq. (3) of [TRPO] with the **unnormalized** visitation
``rho_pi`` (sums to ``1/(1-gamma)``); ``d_pi = (1-gamma) rho_pi`` is the normalized one used by
[CPO]. ``eps = max_{s,a} |A_pi(s, a)|``, ``alpha = D_TV^max(pi, pi_new)``,
``C = 4 eps gamma / (1-gamma)^2``, ``Abar(s) = sum_a pi_new(a|s) A_pi(s, a)``. KL divergences are
``KL(pi || pi_new)`` (the [TRPO] direction) unless a bound says otherwise ([CPO] Cor. 3 uses
``KL(pi_new || pi)``).

Infinite divergences: a KL bound whose divergence is ``+inf`` has ``penalty = +inf``,
``rhs = -inf``, ``slack = +inf`` and ``holds = True`` -- never NaN. A zero coefficient times an
infinite divergence is taken as 0 (the bound with a zero coefficient is ``eta >= L``, which is exact
when ``C = 0``: ``gamma = 0`` or all advantages vanish).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields
from types import MappingProxyType

import numpy as np

from tabular import divergences as dv
from tabular.divergences import penalty_product
from tabular.validation import as_policy, check_mdp, check_tolerance, check_unit_interval
from tabular.evaluation import (Evaluation, evaluate, expected_advantage_of, resolve_evaluation,
                                surrogate_of)
from tabular.mdp import MDP

__all__ = [
    "BoundResult",
    "BoundTable",
    "theory_C",
    "theory_C_of",
    "epsilon_of",
    "cpi_terms",
    "cpi_alpha_star_of",
    "theorem1",
    "theorem1_tight",
    "kl_bound",
    "cpi_bound",
    "kl02_bound",
    "cpi_alpha_star",
    "cpi_decomposition",
    "cpo_bound",
    "cpo_general_bound",
    "cpo_f_tightening",
    "spi_bound",
    "span_bound",
    "check_all",
    "assert_bound",
    "default_atol",
]

#: Relative tolerance (times the problem's scale max|R|/(1-gamma)) used by ``holds``.
RTOL = 1e-9


@dataclass(frozen=True)
class BoundResult:
    """One bound evaluated on one instance ``(mdp, pi, pi_new)``.

    Attributes
    ----------
    name : short identifier, e.g. ``"theorem1"``.
    source : paper and equation, e.g. ``"[TRPO] Theorem 1, Eq. (8)"``.
    eta : ``eta(pi)``, the old policy's value.
    eta_new : ``eta(pi_new)``, the truth the bound is about.
    surrogate : ``L_pi(pi_new)`` (Eq. (3)).
    penalty : the amount subtracted from ``L`` (may be ``+inf``).
    rhs : the lower bound ``L - penalty`` (may be ``-inf``).
    slack : ``eta_new - rhs`` (``+inf`` when ``rhs = -inf``); negative means violated.
    holds : ``slack >= -atol``; for a two-sided bound also ``eta_new <= L + penalty + atol``.
    two_sided : whether the source proves ``|eta_new - L| <= penalty``.
    atol : the absolute tolerance used for ``holds``.
    constants : the constants used (eps, alpha, C, ...), read-only.
    notes : KL direction and visitation normalization of the bound.
    """

    name: str
    source: str
    eta: float
    eta_new: float
    surrogate: float
    penalty: float
    rhs: float
    slack: float
    holds: bool
    two_sided: bool
    atol: float
    constants: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    notes: str = ""

    def __repr__(self) -> str:
        return (f"BoundResult({self.name!r}, rhs={self.rhs:.10g}, eta_new={self.eta_new:.10g}, "
                f"slack={self.slack:.4g}, holds={self.holds}, source={self.source!r})")

    @property
    def upper(self) -> float:
        """``L + penalty`` for a two-sided bound, else ``+inf``."""
        return self.surrogate + self.penalty if self.two_sided else math.inf

    @property
    def gap(self) -> float:
        """``|eta_new - L|``, the error of the surrogate."""
        return abs(self.eta_new - self.surrogate)

    def as_dict(self) -> dict:
        """A plain dict (constants flattened as ``const_<name>``)."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "constants"}
        d.update({f"const_{k}": v for k, v in self.constants.items()})
        return d


@dataclass(frozen=True)
class BoundTable:
    """All bounds of :func:`check_all` on one instance; printable."""

    results: tuple

    def __iter__(self):
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, key):
        if isinstance(key, str):
            for r in self.results:
                if r.name == key:
                    return r
            raise KeyError(f"no bound named {key!r}; have {[r.name for r in self.results]}")
        return self.results[key]

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.results]

    @property
    def all_hold(self) -> bool:
        return all(r.holds for r in self.results)

    def to_dicts(self) -> list[dict]:
        return [r.as_dict() for r in self.results]

    def __repr__(self) -> str:
        tight = min(self.results, key=lambda r: r.slack, default=None)
        which = f", smallest slack {tight.slack:.4g} ({tight.name})" if tight is not None else ""
        return f"BoundTable({len(self.results)} bounds, all_hold={self.all_hold}{which}; print() for the table)"

    def __str__(self) -> str:
        head = f"{'bound':<16} {'rhs':>13} {'eta_new':>13} {'L':>13} {'penalty':>11} {'slack':>11}  holds  source"
        lines = [head, "-" * len(head)]
        for r in self.results:
            lines.append(
                f"{r.name:<16} {r.rhs:>13.6g} {r.eta_new:>13.6g} {r.surrogate:>13.6g} {r.penalty:>11.4g} "
                f"{r.slack:>11.4g}  {'yes' if r.holds else 'NO ':<5}  {r.source}"
            )
        return "\n".join(lines)


# ----------------------------------------------------------------------------- helpers
@dataclass(frozen=True)
class _Instance:
    mdp: MDP
    pi: np.ndarray
    pi_new: np.ndarray
    ev: Evaluation
    ev_new: Evaluation
    L: float
    Abar: np.ndarray
    atol: float


def default_atol(mdp: MDP) -> float:
    """Absolute tolerance for ``holds``: ``1e-9 * max(1, max|R| / (1-gamma))``."""
    scale = max(1.0, float(np.max(np.abs(mdp.R))) / (1.0 - mdp.gamma))
    return RTOL * scale


def _prepare(mdp, pi, pi_new, ev=None, ev_new=None, atol=None) -> _Instance:
    mdp = check_mdp(mdp)
    pi = as_policy(pi, mdp.n_states, mdp.n_actions, name="pi")
    pi_new = as_policy(pi_new, mdp.n_states, mdp.n_actions, name="pi_new")
    ev = resolve_evaluation(mdp, pi, ev)
    ev_new = resolve_evaluation(mdp, pi_new, ev_new)
    Abar = expected_advantage_of(ev, pi_new)  # THEORY.md §2
    L = surrogate_of(ev, pi_new)  # Eq. (3)
    atol = default_atol(mdp) if atol is None else check_tolerance(atol, "atol")
    return _Instance(mdp, pi, pi_new, ev, ev_new, L, Abar, atol)


def _result(inst: _Instance, name, source, penalty, two_sided, constants, notes) -> BoundResult:
    penalty = float(penalty)
    if math.isnan(penalty):
        raise FloatingPointError(f"bound {name}: penalty is NaN (constants {constants})")
    rhs = inst.L - penalty
    eta_new = inst.ev_new.eta
    slack = eta_new - rhs
    holds = slack >= -inst.atol
    if two_sided:
        holds = holds and (eta_new <= inst.L + penalty + inst.atol)
    return BoundResult(
        name=name, source=source, eta=inst.ev.eta, eta_new=eta_new, surrogate=inst.L,
        penalty=penalty, rhs=rhs, slack=slack, holds=bool(holds), two_sided=two_sided,
        atol=inst.atol, constants=MappingProxyType({k: float(v) for k, v in constants.items()}),
        notes=notes,
    )


def epsilon_of(ev: Evaluation) -> float:
    """``eps = max_{s,a} |A_pi(s, a)|`` of Theorem 1 of [TRPO] (THEORY.md §3), from an evaluation of ``pi``."""
    return float(np.max(np.abs(ev.A)))


def theory_C(mdp: MDP, pi, ev: Evaluation | None = None) -> float:
    """The coefficient ``C = 4 eps gamma / (1-gamma)^2``, ``eps = max_{s,a} |A_pi(s,a)|`` (Eq. (8)-(9))."""
    return theory_C_of(resolve_evaluation(mdp, pi, ev))


def theory_C_of(ev: Evaluation) -> float:
    """:func:`theory_C` from an evaluation already checked against its policy (no re-validation)."""
    return 4.0 * epsilon_of(ev) * ev.gamma / (1.0 - ev.gamma) ** 2  # Eq. (8)


_NOTE_TRPO = "rho unnormalized (sums to 1/(1-gamma)); L by Eq. (3)"


# ----------------------------------------------------------------------------- the bounds
def theorem1(mdp, pi, pi_new, *, ev=None, ev_new=None, atol=None) -> BoundResult:
    """Theorem 1 of [TRPO], Eq. (8): ``eta(pi_new) >= L_pi(pi_new) - C alpha^2``.

    ``alpha = D_TV^max(pi, pi_new) = max_s 1/2 sum_a |pi - pi_new|``,
    ``C = 4 eps gamma / (1-gamma)^2``, ``eps = max_{s,a} |A_pi(s, a)|``.
    """
    return _theorem1(_prepare(mdp, pi, pi_new, ev, ev_new, atol))


def _theorem1(inst: _Instance) -> BoundResult:
    alpha = float(dv.tv_unchecked(inst.pi, inst.pi_new).max())
    eps = epsilon_of(inst.ev)
    g = inst.mdp.gamma
    C = theory_C_of(inst.ev)
    return _result(inst, "theorem1", "[TRPO] Theorem 1, Eq. (8)", C * alpha**2, False,  # Eq. (8)
                   dict(eps=eps, alpha=alpha, C=C, gamma=g), "alpha = max-TV; " + _NOTE_TRPO)


def theorem1_tight(mdp, pi, pi_new, *, ev=None, ev_new=None, atol=None) -> BoundResult:
    """Two-sided form from the proof of Theorem 1 ([TRPO] Appendix A, Eq. (44) of arXiv v5)::

        |eta(pi_new) - L_pi(pi_new)| <= 4 alpha^2 gamma eps / ((1-gamma)(1 - gamma(1-alpha)))

    It sums the geometric series of Lemma 3 exactly instead of bounding ``1-(1-alpha)^t`` by 1, so its
    penalty never exceeds Theorem 1's (THEORY.md §3).
    """
    return _theorem1_tight(_prepare(mdp, pi, pi_new, ev, ev_new, atol))


def _theorem1_tight(inst: _Instance) -> BoundResult:
    alpha = float(dv.tv_unchecked(inst.pi, inst.pi_new).max())
    eps = epsilon_of(inst.ev)
    g = inst.mdp.gamma
    penalty = 4.0 * alpha**2 * g * eps / ((1.0 - g) * (1.0 - g * (1.0 - alpha)))  # Eq. (44)
    return _result(inst, "theorem1_tight", "[TRPO] proof of Theorem 1, Eq. (44)", penalty, True,
                   dict(eps=eps, alpha=alpha, gamma=g), "two-sided; alpha = max-TV; " + _NOTE_TRPO)


def kl_bound(mdp, pi, pi_new, constant: str = "pollard", *, ev=None, ev_new=None, atol=None) -> BoundResult:
    """Eq. (9) of [TRPO]: ``eta(pi_new) >= L_pi(pi_new) - C D_KL^max(pi, pi_new)``.

    ``constant="pollard"`` uses ``C = 4 eps gamma/(1-gamma)^2`` (via ``D_TV^2 <= D_KL``, Pollard 2000),
    as in the paper; ``constant="pinsker"`` uses ``C/2`` (via Pinsker, ``D_TV^2 <= D_KL/2``), also valid.
    The KL is ``max_s KL(pi(.|s) || pi_new(.|s))``; it is ``+inf`` when ``pi_new`` drops an action that
    ``pi`` uses, and then ``rhs = -inf`` and ``holds = True``.
    """
    if constant not in ("pollard", "pinsker"):
        raise ValueError(f"constant must be 'pollard' or 'pinsker', got {constant!r}")
    return _kl_bound(_prepare(mdp, pi, pi_new, ev, ev_new, atol), constant)


def _kl_bound(inst: _Instance, constant: str) -> BoundResult:
    kl_max = float(dv.kl_unchecked(inst.pi, inst.pi_new).max())
    eps = epsilon_of(inst.ev)
    g = inst.mdp.gamma
    C = theory_C_of(inst.ev)
    if constant == "pinsker":
        C /= 2.0
    name = "kl_max" if constant == "pollard" else "kl_max_pinsker"
    src = "[TRPO] Eq. (9)" if constant == "pollard" else "[TRPO] Eq. (9) with Pinsker (C/2)"
    return _result(inst, name, src, penalty_product(C, kl_max), False,  # Eq. (9)
                   dict(eps=eps, kl_max=kl_max, C=C, gamma=g),
                   "KL(pi || pi_new), max over states; " + _NOTE_TRPO)


def cpi_decomposition(pi, pi_new) -> tuple[float, np.ndarray]:
    """Write ``pi_new = (1 - alpha) pi + alpha pi'`` with the smallest ``alpha`` in [0, 1].

    ``alpha = 1 - min_{s,a: pi(a|s) > 0} pi_new(a|s) / pi(a|s)`` and ``pi' = (pi_new - (1-alpha) pi)/alpha``
    (``pi' = pi`` when ``alpha = 0``). Every policy pair has such a decomposition (``alpha = 1``,
    ``pi' = pi_new`` at worst), so the CPI bounds apply to any pair.
    """
    pi = as_policy(pi, name="pi")
    pi_new = as_policy(pi_new, pi.shape[0], pi.shape[1], name="pi_new")
    pos = pi > 0
    ratio = np.min(np.where(pos, pi_new / np.where(pos, pi, 1.0), np.inf))
    alpha = float(np.clip(1.0 - ratio, 0.0, 1.0))
    if alpha <= 1e-15:
        return 0.0, pi.copy()
    pi_prime = (pi_new - (1.0 - alpha) * pi) / alpha
    pi_prime = np.maximum(pi_prime, 0.0)  # remove round-off negatives of order 1e-16
    pi_prime /= pi_prime.sum(axis=1, keepdims=True)
    return alpha, pi_prime


def cpi_terms(ev: Evaluation, pi_prime: np.ndarray) -> tuple[float, float]:
    """``(𝔸', eps')`` of Eq. (6) of [TRPO] (THEORY.md §3) from an evaluation of ``pi`` and a validated
    ``pi'``: ``𝔸' = sum_s rho_pi(s) sum_a pi'(a|s) A_pi(s, a)`` and ``eps' = max_s |sum_a pi'(a|s) A_pi(s, a)|``."""
    Aprime_s = expected_advantage_of(ev, pi_prime)
    return float(ev.rho @ Aprime_s), float(np.max(np.abs(Aprime_s)))  # 𝔸' in [TRPO] units, eps'


def cpi_alpha_star_of(ev: Evaluation, pi_prime: np.ndarray) -> float:
    """The one home of CPI's step size: ``alpha* = min{1, (1-gamma)^2 𝔸' / (4 gamma eps')}`` clipped to
    ``[0, 1]`` (the maximizer of the lower bound of Eq. (6) of [TRPO] over ``alpha in [0, 1]``; THEORY.md §3).

    Edge rules: 0 when ``𝔸' <= 0`` (no improvement certified) or ``eps'`` is zero up to round-off
    (``eps' <= 64 machine-eps (1 + max|Q|)``: ``pi`` is already greedy where it matters); 1 when
    ``gamma = 0`` (the bound has no penalty).
    """
    A_bold, eps_p = cpi_terms(ev, pi_prime)
    g = ev.gamma
    if A_bold <= 0.0 or eps_p <= 64 * np.finfo(float).eps * (1.0 + float(np.max(np.abs(ev.Q)))):
        return 0.0
    if g == 0.0:
        return 1.0
    return float(min(1.0, (1.0 - g) ** 2 * A_bold / (4.0 * g * eps_p)))  # Eq. (6)


def cpi_alpha_star(mdp, pi, pi_prime, *, ev=None) -> float:
    """The mixture weight maximizing the CPI bound Eq. (6): ``alpha* = min{1, (1-gamma)^2 𝔸'/(4 gamma eps')}``.

    ``𝔸' = sum_s rho_pi(s) sum_a pi'(a|s) A_pi(s, a)``, ``eps' = max_s |sum_a pi'(a|s) A_pi(s, a)|``
    (THEORY.md §3). Returns 0 when ``𝔸' <= 0`` (no improvement certified) and 1 when ``gamma = 0``;
    see :func:`cpi_alpha_star_of` for the edge rules (the same function :func:`bounds.cpi_step` uses).
    """
    pi = as_policy(pi, mdp.n_states, mdp.n_actions, name="pi")
    pi_prime = as_policy(pi_prime, mdp.n_states, mdp.n_actions, name="pi_prime")
    return cpi_alpha_star_of(resolve_evaluation(mdp, pi, ev), pi_prime)


def _mixture_instance(mdp, pi, pi_prime, alpha, ev, atol):
    alpha = check_unit_interval(alpha, "alpha")
    pi = as_policy(pi, mdp.n_states, mdp.n_actions, name="pi")
    pi_prime = as_policy(pi_prime, mdp.n_states, mdp.n_actions, name="pi_prime")
    pi_new = (1.0 - alpha) * pi + alpha * pi_prime  # Eq. (5)
    return _prepare(mdp, pi, pi_new, ev, None, atol), pi_prime, alpha


def _cpi_result(inst: _Instance, pi_prime: np.ndarray, alpha: float, which: str) -> BoundResult:
    """Eq. (6) (``which="cpi"``) or [KL02] Thm 4.1 (``"kl02"``) for ``inst.pi_new = (1-alpha) pi + alpha pi'``."""
    A_bold, eps_p = cpi_terms(inst.ev, pi_prime)
    g = inst.mdp.gamma
    consts = dict(alpha=alpha, eps_prime=eps_p, A_prime=A_bold, gamma=g)
    if which == "cpi":
        penalty = 2.0 * eps_p * g * alpha**2 / (1.0 - g) ** 2  # Eq. (6)
        return _result(inst, "cpi", "[TRPO] Eq. (6) ([KL02] in TRPO units)", penalty, False, consts,
                       "mixture (1-alpha) pi + alpha pi'; " + _NOTE_TRPO)
    penalty = 2.0 * alpha**2 * g * eps_p / ((1.0 - g) * (1.0 - g * (1.0 - alpha)))  # [KL02] Thm 4.1
    return _result(inst, "kl02", "[KL02] Theorem 4.1 (TRPO units)", penalty, False, consts,
                   "mixture (1-alpha) pi + alpha pi'; values unnormalized; " + _NOTE_TRPO)


def cpi_bound(mdp, pi, pi_prime, alpha, *, ev=None, atol=None) -> BoundResult:
    """Eq. (6) of [TRPO] (Kakade & Langford's bound in [TRPO] units) for ``pi_new = (1-alpha) pi + alpha pi'``::

        eta(pi_new) >= L_pi(pi_new) - 2 eps' gamma alpha^2 / (1-gamma)^2,
        eps' = max_s |sum_a pi'(a|s) A_pi(s, a)|.
    """
    inst, pi_prime, alpha = _mixture_instance(mdp, pi, pi_prime, alpha, ev, atol)
    return _cpi_result(inst, pi_prime, alpha, "cpi")


def kl02_bound(mdp, pi, pi_prime, alpha, *, ev=None, atol=None) -> BoundResult:
    """[KL02] Theorem 4.1 in [TRPO] units (THEORY.md §3), for ``pi_new = (1-alpha) pi + alpha pi'``::

        eta(pi_new) - eta(pi) >= alpha 𝔸' - 2 alpha^2 gamma eps' / ((1-gamma)(1 - gamma(1-alpha))).

    Since ``L_pi(pi_new) = eta(pi) + alpha 𝔸'``, the penalty is the subtracted term; it never exceeds
    Eq. (6)'s because ``1 - gamma(1-alpha) >= 1 - gamma``. ([KL02] writes values normalized by
    ``(1-gamma)``; both sides here are in [TRPO]'s unnormalized units.)
    """
    inst, pi_prime, alpha = _mixture_instance(mdp, pi, pi_prime, alpha, ev, atol)
    return _cpi_result(inst, pi_prime, alpha, "kl02")


def cpo_bound(mdp, pi, pi_new, corollary: int = 1, *, ev=None, ev_new=None, atol=None) -> BoundResult:
    """[CPO] (Achiam et al. 2017) Corollary 1 or 3, in [TRPO] units; two-sided.

    Cor. 1: ``|eta(pi_new) - L_pi(pi_new)| <= (2 gamma eps^new / (1-gamma)^2) sum_s d_pi(s) D_TV(s)``
    with ``eps^new = max_s |Abar(s)|`` and the **normalized** ``d_pi``.

    Cor. 3: replaces ``sum_s d_pi D_TV`` by ``sqrt(1/2 sum_s d_pi(s) KL(pi_new(.|s) || pi(.|s)))``
    (Pinsker + Jensen) -- note the **reverse** KL direction of [CPO].
    [CPO] writes ``(1/(1-gamma)) E_{s~d, a~pi_new}[A_pi]``, which is ``L - eta`` with [TRPO]'s ``rho``.
    """
    if isinstance(corollary, bool) or corollary not in (1, 3):
        raise ValueError(f"corollary must be 1 or 3, got {corollary!r}")
    return _cpo_bound(_prepare(mdp, pi, pi_new, ev, ev_new, atol), corollary)


def _cpo_bound(inst: _Instance, corollary: int) -> BoundResult:
    g = inst.mdp.gamma
    eps_new = float(np.max(np.abs(inst.Abar)))
    coef = 2.0 * g * eps_new / (1.0 - g) ** 2
    if corollary == 1:
        div = dv.weighted_mean(dv.tv_unchecked(inst.pi, inst.pi_new), inst.ev.d)
        return _result(inst, "cpo_tv", "[CPO] Corollary 1", penalty_product(coef, div), True,
                       dict(eps_new=eps_new, mean_tv_d=div, gamma=g),
                       "two-sided; TV averaged over normalized d_pi")
    mean_kl_rev = dv.weighted_mean(dv.kl_unchecked(inst.pi_new, inst.pi), inst.ev.d)
    div = math.sqrt(0.5 * mean_kl_rev)
    return _result(inst, "cpo_kl", "[CPO] Corollary 3", penalty_product(coef, div), True,
                   dict(eps_new=eps_new, mean_kl_reverse_d=mean_kl_rev, gamma=g),
                   "two-sided; KL(pi_new || pi) averaged over normalized d_pi")


def cpo_general_bound(mdp, pi, pi_new, f=None, *, ev=None, ev_new=None, atol=None) -> BoundResult:
    """[CPO] (Achiam et al. 2017) Theorem 1, the bound for an arbitrary ``f: S -> R``; two-sided::

        |eta(pi_new) - eta(pi) - L_f / (1-gamma)| <= (2 gamma eps_f / (1-gamma)^2) sum_s d_pi(s) D_TV(s)

    with ``delta_f(s, a) = R(s, a) + gamma sum_t P(t|s, a) f(t) - f(s)``,
    ``eps_f = max_s |sum_a pi_new(a|s) delta_f(s, a)|`` and
    ``L_f = sum_s d_pi(s) sum_a (pi_new - pi)(a|s) delta_f(s, a)``, ``d_pi`` the **normalized**
    visitation (THEORY.md §8). [CPO] writes ``L_f`` as ``E_{s~d_pi, a~pi}[(pi_new/pi - 1) delta_f]``
    and ``delta_f`` with ``s'`` sampled; in expectation over ``s'`` it is the ``delta_f`` above.

    ``f``: ``None`` (default) -- one step of policy evaluation of ``pi_new`` applied to ``V_pi``,
    ``f = T_{pi_new} V_pi = sum_a pi_new(a|s) Q_pi(s, a)``; ``"V_pi"`` -- [CPO] Cor. 1 (then
    ``delta_f = A_pi``, ``L_f/(1-gamma) = L_pi(pi_new) - eta(pi)`` of Eq. (3), and this is
    :func:`cpo_bound`); ``"V_pi_new"`` -- ``eps_f = 0`` and the bound is an equality (the reverse
    form of THEORY.md §2); or an (S,) array.

    The bound is centred at ``eta(pi) + L_f/(1-gamma)``, not at Eq. (3)'s ``L_pi(pi_new)`` (unless
    ``f = V_pi``), so in the table's terms (``rhs = L - penalty``, two-sidedness about ``L``) it is
    reported as a lower bound: ``rhs`` is Theorem 1's lower bound (``penalty = L - rhs``, which may be
    negative when the lower bound exceeds ``L``) and ``two_sided=False``; Theorem 1's upper bound is
    ``constants["upper"]`` and is part of ``holds`` (also ``constants["centre"]``, ``["half_width"]``).
    """
    return _cpo_general(_prepare(mdp, pi, pi_new, ev, ev_new, atol), f)


def _cpo_f(inst: _Instance, f) -> tuple[np.ndarray, str]:
    S = inst.mdp.n_states
    if f is None:
        return np.einsum("sa,sa->s", inst.pi_new, inst.ev.Q), "T_{pi_new} V_pi"  # one evaluation step
    if isinstance(f, str):
        if f == "V_pi":
            return np.asarray(inst.ev.V), "V_pi"
        if f == "V_pi_new":
            return np.asarray(inst.ev_new.V), "V_pi_new"
        raise ValueError(f"f must be None, 'V_pi', 'V_pi_new' or an (S,) array, got {f!r}")
    arr = np.array(f, dtype=np.float64)
    if arr.shape != (S,) or not np.all(np.isfinite(arr)):
        raise ValueError(f"f must be a finite array of shape ({S},), got shape {arr.shape}")
    return arr, "array"


def _cpo_general(inst: _Instance, f) -> BoundResult:
    mdp, g = inst.mdp, inst.mdp.gamma
    S, A = mdp.shape
    fv, which = _cpo_f(inst, f)
    delta_f = mdp.R + g * np.asarray(mdp.P_flat @ fv).reshape(S, A) - fv[:, None]  # [CPO] Thm 1
    eps_f = float(np.max(np.abs(np.einsum("sa,sa->s", inst.pi_new, delta_f))))
    L_f = float(inst.ev.d @ np.einsum("sa,sa->s", inst.pi_new - inst.pi, delta_f))
    mean_tv_d = dv.weighted_mean(dv.tv_unchecked(inst.pi, inst.pi_new), inst.ev.d)
    half = penalty_product(2.0 * g * eps_f / (1.0 - g) ** 2, mean_tv_d)  # [CPO] Thm 1
    centre = inst.ev.eta + L_f / (1.0 - g)
    lower, upper = centre - half, centre + half
    r = _result(inst, "cpo_general", "[CPO] Theorem 1", inst.L - lower, False,  # rhs = lower
                dict(eps_f=eps_f, L_f=L_f, mean_tv_d=mean_tv_d, centre=centre, half_width=half,
                     upper=upper, gamma=g),
                f"f = {which}; lower bound = rhs, upper bound = constants['upper'] (both in holds); "
                "TV averaged over normalized d_pi")
    if r.holds and not r.eta_new <= upper + inst.atol:
        r = dataclasses.replace(r, holds=False)
    return r


def cpo_f_tightening(mdp, pi, pi_new, f=None, *, ev=None, ev_new=None) -> float:
    """How much ``f`` tightens [CPO] Cor. 1: the ratio of the two bounds' worst-case errors,
    ``max(slack, upper - eta_new)`` of :func:`cpo_general_bound` with ``f`` over the same for
    ``f = V_pi`` (Cor. 1). Below 1 means ``f`` gives the tighter two-sided bound; widths within the
    default tolerance count as 0, and 0/0 is 1."""
    inst = _prepare(mdp, pi, pi_new, ev, ev_new, None)
    ref, new = _cpo_general(inst, "V_pi"), _cpo_general(inst, f)
    width = lambda r: max(r.slack, r.constants["upper"] - r.eta_new)  # noqa: E731
    w_ref, w_new = width(ref), width(new)
    if w_ref <= inst.atol:
        return 1.0 if w_new <= inst.atol else math.inf
    return float(w_new / w_ref)


def spi_bound(mdp, pi, pi_new, *, ev=None, ev_new=None, atol=None) -> BoundResult:
    """[SPI] (Pirotta et al. 2013) Theorem 3.5, in [TRPO] units::

        eta(pi_new) - eta(pi) >= sum_s rho_pi(s) Abar(s) - (gamma / (1-gamma)^2) ||pi_new - pi||_inf dA / 2

    with ``||pi_new - pi||_inf = max_s sum_a |pi_new - pi|`` (= 2 max-TV) and
    ``dA = max_s Abar(s) - min_s Abar(s)``. [SPI] writes ``(1/(1-gamma)) d_pi . Abar`` = ``rho_pi . Abar``.
    """
    return _spi_bound(_prepare(mdp, pi, pi_new, ev, ev_new, atol))


def _spi_bound(inst: _Instance) -> BoundResult:
    g = inst.mdp.gamma
    dist = float(np.max(np.abs(inst.pi_new - inst.pi).sum(axis=1)))
    spread = float(np.max(inst.Abar) - np.min(inst.Abar))
    penalty = g / (1.0 - g) ** 2 * dist * spread / 2.0  # [SPI] Thm 3.5
    return _result(inst, "spi", "[SPI] Theorem 3.5", penalty, False,
                   dict(l1_inf=dist, delta_Abar=spread, gamma=g), "rho unnormalized; " + _NOTE_TRPO)


def span_bound(mdp, pi, pi_new, *, ev=None, ev_new=None, atol=None) -> BoundResult:
    """The resolvent-span bound of THEORY.md §3 (derived for this project), two-sided::

        |eta(pi_new) - L_pi(pi_new)| <= (gamma/(1-gamma)) sum_s d_pi(s) D_TV(s) (max w - min w),
        w = (I - gamma P_{pi_new})^{-1} Abar.

    Proof: ``eta(pi_new) - L = gamma rho_pi^T (P_{pi_new} - P_pi) w``; each row of
    ``P_{pi_new} - P_pi`` sums to zero and has l1 norm at most ``2 D_TV(s)``. ``w`` is the value of
    ``pi_new`` for the state reward ``Abar``, computed by an exact evaluation.
    """
    return _span_bound(_prepare(mdp, pi, pi_new, ev, ev_new, atol))


def _span_bound(inst: _Instance) -> BoundResult:
    g = inst.mdp.gamma
    mdp = inst.mdp
    w = evaluate(mdp.with_rewards(inst.Abar), inst.pi_new).V  # w = (I - gamma P_new)^{-1} Abar
    span = float(np.max(w) - np.min(w))
    mean_tv_d = dv.weighted_mean(dv.tv_unchecked(inst.pi, inst.pi_new), inst.ev.d)
    penalty = g / (1.0 - g) * mean_tv_d * span
    return _result(inst, "span", "THEORY.md §3 resolvent-span bound", penalty, True,
                   dict(span_w=span, mean_tv_d=mean_tv_d, gamma=g),
                   "two-sided; TV averaged over normalized d_pi")


def check_all(mdp, pi, pi_new, *, ev=None, atol=None) -> BoundTable:
    """Evaluate every bound of THEORY.md §3 on ``(mdp, pi, pi_new)``.

    The CPI bounds (Eq. (6) and [KL02] Thm 4.1) are applied through the smallest mixture
    decomposition ``pi_new = (1-alpha) pi + alpha pi'`` (:func:`cpi_decomposition`), so they apply to
    every pair. Both policies are evaluated once and shared by all bounds. The last entry,
    ``"cpo_general"``, is [CPO] Theorem 1 with ``f = T_{pi_new} V_pi`` (:func:`cpo_general_bound`).
    """
    inst = _prepare(mdp, pi, pi_new, ev, None, atol)
    alpha, pi_prime = cpi_decomposition(inst.pi, inst.pi_new)
    return BoundTable(results=(
        _theorem1(inst),
        _theorem1_tight(inst),
        _kl_bound(inst, "pollard"),
        _kl_bound(inst, "pinsker"),
        _cpi_result(inst, pi_prime, alpha, "cpi"),
        _cpi_result(inst, pi_prime, alpha, "kl02"),
        _cpo_bound(inst, 1),
        _cpo_bound(inst, 3),
        _spi_bound(inst),
        _span_bound(inst),
        _cpo_general(inst, None),
    ))


def assert_bound(result, atol: float | None = None) -> None:
    """Raise ``AssertionError`` with a readable diagnosis unless ``result`` holds.

    ``result`` is a :class:`BoundResult` or a :class:`BoundTable` (every entry is checked).
    ``atol`` overrides the tolerance stored in the result.
    """
    if isinstance(result, BoundTable):
        failures = []
        for r in result:
            try:
                assert_bound(r, atol)
            except AssertionError as exc:
                failures.append(str(exc))
        if failures:
            raise AssertionError("\n\n".join(failures))
        return
    if not isinstance(result, BoundResult):
        raise TypeError(f"assert_bound takes a BoundResult or BoundTable, got {type(result).__name__}")
    tol = result.atol if atol is None else check_tolerance(atol, "atol")
    low_ok = result.slack >= -tol
    up_ok = (not result.two_sided) or result.eta_new <= result.surrogate + result.penalty + tol
    if low_ok and up_ok:
        return
    consts = ", ".join(f"{k}={v:.6g}" for k, v in result.constants.items())
    side = "lower bound" if not low_ok else "upper side of the two-sided bound"
    raise AssertionError(
        f"{result.name} ({result.source}) violated on its {side}:\n"
        f"  eta(pi_new) = {result.eta_new:.12g}\n"
        f"  L_pi(pi_new) = {result.surrogate:.12g}   (eta(pi) = {result.eta:.12g})\n"
        f"  penalty = {result.penalty:.6g}, lower bound L - penalty = {result.rhs:.12g}\n"
        f"  slack = eta_new - rhs = {result.slack:.3g} (tolerance {tol:.3g}); |eta_new - L| = {result.gap:.6g}\n"
        f"  constants: {consts}\n  conventions: {result.notes}"
    )

"""The bounds of [TRPO]: Theorem 1 (Eq. (8)), its two-sided form from the proof (Eq. (44)) and the
KL form (Eq. (9)), THEORY.md §3."""

from __future__ import annotations

from tabular import divergences as dv
from tabular.divergences import penalty_product

from .base import NOTE_TRPO, Instance, epsilon_of, make_result, prepare, theory_C_of
from .results import BoundResult

__all__ = ["theorem1", "theorem1_tight", "kl_bound", "theorem1_of", "theorem1_tight_of", "kl_bound_of"]

# ----------------------------------------------------------------------------- the bounds
def theorem1(mdp, pi, pi_new, *, ev=None, ev_new=None, atol=None) -> BoundResult:
    """Theorem 1 of [TRPO], Eq. (8): ``eta(pi_new) >= L_pi(pi_new) - C alpha^2``.

    ``alpha = D_TV^max(pi, pi_new) = max_s 1/2 sum_a |pi - pi_new|``,
    ``C = 4 eps gamma / (1-gamma)^2``, ``eps = max_{s,a} |A_pi(s, a)|``.
    """
    return theorem1_of(prepare(mdp, pi, pi_new, ev, ev_new, atol))


def theorem1_of(inst: Instance) -> BoundResult:
    alpha = float(dv.tv_unchecked(inst.pi, inst.pi_new).max())
    eps = epsilon_of(inst.ev)
    g = inst.mdp.gamma
    C = theory_C_of(inst.ev)
    return make_result(inst, "theorem1", "[TRPO] Theorem 1, Eq. (8)", C * alpha**2, False,  # Eq. (8)
                   dict(eps=eps, alpha=alpha, C=C, gamma=g), "alpha = max-TV; " + NOTE_TRPO)


def theorem1_tight(mdp, pi, pi_new, *, ev=None, ev_new=None, atol=None) -> BoundResult:
    """Two-sided form from the proof of Theorem 1 ([TRPO] Appendix A, Eq. (44) of arXiv v5)::

        |eta(pi_new) - L_pi(pi_new)| <= 4 alpha^2 gamma eps / ((1-gamma)(1 - gamma(1-alpha)))

    It sums the geometric series of Lemma 3 exactly instead of bounding ``1-(1-alpha)^t`` by 1, so its
    penalty never exceeds Theorem 1's (THEORY.md §3).
    """
    return theorem1_tight_of(prepare(mdp, pi, pi_new, ev, ev_new, atol))


def theorem1_tight_of(inst: Instance) -> BoundResult:
    alpha = float(dv.tv_unchecked(inst.pi, inst.pi_new).max())
    eps = epsilon_of(inst.ev)
    g = inst.mdp.gamma
    penalty = 4.0 * alpha**2 * g * eps / ((1.0 - g) * (1.0 - g * (1.0 - alpha)))  # Eq. (44)
    return make_result(inst, "theorem1_tight", "[TRPO] proof of Theorem 1, Eq. (44)", penalty, True,
                   dict(eps=eps, alpha=alpha, gamma=g), "two-sided; alpha = max-TV; " + NOTE_TRPO)


def kl_bound(mdp, pi, pi_new, constant: str = "pollard", *, ev=None, ev_new=None, atol=None) -> BoundResult:
    """Eq. (9) of [TRPO]: ``eta(pi_new) >= L_pi(pi_new) - C D_KL^max(pi, pi_new)``.

    ``constant="pollard"`` uses ``C = 4 eps gamma/(1-gamma)^2`` (via ``D_TV^2 <= D_KL``, Pollard 2000),
    as in the paper; ``constant="pinsker"`` uses ``C/2`` (via Pinsker, ``D_TV^2 <= D_KL/2``), also valid.
    The KL is ``max_s KL(pi(.|s) || pi_new(.|s))``; it is ``+inf`` when ``pi_new`` drops an action that
    ``pi`` uses, and then ``rhs = -inf`` and ``holds = True``.
    """
    if constant not in ("pollard", "pinsker"):
        raise ValueError(f"constant must be 'pollard' or 'pinsker', got {constant!r}")
    return kl_bound_of(prepare(mdp, pi, pi_new, ev, ev_new, atol), constant)


def kl_bound_of(inst: Instance, constant: str) -> BoundResult:
    kl_max = float(dv.kl_unchecked(inst.pi, inst.pi_new).max())
    eps = epsilon_of(inst.ev)
    g = inst.mdp.gamma
    C = theory_C_of(inst.ev)
    if constant == "pinsker":
        C /= 2.0
    name = "kl_max" if constant == "pollard" else "kl_max_pinsker"
    src = "[TRPO] Eq. (9)" if constant == "pollard" else "[TRPO] Eq. (9) with Pinsker (C/2)"
    return make_result(inst, name, src, penalty_product(C, kl_max), False,  # Eq. (9)
                   dict(eps=eps, kl_max=kl_max, C=C, gamma=g),
                   "KL(pi || pi_new), max over states; " + NOTE_TRPO)

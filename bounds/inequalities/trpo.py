"""The bounds of [TRPO]: Theorem 1 (Eq. (8)), its two-sided form from the proof (Eq. (44)) and the
KL form (Eq. (9)), THEORY.md §3. The penalties are the registry's records (:mod:`bounds.registry.theory`);
these functions evaluate them on one instance."""

from __future__ import annotations

from .base import one_result, prepare
from .results import BoundResult

__all__ = ["theorem1", "theorem1_tight", "kl_bound"]


def theorem1(mdp, pi, pi_new, *, ev=None, ev_new=None, atol=None) -> BoundResult:
    """Theorem 1 of [TRPO], Eq. (8): ``eta(pi_new) >= L_pi(pi_new) - C alpha^2``.

    ``alpha = D_TV^max(pi, pi_new) = max_s 1/2 sum_a |pi - pi_new|``,
    ``C = 4 eps gamma / (1-gamma)^2``, ``eps = max_{s,a} |A_pi(s, a)|``.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import theorem1, theory_C
    >>> m = T.two_state(0.9); pi = T.uniform(m); pn = T.random_policy(m, rng=0)
    >>> r = theorem1(m, pi, pn)
    >>> alpha = float(abs(pi - pn).sum(axis=1).max() / 2)
    >>> print(r.holds, f"{r.slack:.4f}", abs(r.penalty - theory_C(m, pi) * alpha ** 2) < 1e-9)
    True 1.8320 True
    """
    return one_result("theorem1", prepare(mdp, pi, pi_new, ev, ev_new, atol))


def theorem1_tight(mdp, pi, pi_new, *, ev=None, ev_new=None, atol=None) -> BoundResult:
    """Two-sided form from the proof of Theorem 1 ([TRPO] Appendix A, Eq. (44) of arXiv v5)::

        |eta(pi_new) - L_pi(pi_new)| <= 4 alpha^2 gamma eps / ((1-gamma)(1 - gamma(1-alpha)))

    It sums the geometric series of Lemma 3 exactly instead of bounding ``1-(1-alpha)^t`` by 1, so its
    penalty never exceeds Theorem 1's (THEORY.md §3).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import theorem1, theorem1_tight
    >>> m = T.two_state(0.9); pi = T.uniform(m); pn = T.random_policy(m, rng=0)
    >>> r = theorem1_tight(m, pi, pn)
    >>> print(r.holds, r.two_sided, f"{r.slack:.4f}", r.rhs >= theorem1(m, pi, pn).rhs)
    True True 0.4003 True
    """
    return one_result("theorem1_tight", prepare(mdp, pi, pi_new, ev, ev_new, atol))


def kl_bound(mdp, pi, pi_new, constant: str = "pollard", *, ev=None, ev_new=None, atol=None) -> BoundResult:
    """Eq. (9) of [TRPO]: ``eta(pi_new) >= L_pi(pi_new) - C D_KL^max(pi, pi_new)``.

    ``constant="pollard"`` uses ``C = 4 eps gamma/(1-gamma)^2`` (via ``D_TV^2 <= D_KL``, Pollard 2000),
    as in the paper (registry name ``"kl_max"``); ``constant="pinsker"`` uses ``C/2`` (via Pinsker,
    ``D_TV^2 <= D_KL/2``), also valid (``"kl_max_pinsker"``). The KL is ``max_s KL(pi(.|s) || pi_new(.|s))``;
    it is ``+inf`` when ``pi_new`` drops an action that ``pi`` uses, and then ``rhs = -inf`` and ``holds = True``.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import kl_bound
    >>> m = T.two_state(0.9); pi = T.uniform(m); pn = T.random_policy(m, rng=0)
    >>> r, rp = kl_bound(m, pi, pn), kl_bound(m, pi, pn, constant="pinsker")
    >>> print(r.name, rp.name, r.holds and rp.holds, abs(rp.penalty - r.penalty / 2) < 1e-9)
    kl_max kl_max_pinsker True True
    """
    if constant not in ("pollard", "pinsker"):
        raise ValueError(f"constant must be 'pollard' or 'pinsker', got {constant!r}")
    name = "kl_max" if constant == "pollard" else "kl_max_pinsker"
    return one_result(name, prepare(mdp, pi, pi_new, ev, ev_new, atol))


theorem1.__bound__, theorem1_tight.__bound__, kl_bound.__bound__ = "theorem1", "theorem1_tight", "kl_max"

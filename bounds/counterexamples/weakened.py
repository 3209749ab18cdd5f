"""Weakened versions of true bounds: claims a search must be able to falsify.

A true bound ``eta(pi_new) >= L - penalty`` (``L`` the surrogate of Eq. (3) of [TRPO]) becomes false when
its penalty is made too small. :func:`weakened_claims` builds, from a list of claims, the variants

* ``"<name>/2"`` and ``"<name>/4"``: ``L - penalty / 2`` and ``L - penalty / 4`` (half, a quarter of the constant);
* ``"<name>*tv"``: ``L - penalty * alpha``, ``alpha = max_s TV(pi(.|s), pi_new(.|s)) <= 1``: one more power of
  the total-variation distance (a TV penalty to the power 1 -> 2, Theorem 1's alpha^2 -> alpha^3);

computed from the claim's own value (``penalty = L - rhs``), so the builder needs nothing but the list.
A variant is skipped when it equals another true bound of the list (``kl_max/2`` is ``kl_max_pinsker``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tabular.evaluation import surrogate

from .search import rhs_of

__all__ = ["WeakenedClaim", "weakened_claims", "KNOWN_TRUE"]

#: Variants that are themselves true bounds: ``kl_max`` with half its constant is Pinsker's form.
KNOWN_TRUE = {"kl_max/2": "kl_max_pinsker"}


@dataclass(frozen=True, eq=False)
class WeakenedClaim:
    """``base`` with its penalty multiplied by ``factor`` (``kind="factor"``) or by the max TV (``kind="tv"``).

    Examples
    --------
    >>> from tabular import surrogate, two_state, uniform
    >>> from bounds.counterexamples import claim_named
    >>> from bounds.counterexamples.weakened import WeakenedClaim
    >>> m = two_state(gamma=0.9)
    >>> pi, pi_new = uniform(m), [[0.6, 0.4], [0.3, 0.7]]
    >>> base = claim_named("theorem1")
    >>> half = WeakenedClaim("theorem1/2", base, "factor", 0.5)
    >>> L = surrogate(m, pi, pi_new)
    >>> print(round((L - half(m, pi, pi_new)) / (L - base(m, pi, pi_new)), 6))
    0.5
    """

    name: str
    base: object
    kind: str
    factor: float = 1.0

    def __call__(self, mdp, pi, pi_new) -> float:
        rhs = rhs_of(self.base, mdp, pi, pi_new)
        L = surrogate(mdp, pi, pi_new)  # Eq. (3)
        penalty = L - rhs
        if self.kind == "tv":
            alpha = float(np.max(0.5 * np.abs(np.asarray(pi) - np.asarray(pi_new)).sum(axis=1)))
            return L - penalty * alpha
        return L - self.factor * penalty

    def __repr__(self) -> str:
        return f"WeakenedClaim({self.name!r})"


def weakened_claims(claims) -> list[WeakenedClaim]:
    """The weakened variants (module docstring) of every claim in ``claims`` (objects with ``name``, e.g.
    the values of :data:`.claims.CLAIMS` with ``theorem=True`` or the records of a registry).

    Examples
    --------
    >>> from bounds.counterexamples import CLAIMS
    >>> from bounds.counterexamples.weakened import weakened_claims
    >>> print([w.name for w in weakened_claims([CLAIMS["kl_max"], CLAIMS["cpi"]])])
    ['kl_max/4', 'kl_max*tv', 'cpi/2', 'cpi/4', 'cpi*tv']
    """
    out = []
    for c in claims:
        name = getattr(c, "name", None)
        if not isinstance(name, str) or not callable(c):
            raise TypeError(f"claims: each item needs a name and must be callable, got {c!r}")
        for tag, kind, factor in (("/2", "factor", 0.5), ("/4", "factor", 0.25), ("*tv", "tv", 1.0)):
            if name + tag not in KNOWN_TRUE:
                out.append(WeakenedClaim(name + tag, c, kind, factor))
    return out

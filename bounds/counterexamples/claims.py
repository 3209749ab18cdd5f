"""Named claims: every bound of the registry (:mod:`bounds.registry`; the theorems of THEORY.md §3, the
non-theorems of §6 and any bound a user registered or names as ``MODULE:FUNCTION``), each evaluated
from the record's ONE penalty function -- in floating point for the search, and on exact quantities for
certificates (:class:`~bounds.registry.ExactQuantities`: the slack ``eta(pi_new) - rhs`` as a Fraction, an
interval where a log or sqrt enters, or ``+inf`` when the claimed bound is ``-inf``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ..registry import Bound, ExactQuantities, as_bound, bound_named, exact_slack, registered, registry_names
from ..registry.evaluation import penalty_arrays

__all__ = ["Claim", "CLAIMS", "claim_named", "ExactPair", "claim_of"]

#: The exact quantities of one rational instance ``(mdp, pi, pi_new)`` (the former exact twins' input).
ExactPair = ExactQuantities

#: Parameters the certificate format recorded for claims that used to be one function of a family.
_PARAMS = {"kl_max": {"constant": "pollard"}, "kl_max_pinsker": {"constant": "pinsker"}, "cpi": {"which": "cpi"},
           "kl02": {"which": "kl02"}, "cpo_tv": {"corollary": 1}, "cpo_kl": {"corollary": 3},
           "mean_kl": {"weights": "rho"}, "mean_kl_d": {"weights": "d"}}


@dataclass(frozen=True, eq=False)
class Claim:
    """A claimed lower bound on ``eta(pi_new)``: a registry record, callable in floating point
    (``claim(mdp, pi, pi_new) -> rhs``) and evaluable exactly (:meth:`exact_slack`).

    Examples
    --------
    >>> from tabular import evaluate, two_state, uniform
    >>> from bounds.counterexamples import Claim, claim_named
    >>> claim = claim_named("theorem1")
    >>> print(isinstance(claim, Claim), claim.theorem, claim.exact)
    True True True
    >>> m = two_state(gamma=0.9)
    >>> pi, pi_new = uniform(m), [[0.6, 0.4], [0.3, 0.7]]
    >>> print(evaluate(m, pi_new).eta >= claim(m, pi, pi_new))
    True
    """

    bound: Bound
    params: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    @property
    def name(self) -> str:
        """The registered name, or ``MODULE:FUNCTION`` of an unregistered user bound (so that its
        certificate names what to import)."""
        b = self.bound
        return b.ref if b.ref and b.name not in registry_names() else b.name

    statement = property(lambda self: self.bound.statement)
    source = property(lambda self: self.bound.source)
    theorem = property(lambda self: self.bound.theorem)

    @property
    def function(self):
        """The float form ``(mdp, pi, pi_new) -> rhs`` (the claim itself)."""
        return self

    @property
    def exact(self) -> bool:
        """Whether the claim's penalty is written over the named quantities (so its certificate can be proven)."""
        return self.bound.over_quantities

    def __call__(self, mdp, pi, pi_new) -> float:
        """The claimed lower bound ``centre - penalty`` in floating point (``pi_new`` is not evaluated)."""
        from ..inequalities.base import prepare

        half, centre, err = penalty_arrays(self.bound, prepare(mdp, pi, pi_new, evaluate_new=False).quantities(False))
        if err is not None and err[0]:
            raise ValueError(f"claim {self.name}: {err[0]}")
        return float(centre[0] - half[0])

    def exact_slack(self, pair: ExactQuantities):
        """``eta(pi_new) - rhs`` on the exact quantities ``pair`` (raises :class:`bounds.registry.NotExact`)."""
        return exact_slack(self.bound, pair)

    def __repr__(self) -> str:
        return f"Claim({self.name!r}, {'theorem' if self.theorem else 'FALSE'}, {self.source})"


def claim_of(bound) -> Claim:
    """The :class:`Claim` of a bound (a record, a name, ``MODULE:FUNCTION``, or a function).

    Examples
    --------
    >>> from bounds import bound_named
    >>> from bounds.counterexamples.claims import claim_of
    >>> claim = claim_of(bound_named("kl_max"))
    >>> print(claim.name, dict(claim.params), claim_of(claim) is claim)
    kl_max {'constant': 'pollard'} True
    """
    if isinstance(bound, Claim):
        return bound
    b = as_bound(bound)
    return Claim(b, MappingProxyType(dict(_PARAMS.get(b.name, {}))))


class _Claims(Mapping):
    """Every registered bound as a :class:`Claim`, by name, in registry order (read on each access, so
    a bound registered later is a claim too)."""

    def __getitem__(self, name):
        for b in registered():
            if b.name == name:
                return claim_of(b)
        raise KeyError(name)

    def __iter__(self):
        return iter([b.name for b in registered()])

    def __len__(self):
        return len(registered())


#: Every named claim, by name.
CLAIMS = _Claims()


def claim_named(name: str) -> Claim:
    """The :class:`Claim` called ``name``: a registered bound (also ``bounds:theorem1``-style and
    function-name aliases) or ``MODULE:FUNCTION``.

    Examples
    --------
    >>> from bounds.counterexamples import claim_named
    >>> print(claim_named("mean_kl"))
    Claim('mean_kl', FALSE, THEORY.md §6 (false))
    >>> try:
    ...     claim_named(3)
    ... except TypeError as err:
    ...     print(err)
    name must be a string, got int
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    try:
        return claim_of(bound_named(name))
    except ValueError as exc:
        raise ValueError(f"name: no claim named {name!r}; known: {sorted(CLAIMS)} or MODULE:FUNCTION "
                         f"({exc})") from None

"""Certificates: a violation of a claimed bound written to JSON and re-checked without floating point.

A certificate holds a rational MDP ``(P, R, rho0, gamma)``, the two policies ``pi`` and ``pi_new``
(every number a ``"p/q"`` string), the claim (its name, parameters and statement) and the violation
claimed by whoever found it. :func:`verify_certificate` recomputes ``eta(pi_new)`` and the claimed
bound exactly (:mod:`.exact`): rationals for everything rational, ``mpmath.iv`` intervals for the
logarithms, and says "violated by at least x" with ``x > 0`` proven -- or that it could not prove it.

A claim that is not one of :data:`.claims.CLAIMS` (a user's ``module:function``) is proven the same way
when its penalty is written over the named quantities of :mod:`bounds.registry` (the same function is
evaluated on exact quantities); when it cannot be made exact (it is a function of ``(mdp, pi, pi_new)``,
or calls numpy or :mod:`math` on the numbers) it is re-evaluated in floating point on the float image of
the rational instance -- ``eta(pi_new)`` is still exact -- and the result says "not proven" and why.

Format (``"format": "trpo-theory-certificate", "version": 1``)::

    {"format": ..., "version": 1,
     "claim": {"name": "mean_kl", "params": {"weights": "rho"}, "statement": ..., "source": ...},
     "mdp": {"S": 3, "A": 2, "gamma": "1/100", "rho0": [...], "R": [[...]], "P": [[[...]]]},
     "pi": [[...]], "pi_new": [[...]],
     "claimed": {"eta_new": float, "rhs": float, "slack": float},
     "provenance": {...}}
"""

from __future__ import annotations

import importlib
import json
import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType

import numpy as np

from tabular.mdp import MDP

from ..registry import exact_slack
from .claims import CLAIMS, ExactPair, claim_named
from .exact import ExactMDP, as_fraction, exact_evaluate, exact_policy, interval_lower, interval_upper
from .search import rhs_of

__all__ = ["FORMAT", "Certificate", "Verification", "make_certificate", "verify_certificate",
           "load_certificate", "exact_row", "claim_label"]

FORMAT = "trpo-theory-certificate"


def _s(x: Fraction) -> str:
    x = Fraction(x)
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def exact_row(row) -> tuple:
    """A float (or rational) probability row as Fractions summing to exactly 1.

    Floats are taken at their exact binary value; the largest entry absorbs the round-off so the
    row sums to 1 (an error of order 1e-16, far below any violation the search reports).
    """
    fr = [as_fraction(v, "row") for v in row]
    if all(isinstance(v, (Fraction, int, str)) for v in row) and sum(fr) == 1:
        return tuple(fr)
    k = int(np.argmax([float(v) for v in fr]))
    fr[k] = 1 - (sum(fr) - fr[k])
    if fr[k] < 0:
        raise ValueError(f"row {list(row)} cannot be made a distribution")
    return tuple(fr)


def _exact_mdp(mdp) -> ExactMDP:
    if isinstance(mdp, ExactMDP):
        return mdp
    if not isinstance(mdp, MDP):
        raise TypeError(f"mdp must be a tabular.MDP or ExactMDP, got {type(mdp).__name__}")
    P = mdp.dense_P()
    S, A = mdp.shape
    return ExactMDP(tuple(tuple(exact_row(P[s, a]) for a in range(A)) for s in range(S)),
                    tuple(tuple(as_fraction(v) for v in row) for row in np.asarray(mdp.R)),
                    exact_row(mdp.rho0), as_fraction(mdp.gamma))


def _exact_pol(pi, S, A, name):
    arr = np.asarray(pi, dtype=object)
    if arr.shape != (S, A):
        raise ValueError(f"{name} must have shape {(S, A)}, got {arr.shape}")
    return exact_policy([exact_row(arr[s]) for s in range(S)], S, A, name)


def claim_label(claim) -> tuple[str, dict, str, str]:
    """``(name, params, statement, source)`` of a named claim, a :class:`~.claims.Claim`, or a callable."""
    from ..registry import Bound
    from .claims import Claim, claim_of

    if isinstance(claim, Bound) or getattr(claim, "__bound__", None) is not None:
        claim = claim_of(claim)
    if isinstance(claim, Claim):
        return claim.name, dict(claim.params), claim.statement, claim.source
    if isinstance(claim, str):
        try:
            c = claim_named(claim)
            return c.name, dict(c.params), c.statement, c.source
        except ValueError:
            return claim, {}, "user claim", claim
    if callable(claim):
        for c in CLAIMS.values():
            if c.function is claim:
                return c.name, dict(c.params), c.statement, c.source
        if getattr(claim, "__module__", "") in ("bounds.inequalities", "bounds.counterexamples.known"):
            try:  # a library function under its own name (default parameters)
                c = claim_named(claim.__name__)
                return c.name, dict(c.params), c.statement, c.source
            except ValueError:
                pass
        name = f"{getattr(claim, '__module__', '?')}:{getattr(claim, '__qualname__', repr(claim))}"
        return name, {}, "user claim", name
    raise TypeError(f"claim must be a name or a callable, got {type(claim).__name__}")


@dataclass(frozen=True, eq=False)
class Certificate:
    """A rational instance claimed to violate ``claim`` (see the module docstring for the JSON form)."""

    mdp: ExactMDP
    pi: tuple
    pi_new: tuple
    claim: str
    params: MappingProxyType
    statement: str
    source: str
    claimed: MappingProxyType
    provenance: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def to_dict(self) -> dict:
        S, A = self.mdp.shape
        m = self.mdp
        return {
            "format": FORMAT, "version": 1,
            "claim": {"name": self.claim, "params": dict(self.params), "statement": self.statement,
                      "source": self.source},
            "mdp": {"S": S, "A": A, "gamma": _s(m.gamma), "rho0": [_s(v) for v in m.rho0],
                    "R": [[_s(v) for v in row] for row in m.R],
                    "P": [[[_s(v) for v in row] for row in Ps] for Ps in m.P]},
            "pi": [[_s(v) for v in row] for row in self.pi],
            "pi_new": [[_s(v) for v in row] for row in self.pi_new],
            "claimed": dict(self.claimed), "provenance": dict(self.provenance),
        }

    def save(self, path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        return path

    def float_instance(self) -> tuple:
        """``(MDP, pi, pi_new)`` in floating point, for replaying the claim numerically."""
        return self.mdp.to_mdp(), np.array(self.pi, dtype=float), np.array(self.pi_new, dtype=float)

    def __repr__(self) -> str:
        S, A = self.mdp.shape
        return f"Certificate({self.claim!r}, S={S}, A={A}, gamma={_s(self.mdp.gamma)})"


def make_certificate(mdp, pi, pi_new, claim, *, provenance: dict | None = None) -> Certificate:
    """A certificate for ``(mdp, pi, pi_new)`` against ``claim`` (a name, a :class:`~.claims.Claim` or a callable).

    Float inputs are taken at their exact binary values (rows fixed to sum to exactly 1); shrink
    first (:func:`.shrink.shrink`) for small denominators. ``claimed`` records the float slack.
    """
    em = _exact_mdp(mdp)
    S, A = em.shape
    p, q = _exact_pol(pi, S, A, "pi"), _exact_pol(pi_new, S, A, "pi_new")
    name, params, statement, source = claim_label(claim)
    fn = claim if callable(claim) and not _over_quantities(claim) else claim_named(name) if name in CLAIMS else None
    if fn is None and not isinstance(claim, str) or _over_quantities(claim):
        from .claims import claim_of

        fn = claim_of(claim)
    m, fp, fq = em.to_mdp(), np.array(p, dtype=float), np.array(q, dtype=float)
    claimed = {}
    if fn is not None:
        from tabular.evaluation import evaluate

        rhs = rhs_of(fn, m, fp, fq)
        eta_new = float(evaluate(m, fq).eta)
        claimed = {"eta_new": eta_new, "rhs": rhs, "slack": eta_new - rhs}
    return Certificate(em, p, q, name, MappingProxyType(params), statement, source, MappingProxyType(claimed),
                       MappingProxyType(dict(provenance or {})))


def load_certificate(path) -> Certificate:
    """Read a certificate JSON file (or a dict in that form)."""
    d = path if isinstance(path, dict) else json.loads(Path(path).read_text())
    if d.get("format") != FORMAT:
        raise ValueError(f"path: not a {FORMAT} file (format={d.get('format')!r})")
    mdp = ExactMDP(d["mdp"]["P"], d["mdp"]["R"], d["mdp"]["rho0"], d["mdp"]["gamma"])
    S, A = mdp.shape
    c = d["claim"]
    return Certificate(mdp, exact_policy(d["pi"], S, A, "pi"), exact_policy(d["pi_new"], S, A, "pi_new"),
                       c["name"], MappingProxyType(dict(c.get("params", {}))), c.get("statement", ""),
                       c.get("source", ""), MappingProxyType(dict(d.get("claimed", {}))),
                       MappingProxyType(dict(d.get("provenance", {}))))


@dataclass(frozen=True)
class Verification:
    """What :func:`verify_certificate` could establish.

    ``proven`` is True when ``eta(pi_new) < rhs`` is proven without floating point, and then
    ``violated_by`` is a rational ``x > 0`` with ``rhs - eta(pi_new) >= x``. ``slack_interval``
    encloses ``eta(pi_new) - rhs`` (floats rounded outward; ``inf`` when the claim is ``-inf``).
    ``method`` says how: ``"exact rationals"``, ``"rationals + intervals"`` or ``"floating-point rhs"``.
    """

    claim: str
    proven: bool
    violated_by: Fraction | None
    slack_interval: tuple
    method: str
    message: str

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        x = "" if self.violated_by is None else f", violated_by={float(self.violated_by):.3g}"
        return f"Verification({self.claim!r}, proven={self.proven}{x}, method={self.method!r})"


def _user_function(name: str, bound):
    if bound is not None:
        return bound
    mod, _, attr = name.partition(":")
    try:
        obj = importlib.import_module(mod)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj
    except (ImportError, AttributeError, ValueError):
        return None


def _over_quantities(claim) -> bool:
    """A :class:`bounds.registry.Bound` or a penalty ``(q, ops)`` (not a function of ``(mdp, pi, pi_new)``)."""
    from ..registry import Bound, as_bound

    if isinstance(claim, Bound):
        return True
    if isinstance(claim, str) or not callable(claim) or getattr(claim, "__bound__", None) is not None:
        return False
    from .claims import Claim

    return not isinstance(claim, Claim) and as_bound(claim).over_quantities


def _verify_user(cert: Certificate, bound) -> Verification:
    from ..registry import NotExact, as_bound

    fn = _user_function(cert.claim, bound)
    if fn is None or not (callable(fn) or _over_quantities(fn)):
        return Verification(cert.claim, False, None, (-math.inf, math.inf), "none",
                            f"could not verify: claim {cert.claim!r} is not a named claim and cannot be imported")
    b = as_bound(fn, ref=cert.claim)
    try:  # the user's penalty on exact quantities: proven like the theory's bounds
        return _exact_verdict(cert.claim, exact_slack(b, ExactPair(cert.mdp, cert.pi, cert.pi_new)))
    except NotExact as exc:
        why = str(exc)
    from .claims import claim_of

    eta_new = exact_evaluate(cert.mdp, cert.pi_new).eta
    rhs = rhs_of(claim_of(b), *cert.float_instance())
    slack = float(eta_new) - rhs
    scale = max(1.0, max(abs(float(v)) for row in cert.mdp.R for v in row) / (1 - float(cert.mdp.gamma)))
    msg = (f"re-evaluated in floating point, not proven ({why}): eta(pi_new) - rhs = {slack:.6g} "
           f"with eta(pi_new) = {eta_new} exact" + ("; numerically violated" if slack < -1e-9 * scale else ""))
    return Verification(cert.claim, False, None, (slack, slack), "floating-point rhs", msg)


def verify_certificate(path, bound=None) -> Verification:
    """Re-check a certificate (a path, a dict or a :class:`Certificate`) without floating point.

    For a named claim (:data:`.claims.CLAIMS`) the slack ``eta(pi_new) - rhs`` is computed exactly
    (or enclosed in an interval where a KL appears); the violation is proven when its upper end is
    negative. ``bound`` supplies the function of a user claim (otherwise ``module:function`` is
    imported); such claims are checked in floating point and never reported as proven.
    """
    cert = path if isinstance(path, Certificate) else load_certificate(path)
    if cert.claim not in CLAIMS:
        return _verify_user(cert, bound)
    claim = CLAIMS[cert.claim]
    if dict(cert.params) and dict(cert.params) != dict(claim.params):
        return Verification(cert.claim, False, None, (-math.inf, math.inf), "none",
                            f"could not verify: parameters {dict(cert.params)} differ from the named claim's "
                            f"{dict(claim.params)}")
    return _exact_verdict(cert.claim, claim.exact_slack(ExactPair(cert.mdp, cert.pi, cert.pi_new)))


def _exact_verdict(name: str, slack) -> Verification:
    """The verdict of an exact slack (a Fraction, an interval, or ``inf`` when nothing is claimed)."""
    if slack == math.inf:
        return Verification(name, False, None, (math.inf, math.inf), "exact rationals",
                            "not violated: the claimed bound is -inf on this instance (no claim is made)")
    if isinstance(slack, float) and math.isinf(slack):  # a user's bound of +inf: violated everywhere
        return Verification(name, True, None, (-math.inf, -math.inf), "exact rationals",
                            "violated: the claimed lower bound is +inf")
    method = "exact rationals" if isinstance(slack, Fraction) else "rationals + intervals"
    lo, hi = interval_lower(slack), interval_upper(slack)
    enclosure = (float(lo), float(hi))
    if hi < 0:
        x = -hi
        return Verification(name, True, x, enclosure, method,
                            f"violated by at least {float(x):.6g} (= {_s(x) if x.denominator < 10**30 else 'a rational'}; "
                            f"proven with {method})")
    if lo >= 0:
        return Verification(name, False, None, enclosure, method,
                            f"not violated: eta(pi_new) - rhs >= {float(lo):.6g} (proven with {method})")
    return Verification(name, False, None, enclosure, method,
                        f"could not prove a violation: the slack lies in [{float(lo):.3g}, {float(hi):.3g}]")

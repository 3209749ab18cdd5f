"""Certificates: a violation of a claimed bound written to JSON and re-checked without floating point.

A certificate holds a rational MDP ``(P, R, rho0, gamma)``, the two policies ``pi`` and ``pi_new``
(every number a ``"p/q"`` string), the claim (its name, parameters and statement) and the violation
claimed by whoever found it. :func:`verify_certificate` recomputes ``eta(pi_new)`` and the claimed
bound exactly (:mod:`~bounds.counterexamples.exact`): rationals for everything rational, ``mpmath.iv`` intervals for the
logarithms, and says "violated by at least x" with ``x > 0`` proven -- or that it could not prove it.

A claim that is not one of :data:`.claims.CLAIMS` (a user's ``module:function``) is re-evaluated in
floating point on the float image of the rational instance; ``eta(pi_new)`` is still exact, but
the result then says "not proven".

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
import re
from dataclasses import dataclass, field
from fractions import Fraction
from os import PathLike
from pathlib import Path
from types import MappingProxyType

import numpy as np

from tabular.mdp import MDP

from ..registry import exact_slack
from .claims import CLAIMS, ExactPair, claim_named
from .exact import ExactMDP, as_fraction, exact_evaluate, exact_policy, interval_lower, interval_upper
from .search import rhs_of

__all__ = ["FORMAT", "Certificate", "Verification", "make_certificate", "verify_certificate",
           "load_certificate", "exact_row", "claim_label", "ROW_ATOL", "VERSIONS"]

FORMAT = "trpo-theory-certificate"


def _s(x: Fraction) -> str:
    x = Fraction(x)
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


#: How far a float row of a policy or of ``P``/``rho0`` may sum from 1 (or an entry lie below 0) and still
#: be taken as that distribution: the round-off of a computed policy, never a different policy.
ROW_ATOL = 1e-9


def exact_row(row, name: str = "row", atol: float = ROW_ATOL) -> tuple:
    """A float (or rational) probability row as Fractions summing to exactly 1.

    Floats are taken at their exact binary value; the largest entry absorbs the round-off so the
    row sums to 1 (an error of order 1e-16, far below any violation the search reports). A row that
    is not a distribution within ``atol`` (an entry below ``-atol``, or a sum off 1 by more than
    ``atol``) raises ``ValueError`` naming ``name``: it is never renormalized into another row.

    Examples
    --------
    >>> from bounds.counterexamples.certificate import exact_row
    >>> row = exact_row([0.1, 0.2, 0.7])
    >>> print(sum(row) == 1, [round(float(x), 12) for x in row])
    True [0.1, 0.2, 0.7]
    >>> print(exact_row(["1/3", "2/3"]))
    (Fraction(1, 3), Fraction(2, 3))
    >>> try:
    ...     exact_row([0.5, 0.6], "pi[0]")
    ... except ValueError as err:
    ...     print(err)
    pi[0] sums to 1.1, not 1 (tolerance 1e-09); a certificate is made for the policy given, never a renormalized one
    """
    fr = [as_fraction(v, name) for v in row]
    if any(v < -atol for v in fr):
        raise ValueError(f"{name} has a negative probability {float(min(fr)):.6g}; rows must be distributions")
    total = sum(fr)
    if all(isinstance(v, (Fraction, int, str)) for v in row) and total == 1 and all(v >= 0 for v in fr):
        return tuple(fr)
    if abs(total - 1) > atol:
        raise ValueError(f"{name} sums to {float(total):.12g}, not 1 (tolerance {atol:g}); a certificate is "
                         "made for the policy given, never a renormalized one")
    fr = [max(v, Fraction(0)) for v in fr]
    k = min(range(len(fr)), key=lambda j: (-fr[j], j))  # the largest entry, lowest index on ties (exact)
    fr[k] = 1 - (sum(fr) - fr[k])
    if fr[k] < 0:
        raise ValueError(f"{name} {list(row)} cannot be made a distribution")
    return tuple(fr)


def _exact_mdp(mdp) -> ExactMDP:
    if isinstance(mdp, ExactMDP):
        return mdp
    if not isinstance(mdp, MDP):
        raise TypeError(f"mdp must be a tabular.MDP or ExactMDP, got {type(mdp).__name__}")
    P = mdp.dense_P()
    S, A = mdp.shape
    return ExactMDP(tuple(tuple(exact_row(P[s, a], f"mdp.P[{s}][{a}]") for a in range(A)) for s in range(S)),
                    tuple(tuple(as_fraction(v, "mdp.R") for v in row) for row in np.asarray(mdp.R)),
                    exact_row(mdp.rho0, "mdp.rho0"), as_fraction(mdp.gamma, "mdp.gamma"))


def _exact_pol(pi, S, A, name):
    if isinstance(pi, (str, bytes, dict)) or not hasattr(pi, "__len__"):
        raise TypeError(f"{name} must be an array of shape {(S, A)}, got {type(pi).__name__}")
    try:
        arr = np.asarray(pi, dtype=object)
    except ValueError as exc:  # ragged rows
        raise ValueError(f"{name} must be an array of shape {(S, A)}: {exc}") from None
    if arr.shape != (S, A):
        raise ValueError(f"{name} must have shape {(S, A)}, got {arr.shape}")
    return exact_policy([exact_row(arr[s], f"{name}[{s}] (state {s})") for s in range(S)], S, A, name)


def claim_label(claim) -> tuple[str, dict, str, str]:
    """``(name, params, statement, source)`` of a named claim, a :class:`~.claims.Claim`, or a callable.

    Examples
    --------
    >>> from bounds.counterexamples import mean_kl_candidate
    >>> from bounds.counterexamples.certificate import claim_label
    >>> name, params, statement, source = claim_label("kl_max")
    >>> print(name, params, source)
    kl_max {'constant': 'pollard'} [TRPO] Eq. (9)
    >>> print(claim_label(mean_kl_candidate)[:2])
    ('mean_kl', {'weights': 'rho'})
    >>> print(claim_label("mymodule:my_bound"))
    ('mymodule:my_bound', {}, 'user claim', 'mymodule:my_bound')
    """
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
    """A rational instance claimed to violate ``claim`` (see the module docstring for the JSON form).

    Examples
    --------
    >>> from bounds.counterexamples import Certificate, known_counterexamples, make_certificate
    >>> cx = known_counterexamples()[0]
    >>> cert = make_certificate(cx.mdp, cx.pi, cx.pi_new, "mean_kl")
    >>> print(isinstance(cert, Certificate), cert)
    True Certificate('mean_kl', S=3, A=2, gamma=...)
    >>> d = cert.to_dict()
    >>> print(d["format"], d["claim"]["name"], d["pi"][0])
    trpo-theory-certificate mean_kl ['1/2', '1/2']
    >>> print(cert.save("mean_kl.json").name)
    mean_kl.json
    """

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
        """Write the JSON form to ``path``; a path that is not a writable file location raises ``ValueError``."""
        if not isinstance(path, (str, PathLike)):
            raise TypeError(f"path must be a file path, got {type(path).__name__}")
        path = Path(path)
        try:
            path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        except OSError as exc:
            raise ValueError(f"path: cannot write the certificate to {str(path)!r}: {exc.strerror or exc}") from None
        return path

    def float_instance(self) -> tuple:
        """``(MDP, pi, pi_new)`` in floating point, for replaying the claim numerically."""
        return self.mdp.to_mdp(), np.array(self.pi, dtype=float), np.array(self.pi_new, dtype=float)

    def __repr__(self) -> str:
        S, A = self.mdp.shape
        return f"Certificate({self.claim!r}, S={S}, A={A}, gamma={_s(self.mdp.gamma)})"


def make_certificate(mdp, pi, pi_new, claim, *, provenance: dict | None = None) -> Certificate:
    """A certificate for ``(mdp, pi, pi_new)`` against ``claim`` (a name, a :class:`~.claims.Claim` or a callable).

    Float inputs are taken at their exact binary values (rows fixed to sum to exactly 1, see
    :func:`exact_row`: a row off by more than :data:`ROW_ATOL` is refused naming ``pi``/``pi_new``
    and the state); shrink first (:func:`.shrink.shrink`) for small denominators. ``claimed``
    records the float slack. A name is a named claim (:data:`.claims.CLAIMS`) or ``"module:function"``.

    Examples
    --------
    >>> from bounds.counterexamples import known_counterexamples, make_certificate
    >>> cx = known_counterexamples()[1]
    >>> cert = make_certificate(cx.mdp, cx.pi, cx.pi_new, "mean_tv_squared", provenance={"found_by": "hand"})
    >>> print(cert.claim, cert.claimed["slack"] < 0, dict(cert.provenance))
    mean_tv_squared True {'found_by': 'hand'}
    >>> try:
    ...     make_certificate(cx.mdp, cx.pi, [[0.5, 0.6]] * 3, "mean_tv_squared")
    ... except ValueError as err:
    ...     print(err)
    pi_new[0] (state 0) sums to 1.1, not 1 (tolerance 1e-09); a certificate is made for the policy given, never a renormalized one
    """
    em = _exact_mdp(mdp)
    S, A = em.shape
    p, q = _exact_pol(pi, S, A, "pi"), _exact_pol(pi_new, S, A, "pi_new")
    if isinstance(claim, str) and claim not in CLAIMS and ":" not in claim:
        claim_named(claim)  # a misspelt name: the ValueError lists the named claims
    name, params, statement, source = claim_label(claim)
    if provenance is not None and not isinstance(provenance, dict):
        raise TypeError(f"provenance must be a dict or None, got {type(provenance).__name__}")
    try:
        json.dumps(provenance or {}, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"provenance must hold JSON values (str, finite numbers, lists, dicts): {exc}") from None
    fn = claim if callable(claim) and not _over_quantities(claim) else claim_named(name) if name in CLAIMS else None
    if fn is None and not isinstance(claim, str) or _over_quantities(claim):
        from .claims import claim_of

        fn = claim_of(claim)
    m, fp, fq = em.to_mdp(), np.array(p, dtype=float), np.array(q, dtype=float)
    claimed = {}
    if fn is not None:
        from tabular.evaluation import evaluate

        try:
            rhs = rhs_of(fn, m, fp, fq)
        except Exception as exc:  # a user's claim: say which claim failed, never a bare traceback from it
            raise ValueError(f"claim {name!r} raised {type(exc).__name__} on this instance: {exc}") from exc
        if math.isnan(rhs):
            raise ValueError(f"claim {name!r} returned NaN on this instance; a claim must return a number")
        eta_new = float(evaluate(m, fq).eta)
        claimed = {"eta_new": eta_new, "rhs": rhs, "slack": eta_new - rhs}
    return Certificate(em, p, q, name, MappingProxyType(params), statement, source, MappingProxyType(claimed),
                       MappingProxyType(dict(provenance or {})))


#: The versions of the format this module reads.
VERSIONS = (1,)


class _Fields:
    """Reads the fields of a certificate's JSON, raising ``ValueError`` naming the source and the field."""

    def __init__(self, src: str):
        self.src = src

    def fail(self, field: str, msg: str):
        raise ValueError(f"{self.src}: field {field!r}: {msg}")

    def get(self, d: dict, key: str, kind, field: str, required: bool = True, default=None):
        if key not in d:
            if required:
                self.fail(field, "missing")
            return default
        v, kinds = d[key], kind if isinstance(kind, tuple) else (kind,)
        if isinstance(v, bool) or not isinstance(v, kinds):
            want = " or ".join(_KIND_NAMES[k] for k in kinds)
            self.fail(field, f"expected {want}, got {type(v).__name__} {repr(v)[:60]}")
        return v

    def number(self, v, field: str) -> Fraction:
        """A rational ``"p/q"`` string or an integer; a JSON float is refused (its decimal text is not
        the exact number the certificate is about)."""
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            self.fail(field, f"expected a rational 'p/q' string or an integer, got {type(v).__name__} {repr(v)[:60]}")
        if isinstance(v, str) and (len(v) > 5000 or not _RATIONAL.fullmatch(v.strip())):
            self.fail(field, f"expected a rational 'p/q', got {repr(v)[:60]}")
        try:
            return as_fraction(v, field)
        except (TypeError, ValueError) as exc:
            self.fail(field, str(exc))

    def array(self, v, shape: tuple, field: str) -> list:
        """Nested lists of exactly ``shape``, each leaf a rational."""
        if not shape:
            return self.number(v, field)
        if not isinstance(v, list) or len(v) != shape[0]:
            got = f"{len(v)} entries" if isinstance(v, list) else type(v).__name__
            self.fail(field, f"expected a list of {shape[0]} entries (shape {shape}), got {got}")
        return [self.array(x, shape[1:], f"{field}[{k}]") for k, x in enumerate(v)]

    def distribution(self, row: list, field: str) -> None:
        if any(x < 0 for x in row):
            self.fail(field, f"a negative probability {_s(min(row))}")
        if sum(row) != 1:
            self.fail(field, f"sums to {_s(sum(row))}, not exactly 1")


_RATIONAL = re.compile(r"[-+]?[0-9]+(?:/[0-9]+)?")
_KIND_NAMES = {str: "a string", int: "an integer", dict: "an object", list: "a list"}


def _check_dict(F: _Fields, d: dict) -> tuple:
    """``(ExactMDP, pi, pi_new, claim fields)`` of a certificate's JSON object, every field checked."""
    if d.get("format") != FORMAT:
        raise ValueError(f"{F.src}: not a {FORMAT} file (field 'format' is {repr(d.get('format'))[:60]})")
    version = F.get(d, "version", int, "version")
    if version not in VERSIONS:
        F.fail("version", f"version {version} is not supported (this release reads version(s) "
                          f"{', '.join(map(str, VERSIONS))})")
    m = F.get(d, "mdp", dict, "mdp")
    S, A = F.get(m, "S", int, "mdp.S"), F.get(m, "A", int, "mdp.A")
    for k, v in (("S", S), ("A", A)):
        if not 1 <= v <= 10_000:
            F.fail(f"mdp.{k}", f"expected an integer in [1, 10000], got {v}")
    gamma = F.number(F.get(m, "gamma", (str, int), "mdp.gamma"), "mdp.gamma")
    if not 0 <= gamma < 1:
        F.fail("mdp.gamma", f"the discount must lie in [0, 1), got {_s(gamma)}")
    rho0 = F.array(F.get(m, "rho0", list, "mdp.rho0"), (S,), "mdp.rho0")
    R = F.array(F.get(m, "R", list, "mdp.R"), (S, A), "mdp.R")
    P = F.array(F.get(m, "P", list, "mdp.P"), (S, A, S), "mdp.P")
    F.distribution(rho0, "mdp.rho0")
    for s in range(S):
        for a in range(A):
            F.distribution(P[s][a], f"mdp.P[{s}][{a}]")
    pols = []
    for key in ("pi", "pi_new"):
        pol = F.array(F.get(d, key, list, key), (S, A), key)
        for s in range(S):
            F.distribution(pol[s], f"{key}[{s}]")
        pols.append(tuple(tuple(r) for r in pol))
    c = F.get(d, "claim", dict, "claim")
    name = F.get(c, "name", str, "claim.name")
    if not name.strip():
        F.fail("claim.name", "empty")
    claim = (name, F.get(c, "params", dict, "claim.params", False, {}),
             F.get(c, "statement", str, "claim.statement", False, ""),
             F.get(c, "source", str, "claim.source", False, ""))
    claimed = F.get(d, "claimed", dict, "claimed", False, {})
    for k, v in claimed.items():
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            F.fail(f"claimed.{k}", f"expected a number, got {type(v).__name__}")
    prov = F.get(d, "provenance", dict, "provenance", False, {})
    return ExactMDP(P, R, rho0, gamma), pols[0], pols[1], claim, claimed, prov


def load_certificate(path) -> Certificate:
    """Read a certificate JSON file (a path, or a dict in that form).

    Every field is checked (format, a known ``version``, the shapes ``S``, ``A``, ``P``, ``R``,
    ``rho0``, ``pi``, ``pi_new``, every number a rational ``"p/q"`` or an integer, every
    distribution non-negative and summing to exactly 1, ``0 <= gamma < 1``); anything else raises
    ``ValueError`` naming the file and the field.

    Examples
    --------
    >>> from bounds.counterexamples import known_counterexamples, load_certificate, make_certificate
    >>> cx = known_counterexamples()[0]
    >>> path = make_certificate(cx.mdp, cx.pi, cx.pi_new, "mean_kl").save("mean_kl.json")
    >>> cert = load_certificate(path)
    >>> print(cert.claim, cert.mdp.shape, cert.pi[0])
    mean_kl (3, 2) (Fraction(1, 2), Fraction(1, 2))
    >>> try:
    ...     load_certificate({"format": "something else"})
    ... except ValueError as err:
    ...     print(err)
    certificate: not a trpo-theory-certificate file (field 'format' is 'something else')
    """
    if isinstance(path, dict):
        d, src = path, "certificate"
    elif isinstance(path, (str, PathLike)):
        src = str(path)
        try:
            text = Path(path).read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"path: cannot read the certificate {src!r}: {exc}") from None
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{src}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
        except ValueError as exc:  # e.g. an integer too long to convert
            raise ValueError(f"{src}: not a readable certificate: {exc}") from None
    else:
        raise TypeError(f"path must be a file path, a dict or a Certificate, got {type(path).__name__}")
    if not isinstance(d, dict):
        raise ValueError(f"{src}: expected a JSON object (a {FORMAT} file), got a {type(d).__name__}")
    mdp, pi, pi_new, (name, params, statement, source), claimed, prov = _check_dict(_Fields(src), d)
    return Certificate(mdp, pi, pi_new, name, MappingProxyType(dict(params)), statement, source,
                       MappingProxyType(dict(claimed)), MappingProxyType(dict(prov)))


@dataclass(frozen=True)
class Verification:
    """What :func:`verify_certificate` could establish.

    ``proven`` is True when ``eta(pi_new) < rhs`` is proven without floating point, and then
    ``violated_by`` is a rational ``x > 0`` with ``rhs - eta(pi_new) >= x``. ``slack_interval``
    encloses ``eta(pi_new) - rhs`` (floats rounded outward; ``inf`` when the claim is ``-inf``).
    ``method`` says how: ``"exact rationals"``, ``"rationals + intervals"`` or ``"floating-point rhs"``.

    Examples
    --------
    >>> from bounds.counterexamples import Verification, known_counterexamples, make_certificate, verify_certificate
    >>> cx = known_counterexamples()[0]
    >>> v = verify_certificate(make_certificate(cx.mdp, cx.pi, cx.pi_new, "mean_kl"))
    >>> print(isinstance(v, Verification), v.proven, v.method, v.violated_by > 0)
    True True rationals + intervals True
    >>> print(v.slack_interval[1] < 0)
    True
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


def _user_function(name: str, bound, allow_import: bool):
    """The function of a user claim: ``bound`` if given; else, only with ``allow_import``, the
    ``module:function`` the certificate names (importing it runs that module's code); else a refusal."""
    if bound is not None:
        return bound
    if not allow_import:
        raise ValueError(
            f"allow_import: the certificate's claim {name!r} is not a named claim; checking it means importing "
            f"and running the function it names, which a certificate file must not do by itself. Pass the "
            f"function as bound=..., or allow_import=True for a file you trust")
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


def _verify_user(cert: Certificate, bound, allow_import: bool) -> Verification:
    from ..registry import NotExact, as_bound
    from .claims import claim_of

    fn = _user_function(cert.claim, bound, allow_import)
    if fn is None or not (callable(fn) or _over_quantities(fn)):
        return Verification(cert.claim, False, None, (-math.inf, math.inf), "none",
                            f"could not verify: claim {cert.claim!r} is not a named claim and cannot be imported")
    b = as_bound(fn, ref=cert.claim)
    try:  # the user's penalty on exact quantities: proven like the theory's bounds
        return _exact_verdict(cert.claim, exact_slack(b, ExactPair(cert.mdp, cert.pi, cert.pi_new)))
    except NotExact as exc:
        why = str(exc)
    fn = claim_of(b)
    eta_new = exact_evaluate(cert.mdp, cert.pi_new).eta
    try:
        rhs = rhs_of(fn, *cert.float_instance())
    except Exception as exc:  # a user's function: report which claim failed, not its traceback
        raise ValueError(f"bound: the claim {cert.claim!r} raised {type(exc).__name__} on the certificate's "
                         f"instance: {exc}") from exc
    if math.isnan(rhs):
        raise ValueError(f"bound: the claim {cert.claim!r} returned NaN on the certificate's instance")
    slack = float(eta_new) - rhs
    scale = max(1.0, max(abs(float(v)) for row in cert.mdp.R for v in row) / (1 - float(cert.mdp.gamma)))
    msg = (f"re-evaluated in floating point, not proven ({why}): eta(pi_new) - rhs = {slack:.6g} "
           f"with eta(pi_new) = {eta_new} exact" + ("; numerically violated" if slack < -1e-9 * scale else ""))
    return Verification(cert.claim, False, None, (slack, slack), "floating-point rhs", msg)


def verify_certificate(path, bound=None, *, allow_import: bool = False) -> Verification:
    """Re-check a certificate (a path, a dict or a :class:`Certificate`) without floating point.

    For a named claim (:data:`.claims.CLAIMS`) the slack ``eta(pi_new) - rhs`` is computed exactly
    (or enclosed in an interval where a KL appears); the violation is proven when its upper end is
    negative. A user claim (``module:function``) is checked in floating point with ``bound``, its
    function, and never reported as proven. Without ``bound`` such a certificate is refused
    (``ValueError`` naming ``allow_import``) unless ``allow_import=True``: then the module it names
    is imported and the function called, which runs code named by the file -- only for files you trust.
    A file that is not a valid certificate raises ``ValueError`` naming the file and the field
    (:func:`load_certificate`).

    Examples
    --------
    >>> from bounds.counterexamples import known_counterexamples, make_certificate, verify_certificate
    >>> cx = known_counterexamples()[0]
    >>> cert = make_certificate(cx.mdp, cx.pi, cx.pi_new, "mean_kl")
    >>> v = verify_certificate(cert.save("mean_kl.json"))
    >>> print(v.proven, v.method)
    True rationals + intervals
    >>> print(v.message)
    violated by at least 5.19475e-05 (= a rational; proven with rationals + intervals)
    >>> print(verify_certificate(make_certificate(cx.mdp, cx.pi, cx.pi_new, "theorem1")).message)
    not violated: eta(pi_new) - rhs >= 0.00337006 (proven with exact rationals)
    """
    if bound is not None and not (callable(bound) or _over_quantities(bound)):
        raise TypeError(f"bound must be a callable (mdp, pi, pi_new) -> lower bound, or None; got "
                        f"{type(bound).__name__}")
    if not isinstance(allow_import, bool):
        raise TypeError(f"allow_import must be True or False, got {type(allow_import).__name__}")
    cert = path if isinstance(path, Certificate) else load_certificate(path)
    if cert.claim not in CLAIMS:
        return _verify_user(cert, bound, allow_import)
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
    if isinstance(slack, float) and math.isinf(slack):  # a user's lower bound of +inf: violated everywhere
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

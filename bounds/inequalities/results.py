"""The result types of the bounds (:class:`BoundResult`, :class:`BoundTable`), their tolerance and
:func:`assert_bound` (THEORY.md §3)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from types import MappingProxyType

import numpy as np

from tabular.mdp import MDP
from tabular.validation import check_tolerance

__all__ = ["RTOL", "BoundResult", "BoundTable", "default_atol", "assert_bound"]

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
    error : ``""``, or why the bound could not be evaluated here (it raised, its penalty is NaN or not
        one number); then ``holds`` is False and the numbers are NaN -- a failure, never "holds".

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import theorem1
    >>> m = T.two_state(0.9)
    >>> r = theorem1(m, T.uniform(m), T.random_policy(m, rng=0))
    >>> r
    BoundResult('theorem1', rhs=-6.344147833, eta_new=-4.512197754, slack=1.832, holds=True, ...)
    >>> abs(r.rhs - (r.surrogate - r.penalty)) < 1e-12, abs(r.slack - (r.eta_new - r.rhs)) < 1e-12
    (True, True)
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
    error: str = ""

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
    """All bounds of :func:`check_all` on one instance; printable.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import check_all
    >>> m = T.two_state(0.9)
    >>> table = check_all(m, T.uniform(m), T.random_policy(m, rng=0))
    >>> len(table) == len(table.names), table.all_hold
    (True, True)
    >>> print(table["span"].name, f"{table['span'].slack:.4f}")
    span 0.0265
    >>> print(table)
    bound      rhs       eta_new      L      penalty       slack  holds  source
    ...
    theorem1   -6.34415  -4.5122  -4.51197   1.832        1.832  yes    [TRPO] Theorem 1, Eq. (8)
    ...
    """

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
            if r.error:
                lines.append(f"{r.name:<16} FAILED: {r.error}")
                continue
            lines.append(
                f"{r.name:<16} {r.rhs:>13.6g} {r.eta_new:>13.6g} {r.surrogate:>13.6g} {r.penalty:>11.4g} "
                f"{r.slack:>11.4g}  {'yes' if r.holds else 'NO ':<5}  {r.source}"
            )
        return "\n".join(lines)


# ----------------------------------------------------------------------------- helpers


def default_atol(mdp: MDP) -> float:
    """Absolute tolerance for ``holds``: ``1e-9 * max(1, max|R| / (1-gamma))``.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds.inequalities.results import default_atol
    >>> m = T.two_state(0.9)
    >>> print(f"{default_atol(m):.1e}", default_atol(m) == 1e-9 * max(1, 10 / (1 - 0.9)))
    1.0e-07 True
    """
    scale = max(1.0, float(np.max(np.abs(mdp.R))) / (1.0 - mdp.gamma))
    return RTOL * scale



def assert_bound(result, atol: float | None = None) -> None:
    """Raise ``AssertionError`` with a readable diagnosis unless ``result`` holds.

    ``result`` is a :class:`BoundResult` or a :class:`BoundTable` (every entry is checked).
    ``atol`` overrides the tolerance stored in the result.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import theorem1
    >>> from bounds.inequalities.results import assert_bound
    >>> m = T.two_state(0.9)
    >>> r = theorem1(m, T.uniform(m), T.random_policy(m, rng=0))
    >>> assert_bound(r)
    >>> import dataclasses
    >>> bad = dataclasses.replace(r, holds=False, slack=-1.0)
    >>> try:
    ...     assert_bound(bad)
    ... except AssertionError:
    ...     print("fails")
    fails
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
    if result.error:
        raise AssertionError(f"{result.name} ({result.source}) FAILED to evaluate: {result.error}\n"
                             f"  eta(pi_new) = {result.eta_new:.12g}, L_pi(pi_new) = {result.surrogate:.12g}")
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

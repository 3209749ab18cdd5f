"""The bound as a record (:class:`Bound`) and the one ordered registry of them.

A bound claims ``centre - penalty <= eta(pi_new)`` (and ``<= centre + penalty`` when two-sided), with
``centre = L_pi(pi_new)`` (Eq. (3) of [TRPO]) unless the record says otherwise. Its penalty is written
ONCE, ``penalty(q, ops)``, over the named quantities ``q`` (:mod:`~bounds.registry.quantities`) and the operations
``ops`` (:mod:`.ops`), for K instances at once; the same function then runs on floats (check_all, the
sweeps, the search) and on exact numbers (certificates).

A user's bound is a record like any other: ``@register(...)`` on a penalty function adds it in one line
(:func:`check_all <bounds.inequalities.check_all>` and the sweeps then include it), and
:func:`bound_named` resolves ``"theorem1"`` or ``"MODULE:FUNCTION"`` (a :class:`Bound`, a penalty
``(q, ops)``, or a legacy ``(mdp, pi, pi_new) -> lower bound`` function, evaluated in floats only).
"""

from __future__ import annotations

import importlib
import re
import inspect
from dataclasses import dataclass, field, replace
from typing import Callable

__all__ = ["Bound", "register", "unregister", "registered", "bound_named", "as_bound", "registry_names"]


@dataclass(frozen=True, eq=False)
class Bound:
    """One bound: what it says, where it comes from, and its penalty over the named quantities.

    Attributes
    ----------
    name : identifier (a CSV column prefix in sweeps): letters, digits, ``_``.
    penalty : ``(q, ops) -> penalty`` per instance, or None for a legacy bound (``legacy``).
    statement : the inequality in one line, e.g. ``"eta_new >= L - C alpha^2"``.
    source : paper and equation, e.g. ``"[TRPO] Theorem 1, Eq. (8)"``.
    label : axis label in figures (default: the name).
    two_sided : whether ``|eta_new - centre| <= penalty`` is claimed (else the lower side only).
    theorem : True for a bound claimed proven (THEORY.md §3, a user's bound); False for the
        non-theorems of THEORY.md §6 (searched for counterexamples, never checked as theorems).
    centre : ``(q, ops) -> centre`` for a bound whose band is not centred on ``L`` (None: on ``L``).
    centred_on : how the band is centred, in words.
    constants : quantities reported with a result; ``"shown=quantity"`` renames one.
    notes : conventions (KL direction, visitation normalization).
    aliases : other names :func:`bound_named` accepts.
    legacy : ``(mdp, pi, pi_new) -> lower bound`` of a bound given as a plain function (floats only,
        one instance at a time; its certificate is never proven).
    ref : ``"MODULE:FUNCTION"`` where a user's bound is imported from (for worker processes).

    Examples
    --------
    >>> from bounds.registry import Bound, bound_named
    >>> mine = Bound("half_theorem1", lambda q, ops: q.C * q.alpha ** 2 / 2,
    ...              statement="eta_new >= L - (C/2) maxTV^2", source="my note, Eq. (1)")
    >>> mine.theorem, mine.two_sided, mine.label
    (True, False, 'half_theorem1')
    >>> bound_named("theorem1")
    Bound('theorem1', theorem, 'eta_new >= L - C maxTV^2', '[TRPO] Theorem 1, Eq. (8)')
    """

    name: str
    penalty: Callable | None = None
    statement: str = ""
    source: str = ""
    label: str = ""
    two_sided: bool = False
    theorem: bool = True
    centre: Callable | None = None
    centred_on: str = "L_pi(pi_new), Eq. (3) of [TRPO]"
    constants: tuple = ()
    notes: str = ""
    aliases: tuple = ()
    legacy: Callable | None = None
    ref: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"name must be an identifier (letters, digits, _), got {self.name!r}")
        if (self.penalty is None) == (self.legacy is None):
            raise ValueError(f"bound {self.name!r}: give exactly one of penalty (q, ops) and legacy (mdp, pi, pi_new)")
        for f in ("penalty", "centre", "legacy"):
            if getattr(self, f) is not None and not callable(getattr(self, f)):
                raise TypeError(f"bound {self.name!r}: {f} must be callable, got {type(getattr(self, f)).__name__}")
        if not self.label:
            object.__setattr__(self, "label", self.name)
        object.__setattr__(self, "constants", tuple(self.constants))
        object.__setattr__(self, "aliases", tuple(self.aliases))

    @property
    def off_centre(self) -> bool:
        """True when the band is centred elsewhere than ``L`` (see ``centred_on``)."""
        return self.centre is not None

    @property
    def over_quantities(self) -> bool:
        """True when the penalty is written over the named quantities (so it can be evaluated exactly)."""
        return self.penalty is not None

    def __repr__(self) -> str:
        kind = "theorem" if self.theorem else "non-theorem"
        return f"Bound({self.name!r}, {kind}, {self.statement!r}, {self.source!r})"


_REGISTRY: dict = {}


def _add(bound: Bound, replace_existing: bool = False) -> Bound:
    taken = {n for b in _REGISTRY.values() if b.name != bound.name for n in (b.name, *b.aliases)}
    for n in (bound.name, *bound.aliases):
        if n in taken:
            raise ValueError(f"name {n!r} is already registered; unregister it first or choose another name")
    if bound.name in _REGISTRY and not replace_existing and _REGISTRY[bound.name] is not bound:
        raise ValueError(f"a bound named {bound.name!r} is already registered (pass replace=True to replace it)")
    _REGISTRY[bound.name] = bound
    return bound


def register(penalty=None, /, *, replace: bool = False, **fields):
    """Register a bound, in one line; returns the :class:`Bound`.

    ``register(Bound(...))``; ``register(fn, name=..., statement=...)``; or as a decorator::

        @register(name="half_theorem1", statement="eta_new >= L - (C/2) alpha^2", source="my note")
        def half_theorem1(q, ops):
            return q.C * q.alpha ** 2 / 2

    (the module attribute is then the :class:`Bound`). The name defaults to the function's name.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import check_all
    >>> from bounds.registry import register, unregister
    >>> @register(statement="eta_new >= L - (C/2) maxTV^2", source="my note, Eq. (1)")
    ... def half_theorem1(q, ops):
    ...     return q.C * q.alpha ** 2 / 2
    >>> m = T.two_state(0.9)
    >>> r = check_all(m, T.uniform(m), T.random_policy(m, rng=0))["half_theorem1"]
    >>> print(r.holds, f"{r.slack:.4f}")
    True 0.9159
    >>> unregister("half_theorem1")
    """
    if isinstance(penalty, Bound):
        if fields:
            raise TypeError("register(Bound) takes no other fields")
        return _add(penalty, replace)
    if penalty is None:
        return lambda fn: register(fn, replace=replace, **fields)
    if not callable(penalty):
        raise TypeError(f"penalty must be a Bound or a function (q, ops) -> penalty, got {type(penalty).__name__}")
    return _add(_from_function(penalty, **fields), replace)


def unregister(name: str) -> None:
    """Remove the bound called ``name`` from the registry (KeyError if none).

    Examples
    --------
    >>> from bounds.registry import register, registry_names, unregister
    >>> b = register(lambda q, ops: 2 * q.C * q.alpha ** 2, name="double_theorem1")
    >>> "double_theorem1" in registry_names()
    True
    >>> unregister("double_theorem1")
    >>> "double_theorem1" in registry_names()
    False
    """
    if name not in _REGISTRY:
        raise KeyError(f"no registered bound named {name!r}")
    del _REGISTRY[name]


def registered(theorem: bool | None = None) -> tuple:
    """The registered bounds in order (``theorem=True``: only theorems; ``False``: only non-theorems).

    Examples
    --------
    >>> from bounds.registry import registered
    >>> [b.name for b in registered(theorem=False)]
    ['mean_kl', 'mean_kl_d', 'mean_tv_squared', 'squared_mean_tv', 'surrogate_monotone']
    >>> all(b.theorem for b in registered(theorem=True))
    True
    """
    return tuple(b for b in _REGISTRY.values() if theorem is None or b.theorem == theorem)


def registry_names(theorem: bool | None = None) -> tuple:
    """

    Examples
    --------
    >>> from bounds.registry import registry_names
    >>> registry_names(theorem=True)[:4]
    ('theorem1', 'theorem1_tight', 'kl_max', 'kl_max_pinsker')
    >>> set(registry_names()) == set(registry_names(True)) | set(registry_names(False))
    True
    """

    return tuple(b.name for b in registered(theorem))


def _positional(fn) -> int:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 2
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty for p in params)


def _from_function(fn, ref: str = "", **fields) -> Bound:
    """A :class:`Bound` from a penalty ``(q, ops)`` or a legacy ``(mdp, pi, pi_new) -> lower bound``."""
    name = fields.pop("name", None) or getattr(fn, "__name__", "")
    if not name.isidentifier():  # e.g. "<lambda>" -> "lambda"
        name = re.sub(r"\W", "_", name).strip("_") or "user_bound"
    if not name.isidentifier():
        name = "bound_" + name  # e.g. a name starting with a digit
    ref = ref or f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', name)}"
    legacy = _positional(fn) >= 3
    defaults = dict(statement=(f"eta_new >= {name}(mdp, pi, pi_new)" if legacy else f"eta_new >= L - {name}(q)"),
                    source=f"user bound {ref}", ref=ref)
    defaults.update(fields)
    return Bound(name, penalty=None if legacy else fn, legacy=fn if legacy else None, **defaults)


def as_bound(obj, ref: str = "") -> Bound:
    """``obj`` as a :class:`Bound`: a Bound, a name (:func:`bound_named`), a package function that
    computes a registered bound (e.g. :func:`bounds.theorem1`), a penalty ``(q, ops)`` or a legacy
    ``(mdp, pi, pi_new) -> lower bound`` function.

    Examples
    --------
    >>> from bounds.registry import as_bound, bound_named
    >>> as_bound("span") is bound_named("span")
    True
    >>> b = as_bound(lambda q, ops: q.C * q.alpha ** 2)
    >>> b.name, b.penalty is not None
    ('lambda', True)
    """
    if isinstance(obj, Bound):
        return obj
    if isinstance(getattr(obj, "bound", None), Bound):  # a claim of bounds.counterexamples
        return obj.bound
    if isinstance(obj, str):
        return bound_named(obj)
    if getattr(obj, "__bound__", None) is not None:
        return bound_named(obj.__bound__)
    if callable(obj):
        return _from_function(obj, ref=ref)
    raise TypeError(f"a bound must be a Bound, a name or a function, got {type(obj).__name__}")


def bound_named(name: str) -> Bound:
    """The bound called ``name``: a registered name or alias (``"theorem1"``, ``"bounds:theorem1"``), or
    ``"MODULE:FUNCTION"``, imported (the module must be importable, e.g. on ``sys.path``).

    Examples
    --------
    >>> from bounds.registry import bound_named
    >>> b = bound_named("theorem1")
    >>> print(b.statement, "|", b.source)
    eta_new >= L - C maxTV^2 | [TRPO] Theorem 1, Eq. (8)
    >>> bound_named("bounds:theorem1") is b
    True
    """
    if isinstance(name, Bound):
        return name
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    key = name.strip()
    short = key.split(":")[-1].strip() if key.startswith(("bounds:", "bounds.")) else key
    for b in _REGISTRY.values():
        if short == b.name or short in b.aliases:
            return b
    mod, sep, attr = key.partition(":")
    if not sep or not mod or not attr:
        raise ValueError(f"name: no registered bound named {name!r} (expected one of {sorted(_REGISTRY)} "
                         "or MODULE:FUNCTION)")
    try:
        obj = importlib.import_module(mod)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"name: cannot import {key!r} ({type(exc).__name__}: {exc})") from exc
    b = as_bound(obj, ref=key)
    return b if b.ref or b.name in _REGISTRY else replace(b, ref=key)

"""Evaluate bounds on quantities: :func:`evaluate_bounds` (floats, K instances at once, a failing bound
reported per instance) and :func:`exact_slack` (exact numbers, for certificates).

A bound says ``centre - penalty <= eta(pi_new)`` (and ``<= centre + penalty`` when two-sided); the
tables report, per bound, ``rhs = centre - penalty``, ``slack = eta_new - rhs`` and ``holds`` (slack
``>= -atol``, and the upper side for a two-sided bound). For a bound centred on ``L`` the ``penalty``
column is its penalty; for one centred elsewhere it is ``L - rhs`` (the amount below ``L``) and the
band is in ``centre``/``half_width``. An infinite penalty gives ``rhs = -inf``, ``slack = +inf`` and
holds. A penalty that raises, is NaN or has the wrong shape is a FAILURE of that bound on that
instance: ``holds`` False, NaN numbers and the reason in ``error`` -- never "holds".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from .ops import Undecided, is_exact_number
from .records import Bound

__all__ = ["BoundArrays", "evaluate_bounds", "exact_slack", "NotExact", "penalty_arrays"]


@dataclass(frozen=True, eq=False)
class BoundArrays:
    """Per-instance ``(K,)`` arrays of evaluated bounds.

    eta, eta_new, surrogate (L), gap ``|eta_new - L|``, atol; and per bound name (mappings name ->
    ``(K,)``): penalty, rhs, slack, upper_slack (``L + penalty - eta_new`` for bounds two-sided about
    L, ``+inf`` otherwise), holds, error (``""`` or why the bound failed there); centre and half_width
    for the bounds centred elsewhere. ``nan`` marks instances where some bound failed. ``terms`` keeps
    the quantities (:class:`~.quantities.FloatQuantities`), ``bounds`` the records in column order.

    Examples
    --------
    >>> import tabular as T
    >>> from tabular.mdp_batch import MDPBatch
    >>> from bounds.check_batch import check_all_batch
    >>> batch = MDPBatch.from_mdps([T.two_state(0.9), T.garnet(4, 2, rng=0)])
    >>> pi = T.uniform(batch.N, 2); pn = T.random_policy(batch.N, 2, rng=1)
    >>> arr = check_all_batch(batch, pi, pn)
    >>> arr.eta.shape, arr.slack["theorem1"].shape, bool(arr.holds["theorem1"].all())
    ((2,), (2,), True)
    >>> bool((abs(arr.slack["theorem1"] - (arr.eta_new - arr.rhs["theorem1"])) < 1e-12).all())
    True
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
    error: MappingProxyType
    nan: np.ndarray
    terms: object
    bounds: tuple = ()


def _as_k(value, K: int, what: str):
    """``value`` as a float ``(K,)`` array, or a message saying why it is not one."""
    if type(value) is np.ndarray and value.dtype == np.float64 and value.shape == (K,):
        return value, ""  # the common case, checked cheaply
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        return None, f"{what} is not a number ({type(value).__name__}: {exc})"
    if arr.shape == () or arr.shape == (1,) and K == 1:
        if K == 1:
            return arr.reshape(1), ""
        return None, f"{what} is one number for {K} instances (expected shape ({K},): write it over q's arrays)"
    if arr.shape != (K,):
        return None, f"{what} has shape {arr.shape}, expected ({K},) (one value per instance)"
    return arr, ""


def _call(fn, q, K, what):
    """``(values, error)``: ``error`` is None when every instance has a number, else a ``(K,)`` array of
    messages (``""`` where fine)."""
    try:
        out = fn(q, q.ops)
    except Exception as exc:  # a user's bound that raises is a failure of that bound, never "holds"
        return np.full(K, np.nan), np.full(K, f"{what} raised {type(exc).__name__}: {exc}", dtype=object)
    arr, msg = _as_k(out, K, what)
    if arr is None:
        return np.full(K, np.nan), np.full(K, msg, dtype=object)
    nan = np.isnan(arr)
    if not nan.any():
        return arr, None
    err = np.full(K, "", dtype=object)
    err[nan] = f"{what} is NaN"
    return arr, err


def _legacy(bound: Bound, q):
    """Penalty ``L - rhs`` of a legacy ``(mdp, pi, pi_new) -> lower bound`` function, instance by instance."""
    K = q.K
    pen, err = np.full(K, np.nan), np.full(K, "", dtype=object)
    L = q.L
    for k in range(K):
        try:
            out = bound.legacy(*q.instance(k))
            rhs = float(getattr(out, "rhs", out))
        except Exception as exc:
            err[k] = f"{bound.name} raised {type(exc).__name__}: {exc}"
            continue
        if math.isnan(rhs):
            err[k] = f"{bound.name} returned NaN"
        pen[k] = L[k] - rhs
    return pen, (err if (err != "").any() else None)


def penalty_arrays(bound: Bound, q) -> tuple:
    """``(half-width, centre, error)`` of ``bound`` on the float quantities ``q``, each ``(K,)``
    (``error`` None when the bound evaluated on every instance).

    Examples
    --------
    >>> import tabular as T
    >>> from tabular.mdp_batch import MDPBatch
    >>> from bounds.check_batch import batch_quantities
    >>> from bounds.registry import bound_named
    >>> from bounds.registry.evaluation import penalty_arrays
    >>> m = T.two_state(0.9); pi = T.uniform(m); pn = T.random_policy(m, rng=0)
    >>> q = batch_quantities(MDPBatch.from_mdps([m]), pi, pn)
    >>> half, centre, err = penalty_arrays(bound_named("theorem1"), q)
    >>> bool(abs(half[0] - q.C[0] * q.alpha[0] ** 2) < 1e-12), bool(centre[0] == q.L[0]), err
    (True, True, None)
    """
    with np.errstate(all="ignore"):
        if bound.penalty is None:
            half, err = _legacy(bound, q)
        else:
            half, err = _call(bound.penalty, q, q.K, f"penalty of {bound.name}")
        centre = q.L
        if bound.centre is not None:
            centre, err_c = _call(bound.centre, q, q.K, f"centre of {bound.name}")
            if err_c is not None:
                err = err_c if err is None else np.where(err == "", err_c, err)
    return half, centre, err


def evaluate_bounds(q, bounds) -> BoundArrays:
    """Every bound of ``bounds`` (records, in order; names unique) on the float quantities ``q``.

    Examples
    --------
    >>> import tabular as T
    >>> from tabular.mdp_batch import MDPBatch
    >>> from bounds.check_batch import batch_quantities
    >>> from bounds.registry import bound_named, evaluate_bounds
    >>> m = T.two_state(0.9); pi = T.uniform(m); pn = T.random_policy(m, rng=0)
    >>> q = batch_quantities(MDPBatch.from_mdps([m]), pi, pn)
    >>> arr = evaluate_bounds(q, [bound_named("theorem1"), bound_named("kl_max")])
    >>> arr.names, [f"{float(arr.slack[n][0]):.4f}" for n in arr.names]
    (('theorem1', 'kl_max'), ['1.8320', '5.7899'])
    """
    names = tuple(b.name for b in bounds)
    if len(set(names)) != len(names):
        raise ValueError(f"bounds: names must be unique, got {names}")
    L, eta_new, atol, K = q.L, q.eta_new, q.atol, q.K
    out = {k: {} for k in ("penalty", "rhs", "slack", "upper_slack", "holds", "centre", "half_width", "error")}
    failed = np.zeros(K, dtype=bool)
    no_error, no_upper = np.full(K, "", dtype=object), np.full(K, np.inf)
    with np.errstate(invalid="ignore"):
        for b in bounds:
            half, centre, err = penalty_arrays(b, q)
            rhs = centre - half
            slack = eta_new - rhs
            holds = slack >= -atol
            if b.two_sided:
                holds &= eta_new <= centre + half + atol
            if b.off_centre:
                pen, up = L - rhs, no_upper
                out["centre"][b.name], out["half_width"][b.name] = centre, half
            else:
                pen = half
                up = (L + half - eta_new) if b.two_sided else no_upper
            if err is not None:  # a failed bound's numbers are NaN, never a verdict
                bad = err != ""
                failed |= bad
                holds = holds & ~bad
                pen, rhs, slack, up = (np.where(bad, np.nan, x) for x in (pen, rhs, slack, up))
            out["penalty"][b.name], out["rhs"][b.name], out["slack"][b.name] = pen, rhs, slack
            out["upper_slack"][b.name], out["holds"][b.name] = up, holds
            out["error"][b.name] = no_error if err is None else err
    return BoundArrays(names, q.eta, eta_new, L, np.abs(eta_new - L), atol,
                       **{k: MappingProxyType(v) for k, v in out.items()}, nan=failed, terms=q, bounds=tuple(bounds))


class NotExact(Exception):
    """A bound whose penalty cannot be evaluated on exact numbers (the message says why).

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from fractions import Fraction as F
    >>> from bounds.counterexamples.exact import ExactMDP
    >>> from bounds.registry import Bound, ExactQuantities, NotExact, exact_slack
    >>> m = T.two_state(0.9)
    >>> em = ExactMDP(m.P.tolist(), m.R.tolist(), m.rho0.tolist(), F(9, 10))
    >>> pi = ((F(1, 2), F(1, 2)), (F(1, 2), F(1, 2)))
    >>> floaty = Bound("floaty", lambda q, ops: np.sqrt(float(q.C)))
    >>> try:
    ...     exact_slack(floaty, ExactQuantities(em, pi, pi))
    ... except NotExact as exc:
    ...     print("NotExact:", str(exc)[:38])
    NotExact: the penalty of floaty returned a float
    """


def exact_slack(bound: Bound, q):
    """``eta(pi_new) - rhs`` of ``bound`` on the exact quantities ``q`` (:class:`~.quantities.ExactQuantities`):
    a Fraction, an :class:`~.ops.Interval` enclosing it, or ``inf`` when the bound is ``-inf`` (no claim).
    Raises :class:`NotExact` when the penalty is not written over the quantities with ``ops`` (e.g. it
    calls numpy or :mod:`math` on the numbers) or an interval comparison cannot be decided.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from fractions import Fraction as F
    >>> from bounds import theorem1
    >>> from bounds.counterexamples.exact import ExactMDP
    >>> from bounds.registry import ExactQuantities, bound_named, exact_slack
    >>> m = T.two_state(0.9)
    >>> em = ExactMDP(m.P.tolist(), m.R.tolist(), m.rho0.tolist(), F(9, 10))
    >>> pi = ((F(1, 2), F(1, 2)), (F(1, 2), F(1, 2))); pn = ((F(3, 4), F(1, 4)), (F(1, 2), F(1, 2)))
    >>> s = exact_slack(bound_named("theorem1"), ExactQuantities(em, pi, pn))
    >>> s
    Fraction(73755, 101866)
    >>> abs(float(s) - theorem1(m, np.array(pi, float), np.array(pn, float)).slack) < 1e-12
    True
    """
    if bound.penalty is None:
        raise NotExact(f"{bound.name} is a function of (mdp, pi, pi_new) returning a float, not a penalty over "
                       "the named quantities")
    values = []
    for fn, what in ((bound.penalty, "penalty"), (bound.centre, "centre")):
        if fn is None:
            values.append(q.L)
            continue
        try:
            v = fn(q, q.ops)
        except Undecided as exc:
            raise NotExact(f"the {what} of {bound.name} needs a decision intervals cannot make ({exc})") from exc
        except Exception as exc:
            raise NotExact(f"the {what} of {bound.name} cannot be evaluated on exact numbers "
                           f"({type(exc).__name__}: {exc})") from exc
        if isinstance(v, np.ndarray) and v.size == 1:
            v = v.reshape(()).item()
        if not is_exact_number(v):
            raise NotExact(f"the {what} of {bound.name} returned a {type(v).__name__} on exact numbers "
                           "(it uses floating point, e.g. numpy or math functions instead of ops)")
        values.append(v)
    pen, centre = values
    if isinstance(pen, float) and pen == math.inf:
        return math.inf
    if isinstance(centre, float):
        raise NotExact(f"the centre of {bound.name} is infinite")
    return q.eta_new - centre + pen

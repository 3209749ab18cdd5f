"""Every registered bound on a batch of instances: :func:`check_all_batch`, the registry's penalties
(:mod:`bounds.registry`) evaluated once on the named quantities of K instances.

``K`` instances ``(mdp_k, pi_k, pi_new_k)`` held as the rows of a :class:`tabular.mdp_batch.MDPBatch` (all
with the same number of actions) give, per bound, the ``(K,)`` arrays of penalty, lower bound
``rhs = L - penalty``, slack, upper slack and ``holds`` that :func:`bounds.inequalities.check_all` gives
one instance at a time -- from the same penalty functions, so the two agree to round-off (the scalar
path evaluates its quantities with :func:`tabular.evaluate` instead of the stacked solves). Conventions
(:mod:`bounds.registry.evaluation`): ``rho`` unnormalized, ``d = (1 - gamma) rho``, ``KL(pi || pi_new)``
except [CPO] Cor. 3, ``0 * inf = 0``, an infinite penalty gives ``rhs = -inf``, ``slack = +inf`` and holds.

There is nothing to add here for a new bound: a record in the registry is computed here too.
"""

from __future__ import annotations

import numpy as np

from tabular.mdp_batch import MDPBatchEvaluation, MDPBatch, evaluate_batch

from .inequalities import RTOL
from .registry import BoundArrays, FloatQuantities, as_bound, evaluate_bounds, registered

__all__ = ["BatchBounds", "check_all_batch", "default_atol_batch", "batch_quantities"]

#: The table of :func:`check_all_batch` (:class:`bounds.registry.BoundArrays`).
BatchBounds = BoundArrays


def default_atol_batch(batch: MDPBatch) -> np.ndarray:
    """:func:`bounds.inequalities.default_atol` per instance: ``1e-9 * max(1, max|R| / (1-gamma))``.

    Examples
    --------
    >>> import tabular as T
    >>> from tabular.mdp_batch import MDPBatch
    >>> from bounds.check_batch import default_atol_batch
    >>> from bounds.inequalities.results import default_atol
    >>> mdps = [T.two_state(0.9), T.mdp_x(0.5)]
    >>> atol = default_atol_batch(MDPBatch.from_mdps(mdps))
    >>> [f"{a:.1e}" for a in atol], [f"{default_atol(m):.1e}" for m in mdps]
    (['1.0e-07', '2.0e-09'], ['1.0e-07', '2.0e-09'])
    """
    return RTOL * np.maximum(1.0, batch.segments.max(np.abs(batch.R).max(axis=1)) / (1.0 - batch.gamma))


def _check_ev(ev, pi, name: str) -> None:
    if not isinstance(ev, MDPBatchEvaluation):
        raise TypeError(f"{name} must be a tabular.mdp_batch.MDPBatchEvaluation, got {type(ev).__name__}")
    if ev.pi.shape != pi.shape or not np.array_equal(ev.pi, pi):
        raise ValueError(f"{name} is the evaluation of another policy than pi (evaluate_batch(batch, pi) is "
                         "expected); passing the evaluation of pi_new would report false violations")


def batch_quantities(batch: MDPBatch, pi, pi_new, *, ev: MDPBatchEvaluation | None = None) -> FloatQuantities:
    """The named quantities of the instances of ``batch`` (rows ``pi``, ``pi_new``, validated here):
    ``pi`` evaluated (or ``ev``, checked to be its evaluation) and ``pi_new`` with the span bound's
    ``w = (I - gamma P_new)^{-1} Abar`` solved in the same factorization.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from tabular.mdp_batch import MDPBatch
    >>> from bounds import theory_C
    >>> from bounds.check_batch import batch_quantities
    >>> mdps = [T.two_state(0.9), T.mdp_x(0.5)]
    >>> batch = MDPBatch.from_mdps(mdps)
    >>> pi = T.uniform(batch.N, 2)
    >>> q = batch_quantities(batch, pi, T.random_policy(batch.N, 2, rng=0))
    >>> np.allclose(q.C, [theory_C(m, T.uniform(m)) for m in mdps])
    True
    """
    return _quantities(batch, batch.check_rows(pi, "pi"), batch.check_rows(pi_new, "pi_new"), ev)


def _quantities(batch: MDPBatch, pi, pi_new, ev) -> FloatQuantities:
    """:func:`batch_quantities` of rows already validated."""
    if ev is None:
        ev = evaluate_batch(batch, pi)
    else:
        _check_ev(ev, pi, "ev")
    Abar = np.einsum("na,na->n", pi_new, ev.A)  # THEORY.md §2, the extra right-hand side of w
    ev_new = evaluate_batch(batch, pi_new, extra=Abar)
    q = FloatQuantities.from_batch(batch, pi, pi_new, ev, ev_new, default_atol_batch(batch))
    q.__dict__["Abar"] = Abar
    return q


def check_all_batch(batch: MDPBatch, pi, pi_new, *, ev: MDPBatchEvaluation | None = None, extra=(),
                    theorems: bool | None = True) -> BoundArrays:
    """Every registered bound (``theorems=True``: the theorems, as :func:`~bounds.inequalities.check_all`;
    ``False``: the non-theorems of THEORY.md §6; ``None``: all) and the bounds of ``extra`` on the
    instances of ``batch`` (rows ``pi``, ``pi_new``).

    ``ev`` may pass :func:`tabular.mdp_batch.evaluate_batch` of ``pi`` (the evaluation of any other policy
    is refused: ``ValueError``). A bound that raises, or returns NaN or not one value per instance, is
    a failure on those instances (``holds`` False, ``error`` says why, ``nan`` marks them).

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from tabular.mdp_batch import MDPBatch
    >>> from bounds import check_all
    >>> from bounds.check_batch import check_all_batch
    >>> mdps = [T.two_state(0.9), T.garnet(4, 2, rng=0)]
    >>> batch = MDPBatch.from_mdps(mdps)
    >>> pi = T.uniform(batch.N, 2); pn = T.random_policy(batch.N, 2, rng=1)
    >>> arr = check_all_batch(batch, pi, pn)
    >>> bool(all(arr.holds[n].all() for n in arr.names))
    True
    >>> one = check_all(mdps[1], pi[2:], pn[2:])  # the second instance alone agrees to round-off
    >>> bool(np.isclose(one["span"].slack, arr.slack["span"][1]))
    True
    """
    q = batch_quantities(batch, pi, pi_new, ev=ev)
    return evaluate_bounds(q, registered(theorems) + tuple(as_bound(b) for b in extra))

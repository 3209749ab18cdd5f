"""Every registered bound on one instance, as a :class:`~bounds.inequalities.results.BoundTable`."""

from __future__ import annotations

from ..registry import as_bound, registered
from .base import prepare, results_of
from .results import BoundTable, assert_bound as _assert_result

__all__ = ["check_all", "check_bound", "assert_bound"]


def check_all(mdp, pi, pi_new, *, ev=None, atol=None, extra=()) -> BoundTable:
    """Evaluate every registered theorem (:func:`bounds.registry.registered`, THEORY.md §3 and any bound
    a user registered) and the bounds of ``extra`` on ``(mdp, pi, pi_new)``.

    ``extra``: bounds to add for this call only -- :class:`bounds.registry.Bound` records, penalty
    functions ``(q, ops)``, ``"MODULE:FUNCTION"`` names or legacy ``(mdp, pi, pi_new) -> lower bound``
    functions. Every penalty is evaluated once on the instance's named quantities (a batch of one of
    the same code the sweeps run). The CPI bounds (Eq. (6) and [KL02] Thm 4.1) are applied through the
    smallest mixture decomposition ``pi_new = (1-alpha) pi + alpha pi'``, so they apply to every pair;
    ``"cpo_general"`` is [CPO] Theorem 1 with ``f = T_{pi_new} V_pi`` (:func:`cpo_general_bound`).
    A bound that raises, or whose penalty is NaN or not one number, is reported as failed (``holds``
    False, ``error`` says why), never as holding.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import check_all
    >>> m = T.mdp_x(0.5); pi = T.uniform(m); pn = T.random_policy(m, rng=0)
    >>> table = check_all(m, pi, pn, extra=[lambda q, ops: q.C * q.alpha ** 2 / 2])
    >>> table.names[0], table.names[-1], table.all_hold
    ('theorem1', 'lambda', True)
    """
    inst = prepare(mdp, pi, pi_new, ev, None, atol, evaluate_new=False)  # the same numbers with or without ev
    bounds = registered(theorem=True) + tuple(as_bound(b) for b in extra)
    return BoundTable(results=results_of(inst, bounds))


def check_bound(bound, mdp, pi, pi_new, *, ev=None, atol=None):
    """One bound (a record, a name, a penalty ``(q, ops)`` or a legacy function) on one instance,
    as a :class:`~bounds.inequalities.results.BoundResult`.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import check_bound
    >>> m = T.two_state(0.9); pi = T.uniform(m); pn = T.random_policy(m, rng=0)
    >>> r = check_bound("theorem1", m, pi, pn)
    >>> print(r.name, r.holds, f"{r.slack:.4f}")
    theorem1 True 1.8320
    >>> mine = check_bound(lambda q, ops: q.C * q.alpha ** 2 / 2, m, pi, pn)
    >>> mine.holds, mine.rhs >= r.rhs
    (True, True)
    """
    inst = prepare(mdp, pi, pi_new, ev, None, atol, evaluate_new=False)
    return results_of(inst, (as_bound(bound),))[0]


def assert_bound(result, mdp=None, pi=None, pi_new=None, *, atol=None) -> None:
    """Raise ``AssertionError`` with a readable diagnosis unless ``result`` holds.

    ``result`` is a :class:`BoundResult` or a :class:`BoundTable` (every entry is checked), or a bound
    (a :class:`bounds.registry.Bound`, a penalty ``(q, ops)``, a name or a legacy function) followed by
    the instance ``mdp, pi, pi_new``. A bound that fails to evaluate (raises, NaN) fails the assertion.
    ``atol`` overrides the tolerance. In pytest, with Hypothesis::

        from hypothesis import given
        from tabular.strategies import policy_pairs

        @given(policy_pairs(max_states=5, max_actions=3))
        def test_my_bound(case):
            assert_bound(my_bound, *case)

    Examples
    --------
    >>> import tabular as T
    >>> m = T.mdp_x(0.5); pi = T.uniform(m); pn = T.random_policy(m, rng=0)
    >>> assert_bound(lambda q, ops: q.C * q.alpha ** 2, m, pi, pn)
    """
    if mdp is not None or pi is not None or pi_new is not None:
        if mdp is None or pi is None or pi_new is None:
            raise TypeError("assert_bound(bound, mdp, pi, pi_new): give all three of mdp, pi, pi_new")
        result = check_bound(result, mdp, pi, pi_new)
    _assert_result(result, atol)

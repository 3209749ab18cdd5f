"""What every bound shares: one validated instance ``(mdp, pi, pi_new)`` with both evaluations, its
named quantities (:class:`bounds.registry.FloatQuantities`, a batch of one), the result builder, and
eps and the theory C of Theorem 1 (THEORY.md §3)."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from tabular.evaluation import Evaluation, resolve_evaluation
from tabular.mdp import MDP
from tabular.validation import as_policy, check_mdp, check_tolerance

from ..registry import BoundArrays, FloatQuantities, bound_named, evaluate_bounds, theory_C_from
from .results import BoundResult, default_atol

#: Largest number of states for which one instance is evaluated as a batch of one (measured not slower).
BATCH_OF_ONE_MAX_STATES = 50

__all__ = ["BATCH_OF_ONE_MAX_STATES", "Instance", "prepare", "results_of", "one_result", "epsilon_of", "theory_C", "theory_C_of"]


@dataclass(frozen=True)
class Instance:
    """One validated instance ``(mdp, pi, pi_new)``: the evaluations (``None`` until needed), the
    tolerance ``atol``, and its named quantities (:meth:`quantities`). Made by :func:`prepare`.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds.inequalities.base import prepare
    >>> m = T.two_state(0.9)
    >>> inst = prepare(m, T.uniform(m), T.random_policy(m, rng=0))
    >>> q = inst.quantities()
    >>> print(f"{float(q.eta[0]):.4f} {float(q.C[0]):.4f}")
    -4.5161 11.6129
    """

    mdp: MDP
    pi: np.ndarray
    pi_new: np.ndarray
    ev: Evaluation | None
    ev_new: Evaluation | None
    atol: float

    def quantities(self, batch_of_one: bool = True) -> FloatQuantities:
        """The named quantities of this instance (K = 1), computed on first use.

        Up to :data:`BATCH_OF_ONE_MAX_STATES` states (and with ``batch_of_one``) ``pi_new`` is evaluated
        as a batch of one (:func:`bounds.check_batch.batch_quantities`: ``eta(pi_new)`` and the span bound's ``w``
        in one factorization; ``pi`` by :func:`tabular.evaluate`, so the numbers do not depend on whether
        ``ev`` was passed). Measured (min CPU time, loaded 2-core machine): check_all 1.86 ms against 1.90 ms
        for the former scalar code at S = 10; above 50 states the scalar evaluations are faster (sparse LU
        for sparse models: 2.5 ms against 33 ms at S = 100), so they are used there.
        """
        from tabular.mdp_batch import MDPBatchEvaluation, MDPBatch
        from tabular.evaluation import evaluate

        if batch_of_one and self.mdp.n_states <= BATCH_OF_ONE_MAX_STATES:
            from ..check_batch import _quantities

            ev = self.ev
            if ev is not None:
                ev = MDPBatchEvaluation(pi=ev.pi, V=ev.V, Q=ev.Q, A=ev.A, eta=np.array([ev.eta]), rho=ev.rho, d=ev.d)
            q = _quantities(MDPBatch.from_mdps([self.mdp]), self.pi, self.pi_new, ev)  # validated by prepare
            q.atol = np.array([self.atol])
            return q
        ev = self.ev if self.ev is not None else evaluate(self.mdp, self.pi)
        return FloatQuantities.from_single(self.mdp, self.pi, self.pi_new, ev, self.ev_new, self.atol)


def prepare(mdp, pi, pi_new, ev=None, ev_new=None, atol=None, *, evaluate: bool = True,
            evaluate_new: bool = True) -> Instance:
    """The validated instance. ``evaluate=False`` / ``evaluate_new=False`` leave the evaluations of ``pi``
    / ``pi_new`` (when not given) to :meth:`Instance.quantities` (a claimed lower bound does not need
    ``eta(pi_new)``).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds.inequalities.base import prepare
    >>> m = T.two_state(0.9)
    >>> inst = prepare(m, T.uniform(m), T.random_policy(m, rng=0), evaluate_new=False)
    >>> print(f"{inst.ev.eta:.4f}", inst.ev_new is None, f"{inst.atol:.1e}")
    -4.5161 True 1.0e-07
    """
    mdp = check_mdp(mdp)
    pi = as_policy(pi, mdp.n_states, mdp.n_actions, name="pi")
    pi_new = as_policy(pi_new, mdp.n_states, mdp.n_actions, name="pi_new")
    if evaluate or ev is not None:
        ev = resolve_evaluation(mdp, pi, ev)
    if evaluate_new or ev_new is not None:
        ev_new = resolve_evaluation(mdp, pi_new, ev_new)
    atol = default_atol(mdp) if atol is None else check_tolerance(atol, "atol")
    return Instance(mdp, pi, pi_new, ev, ev_new, atol)


def _constants(bound, q, arrays: BoundArrays) -> dict:
    out = {}
    for c in bound.constants:
        shown, _, name = c.partition("=")
        out[shown] = float(np.asarray(getattr(q, name or shown)).reshape(-1)[0])
    if bound.off_centre:
        centre, half = float(arrays.centre[bound.name][0]), float(arrays.half_width[bound.name][0])
        out.update(centre=centre, half_width=half, upper=centre + half)
    return out


def _result(arrays: BoundArrays, bound, q) -> BoundResult:
    n = bound.name
    err = str(arrays.error[n][0])
    consts = {} if err else _constants(bound, q, arrays)
    return BoundResult(
        name=n, source=bound.source, eta=float(arrays.eta[0]), eta_new=float(arrays.eta_new[0]),
        surrogate=float(arrays.surrogate[0]), penalty=float(arrays.penalty[n][0]), rhs=float(arrays.rhs[n][0]),
        slack=float(arrays.slack[n][0]), holds=bool(arrays.holds[n][0]),
        two_sided=bool(bound.two_sided and not bound.off_centre), atol=float(arrays.atol[0]),
        constants=MappingProxyType(consts), notes=bound.notes, error=err,
    )


def results_of(inst: Instance, bounds, q=None) -> tuple:
    """The :class:`BoundResult` of every bound of ``bounds`` (records) on ``inst``, through one
    evaluation of the registry's penalties on its quantities (a batch of one).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds.inequalities.base import prepare, results_of
    >>> from bounds.registry import bound_named
    >>> m = T.two_state(0.9)
    >>> inst = prepare(m, T.uniform(m), T.random_policy(m, rng=0))
    >>> [(r.name, r.holds) for r in results_of(inst, [bound_named("theorem1"), bound_named("span")])]
    [('theorem1', True), ('span', True)]
    """
    q = inst.quantities() if q is None else q
    arrays = evaluate_bounds(q, bounds)
    return tuple(_result(arrays, b, q) for b in arrays.bounds)


def one_result(name: str, inst: Instance, q=None, notes: str | None = None) -> BoundResult:
    """The registered bound ``name`` on ``inst`` (``q`` may carry quantities set by the caller).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds.inequalities.base import prepare, one_result
    >>> m = T.two_state(0.9)
    >>> inst = prepare(m, T.uniform(m), T.random_policy(m, rng=0))
    >>> r = one_result("theorem1", inst)
    >>> print(f"{r.slack:.4f}", r.slack >= 0, abs(r.eta_new - r.rhs - r.slack) < 1e-12)
    1.8320 True True
    """
    r = results_of(inst, (bound_named(name),), q)[0]
    if r.error.startswith("penalty") and "NaN" in r.error:
        raise FloatingPointError(f"bound {name}: {r.error} (constants {dict(r.constants)})")
    if notes is not None:
        import dataclasses

        r = dataclasses.replace(r, notes=notes)
    return r


def epsilon_of(ev: Evaluation) -> float:
    """``eps = max_{s,a} |A_pi(s, a)|`` of Theorem 1 of [TRPO] (THEORY.md §3), from an evaluation of ``pi``.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds.inequalities.base import epsilon_of
    >>> m = T.two_state(0.9)
    >>> ev = T.evaluate(m, T.uniform(m))
    >>> print(f"{epsilon_of(ev):.6f}", epsilon_of(ev) == float(np.abs(ev.A).max()))
    0.032258 True
    """
    return float(np.max(np.abs(ev.A)))


def theory_C(mdp: MDP, pi, ev: Evaluation | None = None) -> float:
    """The coefficient ``C = 4 eps gamma / (1-gamma)^2``, ``eps = max_{s,a} |A_pi(s,a)|`` (Eq. (8)-(9)).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import theory_C
    >>> from bounds.inequalities.base import epsilon_of
    >>> m = T.two_state(0.9); pi = T.uniform(m)
    >>> C = theory_C(m, pi)
    >>> eps = epsilon_of(T.evaluate(m, pi))
    >>> print(f"{C:.4f}", abs(C - 4 * eps * 0.9 / (1 - 0.9) ** 2) < 1e-9)
    11.6129 True
    """
    return theory_C_of(resolve_evaluation(mdp, pi, ev))


def theory_C_of(ev: Evaluation) -> float:
    """:func:`theory_C` from an evaluation already checked against its policy (no re-validation);
    the formula is :func:`bounds.registry.theory_C_from` (Eq. (8)).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds.inequalities.base import theory_C, theory_C_of
    >>> m = T.two_state(0.9); pi = T.uniform(m)
    >>> ev = T.evaluate(m, pi)
    >>> theory_C_of(ev) == theory_C(m, pi)
    True
    """
    return float(theory_C_from(epsilon_of(ev), ev.gamma))  # Eq. (8)

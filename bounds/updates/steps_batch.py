"""Algorithm 1, CPI and the max-KL trust region on many instances at once, and their iteration.

The batched twins of :func:`bounds.updates.mm_step` (theory ``C``, KL penalty),
:func:`~bounds.updates.cpi_step` (at ``alpha*``) and :func:`~bounds.updates.trust_region_step`
(``constraint="max"``) for the instances of a :class:`tabular.mdp_batch.MDPBatch`, and
:func:`run_batch`, the batched twin of :func:`bounds.updates.run` (no early stop, no bound records):
what a sweep needs, equal to the scalar functions to round-off (Algorithm 1: to its solver tolerance
where the scalar path would use the joint Newton iteration; see :mod:`.solvers.algorithm1_batch`).

* Algorithm 1: :func:`.solvers.algorithm1_batch.max_kl_penalty_batch` at ``C = 4 eps gamma / (1-gamma)^2``.
* CPI: the closed form of Eq. (5)-(6) per instance, ``alpha*`` by the rule of
  :func:`bounds.inequalities.cpi_alpha_star_of`.
* Max-KL trust region, Eq. (11): separable over states, so every row of every instance is one
  problem of :func:`.solvers.solve_kl_constraint`, solved in one call on the concatenated rows.

A step returns ``ok = False`` for an instance it could not solve (a solver failure, a policy that
is not a distribution, a NaN objective -- where the scalar step raises); that instance keeps
``pi_new = pi`` so that the batch stays valid, and the caller recomputes it with the scalar functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from tabular.mdp_batch import MDPBatchEvaluation, MDPBatch, check_batch, check_batch_evaluation, evaluate_batch
from tabular.divergences import kl_unchecked
from tabular.policies import argmax_tol, tie_tolerance
from tabular.validation import PROB_ATOL, check_alloc, check_int, check_real

from .solvers import SolverError, solve_kl_constraint
from .solvers.algorithm1_batch import max_kl_penalty_batch
from .steps import NEGLIGIBLE_C

__all__ = ["BatchStep", "BatchHistory", "mm_step_batch", "cpi_step_batch", "trust_region_step_batch",
           "UPDATES_BATCH", "run_batch"]


@dataclass(frozen=True, eq=False)
class BatchStep:
    """One batched update ``pi -> pi_new``: ``pi_new`` (N, A) rows; per instance ``(K,)``: ``surrogate``
    ``L_pi(pi_new)`` (Eq. (3)), ``kl_max``, ``C`` (the coefficient of Algorithm 1; NaN for updates
    without one), ``ok``; ``method`` (K,) the solver route (or None).

    Examples
    --------
    >>> import tabular as T
    >>> from tabular.mdp_batch import MDPBatch, evaluate_batch
    >>> from bounds.updates.steps_batch import mm_step_batch
    >>> batch = MDPBatch.from_mdps([T.two_state(0.9), T.garnet(4, 2, rng=0)])
    >>> step = mm_step_batch(batch, evaluate_batch(batch, T.uniform(batch.N, 2)))
    >>> step.pi_new.shape, step.surrogate.shape, step.ok.tolist()
    ((6, 2), (2,), [True, True])
    """

    pi_new: np.ndarray
    surrogate: np.ndarray
    kl_max: np.ndarray
    C: np.ndarray
    ok: np.ndarray
    method: np.ndarray | None = None


def _valid_rows(batch: MDPBatch, p: np.ndarray) -> np.ndarray:
    """Per instance: every row of ``p`` a distribution (what :func:`tabular.validation.as_policy` checks)."""
    with np.errstate(invalid="ignore"):
        good = np.all(np.isfinite(p) & (p >= 0), axis=1) & (np.abs(p.sum(axis=1) - 1.0) <= PROB_ATOL)
    return batch.segments.all(good)


def _finish(batch: MDPBatch, ev: MDPBatchEvaluation, p, kl, C, ok, method=None) -> BatchStep:
    """Check the new rows, replace those of failed instances by ``pi``, and add L and the max-KL."""
    seg = batch.segments
    ok = ok & _valid_rows(batch, p)
    if not ok.all():
        bad = seg.rows_of(~ok)
        p = np.where(bad[:, None], ev.pi, p)
        kl = np.where(bad, 0.0, kl)
    L = ev.eta + seg.sum(ev.rho * np.einsum("na,na->n", p, ev.A))  # Eq. (3)
    ok &= ~np.isnan(L)
    return BatchStep(p, L, seg.max(kl), C, ok, method)


def theory_C_batch(batch: MDPBatch, ev: MDPBatchEvaluation) -> np.ndarray:
    """``C = 4 eps gamma / (1-gamma)^2``, ``eps = max_{s,a} |A_pi|`` (Eq. (8)) per instance."""
    eps = batch.segments.max(np.abs(ev.A).max(axis=1))
    return 4.0 * eps * batch.gamma / (1.0 - batch.gamma) ** 2  # Eq. (8)


def _checked(batch, ev, name: str = "ev"):
    """``batch`` an :class:`MDPBatch` and ``ev`` an evaluation in it (public boundary of this module)."""
    batch = check_batch(batch)
    return batch, check_batch_evaluation(batch, ev, name)


def _delta(delta) -> float:
    return check_real(delta, "delta", positive=True)


def mm_step_batch(batch: MDPBatch, ev: MDPBatchEvaluation) -> BatchStep:
    """:func:`bounds.updates.mm_step` (``penalty="kl"``, theory ``C``) on every instance.

    ``ev`` must be :func:`tabular.mdp_batch.evaluate_batch` of the current policy in ``batch``
    (:func:`tabular.mdp_batch.check_batch_evaluation`).

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from tabular.mdp_batch import MDPBatch, evaluate_batch
    >>> from bounds import mm_step
    >>> from bounds.updates.steps_batch import mm_step_batch
    >>> mdps = [T.two_state(0.9), T.garnet(4, 2, rng=0)]
    >>> batch = MDPBatch.from_mdps(mdps)
    >>> step = mm_step_batch(batch, evaluate_batch(batch, T.uniform(batch.N, 2)))
    >>> one = mm_step(mdps[1], T.uniform(mdps[1]))  # the second instance alone
    >>> bool(np.allclose(step.pi_new[2:], one.pi_new, atol=1e-8))
    True
    """
    return _mm(*_checked(batch, ev))


def _mm(batch: MDPBatch, ev: MDPBatchEvaluation) -> BatchStep:
    C = theory_C_batch(batch, ev)
    eps = batch.segments.max(np.abs(ev.A).max(axis=1))
    C_solve = np.where(C <= NEGLIGIBLE_C * eps, 0.0, C)  # the C -> 0+ limit to round-off, as mm_step
    sol = max_kl_penalty_batch(ev.A, ev.pi, ev.rho, C_solve, batch.segments)
    return _finish(batch, ev, sol.p, sol.kl, C, sol.ok.copy(), sol.method)


def cpi_step_batch(batch: MDPBatch, ev: MDPBatchEvaluation) -> BatchStep:
    """:func:`bounds.updates.cpi_step` at ``alpha*`` on every instance: ``pi' = greedy(Q)`` (the tie rule
    of :mod:`tabular.policies` with each instance's own value scale ``max|Q|``), ``pi_new = (1 - alpha*) pi
    + alpha* pi'`` (Eq. (5)), ``alpha*`` of Eq. (6) with the edge rules of :func:`bounds.inequalities.cpi_alpha_star_of`.
    ``ev`` as for :func:`mm_step_batch`.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from tabular.mdp_batch import MDPBatch, evaluate_batch
    >>> from bounds import cpi_step
    >>> from bounds.updates.steps_batch import cpi_step_batch
    >>> mdps = [T.garnet(3, 2, rng=1), T.garnet(4, 2, rng=0)]
    >>> batch = MDPBatch.from_mdps(mdps)
    >>> step = cpi_step_batch(batch, evaluate_batch(batch, T.uniform(batch.N, 2)))
    >>> bool(np.allclose(step.pi_new[3:], cpi_step(mdps[1], T.uniform(mdps[1])).pi_new))
    True
    """
    return _cpi(*_checked(batch, ev))


def _cpi(batch: MDPBatch, ev: MDPBatchEvaluation) -> BatchStep:
    seg, g = batch.segments, batch.gamma
    N, A = ev.pi.shape
    scale = seg.max(np.abs(ev.Q).max(axis=1))  # per instance
    best = argmax_tol(ev.Q, axis=1, scale=scale[seg.seg][:, None])
    prime = np.zeros((N, A))
    prime[np.arange(N), best] = 1.0
    Aprime_s = ev.A[np.arange(N), best]  # sum_a pi'(a|s) A_pi(s, a)
    A_bold, eps_p = seg.sum(ev.rho * Aprime_s), seg.max(np.abs(Aprime_s))
    floor = tie_tolerance(ev.Q, scale=scale)  # eps' this small is a tie: pi is already greedy
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.minimum(1.0, (1.0 - g) ** 2 * A_bold / (4.0 * g * eps_p))  # Eq. (6)
    alpha = np.where((A_bold <= 0.0) | (eps_p <= floor), 0.0, np.where(g == 0.0, 1.0, alpha))
    a = alpha[seg.seg][:, None]
    p = (1.0 - a) * ev.pi + a * prime  # Eq. (5)
    return _finish(batch, ev, p, kl_unchecked(ev.pi, p), np.full(batch.K, np.nan), np.ones(batch.K, dtype=bool))


def trust_region_step_batch(batch: MDPBatch, ev: MDPBatchEvaluation, delta: float) -> BatchStep:
    """:func:`bounds.updates.trust_region_step` with ``constraint="max"`` (Eq. (11)) on every instance:
    ``KL(pi(.|s) || p(.|s)) <= delta`` in every state of every instance, one row problem each.
    ``delta`` a real ``> 0``; ``ev`` as for :func:`mm_step_batch`.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from tabular.mdp_batch import MDPBatch, evaluate_batch
    >>> from bounds import trust_region_step
    >>> from bounds.updates.steps_batch import trust_region_step_batch
    >>> mdps = [T.two_state(0.9), T.garnet(4, 2, rng=0)]
    >>> batch = MDPBatch.from_mdps(mdps)
    >>> step = trust_region_step_batch(batch, evaluate_batch(batch, T.uniform(batch.N, 2)), 0.01)
    >>> one = trust_region_step(mdps[1], T.uniform(mdps[1]), 0.01)
    >>> bool(np.allclose(step.pi_new[2:], one.pi_new, atol=1e-8)), np.round(step.kl_max, 6).tolist()
    (True, [0.01, 0.01])
    """
    batch, ev = _checked(batch, ev)
    return _trust_region(batch, ev, _delta(delta))


def _trust_region(batch: MDPBatch, ev: MDPBatchEvaluation, delta: float) -> BatchStep:
    ok = np.ones(batch.K, dtype=bool)
    try:
        sol = solve_kl_constraint(ev.A, ev.pi, delta)
        p, kl = sol.pi_new, sol.kl
    except SolverError:  # some row failed: solve the instances one by one
        p, kl = ev.pi.copy(), np.zeros(batch.N)
        for k, (a, pi) in enumerate(zip(batch.split(ev.A), batch.split(ev.pi))):
            r0, r1 = batch.segments.start[k], batch.segments.start[k + 1]
            try:
                s = solve_kl_constraint(a, pi, delta)
                p[r0:r1], kl[r0:r1] = s.pi_new, s.kl
            except SolverError:
                ok[k] = False
    return _finish(batch, ev, p, kl, np.full(batch.K, np.nan), ok)


#: The batched updates by the names of :data:`bounds.updates.steps.UPDATES`.
UPDATES_BATCH = MappingProxyType({"mm": mm_step_batch, "cpi": cpi_step_batch, "trust_region": trust_region_step_batch})
#: The same steps without the boundary checks (:func:`run_batch` checks once, then evaluates every policy itself).
_UNCHECKED = {mm_step_batch: _mm, cpi_step_batch: _cpi, trust_region_step_batch: _trust_region}
#: The keyword arguments each batched update takes (checked by :func:`run_batch`).
_KWARGS = {"mm": {}, "cpi": {}, "trust_region": {"delta": _delta}}


@dataclass(frozen=True, eq=False)
class BatchHistory:
    """:func:`run_batch`'s record, ``(K, n)`` arrays unless said otherwise (as :class:`bounds.updates.UpdateHistory`).

    eta : (K, n+1). surrogate, C, kl_max : the steps' ``L``, coefficient and max-KL.
    M_new : ``L - C kl_max`` (``0 * inf = 0``), Eq. (10) of [TRPO], with ``C`` the theory value where
    the update has none. eta_gain, M_gain : ``eta_{i+1} - eta_i`` and ``M_new - eta_i``.
    ok : (K,) every step of the instance was solved by the batched path. pi : (N, A) the last policy.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from tabular.mdp_batch import MDPBatch
    >>> from bounds.updates.steps_batch import run_batch
    >>> batch = MDPBatch.from_mdps([T.two_state(0.9), T.garnet(4, 2, rng=0)])
    >>> h = run_batch("mm", batch, T.uniform(batch.N, 2), 3)
    >>> h.eta.shape, h.kl_max.shape, bool(np.all(h.eta_gain >= -1e-12))
    ((2, 4), (2, 3), True)
    """

    update: str
    eta: np.ndarray
    surrogate: np.ndarray
    C: np.ndarray
    kl_max: np.ndarray
    M_new: np.ndarray
    eta_gain: np.ndarray
    M_gain: np.ndarray
    ok: np.ndarray
    pi: np.ndarray
    methods: tuple

    @property
    def n_steps(self) -> int:
        return int(self.surrogate.shape[1])


def run_batch(update: str, batch: MDPBatch, pi0, n_iter: int, *, ev0: MDPBatchEvaluation | None = None,
              **kwargs) -> BatchHistory:
    """``n_iter`` steps of ``update`` (``"mm"``, ``"cpi"``, ``"trust_region"``; ``kwargs`` e.g.
    ``delta``) from ``pi0`` on every instance, evaluating every policy exactly (:func:`bounds.updates.run`
    with ``tol=-inf``; ``ev0`` may pass the evaluation of ``pi0``).

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from tabular.mdp_batch import MDPBatch
    >>> from bounds import run
    >>> from bounds.updates.steps_batch import run_batch
    >>> mdps = [T.two_state(0.9), T.garnet(4, 2, rng=0)]
    >>> batch = MDPBatch.from_mdps(mdps)
    >>> h = run_batch("trust_region", batch, T.uniform(batch.N, 2), 3, delta=0.01)
    >>> one = run("trust_region", mdps[1], T.uniform(mdps[1]), 3, delta=0.01)
    >>> bool(np.allclose(h.eta[1], one.eta))
    True
    """
    if not isinstance(update, str) or update not in UPDATES_BATCH:
        raise ValueError(f"update must be one of {tuple(UPDATES_BATCH)}, got {update!r}")
    batch = check_batch(batch)
    step = UPDATES_BATCH[update]
    step = _UNCHECKED.get(step, step)  # (a step put in UPDATES_BATCH by hand is called as it is)
    unknown = sorted(set(kwargs) - set(_KWARGS[update]))
    if unknown:
        raise TypeError(f"run_batch got unexpected keyword argument(s) {unknown} for update {update!r}; "
                        f"it takes {sorted(_KWARGS[update]) or 'none'}")
    missing = sorted(set(_KWARGS[update]) - set(kwargs))
    if missing:
        raise TypeError(f"run_batch with update {update!r} needs keyword argument(s) {missing}")
    kwargs = {k: check(kwargs[k]) for k, check in _KWARGS[update].items()}
    n_iter = check_int(n_iter, "n_iter", lo=0)
    check_alloc((8.0 * 8 * batch.K + 512.0) * n_iter, "n_iter", n_iter, "the per-step records of every instance")
    pi = batch.check_rows(pi0, "pi0")
    if ev0 is None:
        ev = evaluate_batch(batch, pi)
    else:
        ev = check_batch_evaluation(batch, ev0, "ev0")
        if not np.allclose(ev.pi, pi, rtol=0.0, atol=1e-12):
            raise ValueError("ev0 evaluates a different policy than pi0; pass ev0=evaluate_batch(batch, pi0) or None")
    K = batch.K
    etas, rec = [ev.eta], {k: [] for k in ("surrogate", "C", "kl_max", "M_new")}
    ok = np.ones(K, dtype=bool)
    methods = []
    for _ in range(n_iter):
        st = step(batch, ev, **kwargs)
        C_i = theory_C_batch(batch, ev) if np.all(np.isnan(st.C)) else st.C
        with np.errstate(invalid="ignore"):
            M_new = st.surrogate - np.where(C_i == 0, 0.0, C_i * st.kl_max)  # Eq. (10)
        for k, v in (("surrogate", st.surrogate), ("C", C_i), ("kl_max", st.kl_max), ("M_new", M_new)):
            rec[k].append(v)
        ok &= st.ok
        methods.append(st.method)
        ev = evaluate_batch(batch, st.pi_new)
        etas.append(ev.eta)
    eta = np.stack(etas, axis=1)
    arr = {k: (np.stack(v, axis=1) if v else np.zeros((K, 0))) for k, v in rec.items()}
    return BatchHistory(update, eta, arr["surrogate"], arr["C"], arr["kl_max"], arr["M_new"],
                        np.diff(eta, axis=1), arr["M_new"] - eta[:, :-1], ok, ev.pi, tuple(methods))

"""The sweep's batched engine: :func:`run_chunk_batched`, the rows of :func:`~experiments.sweep.record.run_chunk`
computed many instances at a time.

A chunk of ids is drawn instance by instance (instance ``i`` depends only on ``(seed, i)``, as
always), then grouped by number of actions ``A`` and sorted by number of states ``S``; each group is
one :class:`tabular.mdp_batch.MDPBatch` (sparse models of at most
:data:`~tabular.mdp_batch.MAX_BATCH_STATES` states are densified; larger ones go through the reference
path), on which the sweep's record is computed with array operations over the whole group:
:func:`bounds.registry.evaluate_bounds` (every bound of the sweep, ``--claim`` bounds included, from
the registry's penalties on the group's quantities) and :func:`bounds.updates.steps_batch.run_batch`
(Algorithm 1, CPI and the trust region); the columns come from the one builder both engines share
(:func:`~experiments.sweep.record.bound_columns`). The values equal the reference path's
(:func:`~experiments.sweep.record.evaluate_instance`) to round-off, and to the solvers' tolerance
(``~1e-9`` relative in the step) where Algorithm 1 takes its level method.

What the batched path does not compute falls back, per instance, to the reference path, so that a
row never depends on which engine ran it beyond round-off: an instance where a batched solver failed,
a policy came out invalid or a penalty of the package's bounds is NaN (the reference records the
error). A ``--claim`` bound that fails on an instance is a failure of that claim there, on either
path. :data:`STATS` counts the instances by path in this process.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from bounds.check_batch import batch_quantities
from bounds.registry import evaluate_bounds
from bounds.updates.steps_batch import run_batch
from tabular.mdp_batch import MAX_BATCH_STATES, MDPBatch

from .config import UPDATES, SweepConfig, instance_spec, make_instance
from .record import bound_columns, instance_row, package_failures, sweep_bounds

__all__ = ["run_chunk_batched", "STATS"]

#: Instances computed in this process by path: ``"batched"``, ``"reference"`` (redone one by one) and
#: ``"group_error"`` (a whole group redone after an unexpected error of the batched path).
STATS: Counter = Counter()


def _columns(bb, config: SweepConfig, batch: MDPBatch) -> tuple[dict, np.ndarray]:
    """``{column: (K,) array}`` of the group and the ``(K,)`` mask of instances to redo."""
    atol = bb.atol
    redo = package_failures(bb)  # the reference path records the error of the instance
    cols = bound_columns(bb, config)  # the one column builder of both engines
    if config.update_steps > 0:
        kwargs = {"mm": {}, "cpi": {}, "trust_region": {"delta": config.tr_delta}}
        q = bb.terms
        for u in UPDATES:
            h = run_batch(u, batch, q.pi, config.update_steps, ev0=q.ev, **kwargs[u])
            redo |= ~h.ok
            gain = h.eta_gain
            cols[f"{u}_steps"] = np.full(batch.K, h.n_steps)
            cols[f"{u}_nonmono"] = np.sum(gain < -atol[:, None], axis=1)
            cols[f"{u}_min_gain"] = np.min(gain, axis=1) if h.n_steps else np.full(batch.K, math.inf)
            if u == "mm":  # Eq. (10): eta gain >= M gain >= 0
                bad = (gain < h.M_gain - atol[:, None]) | (h.M_gain < -atol[:, None])
                cols["mm_eq10_fail"] = np.sum(bad, axis=1)
    return cols, redo


def _group_rows(items, config: SweepConfig) -> tuple[dict, list]:
    """``({id: values}, [ids to redo])`` of one group of instances with the same number of actions."""
    batch = MDPBatch.from_mdps([inst.mdp for _, inst in items])
    pi = batch.policy_rows([inst.pi for _, inst in items])
    pi_new = batch.policy_rows([inst.pi_new for _, inst in items])
    bb = evaluate_bounds(batch_quantities(batch, pi, pi_new), sweep_bounds(config))
    cols, redo = _columns(bb, config, batch)
    as_lists = {c: np.asarray(v).tolist() for c, v in cols.items()}  # Python floats, ints and bools
    out = {}
    for k, (i, _) in enumerate(items):
        if not redo[k]:
            row = {c: v[k] for c, v in as_lists.items()}
            row["error"] = ""
            out[i] = row
    return out, [i for k, (i, _) in enumerate(items) if redo[k]]


def run_chunk_batched(config: SweepConfig, ids) -> list:
    """The rows of the instances ``ids`` (as :func:`~experiments.sweep.record.run_chunk`; a picklable
    top-level function for process pools and Dask), computed a group of instances at a time.

    Examples
    --------
    The batched rows equal the reference rows of :func:`~experiments.sweep.record.run_chunk` to round-off:

    >>> import math
    >>> from experiments.sweep.config import SweepConfig
    >>> from experiments.sweep.engine_batched import run_chunk_batched
    >>> from experiments.sweep.record import run_chunk
    >>> config = SweepConfig(seed=0, families=("garnet", "two_state"), gammas=(0.9,), update_steps=1)
    >>> ref, bat = run_chunk(config, range(4)), run_chunk_batched(config, range(4))
    >>> def close(a, b):
    ...     if isinstance(a, float):
    ...         return a == b or math.isclose(a, b, rel_tol=1e-8, abs_tol=1e-12)
    ...     return a == b
    >>> all(close(r[c], b[c]) for r, b in zip(ref, bat) for c in r)
    True
    """
    rows, groups, redo = {}, {}, []
    for i in ids:
        i = int(i)
        family, gamma = instance_spec(i, config)
        row = {"id": i, "family": family, "gamma": gamma, "step": "", "S": -1, "A": -1}
        rows[i] = row
        try:
            inst = make_instance(config.seed, i, family, gamma)
        except Exception:  # the reference path records the error
            redo.append(i)
            continue
        S, A = inst.mdp.shape
        row.update(step=str(inst.meta.get("step", "")), S=int(S), A=int(A))
        if S <= MAX_BATCH_STATES:
            groups.setdefault(A, []).append((i, inst))
        else:
            redo.append(i)
    for A in sorted(groups):
        items = sorted(groups[A], key=lambda t: (t[1].mdp.n_states, t[0]))
        try:
            vals, again = _group_rows(items, config)
        except Exception:  # never lose an instance to a failure of the batched path: redo the group
            STATS["group_error"] += len(items)
            vals, again = {}, [i for i, _ in items]
        for i, v in vals.items():
            rows[i].update(v)
        STATS["batched"] += len(vals)
        redo += again
    for i in redo:
        rows[i] = instance_row(config, i)
    STATS["reference"] += len(redo)
    return [rows[int(i)] for i in ids]

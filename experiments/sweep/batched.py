"""The sweep's batched engine: :func:`run_chunk_batched`, the rows of :func:`~experiments.sweep.record.run_chunk`
computed many instances at a time.

A chunk of ids is drawn instance by instance (instance ``i`` depends only on ``(seed, i)``, as
always), then grouped by number of actions ``A`` and sorted by number of states ``S``; each group is
one :class:`tabular.batch.MDPBatch` (sparse models of at most
:data:`~tabular.batch.MAX_BATCH_STATES` states are densified; larger ones go through the reference
path), on which the sweep's record is computed with array operations over the whole group:
:func:`bounds.batch.check_all_batch` (every bound), :func:`bounds.updates.batch.run_batch` (Algorithm
1, CPI and the trust region) and the batched non-theorems of :mod:`bounds.batch`. The values equal the
reference path's (:func:`~experiments.sweep.record.evaluate_instance`) to round-off, and to the
solvers' tolerance (``~1e-9`` relative in the step) where Algorithm 1 takes its level method.

What the batched path does not compute falls back, per instance, to the reference path, so that a
row never depends on which engine ran it beyond round-off: an instance where a batched solver failed,
a policy came out invalid or a penalty is NaN (the reference raises there and records the error);
bounds of :func:`bounds.inequalities.check_all` with no batched form (computed with ``check_all`` for
that column only). :data:`STATS` counts the instances by path in this process.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from bounds.batch import CANDIDATES as BATCH_CANDIDATES
from bounds.batch import check_all_batch
from bounds.inequalities import check_all
from bounds.updates.batch import run_batch
from tabular.batch import MAX_BATCH_STATES, MDPBatch

from .config import CANDIDATES, UPDATES, SweepConfig, instance_spec, make_instance
from ..drawing import OFF_CENTRE_BOUNDS, centre_terms
from .record import bound_names, instance_row

__all__ = ["run_chunk_batched", "STATS"]

#: Instances computed in this process by path: ``"batched"``, ``"reference"`` (redone one by one),
#: ``"group_error"`` (a whole group redone after an unexpected error of the batched path) and
#: ``"scalar_bound_columns"`` (instances whose bounds without a batched form were computed by ``check_all``).
STATS: Counter = Counter()


def _columns(bb, config: SweepConfig, batch: MDPBatch, items) -> tuple[dict, np.ndarray]:
    """``{column: (K,) array}`` of the group and the ``(K,)`` mask of instances to redo."""
    K = batch.K
    atol = bb.atol
    redo = bb.nan.copy()
    cols = {"eta": bb.eta, "eta_new": bb.eta_new, "surrogate": bb.surrogate, "gap": bb.gap, "atol": atol}
    missing = [b for b in bound_names() if b not in bb.penalty]
    for b in bound_names():
        if b in bb.penalty:
            cols[f"{b}_penalty"], cols[f"{b}_slack"] = bb.penalty[b], bb.slack[b]
            cols[f"{b}_upper_slack"], cols[f"{b}_holds"] = bb.upper_slack[b], bb.holds[b]
            if b in bb.centre:  # measured about its own centre, as record.centre_terms does
                cols[f"{b}_penalty"] = bb.half_width[b]
                cols[f"{b}_gap"] = np.abs(bb.eta_new - bb.centre[b])
    if missing:  # a bound of check_all with no batched form yet: its columns from check_all itself
        STATS["scalar_bound_columns"] += K
        vals = {f"{b}_{f}": np.empty(K, dtype=bool if f == "holds" else np.float64)
                for b in missing for f in ("penalty", "slack", "upper_slack", "holds")}
        for k, (_, inst) in enumerate(items):
            try:
                tab = check_all(inst.mdp, inst.pi, inst.pi_new)
            except Exception:
                redo[k] = True
                continue
            for b in missing:
                r = tab[b]
                half, dist = centre_terms(r)  # (penalty, |eta - L|) for the bounds centred on L
                vals[f"{b}_penalty"][k], vals[f"{b}_slack"][k], vals[f"{b}_holds"][k] = half, r.slack, r.holds
                vals[f"{b}_upper_slack"][k] = (r.surrogate + r.penalty - r.eta_new) if r.two_sided else math.inf
                if b in OFF_CENTRE_BOUNDS:
                    vals.setdefault(f"{b}_gap", np.full(K, np.nan))[k] = dist
        cols.update(vals)
    if config.update_steps > 0:
        kwargs = {"mm": {}, "cpi": {}, "trust_region": {"delta": config.tr_delta}}
        pi = bb.terms.pi
        for u in UPDATES:
            h = run_batch(u, batch, pi, config.update_steps, ev0=bb.terms.ev, **kwargs[u])
            redo |= ~h.ok
            gain = h.eta_gain
            cols[f"{u}_steps"] = np.full(K, h.n_steps)
            cols[f"{u}_nonmono"] = np.sum(gain < -atol[:, None], axis=1)
            cols[f"{u}_min_gain"] = np.min(gain, axis=1) if h.n_steps else np.full(K, math.inf)
            if u == "mm":  # Eq. (10): eta gain >= M gain >= 0
                bad = (gain < h.M_gain - atol[:, None]) | (h.M_gain < -atol[:, None])
                cols["mm_eq10_fail"] = np.sum(bad, axis=1)
    if config.candidates:
        with np.errstate(invalid="ignore"):
            for c in CANDIDATES:
                if c in BATCH_CANDIDATES:
                    rhs = BATCH_CANDIDATES[c](bb.terms)
                    redo |= np.isnan(rhs)
                    cols[f"cand_{c}_slack"] = bb.eta_new - rhs
            # "L_pi(pi_new) > eta(pi) implies eta(pi_new) > eta(pi)": only claimed when L exceeds eta(pi)
            cols["cand_surrogate_monotone_slack"] = np.where(bb.surrogate > bb.eta + atol, bb.eta_new - bb.eta,
                                                             math.inf)
    return cols, redo


def _group_rows(items, config: SweepConfig) -> tuple[dict, list]:
    """``({id: values}, [ids to redo])`` of one group of instances with the same number of actions."""
    batch = MDPBatch.from_mdps([inst.mdp for _, inst in items])
    pi = batch.policy_rows([inst.pi for _, inst in items])
    pi_new = batch.policy_rows([inst.pi_new for _, inst in items])
    bb = check_all_batch(batch, pi, pi_new)
    cols, redo = _columns(bb, config, batch, items)
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
    top-level function for process pools and Dask), computed a group of instances at a time."""
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

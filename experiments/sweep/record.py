"""What a sweep records about one instance: the CSV columns (:func:`columns`) and their values
(:func:`evaluate_instance`), and :func:`run_chunk`, the unit of work the executors distribute."""

from __future__ import annotations

import functools
import math

import numpy as np

from bounds import counterexamples as ce
from bounds.inequalities import check_all
from bounds.updates import run as run_updates
from tabular.evaluation import evaluate, surrogate_of
from tabular.mdp import MDP

from ..drawing import OFF_CENTRE_BOUNDS, centre_terms
from .config import CANDIDATES, UPDATES, SweepConfig, instance_spec, make_instance

@functools.lru_cache(maxsize=1)
def bounds_info() -> tuple:
    """``((name, two_sided, source), ...)`` of :func:`check_all`, read off a tiny instance."""
    from tabular.zoo import two_state

    m = two_state(0.5)
    p = np.full((2, 2), 0.5)
    return tuple((r.name, r.two_sided, r.source) for r in check_all(m, p, p))


def bound_names() -> tuple:
    return tuple(n for n, _, _ in bounds_info())


def columns(config: SweepConfig) -> tuple:
    """The CSV header for ``config``."""
    cols = ["id", "family", "gamma", "step", "S", "A", "eta", "eta_new", "surrogate", "gap", "atol", "error"]
    for b in bound_names():
        cols += [f"{b}_penalty", f"{b}_slack", f"{b}_upper_slack", f"{b}_holds"]
        if b in OFF_CENTRE_BOUNDS:
            cols += [f"{b}_gap"]  # |eta - centre|: this bound is not centred on L
    if config.update_steps > 0:
        for u in UPDATES:
            cols += [f"{u}_steps", f"{u}_nonmono", f"{u}_min_gain"]
        cols += ["mm_eq10_fail"]
    if config.candidates:
        cols += [f"cand_{c}_slack" for c in CANDIDATES]
    return tuple(cols)


def _candidate_slacks(mdp, pi, pi_new, ev, ev_new, atol) -> dict:
    """``eta(pi_new) - claimed lower bound`` of each non-theorem of THEORY.md §6."""
    eta_new = float(ev_new.eta)
    L = surrogate_of(ev, pi_new)  # Eq. (3)
    out = {
        "mean_kl_rho": eta_new - ce.mean_kl_candidate(mdp, pi, pi_new, "rho"),
        "mean_kl_d": eta_new - ce.mean_kl_candidate(mdp, pi, pi_new, "d"),
        "mean_tv_squared": eta_new - ce.mean_tv_squared_candidate(mdp, pi, pi_new),
        "squared_mean_tv": eta_new - ce.squared_mean_tv_candidate(mdp, pi, pi_new),
    }
    # "L_pi(pi_new) > eta(pi) implies eta(pi_new) > eta(pi)": only claimed when L exceeds eta(pi).
    out["surrogate_monotone"] = eta_new - float(ev.eta) if L > float(ev.eta) + atol else math.inf
    return out


def evaluate_instance(mdp: MDP, pi, pi_new, config: SweepConfig) -> dict:
    """Everything the sweep records about one ``(mdp, pi, pi_new)``, as a dict keyed by CSV column.

    Bounds: :func:`bounds.inequalities.check_all`. Updates: ``config.update_steps`` steps of each update
    of :data:`UPDATES` from ``pi`` (:func:`bounds.updates.run`, never stopping early); a step is
    non-monotone when ``eta(pi_{k+1}) - eta(pi_k) < -atol`` with ``atol`` of
    :func:`bounds.inequalities.default_atol`; Algorithm 1 also counts steps breaking Eq. (10) of [TRPO]
    (``eta gain >= M gain - atol`` and ``M gain >= -atol``).
    """
    table = check_all(mdp, pi, pi_new)
    r0 = table.results[0]
    atol = float(r0.atol)
    row = dict(eta=r0.eta, eta_new=r0.eta_new, surrogate=r0.surrogate, gap=r0.gap, atol=atol, error="")
    for r in table:
        half, dist = centre_terms(r)  # = (penalty, |eta - L|) for the bounds centred on L
        row[f"{r.name}_penalty"] = half
        if r.name in OFF_CENTRE_BOUNDS:
            row[f"{r.name}_gap"] = dist
        row[f"{r.name}_slack"] = r.slack
        row[f"{r.name}_upper_slack"] = (r.surrogate + r.penalty - r.eta_new) if r.two_sided else math.inf
        row[f"{r.name}_holds"] = bool(r.holds)
    if config.update_steps > 0:
        kwargs = {"mm": {}, "cpi": {}, "trust_region": {"delta": config.tr_delta}}
        for u in UPDATES:
            h = run_updates(u, mdp, pi, config.update_steps, tol=-math.inf, record_bounds=False, **kwargs[u])
            row[f"{u}_steps"] = h.n_steps
            row[f"{u}_nonmono"] = int(np.sum(h.eta_gain < -atol))
            row[f"{u}_min_gain"] = float(np.min(h.eta_gain)) if h.n_steps else math.inf
            if u == "mm":  # Eq. (10): eta gain >= M gain >= 0
                bad = (h.eta_gain < h.M_gain - atol) | (h.M_gain < -atol)
                row["mm_eq10_fail"] = int(np.sum(bad))
    if config.candidates:
        ev, ev_new = evaluate(mdp, pi), evaluate(mdp, pi_new)
        for c, v in _candidate_slacks(mdp, pi, pi_new, ev, ev_new, atol).items():
            row[f"cand_{c}_slack"] = float(v)
    return row


def instance_row(config: SweepConfig, i: int) -> dict:
    """The row of instance ``i`` by the reference path: drawn from ``(seed, i)``, then :func:`evaluate_instance`
    (an exception is recorded in the ``error`` column, never raised)."""
    family, gamma = instance_spec(i, config)
    row = {"id": int(i), "family": family, "gamma": gamma, "step": "", "S": -1, "A": -1}
    try:
        inst = make_instance(config.seed, i, family, gamma)
        row.update(step=str(inst.meta.get("step", "")), S=int(inst.mdp.n_states), A=int(inst.mdp.n_actions))
        row.update(evaluate_instance(inst.mdp, inst.pi, inst.pi_new, config))
    except Exception as exc:  # recorded, counted as a failure and saved for replay -- never hidden
        row["error"] = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:300]
    return row


def run_chunk(config: SweepConfig, ids) -> list:
    """Rows of the instances ``ids`` (a picklable top-level function for process pools and Dask)."""
    return [instance_row(config, int(i)) for i in ids]


"""What a sweep records about one instance: the CSV columns (:func:`columns`), the ONE column builder
of the bounds that both engines use (:func:`bound_columns`, from a table of
:mod:`bounds.registry`), the values of one instance (:func:`evaluate_instance`), and :func:`run_chunk`,
the unit of work the executors distribute."""

from __future__ import annotations

import math

import numpy as np

from bounds.inequalities.base import prepare
from bounds.registry import THEORY_BOUNDS, BoundArrays, bound_named, evaluate_bounds
from bounds.updates import run as run_updates
from tabular.mdp import MDP

from .config import CANDIDATES, UPDATES, SweepConfig, instance_spec, make_instance

__all__ = ["sweep_bounds", "bounds_info", "bound_names", "columns", "bound_columns", "evaluate_instance",
           "instance_row", "run_chunk"]


def sweep_bounds(config: SweepConfig | None = None, candidates: bool | None = None) -> tuple:
    """The records a sweep evaluates, in column order: the theorems of THEORY.md §3, the ``--claim``
    bounds of ``config`` (imported by name, in every worker process), and with ``candidates`` the
    non-theorems of :data:`~experiments.sweep.config.CANDIDATES`.

    Examples
    --------
    >>> from experiments.sweep.config import CANDIDATES, SweepConfig
    >>> from experiments.sweep.record import sweep_bounds
    >>> config = SweepConfig(seed=0, families=("garnet",), gammas=(0.9,))
    >>> theorems = sweep_bounds(config)
    >>> print(theorems[0].name, len(sweep_bounds(config, candidates=True)) == len(theorems) + len(CANDIDATES))
    theorem1 True
    """
    out = list(THEORY_BOUNDS) + [bound_named(c) for c in (config.claims if config is not None else ())]
    if candidates if candidates is not None else (config is not None and config.candidates):
        out += [bound_named(c) for c in CANDIDATES]
    return tuple(out)


def bounds_info(config: SweepConfig | None = None) -> tuple:
    """``((name, two_sided, source), ...)`` of the bounds checked as theorems (two-sided about L).

    Examples
    --------
    >>> from experiments.sweep.config import SweepConfig
    >>> from experiments.sweep.record import bounds_info
    >>> info = bounds_info(SweepConfig(seed=0, families=("garnet",), gammas=(0.9,)))
    >>> info[0]  # (name, two-sided about L, source)
    ('theorem1', False, '[TRPO] Theorem 1, Eq. (8)')
    """
    return tuple((b.name, bool(b.two_sided and not b.off_centre), b.source)
                 for b in sweep_bounds(config, candidates=False))


def bound_names(config: SweepConfig | None = None) -> tuple:
    """The names of the bounds checked as theorems, in column order (the first items of :func:`bounds_info`).

    Examples
    --------
    >>> from experiments.sweep.config import SweepConfig
    >>> from experiments.sweep.record import bound_names, sweep_bounds
    >>> config = SweepConfig(seed=0, families=("garnet",), gammas=(0.9,))
    >>> names = bound_names(config)
    >>> print(names[:2], names == tuple(b.name for b in sweep_bounds(config)))
    ('theorem1', 'theorem1_tight') True
    """
    return tuple(n for n, _, _ in bounds_info(config))


def columns(config: SweepConfig) -> tuple:
    """The CSV header for ``config``.

    Examples
    --------
    >>> from experiments.sweep.config import SweepConfig
    >>> from experiments.sweep.record import columns
    >>> cols = columns(SweepConfig(seed=0, families=("garnet",), gammas=(0.9,), update_steps=0))
    >>> cols[:6]
    ('id', 'family', 'gamma', 'step', 'S', 'A')
    >>> [c for c in cols if c.startswith("theorem1_")][:4]
    ['theorem1_penalty', 'theorem1_slack', 'theorem1_upper_slack', 'theorem1_holds']
    """
    cols = ["id", "family", "gamma", "step", "S", "A", "eta", "eta_new", "surrogate", "gap", "atol", "error"]
    for b in sweep_bounds(config, candidates=False):
        cols += [f"{b.name}_penalty", f"{b.name}_slack", f"{b.name}_upper_slack", f"{b.name}_holds"]
        if b.off_centre:
            cols += [f"{b.name}_gap"]  # |eta - centre|: this bound is not centred on L
    if config.update_steps > 0:
        for u in UPDATES:
            cols += [f"{u}_steps", f"{u}_nonmono", f"{u}_min_gain"]
        cols += ["mm_eq10_fail"]
    if config.candidates:
        cols += [f"cand_{c}_slack" for c in CANDIDATES]
    return tuple(cols)


def bound_columns(bb: BoundArrays, config: SweepConfig) -> dict:
    """``{column: (K,) array}`` of the bounds and candidates of ``config`` from a table of
    :func:`bounds.registry.evaluate_bounds` over :func:`sweep_bounds` -- the one column builder of both
    engines. A bound centred elsewhere than L is measured about its own centre: ``<b>_penalty`` is its
    half-width and ``<b>_gap`` the distance of ``eta(pi_new)`` to its centre.

    Examples
    --------
    The columns of a batch of bounds, here of one instance (a table of :func:`bounds.registry.evaluate_bounds`):

    >>> from bounds.inequalities.base import prepare
    >>> from bounds.registry import evaluate_bounds
    >>> from tabular import deterministic, mixture, two_state, uniform
    >>> from experiments.sweep.config import SweepConfig
    >>> from experiments.sweep.record import bound_columns, sweep_bounds
    >>> config = SweepConfig(seed=0, families=("two_state",), gammas=(0.9,), update_steps=0)
    >>> mdp = two_state(0.9)
    >>> pi_new = mixture(uniform(mdp), deterministic([1, 0], 2), 0.1)
    >>> bb = evaluate_bounds(prepare(mdp, uniform(mdp), pi_new).quantities(), sweep_bounds(config))
    >>> cols = bound_columns(bb, config)
    >>> print(cols["theorem1_slack"].shape, bool(cols["theorem1_holds"][0]), bool(cols["theorem1_slack"][0] >= 0))
    (1,) True True
    """
    cols = {"eta": bb.eta, "eta_new": bb.eta_new, "surrogate": bb.surrogate, "gap": bb.gap, "atol": bb.atol}
    for b in sweep_bounds(config, candidates=False):
        n = b.name
        cols[f"{n}_penalty"] = bb.half_width[n] if b.off_centre else bb.penalty[n]
        if b.off_centre:
            cols[f"{n}_gap"] = np.abs(bb.eta_new - bb.centre[n])
        cols[f"{n}_slack"], cols[f"{n}_upper_slack"], cols[f"{n}_holds"] = bb.slack[n], bb.upper_slack[n], bb.holds[n]
    if config.candidates:
        for c in CANDIDATES:  # eta(pi_new) - claimed lower bound (+inf where nothing is claimed)
            cols[f"cand_{c}_slack"] = bb.slack[bound_named(c).name]
    return cols


def evaluate_instance(mdp: MDP, pi, pi_new, config: SweepConfig) -> dict:
    """Everything the sweep records about one ``(mdp, pi, pi_new)``, as a dict keyed by CSV column.

    Bounds: the registry's penalties on this instance's quantities (a batch of one,
    :meth:`bounds.inequalities.base.Instance.quantities`), through :func:`bound_columns`. Updates:
    ``config.update_steps`` steps of each update of :data:`UPDATES` from ``pi`` (:func:`bounds.updates.run`,
    never stopping early); a step is non-monotone when ``eta(pi_{k+1}) - eta(pi_k) < -atol`` with ``atol``
    of :func:`bounds.inequalities.default_atol`; Algorithm 1 also counts steps breaking Eq. (10) of [TRPO]
    (``eta gain >= M gain - atol`` and ``M gain >= -atol``).

    Examples
    --------
    Every theorem holds on a small conservative step (slack ``eta(pi_new) - (L - penalty) >= 0``):

    >>> from tabular import deterministic, mixture, two_state, uniform
    >>> from experiments.sweep.config import SweepConfig
    >>> from experiments.sweep.record import bound_names, evaluate_instance
    >>> config = SweepConfig(seed=0, families=("two_state",), gammas=(0.9,), update_steps=1)
    >>> mdp = two_state(0.9)
    >>> row = evaluate_instance(mdp, uniform(mdp), mixture(uniform(mdp), deterministic([1, 0], 2), 0.1), config)
    >>> print(row["error"] == "", all(row[f"{b}_holds"] for b in bound_names(config)), row["mm_steps"])
    True True 1
    """
    bb = evaluate_bounds(prepare(mdp, pi, pi_new).quantities(), sweep_bounds(config))
    _check_package_bounds(bb)
    row = {c: v[0].item() for c, v in bound_columns(bb, config).items()}
    row["error"] = ""
    atol = float(bb.atol[0])
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
    return row


def package_failures(bb: BoundArrays) -> np.ndarray:
    """``(K,)`` bool: instances where a bound of the package (not a ``--claim``) failed to evaluate."""
    from bounds.registry import NON_THEOREMS

    own = {id(b) for b in THEORY_BOUNDS + NON_THEOREMS}
    bad = np.zeros(bb.eta.shape[0], dtype=bool)
    for b in bb.bounds:
        if id(b) in own:
            bad |= bb.error[b.name] != ""
    return bad


def _check_package_bounds(bb: BoundArrays) -> None:
    """A NaN in a bound of the package is an error of the instance (recorded in the ``error`` column);
    a ``--claim`` that fails is recorded in its own columns (``holds`` False), a failure of that claim."""
    if package_failures(bb)[0]:
        errs = [f"{n}: {bb.error[n][0]}" for n in bb.names if bb.error[n][0]]
        raise FloatingPointError("; ".join(errs))


def instance_row(config: SweepConfig, i: int) -> dict:
    """The row of instance ``i`` by the reference path: drawn from ``(seed, i)``, then :func:`evaluate_instance`
    (an exception is recorded in the ``error`` column, never raised).

    Examples
    --------
    >>> from experiments.sweep.config import SweepConfig
    >>> from experiments.sweep.record import instance_row
    >>> config = SweepConfig(seed=0, families=("garnet", "two_state"), gammas=(0.9,), update_steps=0)
    >>> row = instance_row(config, 1)  # the families are taken round robin: instance 1 is a two_state
    >>> print(row["id"], row["family"], row["gamma"], row["S"], row["error"] == "")
    1 two_state 0.9 2 True
    """
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
    """Rows of the instances ``ids`` (a picklable top-level function for process pools and Dask).

    Examples
    --------
    Instance ``i`` depends only on ``(seed, i)``, whichever chunk computes it:

    >>> from experiments.sweep.config import SweepConfig
    >>> from experiments.sweep.record import run_chunk
    >>> config = SweepConfig(seed=0, families=("garnet", "two_state"), gammas=(0.9,), update_steps=0)
    >>> rows = run_chunk(config, [0, 1, 2])
    >>> print([r["id"] for r in rows], rows[2] == run_chunk(config, [2])[0])
    [0, 1, 2] True
    """
    return [instance_row(config, int(i)) for i in ids]

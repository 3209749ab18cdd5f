"""Violating instances saved to ``out/violations`` (:func:`save_flagged`) and recomputed from those
files alone (:func:`replay`)."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bounds.inequalities import check_all
from tabular import io as tio
from tabular.mdp import MDP

from .config import CANDIDATES, UPDATES, SweepConfig, instance_spec, make_instance
from .record import evaluate_instance
from .report import flagged_ids
from .store import read_config


def save_flagged(out: Path, report: dict, config: SweepConfig) -> dict:
    """Rebuild each flagged instance from ``(seed, id)`` and save it under ``out/violations``."""
    flags = flagged_ids(report)
    if not flags:
        return {}
    vdir = out / "violations"
    vdir.mkdir(exist_ok=True)
    for i, why in flags.items():
        family, gamma = instance_spec(i, config)
        inst = make_instance(config.seed, i, family, gamma)
        tio.save(inst.mdp, vdir / f"{i}.npz")
        with open(vdir / f"{i}.policies.npz", "wb") as f:
            np.savez_compressed(f, pi=inst.pi, pi_new=inst.pi_new)
        meta = {"id": i, "reasons": why, "seed": config.seed, "family": family, "gamma": gamma,
                "meta": {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in inst.meta.items()}}
        (vdir / f"{i}.json").write_text(json.dumps(meta, indent=1) + "\n")
    return {str(i): why for i, why in flags.items()}


@dataclass(frozen=True, eq=False)
class Replay:
    """A saved instance recomputed from its files.

    ``row`` is what :func:`evaluate_instance` records (the same fields as the CSV row);
    ``table`` the :class:`bounds.inequalities.BoundTable`; ``violated`` the names of the theorem bounds that
    fail, ``non_monotone`` the updates with a decreasing step, ``candidates_violated`` the
    non-theorems found violated.
    """

    id: int
    mdp: MDP
    pi: np.ndarray
    pi_new: np.ndarray
    info: dict
    row: dict
    table: object
    violated: tuple
    non_monotone: tuple
    candidates_violated: tuple


def replay(out, instance_id: int, config: SweepConfig | None = None) -> Replay:
    """Reload instance ``instance_id`` from ``out/violations`` and recompute everything on it.

    Uses only the saved files (``<id>.npz`` via :func:`tabular.io.load`, ``<id>.policies.npz``) and
    the sweep's settings (``sweep_config.json``, or ``config``), not the random streams.
    """
    if isinstance(instance_id, bool) or not isinstance(instance_id, (int, np.integer)) or instance_id < 0:
        raise ValueError(f"instance_id must be a non-negative integer, got {instance_id!r}")
    if config is not None and not isinstance(config, SweepConfig):
        raise TypeError(f"config must be a SweepConfig or None, got {type(config).__name__}")
    out = Path(out)
    vdir = out / "violations"
    mfile, pfile = vdir / f"{int(instance_id)}.npz", vdir / f"{int(instance_id)}.policies.npz"
    if not mfile.exists() or not pfile.exists():
        raise ValueError(f"instance_id: no saved instance {instance_id} in {vdir}")
    config = read_config(out) if config is None else config
    try:
        mdp = tio.load(mfile)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"{mfile}: cannot read the saved MDP: {exc}") from None
    try:
        with np.load(pfile, allow_pickle=False) as z:
            pi, pi_new = z["pi"].copy(), z["pi_new"].copy()
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{pfile}: cannot read the saved policies: {exc}") from None
    jfile = vdir / f"{int(instance_id)}.json"
    try:
        info = json.loads(jfile.read_text()) if jfile.exists() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{jfile}: damaged ({exc})") from None
    row = evaluate_instance(mdp, pi, pi_new, config)
    table = check_all(mdp, pi, pi_new)
    violated = tuple(r.name for r in table if not r.holds)
    nonmono = tuple(u for u in UPDATES if config.update_steps > 0 and row[f"{u}_nonmono"] > 0)
    cands = tuple(c for c in CANDIDATES if config.candidates and row[f"cand_{c}_slack"] < -row["atol"])
    return Replay(int(instance_id), mdp, pi, pi_new, info, row, table, violated, nonmono, cands)


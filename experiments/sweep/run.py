"""Run or resume a sweep: :func:`run_sweep` ties the instances, the CSV, the executors, the report,
the saved violations and the figure together."""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from tabular.validation import check_int, check_real

from .config import CSV_NAME, FIGURE_NAME, SweepConfig, check_gammas, resolve_families
from .._cli import check_writable_dir
from .executors import check_engine, connect, rows_as_completed
from .figure import plot_tightness
from .progress import progress_display
from .record import columns
from .replay import save_flagged
from .report import build_report, format_report
from .store import (TIMING_NAME, append_rows, load_results, prepare_out, read_rows, read_timing, rewrite_sorted,
                    sweep_lock, write_json)


@dataclass(frozen=True)
class SweepResult:
    """Outcome of :func:`run_sweep`.

    ``report`` is the JSON-ready report (identical for resumed and uninterrupted runs),
    ``text`` its printable form, ``n_computed`` the instances computed by this call (the others were
    read from the CSV), ``seconds`` the wall time of that computation, ``files`` what was written.
    """

    report: dict
    text: str
    out: Path
    n_computed: int
    seconds: float
    files: tuple = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return bool(self.report["passed"])

    @property
    def throughput(self) -> float:
        """Instances per second computed by this call (NaN-free: 0 when nothing was computed)."""
        return self.n_computed / self.seconds if self.n_computed and self.seconds > 0 else 0.0



#: The largest sweep one call runs (a million instances take about 11 minutes on two cores).
MAX_N = 100_000_000


def max_workers() -> int:
    """The most processes a sweep starts: four per core, at least 64."""
    return max(64, 4 * (os.cpu_count() or 1))


#: Largest default chunk of each engine: the batched engine needs many instances per chunk (its groups
#: of one number of actions are the batches), the reference one streams best in small chunks.
MAX_CHUNK = {"batched": 4000, "reference": 50}


def _plan_chunks(missing: list, chunk: int | None, n_par: int, engine: str = "batched") -> list:
    """``missing`` cut into chunks of ``chunk`` ids (default: about four per worker, at most
    :data:`MAX_CHUNK` of the engine)."""
    if chunk is None:
        chunk = max(1, min(MAX_CHUNK[engine], math.ceil(len(missing) / (4 * n_par)))) if missing else 1
    return [missing[k:k + chunk] for k in range(0, len(missing), chunk)]


def _compute(csv_path: Path, cols, config: SweepConfig, chunks: list, n_missing: int, workers: int, scheduler,
             progress: bool | None, heartbeat: float, engine: str = "batched") -> None:
    """Compute ``chunks`` on the chosen backend and append their rows to the CSV as they complete,
    showing the progress on stderr (:func:`experiments.sweep.progress.progress_display`)."""
    display = progress_display(n_missing, progress, heartbeat)
    try:
        append_rows(csv_path, cols, rows_as_completed(config, chunks, workers, scheduler, engine), display.update)
    finally:
        display.close()


def _record_timing(out: Path, n_computed: int, seconds: float, engine: str, workers) -> None:
    """Append this call's computation to ``out/timing.json`` (a list, one entry per call that computed)."""
    runs = read_timing(out)
    runs.append({"n_computed": n_computed, "seconds": round(seconds, 3),
                 "instances_per_second": round(n_computed / seconds, 1) if seconds > 0 else None,
                 "engine": engine, "workers": workers, "cpu_count": os.cpu_count()})
    write_json(out / TIMING_NAME, runs)


def _write_outputs(out: Path, table: dict, config: SweepConfig, figure: bool) -> tuple:
    """Build the report, save the flagged instances, write ``report.json``/``.txt`` and the figure;
    return ``(report, text, files)``."""
    report = build_report(table, config)
    report["saved_instances"] = save_flagged(out, report, config)
    text = format_report(report)
    (out / "report.json").write_text(json.dumps(report, indent=1, sort_keys=False) + "\n")
    (out / "report.txt").write_text(text + "\n")
    files = [out / CSV_NAME, out / "report.json", out / "report.txt"]
    if figure and table["id"].shape[0] > 0:
        from .._common import save_figure, style

        style()
        fig = plot_tightness(table, report)
        files += list(save_figure(fig, out, FIGURE_NAME))
    return report, text, tuple(files)


def run_sweep(n: int, families, gammas, seed: int, out, *, workers: int | None = None, scheduler=None,
              chunk: int | None = None, candidates: bool = False, update_steps: int = 3,
              tr_delta: float = 0.01, progress: bool | None = None, heartbeat: float = 10.0,
              figure: bool = True, engine: str = "batched", claims=()) -> SweepResult:
    """Run (or resume) a sweep of instances ``0..n-1`` into ``out`` and write its report.

    Parameters
    ----------
    n : int >= 0, number of instances. families, gammas, seed : see :class:`SweepConfig`.
    out : folder for ``results.csv``, ``sweep_config.json``, the report, the figure and ``violations/``.
    workers : processes (default ``os.cpu_count()``); 1 computes in this process.
    scheduler : a Dask scheduler address (or a ``distributed.Client``); overrides ``workers``.
    chunk : instances per task (default: about four tasks per worker, at most 4,000 for the batched
        engine and 50 for the reference one).
    candidates, update_steps, tr_delta : see :class:`SweepConfig`.
    claims : bounds swept besides the theorems of THEORY.md §3, each ``MODULE:FUNCTION`` (a penalty
        ``(q, ops)`` over :mod:`bounds.registry`'s quantities, a :class:`bounds.registry.Bound`, or a
        legacy ``(mdp, pi, pi_new) -> lower bound``) or a registered name; checked as theorems.
    progress : None (default): a tqdm bar on stderr if it is a terminal, else a one-line heartbeat
        every ``heartbeat`` seconds (:mod:`experiments.sweep.progress`); True: always the bar; False:
        nothing. Neither changes any result.
    heartbeat : seconds >= 0 between heartbeat lines (0: one per chunk).
    figure : draw the tightness figure.
    engine : ``"batched"`` (default: many instances at a time, :mod:`experiments.sweep.engine_batched`) or
        ``"reference"`` (one instance at a time, :func:`experiments.sweep.record.run_chunk`). The two
        give the same results to round-off; the choice is not part of the sweep's settings, so a
        sweep may be resumed with either. ``timing.json`` in ``out`` records each call that computed
        something (instances, seconds, rate, engine, workers), apart from the deterministic report.

    Every argument is checked before anything is written; a bad one raises ``ValueError`` or
    ``TypeError`` naming it (``n`` at most :data:`MAX_N`, ``workers`` at most :func:`max_workers`,
    ``out`` a folder that can be written, ``scheduler`` one that answers). While it runs the sweep
    holds ``out/.sweep.lock`` (:func:`~experiments.sweep.store.sweep_lock`): a second sweep into the
    same folder is refused with a ``ValueError`` instead of mixing two runs in one CSV. Workers end
    with the sweep, even one killed by SIGKILL (:mod:`experiments.sweep.executors`).
    """
    n = check_int(n, "n", lo=0, hi=MAX_N)
    workers = check_int((os.cpu_count() or 1) if workers is None else workers, "workers", lo=1, hi=max_workers())
    chunk = None if chunk is None else check_int(chunk, "chunk", lo=1)
    heartbeat = check_real(heartbeat, "heartbeat", lo=0.0, allow_inf=True)
    engine = check_engine(engine)
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be None, True or False, got {progress!r}")
    config = SweepConfig(seed=seed, families=resolve_families(families), gammas=check_gammas(gammas),
                         candidates=candidates, update_steps=update_steps, tr_delta=tr_delta, claims=claims)
    out = check_writable_dir(out, "out")
    client, own = connect(scheduler) if scheduler is not None else (None, False)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with sweep_lock(out):
            return _run_locked(n, config, out, workers, client, chunk, progress, heartbeat, figure, engine)
    finally:
        if own:
            client.close()


def _run_locked(n, config, out, workers, client, chunk, progress, heartbeat, figure, engine) -> SweepResult:
    """The body of :func:`run_sweep`, run while holding the folder's lock (:func:`store.sweep_lock`)."""
    prepare_out(out, config)
    cols = columns(config)
    csv_path = out / CSV_NAME
    done = read_rows(csv_path, cols)
    missing = [i for i in range(n) if i not in done]
    chunks = _plan_chunks(missing, chunk, workers if client is None else 8, engine)

    t0 = time.perf_counter()
    if missing:
        _compute(csv_path, cols, config, chunks, len(missing), workers, client, progress, heartbeat, engine)
    seconds = time.perf_counter() - t0
    if missing:
        _record_timing(out, len(missing), seconds, engine, workers if client is None else "dask")
    rewrite_sorted(csv_path, cols)

    table = load_results(out, n)
    if table["id"].shape[0] != n:
        raise RuntimeError(f"sweep incomplete: {table['id'].shape[0]} of {n} instances in {csv_path}")
    report, text, files = _write_outputs(out, table, config, figure)
    return SweepResult(report, text, out, len(missing), seconds, files)

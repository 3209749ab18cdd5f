"""Large, parallel, resumable sweeps that check every bound of THEORY.md §3 on random instances.

``python -m experiments sweep --n 100000 --families garnet,gridworld,chain,frozenlake
--gammas 0.5,0.9,0.99 --seed 0 --out DIR [--workers N] [--scheduler ADDRESS] [--chunk K]
[--candidates] [--update-steps 3] [--no-progress] [--no-figure]``

Instance ``i`` is rebuilt from ``(seed, i)`` alone: its family is ``families[i % F]``, its discount
``gammas[(i // F) % G]`` (round robin) and every random draw comes from
``np.random.default_rng(np.random.SeedSequence([seed, i]))``; the number of workers, the chunking
and the scheduler change nothing. For each instance ``(mdp, pi, pi_new)`` the sweep records

* every bound of :func:`bounds.core.check_all` -- ``penalty``, lower ``slack = eta(pi_new) - (L - penalty)``,
  upper slack ``L + penalty - eta(pi_new)`` of the two-sided bounds, ``holds`` -- and the surrogate
  error ``gap = |eta(pi_new) - L_pi(pi_new)|`` (``L`` by Eq. (3) of [TRPO]);
* ``--update-steps`` exact steps from ``pi`` of Algorithm 1 (``mm_step``, theory ``C``; monotone by
  Eq. (10) of [TRPO]), CPI (``cpi_step`` at ``alpha*``; monotone by Eq. (6)) and the max-KL trust
  region (Eq. (11), ``delta = 0.01``; *not* a theorem: reported, not failed), counting the steps with
  ``eta(pi_{k+1}) < eta(pi_k) - atol`` and, for Algorithm 1, the steps that break Eq. (10);
* with ``--candidates``, the slack of the non-theorems of THEORY.md §6 (:mod:`bounds.counterexamples`):
  mean-KL (``rho`` and ``d`` weights), ``E_d[TV^2]``, ``(E_d TV)^2`` and "a larger surrogate means a
  larger eta". Their violations are *expected* and reported as found violations, not failures.

Results stream to ``DIR/results.csv`` (one row per instance, exact ``repr`` floats, flushed after every
chunk). A rerun with the same settings reads the finished ids and computes only the missing ones; the
report is always built from the CSV sorted by id, so an interrupted-and-resumed sweep reports exactly
what an uninterrupted one does. The report (``DIR/report.txt``, ``DIR/report.json``) gives violations
per bound with every violating instance saved to ``DIR/violations/<id>.npz`` (:func:`tabular.io.save`)
plus ``<id>.policies.npz`` (``pi``, ``pi_new``) and ``<id>.json``, replayable by :func:`replay`; the
worst slack per bound; penalty, gap and penalty/gap quantiles per bound, family and gamma; the
non-monotone update steps. A tightness figure ``DIR/sweep_tightness.png``/``.pdf`` is drawn from the CSV.

Parallelism: a :class:`concurrent.futures.ProcessPoolExecutor` on ``--workers`` processes (default:
all cores), or, with ``--scheduler ADDRESS``, the same chunks on an existing Dask distributed cluster
(``distributed.Client(address)``; ``client.map`` over chunks, gathered as they complete).
"""

from __future__ import annotations

import argparse
import csv
import functools
import importlib.util
import io
import json
import math
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from bounds import counterexamples as ce
from bounds.core import check_all
from tabular.instances import FAMILIES as BASE_FAMILIES
from tabular.instances import Instance, sample_instance, sample_policy, sample_step
from bounds.updates import run as run_updates
from tabular import io as tio
from tabular.evaluation import evaluate
from tabular.mdp import MDP
from tabular.planning import policy_iteration

__all__ = [
    "FAMILIES",
    "UPDATES",
    "CANDIDATES",
    "SweepConfig",
    "SweepResult",
    "Replay",
    "instance_spec",
    "make_instance",
    "bound_names",
    "columns",
    "evaluate_instance",
    "run_chunk",
    "run_sweep",
    "load_results",
    "build_report",
    "format_report",
    "replay",
    "plot_tightness",
    "main",
]

#: Every family a sweep can draw from: those of :mod:`tabular.instances` and Gymnasium's FrozenLake.
FAMILIES = tuple(BASE_FAMILIES) + ("frozenlake",)
#: Updates iterated from ``pi``; ``theorem`` says whether monotonicity is proven (a failure if broken).
UPDATES = {"mm": True, "cpi": True, "trust_region": False}
#: Non-theorems of THEORY.md §6 evaluated with ``--candidates`` (violations expected).
CANDIDATES = ("mean_kl_rho", "mean_kl_d", "mean_tv_squared", "squared_mean_tv", "surrogate_monotone")
#: Surrogate errors below this are round-off: left out of penalty/gap ratios.
MIN_GAP = 1e-10
#: Quantiles reported for penalty, gap and penalty/gap.
QUANTILES = (0.05, 0.5, 0.95)
#: At most this many instances are saved per non-theorem (candidate or trust region); theorem
#: violations are always all saved.
MAX_SAVED_EXPECTED = 20
CSV_NAME = "results.csv"
CONFIG_NAME = "sweep_config.json"
FIGURE_NAME = "sweep_tightness"
_STR_COLS = ("family", "step", "error")


# ============================================================================= configuration
@dataclass(frozen=True)
class SweepConfig:
    """What determines instance ``i`` and what is computed on it (everything except ``n``).

    Attributes
    ----------
    seed : int, the root of every stream (``SeedSequence([seed, i])``).
    families : tuple of family names (see :data:`FAMILIES`), round robin over ``i``.
    gammas : tuple of discounts in [0, 1), round robin over ``i // len(families)``.
    candidates : bool, also evaluate the non-theorems of THEORY.md §6.
    update_steps : int >= 0, exact steps of each update of :data:`UPDATES` from ``pi``.
    tr_delta : float > 0, the KL radius of the max-KL trust region (Eq. (11) of [TRPO]).
    """

    seed: int
    families: tuple
    gammas: tuple
    candidates: bool = False
    update_steps: int = 3
    tr_delta: float = 0.01

    def __post_init__(self):
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        fams = tuple(str(f) for f in self.families)
        if not fams:
            raise ValueError("families must name at least one family")
        bad = [f for f in fams if f not in FAMILIES]
        if bad:
            raise ValueError(f"families: unknown family {bad}; choose from {FAMILIES}")
        if len(set(fams)) != len(fams):
            raise ValueError(f"families must not repeat a family, got {fams}")
        gams = tuple(float(g) for g in self.gammas)
        if not gams:
            raise ValueError("gammas must list at least one discount")
        if any(not (0.0 <= g < 1.0) for g in gams):
            raise ValueError(f"gammas must lie in [0, 1), got {gams}")
        steps = self.update_steps
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
            raise ValueError(f"update_steps must be a non-negative integer, got {steps!r}")
        if not (float(self.tr_delta) > 0 and math.isfinite(float(self.tr_delta))):
            raise ValueError(f"tr_delta must be a positive number, got {self.tr_delta!r}")
        object.__setattr__(self, "seed", int(self.seed))
        object.__setattr__(self, "families", fams)
        object.__setattr__(self, "gammas", gams)
        object.__setattr__(self, "candidates", bool(self.candidates))
        object.__setattr__(self, "update_steps", int(steps))
        object.__setattr__(self, "tr_delta", float(self.tr_delta))

    def to_json(self) -> dict:
        d = asdict(self)
        d["families"], d["gammas"] = list(self.families), list(self.gammas)
        return d


def instance_spec(i: int, config: SweepConfig) -> tuple[str, float]:
    """Family and discount of instance ``i``: ``families[i % F]``, ``gammas[(i // F) % G]``."""
    F = len(config.families)
    return config.families[i % F], config.gammas[(i // F) % len(config.gammas)]


@functools.lru_cache(maxsize=None)
def _frozenlake(gamma: float) -> MDP:
    """FrozenLake-v1 (4x4, slippery) as an exact MDP, built once per process and discount."""
    from tabular.gym import from_gymnasium

    return from_gymnasium("FrozenLake-v1", gamma)


def _has_gymnasium() -> bool:
    return importlib.util.find_spec("gymnasium") is not None


def make_instance(seed: int, i: int, family: str, gamma: float) -> Instance:
    """Instance ``i`` of a sweep with root ``seed``: a function of ``(seed, i, family, gamma)`` only.

    Families of :mod:`tabular.instances` go through :func:`tabular.instances.sample_instance`;
    ``"frozenlake"`` uses the exact FrozenLake-v1 model with a random old policy
    (:func:`tabular.instances.sample_policy`, sometimes mixed half-half with an optimal one) and a
    random step (:func:`tabular.instances.sample_step`).
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(i)]))
    if family != "frozenlake":
        return sample_instance(rng, family=family, gamma=gamma)
    mdp = _frozenlake(float(gamma))
    S, A = mdp.shape
    pi = sample_policy(S, A, rng)
    if rng.random() < 0.1:  # as sample_instance: sometimes start near an optimal policy
        pi = 0.5 * pi + 0.5 * policy_iteration(mdp).pi
    pi_new, meta = sample_step(mdp, pi, rng)
    meta.update(family=family, gamma=float(gamma), S=S, A=A)
    return Instance(mdp, pi, pi_new, meta)


# ============================================================================= one instance
@functools.lru_cache(maxsize=1)
def _bounds_info() -> tuple:
    """``((name, two_sided, source), ...)`` of :func:`check_all`, read off a tiny instance."""
    from tabular.zoo import two_state

    m = two_state(0.5)
    p = np.full((2, 2), 0.5)
    return tuple((r.name, r.two_sided, r.source) for r in check_all(m, p, p))


def bound_names() -> tuple:
    return tuple(n for n, _, _ in _bounds_info())


def columns(config: SweepConfig) -> tuple:
    """The CSV header for ``config``."""
    cols = ["id", "family", "gamma", "step", "S", "A", "eta", "eta_new", "surrogate", "gap", "atol", "error"]
    for b in bound_names():
        cols += [f"{b}_penalty", f"{b}_slack", f"{b}_upper_slack", f"{b}_holds"]
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
    L = float(ev.eta + ev.rho @ np.einsum("sa,sa->s", pi_new, ev.A))  # Eq. (3)
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

    Bounds: :func:`bounds.core.check_all`. Updates: ``config.update_steps`` steps of each update
    of :data:`UPDATES` from ``pi`` (:func:`bounds.updates.run`, never stopping early); a step is
    non-monotone when ``eta(pi_{k+1}) - eta(pi_k) < -atol`` with ``atol`` of
    :func:`bounds.core.default_atol`; Algorithm 1 also counts steps breaking Eq. (10) of [TRPO]
    (``eta gain >= M gain - atol`` and ``M gain >= -atol``).
    """
    table = check_all(mdp, pi, pi_new)
    r0 = table.results[0]
    atol = float(r0.atol)
    row = dict(eta=r0.eta, eta_new=r0.eta_new, surrogate=r0.surrogate, gap=r0.gap, atol=atol, error="")
    for r in table:
        row[f"{r.name}_penalty"] = r.penalty
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


def _one(config: SweepConfig, i: int) -> dict:
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
    return [_one(config, int(i)) for i in ids]


# ============================================================================= CSV streaming
def _fmt(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return str(v)


def _encode(rows, cols) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for r in rows:
        w.writerow(["" if c not in r else _fmt(r[c]) for c in cols])
    return buf.getvalue()


def _read_raw(path: Path, cols: tuple, repair: bool = True) -> dict:
    """``{id: line}`` of the complete rows of ``path`` (a trailing partial line is cut off, and with
    ``repair`` also removed from the file; damaged rows are skipped and so recomputed)."""
    if not path.exists():
        return {}
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):  # interrupted mid-line: drop the partial row
        data = data[: data.rfind(b"\n") + 1]
        if repair:
            with open(path, "r+b") as f:
                f.truncate(len(data))
    lines = data.decode().splitlines(keepends=True)
    if not lines:
        return {}
    header = next(csv.reader(lines[:1]))
    if tuple(header) != tuple(cols):
        raise ValueError(
            f"{path} has other columns than this sweep writes (different --candidates/--update-steps or an "
            f"older version); use a new --out. Got {len(header)} columns, expected {len(cols)}."
        )
    rows = {}
    for line, rec in zip(lines[1:], csv.reader(lines[1:])):
        if len(rec) != len(cols):
            continue
        try:
            rows[int(rec[0])] = line
        except ValueError:
            continue
    return rows


def _converter(c: str):
    if c in _STR_COLS:
        return object, str
    if c.endswith("_holds"):
        return bool, lambda v: v == "1"
    if c in ("id", "S", "A") or c.endswith(("_steps", "_nonmono")) or c == "mm_eq10_fail":
        return np.int64, lambda v: int(v) if v else -1
    return np.float64, lambda v: float(v) if v else math.nan


def load_results(out, n: int | None = None) -> dict:
    """The sweep's CSV in ``out`` as numpy columns sorted by id (ids ``< n`` if given).

    Strings for ``family``, ``step``, ``error``; integers for ``id``, ``S``, ``A`` and the counts;
    booleans for ``*_holds``; floats otherwise (empty fields of error rows are NaN).
    """
    out = Path(out)
    config = _read_config(out)
    cols = columns(config)
    raw = _read_raw(out / CSV_NAME, cols, repair=False)
    ids = sorted(i for i in raw if n is None or i < n)
    convs = [_converter(c) for c in cols]
    table = {c: np.empty(len(ids), dtype=dt) for c, (dt, _) in zip(cols, convs)}
    arrays = [table[c] for c in cols]
    fns = [fn for _, fn in convs]
    for r, rec in enumerate(csv.reader(raw[i] for i in ids)):
        for arr, fn, v in zip(arrays, fns, rec):
            arr[r] = fn(v)
    return table


def _read_config(out: Path) -> SweepConfig:
    p = out / CONFIG_NAME
    if not p.exists():
        raise ValueError(f"{out} holds no sweep (no {CONFIG_NAME})")
    d = json.loads(p.read_text())
    return SweepConfig(**d)


def _prepare_out(out: Path, config: SweepConfig) -> None:
    out.mkdir(parents=True, exist_ok=True)
    p = out / CONFIG_NAME
    if p.exists():
        old = _read_config(out)
        if old != config:
            raise ValueError(
                f"out={out} holds a sweep with other settings ({old.to_json()}); "
                f"resume with the same settings or choose a new --out (requested {config.to_json()})"
            )
    else:
        p.write_text(json.dumps(config.to_json(), indent=1) + "\n")


# ============================================================================= execution
def _executor_rows(config, chunks, workers, scheduler):
    """Yield the row lists of ``chunks`` as they complete, on the requested backend."""
    if scheduler is not None:
        try:
            import distributed
        except ImportError as exc:  # pragma: no cover - dask is a runtime dependency
            raise ImportError("--scheduler needs dask distributed: pip install 'dask[distributed]'") from exc
        own = not isinstance(scheduler, distributed.Client)
        client = distributed.Client(scheduler) if own else scheduler
        pending: set = set()
        try:
            futures = client.map(run_chunk, [config] * len(chunks), chunks, pure=False)
            pending = set(futures)
            for fut in distributed.as_completed(futures):
                pending.discard(fut)
                rows = fut.result()
                fut.release()
                yield rows
        finally:  # interrupted: cancel what is still queued on the cluster
            if pending:
                client.cancel(list(pending))
            if own:
                client.close()
        return
    if workers == 1:
        for ch in chunks:
            yield run_chunk(config, ch)
        return
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        futures = [pool.submit(run_chunk, config, ch) for ch in chunks]
        for fut in as_completed(futures):
            yield fut.result()
    finally:  # interrupted (Ctrl-C, an error): drop the queued chunks; what was written stays resumable
        pool.shutdown(wait=True, cancel_futures=True)


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


def _resolve_families(families) -> tuple:
    fams = tuple(families)
    if "frozenlake" in fams and not _has_gymnasium():
        print("sweep: skipping family 'frozenlake': gymnasium is not installed "
              "(pip install 'trpo-theory[gymnasium]')", file=sys.stderr)
        fams = tuple(f for f in fams if f != "frozenlake")
        if not fams:
            raise ValueError("families: only 'frozenlake' was requested and gymnasium is not installed")
    return fams


def run_sweep(n: int, families, gammas, seed: int, out, *, workers: int | None = None, scheduler=None,
              chunk: int | None = None, candidates: bool = False, update_steps: int = 3,
              tr_delta: float = 0.01, progress: bool | None = None, figure: bool = True) -> SweepResult:
    """Run (or resume) a sweep of instances ``0..n-1`` into ``out`` and write its report.

    Parameters
    ----------
    n : int >= 0, number of instances. families, gammas, seed : see :class:`SweepConfig`.
    out : folder for ``results.csv``, ``sweep_config.json``, the report, the figure and ``violations/``.
    workers : processes (default ``os.cpu_count()``); 1 computes in this process.
    scheduler : a Dask scheduler address (or a ``distributed.Client``); overrides ``workers``.
    chunk : instances per task (default: about four tasks per worker, at most 50).
    candidates, update_steps, tr_delta : see :class:`SweepConfig`.
    progress : tqdm bar (None: only on a terminal). figure : draw the tightness figure.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    n = int(n)
    workers = (os.cpu_count() or 1) if workers is None else workers
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    config = SweepConfig(seed=seed, families=_resolve_families(families), gammas=tuple(gammas),
                         candidates=candidates, update_steps=update_steps, tr_delta=tr_delta)
    out = Path(out)
    _prepare_out(out, config)
    cols = columns(config)
    csv_path = out / CSV_NAME
    done = _read_raw(csv_path, cols)
    missing = [i for i in range(n) if i not in done]
    n_par = workers if scheduler is None else 8
    if chunk is None:
        chunk = max(1, min(50, math.ceil(len(missing) / (4 * n_par)))) if missing else 1
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
    chunks = [missing[k:k + chunk] for k in range(0, len(missing), chunk)]

    t0 = time.perf_counter()
    if missing:
        from tqdm import tqdm

        new_file = not csv_path.exists() or csv_path.stat().st_size == 0
        with open(csv_path, "a", newline="") as f, \
                tqdm(total=len(missing), unit="inst", desc="sweep", disable=None if progress is None else not progress,
                     file=sys.stderr) as bar:
            if new_file:
                f.write(_encode([{c: c for c in cols}], cols))
                f.flush()
            for rows in _executor_rows(config, chunks, int(workers), scheduler):
                f.write(_encode(rows, cols))
                f.flush()
                bar.update(len(rows))
    seconds = time.perf_counter() - t0
    _rewrite_sorted(csv_path, cols)

    table = load_results(out, n)
    if table["id"].shape[0] != n:
        raise RuntimeError(f"sweep incomplete: {table['id'].shape[0]} of {n} instances in {csv_path}")
    report = build_report(table, config)
    saved = _save_flagged(out, report, config)
    report["saved_instances"] = saved
    text = format_report(report)
    (out / "report.json").write_text(json.dumps(report, indent=1, sort_keys=False) + "\n")
    (out / "report.txt").write_text(text + "\n")
    files = [csv_path, out / "report.json", out / "report.txt"]
    if figure and n > 0:
        from ._common import save_figure, style

        style()
        fig = plot_tightness(table, report)
        files += list(save_figure(fig, out, FIGURE_NAME))
    return SweepResult(report, text, out, len(missing), seconds, tuple(files))


def _rewrite_sorted(csv_path: Path, cols) -> None:
    """Rewrite the CSV sorted by id without duplicates (atomically), so that it does not depend on
    the completion order of the chunks."""
    if not csv_path.exists():
        return
    raw = _read_raw(csv_path, cols)
    tmp = csv_path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as f:
        f.write(_encode([{c: c for c in cols}], cols))
        f.writelines(raw[i] for i in sorted(raw))
    os.replace(tmp, csv_path)


# ============================================================================= report
def _q(x) -> list:
    """Quantiles (order statistics, no interpolation, so never NaN from ``inf - inf``)."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return []
    return [float(v) for v in np.quantile(x, QUANTILES, method="inverted_cdf")]


def _ids(table, mask) -> list:
    return [int(i) for i in table["id"][mask]]


def build_report(table: dict, config: SweepConfig) -> dict:
    """The JSON-ready report of a sweep's results (columns from :func:`load_results`).

    Failures (``passed = False``): any theorem bound with ``holds = False``, any non-monotone step of
    Algorithm 1 or CPI, any Eq. (10) failure, any instance that raised. Candidates and the trust
    region are reported as found violations (expected).
    """
    n = int(table["id"].shape[0])
    err = table["error"] != ""
    ok = ~err
    report = {
        "config": config.to_json(),
        "n_instances": n,
        "errors": {"count": int(err.sum()), "ids": _ids(table, err),
                   "messages": sorted({str(m) for m in table["error"][err]})[:10]},
    }
    info = {nm: (two, src) for nm, two, src in _bounds_info()}
    fams = [f for f in config.families if np.any(table["family"] == f)]
    gams = [g for g in config.gammas if np.any(table["gamma"] == g)]
    resolved = ok & (table["gap"] > MIN_GAP)
    bounds = {}
    for b, (two, src) in info.items():
        holds = table[f"{b}_holds"]
        viol = ok & ~holds
        slack = np.where(ok, table[f"{b}_slack"], np.inf)
        j = int(np.argmin(slack)) if n else -1
        entry = {
            "source": src, "two_sided": two, "violations": int(viol.sum()), "violating_ids": _ids(table, viol),
            "worst_slack": float(slack[j]) if n else None, "worst_slack_id": int(table["id"][j]) if n else None,
        }
        if two:
            up = np.where(ok, table[f"{b}_upper_slack"], np.inf)
            k = int(np.argmin(up)) if n else -1
            entry["worst_upper_slack"] = float(up[k]) if n else None
            entry["worst_upper_slack_id"] = int(table["id"][k]) if n else None
        pen = table[f"{b}_penalty"]
        entry["infinite_penalty"] = int(np.sum(ok & np.isinf(pen)))
        cells = {}
        for f in fams:
            for g in gams:
                sel = ok & (table["family"] == f) & (table["gamma"] == g)
                if not sel.any():
                    continue
                rsel = sel & resolved & np.isfinite(pen)
                cells[f"{f}|{g!r}"] = {
                    "n": int(sel.sum()),
                    "penalty_q": _q(pen[sel]),
                    "ratio_q": _q(pen[rsel] / table["gap"][rsel]),
                    "n_ratio": int(rsel.sum()),
                }
        entry["by_family_gamma"] = cells
        rsel = ok & resolved & np.isfinite(pen)
        entry["ratio_q_all"] = _q(pen[rsel] / table["gap"][rsel])
        bounds[b] = entry
    report["bounds"] = bounds
    report["gap_by_family_gamma"] = {
        f"{f}|{g!r}": _q(table["gap"][ok & (table["family"] == f) & (table["gamma"] == g)])
        for f in fams for g in gams if np.any(ok & (table["family"] == f) & (table["gamma"] == g))
    }
    report["quantiles"] = list(QUANTILES)
    updates = {}
    if config.update_steps > 0:
        for u, theorem in UPDATES.items():
            nm = table[f"{u}_nonmono"]
            bad = ok & (nm > 0)
            updates[u] = {
                "theorem": theorem, "steps": int(np.sum(table[f"{u}_steps"][ok])),
                "non_monotone_steps": int(np.sum(nm[ok])), "instances_non_monotone": int(bad.sum()),
                "ids": _ids(table, bad),
                "worst_gain": float(np.min(np.where(ok, table[f"{u}_min_gain"], np.inf))) if n else None,
            }
        eq = ok & (table["mm_eq10_fail"] > 0)
        updates["mm"]["eq10_failures"] = int(np.sum(table["mm_eq10_fail"][ok]))
        updates["mm"]["eq10_ids"] = _ids(table, eq)
    report["updates"] = updates
    cands = {}
    if config.candidates:
        for c in CANDIDATES:
            s = table[f"cand_{c}_slack"]
            viol = ok & (s < -table["atol"])
            tested = ok & np.isfinite(s)
            cands[c] = {
                "found_violations": int(viol.sum()), "tested": int(tested.sum()),
                "fraction": float(viol.sum() / tested.sum()) if tested.any() else 0.0,
                "ids": _ids(table, viol)[:MAX_SAVED_EXPECTED],
                "worst_slack": float(np.min(np.where(ok, s, np.inf))) if n else None,
            }
    report["candidates"] = cands
    n_fail = (report["errors"]["count"] + sum(e["violations"] for e in bounds.values())
              + sum(u["non_monotone_steps"] for k, u in updates.items() if u["theorem"])
              + (updates["mm"]["eq10_failures"] if updates else 0))
    report["failures"] = int(n_fail)
    report["passed"] = n_fail == 0
    return report


def _flagged_ids(report: dict) -> dict:
    """``{id: [reasons]}`` of every instance to save."""
    flags: dict = {}

    def add(ids, why):
        for i in ids:
            flags.setdefault(int(i), []).append(why)

    add(report["errors"]["ids"], "error")
    for b, e in report["bounds"].items():
        add(e["violating_ids"], f"bound:{b}")
    for u, e in report["updates"].items():
        add(e["ids"] if e["theorem"] else e["ids"][:MAX_SAVED_EXPECTED], f"non_monotone:{u}")
        if "eq10_ids" in e:
            add(e["eq10_ids"], "eq10:mm")
    for c, e in report["candidates"].items():
        add(e["ids"][:MAX_SAVED_EXPECTED], f"candidate:{c}")
    return dict(sorted(flags.items()))


def _save_flagged(out: Path, report: dict, config: SweepConfig) -> dict:
    """Rebuild each flagged instance from ``(seed, id)`` and save it under ``out/violations``."""
    flags = _flagged_ids(report)
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


def _g(x, fmt=".3g") -> str:
    return "-" if x is None else format(x, fmt)


def format_report(report: dict) -> str:
    """A plain-text rendering of :func:`build_report`'s report."""
    c = report["config"]
    L = []
    L.append(f"sweep: {report['n_instances']:,} instances, seed {c['seed']}, families {','.join(c['families'])}, "
             f"gammas {','.join(repr(g) for g in c['gammas'])}, update steps {c['update_steps']}"
             f"{', candidates' if c['candidates'] else ''}")
    L.append(f"RESULT: {'PASS' if report['passed'] else 'FAIL'} -- {report['failures']} failure(s) "
             f"(theorem violations + non-monotone MM/CPI steps + Eq. (10) failures + errors)")
    e = report["errors"]
    if e["count"]:
        L.append(f"errors: {e['count']} instance(s) raised, ids {e['ids'][:20]}: {e['messages'][:3]}")
    L.append("")
    L.append(f"{'bound':<16} {'violations':>10} {'worst slack':>12} {'(id)':>7} {'worst upper':>12} "
             f"{'penalty/gap q5':>14} {'q50':>9} {'q95':>9}  source")
    for b, e in report["bounds"].items():
        rq = e["ratio_q_all"] or [None] * 3
        up = _g(e.get("worst_upper_slack")) if e["two_sided"] else ""
        L.append(f"{b:<16} {e['violations']:>10} {_g(e['worst_slack']):>12} {str(e['worst_slack_id']):>7} "
                 f"{up:>12} {_g(rq[0]):>14} {_g(rq[1]):>9} {_g(rq[2]):>9}  {e['source']}")
    L.append("")
    L.append(f"median penalty/gap per family|gamma (gap > {MIN_GAP:g}, finite penalties); "
             "last column: median |eta - L|:")
    names = list(report["bounds"])
    cells = list(report["gap_by_family_gamma"])
    w = {b: max(9, len(b)) for b in names}
    L.append(f"{'family|gamma':<18} " + " ".join(f"{b:>{w[b]}}" for b in names) + f" {'|eta-L|':>10}")
    for k in cells:
        vals = []
        for b in names:
            rq = report["bounds"][b]["by_family_gamma"].get(k, {}).get("ratio_q") or [None] * 3
            vals.append(f"{_g(rq[1]):>{w[b]}}")
        gap = (report["gap_by_family_gamma"].get(k) or [None] * 3)[1]
        L.append(f"{k:<18} " + " ".join(vals) + f" {_g(gap):>10}")
    if report["updates"]:
        L.append("")
        L.append(f"{'update':<14} {'theorem':>7} {'steps':>8} {'non-monotone':>12} {'instances':>9} {'worst gain':>11}")
        for u, e in report["updates"].items():
            L.append(f"{u:<14} {'yes' if e['theorem'] else 'no':>7} {e['steps']:>8} {e['non_monotone_steps']:>12} "
                     f"{e['instances_non_monotone']:>9} {_g(e['worst_gain']):>11}")
        L.append(f"Algorithm 1 steps breaking Eq. (10): {report['updates']['mm']['eq10_failures']}")
    if report["candidates"]:
        L.append("")
        L.append("non-theorems of THEORY.md §6 (violations EXPECTED; found violations, not failures):")
        for cn, e in report["candidates"].items():
            L.append(f"  {cn:<20} found {e['found_violations']:>6} violations in {e['tested']:>7} "
                     f"({100 * e['fraction']:.2f}%), worst slack {_g(e['worst_slack'])}, ids {e['ids'][:8]}")
    saved = report.get("saved_instances") or {}
    if saved:
        L.append("")
        L.append(f"{len(saved)} instance(s) saved in violations/ (replay with experiments.sweep.replay(out, id)): "
                 f"ids {list(saved)[:15]}{' ...' if len(saved) > 15 else ''}")
    return "\n".join(L)


# ============================================================================= replay
@dataclass(frozen=True, eq=False)
class Replay:
    """A saved instance recomputed from its files.

    ``row`` is what :func:`evaluate_instance` records (the same fields as the CSV row);
    ``table`` the :class:`bounds.core.BoundTable`; ``violated`` the names of the theorem bounds that
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
    out = Path(out)
    vdir = out / "violations"
    mfile, pfile = vdir / f"{int(instance_id)}.npz", vdir / f"{int(instance_id)}.policies.npz"
    if not mfile.exists() or not pfile.exists():
        raise ValueError(f"instance_id: no saved instance {instance_id} in {vdir}")
    config = _read_config(out) if config is None else config
    mdp = tio.load(mfile)
    with np.load(pfile, allow_pickle=False) as z:
        pi, pi_new = z["pi"].copy(), z["pi_new"].copy()
    jfile = vdir / f"{int(instance_id)}.json"
    info = json.loads(jfile.read_text()) if jfile.exists() else {}
    row = evaluate_instance(mdp, pi, pi_new, config)
    table = check_all(mdp, pi, pi_new)
    violated = tuple(r.name for r in table if not r.holds)
    nonmono = tuple(u for u in UPDATES if config.update_steps > 0 and row[f"{u}_nonmono"] > 0)
    cands = tuple(c for c in CANDIDATES if config.candidates and row[f"cand_{c}_slack"] < -row["atol"])
    return Replay(int(instance_id), mdp, pi, pi_new, info, row, table, violated, nonmono, cands)


# ============================================================================= figure
_LABELS = {
    "theorem1": "Thm 1, Eq. (8)", "theorem1_tight": "Thm 1 proof, Eq. (44)", "kl_max": "max-KL, Eq. (9)",
    "kl_max_pinsker": "max-KL, Pinsker", "cpi": "CPI, Eq. (6)", "kl02": "KL02 Thm 4.1",
    "cpo_tv": "CPO Cor. 1", "cpo_kl": "CPO Cor. 3", "spi": "SPI Thm 3.5", "span": "resolvent span",
}


def plot_tightness(table: dict, report: dict):
    """Tightness of every bound over the sweep: log10(penalty / |eta - L|) per bound and gamma (left),
    and its median per bound and family (right). Instances with ``|eta - L| <= MIN_GAP`` or an
    infinite penalty are left out."""
    import matplotlib.pyplot as plt

    ok = (table["error"] == "") & (table["gap"] > MIN_GAP)
    names = list(report["bounds"])
    med = {}
    for b in names:
        sel = ok & np.isfinite(table[f"{b}_penalty"])
        r = table[f"{b}_penalty"][sel] / table["gap"][sel]
        med[b] = float(np.median(r)) if r.size else math.inf
    order = sorted(names, key=lambda b: (med[b], b))
    present = [g for g in report["config"]["gammas"] if np.any(table["gamma"] == g)]
    gams = [g for g in present if np.any(ok & (table["gamma"] == g))]
    no_gap = [g for g in present if g not in gams]  # e.g. gamma = 0, where L = eta exactly
    fams = [f for f in report["config"]["families"] if np.any(table["family"] == f)]

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13.5, 5.2), gridspec_kw=dict(width_ratios=[1.5, 1]))
    width = 0.8 / max(len(gams), 1)
    gcol = plt.cm.viridis(np.linspace(0.15, 0.85, max(len(gams), 1)))
    for j, g in enumerate(gams):
        vals, pos = [], []
        for i, b in enumerate(order):
            sel = ok & np.isfinite(table[f"{b}_penalty"]) & (table["gamma"] == g)
            v = np.log10(table[f"{b}_penalty"][sel] / table["gap"][sel])
            vals.append(v if v.size else np.array([np.nan]))
            pos.append(i + (j - (len(gams) - 1) / 2) * width)
        bp = ax1.boxplot(vals, positions=pos, widths=width * 0.9, patch_artist=True, showfliers=False,
                         whis=(5, 95), medianprops=dict(color="k"))
        for patch in bp["boxes"]:
            patch.set_facecolor(gcol[j])
            patch.set_alpha(0.85)
        ax1.plot([], [], color=gcol[j], lw=8, label=f"γ = {g:g}")
    for g in no_gap:
        ax1.plot([], [], ls="", label=f"γ = {g:g}: |η − L| ≤ {MIN_GAP:g} everywhere, nothing to show")
    ax1.axhline(0, color="crimson", lw=1.2, ls="--", label="penalty = |η − L| (violation below)")
    ax1.set_xticks(range(len(order)))
    ax1.set_xticklabels([_LABELS.get(b, b) for b in order], rotation=25, ha="right")
    ax1.set_xlim(-0.6, len(order) - 0.4)
    ax1.set_ylim(bottom=min(ax1.get_ylim()[0], -0.6))  # keep the violation line in view
    ax1.set_ylabel("log10(penalty / |η(π̃) − L_π(π̃)|)")
    ax1.set_title("Looseness per bound and discount (boxes 25–75%, whiskers 5–95%; tightest left)")
    ax1.legend(frameon=False, loc="upper left", fontsize=8)

    M = np.full((len(order), len(fams)), np.nan)
    for i, b in enumerate(order):
        for k, f in enumerate(fams):
            sel = ok & np.isfinite(table[f"{b}_penalty"]) & (table["family"] == f)
            if sel.any():
                M[i, k] = np.log10(np.median(table[f"{b}_penalty"][sel] / table["gap"][sel]))
    im = ax2.imshow(M, aspect="auto", cmap="magma_r")
    for i in range(M.shape[0]):
        for k in range(M.shape[1]):
            if np.isfinite(M[i, k]):
                ax2.text(k, i, f"{M[i, k]:.1f}", ha="center", va="center", fontsize=8,
                         color="white" if M[i, k] > np.nanmean(M) else "black")
    ax2.set_xticks(range(len(fams)))
    ax2.set_xticklabels(fams, rotation=30, ha="right")
    ax2.set_yticks(range(len(order)))
    ax2.set_yticklabels([_LABELS.get(b, b) for b in order])
    ax2.grid(False)
    ax2.set_title("log10 of the median penalty / |η − L| per family")
    fig.colorbar(im, ax=ax2, fraction=0.05, pad=0.03, label="log10 median ratio")
    n_viol = sum(e["violations"] for e in report["bounds"].values())
    fig.suptitle(f"Sweep of {report['n_instances']:,} random instances (seed {report['config']['seed']}): "
                 f"{n_viol} bound violations; {int(ok.sum()):,} instances with |η − L| > {MIN_GAP:g} shown",
                 fontsize=11)
    fig.tight_layout()
    return fig


# ============================================================================= CLI
def _csv_list(s: str, conv, name: str) -> tuple:
    try:
        return tuple(conv(x.strip()) for x in s.split(",") if x.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{name}: cannot parse {s!r}: {exc}") from exc


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def main(argv=None) -> int:
    """``python -m experiments sweep ...``; exit status 1 if a theorem fails (see :func:`build_report`)."""
    parser = argparse.ArgumentParser(prog="python -m experiments sweep", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, required=True, help="number of instances (ids 0..n-1)")
    parser.add_argument("--families", default="garnet,gridworld,chain,frozenlake",
                        help=f"comma-separated, from {','.join(FAMILIES)}")
    parser.add_argument("--gammas", default="0.5,0.9,0.99", help="comma-separated discounts in [0, 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="output folder (resumed if it holds a sweep)")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    parser.add_argument("--scheduler", default=None, help="address of a Dask distributed scheduler")
    parser.add_argument("--chunk", type=int, default=None, help="instances per task")
    parser.add_argument("--candidates", action="store_true", help="also evaluate the non-theorems of §6")
    parser.add_argument("--update-steps", type=int, default=3, help="steps of each update (0: none)")
    parser.add_argument("--no-progress", action="store_true", help="no tqdm progress bar")
    parser.add_argument("--no-figure", action="store_true", help="do not draw the tightness figure")
    args = parser.parse_args(argv)
    # a plain `kill` (SIGTERM) unwinds like Ctrl-C: queued chunks are cancelled, workers exit, the CSV
    # keeps every finished chunk and a rerun resumes from there
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        families = _csv_list(args.families, str, "--families")
        gammas = _csv_list(args.gammas, float, "--gammas")
        res = run_sweep(args.n, families, gammas, args.seed, args.out, workers=args.workers,
                        scheduler=args.scheduler, chunk=args.chunk, candidates=args.candidates,
                        update_steps=args.update_steps, progress=False if args.no_progress else None,
                        figure=not args.no_figure)
    except (ValueError, argparse.ArgumentTypeError) as exc:
        parser.error(str(exc))
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    print(res.text)
    if res.n_computed:
        print(f"\ncomputed {res.n_computed:,} instances in {res.seconds:.1f} s ({res.throughput:.1f} instances/s); "
              f"files in {res.out}/")
    else:
        print(f"\nnothing to compute (all {res.report['n_instances']:,} instances found in {res.out}/{CSV_NAME})")
    return 0 if res.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())

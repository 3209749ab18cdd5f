"""Large, parallel, resumable sweeps that check every bound of THEORY.md §3 on random instances.

``python -m experiments sweep --n 100000 --families garnet,gridworld,chain,frozenlake
--gammas 0.5,0.9,0.99 --seed 0 --out DIR [--workers N] [--scheduler ADDRESS] [--chunk K]
[--candidates] [--update-steps 3] [--engine batched|reference] [--heartbeat 10] [--no-progress]
[--no-figure]``
(also ``python -m experiments.sweep ...``; ``--help`` shows every default).

Instance ``i`` is rebuilt from ``(seed, i)`` alone: its family is ``families[i % F]``, its discount
``gammas[(i // F) % G]`` (round robin) and every random draw comes from
``np.random.default_rng(np.random.SeedSequence([seed, i]))``; the number of workers, the chunking
and the scheduler change nothing. For each instance ``(mdp, pi, pi_new)`` the sweep records

* every bound of :func:`bounds.inequalities.check_all` -- ``penalty``, lower ``slack = eta(pi_new) - (L - penalty)``,
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

Engines: ``--engine batched`` (the default, :mod:`~experiments.sweep.engine_batched`) draws a chunk of
instances one by one, groups them by number of actions and computes every column with array
operations over each group (:mod:`tabular.mdp_batch`, :mod:`bounds.check_batch`, :mod:`bounds.updates.steps_batch`);
``--engine reference`` computes one instance at a time with the scalar functions
(:func:`~experiments.sweep.record.evaluate_instance`). They agree to round-off (a test compares them on
thousands of instances); the batched engine sends what it cannot do to the reference path, instance by
instance. Each call that computes records its time and rate in ``DIR/timing.json``.

Parallelism: a :class:`concurrent.futures.ProcessPoolExecutor` on ``--workers`` processes (default:
all cores), or, with ``--scheduler ADDRESS``, the same chunks on an existing Dask distributed cluster
(``distributed.Client(address)``; ``client.map`` over chunks, gathered as they complete). While it runs,
a sweep shows a tqdm bar on stderr if stderr is a terminal, else a one-line heartbeat every
``--heartbeat`` seconds (instances done, rate, violations so far, ETA); neither changes a result.

Modules: :mod:`~experiments.sweep.config` (settings and instance ``i``), :mod:`~experiments.sweep.record`
(what is recorded per instance), :mod:`~experiments.sweep.engine_batched` (the same, many instances at a time), :mod:`~experiments.sweep.store` (the CSV and resuming),
:mod:`~experiments.sweep.executors` (in-process, process pool, Dask), :mod:`~experiments.sweep.progress`
(bar and heartbeat), :mod:`~experiments.sweep.run` (:func:`run_sweep`), :mod:`~experiments.sweep.report`,
:mod:`~experiments.sweep.replay` (saved violations), :mod:`~experiments.sweep.figure` (the tightness
figure, drawn with :mod:`experiments.drawing`) and :mod:`~experiments.sweep.cli`. Every public name is
re-exported here.
"""

from ..drawing import MIN_GAP
from .cli import main
from .config import (CANDIDATES, CONFIG_NAME, CSV_NAME, FAMILIES, FIGURE_NAME, MAX_SAVED_EXPECTED, QUANTILES,
                     UPDATES, SweepConfig, instance_spec, make_instance)
from .figure import plot_tightness
from .engine_batched import run_chunk_batched
from .record import bound_names, columns, evaluate_instance, run_chunk
from .replay import Replay, replay
from .report import build_report, format_report
from .run import SweepResult, run_sweep
from .store import load_results

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
    "run_chunk_batched",
    "run_sweep",
    "load_results",
    "build_report",
    "format_report",
    "replay",
    "plot_tightness",
    "main",
]

"""``python -m experiments sweep ...``: the sweep's command line."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from .config import CSV_NAME, FAMILIES
from .run import run_sweep

DESCRIPTION = "Large, parallel, resumable sweeps that check every bound of THEORY.md §3 on random instances."


def _csv_list(s: str, conv, name: str) -> tuple:
    try:
        return tuple(conv(x.strip()) for x in s.split(",") if x.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{name}: cannot parse {s!r}: {exc}") from exc


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def main(argv=None) -> int:
    """``python -m experiments sweep ...``; exit status 1 if a theorem fails (see :func:`build_report`)."""
    parser = argparse.ArgumentParser(prog="python -m experiments sweep", description=DESCRIPTION)
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

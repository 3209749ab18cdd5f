"""``python -m experiments sweep ...`` (or ``python -m experiments.sweep ...``): the sweep's command
line. Every option is checked by argparse (exit status 2, a message naming the option) before
anything is computed or written; ``--help`` shows every default."""

from __future__ import annotations

import argparse
import signal
import sys
import textwrap
import threading

from .config import CSV_NAME, FAMILIES, check_families, check_gammas
from .run import run_sweep

DESCRIPTION = "Large, parallel, resumable sweeps that check every bound of THEORY.md §3 on random instances."


def _csv_list(s: str, conv, name: str) -> tuple:
    try:
        return tuple(conv(x.strip()) for x in s.split(",") if x.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{name}: cannot parse {s!r}: {exc}") from exc


def families_arg(text: str) -> tuple:
    """``--families``: comma-separated names of :data:`FAMILIES`, none repeated."""
    try:
        return check_families(_csv_list(text, str, "families"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def gammas_arg(text: str) -> tuple:
    """``--gammas``: comma-separated discounts in [0, 1)."""
    try:
        return check_gammas(_csv_list(text, float, "gammas"))
    except (TypeError, ValueError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def scheduler_arg(text: str) -> str:
    """``--scheduler``: a Dask address ``[tcp://]HOST:PORT`` (whether it answers is checked before any work)."""
    addr = text.strip()
    host, sep, port = addr.split("://", 1)[-1].rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected an address such as tcp://HOST:PORT or HOST:8786, got {text!r}")
    return addr


def build_parser() -> argparse.ArgumentParser:
    from .._cli import add_version, writable_dir_arg
    from .._common import HelpFormatter, int_arg, real_arg, seed_arg

    class Formatter(HelpFormatter):
        """Never breaks a word (the default family list is one long word) whatever the terminal width."""

        def _split_lines(self, text, width):
            return textwrap.wrap(" ".join(text.split()), width, break_long_words=False, break_on_hyphens=False)

    p = argparse.ArgumentParser(prog="python -m experiments sweep", description=DESCRIPTION,
                                formatter_class=Formatter)
    p.add_argument("--n", type=int_arg(lo=0), required=True, help="number of instances (ids 0..n-1)")
    p.add_argument("--families", type=families_arg, default="garnet,gridworld,chain,frozenlake,unreachable,deterministic",
                   help=f"comma-separated, from {', '.join(FAMILIES)}")
    p.add_argument("--gammas", type=gammas_arg, default="0.5,0.9,0.99", help="comma-separated discounts in [0, 1)")
    p.add_argument("--seed", type=seed_arg, default=0, help="root of every random stream, a non-negative integer")
    p.add_argument("--out", type=writable_dir_arg, required=True, help="output folder (resumed if it holds a sweep)")
    p.add_argument("--workers", type=int_arg(lo=1), default=None, help="processes (default: all cores)")
    p.add_argument("--scheduler", type=scheduler_arg, default=None,
                   help="address of a Dask distributed scheduler (default: none, local processes)")
    p.add_argument("--chunk", type=int_arg(lo=1), default=None,
                   help="instances per task (default: about four tasks per worker, at most 4000 with the batched "
                        "engine, 50 with the reference one)")
    p.add_argument("--candidates", action="store_true", help="also evaluate the non-theorems of §6")
    p.add_argument("--claim", action="append", default=[], metavar="MODULE:FUNCTION",
                   help="also sweep this bound as a theorem (a penalty (q, ops) over bounds.registry's quantities, "
                        "a bounds.registry.Bound, or a function (mdp, pi, pi_new) -> lower bound); repeatable")
    p.add_argument("--engine", choices=("batched", "reference"), default="batched", metavar="NAME",
                   help="batched: many instances at a time (array operations over groups of one shape); "
                        "reference: one instance at a time (the same results to round-off)")
    p.add_argument("--update-steps", type=int_arg(lo=0), default=3, help="steps of each update (0: none)")
    p.add_argument("--heartbeat", type=real_arg(lo=0.0), default=10.0, metavar="SECONDS",
                   help="when stderr is not a terminal: seconds between one-line progress reports "
                        "(0: after every chunk); on a terminal a tqdm bar is shown instead")
    p.add_argument("--no-progress", action="store_true", help="neither a progress bar nor heartbeat lines")
    p.add_argument("--no-figure", action="store_true", help="do not draw the tightness figure")
    return add_version(p)


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def main(argv=None) -> int:
    """``python -m experiments sweep ...``; exit status 1 if a theorem fails (see :func:`build_report`),
    2 for a bad argument."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # a plain `kill` (SIGTERM) unwinds like Ctrl-C: queued chunks are cancelled, workers exit, the CSV
    # keeps every finished chunk and a rerun resumes from there
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        res = run_sweep(args.n, args.families, args.gammas, args.seed, args.out, workers=args.workers,
                        scheduler=args.scheduler, chunk=args.chunk, candidates=args.candidates,
                        update_steps=args.update_steps, progress=False if args.no_progress else None,
                        heartbeat=args.heartbeat, figure=not args.no_figure, engine=args.engine,
                        claims=tuple(args.claim))
    except (ValueError, TypeError) as exc:  # found before any work: the folder's lock, the scheduler, ...
        print(f"{parser.prog}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except OSError as exc:  # the disk: a folder that cannot be written after all, a full disk
        print(f"{parser.prog}: error: --out {args.out}: {exc.strerror or exc}"
              f"{'' if not exc.filename else f' ({exc.filename})'}", file=sys.stderr)
        return 1
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    print(res.text)
    if res.n_computed:
        print(f"\ncomputed {res.n_computed:,} instances in {res.seconds:.1f} s ({res.throughput:.1f} instances/s, "
              f"{args.engine} engine); files in {res.out}/")
    else:
        print(f"\nnothing to compute (all {res.report['n_instances']:,} instances found in {res.out}/{CSV_NAME})")
    return 0 if res.passed else 1

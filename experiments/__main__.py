"""``python -m experiments``: regenerate every figure, each checking a claim, and print a summary.

Usage::

    python -m experiments                 # everything, into figures/
    python -m experiments list            # the figures and their claims
    python -m experiments NAME [NAME...]  # a few
    python -m experiments --quick --seed 1 --out /tmp/figs
    python -m experiments sweep --n 100000 --out DIR [...]   # large parallel sweep (experiments.sweep)
    python -m experiments benchmark [--quick]                # speed table (experiments.benchmark)
    python -m experiments falsify TARGET --out DIR [...]     # search, shrink, certify (experiments.falsify)
    python -m experiments frontier --out DIR [--budget S]    # mean-KL frontier, resumable (experiments.frontier)

The exit status is non-zero if any claim fails. The figures are the modules of
``experiments._common.MODULES``; what each defines (the figure-module contract) is stated in
:mod:`experiments._common`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from ._common import HelpFormatter, out_dir_arg, registry, run_experiment, seed_arg

EPILOG = """commands (each has its own --help):
  list                      the figures and their claims
  sweep --n N --out DIR     a large, parallel, resumable sweep checking every bound on random
                            instances (experiments.sweep)
  benchmark [--quick]       speed ratios against baselines timed in the same run (experiments.benchmark)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m experiments", description=__doc__.split("\n")[0],
                                     epilog=EPILOG, formatter_class=HelpFormatter)
    parser.add_argument("names", nargs="*", help="experiments to run ('list' to list them); default: all")
    parser.add_argument("--quick", action="store_true", help="fast smoke mode (smaller sweeps)")
    parser.add_argument("--seed", type=seed_arg, default=0, help="random seed, a non-negative integer")
    parser.add_argument("--out", type=out_dir_arg, default=Path("figures"), help="output folder")
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "sweep":
        from . import sweep

        return sweep.main(argv[1:])
    if argv and argv[0] == "falsify":
        from . import falsify

        return falsify.main(argv[1:])
    if argv and argv[0] == "frontier":
        from . import frontier

        return frontier.main(argv[1:])
    if argv and argv[0] == "explore":
        from .explore import cli

        return cli.main(argv[1:])
    if argv and argv[0] == "benchmark":
        from . import benchmark

        return benchmark.main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    reg = registry()
    if args.names == ["list"]:
        width = max(len(n) for n in reg)
        for name, mod in reg.items():
            print(f"{name:<{width}}  {mod.CLAIM}")
        return 0
    unknown = [n for n in args.names if n not in reg]
    if unknown:
        parser.error(f"unknown experiment(s) {unknown}; run 'python -m experiments list'")
    names = args.names or list(reg)
    outcomes = []
    for name in tqdm(names, desc="experiments", unit="fig", disable=None, file=sys.stderr):
        outcomes.append(run_experiment(reg[name], args.out, quick=args.quick, seed=args.seed))
    print()
    print(f"{'figure':<22} {'result':<6} {'seconds':>8}  claim / key number")
    print("-" * 100)
    for o in outcomes:
        print(f"{o.name:<22} {'PASS' if o.verdict.passed else 'FAIL':<6} {o.seconds:>8.1f}  {o.claim}")
        print(f"{'':<22} {'':<6} {'':>8}  -> {o.verdict.key_number}")
    n_fail = sum(not o.verdict.passed for o in outcomes)
    print(f"\n{len(outcomes) - n_fail} passed, {n_fail} failed; files in {args.out}/")
    return 1 if n_fail else 0


if __name__ == "__main__":
    raise SystemExit(main())

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
    python -m experiments tightness --out DIR [--budget S]   # certified worst-case tightness (experiments.tightness)
    python -m experiments explore MDP [...]                  # pictures and a report of one MDP
    python -m experiments check [--only NAME...] [--out DIR] # regenerate and compare with figures/
    python -m experiments --check                            # the same as ``check``

The exit status is non-zero if any claim fails. The figures are the modules of
``experiments._common.MODULES``; what each defines (the figure-module contract) is stated in
:mod:`experiments._common`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from ._cli import add_version
from ._common import HelpFormatter, out_dir_arg, registry, run_experiment, seed_arg

EPILOG = """commands (each but list has its own --help):
  list                      the figures and their claims
  check [--only NAME...]    regenerate the figures into a temporary folder and compare every CSV and
                            every gallery number (docs/gallery.md) with the committed ones under stated tolerances
                            (experiments.check; also spelled --check)
  sweep --n N --out DIR     a large, parallel, resumable sweep checking every bound on random
                            instances (experiments.sweep)
  benchmark [--quick]       speed ratios against baselines timed in the same run (experiments.benchmark)
  explore NAME_OR_FILE --out DIR
                            a one-page report of one MDP and one exact policy step (experiments.explore)
  falsify TARGET --out DIR  search for a violation of a claimed bound, shrink it and write a certificate
                            (experiments.falsify)
  frontier --out DIR        the mean-KL frontier by continuation in gamma, certified, resumable
                            (experiments.frontier)
  tightness --out DIR       certified worst-case tightness of every true bound's constant, resumable
                            (experiments.tightness)
"""

#: The subcommands and the module whose ``main(argv)`` runs each.
COMMANDS = {"sweep": "experiments.sweep", "falsify": "experiments.falsify", "explore": "experiments.explore.cli",
            "benchmark": "experiments.benchmark", "check": "experiments.check",
            "tightness": "experiments.tightness", "frontier": "experiments.frontier"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m experiments", description=__doc__.split("\n")[0],
                                     epilog=EPILOG, formatter_class=HelpFormatter)
    parser.add_argument("names", nargs="*", help="experiments to run ('list' to list them); default: all")
    parser.add_argument("--quick", action="store_true", help="fast smoke mode (smaller sweeps)")
    parser.add_argument("--seed", type=seed_arg, default=0, help="random seed, a non-negative integer")
    parser.add_argument("--out", type=out_dir_arg, default=Path("figures"), help="output folder")
    parser.add_argument("--check", action="store_true",
                        help="regenerate NAMES (default: all) into a temporary folder, or --out, and compare them "
                        "with figures/ (the same as the 'check' command)")
    return add_version(parser)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--check" in argv and {"--only", "-h", "--help"} & set(argv):  # the check command's own options
        argv = ["check", *(a for a in argv if a != "--check")]
    if argv and argv[0] in COMMANDS:
        return importlib.import_module(COMMANDS[argv[0]]).main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.check:
        from . import check

        return check.main((["--only", *args.names] if args.names else [])
                          + (["--out", str(args.out)] if "--out" in argv or any(a.startswith("--out=") for a in argv)
                             else []))
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
    for i, name in enumerate(names, 1):
        o = run_experiment(reg[name], args.out, quick=args.quick, seed=args.seed)
        outcomes.append(o)
        print(f"[{i}/{len(names)}] {name:<28} {o.seconds:6.1f} s  {o.verdict.label}", flush=True)
    width = max(len(o.verdict.label) for o in outcomes)
    print()
    print(f"{'figure':<28} {'result':<{width}} {'seconds':>8}  claim / key number")
    print("-" * 100)
    for o in outcomes:
        print(f"{o.name:<28} {o.verdict.label:<{width}} {o.seconds:>8.1f}  {o.claim}")
        print(f"{'':<28} {'':<{width}} {'':>8}  -> {o.verdict.key_number}")
    n_fail = sum(not o.verdict.passed for o in outcomes)
    print(f"\n{len(outcomes) - n_fail} passed, {n_fail} failed; files in {args.out}/")
    return 1 if n_fail else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``python -m experiments.course strip [--check]``: write (or check) the student copies of the notebooks."""

from __future__ import annotations

import argparse
import sys

from .students import strip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.course", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("strip", help="generate experiments/notebooks/NN_*.ipynb from notebooks/solutions/")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if a student copy is out of date")
    p.add_argument("--solutions", default=None, help="folder of the solution notebooks")
    p.add_argument("--out", default=None, help="folder of the student copies")
    args = parser.parse_args(argv)
    changed = strip(args.solutions, args.out, check=args.check)
    verb = "out of date" if args.check else "written"
    for path in changed:
        print(f"{verb}: {path}")
    if not changed:
        print("student copies up to date")
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())

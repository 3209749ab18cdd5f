"""``python -m bounds theory [N]``: print the theory page (THEORY.md), or its section N."""

from __future__ import annotations

import argparse
import sys

from tabular._version import __version__

from .theory_page import SECTIONS, theory, theory_path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bounds", description=__doc__.split("\n")[0])
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                   help="print the version of the package and exit")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("theory", help="print THEORY.md (or one section)")
    t.add_argument("section", nargs="?", type=int, choices=SECTIONS, help="section number 1-9")
    t.add_argument("--path", action="store_true", help="print where the file is installed instead")
    args = p.parse_args(sys.argv[1:] if argv is None else list(argv))
    sys.stdout.write(f"{theory_path()}\n" if args.path else theory(args.section))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

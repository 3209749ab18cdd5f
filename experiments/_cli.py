"""Small pieces every command line of the packages shares: ``--version`` and a writable ``--out``.

Kept apart from :mod:`experiments._common` (the figure contract) so that a command line can use
them without importing matplotlib's helpers.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from tabular._version import __version__

__all__ = ["add_version", "check_writable_dir", "writable_dir_arg"]


def add_version(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add ``--version`` (prints ``PROG VERSION`` and exits 0) to ``parser``."""
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                        help="print the version of the package and exit")
    return parser


def check_writable_dir(path, name: str = "out") -> Path:
    """``path`` as a :class:`~pathlib.Path` of a folder this process can create and write into.

    The folder may not exist yet: then its nearest existing ancestor must be a writable folder. An
    existing file, a path through a file or a folder without write permission raises ``ValueError``
    naming ``name``. Only a temporary test folder is made (and removed at once) in the nearest
    existing folder, so a command line can check ``--out`` before any work.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {type(path).__name__}")
    if not str(os.fspath(path)).strip():
        raise ValueError(f"{name} must be a non-empty path")
    path = Path(path)
    for p in (path, *path.absolute().parents):
        if not p.exists():
            continue
        if not p.is_dir():
            where = "is an existing file" if p == path else f"goes through the existing file {str(p)!r}"
            raise ValueError(f"{name}={str(path)!r} {where}; expected a folder")
        what = "the folder" if p == path else f"its parent folder {str(p)!r}"
        if not os.access(p, os.W_OK | os.X_OK):
            raise ValueError(f"{name}={str(path)!r}: {what} is not writable (permission denied)")
        try:  # os.access says yes to root everywhere: try it (a read-only or virtual file system)
            os.rmdir(tempfile.mkdtemp(prefix=".write-test-", dir=p))
        except OSError as exc:
            raise ValueError(f"{name}={str(path)!r}: {what} is not writable ({exc.strerror or exc})") from None
        return path
    return path


def writable_dir_arg(text: str) -> Path:
    """An argparse ``type`` for ``--out``: :func:`check_writable_dir` with the error naming the option."""
    try:
        return check_writable_dir(text, "--out")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).replace("--out=", "", 1)) from None

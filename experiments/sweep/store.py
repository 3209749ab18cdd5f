"""The sweep's files: ``results.csv`` streamed chunk by chunk (exact ``repr`` floats) and read back
for resuming (:func:`read_rows`) or as numpy columns (:func:`load_results`), and ``sweep_config.json``,
which a resumed sweep must match."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .config import CONFIG_NAME, CSV_NAME, SweepConfig
from .record import columns

_STR_COLS = ("family", "step", "error")
#: The lock file of a sweep folder: a second sweep into the same folder is refused while it is held.
LOCK_NAME = ".sweep.lock"
TIMING_NAME = "timing.json"


@contextmanager
def sweep_lock(out: Path):
    """Hold an exclusive lock on ``out/.sweep.lock`` (``fcntl.flock``) for the duration of a sweep.

    A second sweep into the same folder while the lock is held raises ``ValueError`` naming ``out``
    and the process holding it, instead of two processes appending to and rewriting one CSV. The
    lock is released when the process ends, however it ends (the kernel drops ``flock`` locks).
    Where ``fcntl`` does not exist (Windows) no lock is taken.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    path = Path(out) / LOCK_NAME
    f = open(path, "a+")
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "?"
            raise ValueError(f"out={str(out)!r}: another sweep (pid {holder}) is running in this folder (lock file "
                             f"{path}); wait for it to finish or choose another --out") from None
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
    finally:
        f.close()


def read_timing(out: Path) -> list:
    """The entries of ``out/timing.json`` (a list); a damaged file (an interrupted write) is set aside
    as ``timing.json.damaged`` with a warning naming it and its line, and an empty list returned:
    the timings are a record of past runs, never an input of the results."""
    p = Path(out) / TIMING_NAME
    if not p.exists():
        return []
    try:
        runs = json.loads(p.read_text())
        if isinstance(runs, list) and all(isinstance(r, dict) for r in runs):
            return runs
        where = "not a list of objects"
    except UnicodeDecodeError:
        where = "not UTF-8 text"
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}: {exc.msg}"
    os.replace(p, p.with_name(p.name + ".damaged"))
    warnings.warn(f"{p} is damaged ({where}); moved to {p.name}.damaged and started anew", RuntimeWarning,
                  stacklevel=2)
    return []


def write_json(path: Path, obj) -> None:
    """Write ``obj`` as JSON to ``path`` atomically (a temporary file renamed), so that an
    interruption leaves the old file or the new one, never half of one."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1) + "\n")
    os.replace(tmp, path)


def _fmt(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return str(v)


def encode_rows(rows, cols) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for r in rows:
        w.writerow(["" if c not in r else _fmt(r[c]) for c in cols])
    return buf.getvalue()


#: What each kind of column may hold, as written by :func:`encode_rows` (``repr`` floats, 0/1 booleans,
#: csv-quoted strings); an empty field is allowed everywhere but in ``id`` (error rows leave numbers empty).
_FIELD = {
    "id": rb"[0-9]+",
    object: rb'(?:"(?:[^"]|"")*"|[^,"\r\n]*)',
    bool: rb"[01]?",
    np.int64: rb"(?:-?[0-9]+)?",
    np.float64: rb"(?:[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|-?inf|nan)?",
}


def _row_pattern(cols: tuple):
    """A compiled regular expression a well-formed row of ``cols`` matches in full (bytes, no newline)."""
    parts = [_FIELD["id"] if k == 0 else _FIELD[_converter(c)[0]] for k, c in enumerate(cols)]
    return re.compile(b",".join(parts))


def read_rows(path: Path, cols: tuple, repair: bool = True) -> dict:
    """``{id: line}`` of the complete, well-formed rows of ``path``.

    Damaged rows -- a trailing partial line (an interrupted write), bytes that are not UTF-8, a wrong
    number of fields, a field that is not of its column's type (e.g. ``"abc"`` where a number
    belongs) -- are left out, so a resumed sweep recomputes them; with ``repair`` they are also
    removed from the file (rewritten atomically). A header other than ``cols`` raises ``ValueError``
    naming the file and line 1: such a file belongs to another sweep.
    """
    path = Path(path)
    if not path.exists():
        return {}
    data = path.read_bytes()
    raw_lines = data.split(b"\n")
    partial = raw_lines.pop()  # b"" if the file ends with a newline, else an interrupted last row
    if not raw_lines:
        if repair and partial:
            _rewrite(path, [])
        return {}
    try:
        header = next(csv.reader([raw_lines[0].decode()]))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        header = None
    if header is None or tuple(header) != tuple(cols):
        got = "an unreadable header" if header is None else f"{len(header)} columns"
        raise ValueError(
            f"{path}, line 1: other columns than this sweep writes (different --candidates/--update-steps, an "
            f"older version or a damaged file); use a new --out. Got {got}, expected {len(cols)} columns."
        )
    well_formed = _row_pattern(tuple(cols)).fullmatch
    rows, n_bad = {}, int(bool(partial))
    for b in raw_lines[1:]:
        if well_formed(b) is None:
            n_bad += 1
            continue
        try:
            rows[int(b.split(b",", 1)[0])] = b.decode() + "\n"
        except UnicodeDecodeError:
            n_bad += 1
    if repair and n_bad:
        _rewrite(path, list(rows.values()), header_cols=cols)
    return rows


def _rewrite(path: Path, lines: list, header_cols=None) -> None:
    """Replace ``path`` atomically by the header (if ``header_cols``) and ``lines``."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as f:
        if header_cols is not None:
            f.write(encode_rows([{c: c for c in header_cols}], header_cols))
        f.writelines(lines)
    os.replace(tmp, path)


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
    booleans for ``*_holds``; floats otherwise (empty fields of error rows are NaN). Damaged rows
    are left out (see :func:`read_rows`).
    """
    out = Path(out)
    config = read_config(out)
    cols = columns(config)
    raw = read_rows(out / CSV_NAME, cols, repair=False)
    ids = sorted(i for i in raw if n is None or i < n)
    convs = [_converter(c) for c in cols]
    table = {c: np.empty(len(ids), dtype=dt) for c, (dt, _) in zip(cols, convs)}
    arrays = [table[c] for c in cols]
    fns = [fn for _, fn in convs]
    for r, rec in enumerate(csv.reader(raw[i] for i in ids)):
        for arr, fn, v in zip(arrays, fns, rec):
            arr[r] = fn(v)
    return table


def read_config(out: Path) -> SweepConfig:
    p = out / CONFIG_NAME
    if not p.exists():
        raise ValueError(f"{out} holds no sweep (no {CONFIG_NAME})")
    try:
        d = json.loads(p.read_text())
    except UnicodeDecodeError:
        raise ValueError(f"{p}: not a text file; the sweep's settings are damaged (choose a new --out)") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{p}, line {exc.lineno}: damaged JSON ({exc.msg}); the sweep's settings cannot be "
                         "read (choose a new --out)") from None
    fields = set(SweepConfig.__dataclass_fields__)
    if not isinstance(d, dict) or not {"seed", "families", "gammas"} <= set(d) or not set(d) <= fields:
        raise ValueError(f"{p}: expected a JSON object with the fields {sorted(fields)}, got "
                         f"{sorted(d) if isinstance(d, dict) else type(d).__name__}")
    try:
        return SweepConfig(**d)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{p}: invalid settings: {exc}") from None


def prepare_out(out: Path, config: SweepConfig) -> None:
    out.mkdir(parents=True, exist_ok=True)
    p = out / CONFIG_NAME
    if p.exists():
        old = read_config(out)
        if old != config:
            raise ValueError(
                f"out={out} holds a sweep with other settings ({old.to_json()}); "
                f"resume with the same settings or choose a new --out (requested {config.to_json()})"
            )
    else:
        write_json(p, config.to_json())



def append_rows(csv_path: Path, cols, row_lists, on_rows=None) -> None:
    """Append each row list of the iterable ``row_lists`` to the CSV (the header first if the file is
    new or empty), flushed after every list so that an interruption loses at most the list being
    written; ``on_rows(rows)`` is called after each."""
    new_file = not csv_path.exists() or csv_path.stat().st_size == 0
    with open(csv_path, "a", newline="") as f:
        if new_file:
            f.write(encode_rows([{c: c for c in cols}], cols))
            f.flush()
        for rows in row_lists:
            f.write(encode_rows(rows, cols))
            f.flush()
            if on_rows is not None:
                on_rows(rows)


def rewrite_sorted(csv_path: Path, cols) -> None:
    """Rewrite the CSV sorted by id without duplicates (atomically), so that it does not depend on
    the completion order of the chunks."""
    if not csv_path.exists():
        return
    raw = read_rows(csv_path, cols)
    _rewrite(csv_path, [raw[i] for i in sorted(raw)], header_cols=cols)


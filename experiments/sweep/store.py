"""The sweep's files: ``results.csv`` streamed chunk by chunk (exact ``repr`` floats) and read back
for resuming (:func:`read_rows`) or as numpy columns (:func:`load_results`), and ``sweep_config.json``,
which a resumed sweep must match."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path

import numpy as np

from .config import CONFIG_NAME, CSV_NAME, SweepConfig
from .record import columns

_STR_COLS = ("family", "step", "error")


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


def read_rows(path: Path, cols: tuple, repair: bool = True) -> dict:
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
    d = json.loads(p.read_text())
    return SweepConfig(**d)


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
        p.write_text(json.dumps(config.to_json(), indent=1) + "\n")



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
    tmp = csv_path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as f:
        f.write(encode_rows([{c: c for c in cols}], cols))
        f.writelines(raw[i] for i in sorted(raw))
    os.replace(tmp, csv_path)


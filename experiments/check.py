"""``python -m experiments check``: regenerate the figures and say what moved against the committed ones.

Every figure is regenerated (default mode, the seed of the committed run) into a temporary folder (or
``--out DIR``); each CSV is compared with the committed one in ``figures/`` column by column, and
every number the gallery page quotes (``docs/gallery.md``, listed in ``figures/numbers.json``) is
compared with the one the regenerated figure prints. A table says what moved and by how much; the exit status is 1 if anything
is outside its tolerance, 0 otherwise.

Tolerances
----------
A float column passes if every cell satisfies ``|new - old| <= atol + rtol |old|`` (both NaN, or the
same infinity, count as equal). The defaults, :data:`DEFAULT_RTOL` and :data:`DEFAULT_ATOL`, sit far
above the round-off of an exact computation (about 1e-13 relative across LAPACK builds, 8 significant
digits written) and far below any change of the mathematics. A figure module may declare
``TOLERANCES = {column: dict(rtol=..., atol=..., reason=...)}`` (``"*"`` for every column of the
figure), ``only_rows_where=(column, op, value)`` to compare a column only on the rows where a
condition holds in both files (e.g. before a run reaches the optimum, after which its steps are driven
by round-off), or ``dict(compare=False, reason=...)`` for a column that is chaotic by nature
(trajectories that diverge from a last-bit difference); the reason is printed with the column. String and integer
columns must match exactly unless a tolerance is declared.

Gallery numbers
---------------
``figures/numbers.json`` lists ``{figure, key, index, value, tolerance, machine_independent, reason}``:
``value`` is the number as the gallery page (:data:`GALLERY`, ``docs/gallery.md``) writes it (a test
checks that it appears in the figure's section of that page, :func:`gallery_section`), ``index`` the position of the number among the numbers of the figure's key number (the
verdict's text, :func:`number_tokens`), ``tolerance`` the absolute difference allowed (one unit of the
last written digit for a machine-independent decimal, 0 for a machine-independent count; a stated,
larger one, with its reason, for a number that is not the same on every machine).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ._common import HelpFormatter, out_dir_arg, registry, run_experiment

DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-12
FIGURES = Path(__file__).resolve().parents[1] / "figures"
#: The page that quotes the figures' numbers: one section per figure, from its image line to the next heading.
GALLERY = FIGURES.parent / "docs" / "gallery.md"
NUMBERS = FIGURES / "numbers.json"


# ----------------------------------------------------------------------------- CSV columns
@dataclass(frozen=True)
class ColumnReport:
    """One column of one figure's CSV: ``status`` is ``"same"`` (identical text), ``"within"``
    (differs within tolerance), ``"moved"`` (outside), ``"missing"`` (in the committed CSV only),
    ``"extra"`` (in the regenerated only), ``"skipped"`` (declared not comparable) or ``"rows"``
    (the row counts differ; the common rows are still compared)."""

    column: str
    status: str
    max_abs: float = 0.0
    max_rel: float = 0.0
    n_outside: int = 0
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("same", "within", "skipped")


def read_csv(path: Path) -> dict:
    """``{column: [cell text, ...]}`` of a CSV written by :func:`experiments._common.write_csv`."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ValueError(f"{path}: empty CSV, expected a header row")
    header, body = rows[0], rows[1:]
    return {name: [r[j] if j < len(r) else "" for r in body] for j, name in enumerate(header)}


def _floats(cells):
    try:
        return [float(c) for c in cells]
    except ValueError:
        return None


def _is_int(cells) -> bool:
    return all(re.fullmatch(r"-?\d+", c) for c in cells)


def _tolerance(tolerances: dict, column: str) -> dict:
    spec = dict(tolerances.get("*", {}))
    spec.update(tolerances.get(column, {}))
    return spec


def compare_column(name: str, old: list, new: list, spec: dict) -> ColumnReport:
    """Compare two columns' cells (text) under ``spec`` (``rtol``, ``atol``, ``compare``, ``reason``)."""
    note = spec.get("reason", "")
    if spec.get("compare", True) is False:
        return ColumnReport(name, "skipped", note=note)
    n = min(len(old), len(new))
    old, new = old[:n], new[:n]
    if old == new:
        return ColumnReport(name, "same", note=note)
    fo, fn = _floats(old), _floats(new)
    exact = "rtol" not in spec and "atol" not in spec and (_is_int(old) and _is_int(new))
    if fo is None or fn is None or exact:
        bad = sum(a != b for a, b in zip(old, new))
        first = next(i for i, (a, b) in enumerate(zip(old, new)) if a != b)
        return ColumnReport(name, "moved", n_outside=bad, rtol=0.0, atol=0.0,
                            note=f"{bad} cells differ (first: row {first + 1}, {old[first]!r} -> {new[first]!r})"
                            + (f"; {note}" if note else ""))
    rtol, atol = float(spec.get("rtol", DEFAULT_RTOL)), float(spec.get("atol", DEFAULT_ATOL))
    max_abs = max_rel = 0.0
    outside = 0
    for a, b in zip(fo, fn):
        if a == b or (math.isnan(a) and math.isnan(b)):
            continue
        d = abs(b - a)  # inf or nan if exactly one side is infinite / nan
        if math.isnan(d):
            d = math.inf
        max_abs = max(max_abs, d)
        max_rel = max(max_rel, d / abs(a) if a != 0 else math.inf)
        outside += not d <= atol + rtol * abs(a)
    return ColumnReport(name, "moved" if outside else "within", max_abs, max_rel, outside, rtol, atol, note)


_OPS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


def _rows_where(old: dict, new: dict, where) -> list:
    """Indices of the rows where ``where = (column, op, value)`` holds in both tables."""
    col, op, value = where
    if op not in _OPS:
        raise ValueError(f"only_rows_where: unknown operator {op!r}; expected one of {sorted(_OPS)}")

    def holds(cell):
        try:
            return _OPS[op](float(cell), float(value))
        except ValueError:
            return _OPS[op](cell, str(value))

    n = min(len(old[col]), len(new[col]))
    return [i for i in range(n) if holds(old[col][i]) and holds(new[col][i])]


def compare_csv(committed: Path, regenerated: Path, tolerances: dict | None = None) -> list:
    """Column-by-column comparison of two CSVs (:func:`compare_column`); missing and extra columns and a
    change of the row count are reported as such. A column whose spec has ``only_rows_where = (column,
    op, value)`` is compared on the rows where that holds in both files (e.g. only before convergence)."""
    tolerances = tolerances or {}
    old, new = read_csv(committed), read_csv(regenerated)
    reports = []
    n_old = len(next(iter(old.values()), []))
    n_new = len(next(iter(new.values()), []))
    if n_old != n_new:
        reports.append(ColumnReport("(rows)", "rows", note=f"{n_old} rows committed, {n_new} regenerated"))
    for name in old:
        if name not in new:
            reports.append(ColumnReport(name, "missing", note="column not in the regenerated CSV"))
        else:
            spec = _tolerance(tolerances, name)
            a, b = old[name], new[name]
            if "only_rows_where" in spec:
                rows = _rows_where(old, new, spec["only_rows_where"])
                a, b = [a[i] for i in rows], [b[i] for i in rows]
            reports.append(compare_column(name, a, b, spec))
    reports += [ColumnReport(name, "extra", note="column not in the committed CSV") for name in new if name not in old]
    return reports


# ----------------------------------------------------------------------------- gallery numbers
_NUMBER = re.compile(r"(?<![\w.\d])[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[+-]?\d+)?")


def number_tokens(text: str) -> list:
    """The numbers written in ``text``, in order, as written (``1,440``, ``-0.16``, ``6.1e-66``; a
    ``-`` between two numbers, as in ``0.86-0.91``, is a range, not a sign)."""
    return [m.group(0) for m in _NUMBER.finditer(text)]


def parse_number(text: str) -> float:
    """The value of a number as written (thousands commas dropped, ``−`` read as a minus sign)."""
    return float(text.replace(",", "").replace("−", "-"))


def last_digit_unit(text: str) -> float:
    """One unit of the last written digit: ``0.494`` -> 0.001, ``6.1e-66`` -> 1e-67, ``52`` -> 1."""
    mant, _, exp = text.replace(",", "").replace("−", "-").lower().partition("e")
    decimals = len(mant.partition(".")[2])
    return 10.0 ** (int(exp or 0) - decimals)


@dataclass(frozen=True)
class NumberReport:
    figure: str
    key: str
    committed: str
    regenerated: str
    tolerance: float
    machine_independent: bool
    ok: bool
    note: str = ""


def load_numbers(path: Path = NUMBERS) -> list:
    """The entries of ``figures/numbers.json`` (see the module docstring), checked for their fields."""
    entries = json.loads(Path(path).read_text())
    need = {"figure", "key", "index", "value", "tolerance", "machine_independent"}
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or need - set(e):
            raise ValueError(f"{path}: entry {i} lacks {sorted(need - set(e or {}))}; expected the fields "
                             f"{sorted(need)}")
    return entries


def check_numbers(entries: list, key_numbers: dict) -> list:
    """Compare each listed number with the ``index``-th number of its figure's regenerated key number
    (``key_numbers[figure]``); figures not regenerated are left out."""
    reports = []
    for e in entries:
        if e["figure"] not in key_numbers:
            continue
        tokens = number_tokens(key_numbers[e["figure"]])
        common = dict(figure=e["figure"], key=e["key"], committed=e["value"], tolerance=float(e["tolerance"]),
                      machine_independent=bool(e["machine_independent"]))
        if e["index"] >= len(tokens):
            reports.append(NumberReport(regenerated="", ok=False, note=f"the key number now has only {len(tokens)} "
                                        "numbers", **common))
            continue
        new = tokens[e["index"]]
        diff = abs(parse_number(new) - parse_number(e["value"]))
        reports.append(NumberReport(regenerated=new, ok=bool(diff <= common["tolerance"]),
                                    note=e.get("reason", ""), **common))
    return reports


def gallery_section(page: str, figure: str) -> str:
    """The gallery page's text about ``figure`` (``page`` is the text of :data:`GALLERY`): from its
    heading's image line (``![...](../figures/FIGURE.png)``) to the next heading."""
    start = page.find(f"figures/{figure}.png")
    if start < 0:
        raise ValueError(f"{GALLERY.name}: no image figures/{figure}.png; expected one section per figure "
                         "in docs/gallery.md")
    end = page.find("\n#", start)
    return page[start:end if end >= 0 else len(page)]


def numbers_not_in_gallery(entries: list, page: str) -> list:
    """The entries whose ``value`` is not written, as such, in their figure's section of the gallery."""
    return [e for e in entries if not re.search(rf"(?<![\w.]){re.escape(e['value'])}(?![\d])",
                                                gallery_section(page, e["figure"]))]


def numbers_for(figure: str, key_number: str, page: str, old: list = ()) -> list:
    """The entries of ``figure`` for ``numbers.json``: every number of its key number that its section
    of the gallery page (the text ``page``) writes as such. An entry of ``old`` with the same ``key`` keeps its tolerance, flag and
    reason; a new one gets one unit of its last digit as tolerance and is machine-independent."""
    section = gallery_section(page, figure)
    kept = {e["key"]: e for e in old if e["figure"] == figure}
    entries = []
    for m_index, m in enumerate(_NUMBER.finditer(key_number)):
        value = m.group(0)
        if not re.search(rf"(?<![\w.]){re.escape(value)}(?![\d])", section):
            continue
        key = key_number[max(0, m.start() - 40):m.start()] + f"[{value}]"
        e = dict(figure=figure, key=key, index=m_index, value=value,
                 tolerance=0 if re.fullmatch(r"[-−]?[\d,]+", value) else last_digit_unit(value),
                 machine_independent=True)
        if key in kept:
            e.update({k: kept[key][k] for k in ("tolerance", "machine_independent", "reason") if k in kept[key]})
        entries.append(e)
    return entries


def update_numbers(names: list, out: Path, numbers_path: Path = NUMBERS, seed: int = 0, stream=sys.stdout) -> int:
    """Regenerate ``names`` into ``out`` and rewrite their entries of ``numbers.json`` from the new key
    numbers (after docs/gallery.md has been edited to quote them); other figures' entries are kept."""
    reg, page = registry(), GALLERY.read_text()
    entries = load_numbers(numbers_path)
    for name in names:
        outcome = run_experiment(reg[name], out, seed=seed)
        new = numbers_for(name, outcome.verdict.key_number, page, entries)
        at = next((i for i, e in enumerate(entries) if e["figure"] == name), len(entries))
        entries = entries[:at] + new + [e for e in entries[at:] if e["figure"] != name]
        print(f"{name}: {len(new)} gallery numbers listed", file=stream)
    Path(numbers_path).write_text(json.dumps(entries, indent=1, ensure_ascii=False) + "\n")
    return 0


# ----------------------------------------------------------------------------- the command
def _fmt(x: float) -> str:
    return "0" if x == 0 else f"{x:.2g}"


def print_report(name: str, columns: list, numbers: list, out=sys.stdout) -> None:
    moved = [c for c in columns if c.status != "same"]
    n_same = len(columns) - len(moved)
    bad = sum(not c.ok for c in columns) + sum(not n.ok for n in numbers)
    print(f"{name}: {'OK' if not bad else f'{bad} OUTSIDE TOLERANCE'} ({n_same} columns identical"
          f"{', ' + str(len(numbers)) + ' gallery numbers' if numbers else ''})", file=out)
    for c in moved:
        tol = "" if c.status in ("missing", "extra", "rows", "skipped") else f" tol {_fmt(c.atol)}+{_fmt(c.rtol)}|x|"
        diff = (f" max abs {_fmt(c.max_abs)}, max rel {_fmt(c.max_rel)}, {c.n_outside} outside"
                if c.status in ("within", "moved") and c.rtol + c.atol > 0 else "")
        print(f"    {c.column:<24} {c.status:<8}{diff}{tol}{'  (' + c.note + ')' if c.note else ''}", file=out)
    for n in numbers:
        if n.committed != n.regenerated or not n.ok:
            tag = "" if n.machine_independent else " [not machine-independent]"
            print(f"    gallery {n.key!r}: {n.committed} -> {n.regenerated or '?'} (tolerance {n.tolerance:g})"
                  f" {'ok' if n.ok else 'OUTSIDE'}{tag}{'  (' + n.note + ')' if n.note else ''}", file=out)


def run_check(names: list, out: Path, committed: Path = FIGURES, numbers_path: Path = NUMBERS,
              seed: int = 0, stream=sys.stdout) -> int:
    """Regenerate ``names`` into ``out``, compare (CSVs, gallery numbers), print; 1 if anything is outside."""
    if Path(out).resolve() == Path(committed).resolve():
        raise ValueError(f"out: {out} is the folder of the committed figures; expected another folder")
    reg = registry()
    entries = load_numbers(numbers_path)
    missing = numbers_not_in_gallery(entries, GALLERY.read_text()) if GALLERY.exists() else []
    for e in missing:
        print(f"docs/gallery.md does not write {e['value']!r} ({e['figure']}: {e['key']}) as numbers.json lists it",
              file=stream)
    n_bad = len(missing)
    for name in names:
        outcome = run_experiment(reg[name], out, seed=seed)
        old = committed / f"{name}.csv"
        if old.exists():
            columns = compare_csv(old, out / f"{name}.csv", getattr(reg[name], "TOLERANCES", {}))
        else:
            columns = [ColumnReport("(file)", "missing", note=f"no committed {old}")]
        numbers = check_numbers(entries, {name: outcome.verdict.key_number})
        print_report(f"{name} [{outcome.seconds:.0f} s]", columns, numbers, out=stream)
        stream.flush()
        n_bad += sum(not c.ok for c in columns) + sum(not n.ok for n in numbers)
    print(f"\n{len(names)} figures checked against {committed}/: "
          f"{'everything within tolerance' if not n_bad else f'{n_bad} outside tolerance'}; "
          f"regenerated files in {out}/", file=stream)
    return 1 if n_bad else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m experiments check", description=__doc__.split("\n")[0],
                                     formatter_class=HelpFormatter)
    parser.add_argument("--only", nargs="+", metavar="NAME", default=None,
                        help="check only these figures (default: all)")
    parser.add_argument("--out", type=out_dir_arg, default=None,
                        help="keep the regenerated files in this folder (default: a temporary folder, removed)")
    parser.add_argument("--update-numbers", action="store_true",
                        help="instead of comparing, rewrite the --only figures' entries of figures/numbers.json "
                        "from their regenerated key numbers (after editing docs/gallery.md to quote them)")
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    reg = registry()
    names = args.only or list(reg)
    unknown = [n for n in names if n not in reg]
    if unknown:
        parser.error(f"argument --only: unknown figure(s) {unknown}; run 'python -m experiments list'")
    if args.update_numbers:
        if not args.only:
            parser.error("argument --update-numbers: name the figures with --only NAME...")
        with tempfile.TemporaryDirectory(prefix="experiments-check-") as tmp:
            return update_numbers(names, Path(tmp))
    if args.out is not None:
        if args.out.resolve() == FIGURES.resolve():
            parser.error(f"argument --out: {str(args.out)!r} is the committed figures' folder; expected another")
        return run_check(names, args.out)
    with tempfile.TemporaryDirectory(prefix="experiments-check-") as tmp:
        return run_check(names, Path(tmp))

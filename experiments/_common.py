"""Shared machinery of the experiments: the figure-module contract, the result types, deterministic
file output and the registry.

The figure-module contract
--------------------------
(Stated here once; the package, the command line and the figure modules point here.) Every module
``experiments.<name>`` listed in :data:`MODULES` defines

``NAME`` : str
    the figure's name, also the stem of its files;
``CLAIM`` : str
    the claim of the theory the figure checks, in one sentence;
``compute(quick: bool = False, seed: int = 0) -> dict``
    the data, deterministic given ``seed`` (``quick`` is a fast smoke mode). The dict holds at least
    ``"table"``, equal-length 1-D columns (the data behind the plot, written by :func:`write_csv`), and
    ``"verdict"``, a :class:`Verdict`: whether ``CLAIM`` held and the key number that shows it;
``plot(data) -> matplotlib.figure.Figure``
    the figure, drawn from ``data`` alone (drawing helpers shared by several figures live in
    :mod:`experiments.drawing`).

A figure module owns no paths and saves nothing: :func:`run_experiment` computes, plots and writes
``<out>/<NAME>.png`` (150 dpi), ``<out>/<NAME>.pdf`` and ``<out>/<NAME>.csv``. Output is deterministic:
fixed seeds, the Agg backend, and no timestamps in the PNG or PDF metadata, so the same seed gives
byte-identical files.

The command lines (``python -m experiments``, ``... sweep``, ``... benchmark``) share the argument
types and the help formatter at the end of this module: bad values are argparse errors that name the
option (exit status 2), and ``--help`` shows every default.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from tabular.validation import check_int, check_real  # noqa: E402

DPI = 150

#: Experiment modules in the order they run; each is ``experiments.<module>``.
MODULES = (
    "fig1_mm",
    "fig2_monotonic",
    "fig3_cpi_vs_kl",
    "fig4_tightness",
    "fig5_penalty",
    "fig6_max_vs_mean",
    "fig7_counterexamples",
    "fig8_line_search",
    "fig9_practical_vs_exact",
    "fig10_vine_vs_single",
    "fig11_pg_variance",
    "fig12_sample_trpo",
    "fig13_value_polytope",
    "fig14_rates",
    "fig15_ppo_clip",
    "fig16_mean_kl_frontier",
    "paper_fig3",
    "fig17_sample_reuse",
    "fig18_ratio_products",
    "fig19_penalty_vs_constraint",
)


@dataclass(frozen=True)
class Verdict:
    """Whether an experiment's claim held, with the key number that shows it. ``passed_means`` says
    what PASS means where it is not "the claim held" (e.g. paper_fig3: "verdicts computed"); the
    summary table prints it next to PASS."""

    passed: bool
    key_number: str
    passed_means: str = ""

    @property
    def label(self) -> str:
        """``PASS``, ``FAIL``, or e.g. ``PASS (verdicts computed)``."""
        word = "PASS" if self.passed else "FAIL"
        return f"{word} ({self.passed_means})" if self.passed_means else word


@dataclass(frozen=True)
class ExperimentOutcome:
    name: str
    claim: str
    verdict: Verdict
    seconds: float
    files: tuple = field(default_factory=tuple)


def style() -> None:
    """A clean, slide-ready matplotlib style (set per figure, no global rc files)."""
    plt.rcParams.update({
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "legend.fontsize": 8.5,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "lines.linewidth": 1.8,
        "svg.hashsalt": "trpo-theory",
        "pdf.fonttype": 42,
    })


#: Significant digits of every float written to a figure's CSV. Exact quantities agree across machines
#: to about 1e-13 relative (LAPACK builds differ in the last bits); 8 digits (5e-9 relative) keep what
#: a plot or a reader can use and make it unlikely (about 1e-5 per value) that round-off moves a
#: written digit, so regenerating on another machine does not rewrite every CSV.
CSV_DIGITS = 8


def format_number(v, digits: int = CSV_DIGITS) -> str:
    """The CSV text of one cell: a float with ``digits`` significant digits (``%.{digits}g``; ``-0`` is
    written ``0``, ``inf``/``-inf``/``nan`` as such), an integer or bool as an integer, anything else as
    ``str``. ``format_number(float(format_number(x))) == format_number(x)`` (a round trip is stable).

    Examples
    --------
    >>> [format_number(x) for x in (1 / 3, 2.0, -0.0, 1e-300, float("inf"), 7, True, "a")]
    ['0.33333333', '2', '0', '1e-300', 'inf', '7', '1', 'a']
    """
    if isinstance(v, (bool, np.bool_, int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        text = f"{float(v):.{digits}g}"
        return "0" if text == "-0" else text
    return str(v)


def write_csv(path: Path, columns: dict) -> None:
    """Write equal-length 1-D columns (numbers or strings) to CSV, floats with :data:`CSV_DIGITS`
    significant digits (:func:`format_number`)."""
    names = list(columns)
    cols = [np.asarray(columns[n]) for n in names]
    n = {c.shape[0] for c in cols}
    if len(n) != 1:
        raise ValueError(f"CSV columns have different lengths: { {k: c.shape for k, c in zip(names, cols)} }")
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(names)
        for row in zip(*cols):
            w.writerow([format_number(v) for v in row])


# ----------------------------------------------------------------------------- numbers a summary reports
def count_below(values, threshold: float, margin: float) -> tuple[int, int]:
    """``(n, n_near)``: how many ``values`` lie below ``threshold - margin`` (counted) and how many
    within ``margin`` of ``threshold`` (not counted: round-off could put them on either side).

    A count reported by a figure must not depend on the last bit of a float (DESIGN.md); ``margin``
    states how far from the threshold a value must be to count, and ``n_near`` is reported beside the
    count ("within round-off").

    Examples
    --------
    >>> count_below([-1.0, -0.1 - 1e-12, -0.1 + 1e-12, 0.0], -0.1, 1e-9)
    (1, 2)
    """
    v = np.asarray(values, dtype=float)
    return int(np.sum(v < threshold - margin)), int(np.sum(np.abs(v - threshold) <= margin))


def first_at_least(values, threshold: float, margin: float) -> tuple[int | None, bool]:
    """``(k, robust)``: the first index ``k`` with ``values[k] >= threshold`` (None if none), and whether
    no value up to and including ``k`` lies within ``margin`` of ``threshold`` (if one does, round-off
    could move ``k``; a summary then writes it as approximate).

    Examples
    --------
    >>> first_at_least([0.1, 0.5, 0.9], 0.5, 1e-9)
    (1, False)
    >>> first_at_least([0.1, 0.6, 0.9], 0.5, 1e-9)
    (1, True)
    """
    v = np.asarray(values, dtype=float)
    hit = np.flatnonzero(v >= threshold)
    k = int(hit[0]) if hit.size else None
    upto = v if k is None else v[:k + 1]
    return k, bool(np.all(np.abs(upto - threshold) > margin))


def save_figure(fig, out: Path, name: str) -> tuple[Path, Path]:
    """Save ``fig`` as PNG and PDF without timestamps (byte-identical across runs)."""
    png, pdf = out / f"{name}.png", out / f"{name}.pdf"
    fig.savefig(png, dpi=DPI, metadata={"Software": None}, bbox_inches="tight")
    fig.savefig(pdf, metadata={"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
                bbox_inches="tight")
    plt.close(fig)
    return png, pdf


def load_module(name: str):
    return importlib.import_module(f"experiments.{name}")


def registry() -> dict:
    """``{NAME: module}`` of every experiment, in run order."""
    mods = [load_module(m) for m in MODULES]
    return {m.NAME: m for m in mods}


def run_experiment(mod, out: Path, quick: bool = False, seed: int = 0) -> ExperimentOutcome:
    """Compute, plot and save one figure module (the contract of this module's docstring); return
    its verdict, timing and files."""
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    data = mod.compute(quick=quick, seed=seed)
    verdict = data["verdict"]
    style()
    fig = mod.plot(data)
    png, pdf = save_figure(fig, out, mod.NAME)
    csv_path = out / f"{mod.NAME}.csv"
    write_csv(csv_path, data["table"])
    return ExperimentOutcome(mod.NAME, mod.CLAIM, verdict, time.perf_counter() - t0, (png, pdf, csv_path))


# ----------------------------------------------------------------------------- command-line arguments
class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the description's and epilog's line breaks and appends ``(default: X)`` to the help of
    every option that has a default; an option whose default is ``None`` says in its help what that
    means (e.g. "default: all cores"), a required one has none."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("%(default)" in text or not action.option_strings or action.required
                or action.default is None or action.default is argparse.SUPPRESS):
            return text
        return text + " (default: %(default)s)"


def int_arg(lo: int | None = None):
    """An argparse ``type``: an integer ``>= lo`` (checked by :func:`tabular.validation.check_int`);
    anything else is an error naming the option, e.g. ``argument --seed: expected an integer >= 0,
    got '-1'``."""
    def integer(text: str) -> int:
        try:
            return check_int(int(text), "value", lo=lo)
        except (TypeError, ValueError):
            bound = "" if lo is None else f" >= {lo}"
            raise argparse.ArgumentTypeError(f"expected an integer{bound}, got {text!r}") from None

    return integer


def real_arg(lo: float | None = None):
    """An argparse ``type``: a finite real number ``>= lo`` (:func:`tabular.validation.check_real`)."""
    def real(text: str) -> float:
        try:
            return check_real(float(text), "value", lo=lo)
        except (TypeError, ValueError):
            bound = "" if lo is None else f" >= {lo:g}"
            raise argparse.ArgumentTypeError(f"expected a finite number{bound}, got {text!r}") from None

    return real


#: ``--seed``: a non-negative integer (``np.random.SeedSequence`` rejects negative entropy).
seed_arg = int_arg(lo=0)


def out_dir_arg(text: str) -> Path:
    """An argparse ``type`` for ``--out``: a folder, which may not exist yet; an existing file (or a
    path through one) is an error naming the option."""
    path = Path(text)
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                where = "is an existing file" if p == path else f"goes through the existing file {str(p)!r}"
                raise argparse.ArgumentTypeError(f"{text!r} {where}; expected a folder")
            break
    return path

"""Shared machinery of the experiments: the result type, deterministic file output, and the registry.

Every experiment module defines ``NAME``, ``CLAIM``, ``compute(quick, seed) -> dict`` (the data, plus
the verdict) and ``plot(data, fig)``. :func:`run_experiment` runs one and writes
``<out>/<NAME>.png`` (150 dpi), ``<out>/<NAME>.pdf`` and ``<out>/<NAME>.csv`` (the data behind the
plot). Output is deterministic: fixed seeds, the Agg backend, and no timestamps in the PNG or PDF
metadata, so the same seed gives byte-identical files.
"""

from __future__ import annotations

import csv
import importlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

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
)


@dataclass(frozen=True)
class Verdict:
    """Whether an experiment's claim held, with the key number that shows it."""

    passed: bool
    key_number: str


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


def write_csv(path: Path, columns: dict) -> None:
    """Write equal-length 1-D columns (numbers or strings) to CSV, numbers with repr precision."""
    names = list(columns)
    cols = [np.asarray(columns[n]) for n in names]
    n = {c.shape[0] for c in cols}
    if len(n) != 1:
        raise ValueError(f"CSV columns have different lengths: { {k: c.shape for k, c in zip(names, cols)} }")
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(names)
        for row in zip(*cols):
            w.writerow([repr(float(v)) if isinstance(v, (float, np.floating)) else
                        (int(v) if isinstance(v, (int, np.integer, bool, np.bool_)) else str(v)) for v in row])


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
    """Compute, plot and save one experiment; return its verdict and timing."""
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

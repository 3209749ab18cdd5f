"""The sweep's tightness figure, drawn from its CSV columns and report with the shared pieces of
:mod:`experiments.drawing` (the same tightness plot as Figure 4's right panel)."""

from __future__ import annotations

import math

import numpy as np

from ..drawing import MIN_GAP, label_bounds, looseness_boxes, tightness_order
from .report import gap_of


def _ratios(table: dict, ok, bound: str, where=True) -> np.ndarray:
    """``penalty / gap`` of ``bound`` on the rows ``ok & where`` with a finite penalty (the gap about the
    bound's own centre for the bounds not centred on L, :func:`experiments.sweep.report.gap_of`)."""
    gap = gap_of(table, bound)
    sel = ok & np.isfinite(table[f"{bound}_penalty"]) & where & (gap > MIN_GAP)
    return table[f"{bound}_penalty"][sel] / gap[sel]


def _log_ratios_or_nan(table: dict, ok, bound: str, gamma) -> np.ndarray:
    v = np.log10(_ratios(table, ok, bound, table["gamma"] == gamma))
    return v if v.size else np.array([np.nan])


def _draw_looseness(ax, table: dict, ok, order: list, gams: list, no_gap: list) -> None:
    """Left panel: boxes of log10(penalty / |eta - L|) per bound and discount, whiskers 5-95%."""
    looseness_boxes(ax, lambda b, g: _log_ratios_or_nan(table, ok, b, g), order, gams, whis=(5, 95), alpha=0.85)
    for g in no_gap:
        ax.plot([], [], ls="", label=f"γ = {g:g}: |η − L| ≤ {MIN_GAP:g} everywhere, nothing to show")
    ax.axhline(0, color="crimson", lw=1.2, ls="--", label="penalty = |η − L| (violation below)")
    label_bounds(ax, order, rotation=25, ha="right")
    ax.set_xlim(-0.6, len(order) - 0.4)
    ax.set_ylim(bottom=min(ax.get_ylim()[0], -0.6))  # keep the violation line in view
    ax.set_ylabel("log10(penalty / |η(π̃) − L_π(π̃)|)")
    ax.set_title("Looseness per bound and discount (boxes 25–75%, whiskers 5–95%; tightest left)")
    ax.legend(frameon=False, loc="upper left", fontsize=8)


def _draw_family_medians(fig, ax, table: dict, ok, order: list, fams: list) -> None:
    """Right panel: log10 of the median penalty / |eta - L| per bound (rows) and family (columns)."""
    M = np.full((len(order), len(fams)), np.nan)
    for i, b in enumerate(order):
        for k, f in enumerate(fams):
            r = _ratios(table, ok, b, table["family"] == f)
            if r.size:
                M[i, k] = np.log10(np.median(r))
    im = ax.imshow(M, aspect="auto", cmap="magma_r")
    for i in range(M.shape[0]):
        for k in range(M.shape[1]):
            if np.isfinite(M[i, k]):
                ax.text(k, i, f"{M[i, k]:.1f}", ha="center", va="center", fontsize=8,
                        color="white" if M[i, k] > np.nanmean(M) else "black")
    ax.set_xticks(range(len(fams)))
    ax.set_xticklabels(fams, rotation=30, ha="right")
    label_bounds(ax, order, axis="y")
    ax.grid(False)
    ax.set_title("log10 of the median penalty / |η − L| per family")
    fig.colorbar(im, ax=ax, fraction=0.05, pad=0.03, label="log10 median ratio")


def plot_tightness(table: dict, report: dict):
    """Tightness of every bound over the sweep: log10(penalty / |eta - L|) per bound and gamma (left),
    and its median per bound and family (right). Instances with ``|eta - L| <= MIN_GAP`` or an
    infinite penalty are left out."""
    import matplotlib.pyplot as plt

    ok = (table["error"] == "") & (table["gap"] > MIN_GAP)
    med = {}
    for b in report["bounds"]:
        r = _ratios(table, ok, b)
        med[b] = float(np.median(r)) if r.size else math.inf
    order = tightness_order(med)
    present = [g for g in report["config"]["gammas"] if np.any(table["gamma"] == g)]
    gams = [g for g in present if np.any(ok & (table["gamma"] == g))]
    no_gap = [g for g in present if g not in gams]  # e.g. gamma = 0, where L = eta exactly
    fams = [f for f in report["config"]["families"] if np.any(table["family"] == f)]

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13.5, 5.2), gridspec_kw=dict(width_ratios=[1.5, 1]))
    _draw_looseness(ax1, table, ok, order, gams, no_gap)
    _draw_family_medians(fig, ax2, table, ok, order, fams)
    n_viol = sum(e["violations"] for e in report["bounds"].values())
    fig.suptitle(f"Sweep of {report['n_instances']:,} random instances (seed {report['config']['seed']}): "
                 f"{n_viol} bound violations; {int(ok.sum()):,} instances with |η − L| > {MIN_GAP:g} shown",
                 fontsize=11)
    fig.tight_layout()
    return fig

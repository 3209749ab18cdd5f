"""The sweep's tightness figure, drawn from its CSV columns and report."""

from __future__ import annotations

import math

import numpy as np

from .config import MIN_GAP

_LABELS = {
    "theorem1": "Thm 1, Eq. (8)", "theorem1_tight": "Thm 1 proof, Eq. (44)", "kl_max": "max-KL, Eq. (9)",
    "kl_max_pinsker": "max-KL, Pinsker", "cpi": "CPI, Eq. (6)", "kl02": "KL02 Thm 4.1",
    "cpo_tv": "CPO Cor. 1", "cpo_kl": "CPO Cor. 3", "spi": "SPI Thm 3.5", "span": "resolvent span",
}


def plot_tightness(table: dict, report: dict):
    """Tightness of every bound over the sweep: log10(penalty / |eta - L|) per bound and gamma (left),
    and its median per bound and family (right). Instances with ``|eta - L| <= MIN_GAP`` or an
    infinite penalty are left out."""
    import matplotlib.pyplot as plt

    ok = (table["error"] == "") & (table["gap"] > MIN_GAP)
    names = list(report["bounds"])
    med = {}
    for b in names:
        sel = ok & np.isfinite(table[f"{b}_penalty"])
        r = table[f"{b}_penalty"][sel] / table["gap"][sel]
        med[b] = float(np.median(r)) if r.size else math.inf
    order = sorted(names, key=lambda b: (med[b], b))
    present = [g for g in report["config"]["gammas"] if np.any(table["gamma"] == g)]
    gams = [g for g in present if np.any(ok & (table["gamma"] == g))]
    no_gap = [g for g in present if g not in gams]  # e.g. gamma = 0, where L = eta exactly
    fams = [f for f in report["config"]["families"] if np.any(table["family"] == f)]

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13.5, 5.2), gridspec_kw=dict(width_ratios=[1.5, 1]))
    width = 0.8 / max(len(gams), 1)
    gcol = plt.cm.viridis(np.linspace(0.15, 0.85, max(len(gams), 1)))
    for j, g in enumerate(gams):
        vals, pos = [], []
        for i, b in enumerate(order):
            sel = ok & np.isfinite(table[f"{b}_penalty"]) & (table["gamma"] == g)
            v = np.log10(table[f"{b}_penalty"][sel] / table["gap"][sel])
            vals.append(v if v.size else np.array([np.nan]))
            pos.append(i + (j - (len(gams) - 1) / 2) * width)
        bp = ax1.boxplot(vals, positions=pos, widths=width * 0.9, patch_artist=True, showfliers=False,
                         whis=(5, 95), medianprops=dict(color="k"))
        for patch in bp["boxes"]:
            patch.set_facecolor(gcol[j])
            patch.set_alpha(0.85)
        ax1.plot([], [], color=gcol[j], lw=8, label=f"γ = {g:g}")
    for g in no_gap:
        ax1.plot([], [], ls="", label=f"γ = {g:g}: |η − L| ≤ {MIN_GAP:g} everywhere, nothing to show")
    ax1.axhline(0, color="crimson", lw=1.2, ls="--", label="penalty = |η − L| (violation below)")
    ax1.set_xticks(range(len(order)))
    ax1.set_xticklabels([_LABELS.get(b, b) for b in order], rotation=25, ha="right")
    ax1.set_xlim(-0.6, len(order) - 0.4)
    ax1.set_ylim(bottom=min(ax1.get_ylim()[0], -0.6))  # keep the violation line in view
    ax1.set_ylabel("log10(penalty / |η(π̃) − L_π(π̃)|)")
    ax1.set_title("Looseness per bound and discount (boxes 25–75%, whiskers 5–95%; tightest left)")
    ax1.legend(frameon=False, loc="upper left", fontsize=8)

    M = np.full((len(order), len(fams)), np.nan)
    for i, b in enumerate(order):
        for k, f in enumerate(fams):
            sel = ok & np.isfinite(table[f"{b}_penalty"]) & (table["family"] == f)
            if sel.any():
                M[i, k] = np.log10(np.median(table[f"{b}_penalty"][sel] / table["gap"][sel]))
    im = ax2.imshow(M, aspect="auto", cmap="magma_r")
    for i in range(M.shape[0]):
        for k in range(M.shape[1]):
            if np.isfinite(M[i, k]):
                ax2.text(k, i, f"{M[i, k]:.1f}", ha="center", va="center", fontsize=8,
                         color="white" if M[i, k] > np.nanmean(M) else "black")
    ax2.set_xticks(range(len(fams)))
    ax2.set_xticklabels(fams, rotation=30, ha="right")
    ax2.set_yticks(range(len(order)))
    ax2.set_yticklabels([_LABELS.get(b, b) for b in order])
    ax2.grid(False)
    ax2.set_title("log10 of the median penalty / |η − L| per family")
    fig.colorbar(im, ax=ax2, fraction=0.05, pad=0.03, label="log10 median ratio")
    n_viol = sum(e["violations"] for e in report["bounds"].values())
    fig.suptitle(f"Sweep of {report['n_instances']:,} random instances (seed {report['config']['seed']}): "
                 f"{n_viol} bound violations; {int(ok.sum()):,} instances with |η − L| > {MIN_GAP:g} shown",
                 fontsize=11)
    fig.tight_layout()
    return fig


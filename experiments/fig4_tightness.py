"""Figure 4 -- bound tightness: the true surrogate error |eta - L| against each bound's penalty.

Over random MDPs (Garnet, gridworld, chain) and step sizes from tiny mixtures to unrelated policies,
for gamma in {0.5, 0.9, 0.99}, every bound of ``bounds.check_all`` is evaluated. The claim checked:
no bound is ever violated, and the order of tightness (median penalty / gap) is reported. A figure
module (the contract is in :mod:`experiments._common`); the looseness panel is the shared tightness plot
of :mod:`experiments.drawing`.
"""

from __future__ import annotations

import numpy as np

from bounds.inequalities import check_all
from tabular.instances import sample_instance

from .drawing import MIN_GAP, bound_label, centre_terms, label_bounds, looseness_boxes, tightness_order

NAME = "fig4_tightness"
CLAIM = "every policy-improvement bound holds; tightness order by median penalty/|eta-L|"

#: The bounds of ``check_all`` shown, in legend (and colour) order.
SHOWN = ("theorem1", "kl_max", "cpi", "cpo_tv", "cpo_general", "spi", "span")
#: This figure spells two labels out in full (the other labels are :data:`experiments.drawing.BOUND_LABELS`).
LABELS = {"theorem1": "Theorem 1, Eq. (8)", "kl_max": "KL form, Eq. (9)"}
GAMMAS = (0.5, 0.9, 0.99)
FAMILIES = ("garnet", "sparse_garnet", "gridworld", "chain")


def _resolved(t, bound):
    """Rows of ``bound`` whose gap is resolved above round-off and whose penalty is finite."""
    return (t["bound"] == bound) & (t["gap"] > MIN_GAP) & np.isfinite(t["penalty"])


def _log_ratio(t, bound, gamma):
    """log10(penalty / gap) of the resolved rows of ``bound`` at discount ``gamma``."""
    sel = _resolved(t, bound) & (t["gamma"] == gamma)
    return np.log10(t["penalty"][sel] / t["gap"][sel])


def compute(quick: bool = False, seed: int = 0) -> dict:
    n_per_gamma = 40 if quick else 300
    rows = {k: [] for k in ("gamma", "family", "step", "bound", "gap", "penalty", "slack", "holds")}
    n_checks = n_viol = 0
    streams = np.random.SeedSequence([seed, 4]).spawn(len(GAMMAS) * n_per_gamma)
    for i, child in enumerate(streams):
        g = GAMMAS[i // n_per_gamma]
        rng = np.random.default_rng(child)
        inst = sample_instance(rng, family=FAMILIES[i % len(FAMILIES)], gamma=g)
        table = check_all(inst.mdp, inst.pi, inst.pi_new)
        for r in table:
            n_checks += 1
            n_viol += not r.holds
            rows["gamma"].append(g)
            rows["family"].append(inst.meta["family"])
            rows["step"].append(inst.meta["step"])
            rows["bound"].append(r.name)
            half, dist = centre_terms(r)  # penalty and |eta - L| for the bounds centred on L
            rows["gap"].append(dist)
            rows["penalty"].append(half)
            rows["slack"].append(r.slack)
            rows["holds"].append(bool(r.holds))
    table = {k: np.asarray(v) for k, v in rows.items()}
    medians = {}
    for b in SHOWN:
        sel = _resolved(table, b)
        medians[b] = float(np.median(table["penalty"][sel] / table["gap"][sel]))
    order = tightness_order(medians)
    key = (f"{n_viol} violations in {n_checks:,} checks; tightest first: "
           + " < ".join(f"{b} ({medians[b]:.3g}x)" for b in order))
    from ._common import Verdict
    return dict(table=table, medians=medians, order=order, verdict=Verdict(n_viol == 0, key))


def plot(data):
    import matplotlib.pyplot as plt

    t = data["table"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12.5, 5.0), gridspec_kw=dict(width_ratios=[1, 1.25]))
    colors = plt.cm.tab10(np.arange(len(SHOWN)))
    lo, hi = np.inf, 0.0
    for c, b in zip(colors, SHOWN):
        sel = _resolved(t, b)
        x, y = t["gap"][sel], t["penalty"][sel]
        ax1.scatter(x, y, s=6, alpha=0.45, color=c, label=bound_label(b, LABELS), rasterized=True)
        if x.size:
            lo, hi = min(lo, x.min()), max(hi, x.max())
    ax1.plot([lo, hi], [lo, hi], color="k", lw=1.2, ls="--", label="penalty = |η − L|")
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel(f"true surrogate error |η(π̃) − L_π(π̃)|  (errors > {MIN_GAP:g})")
    ax1.set_ylabel("bound penalty")
    ax1.set_title("Every penalty lies above the error it must cover")
    ax1.legend(loc="upper left", markerscale=2.5, frameon=False)

    order = data["order"]
    looseness_boxes(ax2, lambda b, g: _log_ratio(t, b, g), order, GAMMAS, alpha=0.8)
    ax2.axhline(0, color="k", lw=1, ls="--")
    label_bounds(ax2, order, LABELS, rotation=20, ha="right")
    ax2.set_ylabel("log10(penalty / |η − L|)")
    ax2.set_title("Looseness per bound and discount (tightest left)")
    ax2.legend(frameon=False)
    n_inst = int(np.sum(t["bound"] == "theorem1"))
    fig.suptitle(f"Bound tightness on {n_inst:,} random instances — {data['verdict'].key_number.split(';')[0]}",
                 fontsize=11)
    fig.tight_layout()
    return fig

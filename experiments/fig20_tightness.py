"""Figure 20: the certified worst-case tightness ratio of every true bound, per discount band.

Drawn from the summary of ``python -m experiments tightness`` (:mod:`experiments.tightness`), which owns
the long, resumable search; this module only turns that summary into the table and the figure (it is
not in the quick figure registry because its data take about 30 CPU minutes).

One panel per bound: the certified ``c`` with ``(L - eta_new)/penalty >= c`` (lower side, solid) and
``(eta_new - L)/penalty >= c`` (upper side of two-sided bounds, dashed) on an exact rational instance,
per discount band; ``c = 1`` means the proof's constant cannot be lowered at all. The dotted line is
``1 / median(penalty/|eta - L|)`` of the random sweep (figures/sweep_1m): the typical instance.
"""

from __future__ import annotations

import numpy as np

NAME = "fig20_tightness"
CLAIM = ("every true bound has a certified worst-case ratio gap/penalty in (0, 1]; the constants of "
         "span and Eq. (44)'s upper side are tight, the max-KL constants the loosest")

__all__ = ["NAME", "CLAIM", "compute_from", "plot"]


def compute_from(summary: dict) -> dict:
    """The table (one row per bound, side and band) and the verdict from a tightness summary.

    Examples
    --------
    >>> from pathlib import Path
    >>> from experiments.tightness import summarize
    >>> from experiments.fig20_tightness import compute_from
    >>> st = {"bound": "theorem1", "side": "lower", "band": 0, "gamma_range": [0.001, 0.1],
    ...       "cpu_seconds": 2.0, "restarts": 3, "evaluations": 900, "best": {"ratio": 0.95},
    ...       "certificate": {"c": "19/20", "c_float": 0.95, "gamma": "1/100", "size": [3, 2],
    ...                       "path": "certificates/a.json", "verified": True}}
    >>> data = compute_from(summarize(Path("."), [st], {"theorem1": 15.5}, cpu_seconds=2.0))
    >>> print(data["table"]["bound"], data["table"]["certified_c"], data["verdict"].passed)
    ['theorem1'] [0.95] True
    >>> print(data["verdict"].key_number)
    certified worst c per bound in (0, 1]: True; tight (c >= 0.9): theorem1/lower 0.95; loosest: theorem1/lower 0.95
    """
    from ._common import Verdict

    cols = {k: [] for k in ("bound", "side", "gamma_lo", "gamma_hi", "certified_c", "float_ratio", "gamma",
                            "proof_constant", "sweep_median_penalty_over_gap")}
    for r in summary["rows"]:
        for x in r["bands"]:
            lo, hi = x["gamma_range"]
            cols["bound"].append(r["bound"])
            cols["side"].append(r["side"])
            cols["gamma_lo"].append(float(lo))
            cols["gamma_hi"].append(float(hi))
            cols["certified_c"].append(float("nan") if x["c_float"] is None or not x["verified"] else x["c_float"])
            cols["float_ratio"].append(float("nan") if x["float_ratio"] is None else round(x["float_ratio"], 6))
            cols["gamma"].append(x["gamma"] or "")
            cols["proof_constant"].append(r["proof_constant"])
            med = r["sweep_median_penalty_over_gap"]
            cols["sweep_median_penalty_over_gap"].append(float("nan") if med is None else round(med, 4))
    tops = [(r["c_max_float"], r["bound"], r["side"]) for r in summary["rows"]]
    certified = all(c is not None and 0 < c <= 1 for c, _, _ in tops)
    done = sorted(t for t in tops if t[0] is not None)
    tight = [f"{b}/{s} {c:.3g}" for c, b, s in done[::-1] if c >= 0.9]
    loose = [f"{b}/{s} {c:.3g}" for c, b, s in done[:3]]
    key = (f"certified worst c per bound in (0, 1]: {certified}; tight (c >= 0.9): {', '.join(tight) or 'none'}; "
           f"loosest: {', '.join(loose)}")
    return {"table": cols, "summary": summary, "verdict": Verdict(bool(certified), key)}


def plot(data):
    """Figure 20: one panel per bound, the certified ``c`` per discount band (lower side solid, upper
    dashed), the line ``c = 1`` and the sweep's typical ``1 / median(penalty/|eta - L|)`` dotted.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from pathlib import Path
    >>> from bounds.counterexamples.tightness import BANDS
    >>> from experiments.tightness import summarize
    >>> from experiments.fig20_tightness import compute_from, plot
    >>> states = [{"bound": "theorem1", "side": "lower", "band": k, "gamma_range": list(BANDS[k]),
    ...            "cpu_seconds": 1.0, "restarts": 3, "evaluations": 900, "best": {"ratio": c},
    ...            "certificate": {"c": str(c), "c_float": c, "gamma": "1/2", "verified": True}}
    ...           for k, c in enumerate([0.99, 0.9, 0.5, 0.3, 0.02])]
    >>> fig = plot(compute_from(summarize(Path("."), states, {"theorem1": 15.5}, cpu_seconds=5.0)))
    >>> print(len(fig.axes), fig.axes[0].get_title())
    5 theorem1 (constant 4)
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    summary = data["summary"]
    bands = summary["bands"]
    names = list(dict.fromkeys(r["bound"] for r in summary["rows"]))
    ncol = 5
    nrow = int(np.ceil(len(names) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.1 * ncol, 2.7 * nrow), sharey=True, squeeze=False)
    x = np.arange(len(bands))
    for ax, name in zip(axes.ravel(), names):
        for r in (r for r in summary["rows"] if r["bound"] == name):
            c = [b["c_float"] if b["c_float"] is not None and b["verified"] else np.nan for b in r["bands"]]
            ax.plot(x, c, "o-" if r["side"] == "lower" else "s--", ms=4, label=f"{r['side']} side")
            med = r["sweep_median_penalty_over_gap"]
            if r["side"] == "lower" and med:
                ax.axhline(1.0 / med, color="0.4", ls=":", lw=1, label="sweep median")
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_yscale("log")
        ax.set_ylim(1e-5, 2)
        ax.set_title(f"{name} (constant {next(r['proof_constant'] for r in summary['rows'] if r['bound'] == name)})",
                     fontsize=9)
        ax.set_xticks(x, [f"{lo:g}-{hi:g}" for lo, hi in bands], rotation=45, fontsize=7)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("certified gap / penalty")
    two = [n for n in names if any(r["side"] == "upper" for r in summary["rows"] if r["bound"] == n)]
    axes.ravel()[names.index(two[0]) if two else 0].legend(fontsize=7, loc="lower left")
    fig.suptitle("Worst-case tightness of each bound's constant, certified per discount band "
                 f"({summary['cpu_seconds_total']:.0f} CPU s of search)", fontsize=11)
    fig.tight_layout()
    return fig

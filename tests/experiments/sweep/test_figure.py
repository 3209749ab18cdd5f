"""Tests of experiments/sweep/figure.py: the tightness figure orders the bounds by their median
penalty/gap, computed here independently from the CSV, and labels them as experiments.drawing does."""

from __future__ import annotations

import numpy as np

from experiments import sweep as SW
from experiments.drawing import BOUND_LABELS


def test_bounds_are_ordered_tightest_first(base):
    out, res = base
    table = SW.load_results(out)
    ok = (table["error"] == "") & (table["gap"] > SW.MIN_GAP)
    med = {}
    for b in res.report["bounds"]:
        # bounds not centred on L are measured about their own centre (their <b>_gap column)
        gap = table[f"{b}_gap"] if f"{b}_gap" in table else table["gap"]
        sel = ok & np.isfinite(table[f"{b}_penalty"]) & (gap > SW.MIN_GAP)
        med[b] = np.median(table[f"{b}_penalty"][sel] / gap[sel])
    expected = [BOUND_LABELS[b] for b in sorted(med, key=med.get)]
    fig = SW.plot_tightness(table, res.report)
    ax1, ax2 = fig.axes[:2]
    assert [t.get_text() for t in ax1.get_xticklabels()] == expected
    assert [t.get_text() for t in ax2.get_yticklabels()] == expected
    legend = [t.get_text() for t in ax1.get_legend().get_texts()]
    assert legend[:3] == ["γ = 0.5", "γ = 0.9", "γ = 0.99"]
    assert "40 random instances" in fig._suptitle.get_text()
    import matplotlib.pyplot as plt

    plt.close(fig)

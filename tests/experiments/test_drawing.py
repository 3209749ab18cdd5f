"""Tests of experiments/drawing.py: the shared pieces of the tightness plot, and that Figure 4 and the
sweep's figure draw with them."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bounds.inequalities import check_all  # noqa: E402
from experiments import drawing as D  # noqa: E402
from experiments import fig4_tightness as F4  # noqa: E402
from tabular.zoo import two_state  # noqa: E402


def test_labels_cover_every_bound_of_check_all():
    p = np.full((2, 2), 0.5)
    from bounds.registry import registered

    assert list(D.BOUND_LABELS) == [b.name for b in registered()]  # the registry's labels, in its order
    assert [r.name for r in check_all(two_state(0.5), p, p)] == [b.name for b in registered(True)]
    assert D.OFF_CENTRE_BOUNDS == ("cpo_general",)
    assert set(F4.SHOWN) <= set(D.BOUND_LABELS) and set(F4.LABELS) <= set(F4.SHOWN)


def test_tightness_order_breaks_ties_by_name_and_puts_inf_last():
    assert D.tightness_order({"b": 2.0, "a": 2.0, "c": 1.0, "d": math.inf}) == ["c", "a", "b", "d"]


def test_bound_label_overrides_then_defaults_then_name():
    assert D.bound_label("kl_max") == "max-KL, Eq. (9)"
    assert D.bound_label("kl_max", F4.LABELS) == "KL form, Eq. (9)"
    assert D.bound_label("spi", F4.LABELS) == "SPI Thm 3.5"
    assert D.bound_label("no_such_bound") == "no_such_bound"


def test_looseness_boxes_one_box_per_bound_and_discount():
    fig, ax = plt.subplots()
    order, gammas = ["span", "cpi", "theorem1"], (0.5, 0.9)
    D.looseness_boxes(ax, lambda b, g: np.arange(5.0) + order.index(b), order, gammas, whis=(5, 95))
    D.label_bounds(ax, order, rotation=25, ha="right")
    assert len(ax.patches) == len(order) * len(gammas)
    ext = [p.get_path().get_extents() for p in ax.patches]
    centres = sorted((e.x0 + e.x1) / 2 for e in ext)
    assert centres == pytest.approx([-0.2, 0.2, 0.8, 1.2, 1.8, 2.2], abs=1e-6)
    assert ax.get_legend_handles_labels()[1] == ["γ = 0.5", "γ = 0.9"]
    assert {round(e.x1 - e.x0, 9) for e in ext} == {0.36}  # widths 0.9 * 0.8 / 2
    assert [t.get_text() for t in ax.get_xticklabels()] == ["resolvent span", "CPI, Eq. (6)", "Thm 1, Eq. (8)"]
    colors = D.gamma_colors(2)
    assert np.allclose(ax.patches[0].get_facecolor()[:3], colors[0][:3])
    plt.close(fig)


def test_label_bounds_rejects_an_unknown_axis():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="axis"):
        D.label_bounds(ax, ["span"], axis="z")
    plt.close(fig)

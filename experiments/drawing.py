"""Drawing helpers that several figures share, with their constants.

The tightness plot -- boxes of ``log10(penalty / |eta(pi_new) - L_pi(pi_new)|)`` per bound and
discount, bounds ordered tightest first -- is drawn by Figure 4 (:mod:`experiments.fig4_tightness`)
and by the sweep's figure (:mod:`experiments.sweep.figure`) from these pieces: the labels of the
bounds (:data:`BOUND_LABELS`), the colours of the discounts (:func:`gamma_colors`), the order of the
bounds (:func:`tightness_order`), the boxes (:func:`looseness_boxes`) and the labelled bound axis
(:func:`label_bounds`). Where the two figures differ (whiskers, box opacity, label rotation, Figure 4's
longer labels of two bounds) they pass parameters, so that each keeps its committed pixels.

matplotlib is imported inside the functions that draw, so importing this module (as the sweep's
worker processes do, for :data:`MIN_GAP`) stays cheap.
"""

from __future__ import annotations

import numpy as np

from bounds.registry import labels as _registry_labels
from bounds.registry import off_centre_names

#: Surrogate errors ``|eta - L|`` at or below this are floating-point round-off: they are left out of
#: penalty/gap ratios, in tightness plots and in the sweep's report.
MIN_GAP = 1e-10

#: Axis label of each bound of the registry (:attr:`bounds.registry.Bound.label`), in its order, as
#: registered when this module was imported (:func:`bound_label` reads the registry itself).
BOUND_LABELS = _registry_labels()

#: Bounds of the registry that are not centred on L (their two-sided interval is centred elsewhere,
#: :attr:`bounds.registry.Bound.centred_on`): their looseness is measured about their own centre
#: (:func:`centre_terms`).
OFF_CENTRE_BOUNDS = off_centre_names()


def centre_terms(result) -> tuple[float, float]:
    """``(half-width, |eta(pi_new) - centre|)`` of a bound result: the penalty and ``|eta - L|`` for a
    bound centred on L, the half-width and the distance to its own centre for the others ([CPO]
    Theorem 1 is centred on ``eta(pi) + L_f/(1-gamma)``), so that ``half-width / distance`` is the
    looseness of every bound in the same sense (>= 1 when it holds)."""
    c = result.constants
    if "centre" in c and "half_width" in c:
        return float(c["half_width"]), abs(float(result.eta_new) - float(c["centre"]))
    return float(result.penalty), float(result.gap)


#: The discounts' colours: equally spaced on this part of the viridis map.
GAMMA_COLOR_RANGE = (0.15, 0.85)


def gamma_colors(n: int) -> np.ndarray:
    """``n`` RGBA colours (at least one), one per discount, from :data:`GAMMA_COLOR_RANGE` of viridis."""
    import matplotlib.pyplot as plt

    return plt.cm.viridis(np.linspace(*GAMMA_COLOR_RANGE, max(n, 1)))


def tightness_order(medians: dict) -> list:
    """The bounds of ``{name: median penalty/gap}``, tightest (smallest median) first, ties by name."""
    return sorted(medians, key=lambda b: (medians[b], b))


def bound_label(name: str, labels: dict | None = None) -> str:
    """The label of bound ``name``: from ``labels``, else the registry's record, else the name itself."""
    if labels is not None and name in labels:
        return labels[name]
    return _registry_labels().get(name, name)


def looseness_boxes(ax, log_ratios, order, gammas, *, whis=None, alpha: float = 0.8) -> None:
    """Boxes (no fliers, black medians) of ``log_ratios(bound, gamma)`` at x = 0, 1, ... for the
    bounds in ``order``, one box per discount side by side, coloured by :func:`gamma_colors`, with a
    legend entry ``γ = g`` per discount.

    ``whis`` is passed to :meth:`matplotlib.axes.Axes.boxplot` when given (e.g. ``(5, 95)`` for
    percentile whiskers; matplotlib's default is 1.5 IQR); ``alpha`` is the boxes' opacity.
    """
    width = 0.8 / max(len(gammas), 1)
    colors = gamma_colors(len(gammas))
    extra = {} if whis is None else {"whis": whis}
    for j, g in enumerate(gammas):
        vals = [log_ratios(b, g) for b in order]
        pos = [i + (j - (len(gammas) - 1) / 2) * width for i in range(len(order))]
        bp = ax.boxplot(vals, positions=pos, widths=width * 0.9, patch_artist=True, showfliers=False,
                        medianprops=dict(color="k"), **extra)
        for patch in bp["boxes"]:
            patch.set_facecolor(colors[j])
            patch.set_alpha(alpha)
        ax.plot([], [], color=colors[j], lw=8, label=f"γ = {g:g}")


def label_bounds(ax, order, labels: dict | None = None, *, axis: str = "x", **text) -> None:
    """Ticks at 0, 1, ... on ``axis`` ("x" or "y") labelled with the bounds of ``order``
    (:func:`bound_label`); ``text`` (e.g. ``rotation=25, ha="right"``) goes to the tick labels."""
    names = [bound_label(b, labels) for b in order]
    if axis == "x":
        ax.set_xticks(range(len(order)))
        ax.set_xticklabels(names, **text)
    elif axis == "y":
        ax.set_yticks(range(len(order)))
        ax.set_yticklabels(names, **text)
    else:
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")

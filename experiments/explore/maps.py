"""Pictures of one MDP: per-state heat maps, policies, and the state graph (matplotlib only).

Every drawing function takes a matplotlib ``Axes`` and a :class:`~experiments.explore.layout.Layout`
and returns a :class:`Drawn` record holding the exact arrays it handed to matplotlib (the ``imshow``
grid, the arrow components, the bar segments, the edge widths), so that tests can compare what is
drawn with :func:`tabular.evaluate`.

* :func:`draw_map` -- one per-state quantity: a heat map on a grid (a chain is a 1-row grid), node
  colours on a graph. ``inf`` (an infinite KL) is hatched and written as ``∞``; cells that are no
  state are light grey; marked cells (start, goal, hole, cliff, absorbing, terminal) carry a letter.
* :func:`draw_policy` -- ``pi`` as arrows whose length is proportional to ``pi(a|s)`` where actions
  are moves, and as stacked bars (one colour per action) elsewhere.
* :func:`draw_edges` -- on a graph, the edges ``s -> t`` with width proportional to ``P_pi[s, t]``.
* :func:`policy_figure`, :func:`step_figure` -- small ready-made figures for one policy and one step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .layout import MARKS, Layout
from .quantities import PolicyPicture, StepTerms

__all__ = ["Drawn", "draw_map", "draw_policy", "draw_edges", "draw_marks", "policy_figure", "step_figure",
           "label_size", "ANNOTATE_MAX_CELLS"]

#: Marks of states where no policy is drawn: the episode ends there, or they are never entered.
NO_POLICY_MARKS = ("hole", "cliff", "goal", "terminal")
#: Heat maps with at most this many states write each value in its cell.
ANNOTATE_MAX_CELLS = 64
#: A cell's number sits this far below the cell centre (cells are 1 x 1 data units); the policy arrows
#: start this far above it and are at most ``ARROW_LENGTH`` long, so that neither covers the other.
LABEL_OFFSET = 0.3
ARROW_OFFSET = 0.14
ARROW_LENGTH = 0.3
#: Labels are drawn at most this large (points) and dropped when they would need to be smaller than
#: ``MIN_LABEL_PT`` to fit their cell (width ``LABEL_WIDTH`` and height ``LABEL_HEIGHT`` of a cell).
MAX_LABEL_PT, MIN_LABEL_PT, LABEL_WIDTH, LABEL_HEIGHT = 8.5, 4.5, 0.9, 0.3
_ACTION_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")


@dataclass(frozen=True, eq=False)
class Drawn:
    """What a drawing function drew: ``arrays`` maps a name to the exact array given to matplotlib.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import tabular as T
    >>> from experiments.explore.layout import chain_layout
    >>> from experiments.explore.maps import draw_map
    >>> mdp = T.make("chain", n=4)
    >>> fig, ax = plt.subplots()
    >>> drawn = draw_map(ax, chain_layout(4), T.evaluate(mdp, T.uniform(mdp)).V)
    >>> print(drawn.kind, drawn.arrays["grid"].shape)
    grid (1, 4)
    >>> plt.close(fig)
    """

    kind: str
    arrays: dict = field(default_factory=dict)
    artist: object = None


def _fmt(v: float, scale: float = 0.0) -> str:
    """A short label; ``|v| <= 1e-9 scale`` (round-off next to the map's largest value) prints as 0."""
    if np.isfinite(v) and abs(v) <= 1e-9 * scale:
        return "0"
    if np.isposinf(v):
        return "∞"
    if np.isneginf(v):
        return "−∞"
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:  # three significant digits, as below 10
        return f"{v:.1f}"
    if a >= 0.01:
        return f"{v:.2f}"
    return f"{v:.0e}".replace("e-0", "e-")


def _limits(values: np.ndarray, diverging: bool, vmin: float | None = None):
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (-1.0, 1.0) if diverging else (0.0, 1.0)
    if diverging:
        m = float(np.max(np.abs(finite)))
        m = m if m > 0 else 1.0
        return -m, m
    lo, hi = float(finite.min()) if vmin is None else float(vmin), float(finite.max())
    if hi - lo <= 1e-9 * max(abs(lo), abs(hi), 1e-300):  # a constant map: one colour, a readable scale
        pad = 0.5 * abs(hi) if hi != 0 else 1.0
        return (lo - pad, hi + pad) if vmin is None else (lo, lo + pad if hi <= lo else hi)
    return lo, hi


def _text_color(cmap, norm, v) -> str:
    r, g, b, _ = cmap(norm(v))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def draw_marks(ax, layout: Layout, fontsize: float = 7.0) -> None:
    """Letters for marked states (S start, G goal, H hole, C cliff, ∘ absorbing, ↷ jump) in the
    top-left corner of their cell (or beside their node); holes and cliffs also get a dark frame.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from experiments.explore.layout import grid_layout
    >>> from experiments.explore.maps import draw_marks
    >>> fig, ax = plt.subplots()
    >>> draw_marks(ax, grid_layout(2, 2, marks={0: "start", 3: "goal"}))
    >>> print(sorted(t.get_text() for t in ax.texts))
    ['G', 'S']
    >>> plt.close(fig)
    """
    import matplotlib.patches as mpatches

    cell = _cell_points(ax, layout) / 1.2 if layout.kind == "grid" else 0.0
    for s, kind in sorted(layout.marks.items()):
        if not layout.on_map[s]:
            continue
        x, y = layout.positions[s]
        if layout.kind == "grid":  # at most a fifth of the cell's height where policy arrows start below it
            fs = min(fontsize, (0.35 if kind in NO_POLICY_MARKS else 0.2) * cell)
            ax.text(x - 0.47, y - 0.48, MARKS[kind], ha="left", va="top", fontsize=fs, fontweight="bold",
                    color="black", bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.75))
            if kind in ("hole", "cliff"):
                ax.add_patch(mpatches.Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False, ec="black", lw=1.6,
                                                hatch="..", alpha=0.6))
            if kind == "goal":
                ax.add_patch(mpatches.Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False, ec="gold", lw=2.2))
        else:
            ax.text(x + 0.13, y + 0.13, MARKS[kind], fontsize=fontsize + 1, fontweight="bold")


def _grid_axes(ax, layout: Layout) -> None:
    H, W = layout.shape
    ax.set_xlim(-0.5, W - 0.5)
    ax.set_ylim(H - 0.5, -0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    for axis, setter in (("x", ax.set_xticks), ("y", ax.set_yticks)):  # panels of structured grids (Taxi)
        if layout.ticks.get(axis):
            pos, labels = zip(*layout.ticks[axis])
            setter(pos, labels, fontsize=6)
            ax.tick_params(axis=axis, length=0, pad=1.5)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(True)
    ax.set_aspect("equal")


def _graph_axes(ax) -> None:
    ax.set_xlim(-1.45, 1.45)
    ax.set_ylim(-1.45, 1.45)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)


def draw_map(ax, layout: Layout, values, *, title: str = "", cmap: str | None = None, diverging: bool = False,
             annotate: bool | None = None, colorbar: bool = True, edges=None, vmin: float | None = None) -> Drawn:
    """Draw one per-state quantity ``values`` (S,).

    On a grid the (rows, cols) array :meth:`Layout.to_grid` is given to ``imshow`` (returned as
    ``arrays["grid"]``; non-state cells NaN, ``inf`` kept). On a graph the node colours are the values
    (``arrays["nodes"]``) and ``edges`` (an (S, S) matrix such as ``P_pi``) is drawn by
    :func:`draw_edges`. ``diverging=True`` centres the colour scale at 0 (blue > 0 > red); ``vmin``
    fixes the low end (0 for divergences and visitations).

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib.pyplot as plt
    >>> import tabular as T
    >>> from experiments.explore.layout import zoo_layout
    >>> from experiments.explore.maps import draw_map
    >>> mdp = T.make("gridworld", height=2, width=3)
    >>> V = T.evaluate(mdp, T.uniform(mdp)).V
    >>> fig, ax = plt.subplots()
    >>> drawn = draw_map(ax, zoo_layout("gridworld", mdp, height=2, width=3), V, title="V")
    >>> print(np.array_equal(drawn.arrays["grid"], V.reshape(2, 3)))  # row-major cells
    True
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize

    values = np.asarray(values, dtype=np.float64)
    if values.shape != (layout.n_states,):
        raise ValueError(f"values must have shape ({layout.n_states},), got {values.shape}")
    cm = plt.get_cmap(cmap or ("RdBu" if diverging else "viridis")).with_extremes(bad="#dddddd")
    on = layout.on_map
    lo, hi = _limits(values[on], diverging, vmin)
    norm = Normalize(lo, hi)
    annotate = (on.sum() <= ANNOTATE_MAX_CELLS) if annotate is None else annotate
    fin = values[on][np.isfinite(values[on])]
    scale = float(np.max(np.abs(fin))) if fin.size else 0.0
    arrays = {}
    if layout.kind == "grid":
        grid = layout.to_grid(values)
        arrays["grid"] = grid
        shown = np.where(np.isfinite(grid), grid, np.nan)
        art = ax.imshow(shown, cmap=cm, norm=norm, interpolation="nearest")
        _grid_axes(ax, layout)
        _grid_labels(ax, layout, values, cm, norm, scale, annotate)
    else:
        _graph_axes(ax)
        if edges is not None:
            arrays["edge_width"] = draw_edges(ax, layout, edges).arrays["edge_width"]
        colors = np.where(np.isfinite(values), values, np.nan)
        if not np.isfinite(colors).any():  # every node infinite (covered below) or undefined: matplotlib 3.7.0's
            colors = np.zeros_like(colors)  # scatter raises StopIteration on a colour array with no finite value
        arrays["nodes"] = values
        art = ax.scatter(layout.positions[:, 0], layout.positions[:, 1], c=colors, cmap=cm, norm=norm, s=520,
                         edgecolors="black", linewidths=0.8, zorder=3, plotnonfinite=True)
        inf = np.isinf(values)
        if inf.any():  # an infinite KL: a black node, like the black hatched cell of a grid
            ax.scatter(layout.positions[inf, 0], layout.positions[inf, 1], c="black", s=520, zorder=3.5,
                       edgecolors="black", hatch="xx")
        for s in range(layout.n_states):
            x, y = layout.positions[s]
            ax.text(x, y, f"s{s}", ha="center", va="center", fontsize=7, zorder=4,
                    color="white" if np.isinf(values[s]) else _text_color(cm, norm, values[s]))
            ax.text(x, y - 0.22, _fmt(values[s], scale), ha="center", va="top", fontsize=7, zorder=4,
                    bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.8))
    draw_marks(ax, layout)
    if colorbar:
        from matplotlib.ticker import FuncFormatter

        cb = ax.figure.colorbar(art, ax=ax, fraction=0.046, pad=0.03, format=FuncFormatter(lambda v, _: f"{v:.3g}"))
        from matplotlib.ticker import MaxNLocator

        cb.ax.yaxis.set_major_locator(MaxNLocator(5))
        cb.ax.tick_params(labelsize=6.5)
    if title:
        ax.set_title(title, fontsize=9)
    return Drawn(layout.kind, arrays, art)


def _cell_points(ax, layout: Layout) -> float:
    """The side of one cell on the page, in points (the axes box less its colorbar, aspect equal)."""
    H, W = layout.shape
    bbox = ax.get_position()
    return 72.0 * 0.88 * min(bbox.width * ax.figure.get_figwidth() / W, bbox.height * ax.figure.get_figheight() / H)


def label_size(labels, cell_pt: float) -> float:
    """The font size (points) at which every label fits its cell (:data:`LABEL_WIDTH` of the width,
    :data:`LABEL_HEIGHT` of the height), at most :data:`MAX_LABEL_PT`; 0 when that is below
    :data:`MIN_LABEL_PT` (the labels are then dropped). Widths are measured on the font's glyphs.

    Examples
    --------
    >>> from experiments.explore.maps import label_size
    >>> print(label_size(["0.12", "-3e-4"], cell_pt=60.0))
    8.5
    >>> print(label_size(["0.12", "-3e-4"], cell_pt=8.0))  # a Taxi cell: no room
    0
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    labels = [t for t in labels if t]
    if not labels:
        return MAX_LABEL_PT
    ref = 10.0
    tp, fp = TextToPath(), FontProperties(size=ref)
    widest = max(tp.get_text_width_height_descent(t, fp, ismath=False)[0] for t in labels)
    fs = min(MAX_LABEL_PT, LABEL_WIDTH * cell_pt * ref / max(widest, 1e-9), LABEL_HEIGHT * cell_pt / 1.2)
    return round(fs, 2) if fs >= MIN_LABEL_PT else 0


def _grid_labels(ax, layout: Layout, values, cm, norm, scale, annotate) -> None:
    """Each state's number below its cell centre, in a size that fits (or none); infinite values
    (an infinite KL) get a light hatched frame and ``∞`` in a white box; numbers on hatched cells
    (holes, cliffs) sit in a white box too."""
    import matplotlib.patches as mpatches

    on = np.flatnonzero(layout.on_map)
    inf = [s for s in on if np.isinf(values[s])]
    texts = {s: _fmt(values[s], scale) for s in on if annotate or np.isinf(values[s])}
    fs = label_size(texts.values(), _cell_points(ax, layout))
    boxed = {s for s, k in layout.marks.items() if k in ("hole", "cliff")}
    for s in inf:
        x, y = layout.positions[s]
        ax.add_patch(mpatches.Rectangle((x - 0.45, y - 0.45), 0.9, 0.9, fill=False, ec="0.35", hatch="////",
                                        lw=0.8, alpha=0.6))
    if fs == 0:
        return
    box = dict(boxstyle="round,pad=0.35", fc="white", ec="none", alpha=0.9)
    for s, text in texts.items():
        x, y = layout.positions[s]
        special = s in boxed or np.isinf(values[s])
        ax.text(x, y + LABEL_OFFSET, text, ha="center", va="center", fontsize=fs, zorder=6,
                color="black" if special else _text_color(cm, norm, values[s]), bbox=box if special else None)


def draw_edges(ax, layout: Layout, P_pi, min_prob: float = 1e-3, max_width: float = 6.0) -> Drawn:
    """Draw ``s -> t`` for ``P_pi[s, t] >= min_prob`` with line width ``max_width * P_pi[s, t]``
    (self-loops as small circles). Returns ``arrays["edge_width"]``, the (S, S) widths used (0 where
    no edge is drawn).

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib.pyplot as plt
    >>> import tabular as T
    >>> from experiments.explore.layout import zoo_layout
    >>> from experiments.explore.maps import draw_edges
    >>> mdp = T.make("mdp_x")
    >>> P_pi = T.evaluate(mdp, T.uniform(mdp)).P_pi
    >>> fig, ax = plt.subplots()
    >>> widths = draw_edges(ax, zoo_layout("mdp_x", mdp), P_pi).arrays["edge_width"]
    >>> P = P_pi.toarray() if hasattr(P_pi, "toarray") else np.asarray(P_pi)
    >>> print(np.allclose(widths, np.where(P >= 1e-3, 6.0 * P, 0.0)))
    True
    >>> plt.close(fig)
    """
    import matplotlib.patches as mpatches

    P_pi = P_pi.toarray() if hasattr(P_pi, "toarray") else np.asarray(P_pi, dtype=np.float64)
    S = layout.n_states
    if P_pi.shape != (S, S):
        raise ValueError(f"P_pi must have shape ({S}, {S}), got {P_pi.shape}")
    widths = np.where(P_pi >= min_prob, max_width * P_pi, 0.0)
    pos = layout.positions
    for s in range(S):
        for t in range(S):
            w = widths[s, t]
            if w <= 0:
                continue
            if s == t:
                x, y = pos[s]
                r = np.hypot(x, y)
                ux, uy = (x / r, y / r) if r > 0 else (0.0, 1.0)
                ax.add_patch(mpatches.Circle((x + 0.2 * ux, y + 0.2 * uy), 0.12, fill=False, lw=w,
                                             ec="#555555", alpha=0.7, zorder=1))
                continue
            ax.add_patch(mpatches.FancyArrowPatch(pos[s], pos[t], connectionstyle="arc3,rad=0.18",
                                                  arrowstyle="-|>", mutation_scale=8 + 2 * w, lw=w,
                                                  color="#555555", alpha=0.7, shrinkA=13, shrinkB=13, zorder=2))
    return Drawn("edges", {"edge_width": widths})


def draw_policy(ax, layout: Layout, pi, *, color: str = "black", bar_width: float = 0.8, legend: bool = True) -> Drawn:
    """Draw ``pi`` (S, A) on top of a map.

    Actions that are moves: one arrow per (state, action) from :data:`ARROW_OFFSET` above the cell
    centre (the number sits below it), length ``ARROW_LENGTH pi(a|s)`` cells (``arrays["U"],
    arrays["V"]`` in data units, ``arrays["prob"]``, with ``arrays["state"], arrays["action"]``);
    actions that stay (Taxi's pickup and dropoff, move ``(0, 0)``) are a dot of area ``prob``.
    Nothing is drawn at states where the policy does not matter (marks in :data:`NO_POLICY_MARKS`:
    holes, cliff cells, goals and terminal states; an absorbing state keeps its policy, whose rewards
    may differ, as in MDP X).
    Otherwise a stacked bar per state, segment ``a`` of length ``bar_width pi(a|s)`` (on a graph of
    S nodes ``bar_width`` is at most ``1.4 sin(pi/S)``, 0.7 of the distance between neighbours)
    (``arrays["segments"]`` (S, A)), with a legend of the action names.

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib.pyplot as plt
    >>> import tabular as T
    >>> from experiments.explore.layout import zoo_layout
    >>> from experiments.explore.maps import ARROW_LENGTH, draw_policy
    >>> mdp = T.make("gridworld", height=2, width=2)
    >>> pi = T.uniform(mdp)
    >>> fig, ax = plt.subplots()
    >>> arrows = draw_policy(ax, zoo_layout("gridworld", mdp, height=2, width=2), pi)
    >>> print(sorted(set(arrows.arrays["state"].tolist())))  # none at the goal, state 3
    [0, 1, 2]
    >>> print(np.allclose(np.hypot(arrows.arrays["U"], arrows.arrays["V"]), ARROW_LENGTH * 0.25))
    True
    >>> plt.close(fig)
    """
    pi = np.asarray(pi, dtype=np.float64)
    S, A = pi.shape
    if S != layout.n_states or A != layout.n_actions:
        raise ValueError(f"pi must have shape ({layout.n_states}, {layout.n_actions}), got {pi.shape}")
    on = layout.on_map & ~np.isin(np.arange(S), [s for s, k in layout.marks.items() if k in NO_POLICY_MARKS])
    if layout.kind == "grid" and layout.moves is not None:
        states = np.repeat(np.flatnonzero(on), A)
        acts = np.tile(np.arange(A), int(on.sum()))
        prob = pi[states, acts]
        keep = prob > 1e-3
        X, Y = layout.positions[states, 0], layout.positions[states, 1] - ARROW_OFFSET
        U = ARROW_LENGTH * prob * layout.moves[acts, 1]
        V = ARROW_LENGTH * prob * layout.moves[acts, 0]  # rows grow downwards, like the y axis of imshow
        stay = keep & np.all(layout.moves[acts] == 0, axis=1)
        keep &= ~stay
        width = min(0.012, 0.06 / max(layout.shape))
        art = ax.quiver(X[keep], Y[keep], U[keep], V[keep], angles="xy", scale_units="xy", scale=1.0,
                        color=color, width=width, headwidth=3.5, headlength=3.5, headaxislength=3.0,
                        minlength=0.0, zorder=5)
        if stay.any():
            ax.scatter(X[stay], Y[stay], s=prob[stay] * (_cell_points(ax, layout) * 0.3) ** 2, c=color, lw=0,
                       zorder=5)
        return Drawn("arrows", {"X": X, "Y": Y, "U": U, "V": V, "prob": prob, "state": states, "action": acts},
                     art)
    import matplotlib.patches as mpatches

    grid = layout.kind == "grid"
    if not grid and S > 1:  # bars no wider than 0.7 of the distance between neighbouring nodes
        bar_width = min(bar_width, 1.4 * np.sin(np.pi / S))
    segments = bar_width * pi
    h = 0.16 if grid else 0.09
    for s in np.flatnonzero(on):
        x, y = layout.positions[s]
        x0 = x - bar_width / 2
        yb = y - 0.05 if grid else y + 0.2
        for a in range(A):
            ax.add_patch(mpatches.Rectangle((x0, yb - h / 2), segments[s, a], h, fc=_ACTION_COLORS[a % 8],
                                            ec="white", lw=0.4, zorder=5))
            x0 += segments[s, a]
    if legend:
        handles = [mpatches.Patch(color=_ACTION_COLORS[a % 8], label=n) for a, n in enumerate(layout.action_names)]
        ax.legend(handles=handles, fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=min(A, 4),
                  frameon=False, handlelength=1.0, columnspacing=0.8)
    return Drawn("bars", {"segments": segments, "state": np.flatnonzero(on)})


def _off_map_note(layout: Layout, values: np.ndarray, name: str) -> str:
    off = layout.off_map
    return "; ".join(f"state {s} (off-map {layout.marks.get(s, 'state')}): {name} = {_fmt(values[s])}" for s in off)


def policy_figure(layout: Layout, pic: PolicyPicture, title: str = ""):
    """Three maps of one policy: ``V_pi`` with the policy drawn on it, ``d_pi`` and the per-state
    contribution ``rho(s) r_pi(s)`` to ``eta``. Returns ``(fig, {name: Drawn})``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import tabular as T
    >>> from experiments.explore.layout import zoo_layout
    >>> from experiments.explore.maps import policy_figure
    >>> from experiments.explore.quantities import policy_picture
    >>> mdp = T.make("gridworld", height=3, width=3)
    >>> fig, drawn = policy_figure(zoo_layout("gridworld", mdp, height=3, width=3), policy_picture(mdp, T.uniform(mdp)))
    >>> print(sorted(drawn))
    ['V', 'd', 'eta_contribution', 'pi']
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=_panel_size(layout, 3))
    edges = pic.ev.P_pi if layout.kind == "graph" else None
    out = {"V": draw_map(axes[0], layout, pic.V, title="V_π and π", edges=edges)}
    out["pi"] = draw_policy(axes[0], layout, pic.pi)
    out["d"] = draw_map(axes[1], layout, pic.d, title="d_π = (1−γ) ρ_π", cmap="magma", edges=edges,
                                vmin=0.0)
    out["eta_contribution"] = draw_map(axes[2], layout, pic.eta_contribution, diverging=True, edges=edges,
                                       title="ρ_π(s) r_π(s)  (sums to η)")
    fig.suptitle(title or f"{layout.title}: η(π) = {pic.eta:.6g}", fontsize=10)
    return fig, out


def step_figure(layout: Layout, st: StepTerms, title: str = ""):
    """Five maps of a step ``pi -> pi_new``: TV, KL(pi || pi_new), Abar, V_new - V and the terms
    ``(rho_new - rho) Abar`` of ``eta - L``. Returns ``(fig, {name: Drawn})``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import bounds as B
    >>> import tabular as T
    >>> from experiments.explore.layout import zoo_layout
    >>> from experiments.explore.maps import step_figure
    >>> from experiments.explore.quantities import step_terms
    >>> mdp = T.make("chain", n=5)
    >>> pi = T.uniform(mdp)
    >>> st = step_terms(mdp, pi, B.cpi_step(mdp, pi).pi_new)
    >>> fig, drawn = step_figure(zoo_layout("chain", mdp), st)
    >>> print(sorted(drawn))
    ['Abar', 'dV', 'kl', 'terms', 'tv']
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 5, figsize=_panel_size(layout, 5))
    out = step_panels(list(axes), layout, st)
    fig.suptitle(title or (f"{layout.title}: η {st.eta:.6g} → {st.eta_new:.6g}, L = {st.surrogate:.6g}, "
                           f"η − L = {st.gap:.3g}"), fontsize=10)
    return fig, out


def step_panels(axes, layout: Layout, st: StepTerms) -> dict:
    """Draw the five step maps of :func:`step_figure` into ``axes`` (a list of 5 Axes)."""
    edges = st.new.ev.P_pi if layout.kind == "graph" else None
    out = {
        "tv": draw_map(axes[0], layout, st.tv, title="D_TV(π, π_new)(s)", cmap="Greens", edges=edges,
                       vmin=0.0),
        "kl": draw_map(axes[1], layout, st.kl, title="KL(π ‖ π_new)(s)", cmap="Oranges", edges=edges,
                       vmin=0.0),
        "Abar": draw_map(axes[2], layout, st.Abar, diverging=True, title="Ā(s) = Σ_a π_new A_π", edges=edges),
        "dV": draw_map(axes[3], layout, st.dV, diverging=True, title="V_new − V", edges=edges),
        "terms": draw_map(axes[4], layout, st.terms, diverging=True, edges=edges,
                          title="(ρ_new − ρ)(s) Ā(s)  (Σ = η − L)"),
    }
    return out


def _panel_size(layout: Layout, n: int) -> tuple[float, float]:
    if layout.kind == "graph":
        return (3.4 * n, 3.4)
    H, W = layout.shape
    w = 3.4 if W <= 2 * H else min(6.5, 0.45 * W + 1.0)
    h = max(1.6, w * H / W + 0.9)
    return (w * n, h)

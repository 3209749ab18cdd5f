"""The explore pictures stay readable: on every drawn grid the numbers fit their cells and overlap neither
each other, the mark letters, nor the policy arrows (measured by the renderer); Taxi is drawn by
(passenger, destination) panels of its 5x5 grid."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from experiments.explore import cli  # noqa: E402
from experiments.explore import layout as L  # noqa: E402
from experiments.explore.maps import draw_map, draw_policy, label_size  # noqa: E402
from experiments.explore.report import explore, report_figure, start_policy  # noqa: E402


def _report(src, step, **kw):
    mdp, lay, name = cli.resolve_mdp(src, kw)
    st_kw = cli.step_kwargs(step, **({"delta": 0.5} if step == "trust_region" else {}))
    rep = explore(mdp, lay, start_policy(mdp, "uniform"), step, name=name, policy="uniform", **st_kw)
    return rep, report_figure(rep)


def _arrow_polygons(ax):
    """The drawn arrows (shaft and head) as closed paths in display pixels, as the renderer draws them."""
    from matplotlib.path import Path

    out = []
    for q in ax.collections:
        if type(q).__name__ != "Quiver":
            continue
        offsets = q.get_offset_transform().transform(q.get_offsets())
        for path, off in zip(q.get_paths(), offsets):
            out.append(Path(q.get_transform().transform(path.vertices) + off, closed=True))
    return out


def _check_axes(ax, renderer, lay):
    boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_text() and t.get_visible()]
    for i, a in enumerate(boxes):  # no two texts overlap (numbers, mark letters, ∞)
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (ax.get_title(), a, b)
    cell = abs(ax.transData.transform((1, 0))[0] - ax.transData.transform((0, 0))[0])
    for t, bb in zip([t for t in ax.texts if t.get_text() and t.get_visible()], boxes):
        if t.get_text() in L.MARKS.values():
            continue
        assert bb.width <= 0.95 * cell and bb.height <= 0.5 * cell, (ax.get_title(), t.get_text(), bb, cell)
    arrows = _arrow_polygons(ax)
    for bb in boxes:
        for arrow in arrows:
            assert not arrow.intersects_bbox(bb, filled=True), (ax.get_title(), bb, arrow.vertices)
    return len(boxes), len(arrows)


@pytest.mark.parametrize("src, step, kw", [
    ("FrozenLake-v1", "trust_region", {}),
    ("FrozenLake8x8-v1", "pi", {}),
    ("CliffWalking-v1", "pi", {}),
    ("gridworld", "pi", {"height": 5, "width": 7, "slip": 0.2}),
    ("chain", "cpi", {"n": 8}),
])
def test_numbers_fit_and_nothing_covers_them(src, step, kw):
    if src.endswith("-v1"):
        pytest.importorskip("gymnasium")
    rep, fig = _report(src, step, **kw)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    maps = [ax for ax in fig.axes if ax.images]
    assert len(maps) == 9
    n_text = n_arrow = 0
    for ax in maps:
        t, a = _check_axes(ax, renderer, rep.layout)
        n_text, n_arrow = n_text + t, n_arrow + a
    assert n_text >= 9 * int(rep.layout.on_map.sum() * 0.5)  # the numbers are there (not all dropped)
    if rep.layout.moves is not None:
        assert n_arrow > 0  # and so are the arrows the test checks against
    plt.close(fig)


def test_the_overlap_check_can_fail(monkeypatch):
    """With the numbers moved onto the arrows' origin, the same check reports an overlap."""
    import tabular as T
    from experiments.explore import maps

    monkeypatch.setattr(maps, "LABEL_OFFSET", -maps.ARROW_OFFSET)
    mdp = T.gridworld(4, 4)
    lay = L.zoo_layout("gridworld", mdp)
    pi = T.random_policy(mdp, rng=0)
    fig, ax = plt.subplots(figsize=(4, 4))
    draw_map(ax, lay, T.evaluate(mdp, pi).V)
    draw_policy(ax, lay, pi)
    fig.canvas.draw()
    with pytest.raises(AssertionError):
        _check_axes(ax, fig.canvas.get_renderer(), lay)
    plt.close(fig)


def test_infinite_kl_is_a_frame_with_a_boxed_label():
    rep, fig = _report("CliffWalking-v1", "pi")
    assert np.isinf(rep.terms.kl).any()
    (kl_ax,) = [ax for ax in fig.axes if ax.get_title().startswith("KL(")]
    inf_texts = [t for t in kl_ax.texts if t.get_text() == "∞"]
    assert len(inf_texts) == int(np.isinf(rep.terms.kl[rep.layout.on_map]).sum())
    assert all(t.get_bbox_patch() is not None for t in inf_texts)  # a white box behind ∞
    frames = [p for p in kl_ax.patches if p.get_hatch() == "////"]
    assert frames and all(not p.get_fill() for p in frames)  # hatching frames the cell, never fills over text
    plt.close(fig)


def test_labels_are_dropped_where_they_cannot_fit():
    assert label_size(["-0.123"], 60.0) > 0
    assert label_size(["-0.123"], 10.0) == 0  # a Taxi-sized cell
    wide = label_size(["-123.45"], 30.0)
    assert 0 < wide < label_size(["0"], 30.0)  # longer labels are drawn smaller


def test_taxi_is_drawn_by_passenger_and_destination_panels():
    gym = pytest.importorskip("gymnasium")
    import tabular as T

    mdp = T.from_gymnasium("Taxi-v4", 0.95)
    lay = L.gym_layout("Taxi-v4", mdp)
    assert lay.shape == (29, 23) and lay.off_map == [500]
    env = gym.make("Taxi-v4").unwrapped
    for s in range(500):  # Gymnasium's own decoding of the state
        row, col, passenger, dest = env.decode(s)
        assert tuple(lay.cells[s]) == (6 * passenger + row, 6 * dest + col), s
    assert len({tuple(c) for c in lay.cells[:500]}) == 500
    grid = lay.to_grid(np.ones(501))
    assert np.isnan(grid[[5, 11, 17, 23], :]).all() and np.isnan(grid[:, [5, 11, 17]]).all()  # panel gaps
    assert not np.isnan(np.delete(np.delete(grid, [5, 11, 17, 23], 0), [5, 11, 17], 1)).any()
    # pickup/dropoff at the landmarks: the taxi's moves south/north/east/west are the grid's down/up/right/left
    assert [tuple(m) for m in lay.moves[:4]] == [(1, 0), (-1, 0), (0, 1), (0, -1)]
    fig, ax = plt.subplots(figsize=(4, 4))
    pi = T.uniform(mdp)
    draw_map(ax, lay, T.evaluate(mdp, pi).V)
    draw_policy(ax, lay, pi)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["pass. R", "pass. G", "pass. Y", "pass. B", "pass. taxi"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["to R", "to G", "to Y", "to B"]
    assert not [t for t in ax.texts if t.get_text() not in L.MARKS.values()]  # no unreadable numbers
    plt.close(fig)


def test_graph_bars_and_numbers_do_not_collide():
    """On a 10-state graph (garnet) the policy bars of neighbouring nodes and the value labels stay apart."""
    import tabular as T

    mdp = T.make("garnet", n_states=10, n_actions=3, rng=0)
    lay = L.zoo_layout("garnet", mdp)
    pi = T.uniform(mdp)
    fig, ax = plt.subplots(figsize=(4, 4))
    draw_map(ax, lay, T.evaluate(mdp, pi).V, colorbar=False)
    bars = draw_policy(ax, lay, pi, legend=False)
    width = bars.arrays["segments"].sum(axis=1)[0]
    gap = np.min([np.hypot(*(lay.positions[s] - lay.positions[(s + 1) % 10])) for s in range(10)])
    assert width <= 0.7 * gap + 1e-12  # neighbouring bars (centred on their nodes) cannot touch
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    labels = [t.get_window_extent(r) for t in ax.texts if not t.get_text().startswith("s")]
    assert len(labels) == 10
    assert not any(a.overlaps(b) for i, a in enumerate(labels) for b in labels[i + 1:])
    plt.close(fig)

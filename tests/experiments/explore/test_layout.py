"""Layouts: cells, moves and marks of the zoo and Gymnasium MDPs, checked against their transitions."""

from __future__ import annotations

import numpy as np
import pytest

import tabular as T
from experiments.explore import layout as L


def _moves_agree(mdp, lay):
    """Every deterministic move of a non-slippery grid goes where the layout says (or stays at a wall)."""
    P = mdp.dense_P()
    H, W = lay.shape
    n_checked = 0
    for s in np.flatnonzero(lay.on_map):
        if s in lay.marks:
            continue
        r, c = lay.cells[s]
        for a, (dr, dc) in enumerate(lay.moves):
            t = int(np.argmax(P[s, a]))
            if P[s, a, t] < 1.0 or not lay.on_map[t]:
                continue
            rr, cc = r + dr, c + dc
            expect = (rr, cc) if 0 <= rr < H and 0 <= cc < W else (r, c)
            if tuple(lay.cells[t]) != expect and lay.marks.get(t) not in ("start",):
                return False
            n_checked += 1
    return n_checked > 0


def test_gridworld_layout_matches_transitions():
    mdp = T.gridworld(3, 5, slip=0.0)
    lay = L.zoo_layout("gridworld", mdp, height=3, width=5)
    assert lay.shape == (3, 5) and lay.marks[14] == "goal" and lay.marks[0] == "start"
    assert _moves_agree(mdp, lay)
    assert lay.action_names == ("up", "right", "down", "left")


def test_frozenlake_and_cliffwalking_layouts_match_transitions():
    fl = T.from_gymnasium("FrozenLake-v1", 0.9, is_slippery=False)
    lay = L.gym_layout("FrozenLake-v1", fl, is_slippery=False)
    assert lay.shape == (4, 4) and lay.off_map == [16]
    assert [s for s, k in lay.marks.items() if k == "hole"] == [5, 7, 11, 12]
    assert lay.marks[15] == "goal" and lay.marks[16] == "terminal"
    assert _moves_agree(fl, lay)
    cw = T.from_gymnasium("CliffWalking-v1", 0.9)
    lay = L.gym_layout("CliffWalking-v1", cw)
    assert lay.shape == (4, 12) and lay.marks[36] == "start" and lay.marks[47] == "goal"
    assert sum(k == "cliff" for k in lay.marks.values()) == 10
    assert _moves_agree(cw, lay)


def test_to_grid_places_states_row_major_and_leaves_off_map_states_out():
    lay = L.grid_layout(2, 3, n_states=7)
    g = lay.to_grid(np.arange(7.0))
    assert np.array_equal(g, [[0, 1, 2], [3, 4, 5]])
    assert lay.off_map == [6]


def test_auto_layout_graph_and_absorbing_marks():
    lay = L.zoo_layout("mdp_x", T.mdp_x())
    assert lay.kind == "graph" and lay.marks[1] == "absorbing" and lay.marks[2] == "absorbing"
    big = L.auto_layout(T.garnet(50, 2, 2, rng=0))
    assert big.kind == "grid" and big.shape == (7, 8) and big.moves is None


def test_from_spec_and_bad_input():
    mdp = T.gridworld(2, 2)
    lay = L.from_spec({"grid": [2, 2], "moves": "urdl", "marks": {"0": "start"}}, mdp)
    assert lay.kind == "grid" and lay.marks[0] == "start" and lay.marks[3] == "absorbing"
    with pytest.raises(ValueError, match="moves"):
        L.grid_layout(2, 2, moves="uxdl")
    with pytest.raises(ValueError, match="mark"):
        L.grid_layout(2, 2, marks={0: "lava"})
    with pytest.raises(ValueError, match="cells"):
        L.grid_layout(3, 3, n_states=4)

"""Where each state of an MDP is drawn, and what its actions mean: the :class:`Layout` of a picture.

An :class:`~tabular.MDP` is only arrays; it does not know that state 5 of FrozenLake is the hole in
row 1, column 1, or that its action 0 means "left". This module holds that knowledge, for the MDPs
whose geometry is documented:

===================================  ==============================================================  =============================
MDP                                  states -> cells                                                 actions
===================================  ==============================================================  =============================
``tabular.gridworld(H, W, goal)``    row-major, ``s = W*row + col``; the goal is absorbing           0 up, 1 right, 2 down, 3 left
``tabular.sutton_barto_gridworld``   5x5 row-major; A = (0, 1) jumps to A' = (4, 1), B = (0, 3)      0 up, 1 right, 2 down, 3 left
                                     jumps to B' = (2, 3)
``tabular.chain(n)``                 a 1 x n strip, state i in column i                              0 forward, 1 back (not moves:
                                                                                                     drawn as bars)
FrozenLake (Gymnasium)               row-major over ``env.unwrapped.desc``; S start, F frozen,       0 left, 1 down, 2 right, 3 up
                                     H hole, G goal
CliffWalking (Gymnasium)             4 x 12 row-major; start (3, 0), cliff (3, 1..10), goal          0 up, 1 right, 2 down, 3 left
                                     (3, 11)
Taxi (Gymnasium)                     one 5 x 5 taxi grid per (passenger, destination); panel rows:   0 south, 1 north, 2 east,
                                     passenger (R, G, Y, B, in taxi); panel columns: destination     3 west, 4 pickup, 5 dropoff
                                     (R, G, Y, B), one empty row/column between panels               (drawn as a dot)
any other MDP                        a state graph on a circle (S <= 30), else an index grid         bars
===================================  ==============================================================  =============================

(The zoo functions document their move order in ``tabular/zoo.py``; the Gymnasium action meanings
are those of the Gymnasium documentation of each environment.) :func:`tabular.from_gymnasium` adds
one absorbing state ``S_env`` that every terminating transition enters; it has no cell and is listed
beside the map. Any MDP can be drawn as a grid by giving its shape with :func:`grid_layout`.

A layout never changes the MDP: it only says where to draw state ``s`` (``cells[s] = (row, col)``,
``(-1, -1)`` for a state off the map) and, when actions are moves, in which direction
(``moves[a] = (d_row, d_col)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

__all__ = [
    "Layout",
    "MOVES_URDL",
    "MOVES_LDRU",
    "grid_layout",
    "chain_layout",
    "graph_layout",
    "auto_layout",
    "zoo_layout",
    "gym_layout",
    "taxi_layout",
    "absorbing_states",
    "from_spec",
]

#: Moves (d_row, d_col) of the zoo gridworlds and CliffWalking: up, right, down, left.
MOVES_URDL = ((-1, 0), (0, 1), (1, 0), (0, -1))
#: Moves of FrozenLake: left, down, right, up.
MOVES_LDRU = ((0, -1), (1, 0), (0, 1), (-1, 0))
_NAMES = {(-1, 0): "up", (0, 1): "right", (1, 0): "down", (0, -1): "left"}
_LETTERS = {"u": (-1, 0), "r": (0, 1), "d": (1, 0), "l": (0, -1)}

#: Mark kinds a layout may attach to states, with the letter drawn in the cell.
MARKS = MappingProxyType({"start": "S", "goal": "G", "hole": "H", "cliff": "C", "absorbing": "∘",
                          "terminal": "T", "jump": "↷"})

#: Largest number of states drawn as a graph by :func:`auto_layout`.
GRAPH_MAX_STATES = 30


@dataclass(frozen=True, eq=False)
class Layout:
    """How to draw the states and actions of one MDP.

    Attributes
    ----------
    kind : ``"grid"`` (cells of a rectangle; chains are 1-row grids) or ``"graph"`` (nodes).
    n_states : int, the MDP's S.
    shape : (rows, cols) of the grid; for a graph, ``(0, 0)``.
    cells : (S, 2) int, ``(row, col)`` of each state, ``(-1, -1)`` for a state off the map.
    positions : (S, 2) float, ``(x, y)`` drawing coordinates of each state (grid: ``(col, row)`` with
        rows growing downwards; graph: a circle); NaN for states off the map.
    moves : (A, 2) int ``(d_row, d_col)`` per action when every action is a move on the grid, else None.
    action_names : tuple of A names.
    marks : read-only mapping state -> mark kind (a key of :data:`MARKS`).
    title : a short name for the picture.
    ticks : read-only mapping ``"x"``/``"y"`` -> tuple of ``(position, label)`` naming groups of
        columns/rows (Taxi's panels); empty for plain grids.

    Examples
    --------
    >>> from experiments.explore.layout import grid_layout
    >>> lay = grid_layout(2, 3, n_states=7, marks={5: "goal"})
    >>> print(lay.kind, lay.shape, lay.n_actions, lay.off_map)
    grid (2, 3) 4 [6]
    >>> print(lay.to_grid(list(range(7))))
    [[0. 1. 2.]
     [3. 4. 5.]]
    """

    kind: str
    n_states: int
    shape: tuple
    cells: np.ndarray
    positions: np.ndarray
    moves: np.ndarray | None
    action_names: tuple
    marks: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    title: str = ""
    ticks: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    @property
    def n_actions(self) -> int:
        return len(self.action_names)

    @property
    def on_map(self) -> np.ndarray:
        """(S,) bool: whether each state has a cell (or node)."""
        return self.cells[:, 0] >= 0 if self.kind == "grid" else np.ones(self.n_states, bool)

    @property
    def off_map(self) -> list[int]:
        """The states that have no cell (e.g. Gymnasium's added terminal state)."""
        return [int(s) for s in np.flatnonzero(~self.on_map)]

    def to_grid(self, values, fill=np.nan) -> np.ndarray:
        """Per-state ``values`` (S,) as a (rows, cols) array for ``imshow``; cells without a state
        hold ``fill``. Only for ``kind == "grid"``."""
        if self.kind != "grid":
            raise ValueError(f"to_grid needs a grid layout, this one is a {self.kind}")
        values = np.asarray(values, dtype=np.float64)
        if values.shape != (self.n_states,):
            raise ValueError(f"values must have shape ({self.n_states},), got {values.shape}")
        grid = np.full(self.shape, fill, dtype=np.float64)
        on = self.on_map
        grid[self.cells[on, 0], self.cells[on, 1]] = values[on]
        return grid

    def with_marks(self, marks: dict) -> "Layout":
        """The same layout with ``marks`` added (existing marks of the same states are replaced)."""
        new = dict(self.marks)
        new.update({int(s): str(k) for s, k in marks.items()})
        return Layout(self.kind, self.n_states, self.shape, self.cells, self.positions, self.moves,
                      self.action_names, MappingProxyType(new), self.title, self.ticks)


def _check_marks(marks, S):
    out = {}
    for s, kind in dict(marks or {}).items():
        if kind not in MARKS:
            raise ValueError(f"mark of state {s} must be one of {sorted(MARKS)}, got {kind!r}")
        if not 0 <= int(s) < S:
            raise ValueError(f"marked state {s} is not a state (S={S})")
        out[int(s)] = kind
    return out


def _moves_of(moves, n_actions):
    """``moves`` as an (A, 2) int array or None; strings like ``"urdl"`` name the moves in order."""
    if moves is None:
        return None
    if isinstance(moves, str):
        bad = [c for c in moves.lower() if c not in _LETTERS]
        if bad:
            raise ValueError(f"moves must be letters from 'urdl' (up, right, down, left), got {moves!r}")
        moves = [_LETTERS[c] for c in moves.lower()]
    arr = np.asarray(moves, dtype=np.int64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"moves must have shape (A, 2) of (d_row, d_col), got {arr.shape}")
    if n_actions is not None and arr.shape[0] != n_actions:
        raise ValueError(f"moves names {arr.shape[0]} actions but the MDP has {n_actions}")
    return arr


def grid_layout(height: int, width: int, n_states: int | None = None, *, moves="urdl", action_names=None,
                marks=None, title: str = "") -> Layout:
    """A grid layout: state ``s < height*width`` sits in cell ``divmod(s, width)`` (row-major).

    ``n_states`` may exceed ``height*width``: the extra states (e.g. Gymnasium's terminal state) are
    off the map. ``moves``: a string over ``"urdl"`` (one letter per action), an (A, 2) array of
    ``(d_row, d_col)``, or None when actions are not moves. ``marks``: dict state -> mark kind.

    Examples
    --------
    >>> from experiments.explore.layout import grid_layout
    >>> lay = grid_layout(3, 4, n_states=13, moves="urdl", marks={11: "goal"})
    >>> print(lay.shape, lay.action_names, lay.off_map)
    (3, 4) ('up', 'right', 'down', 'left') [12]
    >>> print(lay.cells[6].tolist(), lay.moves[1].tolist())  # state 6 in row 1, column 2; action 1 moves right
    [1, 2] [0, 1]
    """
    H, W = int(height), int(width)
    if H < 1 or W < 1:
        raise ValueError(f"a grid needs positive height and width, got {height}x{width}")
    S = H * W if n_states is None else int(n_states)
    if S < H * W:
        raise ValueError(f"a {H}x{W} grid has {H * W} cells but the MDP has only {S} states")
    mv = _moves_of(moves, None if action_names is None else len(action_names))
    if action_names is None:
        action_names = tuple(_NAMES.get(tuple(m), str(tuple(m))) for m in mv) if mv is not None else ()
    cells = np.full((S, 2), -1, dtype=np.int64)
    idx = np.arange(H * W)
    cells[: H * W, 0], cells[: H * W, 1] = np.divmod(idx, W)
    pos = np.full((S, 2), np.nan)
    pos[: H * W, 0], pos[: H * W, 1] = cells[: H * W, 1], cells[: H * W, 0]
    return Layout("grid", S, (H, W), cells, pos, mv, tuple(action_names),
                  MappingProxyType(_check_marks(marks, S)), title)


def chain_layout(n_states: int, action_names=("forward", "back"), marks=None, title: str = "chain") -> Layout:
    """A 1 x n strip: state ``i`` in column ``i``; actions drawn as bars (they are not all moves).

    Examples
    --------
    >>> from experiments.explore.layout import chain_layout
    >>> lay = chain_layout(5)
    >>> print(lay.shape, lay.moves, lay.action_names)
    (1, 5) None ('forward', 'back')
    """
    lay = grid_layout(1, n_states, moves=None, action_names=tuple(action_names), marks=marks, title=title)
    return lay


def graph_layout(n_states: int, action_names, marks=None, title: str = "") -> Layout:
    """A state graph: states on a circle, state 0 on top, clockwise.

    Examples
    --------
    >>> import numpy as np
    >>> from experiments.explore.layout import graph_layout
    >>> lay = graph_layout(4, ("a0", "a1"))
    >>> print(lay.kind, np.round(lay.positions[0], 6).tolist())  # state 0 on top of the unit circle
    graph [0.0, 1.0]
    >>> print(np.allclose(np.hypot(*lay.positions.T), 1.0))
    True
    """
    S = int(n_states)
    ang = np.pi / 2 - 2 * np.pi * np.arange(S) / S
    pos = np.stack([np.cos(ang), np.sin(ang)], axis=1) if S > 1 else np.zeros((1, 2))
    cells = np.tile(np.arange(S)[:, None], (1, 2))
    return Layout("graph", S, (0, 0), cells, pos, None, tuple(action_names),
                  MappingProxyType(_check_marks(marks, S)), title)


def absorbing_states(mdp) -> list[int]:
    """States that no action leaves: ``P[s, a, s] = 1`` for every action ``a``.

    Examples
    --------
    >>> import tabular as T
    >>> from experiments.explore.layout import absorbing_states
    >>> absorbing_states(T.make("gridworld", height=2, width=2))  # the goal, bottom right
    [3]
    """
    S, A = mdp.shape
    Pf = mdp.P_flat
    diag = np.asarray(Pf[np.arange(S * A), np.repeat(np.arange(S), A)]).reshape(S, A)
    return [int(s) for s in np.flatnonzero(np.all(np.abs(diag - 1.0) <= 1e-12, axis=1))]


def _add_absorbing(layout: Layout, mdp) -> Layout:
    extra = {s: "absorbing" for s in absorbing_states(mdp) if s not in layout.marks}
    return layout.with_marks(extra) if extra else layout


def auto_layout(mdp, title: str = "") -> Layout:
    """The layout of an MDP with no documented geometry: a graph (S <= 30) or a near-square index
    grid, actions as bars, absorbing states marked.

    Examples
    --------
    >>> import tabular as T
    >>> from experiments.explore.layout import auto_layout
    >>> print(auto_layout(T.make("garnet", n_states=10, n_actions=2, rng=0)).kind)
    graph
    >>> lay = auto_layout(T.make("garnet", n_states=40, n_actions=2, rng=0))
    >>> print(lay.kind, lay.shape)  # more than GRAPH_MAX_STATES states: a near-square index grid
    grid (6, 7)
    """
    S, A = mdp.shape
    names = tuple(f"a{a}" for a in range(A))
    if S <= GRAPH_MAX_STATES:
        lay = graph_layout(S, names, title=title)
    else:
        W = int(np.ceil(np.sqrt(S)))
        H = int(np.ceil(S / W))
        lay = _index_grid(S, H, W, names, title)
    return _add_absorbing(lay, mdp)


def _index_grid(S, H, W, names, title):
    cells = np.full((S, 2), -1, dtype=np.int64)
    cells[:, 0], cells[:, 1] = np.divmod(np.arange(S), W)
    pos = np.stack([cells[:, 1], cells[:, 0]], axis=1).astype(float)
    return Layout("grid", S, (H, W), cells, pos, None, names, MappingProxyType({}), title)


def zoo_layout(name: str, mdp, **kwargs) -> Layout:
    """The layout of ``tabular.make(name, **kwargs)`` (see the table in the module docstring).

    Examples
    --------
    >>> import tabular as T
    >>> from experiments.explore.layout import zoo_layout
    >>> mdp = T.make("gridworld", height=3, width=4)
    >>> lay = zoo_layout("gridworld", mdp, height=3, width=4)
    >>> print(lay.shape, sorted(lay.marks.items()))
    (3, 4) [(0, 'start'), (11, 'goal')]
    """
    S, A = mdp.shape
    if name == "gridworld":
        H, W = int(kwargs.get("height", 4)), int(kwargs.get("width", 4))
        gr, gc = kwargs.get("goal") or (H - 1, W - 1)
        g = int(gr) * W + int(gc)
        start = int(np.argmax(mdp.rho0))
        lay = grid_layout(H, W, S, moves="urdl", marks={start: "start", g: "goal"}, title=f"gridworld {H}x{W}")
    elif name == "sutton_barto_gridworld":
        lay = grid_layout(5, 5, S, moves="urdl", marks={1: "jump", 3: "jump"},
                          title="Sutton & Barto gridworld (A=(0,1)→(4,1), B=(0,3)→(2,3))")
    elif name == "chain":
        lay = chain_layout(S, marks={0: "start"}, title=f"{S}-chain")
    elif name == "mdp_x":
        lay = graph_layout(S, ("a0", "a1"), marks={0: "start"}, title="MDP X")
    elif name == "two_state":
        lay = graph_layout(S, ("a·1", "a·2"), title="Puterman's two-state MDP")
    else:
        lay = auto_layout(mdp, title=name)
    return _add_absorbing(lay, mdp)


def gym_layout(env_id: str, mdp, **make_kwargs) -> Layout:
    """The layout of ``tabular.from_gymnasium(env_id, gamma, **make_kwargs)``.

    FrozenLake (any map, ``desc`` read from the environment) and CliffWalking (4 x 12) are grids,
    Taxi is drawn by :func:`taxi_layout`; other environments get :func:`auto_layout`. The model's last
    state, the absorbing terminal state added by :func:`tabular.from_gymnasium`, is off the map.

    Examples
    --------
    >>> import tabular as T
    >>> from experiments.explore.layout import gym_layout
    >>> mdp = T.from_gymnasium("FrozenLake-v1", 0.9)
    >>> lay = gym_layout("FrozenLake-v1", mdp)
    >>> print(lay.shape, lay.action_names, lay.off_map)
    (4, 4) ('left', 'down', 'right', 'up') [16]
    >>> print([s for s, k in sorted(lay.marks.items()) if k == "hole"])
    [5, 7, 11, 12]
    """
    S, A = mdp.shape
    base = env_id.split("/")[-1]
    if base.startswith("FrozenLake"):
        import gymnasium as gym

        desc = np.asarray(gym.make(env_id, **make_kwargs).unwrapped.desc).astype(str)
        H, W = desc.shape
        kinds = {"S": "start", "H": "hole", "G": "goal"}
        marks = {int(i): kinds[c] for i, c in enumerate(desc.ravel()) if c in kinds}
        marks[S - 1] = "terminal"
        lay = grid_layout(H, W, S, moves=MOVES_LDRU, marks=marks, title=f"{base} {H}x{W}")
    elif base.startswith("Taxi") and S == 501 and A == 6:
        lay = taxi_layout(S, title=base).with_marks({S - 1: "terminal"})
    elif base.startswith("CliffWalking"):
        H, W = 4, 12
        marks = {36: "start", 47: "goal", S - 1: "terminal"}
        marks.update({37 + i: "cliff" for i in range(10)})
        lay = grid_layout(H, W, S, moves=MOVES_URDL, marks=marks, title=base)
    else:
        lay = auto_layout(mdp, title=base).with_marks({S - 1: "terminal"})
    return _add_absorbing(lay, mdp)


#: Taxi's four landmarks, in the order of its passenger locations and destinations (Gymnasium's Taxi).
TAXI_LOCATIONS = ("R", "G", "Y", "B")
#: Taxi's actions as moves (d_row, d_col): south, north, east, west; pickup and dropoff stay (drawn as dots).
TAXI_MOVES = ((1, 0), (-1, 0), (0, 1), (0, -1), (0, 0), (0, 0))


def taxi_layout(n_states: int = 500, title: str = "Taxi") -> Layout:
    """Taxi's 500 states as a 5 x 4 array of 5 x 5 taxi grids, one per (passenger, destination).

    Gymnasium encodes ``s = ((taxi_row * 5 + taxi_col) * 5 + passenger) * 4 + destination`` (passenger
    0-3 at R, G, Y, B, 4 in the taxi; destination 0-3). State ``s`` sits in panel row ``passenger``,
    panel column ``destination``, at the taxi's cell inside it; panels are separated by one empty row
    and column (grid shape 29 x 23). States from 500 on (the terminal state of
    :func:`tabular.from_gymnasium`) are off the map. The panels are named by :attr:`Layout.ticks`.

    Examples
    --------
    >>> from experiments.explore.layout import taxi_layout
    >>> lay = taxi_layout(501)
    >>> print(lay.shape, lay.off_map, lay.action_names[4:])
    (29, 23) [500] ('pickup', 'dropoff')
    >>> s = ((1 * 5 + 2) * 5 + 4) * 4 + 3  # taxi at (1, 2), passenger in the taxi, destination B
    >>> print(lay.cells[s].tolist())
    [25, 20]
    """
    S = int(n_states)
    if S < 500:
        raise ValueError(f"n_states: Taxi has 500 states (501 with the terminal state), got {S}")
    idx = np.arange(500)
    dest, rest = idx % 4, idx // 4
    pas, rest = rest % 5, rest // 5
    col, row = rest % 5, rest // 5
    cells = np.full((S, 2), -1, dtype=np.int64)
    cells[:500, 0], cells[:500, 1] = 6 * pas + row, 6 * dest + col
    pos = np.full((S, 2), np.nan)
    pos[:500, 0], pos[:500, 1] = cells[:500, 1], cells[:500, 0]
    ticks = {"x": tuple((6 * d + 2.0, f"to {n}") for d, n in enumerate(TAXI_LOCATIONS)),
             "y": tuple((6 * p + 2.0, f"pass. {n}") for p, n in enumerate(TAXI_LOCATIONS + ("taxi",)))}
    names = ("south", "north", "east", "west", "pickup", "dropoff")
    return Layout("grid", S, (29, 23), cells, pos, np.array(TAXI_MOVES, dtype=np.int64), names,
                  MappingProxyType({}), title, MappingProxyType(ticks))


def from_spec(spec: dict, mdp, title: str = "") -> Layout:
    """A layout from a JSON-ready dict, e.g. the optional ``"layout"`` entry of an MDP's JSON file::

        {"grid": [4, 4], "moves": "urdl", "marks": {"15": "goal", "5": "hole"}}

    ``"moves"`` may be omitted (actions drawn as bars) and ``"action_names"`` given instead.
    Without ``"grid"`` the MDP is drawn by :func:`auto_layout`.

    Examples
    --------
    >>> import tabular as T
    >>> from experiments.explore.layout import from_spec
    >>> mdp = T.make("gridworld", height=2, width=3)
    >>> lay = from_spec({"grid": [2, 3], "moves": "urdl", "marks": {"5": "goal", "4": "hole"}}, mdp)
    >>> print(lay.shape, sorted(lay.marks.items()))
    (2, 3) [(4, 'hole'), (5, 'goal')]
    """
    if not isinstance(spec, dict):
        raise ValueError(f"a layout spec must be a dict, got {type(spec).__name__}")
    unknown = sorted(set(spec) - {"grid", "moves", "marks", "action_names"})
    if unknown:
        raise ValueError(f"a layout spec has the keys grid, moves, marks, action_names; unknown {unknown}")
    S, A = mdp.shape
    if not isinstance(spec.get("marks", {}), dict):
        raise ValueError(f"marks must be a dict {{state: mark}}, got {type(spec['marks']).__name__}")
    try:
        marks = {int(k): v for k, v in spec.get("marks", {}).items()}
    except ValueError:
        raise ValueError(f"marks: the keys must be state numbers, got {sorted(spec['marks'])}") from None
    if "grid" in spec:
        g = spec["grid"]
        if not (isinstance(g, (list, tuple)) and len(g) == 2 and all(isinstance(v, int) and not isinstance(v, bool)
                                                                      for v in g)):
            raise ValueError(f"grid must be [rows, cols], two integers, got {g!r}")
        H, W = g
        moves = spec.get("moves")
        names = spec.get("action_names")
        if moves is None and names is None:
            names = tuple(f"a{a}" for a in range(A))
        lay = grid_layout(H, W, S, moves=moves, action_names=names, marks=marks, title=title)
    else:
        lay = auto_layout(mdp, title=title).with_marks(_check_marks(marks, S))
    if lay.n_actions != A:
        raise ValueError(f"the layout names {lay.n_actions} actions but the MDP has {A}")
    return _add_absorbing(lay, mdp)

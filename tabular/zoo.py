"""A zoo of named toy MDPs used in teaching, in the literature and in THEORY.md.

* :func:`two_state` -- Puterman (1994), Markov Decision Processes, Section 3.1 (Figure 3.1.1).
* :func:`chain` -- the n-chain of Strens (2000) / Dearden, Friedman & Russell (1998).
* :func:`sutton_barto_gridworld` -- Sutton & Barto (2018), Example 3.5 (Figures 3.2 and 3.5).
* :func:`gridworld` -- a configurable slippery gridworld with a goal (dense or sparse).
* :func:`garnet` -- random Garnet MDPs (Archibald, McKinnon & Thomas 1995), dense or sparse.
* :func:`mdp_x` -- the counterexample MDP X of THEORY.md §6.

Every size argument must be an integer (``garnet(2.5)`` raises ``TypeError``; nothing is truncated),
flags must be ``True`` or ``False``, and a dense model too large for this machine's memory raises
:class:`~tabular.validation.ModelTooLargeError` (a ``MemoryError`` and a ``ValueError``) before
anything is allocated, with the memory it would need and a pointer to ``sparse=True``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .validation import (
    check_bool,
    check_dense_size,
    check_gamma,
    check_int,
    check_real,
    check_unit_interval,
    describe,
)
from .mdp import MDP

__all__ = ["two_state", "chain", "sutton_barto_gridworld", "gridworld", "garnet", "mdp_x", "ZOO", "make"]


def two_state(gamma: float = 0.95) -> MDP:
    """Puterman's two-state example (Puterman 1994, Section 3.1, Figure 3.1.1).

    State s1 has action a11 (reward 5; stay w.p. 0.5, move to s2 w.p. 0.5) and action a12
    (reward 10; move to s2). State s2 has a single action a21 (reward -1; stay). Since our arrays
    need a common action count, s2's second action duplicates a21. Start uniformly.

    Examples
    --------
    The optimal values match Puterman's ``v*(s1) = -8.57`` and ``v*(s2) = -20`` for gamma = 0.95:

    >>> import numpy as np
    >>> from tabular import two_state, optimal
    >>> mdp = two_state()
    >>> mdp
    MDP(S=2, A=2, gamma=0.95, dense)
    >>> print(np.round(optimal(mdp).V, 2))
    [ -8.57 -20.  ]
    """
    gamma = check_gamma(gamma)
    P = np.zeros((2, 2, 2))
    P[0, 0] = [0.5, 0.5]
    P[0, 1] = [0.0, 1.0]
    P[1, :, 1] = 1.0
    R = np.array([[5.0, 10.0], [-1.0, -1.0]])
    return MDP(P, R, np.array([0.5, 0.5]), gamma)


def chain(
    n: int = 5,
    slip: float = 0.2,
    gamma: float = 0.99,
    small: float = 2.0,
    large: float = 10.0,
    sparse: bool = False,
) -> MDP:
    """The n-chain (Strens 2000; Dearden et al. 1998), a classic exploration example.

    Action 0 ("forward") moves from state i to i+1 with reward 0; at the last state it stays and
    earns ``large``. Action 1 ("back") returns to state 0 and earns ``small``. With probability
    ``slip`` the other action's effect happens instead. Start in state 0. ``sparse=True`` builds a
    CSR model.

    Examples
    --------
    >>> from tabular import chain, optimal
    >>> mdp = chain(5, slip=0.2)
    >>> mdp
    MDP(S=5, A=2, gamma=0.99, dense)
    >>> print(optimal(mdp).pi.argmax(axis=1))  # walking forward is optimal everywhere
    [0 0 0 0 0]
    >>> chain(5, sparse=True).is_sparse
    True
    """
    n = check_int(n, "n")
    if n < 2:
        raise ValueError(f"chain needs n >= 2 states, got {n}")
    slip = check_unit_interval(slip, "slip")
    gamma = check_gamma(gamma)
    small, large = check_real(small, "small"), check_real(large, "large")
    if not check_bool(sparse, "sparse"):
        check_dense_size(n, 2, "a dense chain", copies=2)
    s = np.arange(n)
    fwd = np.minimum(s + 1, n - 1)
    r_fwd = np.where(s == n - 1, large, 0.0)
    # rows s*2 + a; each row has a "forward" and a "back" outcome (summed if they coincide)
    rows = np.concatenate([2 * s, 2 * s, 2 * s + 1, 2 * s + 1])
    cols = np.concatenate([fwd, np.zeros(n, int), np.zeros(n, int), fwd])
    data = np.concatenate([np.full(n, 1 - slip), np.full(n, slip), np.full(n, 1 - slip), np.full(n, slip)])
    Pf = sp.csr_array((data, (rows, cols)), shape=(2 * n, n))
    R = np.stack([(1 - slip) * r_fwd + slip * small, (1 - slip) * small + slip * r_fwd], axis=1)
    rho0 = np.zeros(n)
    rho0[0] = 1.0
    return MDP(Pf if sparse else Pf.toarray().reshape(n, 2, n), R, rho0, gamma)


_MOVES = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]])  # up, right, down, left (row, col)


def sutton_barto_gridworld(gamma: float = 0.9) -> MDP:
    """The 5x5 gridworld of Sutton & Barto (2018), Example 3.5.

    Actions up/right/down/left (0-3) move deterministically; moving off the grid leaves the state
    unchanged with reward -1. Every action in A=(0,1) gives +10 and jumps to A'=(4,1); every action
    in B=(0,3) gives +5 and jumps to B'=(2,3). Other moves give 0. States are row-major ``5*row+col``.
    The book's Figure 3.2 gives ``V`` of the equiprobable policy and Figure 3.5 ``V*`` for gamma=0.9.
    Start uniformly over the 25 cells.

    Examples
    --------
    The optimal values reproduce the book's Figure 3.5 (top row: 22.0 24.4 22.0 19.4 17.5):

    >>> import numpy as np
    >>> from tabular import sutton_barto_gridworld, optimal
    >>> mdp = sutton_barto_gridworld()
    >>> print(np.round(optimal(mdp).V.reshape(5, 5)[0], 1))
    [22.  24.4 22.  19.4 17.5]
    """
    gamma = check_gamma(gamma)
    n = 5
    S = n * n
    P = np.zeros((S, 4, S))
    R = np.zeros((S, 4))
    for r in range(n):
        for c in range(n):
            s = n * r + c
            for a, (dr, dc) in enumerate(_MOVES):
                if (r, c) == (0, 1):
                    P[s, a, n * 4 + 1] = 1.0
                    R[s, a] = 10.0
                elif (r, c) == (0, 3):
                    P[s, a, n * 2 + 3] = 1.0
                    R[s, a] = 5.0
                else:
                    rr, cc = r + dr, c + dc
                    if 0 <= rr < n and 0 <= cc < n:
                        P[s, a, n * rr + cc] = 1.0
                    else:
                        P[s, a, s] = 1.0
                        R[s, a] = -1.0
    return MDP(P, R, np.full(S, 1.0 / S), gamma)


def gridworld(
    height: int = 4,
    width: int = 4,
    slip: float = 0.1,
    gamma: float = 0.95,
    goal: tuple[int, int] | None = None,
    step_reward: float = 0.0,
    goal_reward: float = 1.0,
    sparse: bool = False,
) -> MDP:
    """A slippery gridworld: 4 actions (up, right, down, left), goal absorbing.

    With probability ``1 - slip`` the chosen move happens; with ``slip`` a uniformly random one of
    the four moves happens instead. Moves into a wall stay put. Entering the goal (default: the
    bottom-right cell) earns ``goal_reward``; every other step earns ``step_reward``. The goal is
    absorbing with zero reward. Start at the top-left cell. ``sparse=True`` builds a CSR model,
    suitable for very large grids (a dense one needs ``32 S^2`` bytes: 2.6 PB for 3000 x 3000).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import gridworld, optimal
    >>> mdp = gridworld(3, 4, slip=0.1, sparse=True)
    >>> mdp
    MDP(S=12, A=4, gamma=0.95, sparse, nnz=168)
    >>> V = optimal(mdp).V
    >>> bool(V[0] < V[10])  # the start is farther from the goal (cell 11) than its neighbour
    True
    """
    height, width = check_int(height, "height"), check_int(width, "width")
    if height < 1 or width < 1 or height * width < 2:
        raise ValueError(f"gridworld needs at least 2 cells, got {height}x{width}")
    slip = check_unit_interval(slip, "slip")
    gamma = check_gamma(gamma)
    step_reward = check_real(step_reward, "step_reward")
    goal_reward = check_real(goal_reward, "goal_reward")
    if goal is None:
        gr, gc = height - 1, width - 1
    else:
        if isinstance(goal, (str, bytes)) or not hasattr(goal, "__len__") or len(goal) != 2:
            raise TypeError(f"goal must be a (row, column) pair of integers or None, got {describe(goal)}")
        gr, gc = check_int(goal[0], "goal[0] (row)"), check_int(goal[1], "goal[1] (column)")
    if not (0 <= gr < height and 0 <= gc < width):
        raise ValueError(f"goal {goal} lies outside the {height}x{width} grid")
    if not check_bool(sparse, "sparse"):
        check_dense_size(height * width, 4, f"a dense {height}x{width} gridworld", copies=2,
                         sparse_hint="pass sparse=True for a CSR model (4 moves per state and action)")
    S = height * width
    g_idx = gr * width + gc
    rows_, cols_ = np.divmod(np.arange(S), width)
    # next state for each (s, move)
    nxt = np.empty((S, 4), dtype=np.int64)
    for m, (dr, dc) in enumerate(_MOVES):
        rr, cc = rows_ + dr, cols_ + dc
        ok = (rr >= 0) & (rr < height) & (cc >= 0) & (cc < width)
        nxt[:, m] = np.where(ok, rr * width + cc, np.arange(S))
    nxt[g_idx, :] = g_idx
    # probability of each move given each action
    move_prob = np.full((4, 4), slip / 4.0) + np.eye(4) * (1.0 - slip)
    r_idx = np.repeat(np.arange(S * 4), 4)  # row s*4+a, repeated over moves
    s_of = r_idx // 4
    a_of = r_idx % 4
    m_of = np.tile(np.arange(4), S * 4)
    data = move_prob[a_of, m_of]
    cols = nxt[s_of, m_of]
    Pf = sp.csr_array((data, (r_idx, cols)), shape=(S * 4, S))
    Pf.sum_duplicates()
    Pf.eliminate_zeros()
    enter_goal = (cols == g_idx) & (s_of != g_idx)
    R = np.full((S, 4), float(step_reward))
    R[g_idx, :] = 0.0
    np.add.at(R.ravel(), (s_of * 4 + a_of)[enter_goal], (data * (goal_reward - step_reward))[enter_goal])
    rho0 = np.zeros(S)
    rho0[0] = 1.0
    if g_idx == 0:
        rho0[:] = 0.0
        rho0[1] = 1.0
    P = Pf if sparse else Pf.toarray().reshape(S, 4, S)
    return MDP(P, R, rho0, gamma)


def garnet(
    n_states: int = 10,
    n_actions: int = 3,
    branching: int = 3,
    rng=None,
    gamma: float = 0.9,
    sparse: bool = False,
    reward: str = "uniform",
) -> MDP:
    """A random Garnet MDP (Archibald, McKinnon & Thomas 1995; Bhatnagar et al. 2009).

    Each ``(s, a)`` reaches ``branching`` distinct next states chosen uniformly without replacement,
    with probabilities given by a uniformly random partition of [0, 1] (spacings of sorted uniforms).
    Rewards ``r(s, a) ~ U[0, 1]`` (``reward="uniform"``) or ``U[-1, 1]`` (``"signed"``). Start
    uniformly. ``sparse=True`` builds a CSR model, fit for ``n_states`` in the hundreds of thousands.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import garnet
    >>> mdp = garnet(20, 3, branching=2, rng=0)
    >>> mdp
    MDP(S=20, A=3, gamma=0.9, dense)
    >>> print(int(np.count_nonzero(mdp.P[0, 0])), bool(np.allclose(mdp.P.sum(axis=-1), 1.0)))
    2 True
    """
    S = check_int(n_states, "n_states")
    A = check_int(n_actions, "n_actions")
    b = check_int(branching, "branching")
    if S < 1 or A < 1:
        raise ValueError(f"garnet needs n_states >= 1 and n_actions >= 1, got {S}, {A}")
    if not 1 <= b <= S:
        raise ValueError(f"branching must lie in [1, n_states={S}], got {b}")
    check_gamma(gamma)
    if reward not in ("uniform", "signed"):
        raise ValueError(f"reward must be 'uniform' or 'signed', got {reward!r}")
    if not check_bool(sparse, "sparse"):
        check_dense_size(S, A, "a dense Garnet MDP", copies=2)
    elif b * 4 >= S:  # the draw of successors below sorts S random keys per row
        check_dense_size(S, A, f"a sparse Garnet MDP with branching {b} >= n_states / 4",
                         sparse_hint="use a smaller branching (below n_states / 4)")
    rng = np.random.default_rng(rng)
    n = S * A
    # distinct next states per row: sample b distinct states by sorting random keys (small b) --
    # for b << S use rejection-free Floyd-like trick: random offsets from a random start.
    if b * 4 >= S:
        cols = np.argsort(rng.random((n, S)), axis=1)[:, :b]
    else:
        cols = rng.integers(0, S, size=(n, b))
        for _ in range(100):
            srt = np.sort(cols, axis=1)
            dup = np.any(srt[:, 1:] == srt[:, :-1], axis=1)
            if not dup.any():
                break
            cols[dup] = rng.integers(0, S, size=(int(dup.sum()), b))
    cuts = np.sort(rng.random((n, b - 1)), axis=1)
    probs = np.diff(np.concatenate([np.zeros((n, 1)), cuts, np.ones((n, 1))], axis=1), axis=1)
    if reward == "uniform":
        R = rng.random((S, A))
    elif reward == "signed":
        R = rng.uniform(-1.0, 1.0, size=(S, A))
    else:
        raise ValueError(f"reward must be 'uniform' or 'signed', got {reward!r}")
    rows = np.repeat(np.arange(n), b)
    Pf = sp.csr_array((probs.ravel(), (rows, cols.ravel())), shape=(n, S))
    P = Pf if sparse else Pf.toarray().reshape(S, A, S)
    return MDP(P, R, np.full(S, 1.0 / S), gamma)


def mdp_x(gamma: float = 0.9) -> MDP:
    """The counterexample MDP X of THEORY.md §6.

    States s0, s1, s2; actions a0, a1; start at s0. From s0, a0 -> s1 and a1 -> s2 (reward 0);
    s1 and s2 are absorbing; r(s1, .) = 0, r(s2, a0) = +1, r(s2, a1) = -1.

    Examples
    --------
    >>> from tabular import mdp_x, optimal
    >>> mdp = mdp_x(gamma=0.9)
    >>> res = optimal(mdp)
    >>> print(res.pi.argmax(axis=1)[0], round(float(res.eta), 6))  # go to s2, then earn +1 forever
    1 9.0
    """
    gamma = check_gamma(gamma)
    P = np.zeros((3, 2, 3))
    P[0, 0, 1] = 1.0
    P[0, 1, 2] = 1.0
    P[1, :, 1] = 1.0
    P[2, :, 2] = 1.0
    R = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, -1.0]])
    return MDP(P, R, np.array([1.0, 0.0, 0.0]), gamma)


ZOO = {
    "two_state": two_state,
    "chain": chain,
    "sutton_barto_gridworld": sutton_barto_gridworld,
    "gridworld": gridworld,
    "garnet": garnet,
    "mdp_x": mdp_x,
}


def make(name: str, **kwargs) -> MDP:
    """Build a zoo MDP by name, e.g. ``make("garnet", n_states=50, rng=0)``.

    Examples
    --------
    >>> from tabular import make
    >>> make("garnet", n_states=50, rng=0)
    MDP(S=50, A=3, gamma=0.9, dense)
    >>> make("two_state", gamma=0.5).gamma
    0.5
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be the name of a zoo MDP (a str, one of {sorted(ZOO)}), got {describe(name)}")
    if name not in ZOO:
        raise ValueError(f"unknown zoo MDP {name!r}; known: {sorted(ZOO)}")
    return ZOO[name](**kwargs)

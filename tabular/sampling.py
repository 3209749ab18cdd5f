"""A vectorized trajectory sampler for finite MDPs, dense or sparse.

Episodes start at ``s_0 ~ rho0`` (or at given start states), take ``a_t ~ pi(.|s_t)``, receive the
**expected** reward ``r_t = R[s_t, a_t]`` and move to ``s_{t+1} ~ P[s_t, a_t, .]``. All episodes
advance together, one time step per vectorized operation.

Truncation: an episode is cut after ``horizon = H`` steps. The truncated discounted return
``sum_{t<H} gamma^t r_t`` differs from the infinite-horizon one by at most
``gamma^H max|R| / (1 - gamma)`` (THEORY.md §1); :func:`horizon_for` picks the smallest ``H`` making
``gamma^H`` at most a tolerance, and :func:`truncation_bound` states the bias bound.

Inverse-CDF sampling: every categorical draw (start state, action, next state) takes one uniform
``u`` and returns the first index whose row-wise cumulative probability exceeds ``u * total``. The
cumulative sums are sequential, so a dense row (zeros included) and its sparse CSR row (sorted
indices) have bitwise-identical cumulative values at the stored entries: **a dense MDP and its
sparse copy give identical samples for the same ``rng``.**
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from .validation import (
    as_rng,
    as_index_array,
    as_policy,
    check_alloc,
    check_gamma,
    check_int,
    check_mdp,
    check_real,
    check_finite,
    check_real_dtype,
    check_tolerance,
    readonly,
)
from .mdp import MDP

__all__ = ["Trajectories", "sample_trajectories", "horizon_for", "truncation_bound"]


@dataclass(frozen=True, eq=False)
class Trajectories:
    """``N`` sampled episodes of length ``H`` (arrays are read-only).

    Attributes
    ----------
    states : (N, H) int array, ``s_t``.
    actions : (N, H) int array, ``a_t``.
    rewards : (N, H) float array, the expected reward ``R[s_t, a_t]``.
    gamma : float, the discount used by the return methods.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import two_state, uniform
    >>> from tabular.sampling import sample_trajectories
    >>> traj = sample_trajectories(two_state(), uniform(2, 2), n_episodes=3, horizon=5, rng=0)
    >>> print(traj.n_episodes, traj.horizon, traj.states.shape, traj.returns_to_go().shape)
    3 5 (3, 5) (3, 5)
    >>> bool(np.allclose(traj.returns_to_go()[:, 0], traj.discounted_returns()))  # G_0 is the return
    True
    """

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    gamma: float

    def __post_init__(self):
        object.__setattr__(self, "gamma", check_gamma(self.gamma))
        shapes = {f: np.shape(getattr(self, f)) for f in ("states", "actions", "rewards")}
        if len(set(shapes.values())) != 1 or len(shapes["states"]) != 2:
            raise ValueError(f"states, actions and rewards must share one (N, H) shape, got {shapes}")
        for f in ("states", "actions"):
            if np.asarray(getattr(self, f)).dtype.kind not in "iu":
                raise TypeError(f"{f} must be an integer array, got dtype {np.asarray(getattr(self, f)).dtype}")
        check_real_dtype(np.asarray(self.rewards), "rewards")

    def __repr__(self) -> str:
        return (f"Trajectories(N={self.n_episodes}, H={self.horizon}, gamma={self.gamma:g}, "
                f"mean_return={float(np.mean(self.discounted_returns())) if self.states.size else 0.0:.6g})")

    def check_indices(self, n_states: int, n_actions: int | None = None, name: str = "traj") -> None:
        """Raise ``ValueError`` naming ``name.states`` / ``name.actions`` / ``name.rewards`` unless every
        state is in ``[0, n_states)``, every action in ``[0, n_actions)`` and every reward finite
        (what a consumer must check before indexing arrays of a model with these sizes)."""
        as_index_array(self.states, f"{name}.states", n_states)
        if n_actions is not None:
            as_index_array(self.actions, f"{name}.actions", n_actions)
        check_finite(np.asarray(self.rewards, dtype=np.float64), f"{name}.rewards")

    @property
    def n_episodes(self) -> int:
        """Number of episodes ``N``."""
        return int(self.states.shape[0])

    @property
    def horizon(self) -> int:
        """Episode length ``H``."""
        return int(self.states.shape[1])

    def discounts(self) -> np.ndarray:
        """``gamma^t`` for ``t = 0..H-1`` (with ``0^0 = 1``), shape (H,)."""
        return self.gamma ** np.arange(self.horizon, dtype=np.float64)

    def discounted_returns(self) -> np.ndarray:
        """``G_i = sum_{t<H} gamma^t r_t`` per episode, shape (N,).

        An unbiased estimate of ``eta(pi)`` up to the truncation bias, at most
        ``gamma^H max|R| / (1 - gamma)`` in absolute value.
        """
        return self.rewards @ self.discounts()

    def returns_to_go(self) -> np.ndarray:
        """``G_t = sum_{t <= t' < H} gamma^(t'-t) r_t'``, shape (N, H).

        These are the single-path estimates of ``Q_pi(s_t, a_t)`` of Section 5.1 of [TRPO].

        Computed by the backward recursion ``G_t = r_t + gamma G_{t+1}``, ``G_H = 0``. Truncation
        biases ``G_t`` by at most ``gamma^(H-t) max|R| / (1 - gamma)``: late time steps are biased.
        """
        out = np.empty_like(self.rewards)
        acc = np.zeros(self.n_episodes)
        for t in range(self.horizon - 1, -1, -1):
            acc = self.rewards[:, t] + self.gamma * acc
            out[:, t] = acc
        return out


def horizon_for(gamma: float, tol: float = 1e-8) -> int:
    """The smallest ``H >= 1`` with ``gamma^H <= tol``.

    Truncating at this ``H`` biases a discounted return by at most ``tol max|R| / (1 - gamma)``.
    ``gamma = 0`` gives ``H = 1``.

    Examples
    --------
    >>> from tabular.sampling import horizon_for
    >>> H = horizon_for(0.95, tol=1e-6)
    >>> print(H, 0.95 ** H <= 1e-6 < 0.95 ** (H - 1))
    270 True
    """
    gamma = check_gamma(gamma)
    tol = check_tolerance(tol, "tol", positive=True)
    if not tol < 1.0:
        raise ValueError(f"tol must be a real number in (0, 1), got {tol!r}")
    if gamma == 0.0:
        return 1
    H = max(1, math.ceil(math.log(tol) / math.log(gamma)))
    # guard against rounding of the logarithms in both directions
    while gamma**H > tol:
        H += 1
    while H > 1 and gamma ** (H - 1) <= tol:
        H -= 1
    return H


def truncation_bound(gamma: float, horizon: int, max_abs_reward: float) -> float:
    """Bound ``gamma^H max|r| / (1 - gamma)`` on the bias of a return truncated after ``H`` steps.

    Examples
    --------
    >>> from tabular.sampling import truncation_bound
    >>> print(f"{truncation_bound(0.9, 100, 1.0):.3e}", f"{0.9 ** 100 / 0.1:.3e}")
    2.656e-04 2.656e-04
    """
    gamma = check_gamma(gamma)
    H = _check_positive_int(horizon, "horizon")
    max_abs_reward = check_real(max_abs_reward, "max_abs_reward", lo=0.0)
    out = float(np.float64(gamma) ** H * np.float64(max_abs_reward) / np.float64(1.0 - gamma)) \
        if max_abs_reward > 0 else 0.0
    if not math.isfinite(out):
        raise ValueError(f"max_abs_reward={max_abs_reward!r} is too large: the bound "
                         f"gamma^H max|r| / (1 - gamma) overflows")
    return out


def check_sample_size(n_episodes: int, horizon: int, *, copies: int = 1) -> None:
    """Refuse (``ValueError`` naming ``n_episodes`` or ``horizon`` and the memory) before allocating
    ``copies`` sets of episodes whose states, actions and rewards (``3 * 8 N H`` bytes) would not fit."""
    need = 24.0 * n_episodes * horizon * copies
    name, value = ("horizon", horizon) if horizon >= n_episodes else ("n_episodes", n_episodes)
    check_alloc(need, name, value, f"{n_episodes:,} episodes of {horizon:,} steps (states, actions, rewards)")


def _check_positive_int(x, name: str) -> int:
    """A positive integer: ``TypeError`` for a float such as 2.5 (never truncated), ``ValueError``
    below 1."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {x!r}")
    return check_int(x, name, lo=1)


def first_above(cum: np.ndarray, lo: np.ndarray, width: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Vectorized inverse-CDF draw on segments of the flat cumulative array ``cum``.

    Segment ``i`` is ``cum[lo[i] : lo[i] + width[i]]`` (non-decreasing, last entry = row total
    ``T_i > 0``). Returns the first position ``k`` in the segment with ``cum[k] > x_i``, where
    ``x_i = min(u_i T_i, prev_float(T_i))``; so ``k`` always has positive probability, and a
    total slightly below 1 (rows are validated to 1e-8) is handled exactly.
    """
    hi = lo + width
    total = cum[hi - 1]
    x = np.minimum(u * total, np.nextafter(total, 0.0))
    lo = lo.copy()
    n_iter = int(np.max(width)).bit_length() + 1
    last = cum.size - 1
    for _ in range(n_iter):  # lower-bound bisection; the answer stays in [lo, hi)
        active = lo < hi
        if not active.any():
            break
        mid = np.minimum((lo + hi) // 2, last)
        above = cum[mid] > x
        hi = np.where(active & above, mid, hi)
        lo = np.where(active & ~above, mid + 1, lo)
    return lo


def row_cumsum_csr(P) -> np.ndarray:
    """Sequential cumulative sums of each CSR row's stored values (row-local, no cross-row drift)."""
    counts = np.diff(P.indptr)
    cum = np.empty_like(P.data)
    starts = P.indptr[:-1]
    rows = np.flatnonzero(counts > 0)
    cum[starts[rows]] = P.data[starts[rows]]
    for j in range(1, int(counts.max(initial=0))):
        rows = rows[counts[rows] > j]
        k = starts[rows] + j
        cum[k] = cum[k - 1] + P.data[k]
    return cum


def sample_trajectories(mdp: MDP, pi, n_episodes: int, horizon: int, rng=None, start=None) -> Trajectories:
    """Sample ``n_episodes`` episodes of length ``horizon`` from policy ``pi`` in ``mdp``.

    Parameters
    ----------
    mdp : MDP, dense or sparse.
    pi : (S, A) array_like, a stochastic policy (validated).
    n_episodes : int >= 1
    horizon : int >= 1
        Episode length ``H``. The discounted returns of the result are biased by at most
        ``gamma^H max|R| / (1 - gamma)`` (see :func:`horizon_for`, :func:`truncation_bound`).
    rng : numpy Generator, int or None
        Passed to ``np.random.default_rng``. Draw order: start states (unless ``start`` is given),
        then per step ``t`` one uniform per episode for ``a_t`` and, if ``t < H - 1``, one for
        ``s_{t+1}``. Dense and sparse forms of the same MDP give identical samples.
    start : int or (n_episodes,) int array, optional
        Fixed start state(s); default ``s_0 ~ rho0``.

    Returns
    -------
    Trajectories

    Examples
    --------
    The Monte Carlo mean of the discounted returns agrees with the exact ``eta`` within its standard
    error (the truncation bias is below 1e-5 here):

    >>> import numpy as np
    >>> from tabular import evaluate, two_state, uniform
    >>> from tabular.sampling import horizon_for, sample_trajectories
    >>> mdp, pi = two_state(), uniform(2, 2)
    >>> G = sample_trajectories(mdp, pi, 2000, horizon_for(mdp.gamma, 1e-6), rng=0).discounted_returns()
    >>> se = G.std() / np.sqrt(G.size)
    >>> print(f"exact {evaluate(mdp, pi).eta:.2f}, |MC - exact| < 3 se: {abs(G.mean() - evaluate(mdp, pi).eta) < 3 * se}")
    exact -14.43, |MC - exact| < 3 se: True
    """
    mdp = check_mdp(mdp)
    S, A = mdp.shape
    pi = as_policy(pi, S, A, name="pi")
    N = _check_positive_int(n_episodes, "n_episodes")
    H = _check_positive_int(horizon, "horizon")
    check_sample_size(N, H)
    rng = as_rng(rng)

    # transition cumulative sums: flat array + segment (start, width) per row s*A + a
    if mdp.is_sparse:
        P = mdp.P
        cum_P = row_cumsum_csr(P)
        seg_lo = P.indptr[:-1].astype(np.int64)
        seg_w = np.diff(P.indptr).astype(np.int64)
        next_of = P.indices
    else:
        cum_P = np.cumsum(mdp.P, axis=2).ravel()
        seg_lo = np.arange(S * A, dtype=np.int64) * S
        seg_w = np.full(S * A, S, dtype=np.int64)
        next_of = None
    cum_pi = np.cumsum(pi, axis=1).ravel()
    width_A = np.full(N, A, dtype=np.int64)

    states = np.empty((N, H), dtype=np.int64)
    actions = np.empty((N, H), dtype=np.int64)
    if start is None:
        s = first_above(np.cumsum(mdp.rho0), np.zeros(N, np.int64), np.full(N, S, np.int64), rng.random(N))
    else:
        st = np.asarray(start)
        if not np.issubdtype(st.dtype, np.integer) or st.ndim > 1 or (st.ndim == 1 and st.shape != (N,)):
            raise ValueError(
                f"start must be an integer state or an integer array of shape ({N},), got {start!r}"
            )
        if np.any((st < 0) | (st >= S)):
            raise ValueError(f"start states must lie in [0, {S}), got range [{st.min()}, {st.max()}]")
        s = np.broadcast_to(st, (N,)).astype(np.int64)
    for t in range(H):
        a = first_above(cum_pi, s * A, width_A, rng.random(N)) - s * A
        states[:, t] = s
        actions[:, t] = a
        if t < H - 1:
            row = s * A + a
            k = first_above(cum_P, seg_lo[row], seg_w[row], rng.random(N))
            s = next_of[k].astype(np.int64) if next_of is not None else k - seg_lo[row]
    rewards = mdp.R[states, actions]
    return Trajectories(
        states=readonly(states), actions=readonly(actions), rewards=readonly(rewards), gamma=mdp.gamma
    )

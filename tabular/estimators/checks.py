"""Validation helpers shared by the estimators (positive counts, value vectors, trajectories)."""

from __future__ import annotations

import numbers

import numpy as np

from ..validation import (
    as_float_array,
    check_alloc,
    check_int,
)
from ..gradients import as_theta
from ..sampling import Trajectories


BASELINES_RTG = (None, "constant", "optimal", "optimal_scalar", "time", "state")
BASELINES_REINFORCE = (None, "constant", "optimal", "optimal_scalar")


# ----------------------------------------------------------------------------- validation helpers
def pos_int(x, name: str) -> int:
    """A positive integer: ``TypeError`` for a float such as 2.5 (never truncated), ``ValueError``
    below 1."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {x!r}")
    return check_int(x, name, lo=1)


theta_of = as_theta  # softmax parameters theta[s, a], validated as in tabular.gradients

def values_of(V, S: int, name: str = "V") -> np.ndarray:
    v = as_float_array(V, name, ndim=1)
    if v.shape != (S,):
        raise ValueError(f"{name} must have shape ({S},) (one value per state), got {v.shape}")
    return v


def check_traj(traj, S: int, against: str = "theta", A: int | None = None) -> None:
    """``traj`` a :class:`Trajectories` whose states index ``S`` states (and actions ``A`` actions),
    with finite rewards, and whose per-episode ``(N, S, A)`` estimates fit in memory."""
    if not isinstance(traj, Trajectories):
        raise TypeError(f"traj must be a tabular.sampling.Trajectories, got {type(traj).__name__}")
    if traj.states.size and (traj.states.max() >= S):
        if against == "V":
            raise ValueError(f"V has {S} entries but traj visits state {int(traj.states.max())}")
        raise ValueError(f"traj visits state {int(traj.states.max())} but {against} has only {S} states")
    traj.check_indices(S, A)
    if A is not None:
        check_alloc(8.0 * 3 * traj.n_episodes * S * A, "traj", traj, "the per-episode (N, S, A) estimates")

"""Validation helpers shared by the estimators (positive counts, value vectors, trajectories)."""

from __future__ import annotations

import numbers

import numpy as np

from ..validation import (
    as_float_array,
    as_index_array,
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
    if A is None and traj.actions.size and traj.actions.min() < 0:
        raise ValueError(f"traj.actions must be non-negative action indices, got {int(traj.actions.min())}")
    if A is not None:
        check_alloc(8.0 * 3 * traj.n_episodes * S * A, "traj", traj, "the per-episode (N, S, A) estimates")


def check_samples(samples, S: int, A: int, name: str = "samples", against: str = "theta"):
    """``samples`` a :class:`SurrogateSamples` usable with a policy of ``S`` states and ``A`` actions:
    equal-length 1-D arrays, states and actions in range, ``group`` in ``[0, n_groups)``, finite
    ``q_hat`` and ``weights``, ``q_prob`` in ``(0, 1]``; ``ValueError`` naming ``name.field`` otherwise."""
    from .results import SurrogateSamples  # noqa: PLC0415  (results imports nothing from here)

    if not isinstance(samples, SurrogateSamples):
        raise TypeError(f"{name} must be a SurrogateSamples, got {type(samples).__name__}")
    if samples.n_states is not None and samples.n_actions is not None \
            and (samples.n_states, samples.n_actions) != (S, A):
        raise ValueError(f"{name} were drawn from an MDP of shape ({samples.n_states}, {samples.n_actions}), "
                         f"but {against} is a policy of shape ({S}, {A})")
    n = pos_int(samples.n_groups, f"{name}.n_groups")
    M = np.shape(samples.states)
    for f in ("states", "actions", "q_hat", "q_prob", "weights", "group"):
        if np.shape(getattr(samples, f)) != M or len(M) != 1:
            raise ValueError(f"{name}.{f} must be a 1-D array like {name}.states (shape {M}), "
                             f"got shape {np.shape(getattr(samples, f))}")
    as_index_array(samples.states, f"{name}.states", S)
    as_index_array(samples.actions, f"{name}.actions", A)
    as_index_array(samples.group, f"{name}.group", n)
    for f in ("q_hat", "weights"):
        as_float_array(getattr(samples, f), f"{name}.{f}")
    q = as_float_array(samples.q_prob, f"{name}.q_prob")
    if q.size and not (np.all(q > 0) and np.all(q <= 1.0)):
        raise ValueError(f"{name}.q_prob must be sampling probabilities in (0, 1], got range [{q.min():.3g}, {q.max():.3g}]")
    return samples

"""Exact tabular models of Gymnasium's toy-text environments.

:func:`from_gymnasium` reads the transition table ``env.unwrapped.P[s][a]``, a list of
``(prob, next_state, reward, terminated)`` tuples (FrozenLake, CliffWalking, Taxi), and builds the
exact :class:`~tabular.mdp.MDP`:

* duplicate outcomes are summed;
* ``r(s, a) = sum prob * reward`` is the expected reward;
* every ``terminated`` transition goes to one extra absorbing, zero-reward state (index ``S``), so
  that the discounted return of the model equals the return of an episode;
* ``rho0`` is the environment's ``initial_state_distrib``.

Gymnasium is imported only when this function is called (install the ``gymnasium`` extra).
"""

from __future__ import annotations

import numpy as np

from .mdp import MDP

__all__ = ["from_gymnasium"]


def from_gymnasium(env_or_id, gamma: float, **make_kwargs) -> MDP:
    """Build the exact MDP of a Gymnasium toy-text environment.

    Parameters
    ----------
    env_or_id : str or gymnasium.Env
        An environment id (``"FrozenLake-v1"``, ``"FrozenLake8x8-v1"``, ``"CliffWalking-v1"``,
        ``"Taxi-v4"``...), made with ``make_kwargs`` (e.g. ``is_slippery=False``, ``map_name="8x8"``),
        or an environment instance, possibly wrapped (TimeLimit, OrderEnforcing...).
    gamma : float
        Discount factor in [0, 1).

    Returns
    -------
    MDP with ``S_env + 1`` states; the last one is the absorbing terminal state.

    Raises
    ------
    ValueError
        If the environment has no tabular model (no ``P`` table, or a non-discrete space).
    """
    try:
        import gymnasium as gym
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("from_gymnasium needs gymnasium: pip install 'trpo-theory[gymnasium]'") from exc

    env = gym.make(env_or_id, **make_kwargs) if isinstance(env_or_id, str) else env_or_id
    if make_kwargs and not isinstance(env_or_id, str):
        raise ValueError("make_kwargs are only used with an environment id, not an environment instance")
    base = env.unwrapped
    name = getattr(getattr(env, "spec", None), "id", type(base).__name__)
    obs, act = env.observation_space, env.action_space
    if not (isinstance(obs, gym.spaces.Discrete) and isinstance(act, gym.spaces.Discrete)):
        raise ValueError(
            f"environment {name} has no tabular model: observation and action spaces must be "
            f"Discrete, got {obs} and {act}"
        )
    table = getattr(base, "P", None)
    if not isinstance(table, dict):
        raise ValueError(
            f"environment {name} has no tabular model: env.unwrapped.P (a dict of transition lists) "
            "is missing"
        )
    S, A = int(obs.n), int(act.n)
    start = getattr(base, "initial_state_distrib", None)
    if start is None:
        raise ValueError(f"environment {name} exposes no initial_state_distrib; cannot build rho0")
    T = S  # absorbing terminal state
    P = np.zeros((S + 1, A, S + 1))
    R = np.zeros((S + 1, A))
    for s in range(S):
        if s not in table:
            raise ValueError(f"environment {name}: state {s} missing from env.unwrapped.P")
        for a in range(A):
            outcomes = table[s].get(a) if isinstance(table[s], dict) else table[s][a]
            if not outcomes:
                raise ValueError(f"environment {name}: no outcomes for state {s}, action {a}")
            for prob, nxt, reward, terminated in outcomes:
                P[s, a, T if terminated else int(nxt)] += prob  # duplicates summed
                R[s, a] += prob * reward  # expected reward
    P[T, :, T] = 1.0
    rho0 = np.zeros(S + 1)
    rho0[:S] = np.asarray(start, dtype=np.float64)
    return MDP(P, R, rho0, gamma)

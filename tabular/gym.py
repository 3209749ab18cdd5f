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

import difflib

import numpy as np

from .mdp import MDP
from .validation import check_dense_size, check_gamma, describe

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
    TypeError
        If ``env_or_id`` is neither a str nor a Gymnasium environment.
    ValueError
        If the id is not registered in the installed Gymnasium (the message names the registered
        versions of the same environment, e.g. ``Taxi-v4`` for the removed ``Taxi-v3``), or the
        environment has no tabular model (no ``P`` table, or a non-discrete space).

    Examples
    --------
    On the deterministic 4x4 FrozenLake the goal is 6 moves away and its reward 1 is earned on the 6th,
    so the optimal return is ``gamma^5``:

    >>> from tabular import from_gymnasium, optimal
    >>> mdp = from_gymnasium("FrozenLake-v1", gamma=0.9, is_slippery=False)
    >>> mdp  # 16 cells and the absorbing terminal state
    MDP(S=17, A=4, gamma=0.9, dense)
    >>> print(f"{optimal(mdp).eta:.6f} {0.9 ** 5:.6f}")
    0.590490 0.590490
    """
    gamma = check_gamma(gamma)
    try:
        import gymnasium as gym
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("from_gymnasium needs gymnasium: pip install 'trpo-theory[gymnasium]'") from exc

    if isinstance(env_or_id, str):
        _check_registered(gym, env_or_id)
        env = _make(gym, env_or_id, make_kwargs)
    elif isinstance(env_or_id, gym.Env):
        if make_kwargs:
            raise ValueError("make_kwargs are only used with an environment id, not an environment instance")
        env = env_or_id
    else:
        raise TypeError("env_or_id must be a Gymnasium environment id (a str such as 'FrozenLake-v1') or a "
                        f"gymnasium.Env instance, got {describe(env_or_id)}")
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
    check_dense_size(S + 1, A, f"environment {name}", sparse_hint=None)
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
                if not (isinstance(nxt, (int, np.integer)) and 0 <= nxt < S):
                    raise ValueError(f"environment {name}: env.unwrapped.P[{s}][{a}] leads to state {nxt!r}, "
                                     f"outside [0, {S})")
                P[s, a, T if terminated else int(nxt)] += prob  # duplicates summed
                R[s, a] += prob * reward  # expected reward
    P[T, :, T] = 1.0
    rho0 = np.zeros(S + 1)
    rho0[:S] = np.asarray(start, dtype=np.float64)
    return MDP(P, R, rho0, gamma)


def _make(gym, env_id: str, make_kwargs: dict):
    """``gym.make(env_id, **make_kwargs)``, with a rejected keyword argument reported as a ``ValueError``
    (a bad value, e.g. ``map_name="9x9"``) or ``TypeError`` (an unknown keyword) naming it."""
    try:
        return gym.make(env_id, **make_kwargs)
    except KeyError as exc:  # a value looked up in a table of the environment (FrozenLake's MAPS)
        key = exc.args[0] if exc.args else None
        names = [k for k, v in make_kwargs.items() if isinstance(v, str) and v == key] or list(make_kwargs)
        choices = ""
        if "map_name" in names and env_id.startswith("FrozenLake"):
            from gymnasium.envs.toy_text.frozen_lake import MAPS  # noqa: PLC0415

            choices = f"; expected one of {sorted(MAPS)} (or pass desc=[...] for a custom map)"
        raise ValueError(f"{' / '.join(names) or 'make_kwargs'} = {key!r} is not accepted by {env_id}"
                         f"{choices}") from None
    except TypeError as exc:
        raise TypeError(f"make_kwargs {sorted(make_kwargs)} rejected by {env_id}: {exc}") from None
    except (ValueError, AssertionError, IndexError) as exc:
        raise ValueError(f"make_kwargs {make_kwargs!r:.200} rejected by {env_id}: {exc}") from None


def _check_registered(gym, env_id: str) -> None:
    """Raise ``ValueError`` unless ``env_id`` is in the installed Gymnasium's registry, naming the
    registered versions of the same environment (read from the registry, not hard-coded)."""
    registry = gym.envs.registration.registry
    if env_id in registry:
        return
    where = f"gymnasium {gym.__version__}"
    try:
        ns, name, version = gym.envs.registration.parse_env_id(env_id)
    except gym.error.Error as exc:
        raise ValueError(f"env_or_id {env_id!r} is not a Gymnasium environment id ({exc})") from None
    same = sorted((spec.version or 0, spec.id) for spec in registry.values()
                  if spec.namespace == ns and spec.name == name)
    if same and version is None:
        return  # an unversioned id: gymnasium makes the newest version (with its own warning)
    if same:
        ids = ", ".join(repr(i) for _, i in same)
        newest = same[-1][1]
        if version < same[-1][0]:
            raise ValueError(f"env_or_id {env_id!r} no longer exists in {where} (that version was removed); "
                             f"registered: {ids}. Use {newest!r}, e.g. from_gymnasium({newest!r}, gamma)")
        raise ValueError(f"env_or_id {env_id!r} does not exist in {where}; registered: {ids}. "
                         f"Use {newest!r}, e.g. from_gymnasium({newest!r}, gamma)")
    close = difflib.get_close_matches(env_id, list(registry), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(f"env_or_id {env_id!r} is not registered in {where}{hint} (toy-text environments "
                     "with tabular models: FrozenLake, CliffWalking, Taxi)")

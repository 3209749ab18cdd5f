"""Tests of ``tabular/gym.py``: exact models of Gymnasium's toy-text environments.

Two independent checks: the model is compared entry by entry with the environment's own table
``env.unwrapped.P`` (accumulated here with plain dictionaries), and the exact ``eta`` of a fixed
stochastic policy is compared with a Monte Carlo estimate obtained by running the real environment
(``env.reset(seed=...)`` / ``env.step``), within 4 standard errors.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

from tabular import MDP, evaluate, from_gymnasium, uniform  # noqa: E402

ENVS = [
    ("FrozenLake-v1", {}),
    ("FrozenLake-v1", {"is_slippery": False}),
    ("FrozenLake-v1", {"map_name": "8x8"}),
    ("FrozenLake-v1", {"map_name": "8x8", "is_slippery": False}),
    ("FrozenLake8x8-v1", {}),
    ("CliffWalking-v1", {}),
    ("Taxi-v4", {}),
]


def _reference_model(env):
    """{(s, a): ({next or 'T': prob}, expected reward)} straight from env.unwrapped.P."""
    out = {}
    for s, by_action in env.unwrapped.P.items():
        for a, outcomes in by_action.items():
            probs = defaultdict(float)
            reward = 0.0
            for prob, nxt, r, terminated in outcomes:
                probs["T" if terminated else int(nxt)] += prob
                reward += prob * r
            out[s, a] = (dict(probs), reward)
    return out


@pytest.mark.parametrize("env_id, kwargs", ENVS, ids=[f"{e}-{k}" for e, k in ENVS])
def test_model_matches_the_environment_table(env_id, kwargs):
    env = gym.make(env_id, **kwargs)
    mdp = from_gymnasium(env_id, gamma=0.9, **kwargs)
    S, A = int(env.observation_space.n), int(env.action_space.n)
    T = S
    assert isinstance(mdp, MDP) and mdp.shape == (S + 1, A) and mdp.gamma == 0.9
    P = mdp.dense_P()
    ref = _reference_model(env)
    assert len(ref) == S * A
    for (s, a), (probs, reward) in ref.items():
        expected = np.zeros(S + 1)
        for nxt, p in probs.items():
            expected[T if nxt == "T" else nxt] += p
        np.testing.assert_allclose(P[s, a], expected, rtol=0, atol=1e-12, err_msg=f"P[{s}, {a}]")
        assert mdp.R[s, a] == pytest.approx(reward, abs=1e-12)
    # the extra terminal state is absorbing with zero reward and never a start state
    assert np.all(P[T, :, T] == 1.0) and np.all(mdp.R[T] == 0.0) and mdp.rho0[T] == 0.0
    np.testing.assert_allclose(mdp.rho0[:S], env.unwrapped.initial_state_distrib, rtol=0, atol=1e-15)
    evaluate(mdp, uniform(mdp))  # the model is usable


def test_frozenlake_known_structure():
    """FrozenLake 4x4 (SFFF / FHFH / FFFH / HFFG): deterministic version, from state 14 "right"
    (action 2) reaches the goal 15 with reward 1 and ends; the start is state 0."""
    mdp = from_gymnasium("FrozenLake-v1", gamma=0.5, is_slippery=False)
    T = 16
    assert mdp.dense_P()[14, 2, T] == 1.0 and mdp.R[14, 2] == 1.0
    assert mdp.rho0[0] == 1.0
    # slippery version: the intended move and the two perpendicular ones, 1/3 each
    slip = from_gymnasium("FrozenLake-v1", gamma=0.5)
    assert slip.R[14, 2] == pytest.approx(1 / 3, abs=1e-15)
    assert slip.dense_P()[14, 2, T] == pytest.approx(1 / 3, abs=1e-15)


def test_works_through_wrappers_and_instances():
    env = gym.make("FrozenLake-v1")
    assert env is not env.unwrapped  # TimeLimit(OrderEnforcing(PassiveEnvChecker(...)))
    assert isinstance(env, gym.wrappers.TimeLimit)
    a = from_gymnasium(env, gamma=0.8)
    b = from_gymnasium(env.unwrapped, gamma=0.8)
    c = from_gymnasium("FrozenLake-v1", gamma=0.8)
    np.testing.assert_array_equal(a.P, b.P)
    np.testing.assert_array_equal(a.P, c.P)
    np.testing.assert_array_equal(a.R, c.R)
    with pytest.raises(ValueError, match="make_kwargs"):
        from_gymnasium(env, gamma=0.8, is_slippery=False)


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Blackjack-v1"])
def test_env_without_tabular_model(env_id):
    with pytest.raises(ValueError, match="no tabular model"):
        from_gymnasium(env_id, gamma=0.9)


def test_bad_gamma():
    with pytest.raises(ValueError, match="gamma"):
        from_gymnasium("FrozenLake-v1", gamma=1.0)


# ----------------------------------------------------------------------------- Monte Carlo
def _monte_carlo_eta(env, pi: np.ndarray, gamma: float, n_episodes: int, seed: int):
    """Mean and standard error of the discounted return of ``pi`` in the real environment.

    Episodes end at termination or when gamma^t < 1e-10 (the remaining return is then below
    1e-10 * max|r| / (1 - gamma), negligible); the TimeLimit, if any, must not cut an episode first.
    """
    rng = np.random.default_rng(seed)
    cum = np.cumsum(pi, axis=1)
    returns = np.empty(n_episodes)
    for i in range(n_episodes):
        obs, _ = env.reset(seed=seed + i)
        G, discount = 0.0, 1.0
        while discount >= 1e-10:
            a = int(np.searchsorted(cum[obs], rng.random() * cum[obs, -1], side="right"))
            obs, r, terminated, truncated, _ = env.step(a)
            G += discount * r
            discount *= gamma
            if terminated:
                break
            assert not truncated, "the time limit cut an episode: the estimate would be biased"
        returns[i] = G
    return returns.mean(), returns.std(ddof=1) / np.sqrt(n_episodes)


def test_monte_carlo_frozenlake_slippery():
    """FrozenLake 4x4, slippery (each move goes in the intended or a perpendicular direction, 1/3
    each). The policy is the well-known cautious one (move away from the holes; it is optimal for
    gamma close to 1) with probability 0.9 and uniformly random otherwise."""
    gamma = 0.9
    # 0.9^219 < 1e-10: a time limit of 1000 steps never binds (default is 100: 0.9^100 = 2.7e-5)
    env = gym.make("FrozenLake-v1", max_episode_steps=1000)
    mdp = from_gymnasium(env, gamma=gamma)
    LEFT, DOWN, RIGHT, UP = 0, 1, 2, 3
    cautious = np.array([
        LEFT, UP, LEFT, UP,
        LEFT, LEFT, LEFT, LEFT,
        UP, DOWN, LEFT, LEFT,
        LEFT, RIGHT, DOWN, LEFT,
        LEFT,  # the terminal state added by the model (never acted in by the environment)
    ])
    pi = 0.1 * uniform(mdp) + 0.9 * np.eye(4)[cautious]
    eta = evaluate(mdp, pi).eta
    mean, se = _monte_carlo_eta(env, pi, gamma, n_episodes=2000, seed=0)
    assert se > 0 and eta > 0.01  # the policy reaches the goal often enough to measure
    assert abs(mean - eta) <= 4 * se, (mean, eta, se)


def test_monte_carlo_cliffwalking():
    """CliffWalking (4 x 12): start (3, 0), goal (3, 11), the cliff (3, 1..10) costs -100 and
    resets to the start; every other step costs -1. The policy walks up, along row 2 and down to
    the goal with probability 0.8 per step and acts uniformly at random otherwise."""
    gamma = 0.9
    env = gym.make("CliffWalking-v1")
    mdp = from_gymnasium(env, gamma=gamma)
    S, A = mdp.shape  # 49 = 48 cells + the terminal state; actions up, right, down, left
    UP, RIGHT, DOWN = 0, 1, 2
    plan = np.full(S, UP)
    for s in range(48):
        row, col = divmod(s, 12)
        if row == 2:
            plan[s] = DOWN if col == 11 else RIGHT
        elif row < 2:
            plan[s] = DOWN
    pi = 0.2 * uniform(mdp) + 0.8 * np.eye(A)[plan]
    eta = evaluate(mdp, pi).eta
    mean, se = _monte_carlo_eta(env, pi, gamma, n_episodes=1500, seed=1)
    assert se > 0
    assert abs(mean - eta) <= 4 * se, (mean, eta, se)


# ----------------------------------------------------------------------------- argument checks
@pytest.mark.parametrize("bad", [None, 42, 3.5, ["Taxi-v4"]])
def test_env_or_id_of_the_wrong_type(bad):
    with pytest.raises(TypeError, match=r"^env_or_id must be a Gymnasium environment id \(a str .*\) or a "
                                        r"gymnasium.Env instance, got"):
        from_gymnasium(bad, 0.9)


def test_gamma_is_checked_before_anything_is_made():
    with pytest.raises(ValueError, match=r"^gamma must lie in \[0, 1\)"):
        from_gymnasium("NoSuchEnvironment-v0", 1.0)
    with pytest.raises(TypeError, match=r"^gamma must be a real number"):
        from_gymnasium("FrozenLake-v1", "0.9")


def _registered(name):
    return sorted(spec.id for spec in gym.registry.values() if spec.name == name and spec.namespace is None)


@pytest.mark.skipif("Taxi-v3" in gym.registry, reason="this Gymnasium still has Taxi-v3")
def test_a_removed_version_points_to_the_registered_one():
    """Gymnasium 1.4 removed Taxi-v3; the message says so and names the version it has."""
    newest = _registered("Taxi")[-1]
    with pytest.raises(ValueError, match=rf"^env_or_id 'Taxi-v3' no longer exists in gymnasium .*Use '{newest}'"):
        from_gymnasium("Taxi-v3", 0.9)


def test_unknown_ids_are_value_errors_naming_env_or_id():
    with pytest.raises(ValueError, match=r"^env_or_id 'FrozenLake-v99' does not exist in gymnasium .*registered: "
                                         r"'FrozenLake-v1'"):
        from_gymnasium("FrozenLake-v99", 0.9)
    with pytest.raises(ValueError, match=r"^env_or_id 'Frozenlake-v1' is not registered .*did you mean 'FrozenLake-v1'"):
        from_gymnasium("Frozenlake-v1", 0.9)
    with pytest.raises(ValueError, match=r"^env_or_id 'a/b/c-v' is not a Gymnasium environment id"):
        from_gymnasium("a/b/c-v", 0.9)


def test_a_rejected_make_argument_is_answered_naming_it():
    """FrozenLake looks map_name up in its table of maps (a KeyError inside gymnasium): the answer is a
    ValueError naming map_name and the maps there are; an unknown keyword is a TypeError naming it."""
    from gymnasium.envs.toy_text.frozen_lake import MAPS

    with pytest.raises(ValueError, match=r"map_name = '9x9' is not accepted by FrozenLake-v1") as info:
        from_gymnasium("FrozenLake-v1", 0.9, map_name="9x9")
    assert all(name in str(info.value) for name in MAPS)  # the maps gymnasium has, read from it
    with pytest.raises(TypeError, match="colour"):
        from_gymnasium("FrozenLake-v1", 0.9, colour="red")
    # the valid names still work, and give the map's size (+1 absorbing state)
    assert from_gymnasium("FrozenLake-v1", 0.9, map_name="8x8").n_states == 65

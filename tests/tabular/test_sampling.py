"""Tests of tabular/sampling.py: the sampler against exact distributions and exact eta."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.stats import binom

from tabular.evaluation import evaluate, policy_reward, state_distribution
from tabular.mdp import MDP
from tabular.policies import random_policy, uniform
from tabular.sampling import Trajectories, horizon_for, sample_trajectories, truncation_bound
from tabular.zoo import chain, garnet, gridworld, mdp_x, two_state

# Per-cell two-sided binomial level: with ~100 cells per test a false alarm has probability ~1e-5.
CELL_LEVEL = 1 - 1e-7


def _assert_binomial(counts, n, p):
    """Each count lies in the central CELL_LEVEL binomial interval of Binomial(n, p)."""
    counts, n, p = np.broadcast_arrays(np.asarray(counts), np.asarray(n), np.asarray(p))
    lo, hi = binom.interval(CELL_LEVEL, n, p)
    bad = (counts < lo) | (counts > hi)
    assert not bad.any(), f"counts {counts[bad]} outside binomial intervals [{lo[bad]}, {hi[bad]}] (p={p[bad]})"


@pytest.mark.parametrize("sparse", [False, True])
def test_transition_action_and_start_frequencies(sparse):
    mdp = garnet(6, 3, 4, rng=11, gamma=0.9, sparse=sparse)
    mdp = mdp.with_rho0(np.array([0.4, 0.0, 0.3, 0.1, 0.2, 0.0]))
    pi = random_policy(mdp, rng=12, concentration=3.0)
    tr = sample_trajectories(mdp, pi, 3000, 20, rng=13)
    S, A = mdp.shape
    P = mdp.dense_P()
    # start states ~ rho0
    _assert_binomial(np.bincount(tr.states[:, 0], minlength=S), tr.n_episodes, mdp.rho0)
    # actions ~ pi(.|s), pooled over all visits of s
    s_all, a_all = tr.states.ravel(), tr.actions.ravel()
    visits = np.bincount(s_all, minlength=S)
    sa = np.bincount(s_all * A + a_all, minlength=S * A).reshape(S, A)
    _assert_binomial(sa, visits[:, None], pi)
    # next states ~ P[s, a, .], pooled over all (s_t, a_t) -> s_{t+1}
    s, a, s_next = tr.states[:, :-1].ravel(), tr.actions[:, :-1].ravel(), tr.states[:, 1:].ravel()
    n_sa = np.bincount(s * A + a, minlength=S * A).reshape(S, A)
    trans = np.bincount((s * A + a) * S + s_next, minlength=S * A * S).reshape(S, A, S)
    assert n_sa.min() > 50
    _assert_binomial(trans, n_sa[:, :, None], P)
    # impossible transitions never happen
    assert not np.any(trans[P == 0])
    # rewards are the expected rewards R[s, a]
    np.testing.assert_array_equal(tr.rewards, mdp.R[tr.states, tr.actions])


def _mc_cases():
    return [
        pytest.param(garnet(10, 3, 3, rng=1, gamma=0.9), id="garnet-dense-0.9"),
        pytest.param(garnet(8, 2, 3, rng=9, gamma=0.99, sparse=True), id="garnet-sparse-0.99"),
        pytest.param(garnet(30, 2, 2, rng=2, gamma=0.5, sparse=True, reward="signed"), id="garnet-sparse-0.5"),
        pytest.param(chain(6, gamma=0.95), id="chain-0.95"),
        pytest.param(gridworld(gamma=0.9, sparse=True), id="gridworld-sparse-0.9"),
        pytest.param(mdp_x(0.8), id="mdp_x-0.8"),
        pytest.param(two_state(0.0), id="two_state-0"),
    ]


@pytest.mark.parametrize("mdp", _mc_cases())
def test_mc_return_matches_exact_eta(mdp):
    pi = random_policy(mdp, rng=3, concentration=2.0)
    eta = evaluate(mdp, pi).eta
    H = horizon_for(mdp.gamma, 1e-6)
    tr = sample_trajectories(mdp, pi, 2000 if mdp.gamma > 0.95 else 4000, H, rng=4)
    G = tr.discounted_returns()
    se = G.std(ddof=1) / np.sqrt(G.size)
    bias = truncation_bound(mdp.gamma, H, np.max(np.abs(mdp.R)))
    assert abs(G.mean() - eta) <= 4 * se + bias + 1e-12


def test_truncation_bound_holds_exactly():
    """|eta - sum_{t<H} gamma^t E[r_t]| <= gamma^H max|R|/(1-gamma), with E[r_t] from exact state distributions."""
    mdp = garnet(8, 3, 3, rng=5, gamma=0.8, reward="signed")
    pi = random_policy(mdp, rng=6)
    eta = evaluate(mdp, pi).eta
    r_pi = policy_reward(mdp, pi)
    for H in (1, 3, 10, 40):
        mu = state_distribution(mdp, pi, list(range(H)))
        truncated = float(np.sum(mdp.gamma ** np.arange(H) * (mu @ r_pi)))
        assert abs(eta - truncated) <= truncation_bound(mdp.gamma, H, np.max(np.abs(mdp.R))) + 1e-14


def test_same_rng_gives_identical_samples_and_different_seeds_differ():
    mdp = garnet(12, 3, 3, rng=7, gamma=0.9)
    pi = random_policy(mdp, rng=8)
    t1 = sample_trajectories(mdp, pi, 200, 30, rng=9)
    t2 = sample_trajectories(mdp, pi, 200, 30, rng=np.random.default_rng(9))
    t3 = sample_trajectories(mdp, pi, 200, 30, rng=10)
    for f in ("states", "actions", "rewards"):
        np.testing.assert_array_equal(getattr(t1, f), getattr(t2, f))
    assert not np.array_equal(t1.states, t3.states)


@pytest.mark.parametrize("seed", range(4))
def test_dense_and_sparse_give_identical_samples(seed):
    mdp = garnet(15, 4, 1 + 3 * seed, rng=seed, gamma=0.9)
    pi = random_policy(mdp, rng=seed + 100, concentration=0.5)
    td = sample_trajectories(mdp, pi, 300, 40, rng=seed + 200)
    ts = sample_trajectories(mdp.to_sparse(), pi, 300, 40, rng=seed + 200)
    np.testing.assert_array_equal(td.states, ts.states)
    np.testing.assert_array_equal(td.actions, ts.actions)
    np.testing.assert_array_equal(td.rewards, ts.rewards)


def test_sparse_explicit_zeros_and_nearly_stochastic_rows():
    """Stored zeros are never sampled; rows summing to 1 - 5e-9 (valid within 1e-8) are handled."""
    S, A = 3, 2
    rows = [0, 0, 0, 1, 1, 2, 2, 3, 4, 4, 5, 5]
    cols = [0, 1, 2, 0, 2, 1, 2, 2, 0, 1, 0, 2]
    vals = [0.0, 0.5, 0.5 - 5e-9, 0.3, 0.7, 0.0, 1.0, 1.0, 0.25, 0.75, 0.6, 0.0 + 0.4]
    P = sp.csr_array((vals, (rows, cols)), shape=(S * A, S))
    mdp = MDP(P, np.zeros((S, A)), np.array([1.0, 0.0, 0.0]), 0.9)
    assert mdp.P.nnz == 12  # explicit zeros kept
    tr = sample_trajectories(mdp, uniform(mdp), 2000, 15, rng=1)
    Pd = mdp.dense_P()
    s, a, s2 = tr.states[:, :-1].ravel(), tr.actions[:, :-1].ravel(), tr.states[:, 1:].ravel()
    assert np.all(Pd[s, a, s2] > 0)
    td = sample_trajectories(mdp.to_dense(), uniform(mdp), 2000, 15, rng=1)
    np.testing.assert_array_equal(tr.states, td.states)


def test_start_argument():
    mdp = garnet(5, 2, 2, rng=3, gamma=0.5)
    pi = uniform(mdp)
    tr = sample_trajectories(mdp, pi, 50, 4, rng=0, start=3)
    assert np.all(tr.states[:, 0] == 3)
    st = np.arange(50) % 5
    tr = sample_trajectories(mdp, pi, 50, 4, rng=0, start=st)
    np.testing.assert_array_equal(tr.states[:, 0], st)
    with pytest.raises(ValueError, match="start"):
        sample_trajectories(mdp, pi, 50, 4, rng=0, start=5)
    with pytest.raises(ValueError, match="start"):
        sample_trajectories(mdp, pi, 50, 4, rng=0, start=np.arange(3))
    with pytest.raises(ValueError, match="start"):
        sample_trajectories(mdp, pi, 50, 4, rng=0, start=1.5)


def test_returns_by_direct_summation():
    rng = np.random.default_rng(0)
    N, H, gamma = 4, 7, 0.7
    r = rng.normal(size=(N, H))
    z = np.zeros((N, H), dtype=np.int64)
    tr = Trajectories(states=z, actions=z, rewards=r, gamma=gamma)
    rtg = np.array([[sum(gamma ** (k - t) * r[i, k] for k in range(t, H)) for t in range(H)] for i in range(N)])
    np.testing.assert_allclose(tr.returns_to_go(), rtg, rtol=1e-13)
    np.testing.assert_allclose(tr.discounted_returns(), [sum(gamma**k * r[i, k] for k in range(H)) for i in range(N)],
                               rtol=1e-13)
    tr0 = Trajectories(states=z, actions=z, rewards=r, gamma=0.0)
    np.testing.assert_array_equal(tr0.discounted_returns(), r[:, 0])
    np.testing.assert_array_equal(tr0.returns_to_go(), r)


@pytest.mark.parametrize("gamma", [0.0, 1e-3, 0.1, 0.5, 0.9, 0.99, 0.999])
@pytest.mark.parametrize("tol", [1e-2, 1e-8, 1e-12])
def test_horizon_for_is_smallest(gamma, tol):
    H = horizon_for(gamma, tol)
    assert H >= 1
    assert gamma**H <= tol
    assert H == 1 or gamma ** (H - 1) > tol


def test_bad_input_raises():
    mdp = two_state(0.9)
    pi = uniform(mdp)
    with pytest.raises(ValueError, match="n_episodes"):
        sample_trajectories(mdp, pi, 0, 5)
    with pytest.raises(ValueError, match="horizon"):
        sample_trajectories(mdp, pi, 5, 0)
    with pytest.raises(ValueError, match="pi"):
        sample_trajectories(mdp, np.full((2, 2), 0.6), 5, 5)
    with pytest.raises(ValueError, match="pi"):
        sample_trajectories(mdp, np.full((3, 2), 0.5), 5, 5)
    z = np.zeros((2, 3), dtype=np.int64)
    with pytest.raises(ValueError, match="shape"):
        Trajectories(states=z, actions=z, rewards=np.zeros((2, 4)), gamma=0.5)
    with pytest.raises(ValueError, match="tol"):
        horizon_for(0.9, 0.0)
    with pytest.raises(ValueError, match="gamma"):
        horizon_for(1.0)


def test_counts_must_be_integers_never_truncated():
    mdp = two_state(0.9)
    pi = uniform(mdp)
    with pytest.raises(TypeError, match=r"^n_episodes must be a positive integer, got 2.5"):
        sample_trajectories(mdp, pi, 2.5, 5)
    with pytest.raises(TypeError, match=r"^horizon must be a positive integer"):
        sample_trajectories(mdp, pi, 2, 5.0)
    with pytest.raises(TypeError, match=r"^mdp must be a tabular.MDP"):
        sample_trajectories(pi, mdp, 2, 5)
    with pytest.raises(ValueError, match=r"^max_abs_reward must be >= 0"):
        truncation_bound(0.9, 5, -1.0)


def test_trajectories_repr_is_short():
    mdp = garnet(200, 4, 3, rng=0, gamma=0.9)
    traj = sample_trajectories(mdp, uniform(mdp), 500, 60, rng=0)
    text = repr(traj)
    assert len(text) < 400 and text.startswith("Trajectories(N=500, H=60, gamma=0.9, mean_return=")
    assert f"{traj.discounted_returns().mean():.6g}" in text


@pytest.mark.parametrize("tol", [0.0, -1e-3, 1.0, np.nan, np.inf])
def test_horizon_for_tol_must_lie_in_the_open_unit_interval(tol):
    with pytest.raises(ValueError, match=r"^tol must be"):
        horizon_for(0.9, tol)


def test_horizon_for_tol_of_the_wrong_type():
    with pytest.raises(TypeError, match=r"^tol must be"):
        horizon_for(0.9, "1e-8")


def test_trajectories_need_integer_states_and_real_rewards():
    z = np.zeros((2, 3), dtype=np.int64)
    with pytest.raises(TypeError, match=r"^states must be an integer array, got dtype float64"):
        Trajectories(states=z.astype(float), actions=z, rewards=np.zeros((2, 3)), gamma=0.5)
    with pytest.raises(TypeError, match=r"^rewards must be an array of real numbers, got a complex"):
        Trajectories(states=z, actions=z, rewards=np.zeros((2, 3)) + 1j, gamma=0.5)

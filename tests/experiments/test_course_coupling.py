"""Tests of experiments/course/coupling.py: the sampled maximal coupling has the right marginals
(exact time-t state distributions, within Monte Carlo error), disagrees at a state with probability
D_TV(s) (the alpha-coupling of Definition 1 of [TRPO]), and its divergence probability matches the
exact agreement chain and the proof's bound (1 - alpha)^t."""

from __future__ import annotations

import numpy as np
import pytest

import tabular as T
from experiments.course import coupled_rollouts, no_divergence_probability


def _pair(seed=0):
    mdp = T.garnet(5, 3, 2, rng=seed, gamma=0.9)
    return mdp, T.random_policy(mdp, rng=seed + 10), T.random_policy(mdp, rng=seed + 20)


def _within(counts_frac, p, n, z=5.0):
    """Every frequency within z standard errors (plus a floor for p near 0 or 1)."""
    return np.all(np.abs(counts_frac - p) <= z * np.sqrt(p * (1 - p) / n) + 3.0 / n)


@pytest.mark.parametrize("seed", [0, 1])
def test_marginals_are_the_exact_time_t_state_distributions(seed):
    mdp, pi, q = _pair(seed)
    n, H = 6000, 6
    roll = coupled_rollouts(mdp, pi, q, n, H, rng=seed)
    S = mdp.shape[0]
    for states, pol in ((roll.states_old, pi), (roll.states_new, q)):
        exact = T.state_distribution(mdp, pol, np.arange(H + 1))
        freq = np.stack([np.bincount(states[:, t], minlength=S) / n for t in range(H + 1)])
        assert _within(freq, exact, n)


def test_the_first_step_disagrees_with_probability_tv_per_state():
    mdp, pi, q = _pair(3)
    n = 8000
    roll = coupled_rollouts(mdp, pi, q, n, 1, rng=5)
    tv = T.tv(pi, q)
    p_dis = float(mdp.rho0 @ tv)  # P(a != a_new at t = 0) = E_{s~rho0}[D_TV(s)]
    assert _within(np.array([roll.diverged[:, 1].mean()]), np.array([p_dis]), n)
    assert p_dis <= T.max_tv(pi, q)


def test_divergence_matches_the_exact_agreement_chain_and_the_bound():
    mdp, pi, q = _pair(4)
    n, H = 5000, 8
    roll = coupled_rollouts(mdp, pi, q, n, H, rng=2)
    exact = np.array([1 - no_divergence_probability(mdp, pi, q, t) for t in range(H + 1)])
    assert _within(roll.diverged.mean(axis=0), exact, n)
    alpha = T.max_tv(pi, q)
    assert np.all(1 - exact >= (1 - alpha) ** np.arange(H + 1) - 1e-12)  # proof of Lemma 3
    assert np.all(np.diff(roll.diverged.astype(int), axis=1) >= 0) and not roll.diverged[:, 0].any()


def test_pairs_agree_until_they_diverge_and_equal_policies_never_diverge():
    mdp, pi, q = _pair(5)
    roll = coupled_rollouts(mdp, pi, q, 500, 10, rng=0)
    agree = ~roll.diverged
    assert np.all(roll.states_old[agree] == roll.states_new[agree])
    same = coupled_rollouts(mdp, pi, pi, 200, 10, rng=0)
    assert not same.diverged.any() and np.array_equal(same.states_old, same.states_new)
    assert no_divergence_probability(mdp, pi, pi, 10) == pytest.approx(1.0, abs=1e-12)


def test_a_sparse_mdp_gives_the_same_draws():
    mdp = T.gridworld(3, 3, gamma=0.9)
    import scipy.sparse as sp

    sparse = T.MDP(sp.csr_array(mdp.P.reshape(-1, 9)), mdp.R, mdp.rho0, mdp.gamma)
    pi, q = T.uniform(mdp), T.random_policy(mdp, rng=1)
    a, b = coupled_rollouts(mdp, pi, q, 50, 4, rng=3), coupled_rollouts(sparse, pi, q, 50, 4, rng=3)
    assert np.array_equal(a.states_new, b.states_new) and np.array_equal(a.diverged, b.diverged)
    assert no_divergence_probability(sparse, pi, q, 3) == pytest.approx(no_divergence_probability(mdp, pi, q, 3))


def test_bad_input_names_the_argument():
    mdp, pi, q = _pair()
    for kw, name in ((dict(n=0), "n"), (dict(n=2.5), "n"), (dict(horizon=-1), "horizon"), (dict(n=True), "n")):
        args = dict(n=10, horizon=3) | kw
        with pytest.raises(ValueError, match=name):
            coupled_rollouts(mdp, pi, q, args["n"], args["horizon"])
    with pytest.raises(ValueError, match="pi_new"):
        coupled_rollouts(mdp, pi, q[:2], 10, 3)
    with pytest.raises(ValueError, match="pi"):
        coupled_rollouts(mdp, 2 * pi, q, 10, 3)
    with pytest.raises(ValueError, match="pi_new"):
        no_divergence_probability(mdp, pi, -q, 2)
    with pytest.raises(ValueError, match="t must"):
        no_divergence_probability(mdp, pi, q, -1)

"""Tests of experiments/learners/cem.py: the elite update of the noisy cross-entropy method
(replayed by hand from the same random stream), its noise schedule and its argument checks."""

import math

import numpy as np
import pytest

from experiments.learners import Population, cem, default_horizon

from ._helpers import tiny


def test_first_iterate_is_the_mean_of_the_elite_candidates():
    mdp, pol = tiny()
    n, rho, budget = 10, 0.3, 3000
    c = cem(mdp, pol, np.zeros(15), 1, budget, rng=7, population=n, elite_frac=rho, init_std=0.5)
    H = default_horizon(mdp.gamma)
    m = budget // (n * H)
    rng = np.random.default_rng(7)
    X = 0.5 * rng.standard_normal((n, 15))
    f = Population(mdp, n, m, H).returns(np.stack([pol.probs(x) for x in X]), rng)
    elite = X[np.argsort(-f, kind="stable")[: math.ceil(rho * n)]]
    np.testing.assert_allclose(c.thetas[1], elite.mean(axis=0), rtol=1e-12)
    s = dict(c.settings)
    assert s["n_elite"] == 3 and s["episodes_per_candidate"] == m
    assert c.steps_per_iteration[0] == n * m * H <= budget


def test_without_extra_noise_and_with_one_elite_the_search_collapses():
    mdp, pol = tiny()
    c = cem(mdp, pol, np.zeros(15), 3, 3000, rng=0, population=5, elite_frac=0.2, extra_std=0.0)
    # one elite: zero variance after the first iteration, so the mean never moves again
    np.testing.assert_array_equal(c.thetas[2], c.thetas[1])
    np.testing.assert_array_equal(c.thetas[3], c.thetas[1])


def test_bad_input_names_the_argument():
    mdp, pol = tiny()
    with pytest.raises(ValueError, match="population"):
        cem(mdp, pol, np.zeros(15), 1, 3000, population=1)
    with pytest.raises(ValueError, match="elite_frac"):
        cem(mdp, pol, np.zeros(15), 1, 3000, elite_frac=1.5)
    with pytest.raises(ValueError, match="init_std"):
        cem(mdp, pol, np.zeros(15), 1, 3000, init_std=0.0)
    with pytest.raises(ValueError, match="budget"):
        cem(mdp, pol, np.zeros(15), 1, 100)

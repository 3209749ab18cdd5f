"""Tests of experiments/learners/cma_es.py: the cma package is driven from the given rng only
(the global numpy state is untouched, the run is reproducible), its defaults and its checks."""

import numpy as np
import pytest

from experiments.learners import cma_es
from experiments.learners.cma_es import FULL_COVARIANCE_MAX

from ._helpers import tiny


def test_global_numpy_state_untouched_and_reproducible():
    mdp, pol = tiny("loglinear")
    before = np.random.get_state()[1].copy()
    a = cma_es(mdp, pol, np.zeros(4), 3, 2000, rng=1)
    assert np.array_equal(np.random.get_state()[1], before)
    b = cma_es(mdp, pol, np.zeros(4), 3, 2000, rng=1)
    np.testing.assert_array_equal(a.thetas, b.thetas)
    assert not np.array_equal(a.thetas[1], a.thetas[0])


def test_defaults_popsize_and_covariance():
    mdp, pol = tiny()
    c = cma_es(mdp, pol, np.zeros(15), 1, 2000, rng=0)
    s = dict(c.settings)
    assert s["popsize"] == int(4 + 3 * np.log(15)) and s["diagonal"] is (15 > FULL_COVARIANCE_MAX)
    assert c.steps_per_iteration[0] <= 2000
    assert dict(cma_es(mdp, pol, np.zeros(15), 1, 2000, rng=0, diagonal=True).settings)["diagonal"] is True


def test_bad_input_names_the_argument():
    mdp, pol = tiny()
    with pytest.raises(ValueError, match="sigma0"):
        cma_es(mdp, pol, np.zeros(15), 1, 2000, sigma0=-1.0)
    with pytest.raises(ValueError, match="popsize"):
        cma_es(mdp, pol, np.zeros(15), 1, 2000, popsize=1)
    with pytest.raises(TypeError, match="diagonal"):
        cma_es(mdp, pol, np.zeros(15), 1, 2000, diagonal="yes")
    with pytest.raises(ValueError, match="budget"):
        cma_es(mdp, pol, np.zeros(15), 1, 100)

"""Tests of experiments/learners/__init__.py: every one of the eight methods, on a tiny MDP and both
policy classes, improves the exact eta in expectation over seeds and never spends more than its
per-iteration budget; learn() dispatches by name and refuses unknown names."""

import numpy as np
import pytest

from experiments.learners import METHODS, LearningCurve, learn

from ._helpers import tiny

BUDGET = 2000
N_ITER = 6
SEEDS = range(4)


@pytest.mark.parametrize("kind", ["softmax", "loglinear"])
@pytest.mark.parametrize("method", list(METHODS))
def test_method_improves_eta_in_expectation_within_its_budget(method, kind):
    gains = []
    for r in SEEDS:
        mdp, pol = tiny(kind, seed=r)
        c = learn(method, mdp, pol, np.zeros(pol.n_params), N_ITER, BUDGET, rng=np.random.default_rng([5, r]))
        assert isinstance(c, LearningCurve) and c.method == method and c.eta.shape == (N_ITER + 1,)
        assert c.thetas.shape == (N_ITER + 1, pol.n_params) and np.array_equal(c.thetas[0], np.zeros(pol.n_params))
        used = c.steps_per_iteration
        assert np.all(used <= BUDGET), (method, used)
        assert np.all(used >= 0.5 * BUDGET), (method, used)  # it does spend (most of) its budget
        gains.append(c.eta[-1] - c.eta[0])
    gains = np.array(gains)
    se = gains.std(ddof=1) / np.sqrt(gains.size)
    assert gains.mean() > 0 and gains.mean() > 2 * se, (method, kind, gains)


def test_learn_refuses_unknown_methods_and_is_deterministic():
    mdp, pol = tiny()
    with pytest.raises(ValueError, match="method must be one of"):
        learn("ppo", mdp, pol, np.zeros(15), 1, 1000)
    a = learn("cma_es", mdp, pol, np.zeros(15), 2, 1000, rng=3)
    b = learn("cma_es", mdp, pol, np.zeros(15), 2, 1000, rng=3)
    np.testing.assert_array_equal(a.thetas, b.thetas)

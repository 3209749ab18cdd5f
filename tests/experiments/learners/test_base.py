"""Tests of experiments/learners/base.py: the learning curve, the budget arithmetic and the
population sampler (against the exact eta)."""

import numpy as np
import pytest

from experiments.learners import LearningCurve, Population, episodes_for, vine_states_for
from experiments.learners.base import check_problem, default_horizon
from tabular.evaluation import evaluate
from tabular.parametric import TabularSoftmax
from tabular.policies import random_policy, uniform

from ._helpers import tiny


def test_population_returns_are_unbiased_for_eta_of_each_policy():
    mdp, _ = tiny()
    pis = np.stack([uniform(mdp), random_policy(mdp, rng=1), random_policy(mdp, rng=2)])
    H = default_horizon(mdp.gamma)
    pop = Population(mdp, 3, 4000, H)
    f = pop.returns(pis, rng=0)
    exact = np.array([evaluate(mdp, p).eta for p in pis])
    # per-episode returns are bounded by max|R| / (1 - gamma) = 5: the standard error is below 0.08
    assert np.all(np.abs(f - exact) < 0.25), (f, exact)
    assert pop.steps == 3 * 4000 * H


def test_population_refuses_a_batch_of_the_wrong_size():
    mdp, _ = tiny()
    pop = Population(mdp, 2, 1, 10)
    with pytest.raises(ValueError, match="pis must hold 2"):
        pop.returns(np.stack([uniform(mdp)] * 3), rng=0)


def test_budget_arithmetic_and_its_errors_name_budget():
    assert episodes_for(1000, 10) == 100
    assert episodes_for(1000, 10, n_groups=7) == 14
    with pytest.raises(ValueError, match="budget"):
        episodes_for(15, 10)
    with pytest.raises(ValueError, match="budget"):
        episodes_for(50, 10, n_groups=6)
    mdp, _ = tiny()
    n = vine_states_for(2000, mdp, 20)
    assert n == int(2000 // (3 * 20 + 2 / (1 - mdp.gamma)))
    with pytest.raises(ValueError, match="budget"):
        vine_states_for(50, mdp, 20)


def test_check_problem_names_the_bad_argument():
    mdp, pol = tiny()
    with pytest.raises(TypeError, match="policy"):
        check_problem(mdp, "softmax", np.zeros(15), 1, 100, None)
    with pytest.raises(ValueError, match="policy is defined"):
        check_problem(mdp, TabularSoftmax(4, 3), np.zeros(12), 1, 100, None)
    with pytest.raises(ValueError, match="theta0"):
        check_problem(mdp, pol, np.zeros(3), 1, 100, None)
    with pytest.raises(TypeError, match="n_iter"):
        check_problem(mdp, pol, np.zeros(15), 1.5, 100, None)
    with pytest.raises(ValueError, match="budget"):
        check_problem(mdp, pol, np.zeros(15), 1, 0, None)
    with pytest.raises(TypeError, match="mdp"):
        check_problem(None, pol, np.zeros(15), 1, 100, None)


def test_learning_curve_repr_and_normalization():
    c = LearningCurve("x", np.array([1.0, 2.0, 3.0]), np.array([0, 10, 20]), np.zeros((3, 2)), 10, ())
    assert c.normalized(5.0).tolist() == [0.0, 0.25, 0.5]
    assert c.steps_per_iteration.tolist() == [10, 10] and c.n_iter == 2
    assert len(repr(c)) < 120 and "x" in repr(c)

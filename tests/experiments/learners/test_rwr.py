"""Tests of experiments/learners/rwr.py: the E-step weights, the M-step against its closed form
(the weighted action frequencies, for the tabular softmax as the prior vanishes) and its optimality
condition (log-linear), and the argument checks."""

import numpy as np
import pytest

from experiments.learners import rwr
from experiments.learners.rwr import rwr_m_step, rwr_weights
from tabular.parametric import TabularSoftmax

from ._helpers import tiny


def test_weights_are_normalized_monotone_and_never_overflow():
    G = np.array([1e6, -1e6, 0.0, 5e5])
    u = rwr_weights(G, np.ones(4), beta=3.0)
    assert u.sum() == pytest.approx(1.0) and np.all(np.isfinite(u))
    assert u[0] > u[3] > u[2] > u[1]
    np.testing.assert_allclose(rwr_weights(G, np.ones(4), beta=0.0), 0.25)  # beta = 0: plain frequencies
    np.testing.assert_allclose(rwr_weights(np.ones(3), [1.0, 0.5, 0.25], 1.0), np.array([4, 2, 1]) / 7)


def test_m_step_is_the_weighted_frequency_as_the_prior_vanishes():
    pol = TabularSoftmax(3, 4)
    C = np.random.default_rng(0).random((3, 4))
    C /= C.sum()
    theta = rwr_m_step(pol, np.zeros(12), C, kappa=1e-9)
    np.testing.assert_allclose(pol.probs(theta), C / C.sum(axis=1, keepdims=True), atol=1e-6)


def test_m_step_gradient_vanishes_for_a_loglinear_policy():
    mdp, pol = tiny("loglinear")
    C = np.random.default_rng(1).random((5, 3)) ** 3
    C /= C.sum()
    theta_old = np.random.default_rng(2).normal(size=4)
    kappa = 1e-2
    th = rwr_m_step(pol, theta_old, C, kappa)
    psi = pol.grad_log_prob(th)  # (S, A, d)
    grad = np.einsum("sa,sai->i", C, psi) - kappa * (th - theta_old)
    assert np.linalg.norm(grad) < 1e-8


def test_unvisited_states_keep_their_old_policy():
    pol = TabularSoftmax(3, 2)
    C = np.zeros((3, 2))
    C[0] = [0.7, 0.3]
    theta_old = np.array([0.0, 0.0, 1.0, -1.0, 2.0, 0.0])
    th = rwr_m_step(pol, theta_old, C, 1e-3)
    np.testing.assert_allclose(th[2:], theta_old[2:], atol=1e-9)


def test_bad_input_names_the_argument():
    mdp, pol = tiny()
    with pytest.raises(ValueError, match="beta"):
        rwr(mdp, pol, np.zeros(15), 1, 1000, beta=-1.0)
    with pytest.raises(ValueError, match="kappa"):
        rwr(mdp, pol, np.zeros(15), 1, 1000, kappa=0.0)
    with pytest.raises(ValueError, match="budget"):
        rwr(mdp, pol, np.zeros(15), 1, 20)

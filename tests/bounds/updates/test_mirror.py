"""Tests of ``bounds/updates/mirror.py``: the PMD and entropy-regularized NPG updates against direct
numpy formulas, their edge cases (infinite step, soft policy iteration) and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from bounds.updates import npg_step
from bounds.updates.mirror import entropy_npg_update, pmd_update
from tabular import evaluate, garnet, random_policy, two_state, uniform
from tabular.regularized import soft_evaluate, soft_optimal


def _gibbs(logits):
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def test_pmd_is_pi_exp_step_q_and_npg_with_rescaled_step():
    mdp = garnet(6, 3, 2, rng=0, gamma=0.8)
    pi = random_policy(mdp, rng=1)
    Q = evaluate(mdp, pi).Q
    for step in (0.0, 0.3, 5.0):
        new = pmd_update(mdp, pi, step)
        np.testing.assert_allclose(new, _gibbs(np.log(pi) + step * Q), atol=1e-13)
        np.testing.assert_allclose(new, npg_step(mdp, pi, step * (1 - mdp.gamma)).pi_new, atol=1e-12)


def test_pmd_infinite_and_huge_steps_are_greedy_within_the_support():
    mdp = garnet(6, 3, 2, rng=2, gamma=0.9)
    pi = random_policy(mdp, rng=3)
    pi[0] = [0.0, 0.5, 0.5]
    Q = np.array(evaluate(mdp, pi).Q)
    Q_supp = np.where(pi > 0, Q, -np.inf)
    for step in (1e300, np.inf):
        new = pmd_update(mdp, pi, step)
        assert np.all(np.isfinite(new))
        np.testing.assert_array_equal(np.argmax(new, axis=1), np.argmax(Q_supp, axis=1))
        assert new[0, 0] == 0.0


def test_entropy_npg_matches_the_direct_formula():
    mdp = garnet(5, 3, 2, rng=4, gamma=0.9)
    pi = random_policy(mdp, rng=5, concentration=3.0)
    tau, step = 0.2, 0.3
    Q = soft_evaluate(mdp, pi, tau).Q
    direct = _gibbs((1 - step * tau / (1 - mdp.gamma)) * np.log(pi) + step * Q / (1 - mdp.gamma))
    np.testing.assert_allclose(entropy_npg_update(mdp, pi, tau, step), direct, atol=1e-13)


def test_entropy_npg_largest_step_is_soft_policy_iteration_and_fixes_the_optimum():
    mdp = garnet(5, 3, 2, rng=6, gamma=0.9)
    tau = 0.5
    step = (1 - mdp.gamma) / tau
    pi = uniform(mdp)
    Q = soft_evaluate(mdp, pi, tau).Q
    np.testing.assert_allclose(entropy_npg_update(mdp, pi, tau, step), _gibbs(Q / tau), atol=1e-13)
    opt = soft_optimal(mdp, tau)
    np.testing.assert_allclose(entropy_npg_update(mdp, opt.pi, tau, 0.1), opt.pi, atol=1e-10)


def test_bad_input():
    mdp = two_state()
    pi = uniform(mdp)
    with pytest.raises(ValueError, match="step"):
        pmd_update(mdp, pi, -1.0)
    with pytest.raises(TypeError, match="mdp"):
        pmd_update(None, pi, 1.0)
    with pytest.raises(ValueError, match="step"):
        entropy_npg_update(mdp, pi, 1.0, 1.0)  # > (1-gamma)/tau
    with pytest.raises(ValueError, match="full support"):
        entropy_npg_update(mdp, np.array([[1.0, 0.0], [0.5, 0.5]]), 1.0, 0.01)
    with pytest.raises(ValueError, match="tau"):
        entropy_npg_update(mdp, pi, 0.0, 0.01)
    with pytest.raises(ValueError, match="sev"):
        entropy_npg_update(mdp, pi, 1.0, 0.01, sev=soft_evaluate(mdp, pi, 0.5))

"""Tests of ``bounds/updates/ppo.py``: the exact L^CLIP and its gradient against finite differences
and against the sample-based ``tabular.estimators.ppo_objectives`` fed every (s, a) pair with weight
``d(s) pi_old(a|s)``; the step's records; bad input."""

from __future__ import annotations

import numpy as np
import pytest

from bounds.updates.ppo import clip_gradient, clip_objective, ppo_clip_step
from tabular import evaluate, garnet, random_policy, two_state, uniform
from tabular.estimators import ppo_objectives
from tabular.divergences import kl_unchecked


def _case(seed=0):
    mdp = garnet(5, 3, 2, rng=seed, gamma=0.9)
    pi = random_policy(mdp, rng=seed + 1, concentration=3.0)
    return mdp, pi, evaluate(mdp, pi)


def test_objective_and_gradient_match_the_sample_estimator_on_all_pairs():
    mdp, pi, ev = _case()
    S, A = mdp.shape
    rng = np.random.default_rng(3)
    theta = np.log(pi) + 0.4 * rng.standard_normal((S, A))
    s, a = np.divmod(np.arange(S * A), A)
    w = S * A * ev.d[s] * pi[s, a]
    est = ppo_objectives(theta, np.log(pi), s, a, np.asarray(ev.A)[s, a], eps=0.2, weights=w)
    assert clip_objective(ev, theta, 0.2) == pytest.approx(est.l_clip, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(clip_gradient(ev, theta, 0.2), est.grad_clip, atol=1e-13)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_matches_central_differences(seed):
    mdp, pi, ev = _case(seed)
    rng = np.random.default_rng(seed)
    theta = np.log(pi) + 0.3 * rng.standard_normal(pi.shape)
    g = clip_gradient(ev, theta, 0.2)
    h = 1e-6
    fd = np.zeros_like(theta)
    for idx in np.ndindex(theta.shape):
        e = np.zeros_like(theta)
        e[idx] = h
        fd[idx] = (clip_objective(ev, theta + e, 0.2) - clip_objective(ev, theta - e, 0.2)) / (2 * h)
    np.testing.assert_allclose(g, fd, atol=1e-7)


def test_at_the_old_policy_the_objective_is_zero_and_the_gradient_is_the_policy_gradient():
    mdp, pi, ev = _case()
    assert clip_objective(ev, np.log(pi), 0.2) == pytest.approx(0.0, abs=1e-13)
    np.testing.assert_allclose(clip_gradient(ev, np.log(pi), 0.2),
                               ev.d[:, None] * pi * np.asarray(ev.A), atol=1e-13)


def test_step_records_are_consistent():
    mdp, pi, ev = _case()
    res = ppo_clip_step(mdp, pi, 0.2, epochs=5, lr=0.05)
    assert res.eta.shape == (6,) and res.eta[0] == pytest.approx(ev.eta)
    assert res.ratio_min[0] == pytest.approx(1.0) and res.kl_max[0] == pytest.approx(0.0, abs=1e-15)
    assert res.kl_max[-1] == pytest.approx(kl_unchecked(pi, res.pi_new).max(), rel=1e-12)
    assert res.kl_mean[-1] == pytest.approx(ev.d @ kl_unchecked(pi, res.pi_new), rel=1e-12)
    assert res.objective[-1] == pytest.approx(clip_objective(ev, res.theta_new, 0.2), rel=1e-12)
    assert "PPOClipResult" in repr(res) and len(repr(res)) < 220
    sgd = ppo_clip_step(mdp, pi, 0.2, epochs=3, lr=1.0, optimizer="sgd")
    theta = np.log(pi)
    for _ in range(3):
        theta = theta + clip_gradient(ev, theta, 0.2)
    np.testing.assert_allclose(sgd.theta_new, theta, atol=1e-13)


def test_bad_input():
    mdp = two_state()
    pi = uniform(mdp)
    ev = evaluate(mdp, pi)
    with pytest.raises(ValueError, match="eps"):
        ppo_clip_step(mdp, pi, 1.5)
    with pytest.raises(ValueError, match="optimizer"):
        ppo_clip_step(mdp, pi, 0.2, optimizer="rmsprop")
    with pytest.raises(TypeError, match="epochs"):
        ppo_clip_step(mdp, pi, 0.2, epochs=1.5)
    with pytest.raises(ValueError, match="full support"):
        ppo_clip_step(mdp, np.array([[1.0, 0.0], [0.5, 0.5]]))
    with pytest.raises(ValueError, match="theta"):
        clip_objective(ev, np.zeros((3, 2)), 0.2)
    with pytest.raises(TypeError, match="ev_old"):
        clip_gradient("ev", np.zeros((2, 2)), 0.2)

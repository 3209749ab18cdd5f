"""Tests of experiments/learners/trpo.py: every TRPO variant keeps its KL at delta (the constrained
KL <= delta, equal to the quadratic model for small steps), the softmax fast path and the general
path agree, the fixed-step natural gradient takes TRPO's first step, and bad input is refused."""

import numpy as np
import pytest

from experiments.learners import draw_samples, natural_gradient, sample_trpo_step, trpo
from bounds.updates.practical import trpo_step_samples
from tabular.estimators import single_path
from tabular.parametric import LogLinear, onehot_features

from ._helpers import tiny

VARIANTS = [("analytic", "mean"), ("analytic", "max"), ("empirical", "mean"), ("empirical", "max")]


@pytest.mark.parametrize("kind", ["softmax", "loglinear"])
@pytest.mark.parametrize("fisher,constraint", VARIANTS)
def test_every_variant_keeps_its_kl_at_delta(kind, fisher, constraint):
    mdp, pol = tiny(kind)
    rng = np.random.default_rng(11)
    for delta in (1e-4, 1e-2, 0.3):
        for _ in range(3):
            theta = rng.normal(size=pol.n_params)
            smp = single_path(mdp, pol.probs(theta), 40, 30, rng=rng)
            res = sample_trpo_step(smp, pol, theta, delta, fisher=fisher, constraint=constraint, mdp=mdp)
            kl = res.mean_kl if constraint == "mean" else res.max_kl
            assert kl <= delta * (1 + 1e-12), (kl, delta)
            assert res.max_kl >= res.mean_kl - 1e-15
            if res.accepted:
                assert res.surrogate_gain > 0
                assert res.predicted_kl == pytest.approx(delta * res.step_fraction**2, rel=1e-9)
                if delta == 1e-4 and fisher == "analytic":  # the quadratic model is the KL for small steps
                    assert kl == pytest.approx(res.predicted_kl, rel=0.05)
            else:
                assert np.array_equal(res.theta_new, theta) and res.eta_new == res.eta_old


def test_general_path_equals_the_existing_softmax_step():
    mdp, pol = tiny()
    ll = LogLinear(onehot_features(5, 3))  # the same policy, through the general path
    theta = np.random.default_rng(12).normal(size=15)
    smp = single_path(mdp, pol.probs(theta), 60, 30, rng=13)
    for delta in (1e-3, 0.1):
        ref = trpo_step_samples(smp, pol, theta, delta)
        got = sample_trpo_step(smp, ll, theta, delta)
        np.testing.assert_allclose(got.theta_new, ref.theta_new, rtol=1e-9, atol=1e-11)


def test_max_kl_steps_are_no_longer_than_mean_kl_steps():
    mdp, pol = tiny()
    theta = np.random.default_rng(14).normal(size=15)
    smp = single_path(mdp, pol.probs(theta), 60, 30, rng=15)
    mean = sample_trpo_step(smp, pol, theta, 0.01, constraint="mean")
    mx = sample_trpo_step(smp, pol, theta, 0.01, constraint="max")
    assert mx.beta * mx.step_fraction <= mean.beta * mean.step_fraction + 1e-12  # same direction, shorter
    assert mx.mean_kl <= mean.mean_kl + 1e-12


def test_natural_gradient_takes_trpos_first_step_then_a_fixed_length():
    mdp, pol = tiny()
    theta0 = np.zeros(15)
    ng = natural_gradient(mdp, pol, theta0, 3, 1500, rng=16)
    H = dict(ng.settings)["horizon"]
    smp = draw_samples(mdp, pol.probs(theta0), "single_path", 1500, H, np.random.default_rng(16))
    first = sample_trpo_step(smp, pol, theta0, 0.01)
    beta = dict(ng.settings)["step_length"]
    assert beta == pytest.approx(first.beta, rel=1e-12)
    fixed = sample_trpo_step(smp, pol, theta0, 0.01, step_length=beta)
    np.testing.assert_allclose(ng.thetas[1], fixed.theta_new, rtol=1e-12)
    assert fixed.rule == "fixed_step" and fixed.step_fraction == 1.0
    # a given step length is used as is
    ng2 = natural_gradient(mdp, pol, theta0, 1, 1500, rng=16, step_length=0.5)
    assert dict(ng2.settings)["step_length"] == 0.5 and dict(ng2.settings)["calibrated"] is False


def test_vine_budget_and_names():
    mdp, pol = tiny()
    c = trpo(mdp, pol, np.zeros(15), 3, 3000, rng=0, estimator="vine")
    assert c.method == "trpo_vine" and np.all(c.steps_per_iteration <= 3000)
    c = trpo(mdp, pol, np.zeros(15), 1, 3000, rng=0, fisher="empirical", constraint="max")
    assert c.method == "trpo_single_path_empirical_max"


def test_bad_input_names_the_argument():
    mdp, pol = tiny()
    smp = single_path(mdp, pol.probs(np.zeros(15)), 5, 10, rng=0)
    with pytest.raises(ValueError, match="fisher"):
        sample_trpo_step(smp, pol, np.zeros(15), 0.01, fisher="exact")
    with pytest.raises(ValueError, match="constraint"):
        sample_trpo_step(smp, pol, np.zeros(15), 0.01, constraint="min")
    with pytest.raises(ValueError, match="delta"):
        sample_trpo_step(smp, pol, np.zeros(15), 0.0)
    with pytest.raises(ValueError, match="step_length"):
        sample_trpo_step(smp, pol, np.zeros(15), 0.01, step_length=-1.0)
    with pytest.raises(ValueError, match="estimator"):
        trpo(mdp, pol, np.zeros(15), 1, 1000, estimator="tree")
    with pytest.raises(ValueError, match="budget"):
        trpo(mdp, pol, np.zeros(15), 1, 40)
    with pytest.raises(ValueError, match="step_length"):
        natural_gradient(mdp, pol, np.zeros(15), 1, 1000, step_length=0)
    assert len(repr(sample_trpo_step(smp, pol, np.zeros(15), 0.01))) < 160

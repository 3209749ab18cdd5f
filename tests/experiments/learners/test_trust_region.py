"""Tests of experiments/learners/trust_region.py: the Eq. (14) surrogate for any parametric policy
(against tabular.estimators.surrogate_estimate), the empirical Fisher (converges to the analytic one),
the per-state curvature, and the CG + line-search routine (against the existing practical step)."""

import numpy as np
import pytest

from experiments.learners import kl_constrained_step, sample_surrogate
from bounds.updates.practical import trpo_step_samples
from tabular.estimators import single_path, surrogate_estimate, vine
from tabular.evaluation import evaluate
from tabular.parametric import LogLinear, TabularSoftmax, onehot_features

from ._helpers import tiny


@pytest.mark.parametrize("kind", ["single_path", "vine"])
def test_surrogate_value_and_gradient_equal_the_softmax_estimator(kind):
    mdp, pol = tiny()
    theta = np.random.default_rng(0).normal(size=15)
    pi = pol.probs(theta)
    smp = single_path(mdp, pi, 50, 30, rng=1) if kind == "single_path" else vine(mdp, pi, 20, 30, rng=1)
    sur = sample_surrogate(smp, pol, theta)
    th2 = theta + 0.3 * np.random.default_rng(1).normal(size=15)
    ref = surrogate_estimate(smp, th2.reshape(5, 3))
    assert sur.value(th2) == pytest.approx(ref.value, rel=1e-12)
    np.testing.assert_allclose(sur.grad(th2), ref.grad.ravel(), rtol=1e-10, atol=1e-12)


def test_loglinear_with_onehot_features_is_the_softmax_surrogate():
    mdp, pol = tiny()
    ll = LogLinear(onehot_features(5, 3))
    theta = np.random.default_rng(2).normal(size=15)
    smp = single_path(mdp, pol.probs(theta), 40, 30, rng=3)
    a, b = sample_surrogate(smp, pol, theta), sample_surrogate(smp, ll, theta)
    v = np.random.default_rng(3).normal(size=15)
    np.testing.assert_allclose(a.grad(theta), b.grad(theta), atol=1e-12)
    np.testing.assert_allclose(a.empirical_fvp()(v), b.empirical_fvp()(v), atol=1e-12)
    np.testing.assert_allclose(a.analytic_fvp()(v), b.analytic_fvp()(v), atol=1e-12)


@pytest.mark.parametrize("kind", ["softmax", "loglinear"])
def test_empirical_fisher_converges_to_the_analytic_fisher(kind):
    mdp, pol = tiny(kind)
    theta = 0.5 * np.random.default_rng(4).normal(size=pol.n_params)
    pi = pol.probs(theta)
    F = pol.fisher(theta, evaluate(mdp, pi).d)  # exact Fisher, weights d_old
    errors = []
    for n in (20, 200, 20000):
        sur = sample_surrogate(single_path(mdp, pi, n, 60, rng=5), pol, theta)
        Femp = np.column_stack([sur.empirical_fvp()(e) for e in np.eye(pol.n_params)])
        np.testing.assert_allclose(Femp, Femp.T, atol=1e-12)  # symmetric, PSD
        assert np.linalg.eigvalsh(Femp).min() > -1e-12
        errors.append(np.linalg.norm(Femp - F) / np.linalg.norm(F))
    assert errors[2] < 0.03 and errors[2] < errors[1] < errors[0], errors


def test_max_curvature_is_the_largest_per_state_quadratic_model():
    mdp, pol = tiny()
    theta = np.random.default_rng(6).normal(size=15)
    sur = sample_surrogate(single_path(mdp, pol.probs(theta), 30, 30, rng=7), pol, theta)
    v = np.random.default_rng(8).normal(size=15)
    per_state = [v @ pol.fvp(theta, np.eye(5)[s], v) for s in range(5) if sur.visited[s]]
    assert sur.max_curvature(v) == pytest.approx(max(per_state), rel=1e-12)
    # and 1/2 v^T F_s v is the second-order model of the per-state KL
    t = 1e-3
    assert sur.max_kl(theta + t * v) == pytest.approx(0.5 * t**2 * sur.max_curvature(v), rel=1e-2)


def test_kl_constrained_step_reproduces_the_practical_step():
    mdp, pol = tiny()
    theta = np.random.default_rng(9).normal(size=15)
    smp = single_path(mdp, pol.probs(theta), 60, 30, rng=10)
    sur = sample_surrogate(smp, pol, theta)
    L0 = sur.value(theta)
    for delta in (1e-3, 0.05, 1.0):
        ref = trpo_step_samples(smp, pol, theta, delta)
        got = kl_constrained_step(theta, sur.grad(theta), sur.analytic_fvp(), delta,
                                  gain=lambda th: sur.value(th) - L0, kl=sur.mean_kl)
        np.testing.assert_allclose(got.theta_new, ref.theta_new, rtol=1e-10, atol=1e-12)
        assert got.accepted == ref.accepted and got.beta == pytest.approx(ref.beta, rel=1e-10)


def test_kl_constrained_step_fixed_length_and_stationary_point():
    theta = np.zeros(3)
    g = np.array([1.0, 0.0, 0.0])
    res = kl_constrained_step(theta, g, lambda v: 2.0 * v, 0.1, gain=None, kl=None, step_length=0.5,
                              line_search=False)
    np.testing.assert_allclose(res.theta_new, [0.25 / (1 + 0.0005), 0, 0], rtol=1e-9)
    assert res.beta == 0.5 and res.accepted
    none = kl_constrained_step(theta, np.zeros(3), lambda v: v, 0.1, gain=None, kl=None)
    assert not none.accepted and np.array_equal(none.theta_new, theta)
    assert len(repr(res)) < 120


def test_bad_input_names_the_argument():
    mdp, pol = tiny()
    smp = single_path(mdp, pol.probs(np.zeros(15)), 5, 10, rng=0)
    with pytest.raises(TypeError, match="samples"):
        sample_surrogate("samples", pol, np.zeros(15))
    with pytest.raises(TypeError, match="policy"):
        sample_surrogate(smp, None, np.zeros(15))
    with pytest.raises(ValueError, match="another MDP"):
        sample_surrogate(smp, TabularSoftmax(5, 4), np.zeros(20))
    with pytest.raises(ValueError, match="theta_old"):
        sample_surrogate(smp, pol, np.zeros(4))
    with pytest.raises(ValueError, match="delta"):
        kl_constrained_step(np.zeros(2), np.ones(2), lambda v: v, -1.0, gain=None, kl=None)
    with pytest.raises(ValueError, match="g must"):
        kl_constrained_step(np.zeros(2), np.ones(3), lambda v: v, 1.0, gain=None, kl=None)
    with pytest.raises(ValueError, match="backtrack"):
        kl_constrained_step(np.zeros(2), np.ones(2), lambda v: v, 1.0, gain=None, kl=None, backtrack=1.0)
    assert len(repr(sample_surrogate(smp, pol, np.zeros(15)))) < 120

"""Tests of tabular/importance.py: full-trajectory, per-decision and per-state importance sampling.

Independent checks: the exact moments of the forward recursion against (a) exhaustive enumeration of
every episode of a tiny MDP through the direct sample formulas, (b) the closed forms of evaluation
(eta, Eq. (3)'s L, the exact gradients), (c) Monte Carlo means within a confidence interval; the
per-state ratio against tabular.estimators' Eq. (14) on the same samples; the weights' second moment
against its growth rate.
"""

import itertools

import numpy as np
import pytest

from tabular import importance as I
from tabular.estimators import single_path, surrogate_estimate
from tabular.evaluation import evaluate, surrogate_of
from tabular.gradients import softmax_policy_gradient, softmax_surrogate_gradient
from tabular.policies import softmax
from tabular.sampling import Trajectories, sample_trajectories
from tabular.zoo import garnet

Z = 4.5  # standard errors allowed per coordinate (fixed seeds; Bonferroni-safe over these checks)


@pytest.fixture(scope="module")
def setup():
    mdp = garnet(3, 2, branching=2, rng=4, gamma=0.8, reward="signed")
    rng = np.random.default_rng(7)
    th_mu = rng.normal(size=(3, 2))
    th_pi = th_mu + 0.4 * rng.normal(size=(3, 2))
    th_new = th_pi + 0.4 * rng.normal(size=(3, 2))
    return dict(mdp=mdp, th_mu=th_mu, th_pi=th_pi, th_new=th_new,
                mu=softmax(th_mu), pi=softmax(th_pi), pi_new=softmax(th_new))


def _all_episodes(mdp, mu, H):
    """Every episode of length H of mu with its probability, as one Trajectories."""
    S, A = mdp.shape
    paths, probs = [], []
    for seq in itertools.product(range(S * A), repeat=H):
        s, a = np.divmod(np.array(seq), A)
        p = mdp.rho0[s[0]] * np.prod(mu[s, a]) * np.prod(mdp.P[s[:-1], a[:-1], s[1:]])
        paths.append((s, a))
        probs.append(p)
    st = np.array([p[0] for p in paths])
    ac = np.array([p[1] for p in paths])
    return Trajectories(st, ac, mdp.R[st, ac], mdp.gamma), np.array(probs)


@pytest.mark.parametrize("gradient", [False, True])
def test_moments_equal_enumeration_of_every_episode(setup, gradient):
    mdp, mu, pi, pi_new = setup["mdp"], setup["mu"], setup["pi"], setup["pi_new"]
    for H in (1, 3):
        traj, p = _all_episodes(mdp, mu, H)
        assert abs(p.sum() - 1.0) < 1e-12
        cases = [(I.is_moments(mdp, mu, pi_new, H, e, gradient), I.is_estimates(traj, mu, pi_new, e, gradient))
                 for e in I.ESTIMATORS]
        cases += [(I.reuse_moments(mdp, mu, pi, pi_new, H, e, gradient),
                   I.reuse_estimates(traj, mu, pi, pi_new, e, gradient)) for e in I.REUSE_ESTIMATORS]
        for m, x in cases:
            pw = p.reshape(-1, *([1] * (x.ndim - 1)))
            mean = np.sum(pw * x, axis=0)
            var = np.sum(pw * (x - mean) ** 2, axis=0)
            np.testing.assert_allclose(m.mean[-1], mean, rtol=1e-11, atol=1e-12, err_msg=m.estimator)
            np.testing.assert_allclose(m.variance[-1], var, rtol=1e-9, atol=1e-12, err_msg=m.estimator)


def test_means_equal_the_closed_forms_at_a_long_horizon(setup):
    """Full and per-decision IS: eta(pi_new) - eta(mu); per-state ratio: L_mu(pi_new) - eta(mu) (Eq. (3));
    reuse: L_pi(pi_new) - eta(pi) and L_mu(pi_new) - L_mu(pi); the gradients likewise."""
    mdp, mu, pi, pi_new = setup["mdp"], setup["mu"], setup["pi"], setup["pi_new"]
    ev_mu, ev_pi, ev_new = evaluate(mdp, mu), evaluate(mdp, pi), evaluate(mdp, pi_new)
    H = 200  # 0.8^200 ~ 4e-20: truncation below round-off
    diff = ev_new.eta - ev_mu.eta
    for est, target in (("full", diff), ("per_decision", diff), ("per_state", surrogate_of(ev_mu, pi_new) - ev_mu.eta)):
        assert abs(I.is_moments(mdp, mu, pi_new, H, est).mean[-1] - target) < 1e-12, est
    g_eta = softmax_policy_gradient(mdp, setup["th_new"])
    g_L_mu = softmax_surrogate_gradient(mdp, setup["th_mu"], setup["th_new"])
    for est, target in (("full", g_eta), ("per_decision", g_eta), ("per_state", g_L_mu)):
        np.testing.assert_allclose(I.is_moments(mdp, mu, pi_new, H, est, gradient=True).mean[-1], target,
                                   atol=1e-12, err_msg=est)
    assert abs(I.reuse_moments(mdp, mu, pi, pi_new, H, "per_decision").mean[-1]
               - (surrogate_of(ev_pi, pi_new) - ev_pi.eta)) < 1e-12
    assert abs(I.reuse_moments(mdp, mu, pi, pi_new, H, "per_state").mean[-1]
               - I.stale_surrogate_target(mdp, mu, pi, pi_new)) < 1e-12
    np.testing.assert_allclose(I.reuse_moments(mdp, mu, pi, pi_new, H, "per_decision", True).mean[-1],
                               softmax_surrogate_gradient(mdp, setup["th_pi"], setup["th_new"]), atol=1e-12)
    np.testing.assert_allclose(I.reuse_moments(mdp, mu, pi, pi_new, H, "per_state", True).mean[-1],
                               g_L_mu, atol=1e-12)


def test_per_state_bias_is_the_surrogate_error(setup):
    """The bias of the per-state ratio for eta(pi_new) - eta(mu) is exactly L_mu(pi_new) - eta(pi_new)."""
    mdp, mu, pi_new = setup["mdp"], setup["mu"], setup["pi_new"]
    ev_mu, ev_new = evaluate(mdp, mu), evaluate(mdp, pi_new)
    bias = I.is_moments(mdp, mu, pi_new, 200, "per_state").mean[-1] - (ev_new.eta - ev_mu.eta)
    assert abs(bias - (surrogate_of(ev_mu, pi_new) - ev_new.eta)) < 1e-12
    assert abs(bias) > 1e-3  # the policies are far apart: the identity is not 0 = 0


def test_monte_carlo_means_are_unbiased_within_a_confidence_interval(setup):
    """The unbiased estimators' sample means are within Z standard errors of their exact means, and the
    sample variances within 5% of the exact variances (N = 100,000 episodes)."""
    mdp, mu, pi, pi_new = setup["mdp"], setup["mu"], setup["pi"], setup["pi_new"]
    H = 12
    traj = sample_trajectories(mdp, mu, 100_000, H, rng=3)
    for gradient in (False, True):
        pairs = [(I.is_moments(mdp, mu, pi_new, H, e, gradient), I.is_estimates(traj, mu, pi_new, e, gradient))
                 for e in I.ESTIMATORS]
        pairs += [(I.reuse_moments(mdp, mu, pi, pi_new, H, e, gradient),
                   I.reuse_estimates(traj, mu, pi, pi_new, e, gradient)) for e in I.REUSE_ESTIMATORS]
        for m, x in pairs:
            se = x.std(axis=0, ddof=1) / np.sqrt(x.shape[0])
            assert np.all(np.abs(x.mean(axis=0) - m.mean[-1]) <= Z * se + 1e-12), (m.estimator, gradient)
            assert abs(x.var(axis=0, ddof=1).sum() / m.total_variance[-1] - 1.0) < 0.05, (m.estimator, gradient)


def test_per_state_is_the_eq14_estimate_on_the_same_samples(setup):
    """is_estimates(..., "per_state") = Lhat(pi_new) - Lhat(mu) of tabular.estimators (Eq. (14))."""
    mdp, mu, pi_new = setup["mdp"], setup["mu"], setup["pi_new"]
    smp = single_path(mdp, mu, 50, 9, rng=11)
    traj = sample_trajectories(mdp, mu, 50, 9, rng=11)  # the same episodes (same stream)
    eq14 = surrogate_estimate(smp, setup["th_new"]).per_group - surrogate_estimate(smp, setup["th_mu"]).per_group
    np.testing.assert_allclose(I.is_estimates(traj, mu, pi_new, "per_state"), eq14, rtol=1e-12, atol=1e-13)
    g = surrogate_estimate(smp, setup["th_new"]).per_group_grad
    np.testing.assert_allclose(I.is_estimates(traj, mu, pi_new, "per_state", gradient=True), g, atol=1e-12)


def test_reuse_from_the_current_policy_is_the_on_policy_estimate(setup):
    mdp, pi, pi_new = setup["mdp"], setup["pi"], setup["pi_new"]
    traj = sample_trajectories(mdp, pi, 30, 8, rng=2)
    for gradient in (False, True):
        a, b = (I.reuse_moments(mdp, pi, pi, pi_new, 8, e, gradient) for e in I.REUSE_ESTIMATORS)
        np.testing.assert_allclose(a.mean, b.mean, atol=1e-13)
        np.testing.assert_allclose(a.variance, b.variance, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(I.reuse_estimates(traj, pi, pi, pi_new, "per_decision", gradient),
                                   I.reuse_estimates(traj, pi, pi, pi_new, "per_state", gradient), atol=1e-12)
        np.testing.assert_allclose(I.reuse_estimates(traj, pi, pi, pi_new, "per_state", gradient),
                                   I.is_estimates(traj, pi, pi_new, "per_state", gradient), atol=1e-12)


def test_sparse_model_gives_the_same_moments(setup):
    mdp, mu, pi_new = setup["mdp"], setup["mu"], setup["pi_new"]
    sp_mdp = mdp.to_sparse()
    for e in I.ESTIMATORS:
        a, b = I.is_moments(mdp, mu, pi_new, 10, e, True), I.is_moments(sp_mdp, mu, pi_new, 10, e, True)
        np.testing.assert_allclose(a.second_moment, b.second_moment, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(I.weight_second_moment(mdp, mu, pi_new, 10),
                               I.weight_second_moment(sp_mdp, mu, pi_new, 10), rtol=1e-12)
    assert abs(I.weight_growth_rate(mdp, mu, pi_new) - I.weight_growth_rate(sp_mdp, mu, pi_new)) < 1e-12


def test_weight_second_moment_and_its_growth_rate(setup):
    mdp, mu, pi_new = setup["mdp"], setup["mu"], setup["pi_new"]
    traj, p = _all_episodes(mdp, mu, 3)
    W = np.prod(pi_new[traj.states, traj.actions] / mu[traj.states, traj.actions], axis=1)
    m2 = I.weight_second_moment(mdp, mu, pi_new, 60)
    assert abs(np.sum(p * W) - 1.0) < 1e-12 and abs(np.sum(p * W**2) - m2[2]) < 1e-12
    r = I.weight_growth_rate(mdp, mu, pi_new)
    assert r > 1.0 and abs(m2[-1] / m2[-2] - r) < 1e-6 * r
    assert abs(I.weight_growth_rate(mdp, mu, mu) - 1.0) < 1e-12
    np.testing.assert_allclose(I.weight_second_moment(mdp, mu, mu, 5), 1.0, rtol=1e-12)


def test_effective_sample_size():
    assert I.effective_sample_size(np.ones(7)) == pytest.approx(7.0)
    assert I.effective_sample_size([0.0, 3.0, 0.0]) == pytest.approx(1.0)
    assert I.effective_sample_size([1.0, 3.0]) == pytest.approx(16.0 / 10.0)
    for bad in ([], [-1.0, 2.0], [0.0, 0.0]):
        with pytest.raises(ValueError, match="weights"):
            I.effective_sample_size(bad)


def test_bad_input_names_the_argument(setup):
    mdp, mu, pi_new = setup["mdp"], setup["mu"], setup["pi_new"]
    with pytest.raises(ValueError, match="estimator"):
        I.is_moments(mdp, mu, pi_new, 5, "weighted")
    with pytest.raises(ValueError, match="estimator"):
        I.reuse_moments(mdp, mu, mu, pi_new, 5, "full")
    with pytest.raises(ValueError, match="horizon"):
        I.is_moments(mdp, mu, pi_new, 0)
    with pytest.raises(TypeError, match="horizon"):
        I.is_moments(mdp, mu, pi_new, 5.0)
    with pytest.raises(TypeError, match="gradient"):
        I.is_moments(mdp, mu, pi_new, 5, gradient="yes")
    with pytest.raises(TypeError, match="mdp"):
        I.is_moments(mu, mu, pi_new, 5)
    with pytest.raises(ValueError, match="pi_new"):
        I.is_moments(mdp, mu, pi_new[:, :1], 5)
    det = np.array([[1.0, 0.0]] * 3)
    with pytest.raises(ValueError, match="mu"):  # pi_new > 0 where mu = 0: no importance weight exists
        I.is_moments(mdp, det, pi_new, 5)
    with pytest.raises(ValueError, match="full support"):
        I.is_moments(mdp, mu, det, 5, gradient=True)
    assert I.is_moments(mdp, mu, det, 5).mean.shape == (5,)  # values need no full support
    with pytest.raises(TypeError, match="traj"):
        I.is_estimates("episodes", mu, pi_new)
    traj = sample_trajectories(garnet(5, 2, 2, rng=0), softmax(np.zeros((5, 2))), 4, 3, rng=0)
    with pytest.raises(ValueError, match="traj"):
        I.is_estimates(traj, mu, pi_new)


def test_repr_and_fields(setup):
    m = I.is_moments(setup["mdp"], setup["mu"], setup["pi_new"], 4, "full", gradient=True)
    assert m.horizon == 4 and m.mean.shape == (4, 3, 2) and m.total_variance.shape == (4,)
    assert "full" in repr(m) and not m.mean.flags.writeable


def test_written_out_recursion_equals_the_general_one(setup):
    """The entry-by-entry recursion of the cumulative-score estimators (the fast path) against the
    general affine-recursion moments, with a non-trivial weight and several coordinates."""
    mdp, mu = setup["mdp"], setup["mu"]
    rng = np.random.default_rng(5)
    w, g = 2.0 * rng.random((3, 2)), rng.normal(size=(4, 3, 2))
    fast = I._cumulative_score(mdp, mu, w, g, 25)
    ref = I._cumulative_score_reference(mdp, mu, w, g, 25)
    for a, b in zip(fast, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_a_batch_of_behaviour_policies_equals_one_at_a_time(setup):
    mdp, mu, pi, pi_new = setup["mdp"], setup["mu"], setup["pi"], setup["pi_new"]
    mus = np.stack([mu, pi, 0.5 * (mu + pi_new)])
    for est in I.REUSE_ESTIMATORS:
        for gradient in (False, True):
            batch = I.reuse_moments(mdp, mus, pi, pi_new, 7, est, gradient)
            assert batch.mean.shape == ((7, 3, 3, 2) if gradient else (7, 3))
            assert batch.total_variance.shape == (7, 3)
            for b in range(3):
                one = I.reuse_moments(mdp, mus[b], pi, pi_new, 7, est, gradient)
                np.testing.assert_allclose(batch.mean[:, b], one.mean, rtol=1e-13, atol=1e-15)
                np.testing.assert_allclose(batch.variance[:, b], one.variance, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="mu"):
        I.reuse_moments(mdp, np.zeros((2, 3, 2)), pi, pi_new, 3)


def test_batches_of_all_three_policies_broadcast(setup):
    mdp, mu, pi, pi_new = setup["mdp"], setup["mu"], setup["pi"], setup["pi_new"]
    mus, pis, news = np.stack([mu, pi]), np.stack([pi, pi_new]), np.stack([pi_new, mu])
    for est in I.REUSE_ESTIMATORS:
        batch = I.reuse_moments(mdp, mus, pis, news, 6, est, gradient=True)
        for b in range(2):
            one = I.reuse_moments(mdp, mus[b], pis[b], news[b], 6, est, gradient=True)
            np.testing.assert_allclose(batch.variance[:, b], one.variance, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(I.reuse_moments(mdp, mu, pis, pi_new, 6, est).mean[:, 1],
                                   I.reuse_moments(mdp, mu, pi_new, pi_new, 6, est).mean, atol=1e-15)
    with pytest.raises(ValueError, match="one length"):
        I.reuse_moments(mdp, np.stack([mu, mu, mu]), pis, pi_new, 3)

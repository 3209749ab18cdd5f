"""Tests of tabular/estimators.py: sample-based estimators vs exact tabular values.

Independent checks: Monte Carlo means against exact gradients / surrogates (tabular.gradients,
tabular.evaluation) within Z standard errors per coordinate; the closed-form bias of GAE / k-step with
an inexact V against Monte Carlo; PPO gradients against central finite differences.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabular import estimators as E
from tabular.evaluation import evaluate, surrogate
from tabular.gradients import softmax_policy_gradient, softmax_surrogate_gradient
from tabular.mdp import MDP
from tabular.policies import softmax
from tabular.sampling import horizon_for, sample_trajectories
from tabular.zoo import garnet

#: Standard errors allowed per coordinate. 12 coordinates x ~40 checks: P(|Z| > 4.5) ~ 7e-6 each, so
#: a Bonferroni bound on any false failure is ~3e-3 (and the seeds are fixed).
Z = 4.5
GAMMA = 0.8
N_EP = 20_000
#: Truncation at gamma^H <= 1e-7 biases each gradient coordinate by far less than this.
ATOL = 1e-5


@pytest.fixture(scope="module")
def setup():
    mdp = garnet(4, 3, branching=2, rng=1, gamma=GAMMA, reward="signed")
    theta = np.random.default_rng(0).normal(size=(4, 3))
    pi = softmax(theta)
    ev = evaluate(mdp, pi)
    H = horizon_for(GAMMA, 1e-7)
    traj = sample_trajectories(mdp, pi, N_EP, H, rng=1)
    g = softmax_policy_gradient(mdp, theta, ev)
    V_bad = ev.V + np.array([1.0, -1.0, 0.5, 2.0])
    return dict(mdp=mdp, theta=theta, pi=pi, ev=ev, H=H, traj=traj, g=g, V_bad=V_bad)


def _within(est_mean, stderr, exact, z=Z):
    dev = np.abs(np.asarray(est_mean) - exact)
    return np.all(dev <= z * np.asarray(stderr) + ATOL), float(np.max(dev / (np.asarray(stderr) + 1e-300)))


def _max_z(est_mean, stderr, exact):
    return float(np.max(np.abs(np.asarray(est_mean) - exact) / np.asarray(stderr)))


# ---------------------------------------------------------------------------- unbiased PG estimators
UNBIASED = {
    "reinforce": lambda c: E.pg_reinforce(c["traj"], c["theta"]),
    "reinforce-b=1.5": lambda c: E.pg_reinforce(c["traj"], c["theta"], 1.5),
    "reinforce-constant": lambda c: E.pg_reinforce(c["traj"], c["theta"], "constant"),
    "reinforce-optimal": lambda c: E.pg_reinforce(c["traj"], c["theta"], "optimal"),
    "reinforce-optimal-scalar": lambda c: E.pg_reinforce(c["traj"], c["theta"], "optimal_scalar"),
    "rtg": lambda c: E.pg_reward_to_go(c["traj"], c["theta"]),
    "rtg-constant": lambda c: E.pg_reward_to_go(c["traj"], c["theta"], "constant"),
    "rtg-optimal": lambda c: E.pg_reward_to_go(c["traj"], c["theta"], "optimal"),
    "rtg-optimal-scalar": lambda c: E.pg_reward_to_go(c["traj"], c["theta"], "optimal_scalar"),
    "rtg-time": lambda c: E.pg_reward_to_go(c["traj"], c["theta"], "time"),
    "rtg-V_pi": lambda c: E.pg_reward_to_go(c["traj"], c["theta"], "state", V=c["ev"].V),
    "rtg-V_bad": lambda c: E.pg_reward_to_go(c["traj"], c["theta"], "state", V=c["V_bad"]),
    "gae-lam1-V_bad": lambda c: E.pg_from_advantages(c["traj"], c["theta"], E.gae_advantages(c["traj"], c["V_bad"], 1.0)),
    "gae-lam0-V_pi": lambda c: E.pg_from_advantages(c["traj"], c["theta"], E.gae_advantages(c["traj"], c["ev"].V, 0.0)),
    "gae-lam0.5-V_pi": lambda c: E.pg_from_advantages(c["traj"], c["theta"], E.gae_advantages(c["traj"], c["ev"].V, 0.5)),
    "gae-lam0.95-V_pi": lambda c: E.pg_from_advantages(c["traj"], c["theta"], E.gae_advantages(c["traj"], c["ev"].V, 0.95)),
    "kstep1-V_pi": lambda c: E.pg_from_advantages(c["traj"], c["theta"], E.k_step_advantages(c["traj"], c["ev"].V, 1)),
    "kstep3-V_pi": lambda c: E.pg_from_advantages(c["traj"], c["theta"], E.k_step_advantages(c["traj"], c["ev"].V, 3)),
}


@pytest.mark.parametrize("name", list(UNBIASED))
def test_unbiased_policy_gradient_estimators(setup, name):
    """Estimators the theory calls unbiased: MC mean within Z standard errors of the exact grad eta
    (policy gradient theorem, tabular.gradients)."""
    est = UNBIASED[name](setup)
    ok, z = _within(est.grad, est.stderr, setup["g"])
    assert ok, f"{name}: max |deviation| = {z:.2f} standard errors"
    assert est.per_episode.shape == (N_EP, 4, 3)


def test_baselines_reduce_variance(setup):
    """Sanity of the seed notes' ordering: baselines and causality reduce the variance of REINFORCE."""
    c = setup
    var = lambda e: float(np.sum(e.per_episode.var(axis=0)))
    v_rf = var(E.pg_reinforce(c["traj"], c["theta"]))
    v_rf_opt = var(E.pg_reinforce(c["traj"], c["theta"], "optimal"))
    v_rtg = var(E.pg_reward_to_go(c["traj"], c["theta"]))
    v_rtg_V = var(E.pg_reward_to_go(c["traj"], c["theta"], "state", V=c["ev"].V))
    assert v_rf_opt < v_rf and v_rtg < v_rf and v_rtg_V < v_rtg


def test_optimal_baseline_minimizes_variance(setup):
    """The per-coordinate optimal constant baseline has per-coordinate variance no larger than fixed
    constants on a grid (to within the leave-one-out / finite-sample slack)."""
    c = setup
    v_opt = E.pg_reinforce(c["traj"], c["theta"], "optimal").per_episode.var(axis=0)
    for b in np.linspace(-3, 3, 13):
        v_b = E.pg_reinforce(c["traj"], c["theta"], float(b)).per_episode.var(axis=0)
        assert np.all(v_opt <= v_b * (1 + 1e-2) + 1e-12)


# ---------------------------------------------------------------------------- biased PG estimators
@pytest.mark.parametrize("lam", [0.0, 0.5, 0.8])
def test_gae_inexact_V_is_biased_as_predicted(setup, lam):
    """GAE(lambda < 1) with V = V_pi + e: MC mean is far (> 8 SE) from grad eta, and within CI of the
    closed-form expectation gae_expected_gradient (telescoping of E[delta | s, a])."""
    c = setup
    est = E.pg_from_advantages(c["traj"], c["theta"], E.gae_advantages(c["traj"], c["V_bad"], lam))
    pred = E.gae_expected_gradient(c["mdp"], c["theta"], c["V_bad"], lam, ev=c["ev"])
    assert _max_z(est.grad, est.stderr, c["g"]) > 8.0
    ok, z = _within(est.grad, est.stderr, pred)
    assert ok, f"lam={lam}: {z:.2f} SE from the predicted biased mean"


def test_gae_bias_vanishes_as_lambda_to_one(setup):
    c = setup
    lams = [0.0, 0.3, 0.6, 0.9, 0.99, 1.0]
    bias = [np.linalg.norm(E.gae_expected_gradient(c["mdp"], c["theta"], c["V_bad"], l, ev=c["ev"]) - c["g"])
            for l in lams]
    assert all(b1 > b2 for b1, b2 in itertools.pairwise(bias))
    assert bias[-1] < 1e-12 and bias[0] > 0.1
    # with exact V the predicted bias is zero at every lambda
    for l in lams:
        np.testing.assert_allclose(E.gae_expected_gradient(c["mdp"], c["theta"], c["ev"].V, l, ev=c["ev"]),
                                   c["g"], atol=1e-12)
    # the MC bias at lambda = 0.9 is smaller than at lambda = 0 (measured, not predicted)
    mc = lambda l: E.pg_from_advantages(c["traj"], c["theta"], E.gae_advantages(c["traj"], c["V_bad"], l)).grad
    assert np.linalg.norm(mc(0.9) - c["g"]) < 0.5 * np.linalg.norm(mc(0.0) - c["g"])


@pytest.mark.parametrize("k", [1, 2, 3])
def test_k_step_inexact_V_is_biased_as_predicted(setup, k):
    c = setup
    est = E.pg_from_advantages(c["traj"], c["theta"], E.k_step_advantages(c["traj"], c["V_bad"], k))
    pred = E.k_step_expected_gradient(c["mdp"], c["theta"], c["V_bad"], k, ev=c["ev"])
    assert _max_z(est.grad, est.stderr, c["g"]) > 8.0
    ok, z = _within(est.grad, est.stderr, pred)
    assert ok, f"k={k}: {z:.2f} SE from the predicted biased mean"


def test_k_step_one_equals_gae_zero_and_large_k_equals_rtg(setup):
    """Definitions: k = 1 is the TD error (= GAE(0)); k >= H is G_t - V(s_t) (= GAE(1))."""
    c = setup
    np.testing.assert_allclose(E.k_step_advantages(c["traj"], c["V_bad"], 1),
                               E.gae_advantages(c["traj"], c["V_bad"], 0.0), atol=1e-12)
    G = c["traj"].returns_to_go()
    np.testing.assert_allclose(E.k_step_advantages(c["traj"], c["V_bad"], c["H"] + 3),
                               G - c["V_bad"][c["traj"].states], atol=1e-10)
    np.testing.assert_allclose(E.gae_advantages(c["traj"], c["V_bad"], 1.0),
                               G - c["V_bad"][c["traj"].states], atol=1e-10)


def test_undiscounted_state_weighting_is_biased(setup):
    """Dropping gamma^t on the score (common practice) does not estimate grad eta."""
    c = setup
    est = E.pg_reward_to_go(c["traj"], c["theta"], "state", V=c["ev"].V, discount_states=False)
    assert _max_z(est.grad, est.stderr, c["g"]) > 8.0


# ---------------------------------------------------------------------------- surrogate, Eq. (14)
def test_offset_relates_target_to_surrogate(setup):
    """L_{pi_old}(pi_theta) = M(theta) + eta_old - rho_old . V_old, with L from tabular.evaluation (Eq. 3)."""
    c = setup
    rng = np.random.default_rng(5)
    for _ in range(5):
        pi_new = softmax(c["theta"] + rng.normal(size=c["theta"].shape))
        L = surrogate(c["mdp"], c["pi"], pi_new, ev=c["ev"])
        M = E.surrogate_target(c["mdp"], c["pi"], pi_new, ev_old=c["ev"])
        assert abs(M + E.surrogate_offset(c["mdp"], c["pi"], ev_old=c["ev"]) - L) < 1e-10


@pytest.fixture(scope="module")
def sp_samples(setup):
    return E.single_path(setup["mdp"], setup["pi"], N_EP, setup["H"], rng=3)


@pytest.fixture(scope="module")
def vine_samples(setup):
    return E.vine(setup["mdp"], setup["pi"], 6000, setup["H"], rng=4)


@pytest.mark.parametrize("kind", ["single_path", "vine", "vine_q"])
@pytest.mark.parametrize("step", [0.0, 0.4])
def test_surrogate_estimators_unbiased(setup, sp_samples, vine_samples, kind, step):
    """Lhat(theta) and its gradient: MC mean within CI of M(theta) and of grad L (tabular.gradients)."""
    c = setup
    if kind == "single_path":
        samples = sp_samples
    elif kind == "vine":
        samples = vine_samples
    else:  # K = 2 actions sampled from a uniform q != pi_old
        samples = E.vine(c["mdp"], c["pi"], 6000, c["H"], rng=6, n_actions=2, q=np.full((4, 3), 1 / 3))
    theta = c["theta"] + step * np.random.default_rng(7).normal(size=c["theta"].shape)
    est = E.surrogate_estimate(samples, theta)
    M = E.surrogate_target(c["mdp"], c["pi"], softmax(theta), ev_old=c["ev"])
    assert abs(est.value - M) <= Z * est.stderr + ATOL
    gL = softmax_surrogate_gradient(c["mdp"], c["theta"], theta, ev_old=c["ev"])
    ok, z = _within(est.grad, est.grad_stderr, gL)
    assert ok, f"{kind}: {z:.2f} SE"


def test_single_path_gradient_at_old_is_reward_to_go(setup):
    """At theta = theta_old the single-path surrogate gradient is the reward-to-go PG estimate (Eq. 4)."""
    c = setup
    samples = E.single_path(c["mdp"], c["pi"], 500, c["H"], rng=11)
    traj = sample_trajectories(c["mdp"], c["pi"], 500, c["H"], rng=11)
    np.testing.assert_allclose(E.surrogate_estimate(samples, c["theta"]).grad,
                               E.pg_reward_to_go(traj, c["theta"]).grad, atol=1e-10)
    assert samples.steps == 500 * c["H"]


def test_vine_q_at_a_state_within_ci(setup):
    c = setup
    n = 4000
    for s in range(4):
        samples = E.vine(c["mdp"], c["pi"], rollout_horizon=c["H"], rng=20 + s, states=np.full(n, s))
        q = samples.q_hat.reshape(n, 3)
        se = q.std(axis=0, ddof=1) / np.sqrt(n)
        assert np.all(np.abs(q.mean(axis=0) - c["ev"].Q[s]) <= Z * se + ATOL)
        assert samples.steps == n * 3 * c["H"]


def _two_action_mdp(mix: float, gamma: float = 0.9) -> MDP:
    """State 0: actions 0 and 1 with rewards 1 and 0; action 1's next-state row is (1 - mix) times
    action 0's plus mix times another row. mix = 0: identical dynamics."""
    rng = np.random.default_rng(2)
    S, A = 5, 2
    P = rng.dirichlet(np.ones(S), size=(S, A))
    other = rng.dirichlet(np.ones(S))
    P[0, 1] = (1 - mix) * P[0, 0] + mix * other
    R = rng.uniform(-1, 1, size=(S, A))
    R[0] = [1.0, 0.0]
    return MDP(P, R, np.full(S, 1 / S), gamma)


@pytest.mark.parametrize("mix", [0.0, 0.1])
def test_vine_common_random_numbers_reduce_variance_of_differences(mix):
    mdp = _two_action_mdp(mix)
    pi = np.full((5, 2), 0.5)
    ev = evaluate(mdp, pi)
    n, H = 3000, horizon_for(mdp.gamma, 1e-6)
    diff = {}
    for crn in (True, False):
        smp = E.vine(mdp, pi, rollout_horizon=H, rng=30, states=np.zeros(n, dtype=int), common_random_numbers=crn)
        q = smp.q_hat.reshape(n, 2)
        diff[crn] = q[:, 0] - q[:, 1]
        # each marginal Q estimate is unbiased either way
        se = q.std(axis=0, ddof=1) / np.sqrt(n)
        assert np.all(np.abs(q.mean(axis=0) - ev.Q[0]) <= Z * se + 1e-5)
    if mix == 0.0:  # identical dynamics: with CRN the difference is exactly r(0,0) - r(0,1) = 1
        np.testing.assert_allclose(diff[True], 1.0, atol=1e-12)
        assert diff[False].var() > 0.1
    else:
        assert diff[True].var() < 0.5 * diff[False].var()
    d = diff[True]
    assert abs(d.mean() - (ev.Q[0, 0] - ev.Q[0, 1])) <= Z * d.std(ddof=1) / np.sqrt(n) + 1e-5


# ---------------------------------------------------------------------------- PPO
def _ppo_data(seed, M=40, S=4, A=3, scale=1.0):
    rng = np.random.default_rng(seed)
    theta_old = rng.normal(size=(S, A))
    theta = theta_old + scale * rng.normal(size=(S, A))
    s = rng.integers(0, S, size=M)
    a = rng.integers(0, A, size=M)
    adv = rng.normal(size=M)
    return theta_old, theta, s, a, adv


def _fd(f, theta, h=1e-6):
    g = np.zeros_like(theta)
    for idx in np.ndindex(theta.shape):
        e = np.zeros_like(theta)
        e[idx] = h
        g[idx] = (f(theta + e) - f(theta - e)) / (2 * h)
    return g


def test_ppo_first_order_agreement_at_old():
    theta_old, _, s, a, adv = _ppo_data(0)
    out = E.ppo_objectives(theta_old, theta_old, s, a, adv, eps=0.2)
    assert abs(out.l_clip - out.l_is) < 1e-14 and abs(out.l_is - adv.mean()) < 1e-12
    np.testing.assert_allclose(out.grad_clip, out.grad_is, atol=1e-14)
    np.testing.assert_allclose(out.grad_is, _fd(lambda t: E.ppo_objectives(t, theta_old, s, a, adv).l_is, theta_old),
                               atol=1e-7)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.0, 3.0), eps=st.floats(0.05, 0.5))
def test_ppo_clip_is_pessimistic(seed, scale, eps):
    theta_old, theta, s, a, adv = _ppo_data(seed, scale=scale)
    out = E.ppo_objectives(theta, theta_old, s, a, adv, eps=eps)
    assert out.l_clip <= out.l_is + 1e-12
    # per sample, independently of the code: min(rA, clip(r)A) <= rA
    r = softmax(theta)[s, a] / softmax(theta_old)[s, a]
    assert np.all(np.minimum(r * adv, np.clip(r, 1 - eps, 1 + eps) * adv) <= r * adv + 1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ppo_gradients_match_finite_differences(seed):
    theta_old, theta, s, a, adv = _ppo_data(seed, scale=0.5)
    out = E.ppo_objectives(theta, theta_old, s, a, adv, eps=0.2)
    r = out.ratio
    # keep away from the kinks of clip so central differences are valid
    assert np.min(np.abs(np.abs(r - 1) - 0.2)) > 1e-4
    assert 0 < out.clipped.sum() < len(r)
    np.testing.assert_allclose(out.grad_clip, _fd(lambda t: E.ppo_objectives(t, theta_old, s, a, adv).l_clip, theta),
                               atol=1e-7)
    np.testing.assert_allclose(out.grad_is, _fd(lambda t: E.ppo_objectives(t, theta_old, s, a, adv).l_is, theta),
                               atol=1e-7)


def test_ppo_clipping_zeroes_only_the_pushing_direction():
    theta_old = np.zeros((1, 2))
    up = np.array([[1.0, 0.0]])  # pi(0) = 0.731 vs 0.5: r(a=0) = 1.46, r(a=1) = 0.54
    for a, A_, zero in [(0, +1.0, True), (0, -1.0, False), (1, -1.0, True), (1, +1.0, False)]:
        out = E.ppo_objectives(up, theta_old, np.array([0]), np.array([a]), np.array([A_]), eps=0.2)
        assert bool(out.clipped[0]) == zero
        if zero:  # outside the range and the objective would push r further out: no gradient
            assert np.all(out.grad_clip == 0.0) and np.linalg.norm(out.grad_is) > 0.1
        else:  # outside the range but pulling back: the unclipped gradient is kept
            np.testing.assert_allclose(out.grad_clip, out.grad_is, atol=1e-15)
            assert np.linalg.norm(out.grad_clip) > 0.1


# ---------------------------------------------------------------------------- input validation
def test_bad_inputs_raise(setup):
    c = setup
    with pytest.raises(ValueError, match="baseline"):
        E.pg_reward_to_go(c["traj"], c["theta"], "bogus")
    with pytest.raises(ValueError, match="baseline"):
        E.pg_reinforce(c["traj"], c["theta"], "time")
    with pytest.raises(ValueError, match="V"):
        E.pg_reward_to_go(c["traj"], c["theta"], "state")
    with pytest.raises(ValueError, match="V"):
        E.pg_reward_to_go(c["traj"], c["theta"], "state", V=np.zeros(3))
    with pytest.raises(ValueError, match="lam"):
        E.gae_advantages(c["traj"], c["ev"].V, 1.5)
    with pytest.raises(ValueError, match="k"):
        E.k_step_advantages(c["traj"], c["ev"].V, 0)
    with pytest.raises(ValueError, match="eps"):
        E.ppo_objectives(c["theta"], c["theta"], [0], [0], [1.0], eps=0.0)
    with pytest.raises(ValueError, match="theta"):
        E.pg_reinforce(c["traj"], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="n_states"):
        E.vine(c["mdp"], c["pi"], 0, 5, rng=0)
    with pytest.raises(ValueError, match="psi"):
        E.pg_from_advantages(c["traj"], c["theta"], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="contains NaN"):
        E.gae_advantages(c["traj"], np.array([0.0, np.nan, 0.0, 0.0]), 0.5)


def test_vine_dense_and_sparse_models_agree(setup):
    """The vine's inverse-CDF rollouts give identical samples on a dense MDP and its sparse copy."""
    c = setup
    for kw in ({}, {"n_actions": 2}):
        a = E.vine(c["mdp"], c["pi"], 50, 20, rng=9, **kw)
        b = E.vine(c["mdp"].to_sparse(), c["pi"], 50, 20, rng=9, **kw)
        np.testing.assert_array_equal(a.states, b.states)
        np.testing.assert_array_equal(a.actions, b.actions)
        np.testing.assert_allclose(a.q_hat, b.q_hat, rtol=0, atol=1e-12)
        assert a.steps == b.steps


def test_result_reprs_are_short_and_have_the_key_numbers():
    mdp = garnet(200, 4, 3, rng=0, gamma=0.9)
    theta = np.zeros((200, 4))
    pi = softmax(theta)
    sp_ = E.single_path(mdp, pi, 50, 20, rng=0)
    vn = E.vine(mdp, pi, 30, 10, rng=0)
    for samples, kind in ((sp_, "single_path"), (vn, "vine")):
        text = repr(samples)
        assert len(text) < 400 and text.startswith(f"SurrogateSamples(kind='{kind}', ")
        assert f"n_groups={samples.n_groups}" in text and f"steps={samples.steps}" in text
    est = E.surrogate_estimate(sp_, theta)
    text = repr(est)
    assert len(text) < 400 and f"value={est.value:.6g}" in text and "stderr=" in text
    traj = sample_trajectories(mdp, pi, 40, 20, rng=1)
    g = E.pg_reinforce(traj, theta)
    text = repr(g)
    assert len(text) < 400 and text.startswith("GradientEstimate(n_episodes=40, shape=(200, 4)")
    ppo = E.ppo_objectives(theta, theta, traj.states, traj.actions, np.ones(traj.states.shape))
    text = repr(ppo)
    assert len(text) < 400 and f"l_clip={ppo.l_clip:.6g}" in text and f"l_is={ppo.l_is:.6g}" in text


def test_counts_must_be_integers(setup):
    c = setup
    with pytest.raises(TypeError, match=r"^n_episodes must be a positive integer, got 10.0"):
        E.single_path(c["mdp"], c["pi"], 10.0, 5, rng=0)
    with pytest.raises(TypeError, match=r"^rollout_horizon must be a positive integer"):
        E.vine(c["mdp"], c["pi"], 3, 2.5, rng=0)
    with pytest.raises(TypeError, match=r"^k must be a positive integer"):
        E.k_step_advantages(c["traj"], c["ev"].V, 1.5)
    with pytest.raises(TypeError, match=r"^mdp must be a tabular.MDP"):
        E.single_path(c["pi"], c["mdp"], 10, 5)


def test_states_and_actions_must_be_integer_indices(setup):
    c = setup
    traj = c["traj"]
    with pytest.raises(ValueError, match=r"^states must be integers in \[0, 4\), got dtype float64"):
        E.score_sums(c["theta"], traj.states.astype(float), traj.actions, np.ones(traj.states.shape))
    with pytest.raises(ValueError, match=r"^actions must be integers in \[0, 3\)"):
        E.score_sums(c["theta"], traj.states, traj.actions + 3, np.ones(traj.states.shape))
    with pytest.raises(TypeError, match=r"^coef must be an array of real numbers"):
        E.score_sums(c["theta"], traj.states, traj.actions, np.ones(traj.states.shape) * 1j)
    with pytest.raises(ValueError, match=r"^states must be integers in \[0, 4\)"):
        E.ppo_objectives(c["theta"], c["theta"], [0.0], [0], [1.0])


def test_flags_and_trajectories_are_checked(setup):
    c = setup
    with pytest.raises(TypeError, match=r"^common_random_numbers must be True or False, got str 'no'"):
        E.vine(c["mdp"], c["pi"], 3, 5, rng=0, common_random_numbers="no")
    with pytest.raises(TypeError, match=r"^discount_states must be True or False"):
        E.pg_reward_to_go(c["traj"], c["theta"], discount_states="no")
    with pytest.raises(TypeError, match=r"^discount_states must be True or False"):
        E.pg_from_advantages(c["traj"], c["theta"], np.zeros(c["traj"].states.shape), discount_states=0)
    with pytest.raises(TypeError, match=r"^traj must be a tabular.sampling.Trajectories"):
        E.gae_advantages(c["traj"].states, c["ev"].V, 0.5)
    with pytest.raises(TypeError, match=r"^traj must be a tabular.sampling.Trajectories"):
        E.k_step_advantages(None, c["ev"].V, 2)
    with pytest.raises(ValueError, match=r"^V has 2 entries but traj visits state"):
        E.k_step_advantages(c["traj"], np.zeros(2), 2)

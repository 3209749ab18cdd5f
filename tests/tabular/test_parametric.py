"""Tests of tabular/parametric.py: scores, gradients, Fisher matrix and FVP of the softmax and
log-linear policies against central finite differences, and one-hot log-linear = tabular softmax."""

import numpy as np
import pytest

from tabular.evaluation import evaluate, surrogate
from tabular.gradients import softmax_fisher, softmax_policy_gradient
from tabular.parametric import (
    LogLinear,
    TabularSoftmax,
    onehot_features,
    random_features,
)
from tabular.policies import softmax
from tabular.zoo import garnet

H = 1e-5  # central-difference step for first derivatives
H2 = 1e-4  # step for the Hessian (differences of analytic-free KL values)


def _fd_grad(f, x, h=H):
    """Central finite-difference gradient of a scalar function of a flat vector."""
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def _fd_hessian_at(f, x, h=H2):
    """Central second differences of f at x (the KL has its minimum there)."""
    n = x.size
    Hm = np.zeros((n, n))
    E = np.eye(n) * h
    for i in range(n):
        for j in range(i, n):
            v = (f(x + E[i] + E[j]) - f(x + E[i] - E[j]) - f(x - E[i] + E[j]) + f(x - E[i] - E[j])) / (4 * h * h)
            Hm[i, j] = Hm[j, i] = v
    return Hm


def _rel(x, y):
    return np.max(np.abs(x - y)) / max(np.max(np.abs(x)), np.max(np.abs(y)), 1e-12)


def _independent_probs(policy, theta):
    """pi from the definition, computed without the class (direct exp / normalize)."""
    if isinstance(policy, TabularSoftmax):
        z = np.exp(theta.reshape(policy.n_states, policy.n_actions))
    else:
        z = np.exp(np.einsum("sai,i->sa", policy.features, theta))
    return z / z.sum(axis=1, keepdims=True)


def _independent_kl(policy, theta_old, theta, w):
    p, q = _independent_probs(policy, theta_old), _independent_probs(policy, theta)
    return float(w @ np.sum(p * np.log(p / q), axis=1))


def _cases():
    out = []
    for i, gamma in enumerate((0.0, 0.6, 0.9)):
        mdp = garnet(6, 3, 2, rng=10 + i, gamma=gamma, reward="signed")
        out.append(pytest.param(mdp, TabularSoftmax(6, 3), 5 * i, id=f"softmax-g{gamma}"))
        out.append(pytest.param(mdp, LogLinear(random_features(6, 3, 4, rng=20 + i)), 5 * i + 1,
                                id=f"loglinear-g{gamma}"))
    return out


@pytest.mark.parametrize("mdp, policy, seed", _cases())
def test_probs_match_definition(mdp, policy, seed):
    theta = np.random.default_rng(seed).normal(size=policy.n_params)
    pi = policy.probs(theta)
    assert np.allclose(pi, _independent_probs(policy, theta), rtol=1e-13, atol=1e-15)
    assert np.allclose(np.exp(policy.log_probs(theta)), pi, rtol=1e-14)


@pytest.mark.parametrize("mdp, policy, seed", _cases())
def test_grad_log_prob_matches_finite_differences(mdp, policy, seed):
    theta = np.random.default_rng(seed).normal(size=policy.n_params)
    G = policy.grad_log_prob(theta)
    S, A = mdp.shape
    assert G.shape == (S, A, policy.n_params)
    for s, a in [(0, 0), (S - 1, A - 1), (2, 1)]:
        fd = _fd_grad(lambda th, s=s, a=a: np.log(_independent_probs(policy, th)[s, a]), theta)
        assert _rel(G[s, a], fd) < 1e-6


@pytest.mark.parametrize("mdp, policy, seed", _cases())
def test_policy_gradient_matches_finite_differences(mdp, policy, seed):
    theta = np.random.default_rng(seed).normal(size=policy.n_params)
    g = policy.policy_gradient(mdp, theta)
    fd = _fd_grad(lambda th: evaluate(mdp, _independent_probs(policy, th)).eta, theta)
    assert g.shape == (policy.n_params,)
    assert _rel(g, fd) < 1e-6


@pytest.mark.parametrize("mdp, policy, seed", _cases())
def test_surrogate_gradient_matches_finite_differences_and_eq4(mdp, policy, seed):
    rng = np.random.default_rng(seed)
    theta_old = rng.normal(size=policy.n_params)
    theta = theta_old + 0.7 * rng.normal(size=policy.n_params)
    ev_old = evaluate(mdp, _independent_probs(policy, theta_old))
    gL = policy.surrogate_gradient(mdp, theta_old, theta)
    fd = _fd_grad(lambda th: surrogate(mdp, ev_old.pi, _independent_probs(policy, th), ev=ev_old), theta)
    assert _rel(gL, fd) < 1e-6
    # Eq. (4): at theta = theta_old the surrogate gradient is the policy gradient (FD of eta)
    g0 = policy.surrogate_gradient(mdp, theta_old, theta_old)
    fd_eta = _fd_grad(lambda th: evaluate(mdp, _independent_probs(policy, th)).eta, theta_old)
    assert _rel(g0, fd_eta) < 1e-6


@pytest.mark.parametrize("mdp, policy, seed", _cases())
def test_fisher_is_kl_hessian_and_fvp_matches(mdp, policy, seed):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=policy.n_params)
    w = rng.random(mdp.n_states)
    F = policy.fisher(theta, w)
    Hfd = _fd_hessian_at(lambda th: _independent_kl(policy, theta, th, w), theta)
    assert _rel(F, Hfd) < 1e-5
    assert np.array_equal(F, F.T)
    assert np.linalg.eigvalsh(F).min() > -1e-12 * max(1.0, np.abs(F).max())
    for _ in range(3):
        v = rng.normal(size=policy.n_params)
        assert _rel(policy.fvp(theta, w, v), Hfd @ v) < 1e-5
        assert np.allclose(policy.fvp(theta, w, v), F @ v, rtol=1e-12, atol=1e-13)
        assert np.allclose(policy.fvp_operator(theta, w)(v), F @ v, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("mdp, policy, seed", _cases())
def test_mean_kl_matches_definition(mdp, policy, seed):
    rng = np.random.default_rng(seed)
    t0, t1 = rng.normal(size=(2, policy.n_params))
    w = rng.random(mdp.n_states)
    assert np.isclose(policy.mean_kl(t0, t1, w), _independent_kl(policy, t0, t1, w), rtol=1e-10)
    assert policy.mean_kl(t0, t0, w) == 0.0


def test_softmax_fisher_null_space_is_one_constant_per_state():
    S, A = 5, 4
    pol = TabularSoftmax(S, A)
    theta = np.random.default_rng(3).normal(size=S * A)
    w = np.random.default_rng(4).random(S) + 0.1
    F = pol.fisher(theta, w)
    assert np.linalg.matrix_rank(F, tol=1e-10) == S * (A - 1)
    for s in range(S):  # adding a constant to theta[s, :] is invisible to the policy
        e = np.zeros((S, A))
        e[s] = 1.0
        assert np.allclose(F @ e.ravel(), 0.0, atol=1e-14)
        assert np.allclose(pol.fvp(theta, w, e.ravel()), 0.0, atol=1e-14)
    # against the independent block formula of tabular.gradients
    assert np.allclose(F, softmax_fisher(softmax(theta.reshape(S, A)), w), rtol=1e-12, atol=1e-15)


def test_softmax_matches_tabular_gradients_module():
    mdp = garnet(7, 3, 3, rng=5, gamma=0.8)
    pol = TabularSoftmax(7, 3)
    theta = np.random.default_rng(6).normal(size=21)
    g = pol.policy_gradient(mdp, theta)
    assert np.allclose(g, softmax_policy_gradient(mdp, theta.reshape(7, 3)).ravel(), rtol=1e-12, atol=1e-14)
    # the (S, A) form of theta is accepted for the softmax
    assert np.allclose(pol.probs(theta.reshape(7, 3)), pol.probs(theta))


def test_onehot_loglinear_equals_tabular_softmax():
    mdp = garnet(6, 4, 3, rng=7, gamma=0.9, reward="signed")
    S, A = mdp.shape
    tab = TabularSoftmax(S, A)
    ll = LogLinear(onehot_features(S, A))
    rng = np.random.default_rng(8)
    theta_old, theta = rng.normal(size=(2, S * A))
    w = rng.random(S)
    v = rng.normal(size=S * A)
    assert ll.n_params == tab.n_params == S * A
    assert np.allclose(ll.probs(theta), tab.probs(theta), rtol=1e-14)
    assert np.allclose(ll.grad_log_prob(theta), tab.grad_log_prob(theta), atol=1e-14)
    assert np.allclose(ll.policy_gradient(mdp, theta), tab.policy_gradient(mdp, theta), rtol=1e-12, atol=1e-14)
    assert np.allclose(ll.surrogate_gradient(mdp, theta_old, theta), tab.surrogate_gradient(mdp, theta_old, theta),
                       rtol=1e-12, atol=1e-14)
    assert np.allclose(ll.fisher(theta, w), tab.fisher(theta, w), rtol=1e-12, atol=1e-15)
    assert np.allclose(ll.fvp(theta, w, v), tab.fvp(theta, w, v), rtol=1e-12, atol=1e-15)
    assert np.isclose(ll.mean_kl(theta_old, theta, w), tab.mean_kl(theta_old, theta, w), rtol=1e-12)


def test_loglinear_shares_parameters_across_states():
    # d < S(A-1): the Fisher matrix has full rank d for generic features (not block diagonal)
    pol = LogLinear(random_features(10, 3, 4, rng=1))
    theta = np.zeros(4)
    F = pol.fisher(theta, np.full(10, 0.1))
    assert np.linalg.matrix_rank(F) == 4
    assert np.all(np.linalg.eigvalsh(F) > 0)


def test_features_are_copied_and_readonly():
    phi = random_features(3, 2, 2, rng=0)
    pol = LogLinear(phi)
    phi[0, 0, 0] = 99.0
    assert pol.features[0, 0, 0] != 99.0
    with pytest.raises(ValueError):
        pol.features[0, 0, 0] = 1.0


def test_random_features_are_reproducible():
    assert np.array_equal(random_features(4, 3, 2, rng=5), random_features(4, 3, 2, rng=5))
    assert not np.array_equal(random_features(4, 3, 2, rng=5), random_features(4, 3, 2, rng=6))


def test_bad_input_raises():
    tab = TabularSoftmax(3, 2)
    ll = LogLinear(random_features(3, 2, 2, rng=0))
    with pytest.raises(ValueError, match="theta"):
        tab.probs(np.zeros(5))
    with pytest.raises(ValueError, match="theta"):
        ll.probs(np.zeros(3))
    with pytest.raises(ValueError, match="theta"):
        ll.probs(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="theta"):
        tab.probs(np.array([0, 0, 0, 0, 0, np.nan]))
    with pytest.raises(ValueError, match="weights"):
        tab.fisher(np.zeros(6), np.ones(2))
    with pytest.raises(ValueError, match="weights"):
        tab.fvp(np.zeros(6), np.array([1.0, -1.0, 1.0]), np.zeros(6))
    with pytest.raises(ValueError, match="v must"):
        tab.fvp(np.zeros(6), np.ones(3), np.zeros(4))
    with pytest.raises(ValueError, match="mdp has shape"):
        tab.policy_gradient(garnet(4, 2, 2, rng=0), np.zeros(6))
    with pytest.raises(ValueError, match="features"):
        LogLinear(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="n_states"):
        TabularSoftmax(0, 2)
    with pytest.raises(TypeError):
        TabularSoftmax(2.5, 2)


def test_short_reprs():
    ll = LogLinear(random_features(200, 4, 5, rng=0))
    assert repr(ll) == "LogLinear(S=200, A=4, d=5)"
    assert repr(TabularSoftmax(200, 4)) == "TabularSoftmax(n_states=200, n_actions=4)"


def test_check_mdp_names_mdp():
    with pytest.raises(TypeError, match=r"^mdp must be a tabular.MDP, got a numpy array of shape \(3, 2\)"):
        TabularSoftmax(3, 2).policy_gradient(np.zeros((3, 2)), np.zeros(6))


def test_random_features_scale_is_checked():
    with pytest.raises(ValueError, match=r"^scale must be positive"):
        random_features(2, 2, 2, scale=0.0)
    with pytest.raises(TypeError, match=r"^scale must be a real number"):
        random_features(2, 2, 2, scale="1")

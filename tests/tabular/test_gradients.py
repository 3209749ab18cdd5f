"""Tests of tabular/gradients.py: analytic softmax gradients and Fisher matrix vs finite differences."""

import numpy as np
import pytest

from tabular.divergences import mean_kl
from tabular.evaluation import evaluate, surrogate
from tabular.gradients import (
    mean_kl_softmax,
    softmax_fisher,
    softmax_fvp,
    softmax_policy_gradient,
    softmax_surrogate_gradient,
)
from tabular.policies import softmax
from tabular.zoo import garnet, mdp_x

H_FD = 1e-5  # central-difference step for first derivatives
GAMMAS = [0.0, 0.5, 0.9, 0.99]


def _cases():
    """(mdp, seed) over dense and sparse Garnets and several discounts."""
    out = []
    for i, gamma in enumerate(GAMMAS):
        for sparse in (False, True):
            S, A = (5, 3) if not sparse else (7, 2)
            mdp = garnet(S, A, branching=2 + i % 2, rng=100 + 10 * i + sparse, gamma=gamma, sparse=sparse,
                         reward="signed")
            out.append(pytest.param(mdp, 7 * i + sparse, id=f"g{gamma}-{'sparse' if sparse else 'dense'}"))
    return out


def _central_diff(f, theta, h=H_FD):
    """Central finite-difference gradient of a scalar function of theta (independent of the code under test)."""
    g = np.zeros_like(theta)
    for idx in np.ndindex(theta.shape):
        e = np.zeros_like(theta)
        e[idx] = h
        g[idx] = (f(theta + e) - f(theta - e)) / (2 * h)
    return g


def _rel(x, y):
    return np.max(np.abs(x - y)) / max(np.max(np.abs(x)), np.max(np.abs(y)), 1e-12)


@pytest.mark.parametrize("mdp, seed", _cases())
def test_policy_gradient_matches_finite_differences(mdp, seed):
    theta = np.random.default_rng(seed).normal(scale=1.5, size=mdp.shape)
    g = softmax_policy_gradient(mdp, theta)
    g_fd = _central_diff(lambda th: evaluate(mdp, softmax(th)).eta, theta)
    assert g.shape == mdp.shape
    assert _rel(g, g_fd) < 1e-6


@pytest.mark.parametrize("mdp, seed", _cases())
def test_surrogate_gradient_matches_finite_differences(mdp, seed):
    rng = np.random.default_rng(seed)
    theta_old = rng.normal(scale=1.5, size=mdp.shape)
    theta = theta_old + rng.normal(scale=1.0, size=mdp.shape)  # away from theta_old
    pi_old = softmax(theta_old)
    ev_old = evaluate(mdp, pi_old)
    g = softmax_surrogate_gradient(mdp, theta_old, theta)
    g_fd = _central_diff(lambda th: surrogate(mdp, pi_old, softmax(th), ev=ev_old), theta)
    assert _rel(g, g_fd) < 1e-6
    # passing the precomputed evaluation gives the same answer
    np.testing.assert_array_equal(g, softmax_surrogate_gradient(mdp, theta_old, theta, ev_old=ev_old))


@pytest.mark.parametrize("mdp, seed", _cases())
def test_gradients_equal_at_theta_old_eq4(mdp, seed):
    """Eq. (4) of [TRPO]: grad L_{pi_theta0}(pi_theta)|theta0 = grad eta(pi_theta)|theta0."""
    theta0 = np.random.default_rng(seed).normal(scale=2.0, size=mdp.shape)
    g_eta = softmax_policy_gradient(mdp, theta0)
    g_L = softmax_surrogate_gradient(mdp, theta0, theta0)
    scale = max(1.0, np.max(np.abs(mdp.R))) / (1 - mdp.gamma) ** 2
    np.testing.assert_allclose(g_L, g_eta, rtol=0, atol=1e-12 * scale)


def test_policy_gradient_gamma0_closed_form():
    """gamma = 0: eta = sum_s rho0(s) sum_a pi R, so d eta/d theta[s,a] = rho0(s) pi(a|s)(R(s,a) - pi_s . R_s)."""
    mdp = garnet(6, 4, 3, rng=3, gamma=0.0, reward="signed")
    theta = np.random.default_rng(4).normal(size=mdp.shape)
    pi = softmax(theta)
    expected = mdp.rho0[:, None] * pi * (mdp.R - np.sum(pi * mdp.R, axis=1, keepdims=True))
    np.testing.assert_allclose(softmax_policy_gradient(mdp, theta), expected, rtol=1e-12, atol=1e-15)


def test_gradient_is_constant_shift_invariant():
    """Adding c(s) to theta[s, :] leaves pi unchanged, so the gradient rows sum to zero."""
    mdp = garnet(6, 3, 3, rng=8, gamma=0.9)
    theta = np.random.default_rng(1).normal(size=mdp.shape)
    g = softmax_policy_gradient(mdp, theta)
    np.testing.assert_allclose(g.sum(axis=1), 0.0, atol=1e-12 * np.max(np.abs(g)))


def _fd_hessian(f, x0, h=1e-4):
    """Second-order central finite-difference Hessian of a scalar function of a flat vector."""
    n = x0.size
    H = np.zeros((n, n))
    E = np.eye(n) * h
    for i in range(n):
        for j in range(i, n):
            v = (f(x0 + E[i] + E[j]) - f(x0 + E[i] - E[j]) - f(x0 - E[i] + E[j]) + f(x0 - E[i] - E[j])) / (4 * h * h)
            H[i, j] = H[j, i] = v
    return H


@pytest.mark.parametrize("seed, S, A", [(0, 3, 3), (1, 4, 2), (2, 2, 5)])
def test_fisher_is_hessian_of_mean_kl(seed, S, A):
    rng = np.random.default_rng(seed)
    theta_old = rng.normal(scale=1.5, size=(S, A))
    w = rng.random(S) * 3
    F = softmax_fisher(softmax(theta_old), w)
    H = _fd_hessian(lambda x: mean_kl_softmax(theta_old, x.reshape(S, A), w), theta_old.ravel())
    assert F.shape == (S * A, S * A)
    assert np.max(np.abs(F - H)) <= 1e-5 * np.max(np.abs(F))


def test_fisher_hessian_with_rho_weights_of_an_mdp():
    """With w = rho_old, F is the Hessian of the mean KL of Eq. (12) of [TRPO] (sparse MDP)."""
    mdp = garnet(4, 3, 2, rng=5, gamma=0.9, sparse=True)
    theta_old = np.random.default_rng(6).normal(size=mdp.shape)
    rho = evaluate(mdp, softmax(theta_old)).rho
    F = softmax_fisher(softmax(theta_old), rho)
    H = _fd_hessian(lambda x: mean_kl_softmax(theta_old, x.reshape(mdp.shape), rho), theta_old.ravel())
    assert np.max(np.abs(F - H)) <= 1e-5 * np.max(np.abs(F))


@pytest.mark.parametrize("seed", range(5))
def test_fisher_structure(seed):
    rng = np.random.default_rng(seed)
    S, A = 5, 4
    pi = softmax(rng.normal(scale=2.0, size=(S, A)))  # full support
    w = rng.random(S) + 0.1
    F = softmax_fisher(pi, w)
    np.testing.assert_array_equal(F, F.T)
    eig = np.linalg.eigvalsh(F)
    assert eig.min() >= -1e-12 * eig.max()
    for s in range(S):
        ones_s = np.zeros(S * A)
        ones_s[s * A:(s + 1) * A] = 1.0
        np.testing.assert_allclose(F @ ones_s, 0.0, atol=1e-14)
        block = F[s * A:(s + 1) * A, s * A:(s + 1) * A]
        assert np.linalg.matrix_rank(block, tol=1e-10) == A - 1
        # off-diagonal blocks vanish
        off = np.delete(F[s * A:(s + 1) * A], np.s_[s * A:(s + 1) * A], axis=1)
        assert not np.any(off)
    assert np.linalg.matrix_rank(F, tol=1e-10) == S * (A - 1)


def test_fisher_rank_drops_with_zero_weight_and_deterministic_rows():
    pi = np.array([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5], [0.5, 0.5, 0.0]])
    F = softmax_fisher(pi, np.array([1.0, 0.0, 2.0]))
    # deterministic row: zero block; zero weight: zero block; two-action support: rank 1
    assert np.linalg.matrix_rank(F, tol=1e-12) == 1


@pytest.mark.parametrize("seed", range(3))
def test_fvp_equals_matrix_product(seed):
    rng = np.random.default_rng(seed)
    S, A = 6, 3
    pi = softmax(rng.normal(size=(S, A)))
    w = rng.random(S)
    F = softmax_fisher(pi, w)
    v = rng.normal(size=S * A)
    fv = softmax_fvp(pi, w, v)
    assert fv.shape == (S * A,)
    np.testing.assert_allclose(fv, F @ v, rtol=1e-12, atol=1e-14)
    fv2 = softmax_fvp(pi, w, v.reshape(S, A))
    assert fv2.shape == (S, A)
    np.testing.assert_allclose(fv2.ravel(), F @ v, rtol=1e-12, atol=1e-14)
    Fs = softmax_fisher(pi, w, sparse=True)
    np.testing.assert_allclose(Fs.toarray(), F, rtol=0, atol=0)


@pytest.mark.parametrize("seed", range(3))
def test_mean_kl_softmax_matches_divergences(seed):
    rng = np.random.default_rng(seed)
    S, A = 5, 3
    th0, th = rng.normal(size=(S, A)), rng.normal(size=(S, A))
    w = rng.random(S)
    expected = mean_kl(softmax(th0), softmax(th), w)
    assert mean_kl_softmax(th0, th, w) == pytest.approx(expected, rel=1e-12)
    assert mean_kl_softmax(th0, th0, w) == 0.0
    # constant shift of a row does not change the policy
    assert mean_kl_softmax(th0, th0 + rng.normal(size=(S, 1)), w) == pytest.approx(0.0, abs=1e-14)


def test_mean_kl_softmax_finite_for_large_parameters():
    th0 = np.array([[0.0, 800.0], [-700.0, 0.0]])
    th = np.array([[800.0, 0.0], [0.0, 0.0]])
    val = mean_kl_softmax(th0, th, np.ones(2))
    assert np.isfinite(val) and val == pytest.approx(800.0 + np.log(2), rel=1e-12)


def test_bad_input_raises():
    mdp = mdp_x(0.9)
    with pytest.raises(ValueError, match="theta"):
        softmax_policy_gradient(mdp, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="theta"):
        softmax_policy_gradient(mdp, np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match="theta_old"):
        softmax_surrogate_gradient(mdp, np.zeros((3, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="ev"):
        softmax_policy_gradient(mdp, np.zeros((3, 2)), ev=evaluate(mdp, softmax(np.eye(3, 2))))
    pi = np.full((3, 2), 0.5)
    with pytest.raises(ValueError, match="weights"):
        softmax_fisher(pi, np.array([1.0, -1.0, 0.0]))
    with pytest.raises(ValueError, match="weights"):
        softmax_fisher(pi, np.ones(2))
    with pytest.raises(ValueError, match="pi"):
        softmax_fisher(np.full((3, 2), 0.7), np.ones(3))
    with pytest.raises(ValueError, match="v"):
        softmax_fvp(pi, np.ones(3), np.ones(5))
    with pytest.raises(ValueError, match="theta"):
        mean_kl_softmax(np.zeros((3, 2)), np.zeros((2, 3)), np.ones(3))


def test_fisher_sparse_flag_must_be_a_bool():
    from tabular.gradients import softmax_fisher

    with pytest.raises(TypeError, match=r"^sparse must be True or False, got str 'no'"):
        softmax_fisher(np.full((2, 2), 0.5), np.ones(2), sparse="no")

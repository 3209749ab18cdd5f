"""Tests of bounds/symbolic/proofs.py: exact sympy identities of [TRPO], checked against the numpy core.

Independent computations used: the float solver of ``tabular.evaluate`` / ``tabular.surrogate``,
central finite differences of ``tabular.evaluate(...).eta`` and of ``tabular.kl``, plain
``sympy.diff`` of the ``LUsolve`` expressions, formulas typed in from THEORY.md, the float CPI bound
and step of ``bounds.inequalities``, and brute-force maximization on a grid.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import bounds
import tabular
from bounds import symbolic as sy
from bounds.symbolic import (
    derive_cpi_alpha_star,
    eta_gradient_symbolic,
    evaluate_symbolic,
    exact_rational_check,
    fisher_from_kl_hessian,
    prove_first_order_match,
    prove_surrogate_matches_eta,
    softmax_policy,
    surrogate_symbolic,
    symbolic_mdp,
)

from .helpers import TOL, as_array, is_zero_matrix, random_values, tabular_softmax


# ---------------------------------------------------------------------------- Eq. (4)
def test_surrogate_matches_eta_fully_symbolic():
    """L_{pi_theta0}(pi_theta0) = eta(pi_theta0) for symbolic P, R, rho0, gamma and theta0."""
    for mdp in (None, symbolic_mdp(2, 3)):
        expr = prove_surrogate_matches_eta(mdp)
        assert sp.simplify(expr) == 0


def test_surrogate_matches_eta_lu_route_on_rational_mdp():
    """Independent route: plain LUsolve expressions and sympy.cancel, softmax theta0 symbolic."""
    m = sy.random_rational_mdp(2, 2, rng=11)
    pol = softmax_policy(2, 2, "theta0")
    diff = surrogate_symbolic(m, pol, pol) - evaluate_symbolic(m, pol).eta
    expr, _ = sy.exp_to_symbols(diff)
    assert sp.cancel(sp.together(expr)) == 0


def test_first_order_match_fully_symbolic():
    """Eq. (4): grad_theta L_{pi_theta0}(pi_theta)|theta0 = grad_theta eta(pi_theta)|theta0."""
    for mdp, n in ((None, 4), (symbolic_mdp(2, 3), 6)):
        exprs = prove_first_order_match(mdp)
        assert len(exprs) == n
        assert all(sp.simplify(e) == 0 for e in exprs)


def test_first_order_match_with_rational_mdp():
    exprs = prove_first_order_match(sy.random_rational_mdp(3, 2, rng=3))
    assert len(exprs) == 6 and all(e == 0 for e in exprs)


# ---------------------------------------------------------------------------- softmax gradient
def test_gradient_equals_closed_form_symbolically():
    g = eta_gradient_symbolic()  # fully symbolic MDP and theta
    assert g.difference == sp.zeros(2, 2)
    # negative control: the gradient itself is not identically zero
    m = symbolic_mdp()
    vals = random_values(m, np.random.default_rng(0))
    vals.update({th: sp.Rational(k, 3) for k, th in enumerate(g.theta)})
    assert any(abs(sy.to_float(x, vals)) > 1e-6 for x in g.grad)


def test_fully_symbolic_gradient_matches_finite_differences():
    """Independent check of the fully symbolic gradient above (not only grad - closed_form = 0):
    substitute random values and compare with central differences of tabular eta."""
    rng = np.random.default_rng(5)
    g = eta_gradient_symbolic()
    m = symbolic_mdp()
    vals = random_values(m, rng)
    theta = np.array([[0.4, -0.3], [1.2, 0.1]])
    vals.update({g.theta[s, a]: sp.Rational(repr(float(theta[s, a]))) for s in range(2) for a in range(2)})
    grad = as_array(g.grad, vals)
    mdp_num = sy.to_tabular(m, {k: v for k, v in vals.items() if k in m.symbols})
    h = 1e-5
    fd = np.zeros_like(theta)
    for s in range(2):
        for a in range(2):
            e = np.zeros_like(theta)
            e[s, a] = h
            fd[s, a] = (tabular.evaluate(mdp_num, tabular_softmax(theta + e)).eta
                        - tabular.evaluate(mdp_num, tabular_softmax(theta - e)).eta) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("seed", range(3))
def test_gradient_matches_finite_differences_and_closed_form(seed):
    rng = np.random.default_rng(seed)
    m = sy.random_rational_mdp(2, 3, rng=rng)
    pol = softmax_policy(2, 3)
    g = eta_gradient_symbolic(m, pol)
    theta = rng.normal(size=(2, 3))
    vals = {pol.theta[s, a]: sp.Rational(repr(float(theta[s, a]))) for s in range(2) for a in range(3)}
    grad = as_array(g.grad, vals)
    closed = as_array(g.closed_form, vals)
    mdp_num = sy.to_tabular(m)
    # closed form rho(s) pi(a|s) A(s, a) from the float solver
    ev = tabular.evaluate(mdp_num, tabular_softmax(theta))
    np.testing.assert_allclose(closed, ev.rho[:, None] * ev.pi * ev.A, rtol=1e-10, atol=1e-12)
    # central finite differences of tabular eta
    h = 1e-5
    fd = np.zeros_like(theta)
    for s in range(2):
        for a in range(3):
            e = np.zeros_like(theta)
            e[s, a] = h
            fd[s, a] = (tabular.evaluate(mdp_num, tabular_softmax(theta + e)).eta
                        - tabular.evaluate(mdp_num, tabular_softmax(theta - e)).eta) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-7, atol=1e-8)


def test_gradient_matches_plain_sympy_diff():
    """The ring derivative equals sympy.diff of the LUsolve expression of eta (30-digit evaluation)."""
    m = sy.random_rational_mdp(2, 2, rng=21)
    pol = softmax_policy(2, 2)
    g = eta_gradient_symbolic(m, pol)
    eta = evaluate_symbolic(m, pol).eta
    vals = {th: sp.Rational(k - 1, 4) for k, th in enumerate(pol.theta)}
    for s in range(2):
        for a in range(2):
            direct = sp.diff(eta, pol.theta[s, a]).xreplace(vals).evalf(30)
            ring = g.grad[s, a].xreplace(vals).evalf(30)
            assert abs(direct - ring) < 1e-25


# ---------------------------------------------------------------------------- Fisher
@pytest.mark.parametrize("A", [2, 3])
def test_kl_hessian_is_fisher_single_state(A):
    res = fisher_from_kl_hessian(A)
    assert res.hessian.shape == (A, A)
    assert is_zero_matrix(res.hessian - res.fisher)
    # rank A-1: the ones vector is in the null space, and the leading minor is prod_a pi_a > 0
    assert is_zero_matrix(res.fisher * sp.ones(A, 1))
    pi = res.pi_old.row(0)
    minor = res.fisher[:A - 1, :A - 1].det()
    assert is_zero_matrix(sp.Matrix([minor - sp.Mul(*pi)]))
    # independent numeric check: second differences of tabular.kl at theta = theta_old
    theta_old = np.array([0.3, -0.7, 1.1][:A])
    vals = {res.theta_old[0, a]: sp.Rational(repr(float(theta_old[a]))) for a in range(A)}
    H = as_array(res.hessian, vals)
    p_old = tabular_softmax(theta_old[None, :])
    h = 1e-4

    def kl_at(t):
        return tabular.kl(p_old, tabular_softmax(t[None, :]))[0]

    H_fd = np.zeros((A, A))
    for i in range(A):
        for j in range(A):
            ei, ej = np.eye(A)[i] * h, np.eye(A)[j] * h
            H_fd[i, j] = (kl_at(theta_old + ei + ej) - kl_at(theta_old + ei - ej)
                          - kl_at(theta_old - ei + ej) + kl_at(theta_old - ei - ej)) / (4 * h * h)
    np.testing.assert_allclose(H, H_fd, atol=1e-6)
    assert np.linalg.matrix_rank(H, tol=1e-10) == A - 1


def test_kl_hessian_weighted_block_diagonal():
    S, A = 2, 3
    res = fisher_from_kl_hessian(A, S=S)
    assert res.hessian.shape == (S * A, S * A)
    assert is_zero_matrix(res.hessian - res.fisher)
    # off-diagonal blocks vanish, diagonal blocks are w(s) (diag pi_s - pi_s pi_s^T)
    assert res.hessian[0:A, A:2 * A] == sp.zeros(A, A)
    for s in range(S):
        p = res.pi_old.row(s).T
        block = res.weights[s] * (sp.diag(*p) - p * p.T)
        assert is_zero_matrix(res.hessian[s * A:(s + 1) * A, s * A:(s + 1) * A] - block)
    vals = {th: sp.Rational(k, 5) for k, th in enumerate(res.theta_old)}
    vals.update({w: sp.Rational(s + 1, 3) for s, w in enumerate(res.weights)})
    assert np.linalg.matrix_rank(as_array(res.hessian, vals), tol=1e-10) == S * (A - 1)


def test_kl_hessian_weighted_matches_tabular_kl():
    """Independent check of the weighted case: the KL expression equals sum_s w(s) tabular.kl at a
    point away from theta_old, and the Hessian equals second differences of that float KL."""
    S, A = 2, 3
    res = fisher_from_kl_hessian(A, S=S)
    rng = np.random.default_rng(1)
    theta_old, theta = rng.normal(size=(S, A)), rng.normal(size=(S, A))
    w = np.array([0.25, 1.5])
    vals = {res.theta_old[s, a]: sp.Rational(repr(float(theta_old[s, a]))) for s in range(S) for a in range(A)}
    vals.update({res.weights[s]: sp.Rational(repr(float(w[s]))) for s in range(S)})
    p_old = tabular_softmax(theta_old)

    def kl_at(t):
        return float(w @ tabular.kl(p_old, tabular_softmax(t)))

    at_theta = {res.theta[s, a]: sp.Rational(repr(float(theta[s, a]))) for s in range(S) for a in range(A)}
    assert sy.to_float(res.kl, {**vals, **at_theta}) == pytest.approx(kl_at(theta), rel=1e-12)
    H = as_array(res.hessian, vals)
    n, h = S * A, 1e-4
    H_fd = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            ei, ej = np.eye(n)[i].reshape(S, A) * h, np.eye(n)[j].reshape(S, A) * h
            H_fd[i, j] = (kl_at(theta_old + ei + ej) - kl_at(theta_old + ei - ej)
                          - kl_at(theta_old - ei + ej) + kl_at(theta_old - ei - ej)) / (4 * h * h)
    np.testing.assert_allclose(H, H_fd, atol=1e-6)


# ---------------------------------------------------------------------------- CPI step
def test_derive_cpi_alpha_star_matches_theory():
    c = derive_cpi_alpha_star()
    g, Ab, eps = c.gamma, c.Abar, c.eps
    # THEORY.md §3, typed in independently
    assert sp.simplify(c.alpha_star - (1 - g) ** 2 * Ab / (4 * g * eps)) == 0
    assert sp.simplify(c.gain - (1 - g) ** 2 * Ab ** 2 / (8 * g * eps)) == 0
    assert sp.simplify(c.f_prime.subs(c.alpha, c.alpha_star)) == 0
    assert c.concave is True
    # f(alpha*) - f(alpha* + h) = 2 eps gamma h^2 / (1-gamma)^2 >= 0: a strict global maximum
    h = sp.Symbol("h", real=True)
    drop = sp.factor(c.f.subs(c.alpha, c.alpha_star) - c.f.subs(c.alpha, c.alpha_star + h))
    assert sp.simplify(drop - 2 * eps * g * h ** 2 / (1 - g) ** 2) == 0


def test_derive_cpi_alpha_star_numeric_grid_and_clipping():
    c = derive_cpi_alpha_star()
    f = sp.lambdify((c.alpha, c.Abar, c.eps, c.gamma), c.f)
    for Ab, eps, g in [(0.05, 1.0, 0.9), (0.3, 2.0, 0.5), (5.0, 0.1, 0.3)]:
        grid = np.linspace(0.0, 1.0, 200001)
        best = grid[np.argmax(f(grid, Ab, eps, g))]
        clipped = float(c.alpha_star_clipped.subs({c.Abar: Ab, c.eps: eps, c.gamma: g}))
        assert best == pytest.approx(clipped, abs=1e-5)
        unclipped = (1 - g) ** 2 * Ab / (4 * g * eps)
        if unclipped < 1:
            gain = (1 - g) ** 2 * Ab ** 2 / (8 * g * eps)
            assert f(best, Ab, eps, g) <= gain * (1 + 1e-12)  # no grid point beats the derived gain
            assert f(best, Ab, eps, g) == pytest.approx(gain, rel=1e-3)
        else:
            assert clipped == 1.0


def test_derived_cpi_step_agrees_with_the_float_bound_and_step():
    """Independent check of f and alpha*: on a random MDP, f(alpha) at the float constants 𝔸', eps',
    gamma of bounds.inequalities.cpi_bound equals its L - eta - penalty, and Min(1, alpha*) equals
    bounds.inequalities.cpi_alpha_star (the float home of the same step)."""
    c = derive_cpi_alpha_star()
    rng = np.random.default_rng(4)
    mdp = tabular.garnet(6, 3, 2, rng=rng, gamma=0.8)
    pi = tabular.random_policy(mdp, rng=rng)
    ev = tabular.evaluate(mdp, pi)
    pi_prime = np.eye(mdp.n_actions)[np.argmax(ev.A, axis=1)]  # greedy: 𝔸' > 0
    for alpha in (0.0, 0.1, 0.5, 1.0):
        b = bounds.cpi_bound(mdp, pi, pi_prime, alpha, ev=ev)
        k = b.constants
        at = {c.alpha: alpha, c.Abar: k["A_prime"], c.eps: k["eps_prime"], c.gamma: mdp.gamma}
        assert float(c.f.subs(at)) == pytest.approx(b.rhs - b.eta, rel=1e-12, abs=1e-12)
    assert k["A_prime"] > 0
    clipped = float(c.alpha_star_clipped.subs({c.Abar: k["A_prime"], c.eps: k["eps_prime"], c.gamma: mdp.gamma}))
    assert clipped == pytest.approx(bounds.cpi_alpha_star(mdp, pi, pi_prime, ev=ev), rel=1e-12)


def test_cpi_premise_mixture_surrogate_is_linear_in_alpha():
    """The derivation's premise: L_pi((1-alpha) pi + alpha pi') - eta(pi) = alpha * Abar'."""
    rng = np.random.default_rng(3)
    mdp = tabular.garnet(5, 3, 2, rng=rng, gamma=0.9)
    pi = tabular.random_policy(mdp, rng=rng)
    pi_prime = tabular.random_policy(mdp, rng=rng)
    ev = tabular.evaluate(mdp, pi)
    Abar = ev.rho @ np.einsum("sa,sa->s", pi_prime, ev.A)
    for alpha in (0.0, 0.25, 0.7, 1.0):
        L = tabular.surrogate(mdp, pi, tabular.mixture(pi, pi_prime, alpha), ev=ev)
        assert L - ev.eta == pytest.approx(alpha * Abar, abs=1e-12)


# ---------------------------------------------------------------------------- exact rationals
@pytest.mark.parametrize("seed, S, A", [(0, 2, 2), (1, 2, 2), (2, 3, 2), (3, 2, 3)])
def test_exact_rational_check_residuals_are_exactly_zero(seed, S, A):
    res = exact_rational_check(seed, S=S, A=A)
    for name, r in res.residuals.items():
        assert r == 0, name
        assert isinstance(r, sp.Integer), name  # exact zero, not a float
    assert res.all_zero
    assert isinstance(res.eta, sp.Rational) and isinstance(res.L, sp.Rational)
    # the exact values agree with the float solver
    mdp = sy.to_tabular(res.mdp)
    pi, pi_new = as_array(res.pi), as_array(res.pi_new)
    ev = tabular.evaluate(mdp, pi)
    assert float(res.eta) == pytest.approx(ev.eta, rel=TOL, abs=TOL)
    assert float(res.eta_new) == pytest.approx(tabular.evaluate(mdp, pi_new).eta, rel=TOL, abs=TOL)
    assert float(res.L) == pytest.approx(tabular.surrogate(mdp, pi, pi_new, ev=ev), rel=TOL, abs=TOL)


@pytest.mark.parametrize("seed, S, A", [(0, 2, 2), (2, 3, 2), (3, 2, 3)])
def test_exact_rational_check_identities_hold_for_the_float_solver(seed, S, A):
    """Independent of the exact residuals above (which come from one exact evaluation): the same
    identities, Eq. (2), the reverse form and eta = sum rho pi R, hold for tabular.evaluate's
    floats on the same instance, whose rho and A match the exact ones."""
    res = exact_rational_check(seed, S=S, A=A)
    mdp = sy.to_tabular(res.mdp)
    pi, pi_new = as_array(res.pi), as_array(res.pi_new)
    ev, ev_new = tabular.evaluate(mdp, pi), tabular.evaluate(mdp, pi_new)
    np.testing.assert_allclose(as_array(res.ev.rho).ravel(), ev.rho, rtol=TOL)
    np.testing.assert_allclose(as_array(res.ev_new.A), ev_new.A, rtol=TOL, atol=TOL)
    gap = ev_new.eta - ev.eta
    assert gap == pytest.approx(np.einsum("s,sa,sa->", ev_new.rho, pi_new, ev.A), abs=1e-12)  # Eq. (2)
    assert gap == pytest.approx(-np.einsum("s,sa,sa->", ev.rho, pi, ev_new.A), abs=1e-12)
    assert ev.eta == pytest.approx(np.einsum("s,sa,sa->", ev.rho, pi, mdp.R), abs=1e-12)
    assert ev.rho.sum() == pytest.approx(1 / (1 - mdp.gamma), rel=1e-12)


def test_exact_rational_check_is_reproducible():
    a, b = exact_rational_check(7), exact_rational_check(np.random.default_rng(7))
    assert a.eta == b.eta and a.L == b.L
    assert exact_rational_check(8).eta != a.eta

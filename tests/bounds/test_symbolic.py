"""Tests of bounds/symbolic.py: exact sympy identities of [TRPO], checked against the numpy core.

Independent computations used: the float solver of ``tabular.evaluate`` / ``tabular.surrogate``,
central finite differences of ``tabular.evaluate(...).eta`` and of ``tabular.kl``, plain
``sympy.diff`` of the ``LUsolve`` expressions, formulas typed in from THEORY.md, and brute-force
maximization on a grid.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import tabular
from bounds import symbolic as sy
from bounds.symbolic import (
    cpi_alpha_star,
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

TOL = 1e-12


# ---------------------------------------------------------------------------- helpers
def random_values(mdp, rng, den=20):
    """Random rational values for every symbol of ``symbolic_mdp`` (probabilities in (0, 1),
    rewards in [-1, 1], gamma in (0, 1))."""
    out = {}
    for s in mdp.symbols:
        if s.name.startswith("r_"):
            out[s] = sp.Rational(int(rng.integers(-den, den + 1)), den)
        else:  # p, q, gamma
            out[s] = sp.Rational(int(rng.integers(1, den)), den)
    return out


def policy_values(pi_sym, rng, den=20):
    """Random values in (0, 1/(A-1)) for the free symbols of a simplex policy, so rows stay valid."""
    A = pi_sym.shape[1]
    return {x: sp.Rational(int(rng.integers(1, den)), den * max(A - 1, 1))
            for x in sorted(pi_sym.free_symbols, key=str)}


def as_array(M, values=None):
    return sy.to_float(M, values).reshape(M.shape)


def tabular_softmax(theta):
    return tabular.softmax(np.asarray(theta, dtype=float))


# ---------------------------------------------------------------------------- construction
def test_symbolic_mdp_structure_and_substitution():
    m = symbolic_mdp()
    assert m.shape == (2, 2)
    p01 = m.symbol("p_{0,1}")
    assert m.P[0][1] == (p01, 1 - p01)
    assert list(m.rho0) == [m.symbol("q"), 1 - m.symbol("q")]
    assert len(m.free_symbols) == 4 + 4 + 1 + 1
    for row in m.P:
        for probs in row:
            assert sp.Add(*probs) - 1 == 0
    n = symbolic_mdp(numeric={"gamma": sp.Rational(9, 10), p01: "1/4"})
    assert n.gamma == sp.Rational(9, 10)
    assert n.P[0][1] == (sp.Rational(1, 4), sp.Rational(3, 4))
    assert m.symbol("gamma") not in n.free_symbols
    big = symbolic_mdp(3, 2)
    for row in big.P:
        for probs in row:
            assert sp.expand(sp.Add(*probs)) == 1
    assert sp.expand(sp.Add(*big.rho0)) == 1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(S=0), "S must be"),
        (dict(A=1.5), "A must be"),
        (dict(numeric={"nope": 1}), "unknown name"),
        (dict(numeric={"gamma": 1}), "gamma must lie"),
        (dict(numeric={"p_{0,0}": sp.Rational(3, 2)}), r"must lie in \[0, 1\]"),
        (dict(numeric={"q": float("nan")}), "finite"),
        (dict(numeric=[1, 2]), "numeric must be a dict"),
    ],
)
def test_symbolic_mdp_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        symbolic_mdp(**kwargs)


def test_bad_policies_and_methods_raise():
    m = symbolic_mdp()
    with pytest.raises(ValueError, match="shape"):
        evaluate_symbolic(m, sp.Matrix([[1, 0, 0], [0, 1, 0]]))
    with pytest.raises(ValueError, match="sum to exactly 1"):
        evaluate_symbolic(m, sp.Matrix([[sp.Rational(1, 2), sp.Rational(1, 3)], [1, 0]]))
    with pytest.raises(ValueError, match="negative"):
        evaluate_symbolic(m, sp.Matrix([[2, -1], [1, 0]]))
    with pytest.raises(ValueError, match="method"):
        evaluate_symbolic(m, sp.Matrix([[1, 0], [1, 0]]), method="inv")
    with pytest.raises(ValueError, match="free symbols"):
        sy.to_tabular(m)
    with pytest.raises(ValueError, match="sum to exactly 1"):
        sy.from_arrays([[[0.5, 0.4]], [[0.0, 1.0]]], [[0], [0]], [1, 0], 0.5)
    with pytest.raises(ValueError, match="gamma must lie"):
        sy.from_arrays([[[0.5, 0.5]], [[0.0, 1.0]]], [[0], [0]], [1, 0], 1)


def test_exp_to_symbols_shares_generators():
    th = sp.Symbol("th", real=True)
    expr = sp.exp(2 * th) + sp.exp(th) / (1 + sp.exp(-th))
    new, back = sy.exp_to_symbols(expr)
    assert not new.has(sp.exp) and len(back) == 1
    assert sp.simplify(new.xreplace(back) - expr) == 0


def test_fraction_free_rejects_non_polynomial_entries():
    x = sp.Symbol("x", positive=True)
    m = sy.from_arrays([[[1, 0]], [[0, 1]]], [[1 / (1 + x)], [0]], [1, 0], sp.Rational(1, 2))
    with pytest.raises(ValueError, match="not a polynomial"):
        evaluate_symbolic(m, sp.Matrix([[1], [1]]), method="fraction_free")
    assert sp.cancel(evaluate_symbolic(m, sp.Matrix([[1], [1]])).eta - 2 / (1 + x)) == 0


def test_from_arrays_on_a_zoo_mdp_matches_tabular():
    """Puterman's two-state MDP (tabular.zoo), converted to exact rationals."""
    m = tabular.two_state(gamma=0.95)
    sm = sy.from_arrays(m.dense_P(), m.R, m.rho0, m.gamma)
    assert sm.gamma == sp.Rational(19, 20)
    pi = np.array([[0.25, 0.75], [0.5, 0.5]])
    ev = evaluate_symbolic(sm, pi)
    num = tabular.evaluate(m, pi)
    np.testing.assert_allclose(as_array(ev.V).ravel(), num.V, rtol=TOL)
    assert float(ev.eta) == pytest.approx(num.eta, rel=TOL)


# ---------------------------------------------------------------------------- evaluation vs numpy
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("method", ["lu", "fraction_free"])
def test_symbolic_evaluation_matches_tabular(seed, method):
    """Evaluate with every symbol free (P, R, rho0, gamma and a simplex policy), then substitute
    random rationals and compare with the float solver of tabular.evaluate / tabular.surrogate."""
    rng = np.random.default_rng(seed)
    m = symbolic_mdp()
    x = sy.simplex_policy(2, 2, "x")
    ev = evaluate_symbolic(m, x, method=method)
    L = surrogate_symbolic(m, x, sp.Matrix([[sp.Rational(1, 5), sp.Rational(4, 5)], [1, 0]]), ev=ev)
    vals = {**random_values(m, rng), **policy_values(x, rng)}
    num = tabular.evaluate(sy.to_tabular(m, {k: v for k, v in vals.items() if k in m.symbols}),
                           as_array(x, vals))
    np.testing.assert_allclose(as_array(ev.V, vals).ravel(), num.V, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(as_array(ev.Q, vals), num.Q, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(as_array(ev.A, vals), num.A, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(as_array(ev.rho, vals).ravel(), num.rho, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(as_array(ev.d, vals).ravel(), num.d, rtol=TOL, atol=TOL)
    assert sy.to_float(ev.eta, vals) == pytest.approx(num.eta, rel=TOL, abs=TOL)
    mdp_num = sy.to_tabular(m, {k: v for k, v in vals.items() if k in m.symbols})
    L_num = tabular.surrogate(mdp_num, num.pi, np.array([[0.2, 0.8], [1.0, 0.0]]))
    assert sy.to_float(L, vals) == pytest.approx(L_num, rel=TOL, abs=TOL)


def test_rational_evaluation_is_exact_and_matches_tabular():
    m = sy.random_rational_mdp(3, 2, rng=5)
    pi = sy.random_rational_policy(3, 2, rng=6)
    pi_new = sy.random_rational_policy(3, 2, rng=7)
    ev = evaluate_symbolic(m, pi)
    assert all(isinstance(v, sp.Rational) for v in [ev.eta, *ev.V, *ev.rho, *ev.A])
    ff = evaluate_symbolic(m, pi, method="fraction_free")
    assert ff.eta == ev.eta and ff.V == ev.V and ff.rho == ev.rho and ff.A == ev.A
    num = tabular.evaluate(sy.to_tabular(m), as_array(pi))
    assert float(ev.eta) == pytest.approx(num.eta, rel=TOL)
    np.testing.assert_allclose(as_array(ev.rho).ravel(), num.rho, rtol=TOL)
    L = surrogate_symbolic(m, pi, pi_new)
    assert isinstance(L, sp.Rational)
    assert float(L) == pytest.approx(tabular.surrogate(sy.to_tabular(m), num.pi, as_array(pi_new)), rel=TOL)


def test_lu_and_fraction_free_agree_symbolically():
    """The two exact routes give the same rational functions (fully symbolic MDP and policy)."""
    m = symbolic_mdp()
    x = sy.simplex_policy()
    lu = evaluate_symbolic(m, x)
    ff = evaluate_symbolic(m, x, method="fraction_free")
    for s in range(2):
        assert sp.cancel(lu.V[s] - ff.V[s]) == 0
        assert sp.cancel(lu.rho[s] - ff.rho[s]) == 0


def test_visitation_sums_to_one_over_one_minus_gamma_symbolically():
    m = symbolic_mdp()
    ev = evaluate_symbolic(m, sy.simplex_policy())
    assert sp.cancel(sp.Add(*ev.rho) - 1 / (1 - m.gamma)) == 0


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
def _is_zero_matrix(M):
    expr, _ = sy.exp_to_symbols(M)
    return all(sp.cancel(sp.together(x)) == 0 for x in expr)


@pytest.mark.parametrize("A", [2, 3])
def test_kl_hessian_is_fisher_single_state(A):
    res = fisher_from_kl_hessian(A)
    assert res.hessian.shape == (A, A)
    assert _is_zero_matrix(res.hessian - res.fisher)
    # rank A-1: the ones vector is in the null space, and the leading minor is prod_a pi_a > 0
    assert _is_zero_matrix(res.fisher * sp.ones(A, 1))
    pi = res.pi_old.row(0)
    minor = res.fisher[:A - 1, :A - 1].det()
    assert _is_zero_matrix(sp.Matrix([minor - sp.Mul(*pi)]))
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
    assert _is_zero_matrix(res.hessian - res.fisher)
    # off-diagonal blocks vanish, diagonal blocks are w(s) (diag pi_s - pi_s pi_s^T)
    assert res.hessian[0:A, A:2 * A] == sp.zeros(A, A)
    for s in range(S):
        p = res.pi_old.row(s).T
        block = res.weights[s] * (sp.diag(*p) - p * p.T)
        assert _is_zero_matrix(res.hessian[s * A:(s + 1) * A, s * A:(s + 1) * A] - block)
    vals = {th: sp.Rational(k, 5) for k, th in enumerate(res.theta_old)}
    vals.update({w: sp.Rational(s + 1, 3) for s, w in enumerate(res.weights)})
    assert np.linalg.matrix_rank(as_array(res.hessian, vals), tol=1e-10) == S * (A - 1)


# ---------------------------------------------------------------------------- CPI step
def test_cpi_alpha_star_matches_theory():
    c = cpi_alpha_star()
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


def test_cpi_alpha_star_numeric_grid_and_clipping():
    c = cpi_alpha_star()
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


def test_exact_rational_check_is_reproducible():
    a, b = exact_rational_check(7), exact_rational_check(np.random.default_rng(7))
    assert a.eta == b.eta and a.L == b.L
    assert exact_rational_check(8).eta != a.eta

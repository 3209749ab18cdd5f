"""Shared test data for the solver tests: random problems that exercise every branch, and an
independent per-state cvxpy model written out in the tests (not the module's own setup)."""

import numpy as np
import pytest

cp = pytest.importorskip("cvxpy")

def instance(seed, S=4, nA=3, special=True, scale=1.0):
    """Random advantages and policy; with ``special``, rows that exercise every branch:
    a zero in pi, a deterministic pi with a better action off the support, a flat row."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(S, nA)) * scale
    pi = rng.dirichlet(np.full(nA, 0.8), size=S)
    rho = rng.uniform(0.2, 2.0, size=S)
    if special and S >= 3:
        pi[0, 1] = 0.0
        pi[0] /= pi[0].sum()
        pi[1] = 0.0
        pi[1, 0] = 1.0
        A[1] = [0.0] + [0.3 * (k + 1) for k in range(nA - 1)]  # off-support actions are better
        A[2] = 0.7  # flat row
    return A, pi, rho


def cvx_kl_penalty(A, pi, c):
    """Independent per-state cvxpy model of max <p, A> - c KL(pi || p), written out row by row."""
    S, nA = A.shape
    out = np.empty(S)
    for s in range(S):
        p = cp.Variable(nA, nonneg=True)
        supp = np.flatnonzero(pi[s] > 0)
        obj = A[s] @ p - c[s] * cp.sum(cp.rel_entr(pi[s, supp], p[supp]))
        prob = cp.Problem(cp.Maximize(obj), [cp.sum(p) == 1])
        prob.solve(solver=cp.CLARABEL)
        assert prob.status == cp.OPTIMAL
        out[s] = prob.value
    return out


# ------------------------------------------------------------------- independent references written here
# cvxpy models written row by row from each problem's definition. They share no code with
# bounds.updates.solvers.reference (no kl_program, no solve_cvxpy): one Variable per state, the KL as
# rel_entr over that row's support, Clarabel at its default tolerances, status checked every time.
def _solve(objective, constraints):
    prob = cp.Problem(cp.Maximize(objective), constraints)
    prob.solve(solver=cp.CLARABEL)
    assert prob.status == cp.OPTIMAL, prob.status
    return prob.value


def _rows(pi):
    ps = [cp.Variable(pi.shape[1], nonneg=True) for _ in range(pi.shape[0])]
    return ps, [cp.sum(p) == 1 for p in ps]


def _kl(pi_row, p):
    """KL(pi(.|s) || p) as a cvxpy expression; actions off the support of pi(.|s) cost nothing."""
    supp = np.flatnonzero(pi_row > 0)
    return cp.sum(cp.rel_entr(pi_row[supp], p[supp]))


def own_cvx_kl_constraint(A, pi, kappa):
    """Per state: max <p, A> s.t. KL(pi || p) <= kappa_s. Returns the (S,) optimal values."""
    kappa = np.broadcast_to(np.asarray(kappa, dtype=float), (A.shape[0],))
    out = np.empty(A.shape[0])
    for s in range(A.shape[0]):
        p = cp.Variable(A.shape[1], nonneg=True)
        out[s] = _solve(A[s] @ p, [cp.sum(p) == 1, _kl(pi[s], p) <= kappa[s]])
    return out


def own_cvx_mean_kl(A, pi, rho, w, delta):
    """Eq. (12): max sum_s rho(s) <p_s, A_s> s.t. sum_s w(s) KL_s <= delta."""
    ps, cons = _rows(pi)
    lin = sum(rho[s] * (A[s] @ ps[s]) for s in range(len(ps)))
    klw = sum(w[s] * _kl(pi[s], ps[s]) for s in range(len(ps)) if w[s] > 0)
    return _solve(lin, cons + [klw <= delta])


def own_cvx_max_kl_penalty(A, pi, rho, C):
    """Algorithm 1: max sum_s rho(s) <p_s, A_s> - C max_s KL_s, the max written as cp.maximum."""
    ps, cons = _rows(pi)
    lin = sum(rho[s] * (A[s] @ ps[s]) for s in range(len(ps)))
    kls = [_kl(pi[s], ps[s]) for s in range(len(ps)) if np.any(pi[s] > 0)]
    return _solve(lin - C * cp.maximum(*kls) if len(kls) > 1 else lin - C * kls[0], cons)


def own_cvx_max_tv_sq_penalty(A, pi, rho, C):
    """Theorem 1's step: max sum_s rho(s) <p_s, A_s> - C (max_s 1/2 |p_s - pi_s|_1)^2."""
    ps, cons = _rows(pi)
    lin = sum(rho[s] * (A[s] @ ps[s]) for s in range(len(ps)))
    tv_max = cp.maximum(*[0.5 * cp.norm1(ps[s] - pi[s]) for s in range(len(ps))])
    return _solve(lin - C * cp.square(tv_max), cons)


def own_cvx_reverse_kl_penalty(A, pi, rho, tau):
    """max sum_s rho(s) [<p_s, A_s> - tau KL(p_s || pi_s)]; p_s = 0 off the support of pi_s."""
    ps, cons = _rows(pi)
    obj = 0
    for s, p in enumerate(ps):
        supp, off = np.flatnonzero(pi[s] > 0), np.flatnonzero(pi[s] == 0)
        if off.size:
            cons.append(p[off] == 0)
        obj = obj + rho[s] * (A[s] @ p - tau * cp.sum(cp.rel_entr(p[supp], pi[s, supp])))
    return _solve(obj, cons)


# Per-state KL-constrained values by bisection, for full-support rows, written here from the KKT form
# p(a) = pi(a) / (t + gap(a)) / Z(t), gap = max A - A, t = nu - max A > 0: KL(t) decreases from +inf to 0,
# so one bisection on log t per (level, state) meets KL = kappa. Vectorized over levels and states.
def np_kl_constraint_values(A, pi, kappas, iters=120):
    """(K, S) values v_s(kappa_k) = max <p, A_s> s.t. KL(pi_s || p) <= kappa_k (pi > 0 everywhere)."""
    assert np.all(pi > 0)
    kappas = np.asarray(kappas, dtype=float)[:, None]  # (K, 1)
    gap = A.max(axis=1, keepdims=True) - A  # (S, nA)
    scale = np.maximum(gap.max(axis=1), 1e-300)[None, :]  # (1, S)
    lo = np.log(1e-300 * scale) + np.zeros_like(kappas)
    hi = np.log(1e12 * scale) + np.zeros_like(kappas)

    def kl_of(x):
        # with u = gap / t: KL = E_pi log1p(u) + log E_pi 1/(1+u), the second as log1p(-E_pi u/(1+u))
        # while that is small (no cancellation for tiny levels)
        u = gap * np.exp(-x)[..., None]  # (K, S, nA)
        m = np.sum(pi * (u / (1 + u)), axis=-1)
        second = np.where(m < 0.5, np.log1p(-np.minimum(m, 0.5)), np.log(np.sum(pi / (1 + u), axis=-1)))
        return np.sum(pi * np.log1p(u), axis=-1) + second

    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        big = kl_of(mid) > kappas  # t too small: move right
        lo, hi = np.where(big, mid, lo), np.where(big, hi, mid)
    u = gap * np.exp(-hi)[..., None]
    q = pi / (1 + u)
    p = q / q.sum(axis=-1, keepdims=True)
    return A.max(axis=1)[None, :] - np.sum(p * gap, axis=-1)  # <p, A> = max A - <p, gap> (flat rows: max A)


def brute_force_max_kl_penalty(A, pi, rho, C):
    """max_kappa sum_s rho(s) v_s(kappa) - C kappa: a log grid of levels, then a bounded Brent search
    between the neighbours of the best grid point (g is concave in kappa, so unimodal in log kappa),
    and kappa = 0 (p = pi)."""
    from scipy.optimize import minimize_scalar

    def g(kappas):
        kappas = np.atleast_1d(kappas)
        return np_kl_constraint_values(A, pi, kappas) @ rho - C * kappas

    grid = np.logspace(-12, 1.5, 82)
    vals = g(grid)
    k = int(np.argmax(vals))
    lo, hi = np.log(grid[max(k - 1, 0)]), np.log(grid[min(k + 1, grid.size - 1)])
    res = minimize_scalar(lambda x: -g(np.exp(x))[0], bounds=(lo, hi), method="bounded",
                          options={"xatol": 1e-10})
    at_zero = float(rho @ np.sum(pi * A, axis=1))
    return max(float(vals.max()), float(-res.fun), at_zero), float(np.exp(res.x))


def np_kl_rows(p, q):
    """KL(p(.|s) || q(.|s)) per row, sum_a [p log(p/q) + q - p], written here (each term >= 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(p > 0, q / np.where(p > 0, p, 1.0) - 1.0, 0.0)
        terms = np.where(p > 0, np.where(r > -0.5, p * (r - np.log1p(r)), p * np.log(p / q) + q - p), q)
    return terms.sum(axis=1)

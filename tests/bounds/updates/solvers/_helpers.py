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

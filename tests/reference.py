"""Independent reference computations shared by the tests: written from the definitions with plain
numpy, sharing no code with ``tabular`` or ``bounds``, so that comparing against them is a real check."""

import numpy as np


def np_eval(mdp, pi):
    """Exact evaluation by two dense linear solves (no tabular.evaluation code):
    ``(I - g P_pi) V = r_pi`` and ``(I - g P_pi^T) rho = rho0``; returns eta, V, Q, A, rho, d, P_pi."""
    P, R, g = np.asarray(mdp.dense_P()), np.asarray(mdp.R), mdp.gamma
    S = P.shape[0]
    P_pi = np.einsum("sa,sat->st", pi, P)
    V = np.linalg.solve(np.eye(S) - g * P_pi, np.sum(pi * R, axis=1))
    Q = R + g * P @ V
    rho = np.linalg.solve(np.eye(S) - g * P_pi.T, np.asarray(mdp.rho0))
    return dict(eta=float(mdp.rho0 @ V), V=V, Q=Q, A=Q - V[:, None], rho=rho, d=(1 - g) * rho, P_pi=P_pi)


def garnets(n=3, S=6, A=3, gamma=0.9, seed=0):
    """``n`` random ``(mdp, pi)`` pairs: Garnets with 3..S states, 2..A actions and branching 2, and a
    Dirichlet(1) random policy each (a test fixture shared by the update tests)."""
    from tabular import garnet, random_policy

    ss = np.random.default_rng(seed)
    out = []
    for k in range(n):
        mdp = garnet(int(ss.integers(3, S + 1)), int(ss.integers(2, A + 1)), 2, rng=int(ss.integers(1 << 30)),
                     gamma=gamma)
        out.append((mdp, random_policy(mdp, rng=k, concentration=1.0)))
    return out

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

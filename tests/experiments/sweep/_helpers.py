"""Independent numpy computations and shared settings of the sweep tests."""

from __future__ import annotations

import numpy as np

FAMS = ("garnet", "gridworld", "chain", "frozenlake")
GAMMAS = (0.5, 0.9, 0.99)
N = 40
STEPS = 1  # update steps per instance (the CLI default is 3); keeps the tests fast


def files(out, figure=True):
    """The bytes of a sweep's result files."""
    names = ("results.csv", "report.json", "report.txt") + (
        ("sweep_tightness.png", "sweep_tightness.pdf") if figure else ())
    return {name: (out / name).read_bytes() for name in names}


def eta_by_hand(mdp, pi):
    """eta = rho0 . (I - gamma P_pi)^{-1} r_pi with dense numpy (independent of tabular.evaluate)."""
    P = mdp.dense_P()
    P_pi = np.einsum("sa,sat->st", pi, P)
    r_pi = np.einsum("sa,sa->s", pi, mdp.R)
    S = P.shape[0]
    V = np.linalg.solve(np.eye(S) - mdp.gamma * P_pi, r_pi)
    return float(mdp.rho0 @ V), V, P_pi


def surrogate_by_hand(mdp, pi, pi_new):
    """L = eta + rho . sum_a pi_new A, rho = (I - gamma P_pi^T)^{-1} rho0 (Eq. (3))."""
    eta, V, P_pi = eta_by_hand(mdp, pi)
    Q = mdp.R + mdp.gamma * np.einsum("sat,t->sa", mdp.dense_P(), V)
    A = Q - V[:, None]
    rho = np.linalg.solve(np.eye(V.size) - mdp.gamma * P_pi.T, mdp.rho0)
    return eta + float(rho @ np.einsum("sa,sa->s", pi_new, A)), eta, A, rho


def mean_kl_rhs_by_hand(mdp, pi, pi_new):
    """The false mean-KL form L - C sum_s rho(s) KL(pi(.|s) || pi_new(.|s)), by hand."""
    L, _, A, rho = surrogate_by_hand(mdp, pi, pi_new)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pi > 0, pi * np.log(pi / pi_new), 0.0)
    kl = terms.sum(axis=1)
    C = 4 * np.abs(A).max() * mdp.gamma / (1 - mdp.gamma) ** 2
    return L - C * float(rho @ kl)

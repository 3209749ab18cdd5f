"""Exact quantities recomputed for the checks by plain linear solves (private).

The checks of :mod:`experiments.course` do not reuse the code path a student is taught
(:func:`tabular.evaluate`, :func:`tabular.surrogate`, ...): they solve the Bellman and visitation
equations here, from ``P``, ``R``, ``rho0`` and ``gamma`` only, so a check is an independent second
computation of the expected answer.
"""

from __future__ import annotations

import numpy as np


def _dense(mdp):
    P = mdp.P.toarray().reshape(mdp.R.shape + (-1,)) if hasattr(mdp.P, "toarray") else np.asarray(mdp.P)
    return P, np.asarray(mdp.R, dtype=float), np.asarray(mdp.rho0, dtype=float), float(mdp.gamma)


def values(mdp, pi) -> dict:
    """``V`` (Eq. (1) of [TRPO]: ``(I - gamma P_pi) V = r_pi``), ``Q``, ``A = Q - V``, ``eta = rho0 . V``
    and the unnormalized visitation ``rho`` (``(I - gamma P_pi^T) rho = rho0``), by ``np.linalg.solve``."""
    P, R, rho0, g = _dense(mdp)
    pi = np.asarray(pi, dtype=float)
    P_pi = np.einsum("sa,sat->st", pi, P)
    r_pi = np.einsum("sa,sa->s", pi, R)
    eye = np.eye(P_pi.shape[0])
    V = np.linalg.solve(eye - g * P_pi, r_pi)
    Q = R + g * np.einsum("sat,t->sa", P, V)
    rho = np.linalg.solve(eye - g * P_pi.T, rho0)
    return {"V": V, "Q": Q, "A": Q - V[:, None], "eta": float(rho0 @ V), "rho": rho}


def eta(mdp, pi) -> float:
    """``eta(pi) = rho0 . V_pi`` (Eq. (2) of [TRPO] in matrix form)."""
    return values(mdp, pi)["eta"]


def surrogate(mdp, pi, pi_new) -> float:
    """``L_pi(pi_new) = eta(pi) + sum_s rho_pi(s) sum_a pi_new(a|s) A_pi(s, a)`` (Eq. (3) of [TRPO])."""
    v = values(mdp, pi)
    return v["eta"] + float(v["rho"] @ np.einsum("sa,sa->s", np.asarray(pi_new, float), v["A"]))


def tv_per_state(pi, pi_new) -> np.ndarray:
    """``D_TV(pi(.|s), pi_new(.|s)) = 1/2 sum_a |pi - pi_new|`` per state."""
    return 0.5 * np.abs(np.asarray(pi, float) - np.asarray(pi_new, float)).sum(axis=1)


def kl_per_state(pi, pi_new) -> np.ndarray:
    """``KL(pi(.|s) || pi_new(.|s))`` per state, ``0 log 0 = 0`` and ``+inf`` where ``pi_new`` drops
    an action ``pi`` uses."""
    p, q = np.asarray(pi, float), np.asarray(pi_new, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)
    return terms.sum(axis=1)


def penalty_C(mdp, pi) -> float:
    """``C = 4 eps gamma / (1 - gamma)^2``, ``eps = max |A_pi|`` (Theorem 1 and Eq. (9) of [TRPO])."""
    g = float(mdp.gamma)
    return 4.0 * float(np.max(np.abs(values(mdp, pi)["A"]))) * g / (1.0 - g) ** 2

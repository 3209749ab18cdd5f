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


# ----------------------------------------------------------------------------- the bounds, transcribed
# Every bound of the registry (bounds.registry.theory), transcribed from its paper with plain numpy on
# np_eval's numbers. tests/bounds/test_registry.py fails if a registered bound has no entry here.

def np_kl(p, q):
    """KL(p(.|s) || q(.|s)) per row as sum_a [p log(p/q) + q - p] (each term >= 0): p (r - log1p(r)) with
    r = q/p - 1 where p > 0 (no cancellation for q ~ p), and q where p = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(p > 0, q / np.where(p > 0, p, 1.0) - 1.0, 0.0)
        near = p * (r - np.log1p(r))  # q ~ p
        far = p * np.log(p / q) + q - p  # q << p (r rounds to -1)
        terms = np.where(p > 0, np.where(r > -0.5, near, far), q)
    return terms.sum(axis=1)


def np_times(coef, div):
    """coef * div with 0 * inf = 0 (THEORY.md §3)."""
    return 0.0 if coef == 0 or div == 0 else coef * div


def np_weighted(w, x):
    """sum_s w(s) x(s) over the states with w(s) > 0."""
    return float(np.sum(np.where(w > 0, w * np.where(w > 0, x, 0.0), 0.0)))


def np_penalties(mdp, pi, pn, atol=0.0):
    """``(eta_new, L, penalties, centres)`` of every bound from the formulas of the papers, in [TRPO]
    units: ``penalties[name]`` is the half-width of the band, ``centres`` holds the bounds not centred on L."""
    g = mdp.gamma
    ev, evn = np_eval(mdp, pi), np_eval(mdp, pn)
    A, rho = ev["A"], ev["rho"]
    d = (1 - g) * rho
    Abar = np.sum(pn * A, axis=1)
    L = ev["eta"] + rho @ Abar  # Eq. (3)
    eps = np.abs(A).max()
    tv_s = 0.5 * np.abs(pi - pn).sum(axis=1)
    alpha = tv_s.max()
    C = 4 * eps * g / (1 - g) ** 2
    kl_s = np_kl(pi, pn)
    kl_max = kl_s.max()
    mean_kl_rev = np_weighted(d, np_kl(pn, pi))
    eps_new = np.abs(Abar).max()
    # smallest mixture weight with pn = (1-a) pi + a pi' ([KL02]); a eps' = max_s |sum_a (pn - (1-a) pi) A| = eps_new
    with np.errstate(divide="ignore", invalid="ignore"):
        a_mix = float(np.clip(1 - np.min(np.where(pi > 0, pn / np.where(pi > 0, pi, 1.0), np.inf)), 0, 1))
    w = np.linalg.solve(np.eye(pi.shape[0]) - g * evn["P_pi"], Abar)  # THEORY.md §3 span bound
    pen = {
        "theorem1": C * alpha**2,  # [TRPO] Eq. (8)
        "theorem1_tight": 4 * alpha**2 * g * eps / ((1 - g) * (1 - g * (1 - alpha))),  # Eq. (44)
        "kl_max": np_times(C, kl_max),  # Eq. (9)
        "kl_max_pinsker": np_times(C / 2, kl_max),
        "cpi": 2 * g * a_mix * eps_new / (1 - g) ** 2,  # Eq. (6): 2 eps' gamma a^2 / (1-g)^2
        "kl02": 2 * a_mix * g * eps_new / ((1 - g) * (1 - g * (1 - a_mix))),  # [KL02] Thm 4.1
        "cpo_tv": 2 * g * eps_new / (1 - g) ** 2 * (d @ tv_s),  # [CPO] Cor. 1
        "cpo_kl": np_times(2 * g * eps_new / (1 - g) ** 2, np.sqrt(0.5 * mean_kl_rev)),  # [CPO] Cor. 3
        "spi": g / (1 - g) ** 2 * np.abs(pn - pi).sum(axis=1).max() * (Abar.max() - Abar.min()) / 2,  # [SPI] 3.5
        "span": g / (1 - g) * (d @ tv_s) * (w.max() - w.min()),
        # THEORY.md §6, the non-theorems
        "mean_kl": np_times(C, np_weighted(rho, kl_s)),
        "mean_kl_d": np_times(C, np_weighted(d, kl_s)),
        "mean_tv_squared": C * (d @ tv_s**2),
        "squared_mean_tv": C * (d @ tv_s) ** 2,
        "surrogate_monotone": L - ev["eta"] if L > ev["eta"] + atol else np.inf,
    }
    # [CPO] Theorem 1 with f = one step of policy evaluation of pn applied to V_pi (check_all's default):
    # delta_f = R + g P f - f, eps_f = max_s |sum_a pn delta_f|, L_f = sum_s d sum_a (pn - pi) delta_f,
    # interval centre eta + L_f/(1-g), half-width 2 g eps_f/(1-g)^2 sum_s d TV
    P = np.asarray(mdp.dense_P())
    f = np.sum(pn * mdp.R, axis=1) + g * np.einsum("sa,sat->st", pn, P) @ ev["V"]
    delta_f = mdp.R + g * P @ f - f[:, None]
    eps_f = np.abs(np.sum(pn * delta_f, axis=1)).max()
    L_f = float(d @ np.sum((pn - pi) * delta_f, axis=1))
    pen["cpo_general"] = np_times(2 * g * eps_f / (1 - g) ** 2, float(d @ tv_s))
    return evn["eta"], L, pen, {"cpo_general": ev["eta"] + L_f / (1 - g)}


#: The bounds of np_penalties that claim both sides (about L or about their centre).
TWO_SIDED = {"theorem1_tight", "cpo_tv", "cpo_kl", "span", "cpo_general"}
#: The non-theorems of THEORY.md §6 among them.
NON_THEOREMS = {"mean_kl", "mean_kl_d", "mean_tv_squared", "squared_mean_tv", "surrogate_monotone"}

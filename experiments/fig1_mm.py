"""Figure 1 -- the minorize-maximize picture of Algorithm 1.

Policies along the line ``pi_t = softmax(theta_0 + t d)`` through ``pi_0`` (``d`` = the advantages of
``pi_0``, the natural-gradient direction of a tabular softmax). Left: the true ``eta``, the surrogate
``L_{pi_0}``, the KL lower bound ``M_0 = L - C D_KL^max`` (Eq. (9)) and Theorem 1's
``L - C (D_TV^max)^2`` (Eq. (8)); all touch ``eta`` at ``t = 0``, and the bounds stay below it.
Right: four MM iterations restricted to this line, ``t_{i+1} = argmax_t M_i(pi_t)``: each lower bound
touches ``eta`` at ``t_i`` and lifts it at ``t_{i+1}`` (Eq. (10)).
"""

from __future__ import annotations

import numpy as np

from bounds.inequalities import theory_C
from tabular import divergences as dv
from tabular import zoo
from tabular.evaluation import evaluate, evaluate_policies
from tabular.policies import log_softmax, softmax

from ._common import Verdict

NAME = "fig1_mm"
CLAIM = "M_i = L - C*maxKL minorizes eta, touches it at pi_i, and its argmax improves eta (Eq. 10)"
GAMMA = 0.5
N_MM = 4


def _curves(mdp, pi0, d, ts):
    """eta, L_{pi0}, the KL bound M and Theorem 1's TV bound along pi_t = softmax(log pi0 + t d)."""
    theta0 = log_softmax(np.log(pi0))
    pis = np.stack([softmax(theta0 + t * d) for t in ts])
    ev0 = evaluate(mdp, pi0)
    C = theory_C(mdp, pi0, ev=ev0)
    eta = evaluate_policies(mdp, pis).eta
    L = ev0.eta + np.einsum("s,ksa,sa->k", ev0.rho, pis, ev0.A)  # Eq. (3)
    kl_max = np.array([dv.kl_unchecked(pi0, p).max() for p in pis])
    tv_max = np.array([dv.tv_unchecked(pi0, p).max() for p in pis])
    return eta, L, L - C * kl_max, L - C * tv_max**2, C


def compute(quick: bool = False, seed: int = 0) -> dict:
    from scipy.optimize import minimize_scalar

    mdp = zoo.garnet(6, 3, 2, rng=np.random.default_rng([seed, 1]), gamma=GAMMA)
    rng = np.random.default_rng([seed, 2])
    pi0 = softmax(rng.normal(0.0, 1.0, size=mdp.shape))
    theta0 = log_softmax(np.log(pi0))
    d = evaluate(mdp, pi0).A
    d = d / np.abs(d).max()

    def M_at(t, ti):  # M_i(pi_t) with M_i built at pi_{t_i}
        return float(_curves(mdp, softmax(theta0 + ti * d), d, [t - ti])[2][0])

    # MM along the line: t_{i+1} = argmax_t M_i(pi_t) (bounded scalar search, checked on a grid)
    t_iter = [0.0]
    for _ in range(N_MM):
        ti = t_iter[-1]
        res = minimize_scalar(lambda t: -M_at(t, ti), bounds=(ti - 1.0, ti + 3.0), method="bounded",
                              options=dict(xatol=1e-10))
        t_iter.append(float(res.x))
    width = max(t_iter[-1] - t_iter[0], 1e-3)
    n = 241 if quick else 801
    ts = np.linspace(t_iter[0] - 1.5 * width, t_iter[-1] + 1.5 * width, n)
    # the MM iterates join the grid; a grid point within 1e-9 width of one is dropped (not merged by exact
    # equality, which would make the number of rows depend on the last bit of the iterates)
    far = np.min(np.abs(ts[:, None] - np.asarray(t_iter)[None, :]), axis=1) > 1e-9 * width
    ts = np.sort(np.concatenate([ts[far], t_iter]))
    eta, L, M, TVb, C = _curves(mdp, pi0, d, ts)
    # a wider window for the left panel, where L and eta visibly part
    tw = np.unique(np.concatenate([np.linspace(-8 * width, 16 * width, n), [0.0]]))
    wide = dict(zip(("eta", "L", "M_kl", "M_tv"), _curves(mdp, pi0, d, tw)[:4]), t=tw)
    ok = bool(np.all(wide["eta"] - wide["M_kl"] >= -1e-10) and np.all(wide["eta"] - wide["M_tv"] >= -1e-10))
    i0 = int(np.argmin(np.abs(ts)))
    ok &= bool(np.all(eta - M >= -1e-10) and np.all(eta - TVb >= -1e-10))
    ok &= bool(abs(eta[i0] - M[i0]) < 1e-12 and abs(eta[i0] - L[i0]) < 1e-12)
    mm_curves = []
    for i in range(N_MM):
        ti = t_iter[i]
        eta_i, _, M_i, _, _ = _curves(mdp, softmax(theta0 + ti * d), d, ts - ti)
        mm_curves.append(M_i)
        k = int(np.argmin(np.abs(ts - ti)))
        ok &= bool(np.all(eta_i - M_i >= -1e-10))  # M_i minorizes eta on the whole line
        ok &= bool(abs(M_i[k] - eta_i[k]) < 1e-12)  # and touches it at pi_i
        ok &= bool(M_i.max() <= M_at(t_iter[i + 1], ti) + 1e-12)  # the scalar search found the max
    eta_at = np.array([float(_curves(mdp, pi0, d, [t])[0][0]) for t in t_iter])
    gains_eta = np.diff(eta_at)
    gains_M = np.array([M_at(t_iter[i + 1], t_iter[i]) - eta_at[i] for i in range(N_MM)])
    ok &= bool(np.all(gains_eta >= gains_M - 1e-12) and np.all(gains_M >= -1e-12))  # Eq. (10)
    table = dict(t=ts, eta=eta, L=L, M_kl=M, M_tv=TVb)
    for i, Mi in enumerate(mm_curves):
        table[f"M_{i}"] = Mi
    key = (f"C = {C:.3g}; eta along {N_MM} MM steps: " + " -> ".join(f"{e:.4f}" for e in eta_at)
           + "; eta gain >= M gain >= 0 at every step")
    return dict(table=table, wide=wide, t_iter=np.array(t_iter), eta_iter=eta_at, C=C, i0=i0,
                verdict=Verdict(ok, key))


def plot(data):
    import matplotlib.pyplot as plt

    t = data["table"]
    ts = t["t"]
    w = data["wide"]
    tw = w["t"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12.5, 4.8))
    ax1.plot(tw, w["eta"], color="k", lw=2.6, label="η(π_t)  (true objective)")
    ax1.plot(tw, w["L"], color="tab:green", label="L_π₀(π_t)  (surrogate, Eq. 3)")
    ax1.plot(tw, w["M_tv"], color="tab:purple", ls="--", label="L − C·(D_TV^max)²  (Thm 1, Eq. 8)")
    ax1.plot(tw, w["M_kl"], color="tab:blue", label="M₀ = L − C·D_KL^max  (Eq. 9)")
    j = int(np.argmax(w["M_kl"]))
    e0 = float(np.interp(0.0, tw, w["eta"]))
    ax1.plot([0], [e0], "o", color="k", ms=7, zorder=5)
    ax1.annotate("all four touch at π₀", (0, e0), xytext=(-120, 25), textcoords="offset points",
                 arrowprops=dict(arrowstyle="->", lw=0.8), fontsize=9)
    ax1.plot([tw[j]], [w["M_kl"][j]], "*", color="tab:blue", ms=13, zorder=5)
    ax1.annotate("argmax M₀ → π₁", (tw[j], w["M_kl"][j]), xytext=(25, -35), textcoords="offset points",
                 arrowprops=dict(arrowstyle="->", lw=0.8, color="tab:blue"), fontsize=9, color="tab:blue")
    span = w["eta"].max() - w["eta"].min()
    ax1.set_ylim(w["eta"].min() - 0.6 * span, max(w["L"].max(), w["eta"].max()) + 0.1 * span)
    ax1.set_xlim(tw[0], tw[-1])
    ax1.set_xlabel("t   (π_t = softmax(log π₀ + t·A_π₀/max|A_π₀|))")
    ax1.set_ylabel("value")
    ax1.set_title(f"Lower bounds around π₀ (C = {data['C']:.3g}, γ = {GAMMA})")
    ax1.legend(frameon=False, loc="lower right")

    ax2.plot(ts, t["eta"], color="k", lw=2.6, label="η(π_t)")
    colors = plt.cm.Blues(np.linspace(0.45, 0.95, N_MM))
    for i in range(N_MM):
        Mi = t[f"M_{i}"]
        ax2.plot(ts, Mi, color=colors[i], label=f"M_{i} (built at π_{i})")
        ax2.plot([data["t_iter"][i + 1]], [Mi.max()], "*", color=colors[i], ms=11)
    ax2.plot(data["t_iter"], data["eta_iter"], "o", color="tab:red", ms=6, zorder=6, label="η(π_i): monotone (Eq. 10)")
    lo, hi = t["eta"].min(), t["eta"].max()
    ax2.set_ylim(lo - 0.3 * (hi - lo), hi + 0.1 * (hi - lo))
    ax2.set_xlim(ts[0], ts[-1])
    ax2.set_xlabel("t")
    ax2.set_title("Minorize–maximize: each bound lifts η at its maximizer")
    ax2.legend(frameon=False, loc="lower right")
    fig.suptitle("Algorithm 1 as minorize–maximize along a line of softmax policies (Garnet MDP, S=6, A=3)",
                 fontsize=11)
    fig.tight_layout()
    return fig

"""Figure 3 -- CPI mixtures against KL-penalized updates (Algorithm 1), from the same starts.

For several random starting policies on one Garnet MDP, each update is iterated. Per iteration we
record the true improvement ``eta(pi_{i+1}) - eta(pi_i)`` and the improvement the update certified
before moving: for CPI the Eq. (6) lower bound at alpha*, ``rhs - eta(pi_i)``; for Algorithm 1
``M_i(pi_{i+1}) - M_i(pi_i)`` (Eq. (10)). The claim: each certificate is a true lower bound on the
improvement it certifies (``true >= certified >= 0``). Algorithm 1 with C/10 is shown for comparison;
its "certificate" is not a theorem and is not checked.
"""

from __future__ import annotations

import numpy as np

from bounds import updates as U
from tabular.evaluation import surrogate_of
from bounds.inequalities import cpi_bound, cpi_decomposition, theory_C
from tabular import zoo
from tabular.divergences import kl_unchecked
from tabular.evaluation import evaluate
from tabular.planning import policy_iteration
from tabular.policies import random_policy

from ._common import Verdict

NAME = "fig3_cpi_vs_kl"
CLAIM = "CPI (Eq. 6 at alpha*) and Algorithm 1 (Eq. 10) certify improvements that eta then exceeds"

METHODS = {
    "CPI, α* (Eq. 6)": "cpi",
    "Alg. 1, theory C": "mm",
    "Alg. 1, C/10 (no guarantee)": "mm10",
}
COLORS = {"cpi": "tab:orange", "mm": "#08306b", "mm10": "#6baed6"}


def _certified(kind, mdp, pi, pi_new, ev, C_scale):
    if kind == "cpi":
        alpha, pi_prime = cpi_decomposition(pi, pi_new)
        return cpi_bound(mdp, pi, pi_prime, alpha, ev=ev).rhs - ev.eta
    C = C_scale * theory_C(mdp, pi, ev=ev)
    L = surrogate_of(ev, pi_new)  # Eq. (3)
    return L - C * float(kl_unchecked(pi, pi_new).max()) - ev.eta  # M_i(pi_{i+1}) - M_i(pi_i)


def compute(quick: bool = False, seed: int = 0) -> dict:
    n_starts = 3 if quick else 8
    n_iter = 10 if quick else 40
    mdp = zoo.garnet(15, 4, 3, rng=np.random.default_rng([seed, 300]), gamma=0.9)
    eta_star = policy_iteration(mdp).eta
    cols = {k: [] for k in ("start", "method", "iteration", "eta", "true_gain", "certified_gain")}
    ok = True
    n_checked = 0
    for k in range(n_starts):
        pi0 = random_policy(mdp, rng=np.random.default_rng([seed, 301, k]), concentration=1.0)
        for kind in METHODS.values():
            pi = pi0
            ev = evaluate(mdp, pi)
            for i in range(n_iter):
                if kind == "cpi":
                    res = U.cpi_step(mdp, pi, ev=ev)
                    C_scale = 1.0
                else:
                    C_scale = 1.0 if kind == "mm" else 0.1
                    res = U.mm_step(mdp, pi, C_scale=C_scale, ev=ev)
                cert = _certified(kind, mdp, pi, res.pi_new, ev, C_scale)
                ev_new = evaluate(mdp, res.pi_new)
                true = ev_new.eta - ev.eta
                if kind != "mm10":  # C/10 is not a theorem: its "certificate" is only shown, not checked
                    ok &= bool(true >= cert - 1e-9 and cert >= -1e-9)
                    n_checked += 1
                for key, v in zip(cols, (k, kind, i, ev.eta, true, cert)):
                    cols[key].append(v)
                pi, ev = res.pi_new, ev_new
    table = {k: np.asarray(v) for k, v in cols.items()}
    final = {kind: float(np.mean(table["eta"][(table["method"] == kind) & (table["iteration"] == n_iter - 1)]))
             for kind in METHODS.values()}
    key = (f"true >= certified >= 0 at all {n_checked} steps; mean eta after {n_iter} its: "
           + ", ".join(f"{kind} {v:.3f}" for kind, v in final.items()) + f" (eta* = {eta_star:.3f})")
    return dict(table=table, eta_star=eta_star, n_iter=n_iter, verdict=Verdict(ok, key))


def plot(data):
    import matplotlib.pyplot as plt

    t = data["table"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12.5, 4.6))
    for label, kind in METHODS.items():
        sel = t["method"] == kind
        starts = np.unique(t["start"][sel])
        its = np.unique(t["iteration"])
        eta = np.array([[t["eta"][sel & (t["start"] == s) & (t["iteration"] == i)][0] for i in its] for s in starts])
        ax1.plot(its, eta.mean(0), color=COLORS[kind], label=label)
        ax1.fill_between(its, eta.min(0), eta.max(0), color=COLORS[kind], alpha=0.15, lw=0)
        true = np.array([[t["true_gain"][sel & (t["start"] == s) & (t["iteration"] == i)][0] for i in its] for s in starts])
        cert = np.array([[t["certified_gain"][sel & (t["start"] == s) & (t["iteration"] == i)][0] for i in its] for s in starts])
        ax2.plot(its, true.mean(0), color=COLORS[kind], label=f"{label}: true gain")
        ax2.plot(its, cert.mean(0), color=COLORS[kind], ls="--", label=f"{label}: certified")
    ax1.axhline(data["eta_star"], color="k", ls=":", lw=1, label="η* (policy iteration)")
    ax1.set_ylim(top=data["eta_star"] + 0.05 * abs(data["eta_star"]))
    ax1.set_xlabel("iteration")
    ax1.set_ylabel("η(π_i)  (mean over starts, band = min–max)")
    ax1.set_title("Progress from the same starting policies")
    ax1.legend(frameon=False)
    ax2.set_yscale("log")
    ax2.set_xlabel("iteration")
    ax2.set_ylabel("improvement per iteration (mean over starts)")
    ax2.set_title("Certified lower bound (dashed) vs true improvement (solid)")
    ax2.legend(frameon=False, fontsize=7.5)
    fig.suptitle("CPI mixtures vs KL-penalized updates (Garnet S=15, A=4, γ=0.9)", fontsize=11)
    fig.tight_layout()
    return fig

"""Figure 2 -- monotonic improvement of every exact update of [TRPO] Section 7.

eta over iterations, normalized as ``(eta - eta_0) / (eta* - eta_0)``, for Algorithm 1 (theory C, C/10,
C/100), CPI with alpha*, trust-region steps with the max-KL (Eq. 11) and mean-KL (Eq. 12) constraints,
the natural policy gradient, the vanilla policy gradient and policy iteration, on a Garnet MDP, a
slippery gridworld and FrozenLake (Gymnasium). The claim: every update the theory calls monotone
(all but the vanilla policy gradient, whose step size is not tied to a bound) never decreases eta.
"""

from __future__ import annotations

import numpy as np

from bounds import updates as U

from ._common import Verdict
from ._updates import iterate, optimum, start_policy, test_mdps

NAME = "fig2_monotonic"
CLAIM = "Algorithm 1, CPI, max/mean-KL TRPO, NPG and PI never decrease eta (exact tabular updates)"

#: label -> (step function, kwargs, claimed monotone, line style)
UPDATES = {
    "Alg. 1, theory C": (U.mm_step, dict(), True, dict(color="#08306b", ls="-")),
    "Alg. 1, C/10": (U.mm_step, dict(C_scale=0.1), True, dict(color="#2171b5", ls="-")),
    "Alg. 1, C/100": (U.mm_step, dict(C_scale=0.01), True, dict(color="#6baed6", ls="-")),
    "CPI, α*": (U.cpi_step, dict(), True, dict(color="tab:orange", ls="-")),
    "TRPO max-KL δ=0.02": (U.trust_region_step, dict(delta=0.02, constraint="max"), True, dict(color="tab:green", ls="-")),
    "TRPO mean-KL δ=0.02": (U.trust_region_step, dict(delta=0.02, constraint="mean", weights="d"), True, dict(color="tab:green", ls="--")),
    "NPG, step 0.1": (U.npg_step, dict(step=0.1), True, dict(color="tab:purple", ls="-")),
    "PG, step 1": (U.pg_step, dict(step=1.0), False, dict(color="tab:gray", ls=":")),
    "policy iteration": (U.pi_step, dict(), True, dict(color="tab:red", ls="-", marker="o", ms=3)),
}
TOL = 1e-10
#: ``python -m experiments check``'s tolerances (see :mod:`experiments.check`).
TOLERANCES = {"kl_max": dict(only_rows_where=("normalized", "<", 1 - 1e-6),
                             reason="compared before η reaches η*: at the optimum the advantages are round-off "
                                    "and the trust-region steps move an arbitrary KL in [0, δ]")}


def compute(quick: bool = False, seed: int = 0) -> dict:
    n_iter = 15 if quick else 60
    mdps = test_mdps(seed, quick)
    cols = {k: [] for k in ("mdp", "update", "iteration", "eta", "normalized", "kl_max")}
    n_steps = n_bad = 0
    curves = {}
    for mname, mdp in mdps.items():
        pi0 = start_policy(mdp)
        eta_star = optimum(mdp)
        for uname, (step, kw, monotone, _) in UPDATES.items():
            c = iterate(step, mdp, pi0, n_iter, **kw)
            norm = (c.eta - c.eta[0]) / (eta_star - c.eta[0])
            curves[(mname, uname)] = norm
            if monotone:
                scale = max(1.0, float(np.max(np.abs(mdp.R))) / (1 - mdp.gamma))
                drops = np.diff(c.eta) < -TOL * scale
                n_steps += drops.size
                n_bad += int(drops.sum())
            for i, (e, nv) in enumerate(zip(c.eta, norm)):
                for k, v in zip(cols, (mname, uname, i, e, nv, c.kl_max[i - 1] if i else 0.0)):
                    cols[k].append(v)
    table = {k: np.asarray(v) for k, v in cols.items()}
    key = f"{n_bad} non-monotone steps in {n_steps:,} steps of monotone updates on {len(mdps)} MDPs"
    return dict(table=table, curves=curves, mdps=list(mdps), n_iter=n_iter, verdict=Verdict(n_bad == 0, key))


def plot(data):
    import matplotlib.pyplot as plt

    mdps = data["mdps"]
    fig, axes = plt.subplots(1, len(mdps), figsize=(5.0 * len(mdps), 4.6), sharey=True)
    axes = np.atleast_1d(axes)
    its = np.arange(data["n_iter"] + 1)
    for ax, mname in zip(axes, mdps):
        for uname, (_, _, _, style) in UPDATES.items():
            ax.plot(its + 1, data["curves"][(mname, uname)], label=uname, **style)
        ax.set_xscale("log")
        ax.set_title(mname)
        ax.set_xlabel("iteration + 1")
        ax.axhline(1.0, color="k", lw=0.8, ls=":")
    axes[0].set_ylabel("(η − η₀) / (η* − η₀)")
    axes[-1].legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle("Monotonic improvement of the exact updates — " + data["verdict"].key_number, fontsize=11)
    fig.tight_layout()
    return fig

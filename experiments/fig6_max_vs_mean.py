"""Figure 6 -- max-KL (Eq. 11) against mean-KL (Eq. 12) trust regions ([TRPO] §4: "similar empirical
performance").

Exact trust-region iterations on the update MDPs for several delta, from the uniform policy. The mean
constraint averages the KL over the normalized visitation ``d`` (``weights="d"``, a true expectation,
as in the practical algorithm); with the unnormalized ``rho`` of Eq. (12) it would be ``1/(1-gamma)``
times tighter than the max constraint at the same delta. The claim:
for every MDP and delta, the mean-KL update reaches 90% of the way from ``eta_0`` to ``eta*`` within
1.25 times (plus one) the iterations the max-KL update needs, or faster (the mean constraint is looser,
so it may move faster), and both are monotone.
"""

from __future__ import annotations

import numpy as np

from bounds import updates as U

from ._common import Verdict, first_at_least
from ._updates import iterate, optimum, start_policy, test_mdps

NAME = "fig6_max_vs_mean"
CLAIM = "mean-KL trust regions perform about as well as max-KL ones (iterations to 90% of eta*)"
DELTAS = (0.003, 0.01, 0.03, 0.1)
SLOWDOWN = 1.25


#: A crossing of 90% is round-off-sensitive if a progress up to it lies within this of 0.9.
MARGIN = 1e-9


def _iters_to(norm, level=0.9):
    """``(first iteration with progress >= level or inf, whether round-off cannot move it)``."""
    k, robust = first_at_least(norm, level, MARGIN)
    return (np.inf if k is None else float(k)), robust


def compute(quick: bool = False, seed: int = 0) -> dict:
    n_iter = 40
    mdps = test_mdps(seed, quick)
    cols = {k: [] for k in ("mdp", "constraint", "delta", "iteration", "eta", "normalized")}
    finals = {}
    ok = True
    n_near = 0
    for mname, mdp in mdps.items():
        pi0 = start_policy(mdp)
        eta_star = optimum(mdp)
        for delta in DELTAS:
            for constraint in ("max", "mean"):
                c = iterate(U.trust_region_step, mdp, pi0, n_iter, delta=delta, constraint=constraint, weights="d")
                norm = (c.eta - c.eta[0]) / (eta_star - c.eta[0])
                ok &= bool(np.all(np.diff(c.eta) >= -1e-10 * max(1.0, abs(eta_star))))
                finals[(mname, delta, constraint)], robust = _iters_to(norm)
                n_near += not robust
                for i in range(len(c.eta)):
                    for k, v in zip(cols, (mname, constraint, delta, i, c.eta[i], norm[i])):
                        cols[k].append(v)
    pairs = [(finals[(m, d, "max")], finals[(m, d, "mean")]) for m in mdps for d in DELTAS]
    ok &= all(np.isfinite(a) and b <= SLOWDOWN * a + 1 for a, b in pairs)
    ratios = np.array([b / a for a, b in pairs])
    table = {k: np.asarray(v) for k, v in cols.items()}
    key = (f"iterations to 90%, mean-KL / max-KL: median {np.median(ratios):.2f}, worst {ratios.max():.2f} "
           f"over {len(pairs)} (MDP, delta) pairs; all monotone"
           + (f"; {n_near} crossings within round-off of 90% (counts may move by 1)" if n_near else ""))
    return dict(table=table, finals=finals, mdps=list(mdps), n_iter=n_iter, verdict=Verdict(ok, key))


def plot(data):
    import matplotlib.pyplot as plt

    t = data["table"]
    mdps = data["mdps"]
    fig, axes = plt.subplots(1, len(mdps) + 1, figsize=(4.6 * (len(mdps) + 1), 4.4))
    colors = plt.cm.plasma(np.linspace(0.1, 0.8, len(DELTAS)))
    for ax, mname in zip(axes, mdps):
        for c, delta in zip(colors, DELTAS):
            for constraint, ls in (("max", "-"), ("mean", "--")):
                sel = (t["mdp"] == mname) & (t["delta"] == delta) & (t["constraint"] == constraint)
                ax.plot(t["iteration"][sel], t["normalized"][sel], color=c, ls=ls,
                        label=f"δ={delta:g} {constraint}-KL")
        ax.set_title(mname, fontsize=10)
        ax.set_xlabel("iteration")
        ax.axhline(1.0, color="k", lw=0.8, ls=":")
    axes[0].set_ylabel("(η − η₀) / (η* − η₀)")
    axes[0].legend(frameon=False, fontsize=7, ncol=2)
    ax = axes[-1]
    x = np.arange(len(DELTAS))
    w = 0.8 / (2 * len(mdps))
    for j, mname in enumerate(mdps):
        for k, (constraint, hatch) in enumerate((("max", ""), ("mean", "//"))):
            vals = [data["finals"][(mname, d, constraint)] for d in DELTAS]
            ax.bar(x + (2 * j + k - len(mdps) + 0.5) * w, vals, w, color=plt.cm.tab10(j), hatch=hatch,
                   edgecolor="white", label=f"{mname.split(',')[0]}, {constraint}-KL")
    ax.set_xticks(x)
    ax.set_xticklabels([f"δ={d:g}" for d in DELTAS])
    ax.set_yscale("log")
    top = max(v for v in data["finals"].values() if np.isfinite(v))
    ax.set_ylim(1, top * 6)
    ax.set_ylabel("iterations to reach 90% of η* − η₀")
    ax.set_title("Speed: max (solid) vs mean (hatched)")
    ax.legend(frameon=False, fontsize=7, loc="upper right")
    fig.suptitle("Max-KL vs mean-KL trust regions, exact tabular steps", fontsize=11)
    fig.tight_layout()
    return fig

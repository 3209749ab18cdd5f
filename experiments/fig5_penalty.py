"""Figure 5 -- the penalty coefficient: with the theoretical C, Algorithm 1's steps are tiny ([TRPO] §4).

Algorithm 1 (``mm_step``) with ``C = scale x 4 eps gamma / (1-gamma)^2`` for scales from 1 down to
1e-4, on a Garnet MDP: the number of iterations to reach 90% of the way from ``eta_0`` to ``eta*``,
and the max-KL moved by the first step. The claim: the theory C needs many times more iterations than a
scaled-down C (at least 10x more than C/100), and every scale stays monotone.
"""

from __future__ import annotations

import numpy as np

from bounds import updates as U
from tabular import zoo
from tabular.planning import policy_iteration
from tabular.policies import uniform

from ._common import Verdict, first_at_least
from ._updates import iterate

NAME = "fig5_penalty"
CLAIM = "with the theoretical C the steps are tiny: iterations to 90% of eta* fall as C is scaled down"
SCALES = (1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 0.0001)


#: An iteration count is written "≈" if a progress up to the crossing lies within this of the level.
MARGIN = 1e-9


def _iters_to(norm, level=0.9):
    """``(first iteration with progress >= level or inf, whether round-off cannot move it)``."""
    k, robust = first_at_least(norm, level, MARGIN)
    return (np.inf if k is None else k), robust


def compute(quick: bool = False, seed: int = 0) -> dict:
    max_iter = 150 if quick else 600
    mdp = zoo.garnet(10 if quick else 20, 3, 3, rng=np.random.default_rng([seed, 500]), gamma=0.9)
    eta_star = policy_iteration(mdp).eta
    pi0 = uniform(mdp)
    cols = {k: [] for k in ("scale", "iteration", "eta", "normalized", "kl_max")}
    iters, robust, kl_med, monotone = [], [], [], True
    for sc in SCALES:
        c = iterate(U.mm_step, mdp, pi0, max_iter, C_scale=sc)
        norm = (c.eta - c.eta[0]) / (eta_star - c.eta[0])
        k, ok_k = _iters_to(norm)
        iters.append(k)
        robust.append(ok_k)
        kl_med.append(float(c.kl_max[0]))  # the first step, from the same start for every scale
        monotone &= bool(np.all(np.diff(c.eta) >= -1e-10 * max(1.0, abs(eta_star))))
        for i in range(len(c.eta)):
            for k, v in zip(cols, (sc, i, c.eta[i], norm[i], c.kl_max[i - 1] if i else 0.0)):
                cols[k].append(v)
    iters = np.array(iters, dtype=float)
    table = {k: np.asarray(v) for k, v in cols.items()}
    i1, i100 = iters[SCALES.index(1.0)], iters[SCALES.index(0.01)]
    ok = monotone and np.isfinite(i100) and (i1 >= 10 * i100)
    approx = {sc: "" if r else "≈" for sc, r in zip(SCALES, robust)}
    shown = "never" if not np.isfinite(i1) else f"{approx[1.0]}{int(i1)}"
    shown100 = approx[0.01] + str(int(i100)) if np.isfinite(i100) else "never"
    key = (f"iterations to 90%: theory C {shown}{'' if np.isfinite(i1) else f' (> {max_iter})'}, C/100 "
           f"{shown100}; first-step max-KL {kl_med[0]:.2e} vs {kl_med[4]:.2e}; "
           f"monotone at every scale: {monotone}")
    return dict(table=table, iters=iters, kl_med=np.array(kl_med), max_iter=max_iter, verdict=Verdict(ok, key))


def plot(data):
    import matplotlib.pyplot as plt

    t = data["table"]
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 4.4))
    colors = plt.cm.viridis(np.linspace(0.0, 0.9, len(SCALES)))
    for c, sc in zip(colors, SCALES):
        sel = t["scale"] == sc
        ax1.plot(t["iteration"][sel] + 1, t["normalized"][sel], color=c, label=f"C × {sc:g}")
    ax1.axhline(0.9, color="k", ls=":", lw=1)
    ax1.set_xscale("log")
    ax1.set_xlabel("iteration + 1")
    ax1.set_ylabel("(η − η₀) / (η* − η₀)")
    ax1.set_title("Algorithm 1 with a scaled penalty")
    ax1.legend(frameon=False, fontsize=8)
    scales = np.array(SCALES)
    iters = data["iters"]
    finite = np.isfinite(iters)
    ax2.plot(scales[finite], iters[finite], "o-", color="tab:blue")
    if np.any(~finite):
        ax2.plot(scales[~finite], np.full((~finite).sum(), data["max_iter"]), "^", color="tab:red",
                 label=f"not reached in {data['max_iter']}")
        ax2.legend(frameon=False)
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("C / C_theory")
    ax2.set_ylabel("iterations to reach 90% of η* − η₀")
    ax2.set_title("Theory C is slow (§4 of the paper)")
    ax3.plot(scales, data["kl_med"], "o-", color="tab:green")
    ax3.set_xscale("log")
    ax3.set_yscale("log")
    ax3.set_xlabel("C / C_theory")
    ax3.set_ylabel("max-KL moved by the first step")
    ax3.set_title("Step size grows as C shrinks")
    fig.suptitle("The penalty coefficient of Algorithm 1 (Garnet, γ = 0.9)", fontsize=11)
    fig.tight_layout()
    return fig

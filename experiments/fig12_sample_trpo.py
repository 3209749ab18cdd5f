"""Figure 12 -- sample-based TRPO (single path and vine estimates) against the exact trust-region iteration.

Tabular softmax on three Garnet MDPs, from the uniform policy, mean-KL radius delta = 0.01 (weights d).
The exact iteration solves Eq. (12) exactly (``bounds.updates.trust_region_step``); the sample-based
one takes the practical step (CG + line search, ``bounds.updates.practical.trpo_step_samples``) from fresh
samples of each policy, with the same simulation budget per iteration for both estimators. Several
seeds per estimator. The claim: sample-based TRPO follows the exact iteration, reaching at least 80% of
its normalized progress after the last iteration (mean over seeds) with either estimator.
"""

from __future__ import annotations

import numpy as np

from bounds.updates.practical import sample_trpo
from bounds.updates import trust_region_step
from tabular import zoo
from tabular.evaluation import evaluate
from tabular.planning import optimal
from tabular.policies import uniform

from ._common import Verdict

NAME = "fig12_sample_trpo"
CLAIM = "sample-based TRPO (single path or vine) reaches >= 80% of the exact trust-region iteration's progress"
DELTA = 0.01
LEVEL = 0.8


def compute(quick: bool = False, seed: int = 0) -> dict:
    n_iter = 30
    n_seeds = 1 if quick else 5
    budget = 20000
    cols = {k: [] for k in ("mdp", "method", "seed", "iteration", "eta", "normalized", "env_steps")}
    ratios = {}
    for m_id in range(3):
        mdp = zoo.garnet(10, 3, 3, rng=np.random.default_rng([seed, 1200, m_id]), gamma=0.9)
        S, A = mdp.shape
        eta_star = optimal(mdp).eta
        pi = uniform(mdp)
        exact = [evaluate(mdp, pi).eta]
        for _ in range(n_iter):
            pi = trust_region_step(mdp, pi, DELTA, constraint="mean", weights="d").pi_new
            exact.append(evaluate(mdp, pi).eta)
        exact = np.array(exact)
        norm_exact = (exact - exact[0]) / (eta_star - exact[0])
        for i, (e, nv) in enumerate(zip(exact, norm_exact)):
            for k, v in zip(cols, (m_id, "exact", -1, i, e, nv, 0)):
                cols[k].append(v)
        for method in ("single_path", "vine"):
            finals = []
            for r in range(n_seeds):
                h = sample_trpo(mdp, np.zeros(S * A), DELTA, n_iter, estimator=method, budget=budget,
                                rng=np.random.default_rng([seed, 1201, m_id, r]))
                norm = (h.eta - h.eta[0]) / (eta_star - h.eta[0])
                finals.append(norm[-1])
                for i, (e, nv, st) in enumerate(zip(h.eta, norm, h.steps_used)):
                    for k, v in zip(cols, (m_id, method, r, i, e, nv, st)):
                        cols[k].append(v)
            ratios[(m_id, method)] = float(np.mean(finals) / norm_exact[-1])
    ok = all(v >= LEVEL for v in ratios.values())
    table = {k: np.asarray(v) for k, v in cols.items()}
    sp = [v for (m, meth), v in ratios.items() if meth == "single_path"]
    vn = [v for (m, meth), v in ratios.items() if meth == "vine"]
    key = (f"final progress relative to exact after {n_iter} its ({budget:,} env steps/it): single path "
           f"{min(sp):.2f}-{max(sp):.2f}, vine {min(vn):.2f}-{max(vn):.2f} (3 Garnets, {n_seeds} seeds)")
    return dict(table=table, n_iter=n_iter, budget=budget, verdict=Verdict(ok, key))


def plot(data):
    import matplotlib.pyplot as plt

    t = data["table"]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.3), sharey=True)
    colors = {"exact": "k", "single_path": "tab:red", "vine": "tab:blue"}
    labels = {"exact": "exact trust region (Eq. 12)", "single_path": "sample TRPO, single path",
              "vine": "sample TRPO, vine"}
    for m_id, ax in enumerate(axes):
        for method in ("exact", "single_path", "vine"):
            sel = (t["mdp"] == m_id) & (t["method"] == method)
            seeds = np.unique(t["seed"][sel])
            curves = np.array([t["normalized"][sel & (t["seed"] == r)] for r in seeds])
            its = np.arange(curves.shape[1])
            ax.plot(its, curves.mean(0), color=colors[method], lw=2.2 if method == "exact" else 1.8,
                    label=labels[method])
            if len(seeds) > 1:
                ax.fill_between(its, curves.min(0), curves.max(0), color=colors[method], alpha=0.15, lw=0)
        ax.axhline(1.0, color="k", ls=":", lw=0.8)
        ax.set_title(f"Garnet #{m_id + 1} (S=10, A=3, γ=0.9)")
        ax.set_xlabel("iteration")
    axes[0].set_ylabel("(η − η₀) / (η* − η₀)   (mean, band = min–max over seeds)")
    axes[0].legend(frameon=False, loc="lower right")
    fig.suptitle(f"Sample-based TRPO vs the exact trust-region iteration, δ = {DELTA}, "
                 f"{data['budget']:,} environment steps per iteration", fontsize=11)
    fig.tight_layout()
    return fig

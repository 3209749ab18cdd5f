"""Figure 15 -- PPO-clip maximized exactly is not a trust region ([PPO]; Wang et al. 2019, "Truly PPO").

From the uniform policy on each test MDP, the clipped surrogate ``L^CLIP`` is maximized exactly
(:func:`bounds.updates.ppo.ppo_clip_step`: full-batch Adam on the exact objective, one step per
epoch, as PPO runs K epochs) for several clip ranges eps; after each epoch we record the ratio range
``pi/pi_old``, the max-KL and the d-weighted mean KL, and the true eta. Against it: TRPO's exact
mean-KL trust-region step (Eq. (12), d weights, :func:`bounds.updates.trust_region_step`) from the same
policy.

The claim (fixed before the run): for every eps and MDP the ratio leaves ``[1-eps, 1+eps]`` and the
max-KL exceeds ``KL_eps = -log(1-eps^2)/2``, the largest KL(pi_old || pi) that any policy whose ratios
all lie in the clip range can have (two-point extremes at ``1 +- eps``). (The KL grows with the
epochs until every action's clipped term stops its gradient -- a level set by the optimizer and the
number of epochs, not by eps.) TRPO's exact step has mean KL = delta (to 1e-9). Reported, not claimed:
whether exact PPO-clip is monotone -- eta after every epoch against eta(pi_old), eta from epoch to
epoch, and over 10 outer PPO iterations of K = 10 epochs.
"""

from __future__ import annotations

import math

import numpy as np

from bounds.updates import trust_region_step
from bounds.updates.ppo import ppo_clip_step
from tabular import evaluate
from tabular.divergences import kl_unchecked

from ._common import Verdict, count_below
from ._updates import start_policy, test_mdps

NAME = "fig15_ppo_clip"
CLAIM = ("Exact PPO-clip moves ratios outside [1-eps, 1+eps] and its KL exceeds any bound set by eps, "
         "while TRPO's exact step keeps its mean KL at delta")

EPS = (0.1, 0.2, 0.3)
COLORS = {0.1: "tab:blue", 0.2: "tab:orange", 0.3: "tab:green"}
DELTA = 0.02
LR = 0.05


def kl_eps(eps: float) -> float:
    """``max KL(p || q)`` over pairs with ``q/p`` in ``[1-eps, 1+eps]``: ``-log(1-eps^2)/2``."""
    return -0.5 * math.log(1.0 - eps**2)


def compute(quick: bool = False, seed: int = 0) -> dict:
    epochs = 15 if quick else 60
    outer, outer_epochs = (4, 10) if quick else (10, 10)
    mdps = test_mdps(seed, quick)
    cols = {k: [] for k in ("mdp", "eps", "epoch", "ratio_min", "ratio_max", "kl_max", "kl_mean", "eta")}
    runs, trpo, ok, n_epoch_drops, n_outer_drops, n_outer, n_step_drops = {}, {}, True, 0, 0, 0, 0
    n_step_near = 0  # epoch-to-epoch changes within round-off of the drop threshold: not counted
    worst_kl_ratio = math.inf
    for mname, mdp in mdps.items():
        pi0 = start_policy(mdp)
        ev0 = evaluate(mdp, pi0)
        step = trust_region_step(mdp, pi0, DELTA, constraint="mean", weights="d", ev=ev0)
        kl_d = float(ev0.d @ kl_unchecked(pi0, step.pi_new))
        trpo[mname] = (kl_d, float(kl_unchecked(pi0, step.pi_new).max()), evaluate(mdp, step.pi_new).eta)
        ok &= abs(kl_d - DELTA) <= 1e-9
        for eps in EPS:
            r = ppo_clip_step(mdp, pi0, eps, epochs=epochs, lr=LR, ev=ev0)
            runs[(mname, eps)] = r
            left = r.ratio_max[-1] > 1 + eps or r.ratio_min[-1] < 1 - eps
            ok &= bool(left) and r.kl_max[-1] > kl_eps(eps)
            worst_kl_ratio = min(worst_kl_ratio, r.kl_max[-1] / kl_eps(eps))
            scale = 1e-10 * max(1.0, abs(r.eta_old))
            n_epoch_drops += int(np.sum(r.eta < r.eta_old - scale))
            drops, near = count_below(np.diff(r.eta), -scale, 1e-3 * scale)
            n_step_drops += drops
            n_step_near += near
            pi = pi0
            for _ in range(outer):  # outer PPO iterations, reported only
                nxt = ppo_clip_step(mdp, pi, eps, epochs=outer_epochs, lr=LR)
                n_outer += 1
                n_outer_drops += int(nxt.eta[-1] < nxt.eta_old - scale)
                pi = nxt.pi_new
            for k in range(epochs + 1):
                for c, v in zip(cols, (mname, eps, k, r.ratio_min[k], r.ratio_max[k], r.kl_max[k],
                                       r.kl_mean[k], r.eta[k])):
                    cols[c].append(v)
    key = (f"ratios leave the clip range and max-KL ≥ {worst_kl_ratio:.1f}× KL_eps for every eps and MDP; "
           f"TRPO mean KL = δ = {DELTA}; PPO: η < η(π_old) after {n_epoch_drops} of {len(runs) * (epochs + 1)} "
           f"epochs, η fell from one epoch to the next {n_step_drops} times"
           f"{f' ({n_step_near} more within round-off)' if n_step_near else ''}, outer iterations that lowered η: "
           f"{n_outer_drops} of {n_outer}")
    return dict(table={k: np.asarray(v) for k, v in cols.items()}, runs=runs, trpo=trpo, mdps=list(mdps),
                epochs=epochs, verdict=Verdict(bool(ok), key))


def plot(data):
    import matplotlib.pyplot as plt

    mdps = data["mdps"]
    fig, axes = plt.subplots(3, len(mdps), figsize=(4.8 * len(mdps), 9.6))
    axes = np.asarray(axes).reshape(3, len(mdps))
    ep = np.arange(data["epochs"] + 1)
    for j, mname in enumerate(mdps):
        kl_d, kl_m, eta_trpo = data["trpo"][mname]
        for eps in EPS:
            r, c = data["runs"][(mname, eps)], COLORS[eps]
            ax = axes[0, j]
            ax.fill_between(ep, r.ratio_min, r.ratio_max, color=c, alpha=0.18)
            ax.plot(ep, r.ratio_max, color=c, label=f"ε={eps:g}: ratio range")
            ax.plot(ep, r.ratio_min, color=c)
            ax.axhline(1 + eps, color=c, ls=":", lw=1)
            ax.axhline(1 - eps, color=c, ls=":", lw=1)
            ax = axes[1, j]
            ax.plot(ep, r.kl_max, color=c, label=f"ε={eps:g}: max-KL")
            ax.plot(ep, r.kl_mean, color=c, ls="--", lw=1.2, label=f"ε={eps:g}: mean-KL (d)")
            ax.axhline(kl_eps(eps), color=c, ls=":", lw=1, label=f"KL_ε={kl_eps(eps):.3g}")
            axes[2, j].plot(ep, r.eta, color=c, label=f"PPO-clip ε={eps:g}")
        axes[0, j].set_yscale("log")
        axes[0, j].set_title(mname)
        axes[1, j].axhline(kl_d, color="k", lw=1.5, label=f"TRPO mean-KL = δ = {kl_d:.3g}")
        axes[1, j].axhline(kl_m, color="k", ls="--", lw=1, label=f"TRPO max-KL = {kl_m:.3g}")
        axes[1, j].set_yscale("log")
        axes[2, j].axhline(eta_trpo, color="k", lw=1.5, label="TRPO exact step, δ=0.02")
        axes[2, j].axhline(data["runs"][(mname, EPS[0])].eta_old, color="gray", ls=":", lw=1, label="η(π_old)")
        axes[2, j].set_xlabel("epoch")
    axes[0, 0].set_ylabel("π/π_old (min … max)\ndotted: 1 ± ε")
    axes[1, 0].set_ylabel("KL(π_old ‖ π) after each epoch")
    axes[2, 0].set_ylabel("true η")
    for i in range(3):
        axes[i, -1].legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle("PPO-clip maximized exactly (full-batch Adam, lr 0.05) is not a trust region\n"
                 + data["verdict"].key_number, fontsize=10)
    fig.tight_layout()
    return fig

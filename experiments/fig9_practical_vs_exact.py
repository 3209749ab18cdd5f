"""Figure 9 -- the practical TRPO step against the exact trust-region solution (tabular softmax).

On random Garnet MDPs (S in [5, 30], A in [2, 5], gamma = 0.9) and random softmax parameters, one
step of :func:`bounds.updates.practical.trpo_step` (exact advantages; [TRPO] §5-6, Appendix C) is compared
with the exact solution of Eq. (12), ``max L s.t. E_{s~d}[KL(pi || pi_new)] <= delta``, over all
policies (:func:`bounds.updates.trust_region_step`, which the tabular softmax can represent), through
:func:`bounds.updates.practical.compare_with_exact`. Three variants of the practical step:

* "practical, line search" -- the defaults: 10 CG iterations, damping 1e-3, shrink 0.8, KL check;
* "full step" -- the same direction and length, no line search;
* "full step, exact CG, no damping" -- CG run to convergence (S*A iterations) with zero damping:
  the natural-gradient step of the quadratic model, isolating the effect of the model itself.

Panels: mean KL actually moved / delta; surrogate improvement reached / exact optimum's; angle
between ``vec(pi_new - pi)`` of the practical and of the exact step. Bands are min-max over
instances, lines means.

Findings: the quadratic model is accurate at small delta (the full step moves a KL within a few
percent of delta and reaches ~all the exact improvement; with converged undamped CG the angle goes
to zero like sqrt(delta)). The default damping and 10 CG iterations leave a small angle (a few
degrees) that does not vanish. The line search's KL check rejects the full step whenever the true
KL exceeds delta by any amount -- about half of the instances -- and one shrink by 0.8 then gives
KL ~ 0.64 delta and ~80% of the improvement: the worst case is set by the shrink factor.
"""

from __future__ import annotations

import numpy as np

from bounds.updates.practical import compare_with_exact
from tabular.parametric import TabularSoftmax
from tabular.zoo import garnet

from ._common import Verdict

NAME = "fig9_practical_vs_exact"
CLAIM = ("Tabular softmax, δ ≤ 0.01: the practical TRPO step (line search) moves a mean KL in [0.6δ, δ] "
         "and reaches ≥ 75% of the exact trust-region surrogate improvement (full step: KL within 10% of δ, ≥ 95%)")

GAMMA = 0.9
SMALL = 0.01  # the claim is about delta <= SMALL
KL_LO, RATIO_MIN = 0.6, 0.75
FULL_KL_TOL, FULL_RATIO_MIN = 0.1, 0.95

#: label -> (trpo_step kwargs or a callable of the policy, colour)
VARIANTS = {
    "practical, line search": (lambda pol: dict(), "tab:blue"),
    "full step (no line search)": (lambda pol: dict(line_search=False), "tab:orange"),
    "full step, exact CG, no damping": (lambda pol: dict(line_search=False, damping=0.0,
                                                         cg_iters=pol.n_params), "tab:green"),
}


def compute(quick: bool = False, seed: int = 0) -> dict:
    n_inst = 8 if quick else 40
    deltas = np.logspace(-4, -1, 4) if quick else np.logspace(-4, 0, 9)
    streams = np.random.SeedSequence([seed, 9]).spawn(n_inst)
    cols = {k: [] for k in ("variant", "instance", "S", "A", "delta", "kl_over_delta", "improvement_ratio",
                            "angle_deg", "surrogate_gap", "surrogate_gap_matched", "n_backtracks")}
    for i, ss in enumerate(streams):
        rng = np.random.default_rng(ss)
        S, A = int(rng.integers(5, 31)), int(rng.integers(2, 6))
        mdp = garnet(S, A, 3, rng=rng, gamma=GAMMA)
        pol = TabularSoftmax(S, A)
        theta = rng.normal(size=pol.n_params)
        for delta in deltas:
            for label, (kw, _) in VARIANTS.items():
                c = compare_with_exact(mdp, pol, theta, float(delta), **kw(pol))
                row = (label, i, S, A, float(delta), c.kl_practical / delta, c.improvement_ratio,
                       np.degrees(c.angle), c.surrogate_gap, c.surrogate_gap_matched, c.step.n_backtracks)
                for k, v in zip(cols, row):
                    cols[k].append(v)
    table = {k: np.asarray(v) for k, v in cols.items()}
    sel = (table["variant"] == "practical, line search") & (table["delta"] <= SMALL * (1 + 1e-9))
    kl_r, ratio = table["kl_over_delta"][sel], table["improvement_ratio"][sel]
    full = (table["variant"] == "full step (no line search)") & (table["delta"] <= SMALL * (1 + 1e-9))
    kl_f, ratio_f = table["kl_over_delta"][full], table["improvement_ratio"][full]
    shrunk = float(np.mean(table["n_backtracks"][sel] > 0))
    passed = bool(kl_r.min() >= KL_LO and kl_r.max() <= 1 + 1e-9 and ratio.min() >= RATIO_MIN
                  and np.abs(kl_f - 1).max() <= FULL_KL_TOL and ratio_f.min() >= FULL_RATIO_MIN)
    key = (f"δ ≤ {SMALL:g}, {sel.sum()} steps: line search KL/δ ∈ [{kl_r.min():.2f}, {kl_r.max():.3f}], "
           f"improvement ≥ {100 * ratio.min():.0f}% (mean {100 * np.mean(ratio):.1f}%) of exact, "
           f"{100 * shrunk:.0f}% of steps shrunk; "
           f"full step KL/δ ∈ [{kl_f.min():.2f}, {kl_f.max():.2f}], ≥ {100 * ratio_f.min():.0f}%")
    return dict(table=table, deltas=deltas, n_inst=n_inst, verdict=Verdict(passed, key))


def plot(data):
    import matplotlib.pyplot as plt

    t = data["table"]
    deltas = data["deltas"]
    fig, axes = plt.subplots(1, 3, figsize=(14.5, 4.4))
    panels = (("kl_over_delta", "mean KL moved / δ", "KL actually moved"),
              ("improvement_ratio", "(L_practical − η) / (L_exact − η)", "Surrogate improvement vs exact optimum"),
              ("angle_deg", "angle between policy changes (degrees)", "Direction: practical vs exact"))
    for ax, (col, ylab, title) in zip(axes, panels):
        for label, (_, color) in VARIANTS.items():
            m = t["variant"] == label
            lo, med, hi = [], [], []
            for d in deltas:
                v = t[col][m & np.isclose(t["delta"], d)]
                lo.append(v.min())
                med.append(np.mean(v))
                hi.append(v.max())
            ax.fill_between(deltas, lo, hi, color=color, alpha=0.15, lw=0)
            ax.plot(deltas, med, color=color, marker="o", ms=3.5, label=label)
        ax.set_xscale("log")
        ax.set_xlabel("KL radius δ")
        ax.set_ylabel(ylab)
        ax.set_title(title)
        ax.axvspan(deltas[0] / 1.5, SMALL, color="0.5", alpha=0.07, lw=0)
    axes[0].axhline(1.0, color="k", lw=0.8, ls=":")
    axes[0].axhline(KL_LO, color="tab:blue", lw=0.8, ls="--")
    axes[0].text(deltas[0], KL_LO, f" claim bound {KL_LO}", va="bottom", fontsize=7.5, color="tab:blue")
    axes[1].axhline(1.0, color="k", lw=0.8, ls=":")
    axes[1].axhline(RATIO_MIN, color="tab:blue", lw=0.8, ls="--")
    axes[1].text(deltas[0], RATIO_MIN, f" claim bound {RATIO_MIN:.0%}", va="bottom", fontsize=7.5,
                 color="tab:blue")
    axes[2].set_yscale("log")
    axes[0].axhline(0.64, color="tab:blue", lw=0.6, ls=":")
    axes[0].text(deltas[-1], 0.64, "one shrink: 0.8² ", ha="right", va="bottom", fontsize=7.5, color="tab:blue")
    axes[2].legend(frameon=False, loc="lower right", fontsize=8)
    fig.suptitle(f"Practical TRPO step vs exact mean-KL trust region, tabular softmax, {data['n_inst']} Garnet "
                 f"instances (lines: mean, bands: min–max; shaded: δ ≤ {SMALL:g})\n" + data["verdict"].key_number,
                 fontsize=10)
    fig.tight_layout()
    return fig

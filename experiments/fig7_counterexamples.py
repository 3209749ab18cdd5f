"""Figure 7 -- the non-theorems of THEORY.md §6 on MDP X, along a path of policies.

For each counterexample, ``pi_new(t)`` moves linearly from ``pi`` (t = 0) to the refuting policy
(t = 1). Plotted relative to the surrogate (``quantity - L``, so the tiny violations are visible):
the true ``eta``, the false "bound", and a true bound (max-KL Eq. (9) or Theorem 1). The claim: at
t = 1 each false bound lies above ``eta`` while the true bounds stay below it along the whole path.
"""

from __future__ import annotations

import numpy as np

from bounds.inequalities import kl_bound, theorem1
from bounds.counterexamples import (
    known_counterexamples,
    mean_kl_candidate,
    mean_tv_squared_candidate,
    squared_mean_tv_candidate,
)
from tabular.evaluation import evaluate, surrogate

NAME = "fig7_counterexamples"
CLAIM = "on MDP X the mean-KL and mean-TV 'bounds' exceed eta while max-KL and Theorem 1 hold"


def compute(quick: bool = False, seed: int = 0) -> dict:
    ts = np.linspace(0.0, 1.0, 41 if quick else 201)
    cex = {c.name: c for c in known_counterexamples()}
    cols = {k: [] for k in ("case", "t", "eta_new", "L", "false_rhs", "false_rhs2", "true_rhs")}
    checks = []
    for name in ("mean_kl", "mean_tv_quadratic", "surrogate_not_monotone"):
        c = cex[name]
        ev = evaluate(c.mdp, c.pi)
        for t in ts:
            pn = (1 - t) * c.pi + t * c.pi_new
            L = surrogate(c.mdp, c.pi, pn, ev=ev)
            eta_new = evaluate(c.mdp, pn).eta
            if name == "mean_kl":
                f1, f2 = mean_kl_candidate(c.mdp, c.pi, pn, "rho"), mean_kl_candidate(c.mdp, c.pi, pn, "d")
                true = kl_bound(c.mdp, c.pi, pn, ev=ev)
            elif name == "mean_tv_quadratic":
                f1, f2 = mean_tv_squared_candidate(c.mdp, c.pi, pn), squared_mean_tv_candidate(c.mdp, c.pi, pn)
                true = theorem1(c.mdp, c.pi, pn, ev=ev)
            else:
                f1, f2 = ev.eta, ev.eta  # the "claim" L > eta(pi) => eta_new > eta(pi)
                true = theorem1(c.mdp, c.pi, pn, ev=ev)
            for k, v in zip(cols, (name, t, eta_new, L, f1, f2, true.rhs)):
                cols[k].append(v)
            checks.append(true.holds)
        checks.append(c.violated)
    table = {k: np.asarray(v) for k, v in cols.items()}
    end = table["t"] == 1.0
    gaps = {n: float(table["false_rhs"][end & (table["case"] == n)][0] - table["eta_new"][end & (table["case"] == n)][0])
            for n in ("mean_kl", "mean_tv_quadratic")}
    ok = all(checks)
    from ._common import Verdict
    key = (f"mean-KL exceeds eta by {gaps['mean_kl']:.2e}, mean-TV^2 by {gaps['mean_tv_quadratic']:.2e}; "
           f"true bounds hold at {int(np.sum(checks[:-1]) if ok else 0)} path points" if ok else
           "a counterexample failed to refute, or a true bound failed")
    return dict(table=table, verdict=Verdict(ok, key))


def plot(data):
    import matplotlib.pyplot as plt

    t = data["table"]
    fig, axes = plt.subplots(1, 3, figsize=(14.5, 4.4))
    specs = [
        ("mean_kl", "Mean-KL form, γ = 0.01",
         [("false_rhs", "L − C·Σρ KL  (false)", "tab:red", "-"), ("false_rhs2", "L − C·E_d KL  (false)", "tab:orange", "--"),
          ("true_rhs", "L − C·max KL, Eq. (9)", "tab:blue", "-")]),
        ("mean_tv_quadratic", "Quadratic mean-TV forms, γ = 0.9",
         [("false_rhs", "L − C·E_d[TV²]  (false)", "tab:red", "-"), ("false_rhs2", "L − C·(E_d TV)²  (false)", "tab:orange", "--"),
          ("true_rhs", "L − C·max TV², Thm 1", "tab:blue", "-")]),
    ]
    for ax, (case, title, lines) in zip(axes[:2], specs):
        sel = t["case"] == case
        x, L = t["t"][sel], t["L"][sel]
        ax.plot(x, t["eta_new"][sel] - L, color="k", lw=2.4, label="η(π̃) (truth)")
        for col, label, color, ls in lines:
            ax.plot(x, t[col][sel] - L, color=color, ls=ls, label=label)
        top = max((t[col][sel] - L).max() for col, *_ in lines[:2])
        bottom = (t["eta_new"][sel] - L).min()
        ax.set_ylim(bottom - 0.6 * abs(bottom) - 1e-12, top + 0.25 * abs(bottom) + 1e-12)
        ax.set_xlabel("t   (π̃ = (1 − t)·π + t·π̃_counterexample)")
        ax.set_ylabel("value − L_π(π̃)")
        ax.set_title(title)
        ax.legend(frameon=False, loc="lower left")
    ax = axes[2]
    sel = t["case"] == "surrogate_not_monotone"
    x = t["t"][sel]
    ax.plot(x, t["L"][sel], color="tab:green", label="L_π(π̃) (surrogate)")
    ax.plot(x, t["eta_new"][sel], color="k", lw=2.4, label="η(π̃) (truth)")
    ax.axhline(t["false_rhs"][sel][0], color="gray", ls=":", label="η(π)")
    ax.set_xlabel("t")
    ax.set_ylabel("value")
    ax.set_title("Larger L does not mean larger η, γ = 0.9")
    ax.legend(frameon=False, loc="lower left")
    fig.suptitle("Known non-theorems on MDP X (THEORY.md §6): the false forms rise above the truth", fontsize=11)
    fig.tight_layout()
    return fig

"""Figure 14 -- rate theorems of exact policy optimization (THEORY.md §8; :mod:`bounds.rates`).

One row per theorem, one column per MDP (rewards mapped onto [0, 1]): the measured gap (solid) and
the theorem's bound (dashed) over iterations, log scale, for several step sizes:

* NPG, [AKLM] Thm 16: ``V*(rho) - V^(T)(rho) <= log|A|/(eta T) + 1/((1-gamma)^2 T)``;
* softmax PG, [MXSS] Thm 4 at ``eta = (1-gamma)^3/8``, ``c`` from the run (and Lemma 8 at every
  iterate, counted in the verdict);
* entropy-regularized NPG, [CCCWC] Thm 1: ``||Q*_tau - Q_tau^(t+1)||_inf <= C1 gamma (1-eta tau)^t``
  (the ``log pi`` bound is counted in the verdict);
* PMD with ``eta_k = eta0/gamma^k``: the bound derived in :mod:`bounds.rates` (``"derived"``), with
  ``rho = mu`` (half ``rho0``, half uniform: full support, so the derived rate ``r`` is below 1).
  THEORY.md's own PMD statement is false (a closed-form counterexample at gamma = 0 is in the
  tests); its violations on these runs are printed in the key number, not claimed.

The claim: 0 violations in N iterate checks, with the worst measured gap/bound.
"""

from __future__ import annotations

import numpy as np

from bounds.rates import entropy_npg_rate, npg_rate, pg_rate, pmd_rate, unit_rewards
from tabular import zoo

from ._common import Verdict

NAME = "fig14_rates"
CLAIM = ("The rate bounds of NPG [AKLM Thm 16], softmax PG [Mei et al. Thm 4, Lemma 8], entropy-regularized "
         "NPG [Cen et al. Thm 1] and PMD with eta_k = eta0/gamma^k (derived form) hold at every iterate")

ROWS = ("NPG [AKLM Thm 16]\nV*(ρ) − V^T(ρ)", "softmax PG [MXSS Thm 4]\nV*(μ) − V^t(μ)",
        "entropy NPG [CCCWC Thm 1]\n‖Q*_τ − Q_τ^(t+1)‖∞", "PMD, η_k = η₀/γ^k (derived)\nΣ d*(V* − V^k)")
COLORS = ("tab:blue", "tab:orange", "tab:green")
#: theorem -> checks that are claimed (PMD's "sheet" is reported, not claimed)
CLAIMED = {"npg": ("rate",), "pg": ("rate", "lemma8"), "entropy_npg": ("Q", "log_pi"), "pmd": ("derived",)}


def _mdps(seed: int, quick: bool) -> dict:
    rng = np.random.default_rng([seed, 14])
    return {
        "Garnet S=10 A=3, γ=0.9": unit_rewards(zoo.garnet(6 if quick else 10, 3, 2, rng=rng, gamma=0.9)),
        "Gridworld 4x4 slip 0.1, γ=0.9": unit_rewards(zoo.gridworld(4, 4, slip=0.1, gamma=0.9)),
        "5-chain slip 0.2, γ=0.8": unit_rewards(zoo.chain(5, slip=0.2, gamma=0.8)),
    }


def _runs(mdp, quick: bool) -> dict:
    """theorem -> list of (label, RateResult, check name plotted)."""
    g = mdp.gamma
    n = dict(npg=30, pg=200, ent=30, pmd=15) if quick else dict(npg=200, pg=2000, ent=100, pmd=40)
    mu = 0.5 * np.asarray(mdp.rho0) + 0.5 / mdp.n_states
    out = {"npg": [(f"η={s:g}", npg_rate(mdp, s, n["npg"]), "rate") for s in (0.1, 1.0, 10.0)],
           "pg": [("η=(1−γ)³/8", pg_rate(mdp, n["pg"], mu=mu), "rate")],
           "entropy_npg": [(f"τ={tau:g}, η={frac:g}(1−γ)/τ", entropy_npg_rate(mdp, tau, frac * (1 - g) / tau, n["ent"]), "Q")
                           for tau, frac in ((0.1, 1.0), (0.1, 0.3), (0.5, 0.5))],
           "pmd": [(f"η₀={e:g}", pmd_rate(mdp, e, n["pmd"], rho=mu), "derived") for e in (0.1, 1.0)]}
    return out


def compute(quick: bool = False, seed: int = 0) -> dict:
    mdps = _mdps(seed, quick)
    cols = {k: [] for k in ("theorem", "mdp", "setting", "check", "t", "gap", "bound")}
    curves, n_checks, n_bad, worst, sheet_bad, sheet_n = {}, 0, 0, {}, 0, 0
    for mname, mdp in mdps.items():
        for thm, runs in _runs(mdp, quick).items():
            for label, res, shown in runs:
                curves[(thm, mname, label)] = res[shown]
                for c in res.checks:
                    if c.name in CLAIMED[thm]:
                        n_checks += c.t.size
                        n_bad += c.violations
                        key = f"{thm}:{c.name}"
                        worst[key] = max(worst.get(key, 0.0), c.worst_ratio)
                    else:
                        sheet_n += c.t.size
                        sheet_bad += c.violations
                    for i in range(c.t.size):
                        for k, v in zip(cols, (thm, mname, label, c.name, int(c.t[i]), c.gap[i], c.bound[i])):
                            cols[k].append(v)
    worst_txt = ", ".join(f"{k} {v:.2g}" for k, v in worst.items())
    key = (f"{n_bad} violations in {n_checks:,} iterate checks; worst gap/bound: {worst_txt}; "
           f"THEORY.md's PMD form: {sheet_bad} violations in {sheet_n}")
    table = {k: np.asarray(v) for k, v in cols.items()}
    return dict(table=table, curves=curves, mdps=list(mdps), worst=worst, n_checks=n_checks,
                verdict=Verdict(n_bad == 0, key))


def plot(data):
    import matplotlib.pyplot as plt

    mdps = data["mdps"]
    thms = ("npg", "pg", "entropy_npg", "pmd")
    fig, axes = plt.subplots(len(thms), len(mdps), figsize=(4.6 * len(mdps), 3.1 * len(thms)))
    for i, thm in enumerate(thms):
        for j, mname in enumerate(mdps):
            ax = axes[i, j]
            labels = [lab for (t, m, lab) in data["curves"] if t == thm and m == mname]
            for color, lab in zip(COLORS, labels):
                c = data["curves"][(thm, mname, lab)]
                ax.plot(c.t, np.maximum(c.gap, 1e-17), color=color, label=f"{lab}: gap")
                ax.plot(c.t, c.bound, color=color, ls="--", lw=1.2, label=f"{lab}: bound")
            ax.set_yscale("log")
            if thm in ("npg", "pg"):
                ax.set_xscale("log")
            if i == 0:
                ax.set_title(mname)
            if j == 0:
                ax.set_ylabel(ROWS[i], fontsize=9)
            if i == len(thms) - 1:
                ax.set_xlabel("iteration")
            if j == len(mdps) - 1:
                ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    worst = data["worst"]
    fig.suptitle(f"Rate theorems, exact updates: gap (solid) vs bound (dashed) — "
                 f"{data['verdict'].key_number.split(';')[0]}; worst gap/bound {max(worst.values()):.2g}",
                 fontsize=11)
    fig.tight_layout()
    return fig

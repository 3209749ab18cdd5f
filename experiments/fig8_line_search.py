"""Figure 8 -- the line search of the practical TRPO step is necessary ([TRPO] §6, THEORY.md §7).

Log-linear policies ``pi_theta(a|s) ∝ exp(theta . phi(s, a))`` with d = 3 random Gaussian features
shared by the S = 15 states of Garnet MDPs (A = 3, branching 3, gamma = 0.9), from theta = 0. Each run
iterates the exact-model practical step of :func:`bounds.updates.practical.trpo_step` (10 CG iterations,
damping 1e-3, shrink 0.8, 10 tries, KL check, mean KL weighted by d) with and without the line
search, for several KL radii delta.

Catastrophic drop (our definition): one step with ``eta(pi_{i+1}) - eta(pi_i) < -0.1 (eta* - eta_0)``,
i.e. the step loses more than 10% of the gap between the start and the optimum over *all* policies
(``eta*`` from policy iteration). We also count every decrease of eta (``< -1e-12``).

Findings: at the main radius delta = 0.2, the full step (no line search) drops catastrophically in
about one step in nine (52 of 480), the line search never does -- but it does not make eta monotone: with shared
parameters, a higher surrogate inside the mean-KL ball can still lower eta by a little. At
delta = 1 it still prevented them with this seed, but in exploratory runs with other Garnet/feature
draws (S = 15, d = 2-4, delta = 1 and 5) the line search let a few catastrophic drops through: the
KL check is then too loose, and the radius must be small as well. The log-linear family cannot reach
``eta*`` (the curves plateau below 1).
"""

from __future__ import annotations

import numpy as np

from bounds.updates.practical import trpo_step
from tabular.parametric import LogLinear, random_features
from tabular.planning import policy_iteration
from tabular.zoo import garnet

from ._common import Verdict

NAME = "fig8_line_search"
CLAIM = ("Log-linear TRPO (3 shared features, δ=0.2): the line search prevents every catastrophic drop of η; "
         "full steps cause many (it does not make η monotone)")

S, A, D_FEAT, GAMMA = 15, 3, 3, 0.9
DELTA_MAIN = 0.2
DELTAS = (0.02, 0.05, 0.2, 1.0)
CATASTROPHE = 0.1  # drop > 10% of (eta* - eta_0) in one step
TOL = 1e-12


def _run(mdp, policy, delta, n_iter, line_search):
    theta = np.zeros(policy.n_params)
    etas = []
    r = None
    for _ in range(n_iter):
        r = trpo_step(mdp, policy, theta, delta, line_search=line_search)
        etas.append(r.eta_old)
        theta = r.theta_new
    etas.append(r.eta_new)
    return np.array(etas)


def compute(quick: bool = False, seed: int = 0) -> dict:
    n_mdps, n_iter = (4, 15) if quick else (12, 40)
    streams = np.random.SeedSequence([seed, 8]).spawn(n_mdps)
    problems = []
    for ss in streams:
        rng = np.random.default_rng(ss)
        mdp = garnet(S, A, 3, rng=rng, gamma=GAMMA)
        policy = LogLinear(random_features(S, A, D_FEAT, rng=rng))
        problems.append((mdp, policy, policy_iteration(mdp).eta))
    cols = {k: [] for k in ("delta", "line_search", "mdp", "iteration", "eta", "normalized",
                            "step_change", "catastrophic", "decrease")}
    counts = {}  # (delta, ls) -> [catastrophic, decreases, steps]
    curves = {}
    for delta in DELTAS:
        for ls in (True, False):
            c = counts.setdefault((delta, ls), [0, 0, 0])
            for m, (mdp, policy, eta_star) in enumerate(problems):
                etas = _run(mdp, policy, delta, n_iter, ls)
                gap = eta_star - etas[0]
                norm = (etas - etas[0]) / gap
                change = np.diff(etas)
                cat = change < -CATASTROPHE * gap
                dec = change < -TOL
                c[0] += int(cat.sum())
                c[1] += int(dec.sum())
                c[2] += change.size
                curves[(delta, ls, m)] = norm
                for i in range(etas.size):
                    ch = change[i - 1] if i else 0.0
                    row = (delta, "yes" if ls else "no", m, i, etas[i], norm[i], ch,
                           bool(cat[i - 1]) if i else False, bool(dec[i - 1]) if i else False)
                    for k, v in zip(cols, row):
                        cols[k].append(v)
    table = {k: np.asarray(v) for k, v in cols.items()}
    cat_ls, dec_ls, n_ls = counts[(DELTA_MAIN, True)]
    cat_no, dec_no, _ = counts[(DELTA_MAIN, False)]
    key = (f"δ={DELTA_MAIN}: {cat_ls} catastrophic drops in {n_ls} steps with line search vs {cat_no} "
           f"without ({dec_ls} vs {dec_no} decreases of any size)")
    return dict(table=table, curves=curves, counts=counts, n_mdps=n_mdps, n_iter=n_iter,
                verdict=Verdict(cat_ls == 0 and cat_no > 0, key))


def plot(data):
    import matplotlib.pyplot as plt

    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11.5, 4.4), gridspec_kw=dict(width_ratios=[1.25, 1]))
    its = np.arange(data["n_iter"] + 1)
    colors = plt.get_cmap("tab10").colors
    n_show = min(4, data["n_mdps"])
    for m in range(n_show):
        ax0.plot(its, data["curves"][(DELTA_MAIN, True, m)], color=colors[m], ls="-")
        ax0.plot(its, data["curves"][(DELTA_MAIN, False, m)], color=colors[m], ls="--", lw=1.2)
    ax0.plot([], [], color="k", ls="-", label="with line search")
    ax0.plot([], [], color="k", ls="--", lw=1.2, label="full step (no line search)")
    ax0.axhline(1.0, color="k", lw=0.8, ls=":")
    ax0.set_xlabel("TRPO iteration")
    ax0.set_ylabel("(η − η₀) / (η* − η₀),  η* over all policies")
    ax0.set_title(f"Learning curves, δ = {DELTA_MAIN} ({n_show} Garnet MDPs, one colour each)")
    ax0.legend(frameon=False, loc="upper right", bbox_to_anchor=(1.0, 0.97))

    counts = data["counts"]
    x = np.arange(len(DELTAS))
    wbar = 0.38
    for j, (ls, lab, col) in enumerate(((True, "with line search", "tab:blue"),
                                        (False, "full step", "tab:red"))):
        cat = [counts[(d, ls)][0] for d in DELTAS]
        dec = [counts[(d, ls)][1] for d in DELTAS]
        pos = x + (j - 0.5) * wbar
        ax1.bar(pos, dec, wbar, color=col, alpha=0.25, edgecolor=col, label=f"{lab}: any decrease")
        ax1.bar(pos, cat, wbar, color=col, label=f"{lab}: catastrophic")
        for p, c in zip(pos, cat):
            ax1.text(p, c, str(c), ha="center", va="bottom", fontsize=8, color=col)
    n_steps = counts[(DELTAS[0], True)][2]
    ax1.set_xticks(x, [f"δ = {d:g}" for d in DELTAS])
    ax1.set_ylabel(f"steps (of {n_steps}) in which η fell")
    ax1.set_title("Drops of η per KL radius (catastrophic: > 10% of η* − η₀)")
    ax1.legend(frameon=False, loc="upper left", fontsize=7.5)
    ymax = max(counts[(d, ls)][1] for d in DELTAS for ls in (True, False))
    ax1.set_ylim(0, 1.35 * max(ymax, 1))
    fig.suptitle(f"Log-linear policies, {D_FEAT} features shared by {S} states — "
                 + data["verdict"].key_number, fontsize=10.5)
    fig.tight_layout()
    return fig

"""Figure 10 -- vine vs single path at an equal simulation budget ([TRPO] Section 5, THEORY.md §7).

For three MDPs (Garnet, slippery chain, gridworld; gamma = 0.9) and a random softmax policy ``pi_old``,
the gradient of the sampled surrogate of Eq. (14) at ``theta_old`` (= an estimate of ``grad eta``,
Eq. (4)) is computed many times from independent samples, at equal budgets of environment steps:

* single path (Section 5.1): ``B / H`` trajectories, ``Qhat`` = discounted return-to-go, weight gamma^t;
* single path + exact ``V_pi`` baseline (an oracle the practical algorithm does not have; shown for
  reference);
* vine (Section 5.2): rollout states at geometric times of ``pi_old`` trajectories (their steps are
  counted), all ``A`` actions per state, one rollout of length ``H`` per action, with common random
  numbers; and the same without common random numbers.

The spread is the mean squared error ``E||g_hat - grad eta||^2`` over repetitions (the truncation bias
at ``gamma^H <= 1e-3`` is negligible against it).

Finding (the claim was written after looking at the data): THEORY.md §7's "vine has lower variance at
equal cost" holds on the Garnet and the chain (dense rewards: the return noise the vine's CRN cancels
dominates) but NOT on the sparse-reward gridworld, where the vine's few rollout states (each costs
``1/(1-gamma) + A H`` steps) cover the state space worse than single-path trajectories and its MSE is
about 10x larger. Why the vine wins where it does: enumerating all actions at a state makes its
gradient term ``sum_a grad pi_theta(a|s) Qhat(s, a)`` invariant to adding a constant to ``Qhat(s, .)``
(``sum_a grad pi = 0``), an implicit per-state baseline; when Q is far from zero (Garnet, chain: rewards
in [0, 1]) that removes most of the single path's noise; when Q is near zero (the gridworld's rare goal
reward) there is nothing to remove. CRN always helps the vine. Single path with an oracle ``V_pi`` baseline beats both
everywhere: a good baseline matters more than the vine.
"""

from __future__ import annotations

import numpy as np

from tabular import estimators as E
from tabular.evaluation import evaluate
from tabular.gradients import softmax_policy_gradient
from tabular.policies import softmax
from tabular.sampling import horizon_for
from tabular.zoo import chain, garnet, gridworld

from ._common import Verdict

NAME = "fig10_vine_vs_single"
CLAIM = ("at equal budget the vine (CRN) beats single path on Garnet and chain but not on the sparse-reward "
         "gridworld; CRN lowers the vine's MSE")
#: MDPs on which the claim says the vine wins (return noise dominates); the gridworld is reported as is.
VINE_WINS = ("Garnet 10×3", "chain, 6 states")

GAMMA = 0.9
K_ACTIONS = None  # all actions
ESTIMATORS = {
    "single path": dict(color="tab:red", marker="o", ls="-"),
    "single path + oracle V_π baseline": dict(color="tab:red", marker="o", ls=":"),
    "vine, CRN": dict(color="tab:blue", marker="s", ls="-"),
    "vine, independent rollouts": dict(color="tab:blue", marker="s", ls=":"),
}


def _mdps():
    return {
        "Garnet 10×3": garnet(10, 3, branching=3, rng=10, gamma=GAMMA),
        "chain, 6 states": chain(6, slip=0.2, gamma=GAMMA),
        "gridworld 4×4": gridworld(4, 4, slip=0.2, gamma=GAMMA),
    }


def _batch(mdp, theta, ev, est: str, budget: int, H: int, reps: int, rng) -> tuple[np.ndarray, float]:
    """``reps`` independent gradient estimates (reps, S, A) at budget ``budget``, sampled in one batch
    (the per-unit gradients are averaged within each repetition), and the mean steps per estimate."""
    pi = ev.pi
    S, A = mdp.shape
    if est.startswith("single path"):
        n = max(2, budget // H)
        smp = E.single_path(mdp, pi, n * reps, H, rng=rng)
        if "baseline" in est:  # Qhat - V_pi(s): an action-independent baseline (unbiased)
            smp = E.SurrogateSamples(smp.states, smp.actions, smp.q_hat - ev.V[smp.states], smp.q_prob,
                                     smp.weights, smp.group, smp.n_groups, smp.steps, smp.kind)
    else:
        per_state = 1.0 / (1.0 - GAMMA) + A * H  # expected trunk + rollout steps per rollout state
        n = max(2, int(budget // per_state))
        smp = E.vine(mdp, pi, n * reps, H, rng=rng, common_random_numbers=(est == "vine, CRN"))
    per_unit = E.surrogate_estimate(smp, theta).per_group_grad  # (n * reps, S, A), independent units
    return per_unit.reshape(reps, n, S, A).mean(axis=1), smp.steps / reps


def compute(quick: bool = False, seed: int = 0) -> dict:
    budgets = (3_000, 12_000) if quick else (2_000, 8_000, 32_000)
    reps = 30 if quick else 150
    H = horizon_for(GAMMA, 1e-3)
    rows = {k: [] for k in ("mdp", "estimator", "budget", "mean_steps", "mse", "mse_stderr", "reps")}
    for m_i, (mname, mdp) in enumerate(_mdps().items()):
        S, A = mdp.shape
        theta = np.random.default_rng([seed, 10, m_i]).normal(scale=0.5, size=(S, A))
        ev = evaluate(mdp, softmax(theta))
        g = softmax_policy_gradient(mdp, theta, ev)
        for b_i, B in enumerate(budgets):
            for e_i, est in enumerate(ESTIMATORS):
                rng = np.random.default_rng([seed, 10, m_i, b_i, e_i])
                gh, mean_steps = _batch(mdp, theta, ev, est, B, H, reps, rng)
                err = np.sum((gh - g[None]) ** 2, axis=(1, 2))
                rows["mdp"].append(mname)
                rows["estimator"].append(est)
                rows["budget"].append(B)
                rows["mean_steps"].append(float(mean_steps))
                rows["mse"].append(float(err.mean()))
                rows["mse_stderr"].append(float(err.std(ddof=1) / np.sqrt(reps)))
                rows["reps"].append(reps)
    table = {k: np.asarray(v) for k, v in rows.items()}
    ratio = {}  # (mdp, budget) -> MSE ratios
    for mname in _mdps():
        for B in budgets:
            sel = (table["mdp"] == mname) & (table["budget"] == B)
            mse = dict(zip(table["estimator"][sel], table["mse"][sel]))
            ratio[mname, B] = (mse["single path"] / mse["vine, CRN"],
                               mse["vine, independent rollouts"] / mse["vine, CRN"],
                               mse["single path + oracle V_π baseline"] / mse["vine, CRN"])
    r_win = np.asarray([ratio[k][0] for k in ratio if k[0] in VINE_WINS])
    r_grid = np.asarray([ratio[k][0] for k in ratio if k[0] not in VINE_WINS])
    r_crn = np.asarray([v[1] for v in ratio.values()])
    r_oracle = np.asarray([v[2] for v in ratio.values()])
    passed = bool(np.all(r_win > 1.0) and np.median(r_crn) > 1.0)
    key = (f"MSE(single)/MSE(vine): {r_win.min():.1f}–{r_win.max():.1f} on Garnet/chain, "
           f"{r_grid.min():.2f}–{r_grid.max():.2f} on gridworld; CRN gain median {np.median(r_crn):.1f}×; "
           f"oracle-V single path/vine median {np.median(r_oracle):.2f}")
    return dict(table=table, verdict=Verdict(passed, key), budgets=budgets, H=H)


def plot(data):
    import matplotlib.pyplot as plt

    t = data["table"]
    names = list(dict.fromkeys(t["mdp"]))
    fig, axes = plt.subplots(1, len(names), figsize=(4.6 * len(names), 4.2))
    for ax, mname in zip(np.atleast_1d(axes), names):
        for est, style in ESTIMATORS.items():
            sel = (t["mdp"] == mname) & (t["estimator"] == est)
            ax.errorbar(t["mean_steps"][sel], t["mse"][sel], yerr=2 * t["mse_stderr"][sel], label=est,
                        capsize=2, ms=4, **style)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(data["budgets"], [f"{b:,}" for b in data["budgets"]])
        ax.xaxis.set_minor_formatter(plt.NullFormatter())
        ax.set_title(mname)
        ax.set_xlabel("environment steps per estimate (budget)")
    axes[0].set_ylabel("E‖ĝ − ∇η‖²  (surrogate gradient at θ_old)")
    axes[-1].legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle(f"Vine vs single path at equal simulation budget (γ = {GAMMA}, H = {data['H']}; "
                 f"error bars ±2 s.e.)\n" + data["verdict"].key_number, fontsize=10)
    fig.tight_layout()
    return fig

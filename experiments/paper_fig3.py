"""The paper's own comparison -- [TRPO] §8 (its learning-curve figure of the eight methods) -- on toy
problems, with the **exact** eta of every iterate as the learning curve.

[TRPO] (Schulman et al. 2015, arXiv:1502.05477 v5) §8.1 compares, at equal numbers of simulation
steps per iteration: single-path TRPO, vine TRPO, the natural gradient with a fixed step, TRPO with
the max-KL constraint, TRPO with the empirical Fisher, CEM, CMA-ES and RWR. This module runs the same
eight methods (:mod:`experiments.learners`, whose docstrings state each variant and its parameters)
on four tasks, each method with ``budget`` environment steps per iteration, from ``theta = 0`` (the
uniform policy), several seeds each:

* FrozenLake 8x8 (slippery), CliffWalking, Taxi (the registered version, ``Taxi-v4`` in Gymnasium
  1.4): exact models by :func:`tabular.from_gymnasium`, tabular-softmax policies (260, 196 and 3,006
  parameters);
* a Garnet MDP (S = 50, A = 4, branching 3) with a log-linear policy of d = 8 random Gaussian features
  shared across states (8 parameters): the small problem.

All tasks use gamma = 0.95 and episodes of H = 135 steps (``gamma^H <= 1e-3``); TRPO's radius is the
paper's delta = 0.01. The curve of a run is ``(eta_i - eta_0) / (eta* - eta_0)`` with ``eta*`` the
optimum over **all** policies (``tabular.planning.optimal``; the log-linear class may not reach it).

The claims (fixed before the comparison was first run; [TRPO] §8.1 as the paper states them)
-------------------------------------------------------------------------------------------
Statistic: ``p`` = the final normalized progress (mean over seeds, last iteration); ``auc`` = the mean
normalized progress over iterations 1..n (mean over seeds). SP = single-path TRPO.

C1  "Single path and vine TRPO learn well on all tasks": on every task both have ``p >= 0.5`` and
    ``p >= 0.8 x`` the best ``p`` of the eight methods.
C2  "The natural gradient with a fixed penalty (step) does worse than TRPO": ``p_NG < p_SP - 0.05``
    on at least 3 of the 4 tasks.
C3  "The empirical Fisher does worse than the analytic KL Hessian": ``p_EF < p_SP - 0.05`` on at
    least 3 of the 4 tasks.
C4  "CEM, CMA-ES (and RWR) perform poorly on the larger problems": on every task with >= 100
    parameters, each of CEM, CMA-ES, RWR has ``p <= 0.5 x max(p_SP, p_vine)``.
C5  "Max KL learns somewhat more slowly than (mean-KL) single path, with a similar effect": on at
    least 3 of the 4 tasks, ``auc_maxKL < auc_SP`` and ``p_maxKL >= 0.75 p_SP``.

A claim that does not reproduce is a finding, reported as such in the figure, the key number and
docs/results/paper_comparison.md; the experiment's PASS means "the comparison ran and each verdict was
computed", not "the paper was right".

Modes: ``compute(quick=True)`` (smoke: 1 seed, 2 iterations, 4,000 steps/iteration), the default
(``python -m experiments``: 2 seeds, 10 iterations, 10,000 steps) and ``full=True`` (``python -m
experiments.paper_fig3 --full --out figures/``, the committed figure ``paper_fig3_full.png``: 5 seeds,
60 iterations, 20,000 steps/iteration, the budget of ``fig12_sample_trpo``). Only the full mode is long
enough for the verdicts to mean much; the shorter modes compute them the same way.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from experiments.learners import METHODS, learn
from tabular.evaluation import evaluate
from tabular.gym import from_gymnasium
from tabular.parametric import LogLinear, TabularSoftmax, random_features
from tabular.planning import optimal
from tabular.zoo import garnet

from ._common import HelpFormatter, Verdict, out_dir_arg, save_figure, seed_arg, style, write_csv

NAME = "paper_fig3"
CLAIM = ("[TRPO] §8's comparison of 8 methods at equal budgets, on 4 toy tasks with exact eta: each of its "
         "claims C1-C5 reproduced or not (PASS = the comparison ran and every verdict was computed)")

GAMMA = 0.95
DELTA = 0.01
MODES = {
    "quick": dict(n_seeds=1, n_iter=2, budget=4000),
    "default": dict(n_seeds=2, n_iter=10, budget=10000),
    "full": dict(n_seeds=5, n_iter=60, budget=20000),
}

#: Thresholds of the claims (module docstring), fixed in advance.
LEARN_ABS, LEARN_REL = 0.5, 0.8
WORSE_MARGIN, MAJORITY = 0.05, 3
FAR_BEHIND = 0.5
LARGER_PARAMS = 100
MAXKL_SIMILAR = 0.75

LABELS = {
    "trpo_single_path": "TRPO, single path",
    "trpo_vine": "TRPO, vine",
    "natural_gradient": "natural gradient (fixed step)",
    "max_kl": "TRPO, max KL",
    "empirical_fisher": "TRPO, empirical FIM",
    "cem": "CEM",
    "cma_es": "CMA-ES",
    "rwr": "RWR",
}
COLORS = {
    "trpo_single_path": "tab:red", "trpo_vine": "tab:blue", "natural_gradient": "tab:green",
    "max_kl": "tab:purple", "empirical_fisher": "tab:orange", "cem": "tab:brown", "cma_es": "tab:pink",
    "rwr": "tab:gray",
}
assert set(LABELS) == set(METHODS)


@dataclass(frozen=True)
class ClaimVerdict:
    """One claim of [TRPO] §8 and whether it reproduced here."""

    id: str
    text: str
    reproduced: bool
    detail: str

    def __repr__(self) -> str:
        return f"{self.id}: {'reproduced' if self.reproduced else 'NOT reproduced'} ({self.detail})"


CLAIM_TEXT = {
    "C1": "single path and vine TRPO learn well on every task",
    "C2": "the natural gradient with a fixed step does worse than TRPO",
    "C3": "the empirical Fisher does worse than the analytic KL Hessian",
    "C4": "CEM, CMA-ES and RWR are far behind on the larger problems",
    "C5": "max KL learns somewhat more slowly than mean KL, with a similar result",
}


# ----------------------------------------------------------------------------- tasks
def _registered(prefix: str) -> str:
    """The newest registered version of a Gymnasium id (``Taxi-v3`` is gone from Gymnasium 1.4)."""
    import gymnasium as gym

    ids = [k for k in gym.registry if k.startswith(prefix + "-v") and k[len(prefix) + 2:].isdigit()]
    if not ids:
        raise ValueError(f"no {prefix}-v* environment is registered in gymnasium {gym.__version__}")
    return max(ids, key=lambda k: int(k[len(prefix) + 2:]))


def tasks(seed: int = 0) -> list:
    """The four tasks: ``(key, title, mdp, policy)``, Gymnasium models in sparse form."""
    out = []
    for key, prefix, kw in (("frozenlake8x8", "FrozenLake", dict(map_name="8x8")),
                            ("cliffwalking", "CliffWalking", {}), ("taxi", "Taxi", {})):
        env_id = _registered(prefix)
        mdp = from_gymnasium(env_id, GAMMA, **kw).to_sparse()
        title = f"{env_id}{' 8x8' if kw else ''}, softmax"
        out.append((key, title, mdp, TabularSoftmax(*mdp.shape)))
    mdp = garnet(50, 4, 3, rng=np.random.default_rng([seed, 3300]), gamma=GAMMA)
    phi = random_features(50, 4, 8, rng=np.random.default_rng([seed, 3301]))
    out.append(("garnet_loglinear", "Garnet S=50 A=4, log-linear d=8", mdp, LogLinear(phi)))
    return out


# ----------------------------------------------------------------------------- claims
def summarize(table: dict) -> dict:
    """``{task: {method: (p, auc)}}`` from the table: final progress and mean progress over its=1..n."""
    out = {}
    for task in dict.fromkeys(table["task"]):
        out[task] = {}
        for m in METHODS:
            sel = (table["task"] == task) & (table["method"] == m)
            its = table["iteration"][sel]
            prog = table["normalized"][sel]
            n = its.max()
            p = float(prog[its == n].mean())
            auc = float(prog[its >= 1].mean())
            out[task][m] = (p, auc)
    return out


def judge(summary: dict, n_params: dict) -> list:
    """Each claim's verdict from ``summary`` (:func:`summarize`) and the tasks' parameter counts."""
    P = {t: {m: v[0] for m, v in d.items()} for t, d in summary.items()}
    AUC = {t: {m: v[1] for m, v in d.items()} for t, d in summary.items()}
    T = list(P)
    out = []
    # C1
    bad = []
    for t in T:
        best = max(P[t].values())
        for m in ("trpo_single_path", "trpo_vine"):
            if not (P[t][m] >= LEARN_ABS and P[t][m] >= LEARN_REL * best):
                bad.append(f"{m.replace('trpo_', '')}@{t} {P[t][m]:.2f} (best {best:.2f})")
    sp = ", ".join(f"{t} {P[t]['trpo_single_path']:.2f}/{P[t]['trpo_vine']:.2f}" for t in T)
    out.append(ClaimVerdict("C1", CLAIM_TEXT["C1"], not bad,
                            f"p SP/vine: {sp}" + (f"; fails: {'; '.join(bad)}" if bad else "")))
    # C2, C3
    for cid, m in (("C2", "natural_gradient"), ("C3", "empirical_fisher")):
        worse = [t for t in T if P[t][m] < P[t]["trpo_single_path"] - WORSE_MARGIN]
        det = ", ".join(f"{t} {P[t][m]:.2f} vs {P[t]['trpo_single_path']:.2f}" for t in T)
        out.append(ClaimVerdict(cid, CLAIM_TEXT[cid], len(worse) >= MAJORITY,
                                f"worse on {len(worse)}/{len(T)}: {det}"))
    # C4
    larger = [t for t in T if n_params[t] >= LARGER_PARAMS]
    fails, parts = [], []
    for t in larger:
        ref = max(P[t]["trpo_single_path"], P[t]["trpo_vine"])
        for m in ("cem", "cma_es", "rwr"):
            if not P[t][m] <= FAR_BEHIND * ref:
                fails.append(f"{m}@{t}")
        parts.append(f"{t}: TRPO {ref:.2f}, CEM {P[t]['cem']:.2f}, CMA {P[t]['cma_es']:.2f}, "
                     f"RWR {P[t]['rwr']:.2f}")
    out.append(ClaimVerdict("C4", CLAIM_TEXT["C4"], bool(larger) and not fails,
                            "; ".join(parts) + (f"; not far behind: {', '.join(fails)}" if fails else "")))
    # C5
    ok = [t for t in T if AUC[t]["max_kl"] < AUC[t]["trpo_single_path"]
          and P[t]["max_kl"] >= MAXKL_SIMILAR * P[t]["trpo_single_path"]]
    det = ", ".join(f"{t} auc {AUC[t]['max_kl']:.2f} vs {AUC[t]['trpo_single_path']:.2f}, "
                    f"p {P[t]['max_kl']:.2f} vs {P[t]['trpo_single_path']:.2f}" for t in T)
    out.append(ClaimVerdict("C5", CLAIM_TEXT["C5"], len(ok) >= MAJORITY, f"holds on {len(ok)}/{len(T)}: {det}"))
    return out


# ----------------------------------------------------------------------------- compute
def compute(quick: bool = False, seed: int = 0, full: bool = False) -> dict:
    mode = "full" if full else ("quick" if quick else "default")
    cfg = MODES[mode]
    cols = {k: [] for k in ("task", "method", "seed", "iteration", "env_steps", "eta", "normalized")}
    info, seconds = {}, {}
    for t_id, (key, title, mdp, policy) in enumerate(tasks(seed)):
        eta_star = optimal(mdp).eta
        eta0 = evaluate(mdp, policy.probs(np.zeros(policy.n_params))).eta
        info[key] = dict(title=title, eta_star=eta_star, eta0=eta0, n_params=policy.n_params,
                         n_states=mdp.n_states, n_actions=mdp.n_actions)
        for m_id, method in enumerate(METHODS):
            t0 = time.perf_counter()
            for r in range(cfg["n_seeds"]):
                c = learn(method, mdp, policy, np.zeros(policy.n_params), cfg["n_iter"], cfg["budget"],
                          rng=np.random.default_rng([seed, 3302, t_id, m_id, r]),
                          **({"delta": DELTA} if method not in ("cem", "cma_es", "rwr") else {}))
                norm = c.normalized(eta_star)
                for i in range(c.eta.size):
                    for k, v in zip(cols, (key, method, r, i, int(c.env_steps[i]), float(c.eta[i]),
                                           float(norm[i]))):
                        cols[k].append(v)
            seconds[(key, method)] = time.perf_counter() - t0
    table = {k: np.asarray(v) for k, v in cols.items()}
    summary = summarize(table)
    claims = judge(summary, {k: v["n_params"] for k, v in info.items()})
    computed = all(np.isfinite(x) for d in summary.values() for v in d.values() for x in v)
    key = "; ".join(f"{c.id} {'yes' if c.reproduced else 'NO'}" for c in claims)
    n_yes = sum(c.reproduced for c in claims)
    key = (f"{n_yes}/{len(claims)} claims reproduced ({key}); {mode} mode: {cfg['n_seeds']} seeds x "
           f"{cfg['n_iter']} its x {cfg['budget']:,} steps/it, 8 methods x 4 tasks")
    return dict(table=table, summary=summary, claims=claims, info=info, mode=mode, config=cfg,
                seconds=seconds,
                verdict=Verdict(bool(computed), key, passed_means="verdicts computed, not claims reproduced"))


# ----------------------------------------------------------------------------- plot
def plot(data):
    import matplotlib.pyplot as plt

    t = data["table"]
    info, cfg = data["info"], data["config"]
    fig = plt.figure(figsize=(16, 10.5))
    gs = fig.add_gridspec(2, 3, height_ratios=[1, 1], hspace=0.32, wspace=0.22)
    task_keys = list(info)
    panels = [fig.add_subplot(gs[i // 3, i % 3]) for i in range(4)]
    for ax, task in zip(panels, task_keys):
        for m in METHODS:
            sel = (t["task"] == task) & (t["method"] == m)
            seeds = np.unique(t["seed"][sel])
            curves = np.array([t["normalized"][sel & (t["seed"] == r)] for r in seeds])
            its = np.arange(curves.shape[1])
            lw = 2.4 if m.startswith("trpo") else 1.6
            ax.plot(its, curves.mean(0), color=COLORS[m], lw=lw, label=LABELS[m])
            if len(seeds) > 1:
                ax.fill_between(its, curves.min(0), curves.max(0), color=COLORS[m], alpha=0.12, lw=0)
        ax.axhline(1.0, color="k", ls=":", lw=0.8)
        ax.axhline(0.0, color="k", lw=0.5)
        d = info[task]
        ax.set_title(f"{d['title']} ({d['n_params']:,} params)\nη₀ = {d['eta0']:.4g}, η* = {d['eta_star']:.4g}",
                     fontsize=10)
        ax.set_xlabel("iteration")
        lo = min(-0.05, float(np.nanmin(t["normalized"][t["task"] == task])) - 0.02)
        ax.set_ylim(max(lo, -1.0), 1.05)
    for ax in (panels[0], panels[3]):
        ax.set_ylabel("exact (η − η₀)/(η* − η₀)\nmean, band = min–max over seeds")
    # verdict panel
    ax = fig.add_subplot(gs[1, 1:])
    ax.axis("off")
    lines = [f"Claims of [TRPO] §8 (fixed in advance) on these toy problems — {data['mode']} mode: "
             f"{cfg['n_seeds']} seeds × {cfg['n_iter']} iterations × {cfg['budget']:,} env steps/iteration", ""]
    for c in data["claims"]:
        lines.append(f"{c.id}  {'REPRODUCED' if c.reproduced else 'NOT REPRODUCED'}: {c.text}")
        lines.extend("        " + w for w in _wrap(c.detail, 118))
    ax.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", family="monospace", fontsize=7.6,
            transform=ax.transAxes)
    handles, labels = panels[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=8, frameon=False, fontsize=8.5,
               bbox_to_anchor=(0.5, 0.965))
    fig.suptitle(f"[TRPO] §8's comparison on toy problems, exact learning curves (γ = {GAMMA}, δ = {DELTA}, "
                 "equal env-step budget per iteration, from the uniform policy)", fontsize=12, y=0.995)
    return fig


def _wrap(text: str, width: int) -> list:
    import textwrap

    return textwrap.wrap(text, width=width, break_long_words=False)


# ----------------------------------------------------------------------------- full mode
def main(argv=None) -> int:
    """``python -m experiments.paper_fig3 [--full] [--seed N] [--out DIR]``: write ``paper_fig3.*``
    (default mode) or ``paper_fig3_full.*`` (``--full``), print the verdicts and the time taken."""
    parser = argparse.ArgumentParser(prog="python -m experiments.paper_fig3", description=__doc__.split("\n")[0],
                                     formatter_class=HelpFormatter)
    parser.add_argument("--full", action="store_true", help="the long run behind the committed figure")
    parser.add_argument("--quick", action="store_true", help="smoke mode")
    parser.add_argument("--seed", type=seed_arg, default=0, help="random seed, a non-negative integer")
    parser.add_argument("--out", type=out_dir_arg, default=Path("figures"), help="output folder")
    args = parser.parse_args(argv)
    if args.full and args.quick:
        parser.error("--full and --quick exclude each other")
    t0 = time.perf_counter()
    data = compute(quick=args.quick, seed=args.seed, full=args.full)
    stem = NAME + ("_full" if args.full else "")
    args.out.mkdir(parents=True, exist_ok=True)
    style()
    save_figure(plot(data), args.out, stem)
    write_csv(args.out / f"{stem}.csv", data["table"])
    for c in data["claims"]:
        print(repr(c))
    print(f"{stem}: {data['verdict'].key_number}; {time.perf_counter() - t0:.1f} s; files in {args.out}/")
    return 0 if data["verdict"].passed else 1


if __name__ == "__main__":
    raise SystemExit(main())

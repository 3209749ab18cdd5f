"""Figure 16 -- the mean-KL frontier (THEORY.md §9): the largest discount with a certified violation.

The mean-KL forms ``eta(pi_new) >= L - C sum_s w(s) KL(s)`` (``w = rho`` or ``d``, ``C = 4 eps gamma/(1-gamma)^2``)
are false at small discounts. The frontier is mapped by continuation in gamma
(:mod:`bounds.counterexamples.frontier`: from every violation found, raise gamma, re-optimize every free
number, repeat, then bisect), one resumable job per ``(S, A, weights)``, run by
``python -m experiments frontier --out figures/frontier --budget SECONDS`` (the committed run, its
certificates and its CPU budget are in ``figures/frontier/``). This module's data file
(``fig16_mean_kl_frontier.json``, beside it) is that run's summary with every certificate inline, written by
``python -m experiments.fig16_mean_kl_frontier --from figures/frontier``.

The default run re-proves every committed certificate without floating point and runs one short live
job (2 x 2, rho weights, a few CPU seconds) whose certified discount must clear the old, wrong frontier
(0.019); ``--quick`` runs the live job shorter.

The previous version of this figure scanned fixed gamma bands with four restarts each and stopped after
two empty bands; it reported a largest certified gamma of about 0.019 and is superseded (THEORY.md §9).
"""

from __future__ import annotations

import json
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from bounds.counterexamples.certificate import verify_certificate
from bounds.counterexamples.frontier import run_job

NAME = "fig16_mean_kl_frontier"
CLAIM = ("mean-KL forms (rho and d weights): continuation in gamma certifies violations far above the old "
         "frontier 0.019, at every size searched (THEORY.md §9)")
DATA = Path(__file__).with_name(f"{NAME}.json")
OLD_FRONTIER = 0.019


def build_data(frontier_dir) -> dict:
    """The summary of a frontier run with its certificates inline (the data file of this figure)."""
    d = Path(frontier_dir)
    summary = json.loads((d / "summary.json").read_text())
    for job in summary["jobs"]:
        job["certificate_json"] = json.loads((d / job["certificate"]).read_text()) if job["certificate"] else None
    return summary


def compute(quick: bool = False, seed: int = 0) -> dict:
    from ._common import Verdict

    data = json.loads(DATA.read_text())
    jobs = data["jobs"]
    proven = [verify_certificate(j["certificate_json"]).proven and
              Fraction(j["certificate_json"]["mdp"]["gamma"]) == Fraction(j["gamma_max"])
              for j in jobs if j["certificate_json"] is not None]
    with tempfile.TemporaryDirectory() as tmp:
        live = run_job(2, 2, "rho", tmp, budget=2.0 if quick else 6.0, seed=seed, maxfev=400)
        live_ok = live.certificate is not None and verify_certificate(Path(tmp) / live.certificate).proven
    cols = {k: [] for k in ("S", "A", "weights", "gamma_max", "violated_by", "restarts", "evaluations",
                            "cpu_seconds", "attempts_above", "evaluations_above", "gamma_tried_above_max")}
    for j in jobs:
        above = j.get("gamma_tried_above") or [np.nan, np.nan]
        for k, v in zip(cols, (j["S"], j["A"], j["weights"], j["gamma_max_float"], j["violated_by"], j["restarts"],
                               j["evaluations"], j["cpu_seconds"], j["attempts_above"], j["evaluations_above"],
                               above[1])):
            cols[k].append(v)
    top = {w: data["frontier"][w]["gamma_max_float"] for w in data["frontier"]}
    ok = all(proven) and len(proven) == len(jobs) and all(top.get(w, 0) > OLD_FRONTIER for w in ("rho", "d"))
    key = (f"largest certified gamma: rho {top.get('rho', 0):.4g}, d {top.get('d', 0):.4g} (old figure: "
           f"{OLD_FRONTIER}); {sum(proven)}/{len(jobs)} job certificates re-proven exactly; "
           f"{data['cpu_seconds_spent']:.0f} CPU s over {len(jobs)} jobs (budget {data['budget_cpu_seconds']} s); "
           f"live 2x2 job: {float(live.gamma_max):.4g}{' (certified)' if live_ok else ' (not certified)'}")
    return dict(table={k: np.asarray(v) for k, v in cols.items()}, jobs=jobs, live=live, top=top,
                verdict=Verdict(bool(ok and live_ok), key))


def plot(data):
    import matplotlib.pyplot as plt

    jobs = data["jobs"]
    sizes = sorted({(j["S"], j["A"]) for j in jobs}, key=lambda p: p[0] * p[1])
    x = np.arange(len(sizes))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.8))
    for k, (w, color) in enumerate((("rho", "tab:blue"), ("d", "tab:green"))):
        vals = [next((j["gamma_max_float"] for j in jobs if (j["S"], j["A"], j["weights"]) == (S, A, w)), np.nan)
                for S, A in sizes]
        ax1.bar(x + (k - 0.5) * 0.38, vals, width=0.36, color=color, label=f"{'ρ' if w == 'rho' else 'd'} weights")
        for xi, v in zip(x, vals):
            if np.isfinite(v):
                ax1.text(xi + (k - 0.5) * 0.38, v, f"{v:.4g}", ha="center", va="bottom", fontsize=7, rotation=90)
    ax1.axhline(OLD_FRONTIER, color="tab:red", ls="--", lw=1, label=f"previous figure (wrong): γ ≈ {OLD_FRONTIER}")
    ax1.set_xticks(x, [f"{S}×{A}" for S, A in sizes])
    ax1.set_xlabel("S × A")
    ax1.set_ylabel("largest γ with an exact certificate")
    ax1.set_title("Mean-KL frontier by continuation in γ")
    ax1.set_ylim(0, 1.35 * max(j["gamma_max_float"] for j in jobs))
    ax1.legend(frameon=False, fontsize=8, loc="upper left", ncol=2)
    for i, j in enumerate(sorted(jobs, key=lambda j: (j["weights"], j["S"] * j["A"]))):
        color = "tab:blue" if j["weights"] == "rho" else "tab:green"
        lo = (j.get("gamma_searched") or [np.nan])[0] or np.nan
        hi = max(j["gamma_max_float"], (j.get("gamma_tried_above") or [0, 0])[1])
        ax2.plot([lo, hi], [i, i], color=color, lw=1.5)
        ax2.scatter([j["gamma_max_float"]], [i], color=color, zorder=3)
        if j.get("gamma_tried_above"):
            ax2.scatter([j["gamma_tried_above"][1]], [i], marker="x", color="gray", zorder=3)
        ax2.text(hi, i, f"  {j['attempts_above']} tries above, {j['cpu_seconds']:.0f} CPU s", va="center", fontsize=7)
    labels = [f"{j['S']}×{j['A']} {'ρ' if j['weights'] == 'rho' else 'd'}"
              for j in sorted(jobs, key=lambda j: (j["weights"], j["S"] * j["A"]))]
    ax2.set_yticks(range(len(labels)), labels)
    ax2.set_xlabel("γ: searched range (line), certified frontier (dot), highest failed try (×)")
    ax2.set_title("Effort: what the frontier rests on")
    ax2.set_xlim(0, None)
    fig.suptitle("Where η ≥ L − C·Σ w KL fails: every point proven in exact arithmetic", fontsize=11)
    fig.tight_layout()
    return fig


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if len(argv) != 2 or argv[0] != "--from":
        print("usage: python -m experiments.fig16_mean_kl_frontier --from FRONTIER_DIR", file=sys.stderr)
        return 2
    DATA.write_text(json.dumps(build_data(argv[1]), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

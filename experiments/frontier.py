"""``python -m experiments frontier --out DIR``: map the mean-KL frontier (THEORY.md §9) as resumable jobs.

Usage::

    python -m experiments frontier --out figures/frontier --budget 600          # the committed run
    python -m experiments frontier --out /tmp/f --sizes 2x2,3x2 --weights rho --budget 120
    python -m experiments frontier --out figures/frontier --summary-only --budget 600  # rewrite the summary

One job per ``(S, A, weights)`` (:func:`bounds.counterexamples.frontier.run_job`); each keeps its state in
``DIR/mean_kl_<weights>_<S>x<A>.json`` and its certificate in ``DIR/certificates/``. ``--budget`` is the
total CPU time in seconds, shared among the jobs (3 shares for ``S*A <= 6``, 2 for ``S*A <= 8``, else 1),
and counted over all runs: running the command again continues each job up to its share. Jobs run in
the order given (small sizes first, so that larger ones can start from an embedded smaller violation).
At the end, a job whose frontier is below a smaller job's (same weights) gets that instance embedded and
certified (:func:`~bounds.counterexamples.frontier.propagate_embeddings`; no search). Writes
``DIR/summary.json`` and ``DIR/summary.csv``: per job the largest certified discount, the
certificate, the extreme instance's structure and the effort (restarts, evaluations, CPU seconds, the
discounts searched and the attempts above the frontier that found nothing).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from bounds.counterexamples.frontier import SIZES, WEIGHTS, propagate_embeddings, run_job, summarize

__all__ = ["main", "job_budgets", "write_summary"]

_COLS = ("weights", "S", "A", "gamma_max", "gamma_max_float", "violated_by", "certificate", "structure", "restarts",
         "evaluations", "cpu_seconds", "seconds", "attempts_above", "evaluations_above", "gamma_tried_above")


def job_budgets(jobs, budget: float) -> list:
    """CPU seconds per job: ``budget`` split in shares (3 for ``S*A <= 6``, 2 for ``S*A <= 8``, else 1).

    Examples
    --------
    >>> from experiments.frontier import job_budgets
    >>> print(job_budgets([(2, 2, "rho"), (3, 2, "rho"), (4, 2, "rho"), (8, 4, "rho")], budget=90.0))
    [30.0, 30.0, 20.0, 10.0]
    """
    shares = [3 if S * A <= 6 else 2 if S * A <= 8 else 1 for S, A, _ in jobs]
    return [budget * s / sum(shares) for s in shares]


def write_summary(out: Path, budget: float | None = None) -> dict:
    """``summary.json`` and ``summary.csv`` from the job states in ``out``; returns the summary.

    Examples
    --------
    >>> from pathlib import Path
    >>> from experiments.frontier import write_summary
    >>> import json, os
    >>> os.makedirs("frontier_out", exist_ok=True)
    >>> state = {"format": "trpo-theory-frontier-job", "version": 1, "S": 2, "A": 2, "weights": "rho",
    ...          "seed": 0, "restarts": 1, "evaluations": 50, "cpu_seconds": 0.1, "seconds": 0.1,
    ...          "gamma_searched": [0.01, 0.02], "history": [],
    ...          "best": {"gamma": "1/50", "violated_by": 1e-05, "structure": "written by hand",
    ...                   "certificate": "certificates/mean_kl_rho_2x2.json"}}
    >>> with open("frontier_out/mean_kl_rho_2x2.json", "w") as f:
    ...     json.dump(state, f)
    >>> summary = write_summary(Path("frontier_out"), budget=10.0)
    >>> print(summary["frontier"]["rho"]["gamma_max"], len(summary["jobs"]), summary["jobs"][0]["restarts"])
    1/50 1 1
    >>> print(open("frontier_out/summary.csv").readline().split(",")[:5])
    ['weights', 'S', 'A', 'gamma_max', 'gamma_max_float']
    """
    rows = summarize(out)
    per_weights = {}
    for w in WEIGHTS:
        mine = [r for r in rows if r["weights"] == w and r["certificate"]]
        if mine:
            top = max(mine, key=lambda r: r["gamma_max_float"])
            per_weights[w] = {"gamma_max": top["gamma_max"], "gamma_max_float": top["gamma_max_float"],
                              "S": top["S"], "A": top["A"], "certificate": top["certificate"]}
    summary = {"claim": "eta(pi_new) >= L - C sum_s w(s) KL(pi||pi_new)(s), C = 4 eps gamma/(1-gamma)^2",
               "budget_cpu_seconds": budget, "cpu_seconds_spent": round(sum(r["cpu_seconds"] for r in rows), 1),
               "frontier": per_weights, "jobs": rows,
               "command": "python -m experiments frontier --out DIR --budget SECONDS"}
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    with open(out / "summary.csv", "w", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerow(_COLS)
        for r in rows:
            wr.writerow([r[c] if not isinstance(r[c], float) else f"{r[c]:.6g}" for c in _COLS])
    return summary


def _sizes(text: str):
    try:
        out = [tuple(int(v) for v in part.lower().split("x")) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--sizes: expected sizes like 2x2,3x2, got {text!r}")
    if any(len(p) != 2 or min(p) < 2 for p in out):
        raise argparse.ArgumentTypeError(f"--sizes: each size is SxA with S, A >= 2, got {text!r}")
    return out


def _weights(text: str):
    out = text.split(",")
    if any(w not in WEIGHTS for w in out):
        raise argparse.ArgumentTypeError(f"--weights: expected a comma list of {WEIGHTS}, got {text!r}")
    return out


def _budget(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--budget: expected a number of CPU seconds, got {text!r}")
    if not (v > 0 and v < float("inf")):
        raise argparse.ArgumentTypeError(f"--budget: must be a positive finite number of seconds, got {text!r}")
    return v


def main(argv=None) -> int:
    """The command line (module docstring): run or continue every job up to its share of ``--budget``,
    propagate smaller jobs' certified instances, write ``summary.json``/``summary.csv``; returns 0.

    Examples
    --------
    >>> import contextlib, io
    >>> from experiments.frontier import main
    >>> main(["--out", "frontier_out", "--sizes", "2x2", "--weights", "rho", "--budget", "30"])  # doctest: +SKIP
    FrontierPoint(S=2, A=2, rho, gamma_max=..., restarts=..., evaluations=..., cpu=30 s): certificate ...
    rho weights: largest certified gamma ...
    CPU seconds spent over all runs: ...
    0
    >>> import json, os
    >>> os.makedirs("frontier_out", exist_ok=True)
    >>> state = {"format": "trpo-theory-frontier-job", "version": 1, "S": 2, "A": 2, "weights": "rho",
    ...          "seed": 0, "restarts": 1, "evaluations": 50, "cpu_seconds": 0.1, "seconds": 0.1,
    ...          "gamma_searched": [0.01, 0.02], "history": [],
    ...          "best": {"gamma": "1/50", "violated_by": 1e-05, "structure": "written by hand",
    ...                   "certificate": "certificates/mean_kl_rho_2x2.json"}}
    >>> with open("frontier_out/mean_kl_rho_2x2.json", "w") as f:
    ...     json.dump(state, f)
    >>> with contextlib.redirect_stdout(io.StringIO()) as out:
    ...     status = main(["--out", "frontier_out", "--summary-only"])
    >>> print(status, out.getvalue().strip())
    0 rho weights: largest certified gamma 1/50 = 0.02 (S=2, A=2, certificates/mean_kl_rho_2x2.json)
    CPU seconds spent over all runs: 0.1
    >>> print(sorted(os.listdir("frontier_out")))
    ['mean_kl_rho_2x2.json', 'summary.csv', 'summary.json']
    """
    parser = argparse.ArgumentParser(prog="python -m experiments frontier", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder of the job states, certificates, summary")
    parser.add_argument("--budget", type=_budget, default=600.0, help="total CPU seconds over all jobs (default 600)")
    parser.add_argument("--sizes", type=_sizes, default=list(SIZES), help="sizes SxA, e.g. 2x2,3x2 (default: all five)")
    parser.add_argument("--weights", type=_weights, default=list(WEIGHTS), help="rho,d (default both)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every job (default 0)")
    parser.add_argument("--summary-only", action="store_true", help="only rewrite summary.json/csv from the states")
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.summary_only:
        jobs = [(S, A, w) for S, A in args.sizes for w in args.weights]
        for (S, A, w), b in zip(jobs, job_budgets(jobs, args.budget)):
            fp = run_job(S, A, w, args.out, budget=b, seed=args.seed)
            print(f"{fp!r}: certificate {fp.certificate}; {fp.structure}", flush=True)
            write_summary(args.out, args.budget)
    for name in propagate_embeddings(args.out):
        print(f"{name}: raised to a smaller job's certified instance, embedded", flush=True)
    summary = write_summary(args.out, args.budget)
    for w, top in summary["frontier"].items():
        print(f"{w} weights: largest certified gamma {top['gamma_max']} = {top['gamma_max_float']:.5g} "
              f"(S={top['S']}, A={top['A']}, {top['certificate']})")
    print(f"CPU seconds spent over all runs: {summary['cpu_seconds_spent']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

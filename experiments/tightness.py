"""``python -m experiments tightness --out DIR [--budget SECONDS]``: how tight is each true bound's constant?

For every true bound (:func:`bounds.counterexamples.tightness.tight_bounds`), each side it proves
(``lower``: ``L - eta_new <= penalty``; ``upper`` for two-sided bounds: ``eta_new - L <= penalty``) and
each discount band of :data:`~bounds.counterexamples.tightness.BANDS`, the job maximizes the ratio
``r = gap / penalty`` by restarts of Nelder-Mead and CMA-ES (sizes 2x2, 3x2, 3x3, 4x2), then rounds the
best instance to rationals and certifies ``r >= c`` exactly (``DIR/certificates/*.json``, re-checked by
:func:`~bounds.counterexamples.tightness.verify_tightness`).

The run is a resumable job: each (bound, side, band) cell keeps its state in ``DIR/state/`` (CPU seconds
spent, restarts done, best instance, certificate) and is saved after every restart. ``--budget`` is
the total CPU time (``time.process_time``), split evenly over the cells; running the command again
continues every cell below its share (a larger budget extends the search). At the end it writes
``DIR/summary.json``, ``DIR/table.md`` and figure 20 (``fig20_tightness.png/.pdf/.csv``) into
``--figure-dir`` (default ``DIR``).

Usage::

    nice -n 10 python -m experiments tightness --out figures/tightness --budget 1500 --figure-dir figures
    python -m experiments tightness --out /tmp/t --budget 60 --bounds theorem1,span
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import zlib
from pathlib import Path

from bounds.counterexamples.tightness import (BANDS, TightnessRestart, certify_tightness, fork_start,
                                              tight_bounds, tightness_restart, verify_tightness)

from ._common import HelpFormatter, out_dir_arg, real_arg, seed_arg

_PASSES = 3  # each cell gets a third of its share per pass

__all__ = ["main", "cells", "run_cell", "summarize", "table_markdown", "sweep_medians"]


def cells(bound_names=None) -> list:
    """``[(bound, side, band index)]`` of the job, bound by bound.

    Examples
    --------
    >>> from experiments.tightness import cells
    >>> todo = cells(["theorem1", "span"])
    >>> print(len(todo), [(b.name, side, k) for b, side, k in todo[:2]])
    15 [('theorem1', 'lower', 0), ('theorem1', 'lower', 1)]
    """
    bounds = tight_bounds()
    if bound_names:
        known = {b.name for b in bounds}
        bad = [n for n in bound_names if n not in known]
        if bad:
            raise ValueError(f"bounds: unknown {bad}; known: {sorted(known)}")
        bounds = [b for b in bounds if b.name in bound_names]
    return [(b, side, k) for b in bounds for side in b.sides for k in range(len(BANDS))]


def _key(bound, side: str, k: int) -> str:
    return f"{bound.name}__{side}__band{k}"


def _write(path: Path, obj) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj, indent=1) + "\n")
    os.replace(tmp, path)


def _load_state(path: Path, bound, side: str, k: int) -> dict:
    if path.exists():
        return json.loads(path.read_text())
    return {"bound": bound.name, "side": side, "band": k, "gamma_range": list(BANDS[k]), "cpu_seconds": 0.0,
            "restarts": 0, "evaluations": 0, "best": None, "certificate": None}


def run_cell(out: Path, bound, side: str, k: int, cell_budget: float, seed: int = 0, maxfev: int = 800) -> dict:
    """Continue one cell until it has spent ``cell_budget`` CPU seconds, then certify its best instance
    (again only if the best changed). Every third restart refines the best instance so far (Nelder-Mead,
    transitions free); the others are fresh; once per cell, a refine restart starts from the hand-derived
    fork (:func:`~bounds.counterexamples.tightness.fork_start`). The state file is rewritten after every
    restart.

    Examples
    --------
    >>> from pathlib import Path
    >>> from bounds.counterexamples.tightness import bound_named
    >>> from experiments.tightness import run_cell
    >>> out = Path("tightness_cell")
    >>> (out / "state").mkdir(parents=True, exist_ok=True)
    >>> (out / "certificates").mkdir(exist_ok=True)
    >>> st = run_cell(out, bound_named("theorem1"), "lower", 2, cell_budget=0.01, maxfev=20)
    >>> print(st["band"], st["gamma_range"], st["restarts"] >= 2, st["fork_seeded"])
    2 [0.5, 0.9] True True
    >>> cert = st["certificate"]
    >>> print(cert is not None and cert["verified"] and 0 < cert["c_float"] <= 1)
    True
    """
    key = _key(bound, side, k)
    path = out / "state" / f"{key}.json"
    st = _load_state(path, bound, side, k)
    cell_seed = int(seed) * 1_000_003 + zlib.crc32(key.encode()) % (2**31)
    while st["cpu_seconds"] < cell_budget:
        t0 = time.process_time()
        i = st["restarts"]
        refine = TightnessRestart.from_dict(st["best"]) if st["best"] is not None and i % 3 == 2 else None
        res = tightness_restart(bound, side, BANDS[k], i, cell_seed, maxfev, refine)
        st["cpu_seconds"] += time.process_time() - t0
        st["restarts"] += 1
        st["evaluations"] += res.n_evaluations
        if st["best"] is None or res.ratio > st["best"]["ratio"]:
            st["best"] = res.to_dict()
        _write(path, st)
    if not st.get("fork_seeded") and cell_budget > 0:  # one refine restart from the hand-derived fork
        t0 = time.process_time()
        res = tightness_restart(bound, side, BANDS[k], st["restarts"], cell_seed, maxfev, fork_start(side, BANDS[k]))
        st["cpu_seconds"] += time.process_time() - t0
        st["restarts"] += 1
        st["evaluations"] += res.n_evaluations
        st["fork_seeded"] = True
        if st["best"] is None or res.ratio > st["best"]["ratio"]:
            st["best"] = {**res.to_dict(), "method": "fork+refine"}
        _write(path, st)
    best = st["best"]
    cert_path = out / "certificates" / f"{key}.json"
    old = st["certificate"] or {}
    if best is not None and (old.get("restart") != best["restart"] or not old.get("verified") or not cert_path.exists()):
        b = TightnessRestart.from_dict(best)
        cert = certify_tightness(bound, side, b.mdp, b.pi, b.pi_new, gamma_range=BANDS[k], provenance={
            "gamma_band": list(BANDS[k]), "float_ratio": best["ratio"], "restart": best["restart"],
            "method": best["method"], "seed": cell_seed,
            "command": "python -m experiments tightness"})
        if cert is not None:
            cert.save(cert_path)
            v = verify_tightness(cert_path)
            st["certificate"] = {"restart": best["restart"], "path": f"certificates/{key}.json", "c": str(cert.c),
                                 "c_float": float(cert.c), "gamma": str(cert.mdp.gamma),
                                 "size": list(cert.mdp.shape), "denominator": cert.provenance["denominator"],
                                 "verified": v.proven}
        else:  # no rounding certifies this best: drop an older certificate of the cell, it no longer matches
            cert_path.unlink(missing_ok=True)
            st["certificate"] = {"restart": best["restart"], "path": None, "c": None, "c_float": None,
                                 "verified": False}
        _write(path, st)
    return st


def sweep_medians(report_path) -> dict:
    """``{bound: median penalty/|eta - L|}`` of a sweep report (``ratio_q_all[1]``), ``{}`` if absent.

    Examples
    --------
    >>> import json
    >>> from experiments.tightness import sweep_medians
    >>> with open("report.json", "w") as f:
    ...     json.dump({"bounds": {"theorem1": {"ratio_q_all": [2.0, 15.5, 300.0]}}}, f)
    >>> print(sweep_medians("report.json"), sweep_medians("missing.json"))
    {'theorem1': 15.5} {}
    """
    p = Path(report_path)
    if not p.exists():
        return {}
    rep = json.loads(p.read_text())
    return {b: (e.get("ratio_q_all") or [None] * 3)[1] for b, e in rep.get("bounds", {}).items()}


def summarize(out: Path, states: list, medians: dict, cpu_seconds: float) -> dict:
    """Per bound and side: the certified ``c`` per band, the worst case over the bands, and the effort.

    Examples
    --------
    >>> from pathlib import Path
    >>> from experiments.tightness import summarize
    >>> st = {"bound": "theorem1", "side": "lower", "band": 0, "gamma_range": [0.001, 0.1],
    ...       "cpu_seconds": 2.0, "restarts": 3, "evaluations": 900, "best": {"ratio": 0.95},
    ...       "certificate": {"c": "19/20", "c_float": 0.95, "gamma": "1/100", "size": [3, 2],
    ...                       "path": "certificates/a.json", "verified": True}}
    >>> summary = summarize(Path("."), [st], {"theorem1": 15.5}, cpu_seconds=2.0)
    >>> row = summary["rows"][0]
    >>> print(row["bound"], row["side"], row["c_max"], row["c_max_gamma"], summary["restarts_total"])
    theorem1 lower 19/20 1/100 3
    >>> print(sorted(p.name for p in Path(".").glob("summary.json")) + sorted(p.name for p in Path(".").glob("table.md")))
    ['summary.json', 'table.md']
    """
    rows = []
    for b in tight_bounds():
        for side in b.sides:
            mine = sorted((s for s in states if s["bound"] == b.name and s["side"] == side), key=lambda s: s["band"])
            if not mine:
                continue
            bands = [{"gamma_range": s["gamma_range"], "float_ratio": (s["best"] or {}).get("ratio"),
                      **{k: (s["certificate"] or {}).get(k) for k in ("c", "c_float", "gamma", "size", "path",
                                                                         "verified")},
                      "restarts": s["restarts"], "evaluations": s["evaluations"],
                      "cpu_seconds": round(s["cpu_seconds"], 1)} for s in mine]
            cert = [x for x in bands if x["c_float"] is not None and x["verified"]]
            top = max(cert, key=lambda x: x["c_float"]) if cert else None
            rows.append({"bound": b.name, "side": side, "source": b.claim.source, "proof_constant": str(b.constant),
                         "constant_text": b.constant_text, "bands": bands,
                         "c_max": top and top["c"], "c_max_float": top and top["c_float"],
                         "c_max_gamma": top and top["gamma"], "c_max_band": top and top["gamma_range"],
                         "sweep_median_penalty_over_gap": medians.get(b.name)})
    summary = {"bands": [list(x) for x in BANDS], "rows": rows, "cpu_seconds_total": round(cpu_seconds, 1),
               "restarts_total": sum(s["restarts"] for s in states),
               "evaluations_total": sum(s["evaluations"] for s in states)}
    _write(out / "summary.json", summary)
    (out / "table.md").write_text(table_markdown(summary))
    return summary


def _g(x, fmt=".3g") -> str:
    return "-" if x is None else format(float(x), fmt)


def table_markdown(summary: dict) -> str:
    """The tightness table as markdown: per bound and side, the proof's constant, the certified worst
    case ``c`` and its discount, the constant no proof can go below, ``c`` per band and the sweep's median.

    Examples
    --------
    >>> from pathlib import Path
    >>> from experiments.tightness import summarize, table_markdown
    >>> st = {"bound": "theorem1", "side": "lower", "band": 0, "gamma_range": [0.001, 0.1],
    ...       "cpu_seconds": 2.0, "restarts": 3, "evaluations": 900, "best": {"ratio": 0.95},
    ...       "certificate": {"c": "19/20", "c_float": 0.95, "gamma": "1/100", "size": [3, 2],
    ...                       "path": "certificates/a.json", "verified": True}}
    >>> table = table_markdown(summarize(Path("."), [st], {}, cpu_seconds=2.0))
    >>> print(table.splitlines()[2])
    | theorem1 | lower | 4 | 0.95 | 0.01 | 3.8 | 0.95 | - |
    >>> print(table.splitlines()[-1])
    CPU time 2 s, 3 restarts, 900 evaluations.
    """
    head = ("| bound | side | proof's constant | certified worst c | at gamma | no valid constant below | "
            + " | ".join(f"c, gamma in [{lo:g}, {hi:g}]" for lo, hi in summary["bands"])
            + " | sweep median penalty/\\|eta-L\\| |")
    lines = [head, "|" + "---|" * (7 + len(summary["bands"]))]
    for r in summary["rows"]:
        c = r["c_max_float"]
        floor = "-" if c is None else f"{c * float(_float_of(r['proof_constant'])):.3g}"
        gam = "-" if r["c_max_gamma"] is None else f"{float(_float_of(r['c_max_gamma'])):.4g}"
        lines.append(f"| {r['bound']} | {r['side']} | {r['proof_constant']} | {_g(c, '.4g')} | {gam} | {floor} | "
                     + " | ".join(_g(x["c_float"], ".3g") for x in r["bands"])
                     + f" | {_g(r['sweep_median_penalty_over_gap'], '.4g') if r['side'] == 'lower' else ''} |")
    lines.append("")
    lines.append(f"CPU time {summary['cpu_seconds_total']:.0f} s, {summary['restarts_total']} restarts, "
                 f"{summary['evaluations_total']:,} evaluations.")
    return "\n".join(lines) + "\n"


def _float_of(s: str) -> float:
    from fractions import Fraction

    return float(Fraction(s))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m experiments tightness", description=__doc__.split("\n")[0],
                                formatter_class=HelpFormatter)
    p.add_argument("--out", type=out_dir_arg, required=True, help="output folder (state, certificates, summary)")
    p.add_argument("--budget", type=real_arg(0.0), default=1500.0, help="total CPU seconds, split over the cells")
    p.add_argument("--seed", type=seed_arg, default=0, help="random seed, a non-negative integer")
    p.add_argument("--bounds", default="", help="comma-separated bound names (default: every true bound)")
    p.add_argument("--maxfev", type=int, default=800, help="objective evaluations per restart")
    p.add_argument("--figure-dir", type=out_dir_arg, default=None, help="where figure 20 goes (default: --out)")
    p.add_argument("--sweep-report", default="figures/sweep_1m/report.json",
                   help="sweep report whose median penalty/|eta-L| the table quotes")
    return p


def main(argv=None) -> int:
    """The command line (module docstring): run every cell up to its share of ``--budget`` in passes, then
    write ``summary.json``, ``table.md`` and figure 20; returns 0. Bad arguments exit with status 2.

    Examples
    --------
    >>> import contextlib, io
    >>> from experiments.tightness import main
    >>> main(["--out", "tightness_out", "--budget", "60", "--bounds", "theorem1"])  # doctest: +SKIP
    | bound | side | proof's constant | certified worst c | at gamma | no valid constant below | ...
    |---|---|---|---|---|---|---|---|---|---|---|---|
    | theorem1 | lower | 4 | 0.9991 | 0.001 | 4 | 0.999 | 0.921 | 0.56 | 0.309 | 0.0178 | - |
    ...
    0
    ...
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     try:
    ...         main(["--out", "tightness_out", "--bounds", "no_such_bound"])
    ...     except SystemExit as exc:
    ...         print(exc.code)
    2
    >>> print(err.getvalue().splitlines()[-1][:60])
    python -m experiments tightness: error: bounds: unknown ['no
    """
    args = build_parser().parse_args(argv)
    try:
        todo = cells([n.strip() for n in args.bounds.split(",") if n.strip()])
    except ValueError as exc:
        build_parser().error(str(exc))
    out = Path(args.out)
    for sub in ("state", "certificates"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    share = float(args.budget) / len(todo)
    for p in range(1, _PASSES):  # passes over all cells first, so an interrupted run has searched every cell
        for b, side, k in todo:
            run_cell(out, b, side, k, share * p / _PASSES, args.seed, args.maxfev)
    states = []
    for i, (b, side, k) in enumerate(todo):
        st = run_cell(out, b, side, k, share, args.seed, args.maxfev)
        states.append(st)
        c = (st["certificate"] or {}).get("c_float")
        print(f"[{i + 1}/{len(todo)}] {b.name:<15} {side:<5} gamma in {BANDS[k]}: best r = "
              f"{_g((st['best'] or {}).get('ratio'), '.5g')}, certified c = {_g(c, '.4g')} "
              f"({st['restarts']} restarts, {st['cpu_seconds']:.0f} CPU s)", file=sys.stderr, flush=True)
    summary = summarize(out, states, sweep_medians(args.sweep_report), sum(s["cpu_seconds"] for s in states))
    from . import fig20_tightness
    from ._common import save_figure, write_csv

    data = fig20_tightness.compute_from(summary)
    fig_dir = Path(args.figure_dir) if args.figure_dir is not None else out
    fig_dir.mkdir(parents=True, exist_ok=True)
    write_csv(fig_dir / f"{fig20_tightness.NAME}.csv", data["table"])
    save_figure(fig20_tightness.plot(data), fig_dir, fig20_tightness.NAME)
    print(table_markdown(summary))
    print(f"{data['verdict'].key_number}")
    return 0

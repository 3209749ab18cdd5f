"""The sweep's report: :func:`build_report` (JSON-ready, from the CSV columns) and
:func:`format_report` (plain text). What counts as a failure is decided here."""

from __future__ import annotations

import numpy as np

from ..drawing import MIN_GAP
from .config import CANDIDATES, MAX_SAVED_EXPECTED, QUANTILES, UPDATES, SweepConfig
from .record import bounds_info


def _q(x) -> list:
    """Quantiles (order statistics, no interpolation, so never NaN from ``inf - inf``)."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return []
    return [float(v) for v in np.quantile(x, QUANTILES, method="inverted_cdf")]


def _ids(table, mask) -> list:
    return [int(i) for i in table["id"][mask]]


def _worst(table, col: str, ok, n: int) -> tuple:
    """``(smallest value of col over the rows ok, its id)``, ``(None, None)`` for an empty sweep."""
    v = np.where(ok, table[col], np.inf)
    j = int(np.argmin(v)) if n else -1
    return (float(v[j]), int(table["id"][j])) if n else (None, None)


def gap_of(table, b: str):
    """The error bound ``b`` must cover: ``|eta - L|``, or ``|eta - centre|`` for the bounds not centred
    on L (their own ``<b>_gap`` column, :data:`experiments.drawing.OFF_CENTRE_BOUNDS`)."""
    return table[f"{b}_gap"] if f"{b}_gap" in table else table["gap"]


def _ratio_cells(table, pen, ok, resolved, fams, gams, gap=None) -> dict:
    """Penalty and penalty/gap quantiles of one bound per ``family|gamma`` cell that has rows."""
    cells = {}
    for f in fams:
        for g in gams:
            sel = ok & (table["family"] == f) & (table["gamma"] == g)
            if not sel.any():
                continue
            rsel = sel & resolved & np.isfinite(pen)
            cells[f"{f}|{g!r}"] = {
                "n": int(sel.sum()),
                "penalty_q": _q(pen[sel]),
                "ratio_q": _q(pen[rsel] / (table["gap"] if gap is None else gap)[rsel]),
                "n_ratio": int(rsel.sum()),
            }
    return cells


def _bound_entry(table, b: str, two_sided: bool, source: str, ok, fams, gams) -> dict:
    """Violations, worst slacks and tightness quantiles of bound ``b``."""
    n = int(table["id"].shape[0])
    viol = ok & ~table[f"{b}_holds"]
    worst, worst_id = _worst(table, f"{b}_slack", ok, n)
    entry = {
        "source": source, "two_sided": two_sided, "violations": int(viol.sum()), "violating_ids": _ids(table, viol),
        "worst_slack": worst, "worst_slack_id": worst_id,
    }
    if two_sided:
        entry["worst_upper_slack"], entry["worst_upper_slack_id"] = _worst(table, f"{b}_upper_slack", ok, n)
    pen = table[f"{b}_penalty"]
    gap = gap_of(table, b)
    resolved = ok & (gap > MIN_GAP)
    entry["infinite_penalty"] = int(np.sum(ok & np.isinf(pen)))
    entry["by_family_gamma"] = _ratio_cells(table, pen, ok, resolved, fams, gams, gap)
    rsel = ok & resolved & np.isfinite(pen)
    entry["ratio_q_all"] = _q(pen[rsel] / gap[rsel])
    return entry


def _update_entries(table, ok, config: SweepConfig) -> dict:
    """Steps and non-monotone steps of each update of :data:`UPDATES`; Eq. (10) failures of Algorithm 1."""
    if config.update_steps <= 0:
        return {}
    n = int(table["id"].shape[0])
    updates = {}
    for u, theorem in UPDATES.items():
        nm = table[f"{u}_nonmono"]
        bad = ok & (nm > 0)
        updates[u] = {
            "theorem": theorem, "steps": int(np.sum(table[f"{u}_steps"][ok])),
            "non_monotone_steps": int(np.sum(nm[ok])), "instances_non_monotone": int(bad.sum()),
            "ids": _ids(table, bad), "worst_gain": _worst(table, f"{u}_min_gain", ok, n)[0],
        }
    eq = ok & (table["mm_eq10_fail"] > 0)
    updates["mm"]["eq10_failures"] = int(np.sum(table["mm_eq10_fail"][ok]))
    updates["mm"]["eq10_ids"] = _ids(table, eq)
    return updates


def _candidate_entries(table, ok, config: SweepConfig) -> dict:
    """Found violations of each non-theorem of :data:`CANDIDATES` (expected, not failures)."""
    if not config.candidates:
        return {}
    n = int(table["id"].shape[0])
    cands = {}
    for c in CANDIDATES:
        s = table[f"cand_{c}_slack"]
        viol = ok & (s < -table["atol"])
        tested = ok & np.isfinite(s)
        cands[c] = {
            "found_violations": int(viol.sum()), "tested": int(tested.sum()),
            "fraction": float(viol.sum() / tested.sum()) if tested.any() else 0.0,
            "ids": _ids(table, viol)[:MAX_SAVED_EXPECTED],
            "worst_slack": _worst(table, f"cand_{c}_slack", ok, n)[0],
        }
    return cands


def count_failures(report: dict) -> int:
    """Errors + theorem-bound violations + non-monotone steps of the monotone updates (Algorithm 1,
    CPI) + Algorithm 1 steps breaking Eq. (10): what makes a sweep fail."""
    updates = report["updates"]
    return int(report["errors"]["count"] + sum(e["violations"] for e in report["bounds"].values())
               + sum(u["non_monotone_steps"] for u in updates.values() if u["theorem"])
               + (updates["mm"]["eq10_failures"] if updates else 0))


def row_failures(row: dict) -> int:
    """What one CSV row (a dict of :func:`experiments.sweep.record.evaluate_instance`'s fields) adds to
    :func:`count_failures`: 1 if the instance raised, else its violated bounds, non-monotone steps of
    Algorithm 1 and CPI and Eq. (10) failures."""
    if row.get("error"):
        return 1
    n = sum(not v for k, v in row.items() if k.endswith("_holds"))  # every bound of the row, --claim ones too
    n += sum(int(row.get(f"{u}_nonmono", 0)) for u, theorem in UPDATES.items() if theorem)
    return int(n + int(row.get("mm_eq10_fail", 0)))


def build_report(table: dict, config: SweepConfig) -> dict:
    """The JSON-ready report of a sweep's results (columns from :func:`load_results`).

    Failures (``passed = False``, :func:`count_failures`): any theorem bound with ``holds = False``,
    any non-monotone step of Algorithm 1 or CPI, any Eq. (10) failure, any instance that raised.
    Candidates and the trust region are reported as found violations (expected).
    """
    n = int(table["id"].shape[0])
    err = table["error"] != ""
    ok = ~err
    report = {
        "config": config.to_json(),
        "n_instances": n,
        "errors": {"count": int(err.sum()), "ids": _ids(table, err),
                   "messages": sorted({str(m) for m in table["error"][err]})[:10]},
    }
    fams = [f for f in config.families if np.any(table["family"] == f)]
    gams = [g for g in config.gammas if np.any(table["gamma"] == g)]
    report["bounds"] = {b: _bound_entry(table, b, two, src, ok, fams, gams) for b, two, src in bounds_info(config)}
    report["gap_by_family_gamma"] = {
        f"{f}|{g!r}": _q(table["gap"][ok & (table["family"] == f) & (table["gamma"] == g)])
        for f in fams for g in gams if np.any(ok & (table["family"] == f) & (table["gamma"] == g))
    }
    report["quantiles"] = list(QUANTILES)
    report["updates"] = _update_entries(table, ok, config)
    report["candidates"] = _candidate_entries(table, ok, config)
    report["failures"] = count_failures(report)
    report["passed"] = report["failures"] == 0
    return report


def flagged_ids(report: dict) -> dict:
    """``{id: [reasons]}`` of every instance to save."""
    flags: dict = {}

    def add(ids, why):
        for i in ids:
            flags.setdefault(int(i), []).append(why)

    add(report["errors"]["ids"], "error")
    for b, e in report["bounds"].items():
        add(e["violating_ids"], f"bound:{b}")
    for u, e in report["updates"].items():
        add(e["ids"] if e["theorem"] else e["ids"][:MAX_SAVED_EXPECTED], f"non_monotone:{u}")
        if "eq10_ids" in e:
            add(e["eq10_ids"], "eq10:mm")
    for c, e in report["candidates"].items():
        add(e["ids"][:MAX_SAVED_EXPECTED], f"candidate:{c}")
    return dict(sorted(flags.items()))


def _g(x, fmt=".3g") -> str:
    return "-" if x is None else format(x, fmt)


def _header_lines(report: dict) -> list:
    c = report["config"]
    L = [f"sweep: {report['n_instances']:,} instances, seed {c['seed']}, families {','.join(c['families'])}, "
         f"gammas {','.join(repr(g) for g in c['gammas'])}, update steps {c['update_steps']}"
         f"{', candidates' if c['candidates'] else ''}",
         f"RESULT: {'PASS' if report['passed'] else 'FAIL'} -- {report['failures']} failure(s) "
         f"(theorem violations + non-monotone MM/CPI steps + Eq. (10) failures + errors)"]
    e = report["errors"]
    if e["count"]:
        L.append(f"errors: {e['count']} instance(s) raised, ids {e['ids'][:20]}: {e['messages'][:3]}")
    return L


def _bound_lines(report: dict) -> list:
    """One line per bound: violations, worst slacks, penalty/gap quantiles, source."""
    L = [f"{'bound':<16} {'violations':>10} {'worst slack':>12} {'(id)':>7} {'worst upper':>12} "
         f"{'penalty/gap q5':>14} {'q50':>9} {'q95':>9}  source"]
    for b, e in report["bounds"].items():
        rq = e["ratio_q_all"] or [None] * 3
        up = _g(e.get("worst_upper_slack")) if e["two_sided"] else ""
        L.append(f"{b:<16} {e['violations']:>10} {_g(e['worst_slack']):>12} {str(e['worst_slack_id']):>7} "
                 f"{up:>12} {_g(rq[0]):>14} {_g(rq[1]):>9} {_g(rq[2]):>9}  {e['source']}")
    return L


def _cell_lines(report: dict) -> list:
    """The median penalty/gap of every bound per family|gamma cell, and the median gap."""
    L = [f"median penalty/gap per family|gamma (gap > {MIN_GAP:g}, finite penalties); "
         "last column: median |eta - L|:"]
    names = list(report["bounds"])
    w = {b: max(9, len(b)) for b in names}
    L.append(f"{'family|gamma':<18} " + " ".join(f"{b:>{w[b]}}" for b in names) + f" {'|eta-L|':>10}")
    for k in report["gap_by_family_gamma"]:
        vals = []
        for b in names:
            rq = report["bounds"][b]["by_family_gamma"].get(k, {}).get("ratio_q") or [None] * 3
            vals.append(f"{_g(rq[1]):>{w[b]}}")
        gap = (report["gap_by_family_gamma"].get(k) or [None] * 3)[1]
        L.append(f"{k:<18} " + " ".join(vals) + f" {_g(gap):>10}")
    return L


def _update_lines(report: dict) -> list:
    L = [f"{'update':<14} {'theorem':>7} {'steps':>8} {'non-monotone':>12} {'instances':>9} {'worst gain':>11}"]
    for u, e in report["updates"].items():
        L.append(f"{u:<14} {'yes' if e['theorem'] else 'no':>7} {e['steps']:>8} {e['non_monotone_steps']:>12} "
                 f"{e['instances_non_monotone']:>9} {_g(e['worst_gain']):>11}")
    L.append(f"Algorithm 1 steps breaking Eq. (10): {report['updates']['mm']['eq10_failures']}")
    return L


def _candidate_lines(report: dict) -> list:
    L = ["non-theorems of THEORY.md §6 (violations EXPECTED; found violations, not failures):"]
    for cn, e in report["candidates"].items():
        L.append(f"  {cn:<20} found {e['found_violations']:>6} violations in {e['tested']:>7} "
                 f"({100 * e['fraction']:.2f}%), worst slack {_g(e['worst_slack'])}, ids {e['ids'][:8]}")
    return L


def _saved_lines(report: dict) -> list:
    saved = report.get("saved_instances") or {}
    return [f"{len(saved)} instance(s) saved in violations/ (replay with experiments.sweep.replay(out, id)): "
            f"ids {list(saved)[:15]}{' ...' if len(saved) > 15 else ''}"]


def format_report(report: dict) -> str:
    """A plain-text rendering of :func:`build_report`'s report: header and result, bounds,
    penalty/gap per family and discount, updates, non-theorems, saved instances (sections that have
    nothing to say are left out), separated by blank lines."""
    L = _header_lines(report) + [""] + _bound_lines(report) + [""] + _cell_lines(report)
    for present, lines in ((report["updates"], _update_lines), (report["candidates"], _candidate_lines),
                           (report.get("saved_instances"), _saved_lines)):
        if present:
            L += [""] + lines(report)
    return "\n".join(L)

"""The sweep's report: :func:`build_report` (JSON-ready, from the CSV columns) and
:func:`format_report` (plain text). What counts as a failure is decided here."""

from __future__ import annotations

import numpy as np

from .config import CANDIDATES, MAX_SAVED_EXPECTED, MIN_GAP, QUANTILES, UPDATES, SweepConfig
from .record import bounds_info


def _q(x) -> list:
    """Quantiles (order statistics, no interpolation, so never NaN from ``inf - inf``)."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return []
    return [float(v) for v in np.quantile(x, QUANTILES, method="inverted_cdf")]


def _ids(table, mask) -> list:
    return [int(i) for i in table["id"][mask]]


def build_report(table: dict, config: SweepConfig) -> dict:
    """The JSON-ready report of a sweep's results (columns from :func:`load_results`).

    Failures (``passed = False``): any theorem bound with ``holds = False``, any non-monotone step of
    Algorithm 1 or CPI, any Eq. (10) failure, any instance that raised. Candidates and the trust
    region are reported as found violations (expected).
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
    info = {nm: (two, src) for nm, two, src in bounds_info()}
    fams = [f for f in config.families if np.any(table["family"] == f)]
    gams = [g for g in config.gammas if np.any(table["gamma"] == g)]
    resolved = ok & (table["gap"] > MIN_GAP)
    bounds = {}
    for b, (two, src) in info.items():
        holds = table[f"{b}_holds"]
        viol = ok & ~holds
        slack = np.where(ok, table[f"{b}_slack"], np.inf)
        j = int(np.argmin(slack)) if n else -1
        entry = {
            "source": src, "two_sided": two, "violations": int(viol.sum()), "violating_ids": _ids(table, viol),
            "worst_slack": float(slack[j]) if n else None, "worst_slack_id": int(table["id"][j]) if n else None,
        }
        if two:
            up = np.where(ok, table[f"{b}_upper_slack"], np.inf)
            k = int(np.argmin(up)) if n else -1
            entry["worst_upper_slack"] = float(up[k]) if n else None
            entry["worst_upper_slack_id"] = int(table["id"][k]) if n else None
        pen = table[f"{b}_penalty"]
        entry["infinite_penalty"] = int(np.sum(ok & np.isinf(pen)))
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
                    "ratio_q": _q(pen[rsel] / table["gap"][rsel]),
                    "n_ratio": int(rsel.sum()),
                }
        entry["by_family_gamma"] = cells
        rsel = ok & resolved & np.isfinite(pen)
        entry["ratio_q_all"] = _q(pen[rsel] / table["gap"][rsel])
        bounds[b] = entry
    report["bounds"] = bounds
    report["gap_by_family_gamma"] = {
        f"{f}|{g!r}": _q(table["gap"][ok & (table["family"] == f) & (table["gamma"] == g)])
        for f in fams for g in gams if np.any(ok & (table["family"] == f) & (table["gamma"] == g))
    }
    report["quantiles"] = list(QUANTILES)
    updates = {}
    if config.update_steps > 0:
        for u, theorem in UPDATES.items():
            nm = table[f"{u}_nonmono"]
            bad = ok & (nm > 0)
            updates[u] = {
                "theorem": theorem, "steps": int(np.sum(table[f"{u}_steps"][ok])),
                "non_monotone_steps": int(np.sum(nm[ok])), "instances_non_monotone": int(bad.sum()),
                "ids": _ids(table, bad),
                "worst_gain": float(np.min(np.where(ok, table[f"{u}_min_gain"], np.inf))) if n else None,
            }
        eq = ok & (table["mm_eq10_fail"] > 0)
        updates["mm"]["eq10_failures"] = int(np.sum(table["mm_eq10_fail"][ok]))
        updates["mm"]["eq10_ids"] = _ids(table, eq)
    report["updates"] = updates
    cands = {}
    if config.candidates:
        for c in CANDIDATES:
            s = table[f"cand_{c}_slack"]
            viol = ok & (s < -table["atol"])
            tested = ok & np.isfinite(s)
            cands[c] = {
                "found_violations": int(viol.sum()), "tested": int(tested.sum()),
                "fraction": float(viol.sum() / tested.sum()) if tested.any() else 0.0,
                "ids": _ids(table, viol)[:MAX_SAVED_EXPECTED],
                "worst_slack": float(np.min(np.where(ok, s, np.inf))) if n else None,
            }
    report["candidates"] = cands
    n_fail = (report["errors"]["count"] + sum(e["violations"] for e in bounds.values())
              + sum(u["non_monotone_steps"] for k, u in updates.items() if u["theorem"])
              + (updates["mm"]["eq10_failures"] if updates else 0))
    report["failures"] = int(n_fail)
    report["passed"] = n_fail == 0
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


def format_report(report: dict) -> str:
    """A plain-text rendering of :func:`build_report`'s report."""
    c = report["config"]
    L = []
    L.append(f"sweep: {report['n_instances']:,} instances, seed {c['seed']}, families {','.join(c['families'])}, "
             f"gammas {','.join(repr(g) for g in c['gammas'])}, update steps {c['update_steps']}"
             f"{', candidates' if c['candidates'] else ''}")
    L.append(f"RESULT: {'PASS' if report['passed'] else 'FAIL'} -- {report['failures']} failure(s) "
             f"(theorem violations + non-monotone MM/CPI steps + Eq. (10) failures + errors)")
    e = report["errors"]
    if e["count"]:
        L.append(f"errors: {e['count']} instance(s) raised, ids {e['ids'][:20]}: {e['messages'][:3]}")
    L.append("")
    L.append(f"{'bound':<16} {'violations':>10} {'worst slack':>12} {'(id)':>7} {'worst upper':>12} "
             f"{'penalty/gap q5':>14} {'q50':>9} {'q95':>9}  source")
    for b, e in report["bounds"].items():
        rq = e["ratio_q_all"] or [None] * 3
        up = _g(e.get("worst_upper_slack")) if e["two_sided"] else ""
        L.append(f"{b:<16} {e['violations']:>10} {_g(e['worst_slack']):>12} {str(e['worst_slack_id']):>7} "
                 f"{up:>12} {_g(rq[0]):>14} {_g(rq[1]):>9} {_g(rq[2]):>9}  {e['source']}")
    L.append("")
    L.append(f"median penalty/gap per family|gamma (gap > {MIN_GAP:g}, finite penalties); "
             "last column: median |eta - L|:")
    names = list(report["bounds"])
    cells = list(report["gap_by_family_gamma"])
    w = {b: max(9, len(b)) for b in names}
    L.append(f"{'family|gamma':<18} " + " ".join(f"{b:>{w[b]}}" for b in names) + f" {'|eta-L|':>10}")
    for k in cells:
        vals = []
        for b in names:
            rq = report["bounds"][b]["by_family_gamma"].get(k, {}).get("ratio_q") or [None] * 3
            vals.append(f"{_g(rq[1]):>{w[b]}}")
        gap = (report["gap_by_family_gamma"].get(k) or [None] * 3)[1]
        L.append(f"{k:<18} " + " ".join(vals) + f" {_g(gap):>10}")
    if report["updates"]:
        L.append("")
        L.append(f"{'update':<14} {'theorem':>7} {'steps':>8} {'non-monotone':>12} {'instances':>9} {'worst gain':>11}")
        for u, e in report["updates"].items():
            L.append(f"{u:<14} {'yes' if e['theorem'] else 'no':>7} {e['steps']:>8} {e['non_monotone_steps']:>12} "
                     f"{e['instances_non_monotone']:>9} {_g(e['worst_gain']):>11}")
        L.append(f"Algorithm 1 steps breaking Eq. (10): {report['updates']['mm']['eq10_failures']}")
    if report["candidates"]:
        L.append("")
        L.append("non-theorems of THEORY.md §6 (violations EXPECTED; found violations, not failures):")
        for cn, e in report["candidates"].items():
            L.append(f"  {cn:<20} found {e['found_violations']:>6} violations in {e['tested']:>7} "
                     f"({100 * e['fraction']:.2f}%), worst slack {_g(e['worst_slack'])}, ids {e['ids'][:8]}")
    saved = report.get("saved_instances") or {}
    if saved:
        L.append("")
        L.append(f"{len(saved)} instance(s) saved in violations/ (replay with experiments.sweep.replay(out, id)): "
                 f"ids {list(saved)[:15]}{' ...' if len(saved) > 15 else ''}")
    return "\n".join(L)


"""Tests of experiments/sweep/report.py: what counts as a failure, which instances are flagged, and
the text report's sections."""

from __future__ import annotations

import numpy as np

from experiments import sweep as SW
from experiments.sweep.report import count_failures, flagged_ids


def _config(res):
    return SW.SweepConfig(**res.report["config"])


def test_a_planted_violation_fails_the_report(base):
    out, res = base
    table = SW.load_results(out)
    clean = SW.build_report(table, _config(res))
    assert clean["passed"] and count_failures(clean) == 0
    table["theorem1_holds"][5] = False       # a theorem broken on instance 5
    table["mm_nonmono"][7] = 2               # two decreasing steps of Algorithm 1 on instance 7
    table["trust_region_nonmono"][9] = 1     # the trust region is not a theorem: reported, not failed
    rep = SW.build_report(table, _config(res))
    assert not rep["passed"] and rep["failures"] == count_failures(rep) == 3
    assert rep["bounds"]["theorem1"]["violating_ids"] == [5]
    assert rep["updates"]["trust_region"]["ids"] == [9]
    flags = flagged_ids(rep)
    assert flags == {5: ["bound:theorem1"], 7: ["non_monotone:mm"], 9: ["non_monotone:trust_region"]}
    text = SW.format_report(rep)
    assert "RESULT: FAIL -- 3 failure(s)" in text


def test_report_numbers_are_the_csv_numbers(base):
    out, res = base
    table, rep = SW.load_results(out), res.report
    ok = table["error"] == ""
    for b, e in rep["bounds"].items():
        assert e["worst_slack"] == float(np.min(table[f"{b}_slack"][ok]))
        assert e["violations"] == int(np.sum(~table[f"{b}_holds"][ok]))
    assert rep["updates"]["cpi"]["steps"] == int(np.sum(table["cpi_steps"]))
    assert sum(c["n"] for c in rep["bounds"]["span"]["by_family_gamma"].values()) == rep["n_instances"]


def test_text_report_leaves_out_empty_sections(base):
    _, res = base
    text = SW.format_report(res.report)
    assert "Algorithm 1 steps breaking Eq. (10)" in text  # updates were run
    assert "non-theorems" not in text                    # no --candidates
    assert "saved in violations/" not in text            # nothing flagged
    no_updates = dict(res.report, updates={}, failures=0)
    assert "Algorithm 1 steps breaking" not in SW.format_report(no_updates)
    blocks = text.split("\n\n")
    assert blocks[0].startswith("sweep: 40 instances") and blocks[1].startswith("bound ")

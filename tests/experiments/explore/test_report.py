"""The one-page report: its CSV numbers are those of tabular and bounds; output is byte-deterministic."""

from __future__ import annotations

import csv

import numpy as np

import bounds as B
import tabular as T
from experiments.explore import layout as L
from experiments.explore.report import explore, write_report


def test_report_numbers_and_determinism(tmp_path):
    mdp = T.two_state()
    lay = L.zoo_layout("two_state", mdp)
    pi = T.uniform(mdp)
    rep = explore(mdp, lay, pi, "trust_region", delta=0.05)
    files = write_report(rep, tmp_path / "a", "r")
    write_report(rep, tmp_path / "b", "r")
    for f in files:
        assert (tmp_path / "b" / f.name).read_bytes() == f.read_bytes(), f.name
    pi_new = B.trust_region_step(mdp, pi, 0.05).pi_new
    with open(files[2]) as fh:
        rows = list(csv.DictReader(fh))
    np.testing.assert_allclose([float(r["V_new"]) for r in rows], T.evaluate(mdp, pi_new).V, rtol=1e-12)
    with open(files[3]) as fh:
        names = [r["name"] for r in csv.DictReader(fh)]
    assert names == B.check_all(mdp, pi, pi_new).names
    assert rep.eta_star == T.optimal(mdp).eta

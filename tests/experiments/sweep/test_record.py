"""Tests of experiments/sweep/record.py: every CSV column against independent numpy computations
of eta and L (Eq. (3) of [TRPO]) and Theorem 1's penalty, on instances rebuilt from ``(seed, i)``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from experiments import sweep as SW
from tabular.instances import sample_instance

from ._helpers import FAMS, GAMMAS, N, STEPS, eta_by_hand, surrogate_by_hand


def test_rows_match_independent_computation(base):
    out, res = base
    t = SW.load_results(out)
    assert list(t["id"]) == list(range(N))
    for i in range(N):
        fam, g = FAMS[i % 4], GAMMAS[(i // 4) % 3]
        assert t["family"][i] == fam and t["gamma"][i] == g  # round robin
        if fam == "frozenlake":
            inst = SW.make_instance(0, i, fam, g)
        else:  # instance i is a function of (seed, i) alone: rebuild it without the sweep
            inst = sample_instance(np.random.default_rng(np.random.SeedSequence([0, i])), family=fam, gamma=g)
        eta_new, _, _ = eta_by_hand(inst.mdp, inst.pi_new)
        L, eta, _, _ = surrogate_by_hand(inst.mdp, inst.pi, inst.pi_new)
        tol = 1e-9 * max(1.0, 1.0 / (1.0 - g))
        assert t["eta_new"][i] == pytest.approx(eta_new, abs=tol)
        assert t["eta"][i] == pytest.approx(eta, abs=tol)
        assert t["surrogate"][i] == pytest.approx(L, abs=tol)
        assert t["gap"][i] == pytest.approx(abs(eta_new - L), abs=2 * tol)
        # Theorem 1 recomputed by hand: penalty C alpha^2, C = 4 eps gamma/(1-gamma)^2
        _, _, A, _ = surrogate_by_hand(inst.mdp, inst.pi, inst.pi_new)
        alpha = 0.5 * np.abs(inst.pi - inst.pi_new).sum(axis=1).max()
        C = 4 * np.abs(A).max() * g / (1 - g) ** 2
        assert t["theorem1_penalty"][i] == pytest.approx(C * alpha**2, rel=1e-9, abs=1e-12)
        assert t["theorem1_slack"][i] == pytest.approx(eta_new - (L - C * alpha**2), abs=tol * (1 + C))
    rep = res.report
    assert rep["n_instances"] == N and rep["passed"] and rep["failures"] == 0
    assert all(e["violations"] == 0 for e in rep["bounds"].values())
    assert all(e["non_monotone_steps"] == 0 for u, e in rep["updates"].items() if e["theorem"])
    assert rep["updates"]["mm"]["steps"] == STEPS * N
    # worst slack per bound equals the CSV minimum
    for b, e in rep["bounds"].items():
        assert e["worst_slack"] == float(np.min(t[f"{b}_slack"]))
    assert json.loads((out / "report.json").read_text())["n_instances"] == N

"""Tests of experiments/sweep/replay.py: a planted non-theorem is found, saved and replayable, and the
saved files alone reproduce the violation by hand."""

from __future__ import annotations

import numpy as np

from experiments import sweep as SW
from tabular import io as tio
from tabular.instances import sample_instance

from ._helpers import eta_by_hand, mean_kl_rhs_by_hand


def test_planted_false_bound_is_found_and_replayable(tmp_path):
    # MDP X at gamma = 0.01 (THEORY.md §6): the mean-KL form fails on some random steps.
    seed, n = 3, 40
    expected = []
    for i in range(n):
        inst = sample_instance(np.random.default_rng(np.random.SeedSequence([seed, i])), family="mdp_x", gamma=0.01)
        eta_new, _, _ = eta_by_hand(inst.mdp, inst.pi_new)
        if eta_new < mean_kl_rhs_by_hand(inst.mdp, inst.pi, inst.pi_new) - 1e-9:
            expected.append(i)
    assert expected, "the fixed seed must contain a counterexample"
    out = tmp_path / "x"
    res = SW.run_sweep(n, ("mdp_x",), (0.01,), seed, out, workers=1, candidates=True, update_steps=1,
                       progress=False, figure=False)
    found = res.report["candidates"]["mean_kl_rho"]
    assert found["ids"] == expected[: SW.MAX_SAVED_EXPECTED]
    assert found["found_violations"] == len(expected)
    assert res.passed  # a non-theorem's violation is a finding, not a failure
    assert "found" in res.text and "EXPECTED" in res.text
    for i in expected:
        assert (out / "violations" / f"{i}.npz").exists()
        r = SW.replay(out, i)
        assert "mean_kl_rho" in r.candidates_violated
        assert r.violated == ()  # the theorems still hold on it
        # the saved files alone reproduce the violation, by hand
        mdp = tio.load(out / "violations" / f"{i}.npz")
        with np.load(out / "violations" / f"{i}.policies.npz") as z:
            pi, pi_new = z["pi"], z["pi_new"]
        eta_new, _, _ = eta_by_hand(mdp, pi_new)
        assert eta_new < mean_kl_rhs_by_hand(mdp, pi, pi_new)

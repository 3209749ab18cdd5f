"""Tests of bounds/counterexamples/frontier.py and continuation.py: the fast mean-KL objective agrees with
the claim itself, embedding keeps the claim's value, certificates are proven exactly at the discount
reported, a resumed job keeps its results, and the committed frontier (figures/frontier) is certified."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import tabular as T
from bounds.counterexamples.certificate import load_certificate, verify_certificate
from bounds.counterexamples.claims import claim_named
from bounds.counterexamples.continuation import Instance, MeanKLObjective, snap_gamma
from bounds.counterexamples.frontier import certify_instance, embed, load_state, point_of, run_job
from bounds.counterexamples.search import relative_slack

FRONTIER = Path(__file__).resolve().parents[3] / "figures" / "frontier"


@pytest.mark.parametrize("weights", ["rho", "d"])
@pytest.mark.parametrize("S,A", [(2, 2), (3, 2), (4, 3)])
def test_fast_objective_agrees_with_the_claim(S, A, weights):
    """Two computations: the performance-difference form of the slack vs tabular.evaluate + the claim."""
    obj = MeanKLObjective(S, A, weights)
    claim = claim_named("mean_kl" if weights == "rho" else "mean_kl_d")
    rng = np.random.default_rng(S * 10 + A)
    for gamma in (0.01, 0.3, 0.9):
        inst = obj.instance(rng.normal(0, 1.5, obj.dim), gamma)
        f, slack, _ = relative_slack(claim, inst.mdp(), inst.pi, inst.pi_new)
        assert inst.slack == pytest.approx(slack, rel=1e-7, abs=1e-11)
        from bounds.counterexamples.search import surrogate_relative_slack
        assert inst.f == pytest.approx(surrogate_relative_slack(claim, inst.mdp(), inst.pi, inst.pi_new)[0], rel=1e-6, abs=1e-9)


def test_pack_inverts_unpack():
    obj = MeanKLObjective(3, 2, "rho")
    inst = obj.instance(np.random.default_rng(0).normal(size=obj.dim), 0.2)
    again = obj.instance(obj.pack(inst), 0.2)
    for a, b in ((inst.P, again.P), (inst.R, again.R), (inst.pi, again.pi), (inst.pi_new, again.pi_new),
                 (inst.rho0, again.rho0)):
        np.testing.assert_allclose(a, b, atol=1e-12)


@pytest.mark.parametrize("weights", ["rho", "d"])
def test_embedding_keeps_the_claims_slack(weights):
    small, big = MeanKLObjective(2, 2, weights), MeanKLObjective(5, 3, weights)
    x = np.random.default_rng(1).normal(0, 1.5, small.dim)
    a = small.instance(x, 0.05)
    b = big.instance(embed(x, 2, 2, 5, 3), 0.05)
    claim = claim_named("mean_kl" if weights == "rho" else "mean_kl_d")
    assert relative_slack(claim, b.mdp(), b.pi, b.pi_new)[1] == pytest.approx(a.slack, rel=1e-9, abs=1e-14)


def _mdp_x_instance(gamma=0.01):
    """THEORY.md §6: the mean-KL form fails on MDP X at gamma = 0.01."""
    m = T.mdp_x(gamma)
    pi = np.full((3, 2), 0.5)
    pn = pi.copy()
    pn[0], pn[2] = (0.45, 0.55), (0.2, 0.8)
    return Instance(m.dense_P(), np.asarray(m.R), m.rho0, gamma, pi, pn)


def test_certify_instance_proves_the_known_violation_at_the_given_discount():
    got = certify_instance(_mdp_x_instance(), Fraction(1, 100), "rho")
    assert got is not None
    cert, ver, _ = got
    assert ver.proven and cert.mdp.gamma == Fraction(1, 100)
    assert verify_certificate(cert.to_dict()).proven  # re-proven from its JSON form


def test_certify_instance_refuses_an_instance_that_holds():
    inst = _mdp_x_instance(0.5)  # the same policies at gamma = 0.5: the claim holds there
    assert relative_slack(claim_named("mean_kl"), T.mdp_x(0.5), inst.pi, inst.pi_new)[1] > 0
    assert certify_instance(inst, Fraction(1, 2), "rho") is None


def test_snap_gamma_is_a_rational_not_above_its_input():
    for g in (0.0123456, 0.5, 1e-7):
        s = snap_gamma(g)
        assert isinstance(s, Fraction) and s > 0 and (s <= g or g < 1e-5)


def test_a_job_certifies_what_it_reports_and_resumes_without_losing_results(tmp_path):
    first = run_job(2, 2, "rho", tmp_path, budget=4.0, maxfev=400)
    state1 = load_state(tmp_path / "mean_kl_rho_2x2.json")
    assert first.certificate is not None, "no certified violation of the mean-KL form at small gamma"
    cert = load_certificate(tmp_path / first.certificate)
    assert cert.mdp.gamma == first.gamma_max  # the reported discount is the certificate's, exactly
    assert verify_certificate(cert).proven
    second = run_job(2, 2, "rho", tmp_path, budget=8.0, maxfev=400)
    state2 = load_state(tmp_path / "mean_kl_rho_2x2.json")
    assert state2["restarts"] >= state1["restarts"]
    assert state2["history"][:len(state1["history"])] == state1["history"]  # the earlier restarts are kept
    assert state2["evaluations"] >= state1["evaluations"]
    assert second.gamma_max >= first.gamma_max
    assert verify_certificate(tmp_path / second.certificate).proven
    assert point_of(state2).effort["restarts"] == state2["restarts"]


def test_run_job_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="weights"):
        run_job(2, 2, "max", tmp_path, budget=1.0)
    with pytest.raises(ValueError, match="budget"):
        run_job(2, 2, "rho", tmp_path, budget=float("inf"))
    with pytest.raises(ValueError, match="S must be"):
        run_job(1, 2, "rho", tmp_path, budget=1.0)


@pytest.mark.skipif(not (FRONTIER / "summary.json").exists(), reason="committed frontier run not present")
def test_committed_frontier_is_certified_at_the_reported_discounts():
    summary = json.loads((FRONTIER / "summary.json").read_text())
    assert summary["jobs"], "the committed summary lists no job"
    for job in summary["jobs"]:
        if job["certificate"] is None:
            continue
        cert = load_certificate(FRONTIER / job["certificate"])
        assert cert.mdp.gamma == Fraction(job["gamma_max"])
        assert cert.mdp.shape == (job["S"], job["A"])
        assert cert.claim == ("mean_kl" if job["weights"] == "rho" else "mean_kl_d")
        assert verify_certificate(cert).proven
    for w, top in summary["frontier"].items():
        assert Fraction(top["gamma_max"]) == max(Fraction(j["gamma_max"]) for j in summary["jobs"] if j["weights"] == w)

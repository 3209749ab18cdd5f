"""Tests of bounds/counterexamples/known.py: the non-theorems of THEORY.md §6 replayed with the
sheet's numbers, and checked by hand against the closed form of eta on MDP X."""

from __future__ import annotations

import pytest

import tabular as T
from bounds.inequalities import kl_bound, theorem1
from bounds.counterexamples import (
    known_counterexamples,
    mean_kl_candidate,
    mean_tv_squared_candidate,
    squared_mean_tv_candidate,
    surrogate_monotone_candidate,
)


def _by_name():
    return {c.name: c for c in known_counterexamples()}


def test_mean_kl_counterexample_matches_theory_sheet():
    c = _by_name()["mean_kl"]
    assert c.violated
    v = c.values
    # THEORY.md §6: eta = -0.0033333, L - C mean_rho KL = -0.0032814 (-0.0032789 with d), max-KL -0.01214
    assert v["eta_new"] == pytest.approx(-0.0033333, abs=5e-8)
    assert v["rhs_mean_rho"] == pytest.approx(-0.0032814, abs=5e-8)
    assert v["rhs_mean_d"] == pytest.approx(-0.0032789, abs=5e-8)
    assert v["rhs_max_kl"] == pytest.approx(-0.01214, abs=5e-6)
    assert v["eta_new"] < v["rhs_mean_rho"] and v["eta_new"] < v["rhs_mean_d"]
    assert kl_bound(c.mdp, c.pi, c.pi_new).holds  # while the max-KL bound holds


def test_quadratic_mean_tv_counterexample_matches_theory_sheet():
    c = _by_name()["mean_tv_quadratic"]
    assert c.violated
    assert c.values["eta_new"] == pytest.approx(-0.07272, abs=5e-6)
    assert c.values["rhs_mean_tv_squared"] == pytest.approx(-0.0095, abs=5e-5)
    assert c.values["rhs_squared_mean_tv"] == pytest.approx(-0.0011, abs=5e-5)
    assert theorem1(c.mdp, c.pi, c.pi_new).holds


def test_larger_surrogate_smaller_eta_matches_theory_sheet():
    c = _by_name()["surrogate_not_monotone"]
    assert c.violated
    assert c.values["surrogate"] == pytest.approx(4.2336, abs=5e-5)
    assert c.values["eta"] == pytest.approx(0.0882, abs=5e-5)
    assert c.values["eta_new"] == pytest.approx(-4.41, abs=5e-3)


def test_mdp_x_values_by_hand():
    """Independent of the evaluator: in MDP X, eta(pi) = gamma/(1-gamma) * pi(a1|s0) * (pi(a0|s2) - pi(a1|s2))
    (the reward at s2 is +1 for a0 and -1 for a1, reached after one step through a1 at s0)."""
    for c in known_counterexamples():
        g = c.mdp.gamma
        for pol in (c.pi, c.pi_new):
            by_hand = g / (1 - g) * pol[0, 1] * (pol[2, 0] - pol[2, 1])
            assert T.evaluate(c.mdp, pol).eta == pytest.approx(by_hand, abs=1e-14)


def test_surrogate_monotone_candidate_is_the_claim_eta_new_ge_eta():
    c = {c.name: c for c in known_counterexamples()}["surrogate_not_monotone"]
    assert surrogate_monotone_candidate(c.mdp, c.pi, c.pi_new) == pytest.approx(c.values["eta"])
    assert surrogate_monotone_candidate(c.mdp, c.pi, c.pi) == -float("inf")  # L = eta: no claim

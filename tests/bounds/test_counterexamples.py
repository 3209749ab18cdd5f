"""Tests of bounds/counterexamples.py: the non-theorems of THEORY.md §6 replayed with the sheet's
numbers, and find_violation discovering a violation of the mean-KL form on its own."""

from __future__ import annotations

import numpy as np
import pytest

import tabular as T
from bounds.core import kl_bound, theorem1
from bounds.counterexamples import (
    find_violation,
    known_counterexamples,
    mean_kl_candidate,
    mean_tv_squared_candidate,
    squared_mean_tv_candidate,
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


def _dense_eta(mdp, pi):
    """eta by a numpy solve, independent of tabular.evaluate."""
    P = mdp.dense_P()
    Ppi = np.einsum("sa,sat->st", pi, P)
    V = np.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * Ppi, (pi * mdp.R).sum(1))
    return float(mdp.rho0 @ V)


def test_find_violation_discovers_the_mean_kl_failure_on_its_own():
    """No replay of the known instance: random restarts and Nelder-Mead from seeded random starts."""
    res = find_violation(mean_kl_candidate, rng=0, n_restarts=12)
    assert res.found, f"no violation found; smallest relative slack {res.rel_slack}"
    # replay the instance with an independent evaluation
    eta_new = _dense_eta(res.mdp, res.pi_new)
    assert eta_new == pytest.approx(res.eta_new, abs=1e-12)
    assert eta_new < mean_kl_candidate(res.mdp, res.pi, res.pi_new) - 1e-12
    # and the true (max-KL) bound still holds there
    assert kl_bound(res.mdp, res.pi, res.pi_new).holds


@pytest.mark.parametrize("cand", [mean_tv_squared_candidate, squared_mean_tv_candidate])
def test_find_violation_discovers_the_mean_tv_failures(cand):
    res = find_violation(cand, rng=1, n_restarts=12)
    assert res.found
    assert _dense_eta(res.mdp, res.pi_new) < cand(res.mdp, res.pi, res.pi_new)


def test_find_violation_reports_smallest_slack_for_a_true_bound():
    res = find_violation(theorem1, rng=2, n_restarts=2, maxiter=150)
    assert not res.found
    assert res.slack >= -1e-12
    assert res.rel_slack >= -1e-9
    assert res.n_restarts == 2


def test_find_violation_accepts_a_template_mdp():
    res = find_violation(mean_kl_candidate, rng=0, n_restarts=3, template=T.mdp_x(0.01),
                         optimize_gamma=False, optimize_rewards=False, maxiter=300)
    assert res.mdp.gamma == pytest.approx(0.01)
    np.testing.assert_array_equal(res.mdp.R, T.mdp_x().R)


def test_find_violation_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_restarts"):
        find_violation(theorem1, n_restarts=0)
    with pytest.raises(ValueError, match="gamma_range"):
        find_violation(theorem1, gamma_range=(0.5, 1.0))

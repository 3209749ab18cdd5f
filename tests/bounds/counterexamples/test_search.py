"""Tests of bounds/counterexamples/search.py: find_violation discovers the non-theorems of THEORY.md §6
on its own (Nelder-Mead and CMA-ES), reports the smallest slack of a true bound, and rejects bad input."""

from __future__ import annotations

import numpy as np
import pytest

import tabular as T
from bounds.core import kl_bound, theorem1
from bounds.counterexamples import (
    find_violation,
    mean_kl_candidate,
    mean_tv_squared_candidate,
    squared_mean_tv_candidate,
)


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


def test_cma_es_finds_the_mean_kl_failure_and_reports_its_method():
    res = find_violation(mean_kl_candidate, rng=3, n_restarts=8, method="cma", maxiter=1500)
    assert res.found and res.method == "cma"
    assert _dense_eta(res.mdp, res.pi_new) < mean_kl_candidate(res.mdp, res.pi, res.pi_new)
    assert "found=True" in repr(res)


def test_time_budget_stops_the_search():
    res = find_violation(theorem1, rng=0, n_restarts=None, time_budget=1.0, method="portfolio")
    assert not res.found and res.seconds < 5.0 and res.n_restarts >= 1


def test_optimized_transitions_give_valid_instances():
    res = find_violation(squared_mean_tv_candidate, rng=4, n_restarts=6, optimize_transitions=True)
    assert res.found
    np.testing.assert_allclose(res.mdp.dense_P().sum(axis=2), 1.0)


def test_find_violation_rejects_bad_method_and_budget():
    with pytest.raises(ValueError, match="method"):
        find_violation(theorem1, method="bfgs")
    with pytest.raises(ValueError, match="time_budget"):
        find_violation(theorem1, time_budget=-1)
    with pytest.raises(TypeError, match="template"):
        find_violation(theorem1, template="mdp_x")

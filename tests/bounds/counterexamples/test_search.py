"""Tests of bounds/counterexamples/search.py: find_violation discovers the non-theorems of THEORY.md §6
on its own (Nelder-Mead and CMA-ES), reports the smallest slack of a true bound, and rejects bad input."""

from __future__ import annotations

import numpy as np
import pytest

import tabular as T
from bounds.inequalities import kl_bound, theorem1
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


# ----------------------------------------------------------------------------- claim failures, effort, arguments
def _raises_off_mdp_x(mdp, pi, pi_new):
    if mdp.gamma > 0.5:
        raise ValueError("this claim cannot handle gamma > 0.5")
    return -np.inf


def test_a_claim_that_raises_is_a_failure_of_the_claim_with_its_instance():
    res = find_violation(_raises_off_mdp_x, rng=0, n_restarts=6, gamma_range=(0.6, 0.9), maxiter=50)
    assert res.found and res.failure is not None and "ValueError" in res.failure
    assert 0.6 <= res.mdp.gamma <= 0.9  # the instance it failed on is reported
    with pytest.raises(ValueError):
        _raises_off_mdp_x(res.mdp, res.pi, res.pi_new)


def test_a_claim_that_returns_nan_is_a_failure_not_a_holding_bound():
    res = find_violation(lambda m, p, q: float("nan"), rng=0, n_restarts=3, maxiter=50)
    assert res.found and "NaN" in res.failure
    assert "failure" in repr(res)


def test_the_result_reports_the_effort_behind_a_negative_answer():
    res = find_violation(theorem1, rng=2, n_restarts=3, maxiter=100, gamma_range=(0.2, 0.7), n_states=2)
    assert not res.found and res.failure is None
    e = res.effort()
    assert e["restarts"] == 3 and e["evaluations"] == res.n_evaluations > 0
    assert e["gamma_range"] == (0.2, 0.7) and e["sizes"] == ((2, 2),)
    assert set(e["methods"]) <= {"nelder-mead", "cma"} and set(e["objectives"]) <= {"value", "surrogate"}
    assert "instances in 3 restarts" in res.effort_text() and "[0.2, 0.7]" in res.effort_text()


@pytest.mark.parametrize("kwargs, exc, word", [
    (dict(gamma_range="0.1,0.5"), TypeError, "gamma_range"),
    (dict(gamma_range=(0.1,)), TypeError, "gamma_range"),
    (dict(time_budget=float("inf")), ValueError, "time_budget"),
    (dict(time_budget=float("nan")), ValueError, "time_budget"),
    (dict(time_budget="5"), TypeError, "time_budget"),
    (dict(n_restarts=2.5), TypeError, "n_restarts"),
    (dict(n_states="3"), TypeError, "n_states"),
    (dict(n_actions=0), ValueError, "n_actions"),
    (dict(maxiter=0), ValueError, "maxiter"),
    (dict(stop_at_first="yes"), TypeError, "stop_at_first"),
    (dict(optimize_transitions=1), TypeError, "optimize_transitions"),
    (dict(objective="ratio"), ValueError, "objective"),
])
def test_every_argument_is_validated_by_name(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        find_violation(theorem1, **kwargs)
    with pytest.raises(TypeError, match="candidate_bound"):
        find_violation("theorem1")


def test_surrogate_relative_slack_is_bounded_and_signed_like_the_slack():
    from bounds.counterexamples.search import surrogate_relative_slack

    rng = np.random.default_rng(5)
    for _ in range(20):
        mdp = T.garnet(3, 2, branching=2, gamma=float(rng.uniform(0.05, 0.95)), rng=rng)
        pi, pn = T.random_policy(mdp, rng=rng), T.random_policy(mdp, rng=rng)
        for cand in (theorem1, mean_kl_candidate):
            g, slack, rhs = surrogate_relative_slack(cand, mdp, pi, pn)
            L = T.surrogate(mdp, pi, pn)  # independent: L from tabular, eta by a numpy solve
            eta_new = _dense_eta(mdp, pn)
            expected = (eta_new - rhs) / (abs(eta_new - L) + abs(L - rhs) + 1e-8 * max(1, np.abs(mdp.R).max() / (1 - mdp.gamma)))
            assert g == pytest.approx(expected, rel=1e-6, abs=1e-9)
            assert -1 - 1e-12 <= g <= 1 + 1e-12 and np.sign(g) == np.sign(slack)

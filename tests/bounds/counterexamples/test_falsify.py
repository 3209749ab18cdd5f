"""Tests of bounds/counterexamples/falsify.py: a false claim is found and certified exactly, a true one is
reported with the effort behind "not found", a failing claim is a failure, and bad input is refused."""

from __future__ import annotations

import math

import pytest

from bounds.counterexamples import falsify, verify_certificate
from bounds.counterexamples.claims import claim_named
from bounds.counterexamples.search import rhs_of
from tabular.evaluation import evaluate


def test_a_false_claim_is_found_and_proven_exactly():
    res = falsify("squared_mean_tv", time_budget=20.0, rng=0, rounds=6)  # no clock in the search
    assert res.found and res.verification.proven
    assert verify_certificate(res.certificate.to_dict()).proven  # re-proven from JSON, no floating point
    m, p, q = res.certificate.float_instance()  # and violated in floating point by an independent replay
    assert evaluate(m, q).eta < rhs_of(claim_named("squared_mean_tv"), m, p, q)
    assert res.effort["evaluations"] >= res.search.n_evaluations > 0


def test_a_true_bound_reports_its_effort():
    res = falsify("theorem1", time_budget=4.0, rng=1, gamma_range=(0.3, 0.8))
    assert not res.found
    e = res.effort
    assert e["evaluations"] > 0 and e["restarts"] >= 1 and e["seconds"] > 0
    assert e["gamma_range"] == (0.3, 0.8) and (2, 2) in e["sizes"]
    text = res.effort_text()
    assert "instances" in text and "[0.3, 0.8]" in text and "2x2" in text


def test_a_counted_search_does_not_depend_on_the_clock():
    """With ``rounds``, a short and a long time budget search the same instances (the budget then bounds
    only the shrink): the answer cannot depend on how fast or loaded the machine is."""
    a = falsify("theorem1", time_budget=1.0, rng=2, rounds=1, n_states=2, n_actions=2)
    b = falsify("theorem1", time_budget=500.0, rng=2, rounds=1, n_states=2, n_actions=2)
    assert not a.found and not b.found and a.n_rounds == b.n_rounds == 1
    assert a.effort["evaluations"] == b.effort["evaluations"] > 0
    assert a.search.rel_slack == b.search.rel_slack


def test_a_claim_that_raises_is_reported_as_its_failure():
    def fragile(mdp, pi, pi_new):
        raise RuntimeError("not defined here")

    res = falsify(fragile, time_budget=3.0, rng=0)
    assert res.found and res.search.failure is not None and "RuntimeError" in res.search.failure
    assert "failed" in res.verification.message and not res.verification.proven


@pytest.mark.parametrize("kwargs, exc, word", [
    (dict(time_budget=math.inf), ValueError, "time_budget"),
    (dict(time_budget=-1.0), ValueError, "time_budget"),
    (dict(gamma_range="0.1,0.5"), TypeError, "gamma_range"),
    (dict(n_states=0), ValueError, "n_states"),
    (dict(max_denominator=1.5), ValueError, "max_denominator"),
    (dict(rounds=0), ValueError, "rounds"),
    (dict(rounds=2.0), ValueError, "rounds"),
])
def test_falsify_rejects_bad_arguments(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        falsify("theorem1", **kwargs)

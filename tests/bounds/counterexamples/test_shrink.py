"""Tests of bounds/counterexamples/shrink.py: from random starts, search + shrinking produce the
non-theorems of THEORY.md §6 as counterexamples with at most 3 states, 2 actions and denominators of
at most 100, each proven violated exactly; shrinking keeps the violation and reduces the size."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from bounds.counterexamples import find_violation, known_counterexamples
from bounds.counterexamples.claims import claim_named
from bounds.counterexamples.shrink import round_row, shrink
from tabular.evaluation import evaluate


@pytest.mark.parametrize("name,seed,S,A", [
    ("mean_kl", 0, 3, 2),            # the mean-KL failure is rare: search at MDP X's size
    ("mean_tv_squared", 1, 4, 3),    # start larger: shrinking must reduce the size
    ("surrogate_monotone", 0, 4, 3),
])
def test_search_then_shrink_gives_small_rational_counterexamples(name, seed, S, A):
    claim = claim_named(name)
    found = find_violation(claim, rng=seed, n_restarts=30, n_states=S, n_actions=A, method="nelder-mead",
                           objective="value")  # the search these cases were written for
    assert found.found
    sh = shrink(claim, found.mdp, found.pi, found.pi_new, max_denominator=100, time_budget=20)
    assert sh.shape[0] <= 3 and sh.shape[1] <= 2, sh
    assert sh.shape[0] * sh.shape[1] <= S * A
    assert sh.max_denominator <= 100, sh
    assert sh.verification.proven and sh.verification.violated_by > 0
    # the float image still violates the claim, replayed from scratch
    pi, pn = np.array(sh.pi, dtype=float), np.array(sh.pi_new, dtype=float)
    assert evaluate(sh.mdp, pn).eta < claim(sh.mdp, pi, pn)
    table = sh.table()
    assert f"gamma = {sh.exact_mdp.gamma}" in table.replace(" ", " ") and "pi_new(a|s)" in table


def test_shrinking_a_user_claim_keeps_the_violation_and_reduces_the_size():
    def no_penalty(mdp, pi, pi_new):  # "eta_new >= L": false whenever gamma > 0
        ev = evaluate(mdp, pi)
        return float(ev.eta + ev.rho @ np.einsum("sa,sa->s", pi_new, ev.A))

    found = find_violation(no_penalty, rng=2, n_restarts=5, n_states=5, n_actions=3, method="nelder-mead",
                           objective="value")
    assert found.found
    sh = shrink(no_penalty, found.mdp, found.pi, found.pi_new, time_budget=10)
    assert sh.shape[0] < 5 and sh.shape[1] < 3 and sh.violated and sh.verification is None
    assert sh.slack < 0 and sh.max_denominator <= 100
    assert "shrink_steps" in sh.certificate().to_dict()["provenance"]


def test_round_row_sums_to_one_with_common_denominator():
    r = round_row([0.333, 0.333, 0.334], 7)
    assert sum(r) == 1 and all(Fraction(v).denominator in (1, 7) for v in r)
    assert round_row([0.2, 0.8], 5) == (Fraction(1, 5), Fraction(4, 5))


def test_shrink_rejects_a_non_violation_and_bad_arguments():
    c = known_counterexamples()[0]
    with pytest.raises(ValueError, match="does not violate"):
        shrink("theorem1", c.mdp, c.pi, c.pi_new)
    with pytest.raises(ValueError, match="max_denominator"):
        shrink("mean_kl", c.mdp, c.pi, c.pi_new, max_denominator=0)
    with pytest.raises(TypeError, match="mdp"):
        shrink("mean_kl", "mdp_x", c.pi, c.pi_new)

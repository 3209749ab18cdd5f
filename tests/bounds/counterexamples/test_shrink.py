"""Tests of bounds/counterexamples/shrink.py: from random starts, search + shrinking produce the
non-theorems of THEORY.md §6 as counterexamples, each proven violated exactly, never larger than the
instance found, with every number rounded as shrink promises (a denominator of at most
``max_denominator``, or a power of ten or of two where no small one keeps the violation).

Search and shrink run under time budgets and floating-point accept/reject decisions, so where they
stop differs between machines: the tests assert what holds on every path, never where a run ended."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from bounds.counterexamples import find_violation, known_counterexamples
from bounds.counterexamples.certificate import make_certificate, verify_certificate
from bounds.counterexamples.claims import claim_named
from bounds.counterexamples.shrink import round_row, shrink
from tabular.evaluation import evaluate


def _numbers(sh) -> list:
    """Every rational of a shrunk instance, read from the exact objects (not from ``max_denominator``)."""
    em = sh.exact_mdp
    return ([em.gamma, *em.rho0] + [v for row in em.R for v in row] + [v for rows in em.P for row in rows for v in row]
            + [v for row in sh.pi + sh.pi_new for v in row])


def _allowed_denominator(d: int, max_den: int) -> bool:
    """What shrink's rounding can produce: a denominator up to ``max_den`` (or a divisor of the 10^k it
    tries next, k <= 12), or a power of two (a group kept at its exact binary value)."""
    return d <= max_den or 10**12 % d == 0 or d & (d - 1) == 0


def _check_shrunk(claim, sh, S: int, A: int, max_den: int) -> None:
    assert sh.shape[0] <= S and sh.shape[1] <= A  # never larger than the instance found
    nums = _numbers(sh)
    assert all(isinstance(v, Fraction) for v in nums)
    dens = [v.denominator for v in nums]
    assert sh.max_denominator == max(dens)
    assert all(_allowed_denominator(d, max_den) for d in dens), sorted(set(dens))
    # the float image still violates the claim, replayed from scratch
    pi, pn = np.array(sh.pi, dtype=float), np.array(sh.pi_new, dtype=float)
    assert evaluate(sh.mdp, pn).eta < claim(sh.mdp, pi, pn)


@pytest.mark.parametrize("name,seed,S,A", [
    ("mean_kl", 0, 3, 2),            # the mean-KL failure is rare: search at MDP X's size
    ("mean_tv_squared", 1, 4, 3),    # start larger: shrinking may reduce the size
    ("surrogate_monotone", 0, 4, 3),
])
def test_search_then_shrink_gives_small_rational_counterexamples(name, seed, S, A):
    claim = claim_named(name)
    found = find_violation(claim, rng=seed, n_restarts=30, n_states=S, n_actions=A, method="nelder-mead",
                           objective="value")  # the search these cases were written for
    assert found.found
    # the instance found is a violation, proven exactly at the binary values of its floats
    v0 = verify_certificate(make_certificate(found.mdp, found.pi, found.pi_new, name))
    assert v0.proven and v0.violated_by > 0
    sh = shrink(claim, found.mdp, found.pi, found.pi_new, max_denominator=100, time_budget=20)
    assert sh.verification.proven and sh.verification.violated_by > 0
    # and the verification is the one an independent certificate gives
    again = verify_certificate(make_certificate(sh.exact_mdp, sh.pi, sh.pi_new, name))
    assert again.proven and again.violated_by > 0
    _check_shrunk(claim, sh, *found.mdp.shape, 100)
    table = sh.table()
    assert f"S = {sh.shape[0]}, A = {sh.shape[1]}" in table and "pi_new(a|s)" in table
    # shrinking the shrunk counterexample again keeps a proven violation and never grows it
    sh2 = shrink(claim, sh.mdp, np.array(sh.pi, dtype=float), np.array(sh.pi_new, dtype=float),
                 max_denominator=100, time_budget=5)
    assert sh2.verification.proven and sh2.verification.violated_by > 0
    _check_shrunk(claim, sh2, *sh.shape, 100)


def test_shrinking_a_user_claim_keeps_the_violation_and_never_grows():
    def no_penalty(mdp, pi, pi_new):  # "eta_new >= L": false whenever gamma > 0
        ev = evaluate(mdp, pi)
        return float(ev.eta + ev.rho @ np.einsum("sa,sa->s", pi_new, ev.A))

    found = find_violation(no_penalty, rng=2, n_restarts=5, n_states=5, n_actions=3, method="nelder-mead",
                           objective="value")
    assert found.found
    sh = shrink(no_penalty, found.mdp, found.pi, found.pi_new, time_budget=10)
    assert sh.violated and sh.verification is None and sh.slack < 0
    _check_shrunk(no_penalty, sh, 5, 3, 100)
    assert "shrink_steps" in sh.certificate().to_dict()["provenance"]


def test_structure_reduction_drops_an_action_that_copies_another():
    """A known counterexample with an extra action that duplicates action 0 (same P and R, no mass under
    either policy): dropping the copy leaves the very same instance, so the structure stage (run
    without a deadline: no time budget decides here) always ends with at most the original actions."""
    import math

    from bounds.counterexamples.shrink import _Inst, _reduce_structure

    c = next(k for k in known_counterexamples() if k.name == "mean_kl")
    m = c.mdp
    S, A = m.shape
    pad = lambda x, fill: np.concatenate([np.asarray(x, dtype=float), fill], axis=1)  # noqa: E731
    inst = _Inst(pad(m.dense_P(), m.dense_P()[:, :1]), pad(m.R, m.R[:, :1]), np.array(m.rho0, dtype=float),
                 float(m.gamma), pad(c.pi, np.zeros((S, 1))), pad(c.pi_new, np.zeros((S, 1))), {})
    log = []
    small = _reduce_structure(claim_named("mean_kl"), inst, log, math.inf, [])
    assert small.R.shape[1] <= A and small.R.shape[0] <= S and log
    mdp, pi, pn = small.build()
    assert evaluate(mdp, pn).eta < claim_named("mean_kl")(mdp, pi, pn)


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

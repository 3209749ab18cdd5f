"""Tests of bounds/counterexamples/weakened.py and of the default search against it: every true bound,
weakened (half or a quarter of its penalty, one more power of the TV distance), must be falsified by
``find_violation`` with its default budget, near gamma = 0 and near gamma = 1 - wherever it is known false:
a variant whose factor is at least the bound's certified worst ratio in that band (figures/tightness) may be
a true bound there, and is skipped with that reason.

The claims are BUILT from the list of true bounds (``true_bounds()``: today ``CLAIMS`` with ``theorem=True``;
point it at the bound registry when there is one), not listed by hand."""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import tabular as T
from bounds.counterexamples.claims import CLAIMS
from bounds.counterexamples.search import find_violation, rhs_of
from bounds.counterexamples.weakened import KNOWN_TRUE, weakened_claims

NEAR = {"near 0": (1e-3, 0.1), "near 1": (0.9, 0.99)}
TIGHTNESS = Path(__file__).resolve().parents[3] / "figures" / "tightness" / "summary.json"


def certified_worst_ratio(base: str, gamma_range: tuple) -> Fraction | None:
    """The committed tightness run's certified worst ratio (L - eta_new) / penalty of ``base``'s lower side
    over ``gamma_range`` (figures/tightness, each band's instance proven exactly), or None if not measured."""
    for row in json.loads(TIGHTNESS.read_text())["rows"]:
        if row["bound"] == base and row["side"] == "lower":
            for band in row["bands"]:
                if tuple(band["gamma_range"]) == tuple(gamma_range) and band.get("verified"):
                    return Fraction(band["c"])
    return None


def known_false(claim, where: str) -> tuple[bool, str]:
    """Whether a weakened variant is known false in the band ``where``: a factor-``f`` variant is false there
    iff some instance in the band has ratio > f; the tightness run certifies one when its worst ratio c > f.
    If c <= f, nothing shows the variant false in that band (it may be a true bound there), so no search can
    be required to falsify it. The *tv variants are always required."""
    if claim.kind != "factor":
        return True, ""
    c = certified_worst_ratio(claim.base.name, NEAR[where])
    if c is None or c > Fraction(claim.factor):
        return True, ""
    return False, (f"{claim.name} {where}: not known false - the certified worst ratio of {claim.base.name} in "
                   f"gamma {NEAR[where]} is {c} <= {claim.factor} (figures/tightness): it may be a true bound there")


def true_bounds() -> list:
    """The true bounds the weakened claims are built from: the theorems of the bound registry (CLAIMS is its view)."""
    return [c for c in CLAIMS.values() if c.theorem]


def _dense_eta(mdp, pi):
    """eta by a numpy solve, independent of tabular.evaluate."""
    Ppi = np.einsum("sa,sat->st", pi, mdp.dense_P())
    V = np.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * Ppi, (pi * mdp.R).sum(1))
    return float(mdp.rho0 @ V)


def test_the_builder_makes_three_variants_of_every_true_bound_but_the_known_true_ones():
    bounds = true_bounds()
    names = {w.name for w in weakened_claims(bounds)}
    expected = {b.name + tag for b in bounds for tag in ("/2", "/4", "*tv")} - set(KNOWN_TRUE)
    assert names == expected
    assert all(CLAIMS[v].theorem for v in KNOWN_TRUE.values())  # what is skipped is itself a true bound
    with pytest.raises(TypeError, match="claims"):
        weakened_claims([lambda m, p, q: 0.0])


def test_a_weakened_claim_is_the_bound_with_a_smaller_penalty():
    """Independent recomputation: L from tabular.surrogate, the penalty from the base claim."""
    rng = np.random.default_rng(0)
    by_name = {w.name: w for w in weakened_claims(true_bounds())}
    for _ in range(5):
        mdp = T.garnet(3, 2, branching=2, gamma=float(rng.uniform(0.1, 0.9)), rng=rng)
        pi, pn = T.random_policy(mdp, rng=rng), T.random_policy(mdp, rng=rng)
        for base in ("theorem1", "spi", "cpo_tv"):
            rhs, L = rhs_of(CLAIMS[base], mdp, pi, pn), T.surrogate(mdp, pi, pn)
            alpha = 0.5 * np.abs(pi - pn).sum(1).max()
            assert by_name[base + "/4"](mdp, pi, pn) == pytest.approx(L - (L - rhs) / 4, rel=1e-12, abs=1e-12)
            assert by_name[base + "*tv"](mdp, pi, pn) == pytest.approx(L - (L - rhs) * alpha, rel=1e-12, abs=1e-12)
            assert by_name[base + "/2"](mdp, pi, pn) >= rhs - 1e-12  # a smaller penalty claims more


def _check_found(name, where):
    claim = {w.name: w for w in weakened_claims(true_bounds())}[name]
    false, why = known_false(claim, where)
    if not false:
        pytest.skip(why)
    res = find_violation(claim, rng=0, gamma_range=NEAR[where])  # the default budget
    assert res.found and res.failure is None, f"{name} {where}: {res!r}; {res.effort_text()}"
    assert _dense_eta(res.mdp, res.pi_new) < claim(res.mdp, res.pi, res.pi_new)  # replayed independently
    lo, hi = NEAR[where]
    assert lo <= res.mdp.gamma <= hi


def test_only_variants_not_known_false_are_excused():
    """theorem1's worst ratio in [0.9, 0.99] is certified near 0.26: its C/2 variant is excused there, its C/4
    variant is not; near 0 (ratio near 1) neither is."""
    by_name = {w.name: w for w in weakened_claims(true_bounds())}
    assert not known_false(by_name["theorem1/2"], "near 1")[0]
    assert known_false(by_name["theorem1/4"], "near 1")[0]
    assert known_false(by_name["theorem1/2"], "near 0")[0] and known_false(by_name["theorem1*tv"], "near 1")[0]
    assert Fraction(1, 4) < certified_worst_ratio("theorem1", NEAR["near 1"]) < Fraction(1, 2)


@pytest.mark.parametrize("name, where", [("spi/4", "near 1"), ("theorem1/4", "near 0")])
def test_the_default_search_exposes_weakened_bounds(name, where):
    _check_found(name, where)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("RUN_SLOW"), reason="slow: set RUN_SLOW=1")
@pytest.mark.parametrize("where", sorted(NEAR))
@pytest.mark.parametrize("name", [w.name for w in weakened_claims(true_bounds())])
def test_every_weakened_bound_is_falsified_by_the_default_search(name, where):
    _check_found(name, where)

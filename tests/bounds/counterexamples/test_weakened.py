"""Tests of bounds/counterexamples/weakened.py and of the default search against it: every true bound,
weakened (half or a quarter of its penalty, one more power of the TV distance), must be falsified by
``find_violation`` with its default budget, near gamma = 0 and near gamma = 1.

The claims are BUILT from the list of true bounds (``true_bounds()``: today ``CLAIMS`` with ``theorem=True``;
point it at the bound registry when there is one), not listed by hand."""

from __future__ import annotations

import os

import numpy as np
import pytest

import tabular as T
from bounds.counterexamples.claims import CLAIMS
from bounds.counterexamples.search import find_violation, rhs_of
from bounds.counterexamples.weakened import KNOWN_TRUE, weakened_claims

NEAR = {"near 0": (1e-3, 0.1), "near 1": (0.9, 0.99)}


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
    res = find_violation(claim, rng=0, gamma_range=NEAR[where])  # the default budget
    assert res.found and res.failure is None, f"{name} {where}: {res!r}; {res.effort_text()}"
    assert _dense_eta(res.mdp, res.pi_new) < claim(res.mdp, res.pi, res.pi_new)  # replayed independently
    lo, hi = NEAR[where]
    assert lo <= res.mdp.gamma <= hi


@pytest.mark.parametrize("name, where", [("spi/4", "near 1"), ("theorem1/4", "near 0")])
def test_the_default_search_exposes_weakened_bounds(name, where):
    _check_found(name, where)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("RUN_SLOW"), reason="slow: set RUN_SLOW=1")
@pytest.mark.parametrize("where", sorted(NEAR))
@pytest.mark.parametrize("name", [w.name for w in weakened_claims(true_bounds())])
def test_every_weakened_bound_is_falsified_by_the_default_search(name, where):
    _check_found(name, where)

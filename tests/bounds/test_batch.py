"""Tests of bounds/check_batch.py: the batched table equals check_all (penalty, slack, upper slack, holds) on
random instances of every family, infinite KL included; the batched non-theorems equal the float
functions of bounds.counterexamples.known (written independently)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tabular as T
from bounds import counterexamples as ce
from bounds.check_batch import check_all_batch
from bounds.registry import registered, registry_names
from bounds.inequalities import check_all
from tabular.mdp_batch import MDPBatch
from tabular.instances import ALL_FAMILIES, sample_instance


def _close(a, b, scale):
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= 1e-10 * scale * (1.0 + abs(a))


@pytest.fixture(scope="module")
def tables():
    """600 instances of every family and discount, their batched and scalar tables."""
    insts = []
    for j, child in enumerate(np.random.SeedSequence(11).spawn(600)):
        insts.append(sample_instance(child, family=ALL_FAMILIES[j % len(ALL_FAMILIES)],
                                     gamma=(0.0, 0.5, 0.9, 0.99)[(j // 8) % 4]))
    out = []
    for A in sorted({x.mdp.n_actions for x in insts}):
        xs = sorted((x for x in insts if x.mdp.n_actions == A), key=lambda x: x.mdp.n_states)
        b = MDPBatch.from_mdps([x.mdp for x in xs])
        bb = check_all_batch(b, b.policy_rows([x.pi for x in xs]), b.policy_rows([x.pi_new for x in xs]),
                             theorems=None)
        out += [(x, bb, k, check_all(x.mdp, x.pi, x.pi_new)) for k, x in enumerate(xs)]
    return out


def test_every_common_bound_agrees_with_check_all(tables):
    names = set(check_all(T.two_state(0.5), np.full((2, 2), 0.5), np.full((2, 2), 0.5)).names)
    common = names & set(tables[0][1].names)
    assert common == names and len(common) >= 11  # every theorem of the registry
    n_inf = 0
    for x, bb, k, tab in tables:
        scale = max(1.0, float(np.abs(x.mdp.R).max()) / (1.0 - x.mdp.gamma))
        assert bb.eta[k] == pytest.approx(tab[0].eta, abs=1e-12 * scale)
        assert bb.eta_new[k] == pytest.approx(tab[0].eta_new, abs=1e-12 * scale)
        assert bb.surrogate[k] == pytest.approx(tab[0].surrogate, abs=1e-12 * scale)
        assert bb.atol[k] == tab[0].atol
        for name in common:
            r = tab[name]
            assert _close(bb.penalty[name][k], r.penalty, scale), (name, x, bb.penalty[name][k], r.penalty)
            assert _close(bb.slack[name][k], r.slack, scale), (name, x)
            up = r.surrogate + r.penalty - r.eta_new if r.two_sided else math.inf
            assert _close(bb.upper_slack[name][k], up, scale), (name, x)
            assert bool(bb.holds[name][k]) == r.holds, (name, x)
        n_inf += math.isinf(tab["kl_max"].penalty)
        assert not bb.nan[k]
    assert n_inf >= 3  # infinite KL (pi_new drops an action of pi) is well represented


def test_two_sidedness_and_order_match_check_all():
    tab = check_all(T.two_state(0.9), np.full((2, 2), 0.5), np.array([[0.2, 0.8], [0.6, 0.4]]))
    b = MDPBatch.from_mdps([T.two_state(0.9)])
    bb = check_all_batch(b, np.full((2, 2), 0.5), np.array([[0.2, 0.8], [0.6, 0.4]]))
    assert list(bb.names) == tab.names == list(registry_names(True))
    for r in tab:
        assert (bb.upper_slack[r.name][0] < math.inf) == r.two_sided, r.name


def test_candidates_equal_bounds_counterexamples(tables):
    fns = {"mean_kl_rho": lambda m, p, q: ce.mean_kl_candidate(m, p, q, "rho"),
           "mean_kl_d": lambda m, p, q: ce.mean_kl_candidate(m, p, q, "d"),
           "mean_tv_squared": ce.mean_tv_squared_candidate, "squared_mean_tv": ce.squared_mean_tv_candidate}
    assert set(fns) | {"surrogate_monotone"} == ({b.name for b in registered(False)} | {"mean_kl_rho"}) - {"mean_kl"}
    for x, bb, k, _ in tables[::3]:
        cand = {"mean_kl_rho": bb.rhs["mean_kl"], "mean_kl_d": bb.rhs["mean_kl_d"],
                "mean_tv_squared": bb.rhs["mean_tv_squared"], "squared_mean_tv": bb.rhs["squared_mean_tv"]}
        scale = max(1.0, float(np.abs(x.mdp.R).max()) / (1.0 - x.mdp.gamma))
        for name, fn in fns.items():
            got = float(cand[name][k])
            assert _close(got, fn(x.mdp, x.pi, x.pi_new), scale), (name, x)


def test_mdp_x_counterexample_in_batched_form():
    """THEORY.md §6: on MDP X at gamma = 0.01 the mean-KL form exceeds eta(pi_new) (batched too)."""
    ex = next(c for c in ce.known_counterexamples() if c.name == "mean_kl")
    b = MDPBatch.from_mdps([ex.mdp])
    bb = check_all_batch(b, ex.pi, ex.pi_new, theorems=None)
    assert float(bb.rhs["mean_kl"][0]) > bb.eta_new[0] and not bb.holds["mean_kl"][0]
    assert all(bool(bb.holds[n][0]) for n in registry_names(True))

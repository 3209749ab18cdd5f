"""Tests of [CPO] Theorem 1 in ``bounds/inequalities.py`` (``cpo_general_bound``, ``cpo_f_tightening``,
the ``"cpo_general"`` entry of ``check_all``): Cor. 1 at ``f = V_pi``, equality at ``f = V_pi_new``,
a direct numpy computation, the bound for arbitrary ``f`` as a property, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounds.inequalities import check_all, cpo_bound, cpo_f_tightening, cpo_general_bound
from tabular import evaluate, garnet, random_policy
from tabular.strategies import policy_pairs


@settings(max_examples=60, deadline=None)
@given(policy_pairs(max_states=5, max_actions=3), st.integers(0, 2**31 - 1))
def test_bound_holds_for_every_f(case, seed):
    mdp, pi, pi_new = case
    rng = np.random.default_rng(seed)
    for f in (None, "V_pi", "V_pi_new", rng.normal(size=mdp.n_states) * 3):
        r = cpo_general_bound(mdp, pi, pi_new, f)
        assert r.holds, r


@settings(max_examples=40, deadline=None)
@given(policy_pairs(max_states=5, max_actions=3))
def test_corollary_1_and_equality(case):
    mdp, pi, pi_new = case
    cor1, gen = cpo_bound(mdp, pi, pi_new, 1), cpo_general_bound(mdp, pi, pi_new, "V_pi")
    scale = 1e-9 * max(1.0, float(np.max(np.abs(mdp.R)))) / (1 - mdp.gamma)
    assert gen.constants["centre"] == pytest.approx(cor1.surrogate, abs=scale)
    assert gen.constants["half_width"] == pytest.approx(cor1.penalty, rel=1e-9, abs=scale)
    assert gen.rhs == pytest.approx(cor1.rhs, abs=scale)
    eq = cpo_general_bound(mdp, pi, pi_new, "V_pi_new")
    assert eq.constants["eps_f"] <= scale and abs(eq.constants["centre"] - eq.eta_new) <= scale
    assert abs(eq.rhs - eq.eta_new) <= scale


def test_matches_a_direct_numpy_computation():
    mdp = garnet(5, 3, 2, rng=0, gamma=0.9)
    pi, pi_new = random_policy(mdp, rng=1), random_policy(mdp, rng=2)
    ev, g = evaluate(mdp, pi), mdp.gamma
    P, R = mdp.dense_P(), np.asarray(mdp.R)
    f = (pi_new * (R + g * P @ ev.V)).sum(axis=1)  # T_{pi_new} V_pi
    delta = R + g * P @ f - f[:, None]
    eps = np.max(np.abs((pi_new * delta).sum(axis=1)))
    L = ev.d @ ((pi_new - pi) * delta).sum(axis=1)
    tv = 0.5 * np.abs(pi_new - pi).sum(axis=1)
    r = cpo_general_bound(mdp, pi, pi_new)
    half = 2 * g * eps / (1 - g) ** 2 * (ev.d @ tv)
    assert r.constants["centre"] == pytest.approx(ev.eta + L / (1 - g), rel=1e-12)
    assert r.constants["half_width"] == pytest.approx(half, rel=1e-12)
    assert r.rhs == pytest.approx(ev.eta + L / (1 - g) - half, rel=1e-12)
    assert r.constants["upper"] == pytest.approx(ev.eta + L / (1 - g) + half, rel=1e-12)
    assert r.holds and not r.two_sided


def test_check_all_appends_cpo_general_last():
    mdp = garnet(4, 2, 2, rng=3, gamma=0.8)
    t = check_all(mdp, random_policy(mdp, rng=4), random_policy(mdp, rng=5))
    assert t.names[-1] == "cpo_general" and len(t) == 11
    assert t.names[:10] == ["theorem1", "theorem1_tight", "kl_max", "kl_max_pinsker", "cpi", "kl02",
                            "cpo_tv", "cpo_kl", "spi", "span"]


def test_default_f_tightens_corollary_1_on_a_garnet():
    mdp = garnet(8, 3, 3, rng=6, gamma=0.9)
    pi = random_policy(mdp, rng=7)
    pi_new = 0.9 * pi + 0.1 * random_policy(mdp, rng=8)
    assert cpo_f_tightening(mdp, pi, pi_new) < 1.0
    assert cpo_f_tightening(mdp, pi, pi_new, "V_pi") == pytest.approx(1.0)
    assert cpo_f_tightening(mdp, pi, pi_new, "V_pi_new") == pytest.approx(0.0, abs=1e-9)


def test_upper_side_is_part_of_holds():
    mdp = garnet(4, 2, 2, rng=9, gamma=0.9)
    pi, pi_new = random_policy(mdp, rng=1), random_policy(mdp, rng=2)
    r = cpo_general_bound(mdp, pi, pi_new, np.zeros(4))
    assert r.holds and r.eta_new <= r.constants["upper"] + r.atol and r.slack >= -r.atol


def test_bad_f():
    mdp = garnet(3, 2, 2, rng=0)
    pi = random_policy(mdp, rng=1)
    with pytest.raises(ValueError, match="f must"):
        cpo_general_bound(mdp, pi, pi, "V")
    with pytest.raises(ValueError, match="f must"):
        cpo_general_bound(mdp, pi, pi, np.zeros(2))
    with pytest.raises(ValueError, match="f must"):
        cpo_general_bound(mdp, pi, pi, [np.nan, 0.0, 0.0])

"""Tests of bounds/counterexamples/tightness.py: the tightness ratio against a hand-derived 2-state value,
the exact enclosure against the float ratio on random instances, the search against the hand value,
and certificates that verify exactly and fail when a number is changed."""

from __future__ import annotations

import json
from fractions import Fraction as F

import numpy as np
import pytest

from bounds.counterexamples.exact import ExactMDP
from bounds.counterexamples.tightness import (BANDS, bound_named, certify_tightness, exact_ratio, fork_instance,
                                              fork_start, rationalize, search_tightness, tight_bounds,
                                              tightness_ratio, tightness_restart, verify_tightness)
from tabular.mdp import MDP


def _two_state(delta: F, beta: F, gamma: F = F(1, 2)):
    """s0: a0 stays, a1 moves to the absorbing s1; r(s1, a0) = 1, r(s1, a1) = -1, zero elsewhere; start s0;
    pi uniform, pi_new(s0) = (1/2 + delta, 1/2 - delta), pi_new(s1) = (1/2 + beta, 1/2 - beta)."""
    P = [[[1, 0], [0, 1]], [[0, 1], [0, 1]]]
    mdp = ExactMDP(P, [[0, 0], [1, -1]], [1, 0], gamma)
    pi = ((F(1, 2), F(1, 2)), (F(1, 2), F(1, 2)))
    pn = ((F(1, 2) + delta, F(1, 2) - delta), (F(1, 2) + beta, F(1, 2) - beta))
    return mdp, pi, pn


def _hand_ratio_theorem1(delta: F, beta: F) -> F:
    """Derived by hand at gamma = 1/2: V_pi = 0, A(s0, .) = 0, A(s1, .) = +-1 (eps = 1), rho_pi = (4/3, 2/3),
    so L = (2/3)(2 beta); eta_new = V_new(s0) = 4 (1 - 2 delta) beta / (3 - 2 delta);
    gap = 16 beta delta / (3 (3 - 2 delta)); C = 4 eps gamma/(1-gamma)^2 = 8, alpha = max(delta, beta)."""
    gap = 16 * beta * delta / (3 * (3 - 2 * delta))
    return gap / (8 * max(delta, beta) ** 2)


def test_the_ratio_matches_the_hand_derived_value_float_and_exact():
    for delta, beta in [(F(1, 10), F(2, 5)), (F(3, 10), F(2, 5)), (F(1, 4), F(1, 8))]:
        want = _hand_ratio_theorem1(delta, beta)
        mdp, pi, pn = _two_state(delta, beta)
        assert exact_ratio("theorem1", mdp, pi, pn) == (want, want)  # rational bound: a point enclosure
        got = tightness_ratio("theorem1", mdp.to_mdp(), np.array(pi, dtype=float), np.array(pn, dtype=float))
        assert got == pytest.approx(float(want), rel=1e-12)
    assert _hand_ratio_theorem1(F(1, 10), F(2, 5)) == F(5, 84)


def test_the_search_reaches_the_hand_derived_ratio():
    known = float(_hand_ratio_theorem1(F(1, 10), F(2, 5)))  # 5/84 at gamma = 1/2, 2 states x 2 actions
    best = search_tightness("theorem1", "lower", (0.4, 0.6), n_restarts=3, maxfev=200, seed=0)
    assert best.ratio >= known
    assert 0.4 <= best.mdp.gamma <= 0.6
    # the reported ratio is the one of the reported instance, and no true bound is exceeded
    assert tightness_ratio("theorem1", best.mdp, best.pi, best.pi_new) == pytest.approx(best.ratio, rel=1e-9)
    assert best.ratio <= 1 + 1e-9


@pytest.mark.parametrize("gamma,alpha", [(F(1, 1000), F(1, 4)), (F(1, 2), F(1, 2)), (F(9, 10), F(1, 3))])
def test_the_fork_ratios_match_the_hand_derivation(gamma, alpha):
    """On the fork (V_pi = 0, eps = 1, Abar = (0, 2a, -2a), TV = a at every state, w = (I - g P_new)^-1 Abar
    spans 4a/(1-g)), |eta_new - L| = 4 a^2 g/(1-g); the penalties of Theorem 1, [CPO] Cor. 1, [SPI] and the
    span bound all equal 4 a^2 g/(1-g)^2 (ratio 1 - g) and Eq. (44)'s 4 a^2 g/((1-g)(1-g(1-a))) (ratio
    1 - g(1-a)); [KL02]'s mixture has alpha' = 2a, eps' = 1 (pi' = the pure shifted actions), so its penalty
    2 (2a)^2 g/((1-g)(1-g(1-2a))) gives the ratio (1 - g(1-2a))/2."""
    one_minus_g, eq44, kl02 = 1 - gamma, 1 - gamma * (1 - alpha), (1 - gamma * (1 - 2 * alpha)) / 2
    for improve, side in ((False, "lower"), (True, "upper")):
        mdp, pi, pn = fork_instance(gamma, alpha, improve=improve)
        for name in ("theorem1", "cpo_tv", "spi", "span", "theorem1_tight", "kl02"):
            if side == "upper" and not bound_named(name).two_sided:
                continue
            want = {"theorem1_tight": eq44, "kl02": kl02}.get(name, one_minus_g)
            assert exact_ratio(name, mdp, pi, pn, side) == (want, want), (name, side)
        # the other side of a two-sided bound sees the gap with the opposite sign
        assert exact_ratio("span", mdp, pi, pn, "upper" if side == "lower" else "lower")[0] == -one_minus_g


def test_a_refine_restart_from_the_fork_keeps_theorem1_near_its_limit():
    start = fork_start("lower", BANDS[0])
    res = tightness_restart("theorem1", "lower", BANDS[0], 0, 0, 200, refine=start)
    assert res.ratio >= 0.99 * (1 - BANDS[0][1])  # the fork alone gives 1 - gamma >= 0.9 in this band
    assert BANDS[0][0] <= res.mdp.gamma <= BANDS[0][1]


def _random_instance(rng, S=3, A=2):
    P = rng.dirichlet(np.ones(S), size=(S, A))
    R = rng.uniform(-1, 1, (S, A))
    pi, pn = rng.dirichlet(np.ones(A), size=S), rng.dirichlet(np.ones(A), size=S)
    return MDP(P, R, np.eye(S)[0], float(rng.uniform(0.1, 0.95))), pi, pn


@pytest.mark.parametrize("name,side", [(b.name, s) for b in tight_bounds() for s in b.sides])
def test_the_exact_ratio_encloses_the_float_ratio_on_random_instances(name, side):
    rng = np.random.default_rng(7)
    for _ in range(4):
        em, p, pn = rationalize(*_random_instance(rng), 10**6)
        enc = exact_ratio(name, em, p, pn, side)
        r = tightness_ratio(name, em.to_mdp(), np.array(p, dtype=float), np.array(pn, dtype=float), side)
        assert enc is not None and enc[0] <= enc[1]
        assert float(enc[0]) == pytest.approx(r, rel=1e-8, abs=1e-10)
        assert float(enc[1] - enc[0]) <= 1e-30 + 1e-40 * abs(float(enc[0]))  # intervals at 200 bits


def test_the_penalty_seen_is_the_claims_own():
    rng = np.random.default_rng(3)
    m, p, q = _random_instance(rng)
    for b in tight_bounds():
        res = b.result(m, p, q)
        assert float(res.surrogate) - float(res.penalty) == pytest.approx(b.claim(m, p, q), abs=1e-12)


def test_certificate_verifies_exactly_and_fails_when_tampered(tmp_path):
    mdp, pi, pn = _two_state(F(1, 10), F(2, 5))
    cert = certify_tightness("theorem1", "lower", mdp.to_mdp(), np.array(pi, dtype=float), np.array(pn, dtype=float))
    assert cert.c == F(5952, 100000) and cert.c <= F(5, 84)  # 5/84 = 0.0595238... rounded down to 4 digits
    path = cert.save(tmp_path / "cert.json")
    v = verify_tightness(path)
    assert v.proven and v.ratio == (F(5, 84), F(5, 84)), v
    d = json.loads(path.read_text())

    def tampered(edit):
        e = json.loads(json.dumps(d))
        edit(e)
        return verify_tightness(e)

    assert not tampered(lambda e: e["mdp"]["R"][1].__setitem__(0, "9/10")).proven  # a reward changed
    assert not tampered(lambda e: e["pi_new"].__setitem__(0, ["7/10", "3/10"])).proven  # a policy row changed
    assert not tampered(lambda e: e["mdp"].__setitem__("gamma", "51/100")).proven  # the discount changed
    assert not tampered(lambda e: e.__setitem__("c", "1/10")).proven  # a larger c than the ratio
    assert not tampered(lambda e: e["bound"].__setitem__("proof_constant", "2")).proven
    with pytest.raises(ValueError, match="sum to exactly 1"):
        tampered(lambda e: e["mdp"]["P"][0].__setitem__(0, ["1", "1/10"]))
    with pytest.raises(ValueError, match="path"):
        verify_tightness({"format": "other"})


def test_a_certificate_proves_the_weakened_bound_violated():
    """r >= c means the bound with penalty c' * penalty, c' < c, is violated: check it on the exact numbers."""
    mdp, pi, pn = _two_state(F(1, 10), F(2, 5))
    from bounds.counterexamples.claims import ExactPair

    pair = ExactPair(mdp, pi, pn)
    penalty = pair.C * pair.alpha ** 2  # Eq. (8)
    c = verify_tightness(certify_tightness("theorem1", "lower", mdp.to_mdp(), np.array(pi, dtype=float),
                                           np.array(pn, dtype=float)).to_dict()).c
    for c_prime in (c - F(1, 10**6), c / 2):
        assert pair.eta_new < pair.L - c_prime * penalty


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="side"):
        bound_named("theorem1") and tightness_ratio("theorem1", *_random_instance(np.random.default_rng(0)),
                                                    side="upper")
    with pytest.raises(ValueError, match="name"):
        bound_named("mean_kl")  # a non-theorem has no tightness
    with pytest.raises(TypeError, match="name"):
        bound_named(3)
    with pytest.raises(ValueError, match="gamma_range"):
        search_tightness("theorem1", gamma_range=(0.5, 1.0), n_restarts=1)
    m = MDP(np.ones((1, 2, 1)), np.zeros((1, 2)), np.ones(1), 0.5)
    with pytest.raises(ValueError, match="penalty is 0"):
        tightness_ratio("theorem1", m, np.full((1, 2), 0.5), np.full((1, 2), 0.5))


def test_every_band_is_inside_the_unit_interval():
    assert all(0 <= lo < hi < 1 for lo, hi in BANDS)
    assert {b.name for b in tight_bounds()} >= {"theorem1", "kl_max", "cpi", "kl02", "cpo_tv", "spi", "span"}

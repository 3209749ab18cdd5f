"""Tests of bounds/inequalities/ (every bound of check_all, its result types and assert_bound; each
bound against a numpy transcription of its paper, exact values from THEORY.md §6, infinite divergences);
the CPO general bound has its own test_cpo.py."""

from __future__ import annotations

import dataclasses
import math
from tests.reference import NON_THEOREMS, np_eval, np_penalties
from tests.reference import TWO_SIDED as REF_TWO_SIDED

import numpy as np
import pytest

import tabular as T
from bounds import inequalities as core
from bounds.inequalities import (
    assert_bound,
    check_all,
    cpi_alpha_star,
    cpi_bound,
    cpi_decomposition,
    cpo_bound,
    kl02_bound,
    kl_bound,
    spi_bound,
    span_bound,
    theorem1,
    theorem1_tight,
    theory_C,
)
from tabular.instances import FAMILIES, sample_instance

N_INSTANCES = 2000


@pytest.fixture(scope="module")
def sweep():
    """2,000 random instances and their bound tables (seeded; each instance from its own stream)."""
    rows = []
    for child in np.random.SeedSequence(20150219).spawn(N_INSTANCES):
        inst = sample_instance(child)
        rows.append((inst, check_all(inst.mdp, inst.pi, inst.pi_new)))
    return rows


def test_every_bound_holds_on_2000_random_instances(sweep):
    worst = {}
    for inst, table in sweep:
        for r in table:
            assert not math.isnan(r.slack) and not math.isnan(r.rhs), (r.name, inst.meta)
            assert_bound(r)  # readable diagnosis on failure
            # relative slack, scaled to the magnitude of the problem
            rel = r.slack / max(1.0, abs(r.eta_new), abs(r.surrogate))
            worst[r.name] = min(worst.get(r.name, math.inf), rel)
    print("\nworst relative slack per bound over", len(sweep), "instances:")
    for name, w in worst.items():
        print(f"  {name:<16} {w: .3e}")
    assert set(worst) == set(check_all(*_x_example()).names)


def test_sweep_covers_the_declared_ranges(sweep):
    metas = [inst.meta for inst, _ in sweep]
    gammas = np.array([m["gamma"] for m in metas])
    assert np.any(gammas == 0.0) and np.any(gammas >= 0.99) and np.any(gammas == 0.995)
    assert {m["family"] for m in metas} == set(FAMILIES)
    assert {m["step"] for m in metas} == {"small", "medium", "large", "greedy"}
    assert any(inst.mdp.is_sparse for inst, _ in sweep)
    min_probs = np.array([inst.pi.min() for inst, _ in sweep])
    assert np.sum(min_probs < 1e-5) > 100  # near-deterministic old policies
    tvs = np.array([T.max_tv(inst.pi, inst.pi_new) for inst, _ in sweep])
    assert np.sum(tvs < 1e-3) > 100 and np.sum(tvs > 0.5) > 100  # small and large changes
    kls = np.array([T.max_kl(inst.pi, inst.pi_new) for inst, _ in sweep])
    assert np.sum(np.isinf(kls)) > 10  # instances where the KL bound is -inf


def test_two_sided_bounds_bound_the_surrogate_error(sweep):
    for inst, table in sweep:
        gap = abs(table[0].eta_new - table[0].surrogate)
        for r in table:
            if r.two_sided:
                assert gap <= r.penalty + r.atol, (r.name, gap, r.penalty, inst.meta)


def test_orderings_between_bounds(sweep):
    """CPO Cor. 1 <= Theorem 1; Eq. (44) <= Eq. (8); [KL02] Thm 4.1 >= Eq. (6); Pinsker C/2 <= C;
    and Theorem 1 <= Eq. (9) since TV^2 <= KL (Pollard)."""
    n_cor3_above_thm1 = 0
    for inst, t in sweep:
        tol = 1e-12 + 1e-9 * t["theorem1"].penalty
        assert t["cpo_tv"].penalty <= t["theorem1"].penalty + tol, inst.meta
        assert t["theorem1_tight"].penalty <= t["theorem1"].penalty + tol, inst.meta
        assert t["kl02"].rhs >= t["cpi"].rhs - 1e-12 - 1e-9 * abs(t["cpi"].rhs), inst.meta
        assert t["kl_max_pinsker"].penalty <= t["kl_max"].penalty
        assert t["theorem1"].penalty <= t["kl_max"].penalty + tol, inst.meta
        n_cor3_above_thm1 += t["cpo_kl"].penalty > t["theorem1"].penalty + tol
    # THEORY.md §3 says CPO's penalty is never larger than Theorem 1's; that is true of Cor. 1 only.
    # Cor. 3's sqrt(KL(pi_new||pi)/2) can exceed max-TV, so it exceeds Theorem 1 on many instances.
    assert n_cor3_above_thm1 > 0


def _x_example():
    """THEORY.md §6, first counterexample: MDP X, gamma = 0.01."""
    m = T.mdp_x(0.01)
    pi = T.uniform(m)
    pn = pi.copy()
    pn[0] = [0.45, 0.55]
    pn[2] = [0.2, 0.8]
    return m, pi, pn


def test_values_published_in_theory_sheet():
    """THEORY.md §6: eta(pi_new) = -0.0033333 and the max-KL bound is -0.01214 (and holds)."""
    m, pi, pn = _x_example()
    r = kl_bound(m, pi, pn)
    assert r.eta_new == pytest.approx(-0.0033333, abs=5e-8)
    assert r.rhs == pytest.approx(-0.01214, abs=5e-6)
    assert r.holds


def test_theorem1_by_hand_on_mdp_x():
    """Independent hand computation on MDP X (gamma = 0.5, pi uniform, pi_new(s0) = (0.2, 0.8)).

    V_pi(s1) = 0 and V_pi(s2) = 0 (uniform over +1/-1); so A_pi(s0, .) = 0 and A_pi(s2, .) = (+1, -1),
    eps = 1, alpha = max TV = 0.3, C = 4 * 1 * 0.5 / 0.25 = 8, L = eta(pi) = 0 (pi_new = pi at s2),
    and eta(pi_new) = 0 as well. The bound is L - C alpha^2 = -0.72.
    """
    m = T.mdp_x(0.5)
    pi = T.uniform(m)
    pn = pi.copy()
    pn[0] = [0.2, 0.8]
    r = theorem1(m, pi, pn)
    assert r.constants["eps"] == pytest.approx(1.0, abs=1e-14)
    assert r.constants["alpha"] == pytest.approx(0.3, abs=1e-14)
    assert r.constants["C"] == pytest.approx(8.0, abs=1e-12)
    assert r.rhs == pytest.approx(-0.72, abs=1e-12)
    assert r.eta_new == pytest.approx(0.0, abs=1e-14)


def test_kl_bound_is_minus_infinity_when_support_is_dropped():
    m = T.garnet(5, 3, 2, rng=3, gamma=0.9)
    pi = T.random_policy(m, rng=4)
    pn = pi.copy()
    pn[2] = [1.0, 0.0, 0.0]
    for constant in ("pollard", "pinsker"):
        r = kl_bound(m, pi, pn, constant=constant)
        assert r.penalty == math.inf and r.rhs == -math.inf and r.slack == math.inf
        assert r.holds is True
    table = check_all(m, pi, pn)
    for r in table:
        assert not math.isnan(r.rhs) and not math.isnan(r.slack) and not math.isnan(r.penalty)


def test_zero_coefficient_times_infinite_kl_is_zero():
    """gamma = 0 gives C = 0; with an infinite KL the bound is L, which is exact at gamma = 0."""
    m = T.garnet(4, 2, 2, rng=1, gamma=0.0)
    pi = T.uniform(m)
    pn = T.deterministic(np.zeros(4, dtype=int), 2)
    r = kl_bound(m, pi, pn)
    assert r.penalty == 0.0 and r.rhs == pytest.approx(r.eta_new, abs=1e-14)
    # independent: at gamma = 0, eta(pi_new) = L = rho0 . sum_a pi_new R
    assert r.eta_new == pytest.approx(float(m.rho0 @ np.sum(pn * m.R, axis=1)), abs=1e-14)
    assert r.rhs == pytest.approx(float(m.rho0 @ np.sum(pn * m.R, axis=1)), abs=1e-14)


def test_cpi_alpha_star_maximizes_eq6_over_a_grid():
    """alpha* of THEORY.md §3 against a brute-force grid of the Eq. (6) lower bound."""
    for seed in range(8):
        m = T.garnet(6, 3, 3, rng=seed, gamma=[0.5, 0.9, 0.95, 0.99][seed % 4])
        pi = T.random_policy(m, rng=seed + 100)
        ev = T.evaluate(m, pi)
        pi_prime = T.greedy(ev.Q)
        a_star = cpi_alpha_star(m, pi, pi_prime)
        # Eq. (6) by direct formula, independent of bounds.inequalities: eta + alpha A' - 2 eps' gamma alpha^2/(1-g)^2
        Ap_s = (pi_prime * ev.A).sum(axis=1)
        A_p, eps_p, g = ev.rho @ Ap_s, np.abs(Ap_s).max(), m.gamma
        grid = np.linspace(0, 1, 20001)
        rhs = ev.eta + grid * A_p - 2 * eps_p * g * grid**2 / (1 - g) ** 2
        best = grid[int(np.argmax(rhs))]
        assert abs(a_star - best) <= 1e-4 + 1e-9
        for a in grid[::4000]:
            assert cpi_bound(m, pi, pi_prime, a, ev=ev).rhs == pytest.approx(
                ev.eta + a * A_p - 2 * eps_p * g * a**2 / (1 - g) ** 2, abs=1e-10)
        r = cpi_bound(m, pi, pi_prime, a_star, ev=ev)
        assert r.rhs >= max(rhs) - 1e-12
        assert a_star < 1  # the branch below runs on every seed (checked: alpha* in (0, 1) here)
        if a_star < 1:  # guaranteed gain (1-gamma)^2 A'^2 / (8 gamma eps')
            assert r.constants["A_prime"] == pytest.approx(A_p, rel=1e-12)
            assert r.constants["eps_prime"] == pytest.approx(eps_p, rel=1e-12)
            assert r.rhs - r.eta >= (1 - g) ** 2 * A_p**2 / (8 * g * eps_p) - 1e-12
            assert r.eta_new - r.eta >= r.rhs - r.eta - r.atol


def test_kl02_is_at_least_eq6_and_both_hold_for_mixtures():
    for seed in range(20):
        m = T.garnet(5, 3, 2, rng=seed, gamma=0.9)
        pi = T.random_policy(m, rng=seed + 1)
        pi_prime = T.random_policy(m, rng=seed + 2, concentration=0.2)
        for alpha in (0.0, 0.01, 0.3, 1.0):
            a, b = cpi_bound(m, pi, pi_prime, alpha), kl02_bound(m, pi, pi_prime, alpha)
            assert b.rhs >= a.rhs - 1e-12
            assert a.holds and b.holds
            # L(pi_new) = eta(pi) + alpha * A' (THEORY.md §2: Abar scales by alpha for a mixture)
            assert a.surrogate == pytest.approx(a.eta + alpha * a.constants["A_prime"], abs=1e-10)
            # independent: A', eps', L and both penalties from evaluate() outputs and the formulas
            ev = T.evaluate(m, pi)
            Ap_s = np.sum(pi_prime * ev.A, axis=1)
            A_p, eps_p, g = float(ev.rho @ Ap_s), float(np.abs(Ap_s).max()), m.gamma
            pn = (1 - alpha) * pi + alpha * pi_prime  # Eq. (5)
            L = ev.eta + ev.rho @ np.sum(pn * ev.A, axis=1)  # Eq. (3)
            assert a.surrogate == pytest.approx(L, abs=1e-10) and b.surrogate == pytest.approx(L, abs=1e-10)
            assert a.surrogate == pytest.approx(ev.eta + alpha * A_p, abs=1e-10)
            assert a.penalty == pytest.approx(2 * eps_p * g * alpha**2 / (1 - g) ** 2, rel=1e-12, abs=1e-300)
            assert b.penalty == pytest.approx(
                2 * alpha**2 * g * eps_p / ((1 - g) * (1 - g * (1 - alpha))), rel=1e-12, abs=1e-300)
            assert a.eta_new == pytest.approx(np_eval(m, pn)["eta"], abs=1e-10)


def test_cpi_decomposition_reconstructs_pi_new():
    rng = np.random.default_rng(0)
    for _ in range(50):
        pi = T.random_policy(4, 3, rng=rng)
        pn = T.random_policy(4, 3, rng=rng, concentration=0.3)
        alpha, pp = cpi_decomposition(pi, pn)
        T.validate_policy(pp)
        np.testing.assert_allclose((1 - alpha) * pi + alpha * pp, pn, atol=1e-12)
        # minimality: a smaller alpha would need negative mass
        if alpha > 1e-6:
            assert np.min((pn - (1 - alpha + 1e-6) * pi)) < 1e-12


def test_span_bound_identity_of_its_proof():
    """eta(pi_new) - L = gamma rho_pi^T (P_new - P_pi) w with w = (I - gamma P_new)^{-1} Abar."""
    for seed in range(10):
        m = T.garnet(7, 3, 3, rng=seed, gamma=0.95)
        pi, pn = T.random_policy(m, rng=2 * seed), T.random_policy(m, rng=2 * seed + 1)
        ev, evn = T.evaluate(m, pi), T.evaluate(m, pn)
        Abar = T.expected_advantage(m, pi, pn, ev=ev)
        w = np.linalg.solve(np.eye(7) - m.gamma * evn.P_pi, Abar)
        lhs = evn.eta - T.surrogate(m, pi, pn, ev=ev)
        rhs = m.gamma * ev.rho @ (evn.P_pi - ev.P_pi) @ w
        assert lhs == pytest.approx(rhs, abs=1e-12)
        r = span_bound(m, pi, pn)
        assert r.constants["span_w"] == pytest.approx(w.max() - w.min(), abs=1e-12)


def test_cpo_and_spi_constants_by_direct_formula():
    m = T.garnet(6, 3, 3, rng=11, gamma=0.8)
    pi, pn = T.random_policy(m, rng=1), T.random_policy(m, rng=2)
    ev = T.evaluate(m, pi)
    Abar = (pn * ev.A).sum(1)
    d = (1 - m.gamma) * ev.rho
    tv = 0.5 * np.abs(pi - pn).sum(1)
    kl_rev = (pn * np.log(pn / pi)).sum(1)
    coef = 2 * m.gamma * np.abs(Abar).max() / (1 - m.gamma) ** 2
    assert cpo_bound(m, pi, pn, 1).penalty == pytest.approx(coef * (d @ tv), rel=1e-12)
    assert cpo_bound(m, pi, pn, 3).penalty == pytest.approx(coef * np.sqrt(0.5 * d @ kl_rev), rel=1e-12)
    spi = spi_bound(m, pi, pn)
    expected = m.gamma / (1 - m.gamma) ** 2 * np.abs(pn - pi).sum(1).max() * (Abar.max() - Abar.min()) / 2
    assert spi.penalty == pytest.approx(expected, rel=1e-12)
    assert theory_C(m, pi) == pytest.approx(4 * np.abs(ev.A).max() * 0.8 / 0.04, rel=1e-12)
    t1 = theorem1_tight(m, pi, pn)
    a = tv.max()
    eps = np.abs(ev.A).max()
    assert t1.penalty == pytest.approx(4 * a * a * 0.8 * eps / (0.2 * (1 - 0.8 * (1 - a))), rel=1e-12)


def test_identical_policies_give_zero_penalty_and_exact_surrogate():
    m = T.garnet(5, 2, 2, rng=0, gamma=0.99)
    pi = T.random_policy(m, rng=0)
    for r in check_all(m, pi, pi):
        assert r.penalty == pytest.approx(0.0, abs=1e-12)
        assert r.slack == pytest.approx(0.0, abs=1e-9)
        assert r.holds


def test_table_prints_and_converts():
    table = check_all(*_x_example())
    text = str(table)
    assert "theorem1" in text and "[TRPO] Eq. (9)" in text
    dicts = table.to_dicts()
    assert len(dicts) == len(table) == 11
    for d in dicts:
        for key in ("name", "source", "eta_new", "surrogate", "penalty", "rhs", "slack", "holds"):
            assert key in d
    assert table["kl_max"].constants["C"] == pytest.approx(dicts[2]["const_C"])
    with pytest.raises(KeyError):
        table["nope"]


def test_assert_bound_reports_a_readable_diagnosis():
    r = theorem1(*_x_example())
    broken = dataclasses.replace(r, rhs=r.eta_new + 1.0, slack=-1.0, holds=False)
    with pytest.raises(AssertionError, match=r"(?s)theorem1 .*violated.*eta\(pi_new\).*slack"):
        assert_bound(broken)
    assert_bound(r)  # a true bound passes silently


@pytest.mark.parametrize("fn", [theorem1, theorem1_tight, kl_bound, cpo_bound, spi_bound, span_bound, check_all])
def test_bad_policies_raise_value_error(fn):
    m = T.garnet(4, 3, 2, rng=0)
    pi = T.uniform(m)
    with pytest.raises(ValueError, match="pi_new"):
        fn(m, pi, np.ones((4, 2)) / 2)  # wrong number of actions
    with pytest.raises(ValueError, match="pi"):
        fn(m, np.ones((3, 3)) / 3, pi)  # wrong number of states
    bad = pi.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fn(m, pi, bad)


def test_bad_arguments():
    m, pi, pn = _x_example()
    with pytest.raises(ValueError, match="constant"):
        kl_bound(m, pi, pn, constant="other")
    with pytest.raises(ValueError, match="alpha"):
        cpi_bound(m, pi, pn, 1.5)
    with pytest.raises(ValueError, match="corollary"):
        cpo_bound(m, pi, pn, corollary=2)
    with pytest.raises(TypeError):
        assert_bound("not a result")


def test_default_atol_scales_with_the_problem():
    m = T.garnet(3, 2, 2, rng=0, gamma=0.99)
    big = m.with_rewards(m.R * 1e6)
    assert core.default_atol(big) == pytest.approx(core.default_atol(m) * 1e6, rel=1e-12)


# ---------------------------------------------------------------------------------- Hypothesis
from hypothesis import given, settings  # noqa: E402

from tabular.strategies import policy_pairs  # noqa: E402


@given(policy_pairs(max_states=6, max_actions=4))
@settings(max_examples=150, deadline=None, derandomize=True)
def test_every_bound_holds_as_a_hypothesis_property(instance):
    """The same theorem, over the public strategies that users get for their own bounds."""
    mdp, pi, pi_new = instance
    table = check_all(mdp, pi, pi_new)
    assert_bound(table)
    for r in table:
        assert not math.isnan(r.slack)
    _check_against_formulas(mdp, pi, pi_new, table)  # independent numbers, not the module's own


# ------------------------------------------------------------------------------ tolerances (issue: no verdict flipped)
def test_tolerances_must_be_finite_and_non_negative():
    """NaN made every true bound 'violated', a negative atol too, and inf made everything hold."""
    import inspect

    from bounds import assert_bound, check_all, kl_bound, theorem1
    from tabular import garnet, mixture, greedy, evaluate, uniform

    mdp = garnet(4, 2, 2, rng=3, gamma=0.9)
    pi = uniform(mdp)
    pi_new = mixture(pi, greedy(evaluate(mdp, pi).Q), alpha=0.2)
    for bad in (float("nan"), -1e-3, -100.0, float("inf"), -float("inf")):
        with pytest.raises(ValueError, match="atol"):
            check_all(mdp, pi, pi_new, atol=bad)
        with pytest.raises(ValueError, match="atol"):
            theorem1(mdp, pi, pi_new, atol=bad)
        with pytest.raises(ValueError, match="atol"):
            assert_bound(theorem1(mdp, pi, pi_new), atol=bad)
    with pytest.raises(TypeError, match="atol"):
        kl_bound(mdp, pi, pi_new, atol="1e-9")
    # the true bounds hold at atol = 0 here, and the verdict does not depend on a valid atol
    assert check_all(mdp, pi, pi_new, atol=0.0).all_hold
    # no private parameter in the public signatures
    for fn in (theorem1, kl_bound):
        assert not [p for p in inspect.signature(fn).parameters if p.startswith("_")]


def test_cpi_alpha_star_is_one_function_clipped_to_the_unit_interval():
    """cpi_step and cpi_alpha_star share one alpha*: in [0, 1], 0 when nothing is certified."""
    from bounds import cpi_alpha_star, cpi_step
    from bounds.inequalities import cpi_terms
    from tabular import evaluate, garnet, greedy, random_policy

    cases = set()
    for seed in range(20):
        mdp = garnet(5, 3, 2, rng=seed, gamma=[0.0, 0.5, 0.9, 0.99][seed % 4])
        pi = random_policy(mdp, rng=seed, concentration=0.3)
        ev = evaluate(mdp, pi)
        pi_prime = greedy(ev.Q)
        a = cpi_alpha_star(mdp, pi, pi_prime, ev=ev)
        step = cpi_step(mdp, pi, ev=ev)
        assert step.info["alpha_star"] == a and 0.0 <= a <= 1.0
        # independent: A', eps' transcribed from Eq. (6) (cpi_terms is the code cpi_alpha_star_of calls)
        Ap_s = np.sum(pi_prime * ev.A, axis=1)
        A_bold, eps_p = float(ev.rho @ Ap_s), float(np.abs(Ap_s).max())
        assert cpi_terms(ev, pi_prime) == pytest.approx((A_bold, eps_p), rel=1e-12, abs=1e-15)
        # independent closed form of Eq. (6)'s maximizer on [0, 1]
        g = mdp.gamma
        ref = 0.0 if A_bold <= 1e-14 else (1.0 if g == 0 else min(1.0, (1 - g) ** 2 * A_bold / (4 * g * eps_p)))
        assert a == pytest.approx(ref, abs=1e-12)
        cases.add("zero" if ref == 0 else "one" if ref == 1 else "interior")
    assert {"one", "interior"} <= cases  # both branches of the clip run (gamma = 0 gives 1)


# --------------------------------------------------------- independent transcriptions (issue: tests that cannot fail)
# The checks above compare bounds.inequalities with itself: `holds`, `slack` and the orderings use the
# module's own penalty, L and eta(pi_new), and three of the orderings (Pinsker C/2 <= C, Eq. (44) <= Eq. (8),
# [KL02] >= Eq. (6)) hold by construction of the code. Here every penalty is transcribed from its paper with
# plain numpy, and eta, V, Q, rho come from np.linalg.solve on the dense model (no tabular.evaluation code).


def _np_bounds(mdp, pi, pn):
    """(eta_new, L, {name: penalty as check_all reports it}) of the theorems, from tests/reference.py."""
    eta_new, L, pen, centres = np_penalties(mdp, pi, pn)
    pen = {k: v for k, v in pen.items() if k not in NON_THEOREMS}
    for name, c in centres.items():  # a bound centred elsewhere reports L - (its lower end)
        pen[name] = L - (c - pen[name])
    return eta_new, L, pen


TWO_SIDED = REF_TWO_SIDED - {"cpo_general"}  # two-sided about L


def _check_against_formulas(mdp, pi, pn, table, meta=None):
    """Every entry of ``table`` against the numpy transcription, and the bound itself on numpy values."""
    eta_new, L, pen = _np_bounds(mdp, pi, pn)
    scale = max(1.0, np.abs(mdp.R).max() / (1 - mdp.gamma))
    tol = 1e-9 * scale
    assert set(pen) == set(table.names)
    for r in table:
        assert r.eta_new == pytest.approx(eta_new, abs=tol), (r.name, meta)
        assert r.surrogate == pytest.approx(L, abs=tol), (r.name, meta)
        p = pen[r.name]
        if math.isinf(p):
            assert r.penalty == math.inf, (r.name, meta)
        else:
            assert r.penalty == pytest.approx(p, rel=1e-7, abs=1e-12 * scale), (r.name, p, r.penalty, meta)
        # the theorem itself, on the independent numbers
        assert eta_new >= L - p - tol, (r.name, meta)
        if r.name in TWO_SIDED:
            assert eta_new <= L + p + tol, (r.name, meta)
        assert r.two_sided == (r.name in TWO_SIDED)


def test_every_penalty_l_and_eta_against_the_papers_formulas(sweep):
    """All 2,000 instances: the ten penalties, L (Eq. (3)) and eta(pi_new), each transcribed from its source."""
    n_inf = 0
    for inst, table in sweep:
        _check_against_formulas(inst.mdp, inst.pi, inst.pi_new, table, inst.meta)
        n_inf += math.isinf(table["kl_max"].penalty)
    assert n_inf > 10  # the infinite-KL branch is exercised


def test_orderings_hold_between_the_transcribed_formulas(sweep):
    """The orderings of test_orderings_between_bounds, on the numpy transcriptions (so that they are
    statements about the papers' penalties, not about code that computes one from the other)."""
    for inst, _ in sweep[:500]:
        _, _, p = _np_bounds(inst.mdp, inst.pi, inst.pi_new)
        tol = 1e-12 + 1e-9 * p["theorem1"]
        assert p["cpo_tv"] <= p["theorem1"] + tol  # Lemma 2: eps_new <= 2 alpha eps; E_d TV <= alpha
        assert p["theorem1_tight"] <= p["theorem1"] + tol
        assert p["kl02"] <= p["cpi"] + 1e-12 + 1e-9 * p["cpi"]
        assert p["theorem1"] <= p["kl_max"] + tol  # TV^2 <= KL (Pollard)

"""Tests of bounds/counterexamples/certificate.py, claims.py and exact.py: every known non-theorem of
THEORY.md §6 is proven violated without floating point, a perturbed (non-violating) instance is not,
the exact twin of every named claim agrees with its float form, and bad input is named."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest

import tabular as T
from bounds.counterexamples import known_counterexamples
from bounds.counterexamples.certificate import (load_certificate, make_certificate, verify_certificate)
from bounds.counterexamples.claims import CLAIMS, ExactPair, claim_named
from bounds.counterexamples.exact import ExactMDP, exact_evaluate, exact_solve, interval_lower, interval_upper
from tabular.evaluation import evaluate

_CLAIMS_OF = {"mean_kl": ("mean_kl", "mean_kl_d"), "mean_tv_quadratic": ("mean_tv_squared", "squared_mean_tv"),
              "surrogate_not_monotone": ("surrogate_monotone",)}


@pytest.mark.parametrize("case,claim", [(c, n) for c, ns in _CLAIMS_OF.items() for n in ns])
def test_every_known_non_theorem_is_proven_violated(case, claim, tmp_path):
    c = {c.name: c for c in known_counterexamples()}[case]
    path = make_certificate(c.mdp, c.pi, c.pi_new, claim).save(tmp_path / "cert.json")
    v = verify_certificate(path)
    assert v.proven and v.violated_by > 0, v
    assert str(v).startswith("violated by at least")
    # the proven margin is (up to round-off of the float instance) the float slack
    assert float(v.violated_by) == pytest.approx(-json.loads(path.read_text())["claimed"]["slack"], rel=1e-6)


def test_true_bounds_on_the_counterexamples_are_proven_not_violated():
    for c in known_counterexamples():
        for name in ("theorem1", "kl_max", "span"):
            v = verify_certificate(make_certificate(c.mdp, c.pi, c.pi_new, name))
            assert not v.proven and v.message.startswith("not violated"), (c.name, name, v)


def test_a_perturbed_instance_does_not_verify():
    c = {c.name: c for c in known_counterexamples()}["mean_kl"]
    pn = c.pi_new.copy()
    pn[2] = (0.45, 0.55)  # less mass moved at s2: the mean-KL form now holds
    assert evaluate(c.mdp, pn).eta - CLAIMS["mean_kl"](c.mdp, c.pi, pn) > 0
    v = verify_certificate(make_certificate(c.mdp, c.pi, pn, "mean_kl"))
    assert not v.proven and v.violated_by is None


def test_exact_twins_agree_with_the_float_forms_on_random_instances():
    rng = np.random.default_rng(0)
    for k in range(8):
        m = T.garnet(4, 3, 2, rng=k, gamma=float(rng.choice([0.3, 0.9])))
        pi, pn = T.random_policy(m, rng=rng), T.random_policy(m, rng=rng)
        cert = make_certificate(m, pi, pn, "theorem1")
        pair = ExactPair(cert.mdp, cert.pi, cert.pi_new)
        fm, fp, fq = cert.float_instance()
        eta_new = evaluate(fm, fq).eta
        for name, claim in CLAIMS.items():
            exact = claim.exact_slack(pair)
            fl = eta_new - claim(fm, fp, fq)
            if exact == math.inf:
                assert fl == math.inf, name
                continue
            lo, hi = float(interval_lower(exact)), float(interval_upper(exact))
            assert lo <= hi and hi - lo < 1e-30 + 1e-40 * abs(hi)
            assert hi == pytest.approx(fl, rel=1e-9, abs=1e-12), name


@pytest.mark.parametrize("q", [Fraction(1, 3), Fraction(1, 10), Fraction(-2, 7), Fraction(10**20 + 1, 3)])
def test_interval_ends_enclose_the_rational_at_full_precision(q):
    """The ends are the exact 200-bit endpoints (not a 53-bit rounding, which fell inside for 1/3)."""
    from bounds.counterexamples.exact import interval

    lo, hi = interval_lower(interval(q)), interval_upper(interval(q))
    assert lo <= q <= hi and lo < hi
    assert hi - lo <= abs(q) * Fraction(1, 2**190)


def test_kl_interval_encloses_a_high_precision_value():
    import mpmath

    from bounds.counterexamples.exact import kl_interval

    p, q = (Fraction(1, 2), Fraction(1, 2)), (Fraction(1, 4), Fraction(3, 4))
    with mpmath.workdps(100):  # log(2)/2 + log(2/3)/2 at 100 digits, then the exact rational of that float
        man, exp = mpmath.mpf(mpmath.log(2) / 2 + mpmath.log(mpmath.mpf(2) / 3) / 2).man_exp
        ref = Fraction(man) * Fraction(2) ** exp
    k = kl_interval(p, q)
    lo, hi = interval_lower(k), interval_upper(k)
    assert lo <= hi and hi - lo < Fraction(1, 10**55)
    assert abs(ref - (lo + hi) / 2) < Fraction(1, 10**55)


def test_exact_solve_and_evaluation_match_numpy():
    m = T.garnet(5, 2, 3, rng=1, gamma=0.8)
    pi = T.random_policy(m, rng=2)
    cert = make_certificate(m, pi, pi, "theorem1")
    ev = exact_evaluate(cert.mdp, cert.pi)
    fev = evaluate(*cert.float_instance()[:2])
    np.testing.assert_allclose(np.array(ev.V, dtype=float), fev.V, rtol=1e-12)
    np.testing.assert_allclose(np.array(ev.rho, dtype=float), fev.rho, rtol=1e-12)
    M = [[Fraction(2), Fraction(1)], [Fraction(1), Fraction(3)]]
    assert exact_solve(M, [Fraction(1), Fraction(2)]) == [Fraction(1, 5), Fraction(3, 5)]


def test_user_claims_are_checked_numerically_and_never_called_proven():
    c = known_counterexamples()[0]

    def no_penalty(mdp, pi, pi_new):
        return T.surrogate(mdp, pi, pi_new)

    cert = make_certificate(c.mdp, c.pi, c.pi_new, no_penalty)
    v = verify_certificate(cert, bound=no_penalty)
    assert not v.proven and "numerically violated" in v.message
    with pytest.raises(ValueError, match="allow_import"):  # never imports what a certificate names by itself
        verify_certificate(cert)
    # opted in: a local function cannot be imported
    assert "could not verify" in verify_certificate(cert, allow_import=True).message


def test_load_round_trip_and_bad_input(tmp_path):
    c = known_counterexamples()[1]
    path = make_certificate(c.mdp, c.pi, c.pi_new, "mean_tv_squared").save(tmp_path / "c.json")
    cert = load_certificate(path)
    assert cert.claim == "mean_tv_squared" and cert.mdp.gamma == Fraction(c.mdp.gamma)
    d = json.loads(path.read_text())
    d["pi"][0] = ["1/2", "1/3"]
    with pytest.raises(ValueError, match=r"pi\[0\]"):
        load_certificate(d)
    with pytest.raises(ValueError, match="format"):
        load_certificate({"format": "other"})
    with pytest.raises(ValueError, match="gamma"):
        ExactMDP([[["1"]]], [["0"]], ["1"], "1")
    with pytest.raises(ValueError, match="name"):
        claim_named("no_such_bound")
    assert claim_named("bounds:theorem1").name == "theorem1"


def test_an_exact_mdp_takes_numpy_tables_and_names_r_when_its_shape_is_wrong():
    """Object arrays of Fractions (and integer arrays) are accepted like nested lists; an R that is not an
    (S, A) table is a ValueError naming R and its shape (it was a bare TypeError for a flat list)."""
    from fractions import Fraction as F

    import numpy as np

    from bounds.counterexamples.exact import ExactMDP

    P = np.array([[[F(1, 2), F(1, 2)]], [[F(0), F(1)]]], dtype=object)
    m = ExactMDP(P, np.array([[1], [0]]), np.array([1, 0]), F(1, 2))
    assert m.R == ((F(1),), (F(0),)) and m.P[0][0] == (F(1, 2), F(1, 2))
    lists = ExactMDP(P.tolist(), [[1], [0]], [1, 0], F(1, 2))
    assert (m.P, m.R, m.rho0, m.gamma) == (lists.P, lists.R, lists.rho0, lists.gamma)
    for bad in ([], [[]], [1, 2]):
        with pytest.raises(ValueError, match=r"R must have at least one state and one action.*shape"):
            ExactMDP([[[1]]], bad, [1], F(1, 2))

"""Tests of bounds/registry/: every registered penalty against its independent numpy transcription
(tests/reference.py), the same penalty on exact rationals against floats, the registry's API
(register, bound_named, MODULE:FUNCTION), and a user's bound that fails reported as a failure."""

from __future__ import annotations

import math
import re
import textwrap
from fractions import Fraction

import numpy as np
import pytest

import tabular as T
from bounds import check_all
from bounds.check_batch import check_all_batch
from bounds.counterexamples.certificate import _exact_mdp, _exact_pol
from bounds.registry import (QUANTITIES, Bound, ExactQuantities, FloatQuantities, Interval, NotExact, as_bound,
                             bound_named, evaluate_bounds, exact_slack, register, registered, registry_names,
                             unregister)
from bounds.theory_page import theory
from tabular.mdp_batch import MDPBatch
from tabular.instances import ALL_FAMILIES, sample_instance
from tests.reference import NON_THEOREMS, TWO_SIDED, np_penalties

PACKAGE = registry_names()  # the package's own records (tests register theirs temporarily)


def test_every_registered_bound_has_a_theory_row_and_a_transcription():
    """Adding a bound of the theory: its record, its THEORY row and its transcription in tests/reference.py."""
    m = T.garnet(3, 2, 2, rng=0)
    _, _, pen, centres = np_penalties(m, T.uniform(m), T.random_policy(m, rng=1))
    text = theory()
    for b in registered():
        assert f"`{b.name}`" in text, f"THEORY.md names no `{b.name}`"
        assert b.name in pen, f"tests/reference.py has no transcription of {b.name}"
        assert (b.name in NON_THEOREMS) == (not b.theorem), b.name
        assert (b.name in TWO_SIDED) == b.two_sided, b.name
        assert (b.name in centres) == b.off_centre, b.name
        assert b.statement and b.source and b.label, b.name
    assert set(pen) == set(PACKAGE)


def _instances(n, seed):
    out = []
    for j, child in enumerate(np.random.SeedSequence(seed).spawn(n)):
        out.append(sample_instance(child, family=ALL_FAMILIES[j % len(ALL_FAMILIES)],
                                   gamma=(0.0, 0.5, 0.9, 0.99)[(j // 7) % 4]))
    return out


def test_float_penalties_equal_the_transcriptions():
    """Every registered penalty (and the centre of an off-centre band), on 400 random instances of
    every family, one instance at a time, against the numpy transcription of its paper."""
    n_inf = 0
    for x in _instances(400, 22):
        inst_q = _single(x.mdp, x.pi, x.pi_new)
        arr = evaluate_bounds(inst_q, registered())
        scale = max(1.0, float(np.abs(x.mdp.R).max()) / (1 - x.mdp.gamma))
        eta_new, L, pen, centres = np_penalties(x.mdp, x.pi, x.pi_new, atol=float(arr.atol[0]))
        assert arr.eta_new[0] == pytest.approx(eta_new, abs=1e-9 * scale)
        assert arr.surrogate[0] == pytest.approx(L, abs=1e-9 * scale)
        for b in registered():
            got = arr.half_width[b.name][0] if b.off_centre else arr.penalty[b.name][0]
            want = pen[b.name]
            assert arr.error[b.name][0] == "", (b.name, arr.error[b.name][0])
            if math.isinf(want):
                n_inf += 1
                assert got == want, (b.name, x.meta)
            else:
                assert got == pytest.approx(want, rel=1e-7, abs=1e-12 * scale), (b.name, got, want, x.meta)
            if b.off_centre:
                assert arr.centre[b.name][0] == pytest.approx(centres[b.name], rel=1e-9, abs=1e-9 * scale)
    assert n_inf > 10


def _single(mdp, pi, pi_new):
    from bounds.inequalities.base import prepare

    return prepare(mdp, pi, pi_new).quantities()


def _rational_cases():
    """Small instances with rational data: an infinite KL, gamma = 0, a near-deterministic pi, random ones."""
    rng = np.random.default_rng(5)
    cases = []
    for k in range(14):
        S, A = int(rng.integers(2, 5)), int(rng.integers(2, 4))
        m = T.garnet(S, A, 2, rng=k, gamma=[0.0, 0.3, 0.9, 0.99][k % 4])
        pi = T.random_policy(m, rng=100 + k, concentration=[1.0, 0.2][k % 2])
        pn = T.random_policy(m, rng=200 + k)
        if k % 3 == 0:
            pn[0] = np.eye(A)[0]  # KL(pi || pi_new) infinite unless pi is greedy there
        if k % 5 == 0:
            pn = pi.copy()
        em = _exact_mdp(m)
        cases.append((em, _exact_pol(pi, S, A, "pi"), _exact_pol(pn, S, A, "pi_new")))
    return cases


@pytest.mark.parametrize("case", _rational_cases())
def test_every_penalty_evaluates_exactly_and_agrees_with_floats(case):
    """The ONE penalty function of each record on exact rationals (Fractions; intervals for a log or
    sqrt) and on floats of the same rational instance: the exact slack encloses the float one."""
    em, p, q = case
    fm, fp, fq = em.to_mdp(), np.array(p, dtype=float), np.array(q, dtype=float)
    b = MDPBatch.from_mdps([fm])
    bb = check_all_batch(b, fp, fq, theorems=None)
    scale = max(1.0, float(np.abs(fm.R).max()) / (1 - fm.gamma))
    kinds = set()
    for bd in registered():
        s = exact_slack(bd, ExactQuantities(em, p, q))
        fs = bb.slack[bd.name][0]
        kinds.add(type(s).__name__)
        if s == math.inf:
            assert fs == math.inf, bd.name
            continue
        assert isinstance(s, (Fraction, Interval)), (bd.name, type(s))
        lo, hi = (s, s) if isinstance(s, Fraction) else (s.lower, s.upper)
        assert hi - lo < Fraction(1, 10**40)
        tol = 1e-10 * scale + 1e-12 * abs(fs)
        assert float(lo) - tol <= fs <= float(hi) + tol, (bd.name, float(lo), fs)
    assert "Fraction" in kinds


def test_quantities_are_documented_and_computed():
    x = sample_instance(np.random.SeedSequence(1))
    q = _single(x.mdp, x.pi, x.pi_new)
    for name, (per, _) in QUANTITIES.items():
        v = np.asarray(getattr(q, name))
        assert v.shape == ((1,) if per == "instance" else (x.mdp.n_states,)), name


# ----------------------------------------------------------------------------- the registry's API
def _half_theorem1(q, ops):
    return q.C * q.alpha ** 2 / 2


def test_register_bound_named_and_check_all_include_a_user_bound():
    m = T.garnet(4, 2, 2, rng=0, gamma=0.9)
    pi, pn = T.uniform(m), T.random_policy(m, rng=3)
    b = register(_half_theorem1, statement="eta_new >= L - (C/2) maxTV^2", source="a test")
    try:
        assert isinstance(b, Bound) and b.name == "_half_theorem1" and bound_named("_half_theorem1") is b
        assert registry_names()[-1] == "_half_theorem1"
        t = check_all(m, pi, pn)
        assert t.names[-1] == "_half_theorem1"
        # independent: half of Theorem 1's penalty, from the transcription
        assert t["_half_theorem1"].penalty == pytest.approx(np_penalties(m, pi, pn)[2]["theorem1"] / 2, rel=1e-10)
        with pytest.raises(ValueError, match="already registered"):
            register(Bound("_half_theorem1", _half_theorem1))
    finally:
        unregister("_half_theorem1")
    assert "_half_theorem1" not in check_all(m, pi, pn).names


def test_decorator_aliases_and_errors():
    @register(name="tmp_double", statement="s", source="t", theorem=False)
    def anything(q, ops):
        return 2 * q.C * q.alpha ** 2

    try:
        assert isinstance(anything, Bound) and anything.name == "tmp_double" and not anything.theorem
        assert "tmp_double" not in check_all(T.mdp_x(0.5), T.uniform(T.mdp_x(0.5)), T.uniform(T.mdp_x(0.5))).names
    finally:
        unregister("tmp_double")
    assert bound_named("bounds:theorem1") is bound_named("theorem1")
    assert bound_named("mean_kl_rho").name == "mean_kl" and bound_named("kl_bound").name == "kl_max"
    import bounds

    assert as_bound(bounds.theorem1) is bound_named("theorem1")
    with pytest.raises(ValueError, match="name"):
        bound_named("nope")
    with pytest.raises(ValueError, match="cannot import"):
        bound_named("no_such_module_xyz:f")
    with pytest.raises(ValueError, match="identifier"):
        Bound("bad name", _half_theorem1)
    with pytest.raises(ValueError, match="exactly one"):
        Bound("x")
    with pytest.raises(KeyError):
        unregister("nope")


def test_module_function_from_a_users_file(tmp_path, monkeypatch):
    (tmp_path / "my_bounds_mod.py").write_text(textwrap.dedent("""
        import numpy as np
        from bounds.registry import Bound

        def quarter(q, ops):
            return q.C * q.alpha ** 2 / 4

        def legacy_rhs(mdp, pi, pi_new):
            import tabular as T
            return T.evaluate(mdp, pi).eta - 1e6

        def uses_numpy(q, ops):
            return np.sqrt(q.C) * q.alpha

        RECORD = Bound("my_record", quarter, statement="eta_new >= L - C a^2/4", source="my note")
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    b = bound_named("my_bounds_mod:quarter")
    assert b.name == "quarter" and b.ref == "my_bounds_mod:quarter" and b.over_quantities
    assert bound_named("my_bounds_mod:RECORD").name == "my_record"
    leg = bound_named("my_bounds_mod:legacy_rhs")
    assert leg.legacy is not None and not leg.over_quantities
    m = T.garnet(4, 2, 2, rng=1, gamma=0.5)
    pi, pn = T.uniform(m), T.random_policy(m, rng=2)
    t = check_all(m, pi, pn, extra=["my_bounds_mod:quarter", leg, "my_bounds_mod:uses_numpy"])
    assert t.all_hold and t["legacy_rhs"].rhs == pytest.approx(T.evaluate(m, pi).eta - 1e6)
    em = _exact_mdp(m)
    ex = ExactQuantities(em, _exact_pol(pi, 4, 2, "pi"), _exact_pol(pn, 4, 2, "pi_new"))
    assert isinstance(exact_slack(b, ex), Fraction)
    for bad in (leg, bound_named("my_bounds_mod:uses_numpy")):
        with pytest.raises(NotExact):
            exact_slack(bad, ExactQuantities(em, _exact_pol(pi, 4, 2, "pi"), _exact_pol(pn, 4, 2, "pi_new")))


def _raises(q, ops):
    raise RuntimeError("boom")


def _nan(q, ops):
    return q.C * np.nan


def _scalar(q, ops):
    return 1.0


def _per_state(q, ops):
    return q.tv


def test_a_failing_user_bound_is_a_failure_never_holds():
    from bounds import assert_bound

    m = T.garnet(4, 2, 2, rng=0, gamma=0.9)
    pi, pn = T.uniform(m), T.random_policy(m, rng=3)
    t = check_all(m, pi, pn, extra=[_raises, _nan, _per_state])
    for name, why in (("_raises", "RuntimeError: boom"), ("_nan", "NaN"), ("_per_state", "shape")):
        r = t[name]
        assert not r.holds and why in r.error and math.isnan(r.slack), (name, r.error)
        with pytest.raises(AssertionError, match="FAILED"):
            assert_bound(r)
    assert "FAILED" in str(t) and not t.all_hold
    # batched: per instance, with the instance
    xs = [sample_instance(c, family="garnet") for c in np.random.SeedSequence(2).spawn(6)]
    xs = [x for x in xs if x.mdp.n_actions == xs[0].mdp.n_actions]
    b = MDPBatch.from_mdps([x.mdp for x in xs])
    bb = check_all_batch(b, b.policy_rows([x.pi for x in xs]), b.policy_rows([x.pi_new for x in xs]),
                         extra=[_raises, _scalar, _per_state])
    for name in ("_raises", "_scalar", "_per_state"):
        assert not bb.holds[name].any() and all(e for e in bb.error[name]), name
    assert bb.nan.all() and "one number for" in bb.error["_scalar"][0]


def test_check_all_batch_refuses_the_evaluation_of_another_policy():
    from tabular.mdp_batch import evaluate_batch

    xs = [sample_instance(c, family="garnet") for c in np.random.SeedSequence(4).spawn(4)]
    xs = [x for x in xs if x.mdp.n_actions == xs[0].mdp.n_actions]
    b = MDPBatch.from_mdps([x.mdp for x in xs])
    pi, pn = b.policy_rows([x.pi for x in xs]), b.policy_rows([x.pi_new for x in xs])
    with pytest.raises(ValueError, match="ev"):
        check_all_batch(b, pi, pn, ev=evaluate_batch(b, pn))
    ok = check_all_batch(b, pi, pn, ev=evaluate_batch(b, pi))
    assert all(ok.holds[n].all() for n in ok.names)


def test_the_float_quantities_of_one_instance_handle_sparse_models():
    m = T.garnet(300, 3, 3, rng=0, gamma=0.9, sparse=True)
    pi, pn = T.random_policy(m, rng=1), T.random_policy(m, rng=2)
    q = _single(m, pi, pn)
    assert isinstance(q, FloatQuantities) and q.K == 1
    assert check_all(m, pi, pn).all_hold


def test_falsify_proves_a_false_user_bound_exactly_and_says_when_it_cannot(tmp_path, monkeypatch):
    """A user's penalty over the quantities gets a proven certificate (the same function on exact
    numbers); one that calls numpy is re-evaluated in floating point and says so; a true one is never
    reported violated."""
    from bounds.counterexamples import falsify, verify_certificate

    (tmp_path / "user_false_mod.py").write_text(textwrap.dedent("""
        import numpy as np

        def no_penalty(q, ops):          # eta_new >= L: false
            return q.alpha * 0

        def no_penalty_numpy(q, ops):    # the same, through numpy: cannot be made exact
            return np.sqrt(q.alpha) * 0

        def half_theorem1(q, ops):       # true: Theorem 1 itself
            return q.C * q.alpha ** 2
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    r = falsify("user_false_mod:no_penalty", time_budget=20, rng=0)
    assert r.found and r.verification.proven and r.verification.violated_by > 0
    again = verify_certificate(r.certificate.to_dict(), allow_import=True)  # our own file: trusted
    assert again.proven and again.violated_by == r.verification.violated_by
    r2 = falsify("user_false_mod:no_penalty_numpy", time_budget=20, rng=0)
    assert r2.found and not r2.verification.proven
    assert "re-evaluated in floating point, not proven" in r2.verification.message
    r3 = falsify("user_false_mod:half_theorem1", time_budget=5, rng=0)
    assert not r3.found


def test_assert_bound_takes_a_user_bound_and_an_instance():
    from hypothesis import given, settings

    from bounds import assert_bound
    from tabular.strategies import policy_pairs

    @given(policy_pairs(max_states=4, max_actions=3))
    @settings(max_examples=25, deadline=None, derandomize=True)
    def prop(case):
        assert_bound(_half_theorem1_tight, *case)

    prop()
    m, pi = T.mdp_x(0.5), T.uniform(T.mdp_x(0.5))
    pn = pi.copy()
    pn[0] = [0.0, 1.0]
    with pytest.raises(AssertionError, match="violated"):
        assert_bound(lambda q, ops: -q.L + q.L - 1.0, m, pi, pn)  # eta_new >= L + 1: false
    with pytest.raises(TypeError, match="all three"):
        assert_bound(_half_theorem1, m, pi)


def _half_theorem1_tight(q, ops):
    """Eq. (44)'s penalty written by a user from its named quantities (true)."""
    g, a = q.gamma, q.alpha
    return 4 * a ** 2 * g * q.eps / ((1 - g) * (1 - g * (1 - a)))


def test_interval_ends_are_exact_not_rounded_to_double():
    """The ends of an enclosure are its exact endpoints (at the interval precision), not rounded to 53
    bits: sqrt(2)^2 straddles 2, so a strict comparison with 2 is undecided (it was decided False when
    both ends were rounded to the same double)."""
    from fractions import Fraction

    from bounds.registry import Undecided
    from bounds.registry.ops import EXACT

    s = EXACT.sqrt(Fraction(2)) * EXACT.sqrt(Fraction(2))
    assert s.lower < 2 < s.upper
    assert 0 < s.upper - s.lower < Fraction(1, 10**50)
    with pytest.raises(Undecided):
        s > 2  # noqa: B015

"""Tests of experiments/course/exercises.py, checking.py and _exact.py: the independent linear solves
against the package's evaluation, every expected answer against the package's own way of computing it,
and the three verdicts (a wrong answer of any type never raises and never shows the expected value)."""

from __future__ import annotations

import numpy as np
import pytest

import bounds as B
import tabular as T
from experiments.course import EXERCISES, NOT_ATTEMPTED, RIGHT, WRONG, check, exercise, verdict
from experiments.course import _exact as X


@pytest.mark.parametrize("seed", range(5))
def test_exact_solves_agree_with_tabular_evaluate(seed):
    rng = np.random.default_rng(seed)
    mdp = T.garnet(6, 3, 2, rng=rng, gamma=float(rng.uniform(0.1, 0.95)))
    pi, q = T.random_policy(mdp, rng=rng), T.random_policy(mdp, rng=rng)
    ev, v = T.evaluate(mdp, pi), X.values(mdp, pi)
    for k in ("V", "Q", "A", "rho"):
        np.testing.assert_allclose(v[k], getattr(ev, k), rtol=1e-10, atol=1e-10)
    assert abs(X.surrogate(mdp, pi, q) - T.surrogate(mdp, pi, q)) < 1e-10
    np.testing.assert_allclose(X.kl_per_state(pi, q), T.kl(pi, q), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(X.tv_per_state(pi, q), T.tv(pi, q), atol=1e-14)
    assert abs(X.penalty_C(mdp, pi) - B.theory_C(mdp, pi)) <= 1e-10 * B.theory_C(mdp, pi)


def test_exact_solves_read_a_sparse_mdp():
    mdp = T.gridworld(3, 3, gamma=0.9)
    sparse = T.MDP(__import__("scipy.sparse").sparse.csr_array(mdp.P.reshape(-1, 9)), mdp.R, mdp.rho0, mdp.gamma)
    pi = T.uniform(mdp)
    assert abs(X.eta(sparse, pi) - T.evaluate(mdp, pi).eta) < 1e-10
    assert X.kl_per_state(pi, T.greedy(T.evaluate(mdp, pi).Q)).max() == np.inf  # a dropped action


# The answers as a student computes them: the package's functions, not the check's linear solves.
def _package_answers() -> dict:
    from bounds.counterexamples import known_counterexamples
    from bounds.lemmas import lemma3
    from experiments.course import coupled_rollouts

    m1 = T.garnet(5, 2, 2, rng=3, gamma=0.9)
    u1 = T.uniform(m1)
    n1 = T.mixture(u1, T.greedy(T.evaluate(m1, u1).Q), 0.5)
    m2 = T.garnet(6, 3, 3, rng=0, gamma=0.8)
    u2 = T.uniform(m2)
    step2 = B.mm_step(m2, u2)
    m3 = T.garnet(8, 3, 3, rng=2, gamma=0.9)
    u3 = T.uniform(m3)
    a3 = B.trust_region_step(m3, u3, 0.05, constraint="max")
    b3 = B.trust_region_step(m3, u3, 0.05, constraint="mean", weights="d")
    mx = T.mdp_x(0.9)
    pn = np.array([[0.45, 0.55], [0.5, 0.5], [0.2, 0.8]])
    m5 = T.garnet(5, 2, 2, rng=4, gamma=0.9)
    u5 = T.uniform(m5)
    n5 = T.mixture(u5, T.greedy(T.evaluate(m5, u5).Q), 0.3)
    lem = lemma3(m5, u5, n5, T=400)
    known = {c.name: c for c in known_counterexamples()}["surrogate_not_monotone"]
    runs = {u: B.run(u, m3, u3, n_iter=10, record_bounds=False, **kw)
            for u, kw in (("cpi", {}), ("mm", {}), ("trust_region", {"delta": 0.05}))}
    return {
        "01.1": T.evaluate(m1, T.deterministic([1] * 5, 2)).eta,
        "01.2": T.evaluate(m1, u1).A[2, 0],
        "01.3": "over" if T.surrogate(m1, u1, n1) > T.evaluate(m1, n1).eta else "under",
        "01.4": T.max_kl(u1, n1),
        "02.1": B.theory_C(m2, u2),
        "02.2": int(np.argmax(step2.pi_new[0])),
        "02.3": step2.objective - step2.eta,
        "03.1": "max" if T.evaluate(m3, a3.pi_new).eta > T.evaluate(m3, b3.pi_new).eta else "mean",
        "03.2": T.mean_kl(u3, a3.pi_new, T.evaluate(m3, u3).rho),
        "03.3": b3.kl_max,
        "04.1": 0.01,  # THEORY.md section 6
        "04.2": B.theorem1(mx, T.uniform(mx), pn).slack,
        "04.3": (known.pi, known.pi_new),
        "05.1": T.max_tv(u5, n5),
        "05.2": lemma3(m5, u5, n5, T=5).rhs[5],
        "05.3": coupled_rollouts(m5, u5, n5, 2000, 5, rng=7).diverged[:, 5].mean(),
        "05.4": np.sum(m5.gamma ** lem.t * (lem.abar_new - lem.abar_old)),
        "06.1": B.cpi_step(m3, u3).multiplier,
        "06.2": max(runs, key=lambda u: runs[u].eta[-1]),
        "06.3": B.theorem1(m3, u3, B.mm_step(m3, u3).pi_new).slack,
    }


@pytest.fixture(scope="module")
def answers():
    return _package_answers()


def test_every_exercise_is_right_when_computed_with_the_package(answers):
    assert sorted(answers) == sorted(EXERCISES)
    for eid, answer in answers.items():
        status, message = verdict(eid, answer)
        assert status == RIGHT, (eid, message)


def test_numbers_off_by_more_than_the_tolerance_are_wrong_and_the_value_is_not_shown(answers):
    for eid, ex in EXERCISES.items():
        if ex.kind != "number":
            continue
        expected = ex.expected()
        off = expected + 3 * (ex.atol + ex.rtol * abs(expected))
        status, message = verdict(eid, off)
        assert status == WRONG and "Hint:" in message, eid
        message = verdict(eid, expected + 1 + 10 * abs(expected))[1]  # far off: only the student's value shows
        assert f"{expected:.6g}" not in message and f"{expected:.4f}" not in message
        assert verdict(eid, expected + 0.5 * (ex.atol + ex.rtol * abs(expected)))[0] == RIGHT


def test_every_other_choice_is_wrong(answers):
    for eid, ex in EXERCISES.items():
        if ex.kind == "choice":
            assert [verdict(eid, o)[0] for o in ex.options].count(RIGHT) == 1
            assert verdict(eid, np.int64(answers[eid]) if isinstance(answers[eid], int) else answers[eid].upper())[0] == RIGHT


@pytest.mark.parametrize("bad", [None, "3.5", [1.0, 2.0], {"a": 1}, np.nan, np.inf, True, object(), (1, 2), "sideways"])
def test_malformed_answers_are_wrong_and_never_raise(bad):
    for eid in EXERCISES:
        status, message = verdict(eid, bad)
        assert status == WRONG, (eid, bad)
        assert message


def test_not_attempted_and_the_printed_line(capsys):
    for eid in EXERCISES:
        assert verdict(eid, ...)[0] == NOT_ATTEMPTED
    check("05.1", ...)
    check("05.1", 0.15)
    check("05.1", 0.2)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("[05.1] not attempted yet: ")
    assert out[1].startswith("[05.1] right: ") and out[2].startswith("[05.1] wrong: ")


def test_counterexample_judges():
    assert verdict("04.1", 0.5)[0] == WRONG and "holds" in verdict("04.1", 0.5)[1]
    assert verdict("04.1", 1.5)[0] == WRONG and verdict("04.1", 0.0)[0] == WRONG
    mx = T.mdp_x(0.9)
    u = T.uniform(mx)
    assert verdict("04.3", (u, u))[0] == WRONG  # no promised gain
    assert verdict("04.3", (u, T.optimal(mx).pi))[0] == WRONG  # eta rises
    assert verdict("04.3", (u[:2], u))[0] == WRONG
    assert verdict("04.3", (-u, u))[0] == WRONG


def test_unknown_exercise_is_a_value_error_naming_the_argument():
    with pytest.raises(ValueError, match="exercise_id"):
        exercise("99.9")
    with pytest.raises(ValueError, match="exercise_id"):
        check("nope", 1.0)


def test_expected_answers_are_not_stored_in_the_registry():
    """The registry holds functions: no numeric or string answer is a field of an Exercise."""
    for ex in EXERCISES.values():
        assert callable(ex.expected) or callable(ex.judge)
        assert ex.tolerance

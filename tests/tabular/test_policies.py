"""Tests of ``tabular/policies.py`` (explicit policies ``pi[s, a]``) and of the policy strategies."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabular import (
    deterministic,
    garnet,
    greedy,
    log_softmax,
    mixture,
    random_policy,
    softmax,
    uniform,
    validate_policy,
)
from tabular.policies import argmax_tol, near_max, tie_tolerance
from tabular.strategies import policies, policy_pairs

PROPS = settings(max_examples=100, deadline=None, derandomize=True)


# ----------------------------------------------------------------------------- validate_policy
def test_validate_policy_accepts_and_returns_floats():
    out = validate_policy([[1, 0], [0, 1]])
    assert out.dtype == np.float64 and out.shape == (2, 2)


@pytest.mark.parametrize(
    "pi, pattern",
    [
        ([[0.5, 0.6]], r"^pi_new row \(0,\) sums to 1.1"),
        ([[1.2, -0.2]], r"^pi_new has a negative probability"),
        ([[np.nan, 1.0]], r"^pi_new contains NaN"),
        ([[np.inf, 0.0]], r"^pi_new contains inf"),
        ([0.5, 0.5], r"^pi_new must have 2 dimension"),
        (np.zeros((0, 2)), r"^pi_new has an empty"),
    ],
)
def test_validate_policy_errors_name_the_argument(pi, pattern):
    with pytest.raises(ValueError, match=pattern):
        validate_policy(pi, name="pi_new")


def test_validate_policy_against_an_mdp():
    mdp = garnet(3, 2, 2, rng=0)
    validate_policy(uniform(mdp), mdp)
    with pytest.raises(ValueError, match=r"^pi has 4 states .* expected 3"):
        validate_policy(uniform(4, 2), mdp)
    with pytest.raises(ValueError, match=r"^pi has 3 actions .* expected 2"):
        validate_policy(uniform(3, 3), mdp)
    with pytest.raises(TypeError, match="^pi must be an array of real numbers"):
        validate_policy([["a", "b"]])


# ----------------------------------------------------------------------------- constructors
def test_uniform():
    np.testing.assert_array_equal(uniform(2, 4), np.full((2, 4), 0.25))
    mdp = garnet(5, 3, 2, rng=0)
    np.testing.assert_array_equal(uniform(mdp), np.full((5, 3), 1 / 3))
    with pytest.raises(ValueError, match="S and A must be positive"):
        uniform(0, 2)
    with pytest.raises(TypeError):
        uniform(3)


def test_deterministic():
    np.testing.assert_array_equal(deterministic(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="actions must lie in"):
        deterministic(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match="actions must lie in"):
        deterministic(np.array([-1]), 3)
    with pytest.raises(ValueError, match="actions must be a 1-D integer array"):
        deterministic(np.array([0.0, 1.0]), 3)


# ----------------------------------------------------------------------------- greedy
def test_greedy_picks_the_argmax():
    Q = np.array([[0.0, 2.0, 1.0], [-1.0, -3.0, -2.0]])
    np.testing.assert_array_equal(greedy(Q), [[0, 1, 0], [1, 0, 0]])


def test_greedy_ties_go_to_the_lowest_index():
    Q = np.array([[1.0, 1.0, 0.0], [0.0, 2.0, 2.0], [5.0, 5.0, 5.0]])
    np.testing.assert_array_equal(greedy(Q), [[1, 0, 0], [0, 1, 0], [1, 0, 0]])
    # the same answer every time (deterministic, no random tie-breaking)
    for _ in range(3):
        np.testing.assert_array_equal(greedy(Q), greedy(Q.copy()))


def test_greedy_atol_ties():
    Q = np.array([[1.0, 1.0 + 1e-7, 0.0], [0.0, 1.0, 1.0 + 1e-3]])
    np.testing.assert_array_equal(greedy(Q), [[0, 1, 0], [0, 0, 1]])  # 1e-7 > 1e-9 * max|Q|: a real difference
    np.testing.assert_array_equal(greedy(Q, atol=1e-6), [[1, 0, 0], [0, 0, 1]])  # 1e-7 counts as a tie
    np.testing.assert_array_equal(greedy(Q, atol=1e-2), [[1, 0, 0], [0, 1, 0]])
    # the default rtol: 1e-12 of the value scale is a tie, and rtol=0 restores the exact argmax
    R = np.array([[1.0, 1.0 + 1e-12, 0.0]])
    np.testing.assert_array_equal(greedy(R), [[1, 0, 0]])
    np.testing.assert_array_equal(greedy(R, rtol=0.0), [[0, 1, 0]])
    with pytest.raises(ValueError, match="atol"):
        greedy(Q, atol=-1.0)
    with pytest.raises(ValueError, match="^rtol must be a finite non-negative"):
        greedy(Q, rtol=np.inf)
    with pytest.raises(ValueError, match="^Q contains NaN"):
        greedy(np.array([[np.nan, 1.0]]))


# ----------------------------------------------------------------------------- the tie rule
def _lowest_within(row, tol):
    """The rule written out with a Python loop: the first index whose value is within tol of the max."""
    best = max(row)
    return next(i for i, v in enumerate(row) if v >= best - tol)


def test_argmax_tol_by_hand():
    # the scale is the largest |value| of the whole array (here 100), not of the row
    Q = np.array([[0.0, 5e-8, 1e-12], [100.0, 100.0 - 5e-8, 0.0], [-100.0, -1e-12, 0.0]])
    assert argmax_tol(Q).tolist() == [0, 0, 1]  # 5e-8 < 1e-9 * 100 = 1e-7: tied
    assert argmax_tol(Q, rtol=0.0).tolist() == [1, 0, 2]  # the exact argmax
    assert argmax_tol(Q, rtol=1e-12).tolist() == [1, 0, 1]  # tol 1e-10
    assert argmax_tol(Q, axis=0).tolist() == [1, 1, 0]
    assert argmax_tol([2.0, 3.0, 3.0]) == 1 and isinstance(argmax_tol([2.0, 3.0]), int)
    # a per-row scale (one value scale per instance of a stacked batch)
    assert argmax_tol(Q, scale=np.array([[1e-9], [1e-9], [1e-9]])).tolist() == [1, 0, 2]
    assert float(tie_tolerance(Q)) == 1e-9 * 100.0 and float(tie_tolerance(Q, atol=1.0, rtol=0.0)) == 1.0
    # infinities: -inf never ties with a finite max, +inf only with +inf, an all -inf row gives 0
    assert argmax_tol([[-np.inf, 1.0], [np.inf, np.inf], [-np.inf, -np.inf], [1.0, np.inf]]).tolist() == [1, 0, 0, 1]
    assert near_max([1.0, 1.0 - 1e-12, 0.0]).tolist() == [True, True, False]


def test_argmax_tol_bad_input():
    with pytest.raises(ValueError, match=r"^values contains NaN at index \(1,\)"):
        argmax_tol([1.0, np.nan])
    with pytest.raises(ValueError, match="^values must be a non-empty array"):
        argmax_tol([])
    with pytest.raises(ValueError, match="^values must be a non-empty array"):
        argmax_tol(3.0)
    with pytest.raises(TypeError, match="^values must be an array of real numbers"):
        argmax_tol(["a", "b"])
    with pytest.raises(ValueError, match="^rtol must be a finite non-negative"):
        argmax_tol([1.0, 2.0], rtol=-1e-9)
    with pytest.raises(ValueError, match="^atol must be a finite non-negative"):
        argmax_tol([1.0, 2.0], atol=np.nan)
    with pytest.raises(ValueError, match="^scale must be finite and non-negative"):
        argmax_tol([1.0, 2.0], scale=-1.0)


_TIE_ROWS = st.lists(st.lists(st.integers(-3, 3), min_size=1, max_size=5), min_size=1, max_size=6).filter(
    lambda rows: len({len(r) for r in rows}) == 1)


@given(_TIE_ROWS, st.floats(-1e3, 1e3).filter(lambda x: abs(x) > 1e-3), st.integers(0, 2**32 - 1))
@PROPS
def test_greedy_ignores_round_off_on_exact_ties(rows, scale, seed):
    """Q with exact ties (integer levels times a scale): perturbing every entry by a few 1e-13 of the
    value scale, as a different LAPACK kernel would, never changes the greedy policy; and the choice is
    the lowest index among the tied ones (a Python loop over the exact integer levels)."""
    levels = np.array(rows, dtype=float)
    Q = levels * scale
    noise = np.random.default_rng(seed).uniform(-1, 1, Q.shape) * 3e-13 * np.abs(Q).max()
    expected = [_lowest_within(list(r), 0.5) for r in (levels if scale > 0 else -levels)]
    assert argmax_tol(Q).tolist() == expected
    assert argmax_tol(Q + noise).tolist() == expected
    np.testing.assert_array_equal(greedy(Q + noise), greedy(Q))
    np.testing.assert_array_equal(greedy(Q + noise), deterministic(np.array(expected), Q.shape[1]))
    # scale-free: multiplying Q by a power of two (exact) changes nothing
    assert argmax_tol(Q * 2.0**-40).tolist() == expected


# ----------------------------------------------------------------------------- softmax
def test_softmax_matches_the_direct_formula_for_small_theta():
    theta = np.random.default_rng(0).normal(size=(5, 4))
    direct = np.exp(theta) / np.exp(theta).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(softmax(theta), direct, rtol=1e-14, atol=0)
    np.testing.assert_allclose(log_softmax(theta), np.log(direct), rtol=0, atol=1e-14)


def test_softmax_is_stable_for_huge_theta():
    theta = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4 - math.log(2.0)], [-1e4, -1e4, -1e4]])
    pi = softmax(theta)
    assert np.all(np.isfinite(pi)) and np.all(np.isfinite(log_softmax(theta)))
    np.testing.assert_allclose(pi[0], [1.0, 0.0, 0.0], rtol=0, atol=1e-300)
    np.testing.assert_allclose(pi[1], [0.4, 0.4, 0.2], rtol=1e-12)  # e^0 : e^0 : e^{-log 2}
    np.testing.assert_allclose(pi[2], [1 / 3] * 3, rtol=1e-15)
    np.testing.assert_allclose(log_softmax(theta)[0], [0.0, -1e4, -2e4], rtol=1e-15)
    validate_policy(pi)


@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**32 - 1), st.floats(-1e3, 1e3))
@PROPS
def test_softmax_shift_invariance(S, A, seed, c):
    theta = np.random.default_rng(seed).normal(scale=3.0, size=(S, A))
    np.testing.assert_allclose(softmax(theta + c), softmax(theta), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(softmax(theta).sum(axis=1), 1.0, rtol=0, atol=1e-14)


# ----------------------------------------------------------------------------- mixture
def test_mixture_formula_and_endpoints():
    pi = np.array([[0.5, 0.5], [1.0, 0.0]])
    pi_prime = np.array([[0.0, 1.0], [0.0, 1.0]])
    np.testing.assert_allclose(mixture(pi, pi_prime, 0.25), [[0.375, 0.625], [0.75, 0.25]], rtol=1e-15)
    np.testing.assert_array_equal(mixture(pi, pi_prime, 0.0), pi)
    np.testing.assert_array_equal(mixture(pi, pi_prime, 1.0), pi_prime)


@pytest.mark.parametrize("alpha", [-0.1, 1.1, float("nan"), float("inf")])
def test_mixture_alpha_out_of_bounds(alpha):
    with pytest.raises(ValueError, match=r"^alpha must lie in \[0, 1\]"):
        mixture(uniform(2, 2), uniform(2, 2), alpha)


def test_mixture_bad_types_and_shapes():
    with pytest.raises(TypeError, match="^alpha must be a real number"):
        mixture(uniform(2, 2), uniform(2, 2), "0.5")
    with pytest.raises(ValueError, match="^pi_prime has 3 states"):
        mixture(uniform(2, 2), uniform(3, 2), 0.5)
    with pytest.raises(ValueError, match="^pi row"):
        mixture(np.full((2, 2), 0.3), uniform(2, 2), 0.5)


# ----------------------------------------------------------------------------- random_policy
def test_random_policy_reproducible():
    a = random_policy(6, 3, rng=42)
    b = random_policy(6, 3, rng=42)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, random_policy(6, 3, rng=43))
    g1, g2 = np.random.default_rng(7), np.random.default_rng(7)
    np.testing.assert_array_equal(random_policy(6, 3, rng=g1), random_policy(6, 3, rng=g2))
    mdp = garnet(6, 3, 2, rng=0)
    np.testing.assert_array_equal(random_policy(mdp, rng=42), a)
    validate_policy(a)


def test_random_policy_near_deterministic_for_small_concentration():
    """Dirichlet(c) rows concentrate on a vertex of the simplex as c -> 0 and on its centre as
    c -> infinity."""
    sharp = random_policy(2000, 4, rng=0, concentration=0.01)
    flat = random_policy(2000, 4, rng=0, concentration=100.0)
    validate_policy(sharp)
    assert np.mean(sharp.max(axis=1) > 0.99) > 0.8
    assert np.mean(flat.max(axis=1)) < 0.35  # near uniform (1/4)
    # extremely small concentrations underflow; rows must still be valid one-hot-like rows
    tiny = random_policy(500, 4, rng=1, concentration=1e-6)
    validate_policy(tiny)
    assert np.all(tiny.max(axis=1) > 0.999)


def test_random_policy_bad_concentration():
    for c in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="concentration"):
            random_policy(2, 2, rng=0, concentration=c)


# ----------------------------------------------------------------------------- the strategies
@given(st.integers(1, 6), st.integers(1, 5), st.data())
@PROPS
def test_policies_strategy_yields_valid_policies(S, A, data):
    pi = data.draw(policies(S, A))
    assert pi.shape == (S, A)
    validate_policy(pi)
    np.testing.assert_allclose(pi.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    full = data.draw(policies(S, A, kind="full_support"))
    assert full.min() >= min(1e-3, 0.5 / A)
    np.testing.assert_allclose(full.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    det = data.draw(policies(S, A, kind="deterministic"))
    assert np.all(np.sort(det, axis=1)[:, -1] == 1.0) and np.all(det.sum(axis=1) == 1.0)


def test_policies_strategy_rejects_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        policies(2, 2, kind="greedy")
    with pytest.raises(ValueError, match="positive"):
        policies(0, 2)


@given(policy_pairs(full_support=True))
@settings(max_examples=50, deadline=None, derandomize=True)
def test_policy_pairs_strategy(triple):
    mdp, pi, pi_new = triple
    validate_policy(pi, mdp)
    validate_policy(pi_new, mdp, name="pi_new")
    assert np.all(pi > 0) and np.all(pi_new > 0)


def test_uniform_and_random_policy_with_an_mdp_take_no_A():
    mdp = garnet(5, 3, 2, rng=0)
    with pytest.raises(TypeError, match=r"^uniform\(mdp\) takes S and A from the MDP: A must not be given"):
        uniform(mdp, 3)
    with pytest.raises(TypeError, match=r"^random_policy\(mdp\) takes S and A from the MDP"):
        random_policy(mdp, 7)  # rng passed by position
    with pytest.raises(TypeError, match=r"^S \(the first argument of uniform\) must be a tabular.MDP or an integer"):
        uniform(mdp.P, 3)
    with pytest.raises(TypeError, match=r"^A must be an integer, got 2.5"):
        uniform(3, 2.5)
    with pytest.raises(TypeError, match=r"^uniform needs an MDP, or the numbers of states and actions"):
        uniform(np.zeros((2, 2)))


def test_deterministic_and_greedy_check_their_arguments():
    with pytest.raises(TypeError, match=r"^n_actions must be an integer"):
        deterministic(np.array([0, 1]), 2.0)
    with pytest.raises(ValueError, match=r"^actions is empty"):
        deterministic(np.array([], dtype=int), 2)
    with pytest.raises(ValueError, match=r"^atol must be a finite non-negative"):
        greedy(np.zeros((2, 2)), atol=np.nan)
    with pytest.raises(TypeError, match=r"^Q must be an array of real numbers, got a complex"):
        greedy(np.zeros((2, 2)) + 1j)

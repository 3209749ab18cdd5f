"""Tests of ``tabular/divergences.py``: per-state TV and KL (THEORY.md §1), their max and weighted means.

References: scipy's ``special.rel_entr`` and ``stats.entropy`` (independent KL implementations),
hand-computed values, and Pinsker's inequality ``TV^2 <= KL / 2`` (hence ``TV^2 <= KL``) as a
property over random policies, zeros included.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from tabular import kl, max_kl, max_tv, mean_kl, mean_tv, tv, weighted_mean
from tabular.strategies import policies

PROPS = settings(max_examples=150, deadline=None, derandomize=True)


@st.composite
def _pairs(draw, kind=None):
    S = draw(st.integers(1, 6))
    A = draw(st.integers(1, 5))
    return draw(policies(S, A, kind=kind)), draw(policies(S, A, kind=kind))


# ----------------------------------------------------------------------------- by hand
def test_tv_by_hand():
    pi = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.2, 0.3, 0.5]])
    pi_new = np.array([[0.25, 0.25, 0.5], [0.0, 0.0, 1.0], [0.2, 0.3, 0.5]])
    np.testing.assert_allclose(tv(pi, pi_new), [0.5, 1.0, 0.0], rtol=0, atol=1e-16)
    assert max_tv(pi, pi_new) == 1.0
    np.testing.assert_allclose(mean_tv(pi, pi_new, [0.2, 0.3, 0.5]), 0.1 + 0.3, rtol=1e-15)


def test_kl_by_hand():
    pi = np.array([[0.5, 0.5], [1.0, 0.0], [0.9, 0.1]])
    pi_new = np.array([[0.25, 0.75], [0.5, 0.5], [0.9, 0.1]])
    expected = [
        0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75),
        math.log(2.0),  # 1 * log(1 / 0.5) + 0 * log 0 (= 0)
        0.0,
    ]
    np.testing.assert_allclose(kl(pi, pi_new), expected, rtol=1e-14, atol=0)
    assert kl(pi, pi_new)[2] == 0.0  # identical rows: exactly zero, never a tiny negative
    assert max_kl(pi, pi_new) == pytest.approx(math.log(2.0), rel=1e-15)
    assert mean_kl(pi, pi_new, [1.0, 2.0, 3.0]) == pytest.approx(expected[0] + 2 * expected[1], rel=1e-14)


def test_kl_direction_is_pi_to_pi_new():
    """kl(pi, pi_new) = KL(pi || pi_new), the direction of [TRPO] Eq. (9)-(12); it is not symmetric."""
    p = np.array([[0.9, 0.1]])
    q = np.array([[0.5, 0.5]])
    forward = 0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5)
    backward = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)
    assert kl(p, q)[0] == pytest.approx(forward, rel=1e-14)
    assert kl(q, p)[0] == pytest.approx(backward, rel=1e-14)
    assert abs(forward - backward) > 0.1


def test_kl_infinite_where_unsupported_without_nan_or_warning():
    pi = np.array([[0.5, 0.5], [0.0, 1.0], [1.0, 0.0]])
    pi_new = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning (log of 0, 0 * inf) fails the test
        with np.errstate(all="raise"):  # and so does any floating-point error numpy would signal
            out = kl(pi, pi_new)
            m = max_kl(pi, pi_new)
    assert out[0] == np.inf and m == np.inf
    assert out[1] == 0.0  # 0 * log 0 = 0 on both sides
    assert out[2] == pytest.approx(math.log(2.0), rel=1e-15)
    assert not np.any(np.isnan(out))


def test_weighted_mean_zero_weight_on_infinite_state_is_finite():
    pi = np.array([[0.5, 0.5], [0.3, 0.7]])
    pi_new = np.array([[1.0, 0.0], [0.6, 0.4]])  # state 0: KL = inf
    k1 = 0.3 * math.log(0.3 / 0.6) + 0.7 * math.log(0.7 / 0.4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mean_kl(pi, pi_new, [0.0, 2.0]) == pytest.approx(2 * k1, rel=1e-14)
        assert mean_kl(pi, pi_new, [1e-300, 2.0]) == np.inf
        assert weighted_mean([np.inf, 1.0], [0.0, 3.0]) == 3.0


def test_weighted_mean_bad_input():
    with pytest.raises(ValueError, match="weights"):
        weighted_mean([1.0, 2.0], [0.5, 0.5, 0.0])
    with pytest.raises(ValueError, match="weights must be non-negative"):
        weighted_mean([1.0, 2.0], [1.5, -0.5])
    with pytest.raises(ValueError, match="^weights contains NaN"):
        weighted_mean([1.0, 2.0], [np.nan, 1.0])
    with pytest.raises(ValueError, match="NaN"):
        weighted_mean([np.nan, 2.0], [1.0, 1.0])


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match=r"^pi has shape .* but pi_new has shape"):
        tv(np.full((2, 2), 0.5), np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match=r"^pi has shape .* but pi_new has shape"):
        kl(np.full((2, 2), 0.5), np.full((2, 4), 0.25))
    with pytest.raises(ValueError, match=r"^pi_new row"):
        kl(np.full((2, 2), 0.5), np.full((2, 2), 0.4))
    with pytest.raises(ValueError, match=r"^pi has a negative"):
        tv(np.array([[1.5, -0.5]]), np.array([[0.5, 0.5]]))
    with pytest.raises(ValueError, match=r"^pi contains NaN"):
        max_kl(np.array([[np.nan, 1.0]]), np.array([[0.5, 0.5]]))
    with pytest.raises(ValueError, match="weights"):
        mean_tv(np.full((2, 2), 0.5), np.full((2, 2), 0.5), [1.0])


# ----------------------------------------------------------------------------- properties
@given(_pairs())
@PROPS
def test_kl_matches_scipy(pair):
    pi, pi_new = pair
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = kl(pi, pi_new)
    ref = scipy.special.rel_entr(pi, pi_new).sum(axis=1)
    finite = np.isfinite(ref)
    assert np.array_equal(np.isinf(ours), ~finite)
    np.testing.assert_allclose(ours[finite], np.maximum(ref[finite], 0.0), rtol=1e-12, atol=1e-15)
    for s in np.flatnonzero(finite):
        assert ours[s] == pytest.approx(scipy.stats.entropy(pi[s], pi_new[s]), rel=1e-10, abs=1e-14)


@given(_pairs())
@PROPS
def test_tv_matches_hand_formula_and_is_a_metric(pair):
    pi, pi_new = pair
    d = tv(pi, pi_new)
    np.testing.assert_allclose(d, 0.5 * np.abs(pi - pi_new).sum(axis=1), rtol=0, atol=1e-16)
    np.testing.assert_array_equal(d, tv(pi_new, pi))
    assert np.all(d >= 0) and np.all(d <= 1 + 1e-15)
    # TV = sum_a max(pi - pi_new, 0) (the rows have equal mass)
    np.testing.assert_allclose(d, np.maximum(pi - pi_new, 0).sum(axis=1), rtol=0, atol=1e-14)
    assert max_tv(pi, pi_new) == d.max()
    np.testing.assert_array_equal(tv(pi, pi), 0.0)


@given(_pairs())
@PROPS
def test_pinsker(pair):
    """Pinsker: KL >= 2 TV^2 (nats), hence also KL >= TV^2 (used by Eq. (9) of [TRPO])."""
    pi, pi_new = pair
    k, t = kl(pi, pi_new), tv(pi, pi_new)
    assert np.all(k >= 0)
    assert np.all(k >= 2 * t**2 - 1e-12)
    assert np.all(k >= t**2 - 1e-12)
    assert max_kl(pi, pi_new) >= max_tv(pi, pi_new) ** 2 - 1e-12


@given(_pairs(kind="full_support"), st.integers(0, 2**32 - 1))
@PROPS
def test_weighted_means_are_dot_products(pair, seed):
    pi, pi_new = pair
    w = np.random.default_rng(seed).random(pi.shape[0])
    assert mean_kl(pi, pi_new, w) == pytest.approx(float(w @ kl(pi, pi_new)), rel=1e-12, abs=1e-300)
    assert mean_tv(pi, pi_new, w) == pytest.approx(float(w @ tv(pi, pi_new)), rel=1e-12, abs=1e-300)
    assert np.all(np.isfinite(kl(pi, pi_new)))  # full support: KL finite everywhere


@pytest.mark.parametrize("eps", [1e-2, 1e-4, 1e-6, 1e-7])
def test_kl_of_nearly_equal_policies_is_accurate(eps):
    """The KL of a tiny step (Algorithm 1 at gamma -> 1 moves KL ~ 1e-12) keeps its relative precision:
    compared with 50-digit mpmath on the same float64 inputs (KL of the stored rows, exactly
    normalized by mpmath), including an action outside pi's support and a tiny probability."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    rng = np.random.default_rng(7)
    pi = rng.dirichlet(np.ones(5), size=20)
    pi[0, 2], pi[1, 3] = 0.0, 1e-200
    pi /= pi.sum(axis=1, keepdims=True)
    q = pi * np.exp(eps * rng.normal(size=pi.shape))
    q[0, 2] = eps**2 / 10  # mass where pi has none
    q /= q.sum(axis=1, keepdims=True)
    ours = kl(pi, q)
    for s in range(pi.shape[0]):
        x = [mpmath.mpf(float(v)) for v in pi[s]]
        y = [mpmath.mpf(float(v)) for v in q[s]]
        sx, sy = sum(x), sum(y)
        exact = sum(a / sx * mpmath.log((a / sx) / (b / sy)) for a, b in zip(x, y) if a > 0)
        # relative error ~ round-off of pi_new / pi relative to the step eps
        assert abs(ours[s] - float(exact)) <= 1e-7 * float(exact) + 1e-30, (s, ours[s], float(exact))


def test_weighted_mean_refuses_complex_or_string_values():
    from tabular.divergences import weighted_mean

    with pytest.raises(TypeError, match=r"^values must be an array of real numbers, got a complex"):
        weighted_mean(np.array([1.0 + 1j, 0.0]), np.ones(2))
    with pytest.raises(TypeError, match=r"^weights must be an array of real numbers.*strings"):
        weighted_mean(np.ones(2), np.array(["1", "1"]))
    assert weighted_mean(np.array([np.inf, 1.0]), np.array([0.0, 2.0])) == 2.0  # 0 * inf = 0

"""Tests of bounds/symbolic/model.py: the symbolic MDP, random rational instances, the bridge to tabular."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import tabular
from bounds import symbolic as sy
from bounds.symbolic import evaluate_symbolic, symbolic_mdp
from bounds.symbolic.model import check_size

from .helpers import TOL, as_array


def test_symbolic_mdp_structure_and_substitution():
    m = symbolic_mdp()
    assert m.shape == (2, 2)
    p01 = m.symbol("p_{0,1}")
    assert m.P[0][1] == (p01, 1 - p01)
    assert list(m.rho0) == [m.symbol("q"), 1 - m.symbol("q")]
    assert len(m.free_symbols) == 4 + 4 + 1 + 1
    for row in m.P:
        for probs in row:
            assert sp.Add(*probs) - 1 == 0
    n = symbolic_mdp(numeric={"gamma": sp.Rational(9, 10), p01: "1/4"})
    assert n.gamma == sp.Rational(9, 10)
    assert n.P[0][1] == (sp.Rational(1, 4), sp.Rational(3, 4))
    assert m.symbol("gamma") not in n.free_symbols
    big = symbolic_mdp(3, 2)
    for row in big.P:
        for probs in row:
            assert sp.expand(sp.Add(*probs)) == 1
    assert sp.expand(sp.Add(*big.rho0)) == 1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(S=0), "S must be"),
        (dict(A=1.5), "A must be"),
        (dict(numeric={"nope": 1}), "unknown name"),
        (dict(numeric={"gamma": 1}), "gamma must lie"),
        (dict(numeric={"p_{0,0}": sp.Rational(3, 2)}), r"must lie in \[0, 1\]"),
        (dict(numeric={"q": float("nan")}), "finite"),
        (dict(numeric=[1, 2]), "numeric must be a dict"),
    ],
)
def test_symbolic_mdp_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        symbolic_mdp(**kwargs)


@pytest.mark.parametrize("bad", [0, -1, 1.5, 2.0, True, "2", None])
def test_check_size_raises_value_error_naming_the_argument(bad):
    """One size check for S, A and the denominator: ValueError (never TypeError), as before."""
    with pytest.raises(ValueError, match=r"^S must be an integer >= 1, got "):
        check_size(bad, "S")
    assert check_size(np.int64(3), "S") == 3 and type(check_size(np.int64(3), "S")) is int


@pytest.mark.parametrize(
    "make",
    [sy.symbolic_mdp, sy.random_rational_mdp, sy.softmax_policy, sy.simplex_policy,
     lambda S, A: sy.fisher_from_kl_hessian(A, S=S)],
)
def test_every_constructor_checks_sizes_alike(make):
    with pytest.raises(ValueError, match=r"^S must be an integer >= 1, got 1.5"):
        make(S=1.5, A=2)
    with pytest.raises(ValueError, match=r"^A must be an integer >= 1, got 0"):
        make(S=2, A=0)


@pytest.mark.parametrize("bad", [1, 2.5, True])
def test_random_instances_reject_a_bad_denominator(bad):
    for make in (sy.random_rational_mdp, sy.random_rational_policy):
        with pytest.raises(ValueError, match=r"^denominator must be an integer >= 2, got "):
            make(denominator=bad)


def test_to_tabular_and_from_arrays_reject_bad_input():
    m = symbolic_mdp()
    with pytest.raises(ValueError, match="free symbols"):
        sy.to_tabular(m)
    with pytest.raises(ValueError, match="sum to exactly 1"):
        sy.from_arrays([[[0.5, 0.4]], [[0.0, 1.0]]], [[0], [0]], [1, 0], 0.5)
    with pytest.raises(ValueError, match="gamma must lie"):
        sy.from_arrays([[[0.5, 0.5]], [[0.0, 1.0]]], [[0], [0]], [1, 0], 1)


def test_from_arrays_on_a_zoo_mdp_matches_tabular():
    """Puterman's two-state MDP (tabular.zoo), converted to exact rationals."""
    m = tabular.two_state(gamma=0.95)
    sm = sy.from_arrays(m.dense_P(), m.R, m.rho0, m.gamma)
    assert sm.gamma == sp.Rational(19, 20)
    pi = np.array([[0.25, 0.75], [0.5, 0.5]])
    ev = evaluate_symbolic(sm, pi)
    num = tabular.evaluate(m, pi)
    np.testing.assert_allclose(as_array(ev.V).ravel(), num.V, rtol=TOL)
    assert float(ev.eta) == pytest.approx(num.eta, rel=TOL)


def test_random_rational_mdp_is_exact_reproducible_and_converts_to_tabular():
    m = sy.random_rational_mdp(3, 2, rng=4, denominator=7)
    assert all(isinstance(x, sp.Rational) and x > 0 for row in m.P for probs in row for x in probs)
    assert all(sum(probs) == 1 for row in m.P for probs in row) and sum(m.rho0) == 1
    assert 0 < m.gamma < 1 and all(abs(r) <= 1 for r in m.R)
    num = sy.to_tabular(m)
    np.testing.assert_array_equal(num.dense_P(), [[[float(x) for x in probs] for probs in row] for row in m.P])
    np.testing.assert_array_equal(num.R, np.array(m.R.tolist(), dtype=float))
    assert num.gamma == float(m.gamma)
    again = sy.random_rational_mdp(3, 2, rng=4, denominator=7)  # reproducible from rng
    assert again.P == m.P and again.R == m.R and again.rho0 == m.rho0 and again.gamma == m.gamma

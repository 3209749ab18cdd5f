"""Tests of ``tabular/mdp.py``: validation of every input, immutability, dense <-> sparse storage.

Conventions under test (THEORY.md §1): ``P[s, a, t]`` rows on the simplex, ``R[s, a]`` (or ``r(s)``
broadcast over actions), ``rho0`` on the simplex, ``0 <= gamma < 1``; a sparse model is an
``(S*A, S)`` CSR matrix whose row ``s*A + a`` is ``P[s, a, :]``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings

from tabular import MDP
from tabular.strategies import mdps


def _valid(S=3, A=2, seed=0):
    """A valid dense (P, R, rho0) built by hand (independent of the zoo)."""
    rng = np.random.default_rng(seed)
    P = rng.random((S, A, S))
    P /= P.sum(axis=2, keepdims=True)
    R = rng.uniform(-1, 1, size=(S, A))
    rho0 = np.full(S, 1.0 / S)
    return P, R, rho0


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("sparse", [False, True])
def test_row_not_summing_to_one(sparse):
    P, R, rho0 = _valid()
    P[1, 0, 0] += 0.01
    P = sp.csr_array(P.reshape(6, 3)) if sparse else P
    with pytest.raises(ValueError, match=r"P row .* sums to"):
        MDP(P, R, rho0, 0.9)


@pytest.mark.parametrize("sparse", [False, True])
def test_negative_probability(sparse):
    P, R, rho0 = _valid()
    P[0, 1, :] = [1.2, -0.2, 0.0]
    P = sp.csr_array(P.reshape(6, 3)) if sparse else P
    with pytest.raises(ValueError, match=r"P has a negative probability"):
        MDP(P, R, rho0, 0.9)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("sparse", [False, True])
def test_nonfinite_P(bad, sparse):
    P, R, rho0 = _valid()
    P[2, 1, 1] = bad
    P = sp.csr_array(P.reshape(6, 3)) if sparse else P
    with pytest.raises(ValueError, match=r"^P contains"):
        MDP(P, R, rho0, 0.9)


@pytest.mark.parametrize("bad, word", [(np.nan, "NaN"), (np.inf, "inf"), (-np.inf, "inf")])
def test_nonfinite_R(bad, word):
    P, R, rho0 = _valid()
    R[1, 1] = bad
    with pytest.raises(ValueError, match=rf"^R contains {word}"):
        MDP(P, R, rho0, 0.9)


@pytest.mark.parametrize("bad, word", [(np.nan, "NaN"), (np.inf, "inf")])
def test_nonfinite_rho0(bad, word):
    P, R, rho0 = _valid()
    rho0[0] = bad
    with pytest.raises(ValueError, match=rf"^rho0 contains {word}"):
        MDP(P, R, rho0, 0.9)


def test_rho0_not_a_distribution():
    P, R, _ = _valid()
    with pytest.raises(ValueError, match=r"^rho0 row .* sums to"):
        MDP(P, R, np.array([0.5, 0.2, 0.2]), 0.9)
    with pytest.raises(ValueError, match=r"^rho0 has a negative probability"):
        MDP(P, R, np.array([1.5, -0.5, 0.0]), 0.9)


@pytest.mark.parametrize("gamma", [1.0, -0.1, float("nan"), float("inf"), 1.5])
def test_bad_gamma_value(gamma):
    P, R, rho0 = _valid()
    with pytest.raises(ValueError, match=r"^gamma must lie in \[0, 1\)"):
        MDP(P, R, rho0, gamma)


@pytest.mark.parametrize("gamma", ["0.9", None, True, [0.9]])
def test_bad_gamma_type(gamma):
    P, R, rho0 = _valid()
    with pytest.raises(TypeError, match=r"^gamma must be a real number"):
        MDP(P, R, rho0, gamma)


def test_gamma_numpy_scalar_accepted():
    P, R, rho0 = _valid()
    mdp = MDP(P, R, rho0, np.float32(0.5))
    assert type(mdp.gamma) is float and mdp.gamma == 0.5
    assert MDP(P, R, rho0, 0).gamma == 0.0


def test_shapes_that_disagree():
    P, R, rho0 = _valid(S=3, A=2)
    with pytest.raises(ValueError, match=r"^R must have shape \(3, 2\)"):
        MDP(P, R[:, :1], rho0, 0.9)
    with pytest.raises(ValueError, match=r"^R must have shape \(3, 2\)"):
        MDP(P, R.T, rho0, 0.9)
    with pytest.raises(ValueError, match=r"^a state reward R must have shape \(3,\)"):
        MDP(P, np.zeros(4), rho0, 0.9)
    with pytest.raises(ValueError, match=r"^R must have 1 or 2 dimension"):
        MDP(P, np.zeros((3, 2, 1)), rho0, 0.9)
    with pytest.raises(ValueError, match=r"^rho0 must have shape \(3,\)"):
        MDP(P, R, np.full(4, 0.25), 0.9)
    with pytest.raises(ValueError, match=r"^rho0 must have 1 dimension"):
        MDP(P, R, np.full((3, 1), 1 / 3), 0.9)
    Q = np.zeros((3, 2, 4))
    Q[..., 0] = 1.0
    with pytest.raises(ValueError, match=r"^dense P must have shape \(S, A, S\)"):
        MDP(Q, R, rho0, 0.9)
    with pytest.raises(ValueError, match=r"^P must have 3 dimension"):
        MDP(P.reshape(6, 3), R, rho0, 0.9)


def test_sparse_rows_not_a_multiple_of_S():
    P = sp.csr_array(np.eye(3)[[0, 1, 2, 0, 1]])  # 5 rows, S = 3
    with pytest.raises(ValueError, match=r"^sparse P .* 5 rows is not a multiple of S=3"):
        MDP(P, np.zeros((3, 2)), np.full(3, 1 / 3), 0.9)


def test_empty_state_or_action_set():
    with pytest.raises(ValueError, match=r"^P has an empty state or action set"):
        MDP(np.zeros((0, 2, 0)), np.zeros((0, 2)), np.zeros(0), 0.9)
    with pytest.raises(ValueError, match=r"^P has an empty state or action set"):
        MDP(np.zeros((2, 0, 2)), np.zeros((2, 0)), np.full(2, 0.5), 0.9)
    with pytest.raises(ValueError, match=r"^P has an empty state or action set"):
        MDP(sp.csr_array((0, 2)), np.zeros((2, 0)), np.full(2, 0.5), 0.9)
    with pytest.raises(ValueError, match=r"^P has an empty state or action set"):
        MDP(sp.csr_array((0, 0)), np.zeros((0, 1)), np.zeros(0), 0.9)


def test_non_numeric_input_is_a_type_error():
    P, R, rho0 = _valid()
    with pytest.raises(TypeError, match=r"^R must be an array of real numbers"):
        MDP(P, [["a", "b"]] * 3, rho0, 0.9)


# ----------------------------------------------------------------------------- good input
def test_state_reward_broadcasts_over_actions():
    P, _, rho0 = _valid(S=3, A=2)
    r = np.array([1.0, -2.0, 0.5])
    mdp = MDP(P, r, rho0, 0.9)
    assert mdp.R.shape == (3, 2)
    for a in range(2):
        np.testing.assert_array_equal(mdp.R[:, a], r)


def test_sizes_and_repr():
    P, R, rho0 = _valid(S=4, A=3)
    for mdp in (MDP(P, R, rho0, 0.5), MDP(sp.csr_array(P.reshape(12, 4)), R, rho0, 0.5)):
        assert mdp.n_states == 4 and mdp.n_actions == 3 and mdp.shape == (4, 3)
        assert "S=4" in repr(mdp) and "A=3" in repr(mdp)


def test_rows_within_tolerance_are_accepted_not_renormalized():
    P, R, rho0 = _valid()
    P[0, 0, 0] += 5e-9  # inside the documented 1e-8 tolerance
    mdp = MDP(P, R, rho0, 0.9)
    assert mdp.P[0, 0, 0] == P[0, 0, 0]  # stored as given


def test_arrays_are_read_only():
    P, R, rho0 = _valid()
    mdp = MDP(P, R, rho0, 0.9)
    for arr in (mdp.P, mdp.R, mdp.rho0):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        mdp.gamma = 0.5


def test_inputs_are_copied():
    P, R, rho0 = _valid()
    mdp = MDP(P, R, rho0, 0.9)
    P0, R0, rho00 = P.copy(), R.copy(), rho0.copy()
    P[:] = 0.0
    R[:] = 7.0
    rho0[:] = 0.0
    np.testing.assert_array_equal(mdp.P, P0)
    np.testing.assert_array_equal(mdp.R, R0)
    np.testing.assert_array_equal(mdp.rho0, rho00)
    Ps = sp.csr_array(P0.reshape(6, 3))
    smdp = MDP(Ps, R0, rho00, 0.9)
    Ps.data[:] = -1.0
    assert np.all(smdp.P.data >= 0)


def test_sparse_transitions_are_read_only():
    """The MDP docstring promises "an MDP cannot be mutated after validation". For a sparse P the
    CSR arrays stay writable (``validation.readonly`` leaves sparse matrices alone), so a validated
    model can be silently corrupted, e.g. given negative probabilities."""
    P, R, rho0 = _valid()
    mdp = MDP(sp.csr_array(P.reshape(6, 3)), R, rho0, 0.9)
    with pytest.raises(ValueError, match="read-only"):
        mdp.P.data[0] = -5.0


def test_sparse_duplicates_are_summed():
    rows = np.array([0, 0, 1, 2, 3])
    cols = np.array([1, 1, 0, 1, 0])
    data = np.array([0.25, 0.75, 1.0, 1.0, 1.0])
    P = sp.coo_array((data, (rows, cols)), shape=(4, 2))
    mdp = MDP(P, np.zeros((2, 2)), np.array([1.0, 0.0]), 0.5)
    assert mdp.dense_P()[0, 0, 1] == 1.0 and mdp.dense_P()[0, 0, 0] == 0.0


def test_dense_sparse_round_trip_by_hand():
    P, R, rho0 = _valid(S=3, A=2)
    dense = MDP(P, R, rho0, 0.7)
    sparse = dense.to_sparse()
    assert sparse.is_sparse and not dense.is_sparse
    # row s*A + a of the CSR matrix is P[s, a, :] (the documented layout)
    flat = sparse.P.toarray()
    for s in range(3):
        for a in range(2):
            np.testing.assert_array_equal(flat[s * 2 + a], P[s, a])
    back = sparse.to_dense()
    np.testing.assert_array_equal(back.P, P)
    np.testing.assert_array_equal(back.R, R)
    np.testing.assert_array_equal(back.rho0, rho0)
    assert back.gamma == 0.7
    assert dense.to_dense() is dense and sparse.to_sparse() is sparse


@given(mdps())
@settings(max_examples=60, deadline=None, derandomize=True)
def test_dense_sparse_round_trip(mdp):
    other = mdp.to_dense() if mdp.is_sparse else mdp.to_sparse()
    np.testing.assert_array_equal(other.dense_P(), mdp.dense_P())
    x = np.arange(mdp.n_states, dtype=np.float64)
    np.testing.assert_allclose(other.P_flat @ x, mdp.P_flat @ x, rtol=1e-15, atol=1e-15)
    np.testing.assert_array_equal(other.R, mdp.R)
    np.testing.assert_array_equal(other.rho0, mdp.rho0)
    assert other.gamma == mdp.gamma and other.shape == mdp.shape


def test_with_methods_revalidate():
    P, R, rho0 = _valid()
    mdp = MDP(P, R, rho0, 0.9)
    assert mdp.with_gamma(0.5).gamma == 0.5 and mdp.gamma == 0.9
    with pytest.raises(ValueError, match="gamma"):
        mdp.with_gamma(1.0)
    with pytest.raises(ValueError, match="^R must have shape"):
        mdp.with_rewards(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="^rho0"):
        mdp.with_rho0(np.array([1.0, 1.0, -1.0]))
    np.testing.assert_array_equal(mdp.with_rewards(np.ones(3)).R, np.ones((3, 2)))


# ----------------------------------------------------------------------------- the strategy itself
@given(mdps(min_states=2, max_states=5, min_actions=2, max_actions=3, gamma=0.5, sparse=True))
@settings(max_examples=40, deadline=None, derandomize=True)
def test_strategy_respects_its_arguments(mdp):
    assert 2 <= mdp.n_states <= 5 and 2 <= mdp.n_actions <= 3
    assert mdp.gamma == 0.5 and mdp.is_sparse
    P = mdp.dense_P()
    assert np.all(P >= 0) and np.max(np.abs(P.sum(axis=2) - 1.0)) <= 4e-16 * mdp.n_states
    assert np.all(np.abs(mdp.R) <= 1.0)
    assert abs(mdp.rho0.sum() - 1.0) <= 4e-16 * mdp.n_states


def test_strategy_rejects_bad_bounds():
    with pytest.raises(ValueError, match="min_states"):
        mdps(min_states=0)
    with pytest.raises(ValueError, match="max_actions"):
        mdps(min_actions=3, max_actions=2)


@given(mdps())
@settings(max_examples=60, deadline=None, derandomize=True)
def test_strategy_defaults(mdp):
    assert 1 <= mdp.n_states <= 8 and 1 <= mdp.n_actions <= 4
    assert 0.0 <= mdp.gamma <= 0.99
    assert np.all(np.abs(mdp.R) <= 1.0)


def test_mdp_repr_is_short():
    from tabular import garnet

    for mdp in (garnet(200, 4, 3, rng=0), garnet(200, 4, 3, rng=0, sparse=True)):
        text = repr(mdp)
        assert len(text) < 100 and text.startswith("MDP(S=200, A=4, gamma=0.9, ")

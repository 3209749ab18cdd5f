"""Tests of ``tabular/zoo.py``: every toy MDP has its documented structure, and the numbers of the
counterexamples of THEORY.md §6 are reproduced to the printed digits."""

from __future__ import annotations

import numpy as np
import pytest

from tabular import (
    MDP,
    chain,
    evaluate,
    garnet,
    gridworld,
    kl,
    make,
    mdp_x,
    surrogate,
    sutton_barto_gridworld,
    tv,
    two_state,
    uniform,
)
from tabular.zoo import ZOO


def _printed(x: float, printed: float, decimals: int) -> bool:
    """``x`` rounds to ``printed`` at the given number of decimals."""
    return abs(x - printed) <= 0.5 * 10.0**-decimals + 1e-15


# ----------------------------------------------------------------------------- all of them
@pytest.mark.parametrize("name", sorted(ZOO))
def test_every_zoo_mdp_is_valid(name):
    mdp = make(name)
    assert isinstance(mdp, MDP)
    P = mdp.dense_P()
    assert np.all(P >= 0)
    np.testing.assert_allclose(P.sum(axis=2), 1.0, rtol=0, atol=1e-12)
    assert abs(mdp.rho0.sum() - 1.0) <= 1e-12 and 0 <= mdp.gamma < 1
    # and re-validates from its own arrays
    MDP(P, mdp.R, mdp.rho0, mdp.gamma)


def test_make_unknown_name():
    with pytest.raises(ValueError, match="unknown zoo MDP"):
        make("mountain_car")


# ----------------------------------------------------------------------------- mdp_x (THEORY.md §6)
def test_mdp_x_structure():
    """States s0, s1, s2; actions a0, a1; start at s0. From s0, a0 -> s1 and a1 -> s2; s1 and s2
    absorbing; r(s1, .) = 0, r(s2, a0) = +1, r(s2, a1) = -1 (THEORY.md §6)."""
    mdp = mdp_x(0.5)
    P = mdp.dense_P()
    assert mdp.shape == (3, 2) and mdp.gamma == 0.5
    assert P[0, 0, 1] == 1.0 and P[0, 1, 2] == 1.0
    assert np.all(P[1, :, 1] == 1.0) and np.all(P[2, :, 2] == 1.0)
    np.testing.assert_array_equal(mdp.R, [[0, 0], [0, 0], [1, -1]])
    np.testing.assert_array_equal(mdp.rho0, [1, 0, 0])


def _theory_policies(pi_rows: dict, pi_new_rows: dict):
    pi, pi_new = uniform(3, 2), uniform(3, 2)
    for s, row in pi_rows.items():
        pi[s] = row
    for s, row in pi_new_rows.items():
        pi_new[s] = row
    return pi, pi_new


def test_theory_6_mean_kl_counterexample():
    """THEORY.md §6, first bullet: gamma = 0.01, pi uniform, pi_new(s0) = (0.45, 0.55),
    pi_new(s2) = (0.2, 0.8): eta(pi_new) = -0.0033333, L - C sum_s rho KL = -0.0032814
    (-0.0032789 with d), L - C max KL = -0.01214, with C = 4 eps gamma / (1-gamma)^2 and
    eps = max|A_pi|.

    By hand: pi_new reaches s2 w.p. 0.55 and then earns 0.2 - 0.8 = -0.6 per step, so
    eta(pi_new) = 0.55 * gamma * (-0.6) / (1 - gamma); under pi uniform, V(s2) = 0 and
    A(s2, .) = (+1, -1), A(s1, .) = 0, A(s0, .) = (-0, +0) = 0 => eps = 1.
    """
    g = 0.01
    mdp = mdp_x(g)
    pi, pi_new = _theory_policies({}, {0: [0.45, 0.55], 2: [0.2, 0.8]})
    ev, ev_new = evaluate(mdp, pi), evaluate(mdp, pi_new)
    assert ev_new.eta == pytest.approx(0.55 * g * (-0.6) / (1 - g), abs=1e-17)
    eps = np.max(np.abs(ev.A))
    assert eps == pytest.approx(1.0, abs=1e-15)
    C = 4 * eps * g / (1 - g) ** 2
    L = surrogate(mdp, pi, pi_new, ev=ev)
    k = kl(pi, pi_new)
    assert _printed(ev_new.eta, -0.0033333, 7)
    assert _printed(L - C * (ev.rho @ k), -0.0032814, 7)
    assert _printed(L - C * (ev.d @ k), -0.0032789, 7)
    assert _printed(L - C * k.max(), -0.01214, 5)
    # the claim: the mean-KL form is violated, the max-KL bound (Eq. 9) holds
    assert ev_new.eta < L - C * (ev.rho @ k) and ev_new.eta < L - C * (ev.d @ k)
    assert ev_new.eta >= L - C * k.max()


def test_theory_6_quadratic_mean_tv_counterexample():
    """THEORY.md §6, second bullet: gamma = 0.9, pi(s0) = (0.9999, 0.0001), pi_new(s0) =
    (0.9899, 0.0101), pi(s2) = (0.5, 0.5), pi_new(s2) = (0.1, 0.9): eta(pi_new) = -0.07272,
    L - C E_d[TV^2] = -0.0095, L - C (E_d TV)^2 = -0.0011.

    By hand: eta(pi_new) = 0.0101 * gamma * (0.1 - 0.9) / (1 - gamma) = -0.07272.
    """
    g = 0.9
    mdp = mdp_x(g)
    pi, pi_new = _theory_policies({0: [0.9999, 0.0001]}, {0: [0.9899, 0.0101], 2: [0.1, 0.9]})
    ev, ev_new = evaluate(mdp, pi), evaluate(mdp, pi_new)
    assert ev_new.eta == pytest.approx(0.0101 * g * (-0.8) / (1 - g), rel=1e-12)
    C = 4 * np.max(np.abs(ev.A)) * g / (1 - g) ** 2
    L = surrogate(mdp, pi, pi_new, ev=ev)
    t = tv(pi, pi_new)
    assert _printed(ev_new.eta, -0.07272, 5)
    assert _printed(L - C * (ev.d @ t**2), -0.0095, 4)
    assert _printed(L - C * (ev.d @ t) ** 2, -0.0011, 4)


def test_theory_6_larger_surrogate_smaller_eta():
    """THEORY.md §6, third bullet: gamma = 0.9, pi(s0) = pi(s2) = (0.99, 0.01), pi_new(s0) =
    (0.5, 0.5), pi_new(s2) = (0.01, 0.99): L rises to 4.2336 while eta falls from 0.0882 to -4.41.

    By hand: eta(pi) = 0.01 * 0.9 * 0.98 / 0.1 = 0.0882; eta(pi_new) = 0.5 * 0.9 * (-0.98) / 0.1 = -4.41.
    """
    mdp = mdp_x(0.9)
    pi, pi_new = _theory_policies({0: [0.99, 0.01], 2: [0.99, 0.01]}, {0: [0.5, 0.5], 2: [0.01, 0.99]})
    ev, ev_new = evaluate(mdp, pi), evaluate(mdp, pi_new)
    assert ev.eta == pytest.approx(0.01 * 0.9 * 0.98 / 0.1, rel=1e-12)
    assert ev_new.eta == pytest.approx(0.5 * 0.9 * -0.98 / 0.1, rel=1e-12)
    L = surrogate(mdp, pi, pi_new, ev=ev)
    assert _printed(L, 4.2336, 4)
    assert _printed(ev.eta, 0.0882, 4) and _printed(ev_new.eta, -4.41, 2)


# ----------------------------------------------------------------------------- two_state
def test_two_state_structure():
    """Puterman (1994), §3.1: s1 has a11 (reward 5, stay or move w.p. 1/2) and a12 (reward 10,
    move to s2); s2 has a21 (reward -1, stay), duplicated as the second action."""
    mdp = two_state(0.95)
    P = mdp.dense_P()
    np.testing.assert_array_equal(P[0, 0], [0.5, 0.5])
    np.testing.assert_array_equal(P[0, 1], [0.0, 1.0])
    np.testing.assert_array_equal(P[1], [[0.0, 1.0], [0.0, 1.0]])
    np.testing.assert_array_equal(mdp.R, [[5, 10], [-1, -1]])
    assert mdp.gamma == 0.95


# ----------------------------------------------------------------------------- chain
def test_chain_structure():
    """n-chain: forward (action 0) i -> i+1 with reward 0, at the end stay with reward `large`;
    back (action 1) -> state 0 with reward `small`; with prob `slip` the other action's effect."""
    n, slip, small, large = 5, 0.2, 2.0, 10.0
    mdp = chain(n, slip=slip, small=small, large=large, gamma=0.9)
    P = mdp.dense_P()
    for s in range(n):
        fwd = min(s + 1, n - 1)
        expect_fwd = np.zeros(n)
        expect_fwd[fwd] += 1 - slip
        expect_fwd[0] += slip
        expect_back = np.zeros(n)
        expect_back[0] += 1 - slip
        expect_back[fwd] += slip
        np.testing.assert_allclose(P[s, 0], expect_fwd, rtol=0, atol=1e-15)
        np.testing.assert_allclose(P[s, 1], expect_back, rtol=0, atol=1e-15)
        r_fwd = large if s == n - 1 else 0.0
        assert mdp.R[s, 0] == pytest.approx((1 - slip) * r_fwd + slip * small, abs=1e-15)
        assert mdp.R[s, 1] == pytest.approx((1 - slip) * small + slip * r_fwd, abs=1e-15)
    np.testing.assert_array_equal(mdp.rho0, np.eye(n)[0])
    sparse = chain(n, slip=slip, small=small, large=large, gamma=0.9, sparse=True)
    assert sparse.is_sparse
    np.testing.assert_array_equal(sparse.dense_P(), P)
    np.testing.assert_array_equal(sparse.R, mdp.R)


def test_chain_bad_arguments():
    with pytest.raises(ValueError, match="n >= 2"):
        chain(1)
    with pytest.raises(ValueError, match="slip"):
        chain(5, slip=1.5)


# ----------------------------------------------------------------------------- Sutton & Barto
def test_sutton_barto_gridworld_structure():
    """Example 3.5: A = (0, 1) -> A' = (4, 1) with +10, B = (0, 3) -> B' = (2, 3) with +5, off-grid
    moves stay with -1, all else 0; actions up, right, down, left."""
    mdp = sutton_barto_gridworld()
    P = mdp.dense_P()
    idx = lambda r, c: 5 * r + c  # noqa: E731
    for a in range(4):
        assert P[idx(0, 1), a, idx(4, 1)] == 1.0 and mdp.R[idx(0, 1), a] == 10.0
        assert P[idx(0, 3), a, idx(2, 3)] == 1.0 and mdp.R[idx(0, 3), a] == 5.0
    assert P[idx(0, 0), 0, idx(0, 0)] == 1.0 and mdp.R[idx(0, 0), 0] == -1.0  # up off the grid
    assert P[idx(4, 4), 1, idx(4, 4)] == 1.0 and mdp.R[idx(4, 4), 1] == -1.0  # right off the grid
    assert P[idx(2, 2), 0, idx(1, 2)] == 1.0 and mdp.R[idx(2, 2), 0] == 0.0  # up
    assert P[idx(2, 2), 1, idx(2, 3)] == 1.0  # right
    assert P[idx(2, 2), 2, idx(3, 2)] == 1.0  # down
    assert P[idx(2, 2), 3, idx(2, 1)] == 1.0  # left
    assert np.all((P == 0) | (P == 1))  # deterministic
    assert mdp.gamma == 0.9


# ----------------------------------------------------------------------------- gridworld
def test_gridworld_dense_equals_sparse():
    kw = dict(height=5, width=7, slip=0.3, gamma=0.9, goal=(2, 5), step_reward=-0.1, goal_reward=2.0)
    dense, sparse = gridworld(**kw), gridworld(**kw, sparse=True)
    assert sparse.is_sparse and not dense.is_sparse
    np.testing.assert_array_equal(sparse.dense_P(), dense.P)
    np.testing.assert_array_equal(sparse.R, dense.R)
    np.testing.assert_array_equal(sparse.rho0, dense.rho0)


def test_gridworld_structure():
    h, w, slip = 4, 4, 0.1
    mdp = gridworld(h, w, slip=slip, gamma=0.95)
    P = mdp.dense_P()
    goal = h * w - 1
    assert np.all(P[goal, :, goal] == 1.0) and np.all(mdp.R[goal] == 0.0)  # absorbing, no reward
    assert mdp.rho0[0] == 1.0
    # from (3, 2) "right" enters the goal w.p. (1 - slip) + slip/4; expected reward = that probability
    s = 3 * w + 2
    p_goal = (1 - slip) + slip / 4
    assert P[s, 1, goal] == pytest.approx(p_goal, abs=1e-15)
    assert mdp.R[s, 1] == pytest.approx(p_goal * 1.0, abs=1e-15)
    # from the corner (0, 0) "up" hits the wall: stays w.p. (1 - slip) + slip/4 (up) + slip/4 (left)
    assert P[0, 0, 0] == pytest.approx(1 - slip + slip / 2, abs=1e-15)
    assert P[0, 0, 1] == pytest.approx(slip / 4, abs=1e-15)  # slipped right
    assert P[0, 0, w] == pytest.approx(slip / 4, abs=1e-15)  # slipped down


def test_gridworld_step_reward_semantics():
    """Documented: "Entering the goal earns goal_reward; every other step earns step_reward."
    So the expected reward of (s, a) next to the goal is
    P(goal | s, a) goal_reward + (1 - P(goal | s, a)) step_reward, and a deterministic step into
    the goal earns exactly goal_reward.
    """
    mdp = gridworld(1, 2, slip=0.0, gamma=0.9, step_reward=-1.0, goal_reward=5.0)
    # cell 0 -> "right" enters the goal (cell 1) with probability 1
    assert mdp.dense_P()[0, 1, 1] == 1.0
    assert mdp.R[0, 1] == 5.0
    assert mdp.R[0, 3] == -1.0  # "left" bumps into the wall: an ordinary step
    slippery = gridworld(2, 2, slip=0.4, gamma=0.9, step_reward=-1.0, goal_reward=5.0)
    p = slippery.dense_P()[1, 2, 3]  # from (0, 1) "down" into the goal (1, 1)
    assert slippery.R[1, 2] == pytest.approx(p * 5.0 + (1 - p) * -1.0, abs=1e-14)


def test_gridworld_goal_at_the_start_cell():
    mdp = gridworld(2, 3, goal=(0, 0))
    assert mdp.rho0[0] == 0.0 and mdp.rho0[1] == 1.0


def test_gridworld_bad_arguments():
    with pytest.raises(ValueError, match="at least 2 cells"):
        gridworld(1, 1)
    with pytest.raises(ValueError, match="slip"):
        gridworld(slip=-0.1)
    with pytest.raises(ValueError, match="goal"):
        gridworld(3, 3, goal=(3, 0))


# ----------------------------------------------------------------------------- garnet
@pytest.mark.parametrize("S, A, b", [(10, 3, 3), (50, 2, 5), (8, 2, 8), (400, 2, 1)])
def test_garnet_branching_is_nonzeros_per_row(S, A, b):
    """Both sampling branches (b * 4 >= S and b * 4 < S) give exactly b distinct successors."""
    sparse = garnet(S, A, b, rng=3, sparse=True)
    np.testing.assert_array_equal(np.diff(sparse.P.indptr), b)
    dense = garnet(S, A, b, rng=3)
    np.testing.assert_array_equal(np.count_nonzero(dense.P_flat, axis=1), b)
    np.testing.assert_array_equal(np.count_nonzero(sparse.P.toarray(), axis=1), b)


def test_garnet_reproducible_and_sparse_equals_dense():
    a = garnet(30, 4, 3, rng=123, gamma=0.8)
    b = garnet(30, 4, 3, rng=123, gamma=0.8)
    c = garnet(30, 4, 3, rng=123, gamma=0.8, sparse=True)
    d = garnet(30, 4, 3, rng=124, gamma=0.8)
    np.testing.assert_array_equal(a.P, b.P)
    np.testing.assert_array_equal(a.R, b.R)
    np.testing.assert_array_equal(c.dense_P(), a.P)
    np.testing.assert_array_equal(c.R, a.R)
    assert not np.array_equal(a.P, d.P)
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    np.testing.assert_array_equal(garnet(10, 2, 2, rng=g1).P, garnet(10, 2, 2, rng=g2).P)


def test_garnet_rewards_and_start():
    u = garnet(100, 3, 2, rng=0)
    assert np.all((u.R >= 0) & (u.R <= 1)) and u.R.min() < 0.1 and u.R.max() > 0.9
    s = garnet(100, 3, 2, rng=0, reward="signed")
    assert np.all((s.R >= -1) & (s.R <= 1)) and s.R.min() < -0.8
    np.testing.assert_array_equal(u.rho0, np.full(100, 0.01))


def test_garnet_bad_arguments():
    with pytest.raises(ValueError, match="branching"):
        garnet(5, 2, 6)
    with pytest.raises(ValueError, match="branching"):
        garnet(5, 2, 0)
    with pytest.raises(ValueError, match="n_states"):
        garnet(0, 2, 1)
    with pytest.raises(ValueError, match="reward"):
        garnet(5, 2, 2, reward="gaussian")
    with pytest.raises(ValueError, match="gamma"):
        garnet(5, 2, 2, gamma=1.0)


# ----------------------------------------------------------------------------- argument types and sizes
@pytest.mark.parametrize("build, name", [
    (lambda: garnet(2.5, 2, 1), "n_states"),
    (lambda: garnet(10, 2.0, 1), "n_actions"),
    (lambda: garnet(10, 2, 2.5), "branching"),
    (lambda: garnet("10", 2, 1), "n_states"),
    (lambda: chain(5.0), "n"),
    (lambda: gridworld(3, 4.5), "width"),
    (lambda: gridworld(True, 3), "height"),
    (lambda: gridworld(3, 3, goal=(0.5, 1)), r"goal\[0\]"),
    (lambda: make("garnet", n_states=7.9), "n_states"),
])
def test_zoo_sizes_must_be_integers_never_truncated(build, name):
    with pytest.raises(TypeError, match=rf"^{name}.* must be an integer"):
        build()


@pytest.mark.parametrize("build", [
    lambda: garnet(5, 2, 2, sparse="no"),
    lambda: chain(5, sparse="no"),
    lambda: gridworld(3, 3, sparse="no"),
    lambda: gridworld(3, 3, sparse=1),
])
def test_zoo_flags_must_be_booleans(build):
    """sparse="no" is a true value in Python: it must not silently build a sparse model."""
    with pytest.raises(TypeError, match=r"^sparse must be True or False, got str 'no'|^sparse must be True or False"):
        build()


@pytest.mark.parametrize("build, size", [
    (lambda: gridworld(3000, 3000), "2.6 PB"),
    (lambda: garnet(1_000_000, 4, 5), "32.0 TB"),
    (lambda: chain(1_000_000), "16.0 TB"),
])
def test_huge_dense_models_fail_before_allocating(build, size):
    """gridworld(3000, 3000) used to run for seconds and then raise a bare MemoryError."""
    with pytest.raises(MemoryError, match=rf"would need {size} for its dense \(S, A, S\).*sparse=True"):
        build()
    with pytest.raises(ValueError, match="sparse=True"):  # also a ValueError: the size is the problem
        build()


def test_a_huge_sparse_model_refuses_to_densify(monkeypatch):
    import tabular.validation as validation

    mdp = gridworld(30, 30, sparse=True)
    monkeypatch.setattr(validation, "physical_memory", lambda: 10_000_000)  # a 10 MB machine
    with pytest.raises(MemoryError, match=r"^the dense copy of this sparse MDP with S = 900 states"):
        mdp.to_dense()
    with pytest.raises(MemoryError, match=r"^a dense 30x30 gridworld"):
        gridworld(30, 30)
    gridworld(30, 30, sparse=True)  # the sparse one needs no dense array


def test_make_needs_a_name():
    with pytest.raises(TypeError, match=r"^name must be the name of a zoo MDP"):
        make(42)
    with pytest.raises(ValueError, match="unknown zoo MDP"):
        make("garnett")

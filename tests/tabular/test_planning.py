"""Tests of ``tabular/planning.py``: published optimal values, the LP characterization of V*,
and the error bounds of value iteration.

Sources
-------
* Sutton & Barto, Reinforcement Learning: An Introduction, 2nd ed. (2018), Example 3.5,
  Figure 3.2 (values of the equiprobable random policy) and Figure 3.5 (V*), gamma = 0.9,
  printed to one decimal.
* Puterman, Markov Decision Processes (1994), Section 3.1 (the two-state example) and Chapter 6
  (discounted optimality equations, Thm. 6.2.2; policy iteration, Thm. 6.4.2; value iteration
  error bound, Thm. 6.3.1).
* The linear program for V* (Puterman 1994, §6.9): ``min sum_s V(s)`` s.t.
  ``V(s) >= R(s, a) + gamma sum_t P(t|s, a) V(t)`` for all (s, a); its unique solution is V*.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings

from tabular import (
    MDP,
    evaluate,
    garnet,
    greedy,
    gridworld,
    optimal,
    policy_iteration,
    random_policy,
    sutton_barto_gridworld,
    two_state,
    uniform,
    value_iteration,
)
from tabular.planning import bellman_optimality_residual
from tabular.strategies import mdps, policies

# Sutton & Barto (2018), Figure 3.2: state values of the equiprobable random policy, gamma = 0.9.
SB_FIG_3_2 = np.array([
    [3.3, 8.8, 4.4, 5.3, 1.5],
    [1.5, 3.0, 2.3, 1.9, 0.5],
    [0.1, 0.7, 0.7, 0.4, -0.4],
    [-1.0, -0.4, -0.4, -0.6, -1.2],
    [-1.9, -1.3, -1.2, -1.4, -2.0],
])
# Sutton & Barto (2018), Figure 3.5: the optimal state values v*, gamma = 0.9.
SB_FIG_3_5 = np.array([
    [22.0, 24.4, 22.0, 19.4, 17.5],
    [19.8, 22.0, 19.8, 17.8, 16.0],
    [17.8, 19.8, 17.8, 16.0, 14.4],
    [16.0, 17.8, 16.0, 14.4, 13.0],
    [14.4, 16.0, 14.4, 13.0, 11.7],
])
ONE_DECIMAL = 0.05 + 1e-9  # |value - printed value| for a value that rounds to the printed one


def _bellman_max(mdp: MDP, V: np.ndarray) -> np.ndarray:
    """max_a [R(s, a) + gamma sum_t P(t|s, a) V(t)], computed here with an explicit einsum."""
    return np.max(mdp.R + mdp.gamma * np.einsum("sat,t->sa", mdp.dense_P(), V), axis=1)


def _lp_optimal_values(mdp: MDP) -> np.ndarray:
    """V* as the solution of the LP ``min sum V s.t. V(s) >= R(s,a) + gamma P(.|s,a) V`` (cvxpy, Clarabel)."""
    S, A = mdp.shape
    V = cp.Variable(S)
    expand = sp.csr_array((np.ones(S * A), (np.arange(S * A), np.repeat(np.arange(S), A))), shape=(S * A, S))
    P_flat = mdp.P if mdp.is_sparse else sp.csr_array(mdp.P_flat)
    constraints = [expand @ V >= mdp.R.ravel() + mdp.gamma * (P_flat @ V)]
    problem = cp.Problem(cp.Minimize(cp.sum(V)), constraints)
    problem.solve(solver=cp.CLARABEL)
    assert problem.status == cp.OPTIMAL, problem.status
    return np.asarray(V.value)


# ----------------------------------------------------------------------------- published values
def test_sutton_barto_figure_3_2_random_policy_values():
    mdp = sutton_barto_gridworld(gamma=0.9)
    V = evaluate(mdp, uniform(mdp)).V.reshape(5, 5)
    assert np.max(np.abs(V - SB_FIG_3_2)) <= ONE_DECIMAL


@pytest.mark.parametrize("planner", ["policy_iteration", "value_iteration", "optimal"])
def test_sutton_barto_figure_3_5_optimal_values(planner):
    mdp = sutton_barto_gridworld(gamma=0.9)
    if planner == "value_iteration":
        res = value_iteration(mdp, tol=1e-10)
    else:
        res = {"policy_iteration": policy_iteration, "optimal": optimal}[planner](mdp)
    assert np.max(np.abs(res.V.reshape(5, 5) - SB_FIG_3_5)) <= ONE_DECIMAL
    # the book's optimal policy from A = (0, 1): every action jumps to A' (all tie); from the
    # cell right of A, (0, 2), the optimal move is left (action 3) back into A
    assert res.pi[2, 3] == 1.0


def test_puterman_two_state_example():
    """Puterman (1994), §3.1 (Figure 3.1.1), solved in §6 with lambda = gamma = 0.95.

    s2 has only a21: reward -1, stay. So V*(s2) = -1 / (1 - 0.95) = -20.
    In s1:  a11: reward 5, then s1 or s2 w.p. 1/2 each;  a12: reward 10, then s2.
        a12 forever after the first step:  10 + 0.95 * (-20) = -9.
        a11 as a stationary choice: V1 = 5 + 0.95 (0.5 V1 + 0.5 (-20)) = -4.5 + 0.475 V1
            => V1 = -4.5 / 0.525 = -60/7 = -8.5714...
    V*(s1) = max(5 + 0.95 (0.5 V1 + 0.5 V2), 10 + 0.95 V2) at V1 = -60/7, V2 = -20 is
    max(-60/7, -9) = -60/7: action a11 is optimal (Puterman reports v*(s1) = -8.57, v*(s2) = -20).
    """
    mdp = two_state(gamma=0.95)
    V_star = np.array([-60.0 / 7.0, -20.0])
    for res in (policy_iteration(mdp), value_iteration(mdp, tol=1e-11), optimal(mdp)):
        np.testing.assert_allclose(res.V, V_star, rtol=0, atol=1e-9)
        assert res.pi[0, 0] == 1.0  # a11
    pi_res = policy_iteration(mdp)
    assert pi_res.converged and pi_res.error_bound <= 1e-12
    assert pi_res.eta == pytest.approx(0.5 * (-60 / 7) + 0.5 * (-20), abs=1e-12)


# ----------------------------------------------------------------------------- LP / VI / PI agree
@pytest.mark.parametrize(
    "mdp",
    [
        garnet(30, 4, 3, rng=11, gamma=0.9, reward="signed"),
        garnet(25, 3, 25, rng=12, gamma=0.99),
        garnet(200, 3, 4, rng=13, gamma=0.95, sparse=True, reward="signed"),
        sutton_barto_gridworld(0.9),
    ],
    ids=["garnet-dense", "garnet-full-branching-0.99", "garnet-sparse-200", "sutton-barto"],
)
def test_policy_iteration_value_iteration_and_lp_agree(mdp):
    pi_res = policy_iteration(mdp)
    vi_res = value_iteration(mdp, tol=1e-9)
    V_lp = _lp_optimal_values(mdp)
    scale = np.max(np.abs(mdp.R)) / (1 - mdp.gamma)
    assert pi_res.converged and vi_res.converged
    # value iteration stops with a certified bound on ||V_vi - V*||
    assert np.max(np.abs(vi_res.V - pi_res.V)) <= vi_res.error_bound + 1e-9
    assert vi_res.error_bound <= 1e-9
    # the interior-point LP solution is accurate to ~1e-8 relative
    np.testing.assert_allclose(pi_res.V, V_lp, rtol=0, atol=1e-6 * scale)
    # the greedy policy of value iteration loses at most 2 gamma eps / (1 - gamma) (Singh & Yee 1994)
    V_greedy = evaluate(mdp, vi_res.pi).V
    assert np.max(np.abs(V_greedy - pi_res.V)) <= 2 * mdp.gamma * vi_res.error_bound / (1 - mdp.gamma) + 1e-9
    # PI's V is V* of its own policy and satisfies the Bellman optimality equation V = max_a (R + gamma P V)
    np.testing.assert_allclose(_bellman_max(mdp, pi_res.V), pi_res.V, rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(evaluate(mdp, pi_res.pi).V, pi_res.V, rtol=0, atol=1e-12 * scale)


def test_value_iteration_loose_tolerance_greedy_loss_bound():
    """With a loose tolerance the bounds are not trivially satisfied: check both of them."""
    mdp = garnet(40, 3, 5, rng=21, gamma=0.95, reward="signed")
    V_star = policy_iteration(mdp).V  # exact (checked against the LP above)
    for tol in (1.0, 1e-1, 1e-3):
        vi = value_iteration(mdp, tol=tol)
        assert vi.error_bound <= tol
        assert np.max(np.abs(vi.V - V_star)) <= vi.error_bound + 1e-9
        loss = np.max(np.abs(evaluate(mdp, vi.pi).V - V_star))
        assert loss <= 2 * mdp.gamma * vi.error_bound / (1 - mdp.gamma) + 1e-9


@given(mdps(max_states=6, max_actions=3))
@settings(max_examples=40, deadline=None, derandomize=True)
def test_policy_iteration_is_optimal_on_random_mdps(mdp):
    """V_PI satisfies the Bellman optimality equation and dominates random policies' values."""
    res = policy_iteration(mdp)
    scale = max(float(np.max(np.abs(mdp.R))), 1e-300) / (1 - mdp.gamma)
    assert res.converged
    np.testing.assert_allclose(_bellman_max(mdp, res.V), res.V, rtol=0, atol=1e-10 * scale)
    assert bellman_optimality_residual(mdp, res.V) <= 1e-10 * scale
    for k in range(3):
        V_pi = evaluate(mdp, random_policy(mdp, rng=k, concentration=0.3)).V
        assert np.all(V_pi <= res.V + 1e-10 * scale)
    vi = value_iteration(mdp, tol=1e-10 * scale)
    assert np.max(np.abs(vi.V - res.V)) <= vi.error_bound + 1e-10 * scale
    # deterministic policies with lowest-index ties
    assert np.all(np.sum(res.pi == 1.0, axis=1) == 1) and np.all(res.pi.sum(axis=1) == 1.0)


@given(mdps(max_states=5, max_actions=3).flatmap(lambda m: policies(m.n_states, m.n_actions).map(lambda p: (m, p))))
@settings(max_examples=20, deadline=None, derandomize=True)
def test_policy_iteration_from_any_start(mp):
    mdp, pi0 = mp
    scale = max(float(np.max(np.abs(mdp.R))), 1e-300) / (1 - mdp.gamma)
    np.testing.assert_allclose(policy_iteration(mdp, pi0=pi0).V, policy_iteration(mdp).V, rtol=0, atol=1e-10 * scale)


def test_gamma_zero_is_greedy_in_the_reward():
    mdp = garnet(8, 4, 3, rng=5, gamma=0.0, reward="signed")
    res = policy_iteration(mdp)
    np.testing.assert_array_equal(res.V, mdp.R.max(axis=1))
    np.testing.assert_array_equal(np.argmax(res.pi, axis=1), np.argmax(mdp.R, axis=1))
    vi = value_iteration(mdp)
    np.testing.assert_array_equal(vi.V, mdp.R.max(axis=1))
    assert vi.error_bound == 0.0


def test_bellman_optimality_residual_by_hand():
    mdp = two_state(0.5)
    # V = 0: T V = max_a R = (10, -1); residual = 10
    assert bellman_optimality_residual(mdp, np.zeros(2)) == 10.0
    # V = (1, 1): T V = (max(5 + 0.5, 10 + 0.5), -1 + 0.5) = (10.5, -0.5); residual 9.5
    assert bellman_optimality_residual(mdp, np.ones(2)) == 9.5


def test_value_iteration_bad_arguments():
    mdp = two_state()
    with pytest.raises(ValueError, match="tol"):
        value_iteration(mdp, tol=0.0)
    with pytest.raises(ValueError, match="V0"):
        value_iteration(mdp, V0=np.zeros(3))


def test_planning_results_are_frozen():
    res = policy_iteration(two_state())
    with pytest.raises(Exception):
        res.eta = 0.0
    with pytest.raises(ValueError, match="read-only"):
        res.pi[0, 0] = 0.0


def test_planning_result_repr_is_short():
    mdp = garnet(200, 4, 3, rng=0, gamma=0.9)
    for res in (policy_iteration(mdp), value_iteration(mdp, tol=1e-6)):
        text = repr(res)
        assert len(text) < 400 and "\n" not in text and text.startswith("PlanningResult(S=200, A=4, ")
        assert f"eta={res.eta:.10g}" in text and f"iterations={res.iterations}" in text
        assert f"error_bound={res.error_bound:.2e}" in text and f"converged={res.converged}" in text


def test_planners_check_their_arguments():
    mdp = two_state()
    with pytest.raises(ValueError, match=r"^tol must be a finite positive real number"):
        value_iteration(mdp, tol=np.inf)
    with pytest.raises(TypeError, match=r"^max_iter must be an integer"):
        value_iteration(mdp, max_iter=10.5)
    with pytest.raises(ValueError, match=r"^tol must be a finite non-negative"):
        policy_iteration(mdp, tol=-1.0)
    with pytest.raises(ValueError, match=r"^pi0 row .* sums to"):
        policy_iteration(mdp, pi0=np.full((2, 2), 0.6))
    with pytest.raises(TypeError, match=r"^V0 must be an array of real numbers"):
        value_iteration(mdp, V0=np.array(["0", "0"]))
    with pytest.raises(ValueError, match=r"^V must have shape \(2,\)"):
        bellman_optimality_residual(mdp, np.zeros(3))


# ----------------------------------------------------------------------------- ties (machine independence)
TIE_MDPS = [
    sutton_barto_gridworld(0.9),  # from A every action jumps to A': four exact ties
    gridworld(3, 4, slip=0.0, gamma=0.9),  # walls: moving into a wall equals staying; symmetric routes
    gridworld(4, 4, slip=0.2, gamma=0.99, step_reward=-0.1, sparse=True),
    gridworld(2, 3, slip=0.0, gamma=0.0),  # gamma = 0: most actions earn exactly 0
]


def _lowest_index_optimal(mdp: MDP) -> np.ndarray:
    """The lowest-index optimal action of every state, from value iteration run to 1e-12 and a Python
    loop over the actions (ties: within 1e-7 of the value scale, far above VI's error and far below
    any real gap in these MDPs): independent of policy_iteration and of the tie helper."""
    vi = value_iteration(mdp, tol=1e-12)
    Q = mdp.R + mdp.gamma * np.einsum("sat,t->sa", mdp.dense_P(), vi.V)
    tol = 1e-7 * max(1.0, float(np.max(np.abs(Q))))
    return np.array([next(a for a in range(mdp.n_actions) if Q[s, a] >= Q[s].max() - tol)
                     for s in range(mdp.n_states)])


def _with_round_off(monkeypatch, seed: int, rel: float = 1e-13):
    """Make ``tabular.planning`` see every evaluation with Q perturbed by ``rel`` of the value scale, as
    another CPU's LAPACK kernel would (a few ulps)."""
    import dataclasses

    import tabular.planning as planning

    rng = np.random.default_rng(seed)
    real = planning.evaluate

    def noisy(mdp, pi, *args, **kwargs):
        ev = real(mdp, pi, *args, **kwargs)
        Q = ev.Q + rng.uniform(-1, 1, ev.Q.shape) * rel * max(float(np.max(np.abs(ev.Q))), 1e-300)
        return dataclasses.replace(ev, Q=Q)

    monkeypatch.setattr(planning, "evaluate", noisy)


@pytest.mark.parametrize("k", range(len(TIE_MDPS)))
def test_policy_iteration_breaks_exact_ties_by_the_lowest_index(k, monkeypatch):
    mdp = TIE_MDPS[k]
    expected = _lowest_index_optimal(mdp)
    res = policy_iteration(mdp)
    np.testing.assert_array_equal(np.argmax(res.pi, axis=1), expected)
    # from any start: the same policy (not only the same values)
    for seed in range(3):
        start = policy_iteration(mdp, pi0=random_policy(mdp, rng=seed, concentration=0.2))
        np.testing.assert_array_equal(start.pi, res.pi)
    # and under simulated round-off of another CPU
    for seed in range(5):
        with monkeypatch.context() as m:
            _with_round_off(m, seed)
            np.testing.assert_array_equal(policy_iteration(mdp).pi, res.pi)
            np.testing.assert_array_equal(value_iteration(mdp, tol=1e-12).pi, res.pi)


@given(mdps(max_states=6, max_actions=3))
@settings(max_examples=40, deadline=None, derandomize=True)
def test_policy_iteration_returns_its_own_greedy_policy(mdp):
    """The stopping rule: the returned policy is the tie-rule greedy policy of its own Q (a fixed point),
    and every action it takes is optimal within the tie tolerance."""
    res = policy_iteration(mdp)
    np.testing.assert_array_equal(res.pi, greedy(res.Q))
    scale = float(np.max(np.abs(res.Q)))
    chosen = res.Q[np.arange(mdp.n_states), np.argmax(res.pi, axis=1)]
    assert np.all(chosen >= res.Q.max(axis=1) - 1e-9 * scale)

"""Tests of bounds/updates/steps_batch.py and bounds/updates/solvers/algorithm1_batch.py: three batched steps of
Algorithm 1, CPI and the max-KL trust region equal bounds.updates.run on random instances of every
family (every route of Algorithm 1: greedy at C = 0, nu-Newton, the level method, kappa = 0)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bounds.updates import run
from bounds.updates.steps_batch import run_batch
from bounds.updates.solvers import solve_max_kl_penalty
from bounds.updates.solvers.algorithm1_batch import max_kl_penalty_batch
from tabular.mdp_batch import MDPBatch, Segments
from tabular.instances import ALL_FAMILIES, sample_instance

KW = {"mm": {}, "cpi": {}, "trust_region": {"delta": 0.01}}


@pytest.fixture(scope="module")
def groups():
    insts = []
    for j, child in enumerate(np.random.SeedSequence(5).spawn(240)):
        insts.append(sample_instance(child, family=ALL_FAMILIES[j % len(ALL_FAMILIES)],
                                     gamma=(0.0, 0.5, 0.9, 0.99)[(j // 8) % 4]))
    out = []
    for A in sorted({x.mdp.n_actions for x in insts}):
        xs = sorted((x for x in insts if x.mdp.n_actions == A), key=lambda x: x.mdp.n_states)
        out.append((xs, MDPBatch.from_mdps([x.mdp for x in xs])))
    return out


@pytest.mark.parametrize("update", ["mm", "cpi", "trust_region"])
def test_three_batched_steps_equal_run(groups, update):
    routes = set()
    for xs, b in groups:
        h = run_batch(update, b, b.policy_rows([x.pi for x in xs]), 3, **KW[update])
        assert h.ok.all() and h.n_steps == 3
        for m in h.methods:
            routes |= set() if m is None else set(m)
        for k, x in enumerate(xs):
            ref = run(update, x.mdp, x.pi, 3, tol=-math.inf, record_bounds=False, **KW[update])
            scale = max(1.0, float(np.abs(x.mdp.R).max()) / (1.0 - x.mdp.gamma))
            np.testing.assert_allclose(h.eta[k], ref.eta, rtol=0, atol=1e-9 * scale)
            np.testing.assert_allclose(h.surrogate[k], ref.surrogate, rtol=0, atol=1e-9 * scale)
            if update == "mm":  # Eq. (10)'s M; (CPI's M depends on how round-off breaks ties of Q)
                np.testing.assert_allclose(h.M_gain[k], ref.M_gain, rtol=0, atol=1e-9 * scale)
                np.testing.assert_allclose(h.C[k], ref.C, rtol=1e-8)
    if update == "mm":
        assert routes == {"nu-newton", "greedy (C = 0)", "nested", "kappa=0"}


def test_max_kl_penalty_batch_equals_the_scalar_solver():
    rng = np.random.default_rng(0)
    A, pi, rho, C, lengths = [], [], [], [], []
    for k in range(30):
        S = int(rng.integers(2, 7))
        a = rng.standard_normal((S, 3))
        p = rng.dirichlet(np.ones(3) * (0.05 if k % 3 == 0 else 1.0), size=S)
        r = rng.random(S) * (rng.random(S) > 0.2 if k % 4 == 0 else 1.0)
        A.append(a), pi.append(p), rho.append(r), C.append(float(10 ** rng.uniform(-2, 2))), lengths.append(S)
    sol = max_kl_penalty_batch(np.concatenate(A), np.concatenate(pi), np.concatenate(rho), np.array(C),
                               Segments(lengths))
    assert sol.ok.all()
    start = np.cumsum([0] + lengths)
    for k in range(30):
        ref = solve_max_kl_penalty(A[k], pi[k], rho[k], C[k])
        p = sol.p[start[k]:start[k + 1]]
        obj = float(rho[k] @ np.einsum("sa,sa->s", p, A[k])) - C[k] * float(sol.kl[start[k]:start[k + 1]].max())
        assert obj == pytest.approx(ref.objective, rel=1e-9, abs=1e-12)
        np.testing.assert_allclose(p, ref.pi_new, atol=1e-7)


def test_batched_cpi_breaks_ties_like_the_scalar_step():
    """Gridworlds without slip have exact ties in Q (walls, symmetric routes): the batched CPI step picks
    the same greedy pi' as bounds.updates.cpi_step (the tie rule with each instance's own scale), even
    when instances of very different value scales share a batch."""
    from bounds.updates import cpi_step
    from bounds.updates.steps_batch import cpi_step_batch
    from tabular import gridworld, uniform
    from tabular.mdp_batch import evaluate_batch

    mdps = [gridworld(3, 3, slip=0.0, gamma=0.9, goal_reward=1e-6), gridworld(3, 3, slip=0.0, gamma=0.9),
            gridworld(3, 3, slip=0.0, gamma=0.5, goal_reward=1e6, step_reward=-1.0)]
    b = MDPBatch.from_mdps(mdps)
    pis = [uniform(m) for m in mdps]
    step = cpi_step_batch(b, evaluate_batch(b, b.policy_rows(pis)))
    for m, pi, p in zip(mdps, pis, b.split(step.pi_new)):
        ref = cpi_step(m, pi)
        np.testing.assert_allclose(p, ref.pi_new, rtol=0, atol=1e-12)
        prime = ref.info["pi_prime"]
        # the greedy pi' is the lowest-index optimal-up-to-ties action, by a Python loop over Q
        Q = evaluate_q(m, pi)
        tol = 1e-9 * np.abs(Q).max()
        lowest = [next(a for a in range(4) if Q[s, a] >= Q[s].max() - tol) for s in range(m.n_states)]
        assert np.argmax(prime, axis=1).tolist() == lowest


def evaluate_q(mdp, pi):
    """Q of pi by a dense solve written here (independent of tabular.evaluate)."""
    P = mdp.dense_P()
    P_pi = np.einsum("sa,sat->st", pi, P)
    V = np.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * P_pi, np.einsum("sa,sa->s", pi, mdp.R))
    return mdp.R + mdp.gamma * np.einsum("sat,t->sa", P, V)


# ----------------------------------------------------------------------------- bad inputs and a tiny gamma
def test_a_tiny_gamma_is_solved_by_the_batch_as_by_the_scalar_step():
    """Theory C of gamma = 1e-300 or a subnormal: the batch takes the C -> 0+ limit like mm_step
    (every instance ok), and agrees with the scalar step (an independent code path)."""
    from bounds.updates import mm_step
    from bounds.updates.steps_batch import mm_step_batch
    from tabular import MDP, garnet
    from tabular.mdp_batch import evaluate_batch

    mdps = [garnet(3, 2, 2, gamma=g, rng=k) for k, g in enumerate((5e-324, 1e-300, 1e-200, 0.0))]
    mdps.append(MDP(np.ones((1, 2, 1)), np.array([[0.0, 1.0]]), np.ones(1), 5e-324))
    b = MDPBatch.from_mdps(mdps)
    rows = np.full((b.N, 2), 0.5)
    st = mm_step_batch(b, evaluate_batch(b, rows))
    assert st.ok.all()
    for m, p in zip(mdps, b.split(st.pi_new)):
        np.testing.assert_allclose(p, mm_step(m, np.full(m.shape, 0.5)).pi_new, atol=1e-9)


def test_the_batched_steps_refuse_an_evaluation_of_another_batch_naming_it():
    from bounds.updates.steps_batch import cpi_step_batch, mm_step_batch, trust_region_step_batch
    from tabular import garnet
    from tabular.mdp_batch import evaluate_batch

    b = MDPBatch.from_mdps([garnet(3, 2, 2, gamma=0.9, rng=k) for k in range(2)])
    other = MDPBatch.from_mdps([garnet(3, 2, 2, gamma=0.9, rng=k) for k in range(2, 4)])
    rows = np.full((b.N, 2), 0.5)
    ev, ev_other = evaluate_batch(b, rows), evaluate_batch(other, rows)
    for step in (mm_step_batch, cpi_step_batch):
        with pytest.raises(ValueError, match="ev is not an evaluation in this batch"):
            step(b, ev_other)
    with pytest.raises(ValueError, match="delta must be positive"):
        trust_region_step_batch(b, ev, -1.0)
    with pytest.raises(ValueError, match="ev0 evaluates a different policy than pi0"):
        run_batch("mm", b, rows, 1, ev0=evaluate_batch(b, np.tile([[0.2, 0.8]], (b.N, 1))))
    with pytest.raises(TypeError, match="unexpected keyword"):
        run_batch("mm", b, rows, 1, delta=0.1)

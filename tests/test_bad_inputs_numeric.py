"""Bad inputs of the numeric surfaces (issue 21, item 4), fuzz style.

For every public function of the rates, regularized values, estimators, PPO, mirror descent,
importance sampling, samplers, the batched APIs, the steps and the learners, each argument in turn
gets bad values of every kind (NaN, inf, negative, zero, wrong shape, wrong dtype: complex, object,
str, bool where a number goes; another MDP's or another policy's evaluation; out-of-range indices; a
huge size) while the other arguments stay valid. Every call must raise ``ValueError`` or
``TypeError`` (never ``MemoryError``, never another exception, never a silent answer) whose message
names the argument.

A spec is ``(label, function, valid kwargs, {argument: [bad values]})``; the bad values of one
argument are replaced one at a time. The valid call itself is run first (so a spec whose "valid"
call already fails is a defect of the spec, not a pass).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tabular import MDP, evaluate
from tabular.mdp_batch import MDPBatch, evaluate_batch
from tabular.estimators import (gae_advantages, gae_expected_gradient, k_step_advantages,
                                k_step_expected_gradient, pg_from_advantages, pg_reinforce, pg_reward_to_go,
                                ppo_objectives, score_sums, single_path, surrogate_estimate, surrogate_offset,
                                surrogate_target, vine)
from tabular.importance import (effective_sample_size, is_estimates, is_moments, reuse_estimates,
                                reuse_moments, stale_surrogate_target, weight_growth_rate,
                                weight_second_moment)
from tabular.parametric import TabularSoftmax
from tabular.regularized import (entropy, soft_bellman_residual, soft_evaluate, soft_greedy,
                                 soft_optimal)
from tabular.sampling import Trajectories, horizon_for, sample_trajectories, truncation_bound

from bounds.rates import (entropy_npg_rate, npg_rate, pg_rate, pmd_rate, rate_checks, stationary_of,
                          unit_rewards)
from bounds.updates.steps_batch import cpi_step_batch, mm_step_batch, run_batch, trust_region_step_batch
from experiments.learners import (cem, cma_es, default_horizon, draw_samples, episodes_for, learn,
                                     natural_gradient, rwr, sample_surrogate, sample_trpo_step, trpo,
                                     vine_states_for)
from bounds.updates.mirror import entropy_npg_update, pmd_update
from bounds.updates.ppo import clip_gradient, clip_objective, ppo_clip_step
from bounds.updates.solvers.algorithm1_batch import max_kl_penalty_batch
from bounds.updates.steps import (cpi_step, kl_penalty_step, mm_step, npg_step, pg_step, pi_step, theory_C,
                                  trust_region_step)

HUGE = 10**15  # a size no machine holds: must be refused by a size check, at once


def _mdp(seed: int, S: int = 3, A: int = 2, gamma: float = 0.9) -> MDP:
    r = np.random.default_rng(seed)
    return MDP(r.dirichlet(np.ones(S), size=(S, A)), r.uniform(0, 1, size=(S, A)), np.full(S, 1.0 / S), gamma)


S, A = 3, 2
M = _mdp(1)
M_OTHER = _mdp(2)  # same shape and gamma, other transitions and rewards
PI = np.full((S, A), 0.5)
PI_OTHER = np.array([[0.3, 0.7], [0.6, 0.4], [0.5, 0.5]])
EV = evaluate(M, PI)
EV_OTHER_MDP = evaluate(M_OTHER, PI)
EV_OTHER_PI = evaluate(M, PI_OTHER)
THETA = np.zeros((S, A))
TRAJ = sample_trajectories(M, PI, 4, 5, rng=0)
SOFTMAX = TabularSoftmax(S, A)
BATCH = MDPBatch.from_mdps([M, _mdp(3)])
BATCH_OTHER = MDPBatch.from_mdps([M_OTHER, _mdp(4)])
PI_ROWS = np.full((BATCH.N, A), 0.5)
BEV = evaluate_batch(BATCH, PI_ROWS)
BEV_OTHER_BATCH = evaluate_batch(BATCH_OTHER, PI_ROWS)
SAMPLES = single_path(M, PI, 4, 5, rng=0)

# ---------------------------------------------------------------------------------- bad values by kind
NOT_A_NUMBER = ["0.5", 1 + 1j, True, [0.5], object(), None]
REAL = [math.nan, math.inf, -math.inf, *NOT_A_NUMBER]
POSITIVE = [*REAL, 0.0, -1.0]
NONNEG = [*REAL, -1.0, -1e-300]
UNIT = [*REAL, -0.1, 1.5]  # a number in [0, 1]
INT = [2.5, 2.0, True, "3", math.nan, None, -1]
POS_INT = [*INT, 0]
SIZE = [*POS_INT, HUGE]
RNG = ["abc", -1, 1.5, math.nan]
CHOICE = ["nope", 3, None, ["kl"]]
FLAG = ["no", 1, None, 0.0]


def _given(values):
    """The bad values without None (for an optional argument, None means "the default")."""
    return [v for v in values if v is not None]


def _policy_bad(S=S, A=A):
    bad_sum = np.full((S, A), 0.7)
    neg = np.full((S, A), 0.5)
    neg[0] = [1.5, -0.5]
    nan = np.full((S, A), 0.5)
    nan[1, 0] = math.nan
    return [np.full((S + 1, A), 1.0 / A), np.full((S, A + 1), 1.0 / (A + 1)), bad_sum, neg, nan,
            np.full((S, A), 0.5 + 0j), np.full((S, A), "0.5"), np.full((S, A), 0.5, dtype=object),
            np.full(S * A, 0.5), "uniform", 0.5, None]


POLICY = _policy_bad()
MDP_BAD = [PI, M.P, "mdp", None, 3]
EV_BAD = [EV_OTHER_MDP, EV_OTHER_PI, "ev", 1.0, evaluate(_mdp(5, S=4), np.full((4, A), 0.5))]
THETA_BAD = [np.zeros((S - 1, A)), np.full((S, A), math.nan), np.full((S, A), math.inf), np.zeros((S, A)) + 0j,
             np.full((S, A), "0"), "theta", None]
VEC_S = [np.zeros(S + 1), np.full(S, math.nan), np.zeros(S) + 0j, np.full(S, "0"), "V", None, np.zeros((S, 1))]
DIST_S = [np.full(S, 0.5), np.array([1.5, -0.5, 0.0]), np.full(S + 1, 1.0 / (S + 1)), np.full(S, math.nan),
          np.full(S, 1 / S) + 0j, "rho", np.full((S, 1), 1 / S)]


def _traj(states=None, actions=None, rewards=None) -> Trajectories:
    st = np.array(TRAJ.states) if states is None else states
    ac = np.array(TRAJ.actions) if actions is None else actions
    rw = np.array(TRAJ.rewards) if rewards is None else rewards
    return Trajectories(st, ac, rw, TRAJ.gamma)


def _with(arr, idx, value):
    out = np.array(arr)
    out[idx] = value
    return out


TRAJ_BAD = [_traj(states=_with(TRAJ.states, (0, 0), -1)), _traj(states=_with(TRAJ.states, (1, 2), S)),
            _traj(actions=_with(TRAJ.actions, (0, 1), A)), _traj(actions=_with(TRAJ.actions, (0, 1), -1)),
            _traj(rewards=_with(TRAJ.rewards, (2, 2), math.nan)), "traj", None, TRAJ.states]

# ---------------------------------------------------------------------------------- the specs
SPECS = [
    # bounds.rates
    ("npg_rate", npg_rate, dict(mdp=M, step=1.0, n_iter=2),
     dict(mdp=MDP_BAD, step=POSITIVE, n_iter=SIZE, rho=DIST_S)),
    ("pg_rate", pg_rate, dict(mdp=M, n_iter=2),
     dict(mdp=MDP_BAD, n_iter=SIZE, mu=[*DIST_S, np.array([1.0, 0.0, 0.0])], rho=DIST_S, step=_given(POSITIVE))),
    ("entropy_npg_rate", entropy_npg_rate, dict(mdp=M, tau=0.5, step=0.1, n_iter=2),
     dict(mdp=MDP_BAD, tau=POSITIVE, step=[*POSITIVE, 100.0], n_iter=SIZE,
          pi0=[*POLICY[:-1], np.array([[1.0, 0.0], [0.5, 0.5], [0.5, 0.5]])])),
    ("pmd_rate", pmd_rate, dict(mdp=M, eta0=1.0, n_iter=2),
     dict(mdp=MDP_BAD, eta0=POSITIVE, n_iter=SIZE, rho=DIST_S, pi0=POLICY[:-1])),
    ("rate_checks", rate_checks, dict(mdp=M, rng=0, n_iter=2), dict(mdp=MDP_BAD, rng=RNG, n_iter=SIZE)),
    ("unit_rewards", unit_rewards, dict(mdp=M), dict(mdp=MDP_BAD)),
    ("stationary_of", stationary_of, dict(mdp=M, pi=PI), dict(mdp=MDP_BAD, pi=POLICY)),
    # tabular.regularized
    ("entropy", entropy, dict(pi=PI), dict(pi=POLICY[2:])),
    ("soft_evaluate", soft_evaluate, dict(mdp=M, pi=PI, tau=0.5),
     dict(mdp=MDP_BAD, pi=POLICY, tau=[*NONNEG, 1e308])),
    ("soft_optimal", soft_optimal, dict(mdp=M, tau=0.5),
     dict(mdp=MDP_BAD, tau=POSITIVE, tol=POSITIVE, max_iter=POS_INT)),
    ("soft_bellman_residual", soft_bellman_residual, dict(mdp=M, V=np.zeros(S), tau=0.5),
     dict(mdp=MDP_BAD, V=VEC_S, tau=POSITIVE)),
    ("soft_greedy", soft_greedy, dict(Q=np.zeros((S, A)), tau=0.5),
     dict(Q=THETA_BAD[1:] + [np.zeros((0, A)), np.zeros(S)], tau=POSITIVE)),
    # tabular.estimators
    ("single_path", single_path, dict(mdp=M, pi_old=PI, n_episodes=3, horizon=4, rng=0),
     dict(mdp=MDP_BAD, pi_old=POLICY, n_episodes=SIZE, horizon=SIZE, rng=RNG)),
    ("vine", vine, dict(mdp=M, pi_old=PI, n_states=2, rollout_horizon=3, rng=0),
     dict(mdp=MDP_BAD, pi_old=POLICY, n_states=SIZE[:-2] + [0, HUGE], rollout_horizon=SIZE, rng=RNG,
          n_actions=[2.5, True, "3", -1, 0, HUGE], common_random_numbers=FLAG)),
    ("vine(q=)", vine, dict(mdp=M, pi_old=PI, n_states=2, rollout_horizon=3, rng=0, n_actions=2, q=PI),
     dict(q=POLICY[:-1])),
    ("vine(states=)", vine, dict(mdp=M, pi_old=PI, states=np.array([0, 1]), rollout_horizon=3, rng=0),
     dict(states=[np.array([0, S]), np.array([-1, 0]), np.array([0.0, 1.0]), np.array([], dtype=int), "s"])),
    ("surrogate_estimate", surrogate_estimate, dict(samples=SAMPLES, theta=THETA),
     dict(samples=["samples", None, TRAJ], theta=THETA_BAD)),
    ("surrogate_target", surrogate_target, dict(mdp=M, pi_old=PI, pi_theta=PI_OTHER),
     dict(mdp=MDP_BAD, pi_old=POLICY, pi_theta=POLICY, ev_old=EV_BAD)),
    ("surrogate_offset", surrogate_offset, dict(mdp=M, pi_old=PI),
     dict(mdp=MDP_BAD, pi_old=POLICY, ev_old=EV_BAD)),
    ("score_sums", score_sums, dict(theta=THETA, states=TRAJ.states, actions=TRAJ.actions, coef=np.ones((4, 5))),
     dict(theta=THETA_BAD[1:], states=[_with(TRAJ.states, (0, 0), -1), _with(TRAJ.states, (0, 0), S),
                                   np.zeros((4, 5)), "s"],
          actions=[_with(TRAJ.actions, (0, 0), A), np.zeros((4, 5))],
          coef=[np.full((4, 5), math.nan), np.ones((4, 4)), np.ones((4, 5)) + 0j, "c"])),
    ("score_sums(group=)", score_sums, dict(theta=THETA, states=[0, 1], actions=[1, 0], coef=[1.0, 2.0],
                                            n_groups=2, group=[0, 1]),
     dict(n_groups=[*POS_INT, HUGE], group=[[0, 2], [-1, 0], [0.0, 1.0], [0], "g"])),
    ("pg_reinforce", pg_reinforce, dict(traj=TRAJ, theta=THETA),
     dict(traj=TRAJ_BAD, theta=THETA_BAD, baseline=[math.nan, math.inf, "nope", [1.0, 2.0], 1j])),
    ("pg_reward_to_go", pg_reward_to_go, dict(traj=TRAJ, theta=THETA),
     dict(traj=TRAJ_BAD, theta=THETA_BAD, baseline=[math.nan, -math.inf, "nope", np.zeros(S)],
          discount_states=FLAG)),
    ("pg_reward_to_go(V=)", pg_reward_to_go, dict(traj=TRAJ, theta=THETA, baseline="state", V=np.zeros(S)),
     dict(V=VEC_S[:-2])),
    ("pg_from_advantages", pg_from_advantages, dict(traj=TRAJ, theta=THETA, psi=np.ones((4, 5))),
     dict(traj=TRAJ_BAD, theta=THETA_BAD, psi=[np.ones((4, 4)), np.full((4, 5), math.nan), "psi"],
          discount_states=FLAG)),
    ("gae_advantages", gae_advantages, dict(traj=TRAJ, V=np.zeros(S), lam=0.5),
     dict(traj=TRAJ_BAD[:2] + TRAJ_BAD[3:], V=VEC_S[1:-1], lam=UNIT)),  # (an action >= A: A unknown)
    ("k_step_advantages", k_step_advantages, dict(traj=TRAJ, V=np.zeros(S), k=2),
     dict(traj=TRAJ_BAD[:2] + TRAJ_BAD[3:], V=VEC_S[1:-1], k=POS_INT)),
    ("gae_expected_gradient", gae_expected_gradient, dict(mdp=M, theta=THETA, V_hat=np.zeros(S), lam=0.5),
     dict(mdp=MDP_BAD, theta=THETA_BAD, V_hat=VEC_S, lam=UNIT, ev=EV_BAD)),
    ("k_step_expected_gradient", k_step_expected_gradient, dict(mdp=M, theta=THETA, V_hat=np.zeros(S), k=2),
     dict(mdp=MDP_BAD, theta=THETA_BAD, V_hat=VEC_S, k=POS_INT, ev=EV_BAD)),
    ("ppo_objectives", ppo_objectives,
     dict(theta=THETA, theta_old=THETA, states=[0, 1], actions=[1, 0], advantages=[1.0, -1.0]),
     dict(theta=THETA_BAD, theta_old=THETA_BAD, states=[[0, S], [-1, 0], [0.0, 1.0], "s"],
          actions=[[0, A], [0.5, 1]], advantages=[[math.nan, 1.0], [1.0], "a", [1j, 1]],
          eps=[*POSITIVE, 1.0], weights=[[1.0], [math.nan, 1.0], "w"])),
    # bounds.updates.ppo
    ("clip_objective", clip_objective, dict(ev_old=EV, theta=THETA, eps=0.2),
     dict(ev_old=["ev", None, PI], theta=THETA_BAD, eps=[*POSITIVE, 1.0])),
    ("clip_gradient", clip_gradient, dict(ev_old=EV, theta=THETA, eps=0.2),
     dict(ev_old=["ev", None, PI], theta=THETA_BAD, eps=[*POSITIVE, 1.0])),
    ("ppo_clip_step", ppo_clip_step, dict(mdp=M, pi=PI, epochs=2),
     dict(mdp=MDP_BAD, pi=POLICY, eps=[*POSITIVE, 1.0], epochs=SIZE, lr=POSITIVE, optimizer=CHOICE,
          ev=EV_BAD)),
    # bounds.updates.mirror
    ("pmd_update", pmd_update, dict(mdp=M, pi=PI, step=1.0),
     dict(mdp=MDP_BAD, pi=POLICY, step=[math.nan, -math.inf, -1.0, *NOT_A_NUMBER[:-1]], ev=EV_BAD)),
    ("entropy_npg_update", entropy_npg_update, dict(mdp=M, pi=PI, tau=0.5, step=0.1),
     dict(mdp=MDP_BAD, pi=POLICY, tau=POSITIVE, step=[*POSITIVE, 100.0],
          sev=[soft_evaluate(M_OTHER, PI, 0.5), soft_evaluate(M, PI_OTHER, 0.5), soft_evaluate(M, PI, 0.4),
               soft_evaluate(M.with_gamma(0.5), PI, 0.5), EV, "sev"])),
    # tabular.importance
    ("is_moments", is_moments, dict(mdp=M, mu=PI, pi_new=PI_OTHER, horizon=3),
     dict(mdp=MDP_BAD, mu=POLICY, pi_new=POLICY, horizon=SIZE, estimator=CHOICE, gradient=FLAG)),
    ("is_moments(gradient)", is_moments, dict(mdp=M, mu=PI, pi_new=PI_OTHER, horizon=3, gradient=True),
     dict(mu=[np.array([[1.0, 0.0], [0.5, 0.5], [0.5, 0.5]])], horizon=[HUGE],
          pi_new=[np.array([[1.0, 0.0], [0.5, 0.5], [0.5, 0.5]])])),
    ("reuse_moments(batch)", reuse_moments, dict(mdp=M, mu=PI, pi=np.stack([PI, PI_OTHER]), pi_new=PI, horizon=3),
     dict(pi=[np.stack([PI, np.full((S, A), 0.7)]), np.stack([PI, PI])[:, :, :1], np.zeros((0, S, A))],
          pi_new=[np.stack([PI, PI, PI])])),
    ("reuse_moments", reuse_moments, dict(mdp=M, mu=PI, pi=PI_OTHER, pi_new=PI, horizon=3),
     dict(mdp=MDP_BAD, mu=POLICY, pi=POLICY, pi_new=POLICY, horizon=SIZE, estimator=CHOICE, gradient=FLAG)),
    ("is_estimates", is_estimates, dict(traj=TRAJ, mu=PI, pi_new=PI_OTHER),
     dict(traj=TRAJ_BAD, mu=POLICY, pi_new=POLICY[2:], estimator=CHOICE, gradient=FLAG)),
    ("reuse_estimates", reuse_estimates, dict(traj=TRAJ, mu=PI, pi=PI_OTHER, pi_new=PI),
     dict(traj=TRAJ_BAD, mu=POLICY, pi=POLICY, pi_new=POLICY[2:], estimator=CHOICE, gradient=FLAG)),
    ("stale_surrogate_target", stale_surrogate_target, dict(mdp=M, mu=PI, pi=PI_OTHER, pi_new=PI),
     dict(mdp=MDP_BAD, mu=POLICY, pi=POLICY, pi_new=POLICY, ev_mu=EV_BAD[:1] + [evaluate(M, PI_OTHER), "ev"])),
    ("weight_second_moment", weight_second_moment, dict(mdp=M, mu=PI, pi=PI_OTHER, horizon=3),
     dict(mdp=MDP_BAD, mu=POLICY, pi=POLICY, horizon=SIZE)),
    ("weight_growth_rate", weight_growth_rate, dict(mdp=M, mu=PI, pi=PI_OTHER),
     dict(mdp=MDP_BAD, mu=POLICY, pi=POLICY)),
    ("effective_sample_size", effective_sample_size, dict(weights=[1.0, 2.0]),
     dict(weights=[[], [0.0, 0.0], [-1.0, 2.0], [math.nan, 1.0], [math.inf, 1.0], "w", [1j, 1.0], [[1.0]]])),
    # tabular.sampling
    ("sample_trajectories", sample_trajectories, dict(mdp=M, pi=PI, n_episodes=3, horizon=4, rng=0),
     dict(mdp=MDP_BAD, pi=POLICY, n_episodes=SIZE, horizon=SIZE, rng=RNG,
          start=[-1, S, 0.5, "s", np.array([0, 1]), np.array([0, 1, S])])),
    ("horizon_for", horizon_for, dict(gamma=0.9), dict(gamma=[*UNIT, 1.0], tol=[*POSITIVE, 1.0])),
    ("truncation_bound", truncation_bound, dict(gamma=0.9, horizon=4, max_abs_reward=1.0),
     dict(gamma=[*UNIT, 1.0], horizon=POS_INT, max_abs_reward=NONNEG)),
    # the batched APIs
    ("MDPBatch.from_mdps", MDPBatch.from_mdps, dict(mdps=[M]),
     dict(mdps=[[], M, [M, "m"], [M, _mdp(6, A=3)], "mdps", None])),
    ("evaluate_batch", evaluate_batch, dict(batch=BATCH, pi=PI_ROWS),
     dict(batch=[M, [M], "b", None], pi=[PI, np.full((BATCH.N, A), 0.7), np.full((BATCH.N, A), math.nan), "pi"],
          extra=[np.zeros(BATCH.N + 1), np.full(BATCH.N, math.nan), "x"])),
    ("mm_step_batch", mm_step_batch, dict(batch=BATCH, ev=BEV),
     dict(batch=[M, [M], BATCH_OTHER.groups, None], ev=[BEV_OTHER_BATCH, EV, "ev", None])),
    ("cpi_step_batch", cpi_step_batch, dict(batch=BATCH, ev=BEV),
     dict(batch=[M, [M], None], ev=[BEV_OTHER_BATCH, EV, "ev", None])),
    ("trust_region_step_batch", trust_region_step_batch, dict(batch=BATCH, ev=BEV, delta=0.1),
     dict(batch=[M, [M], None], ev=[BEV_OTHER_BATCH, EV, "ev", None], delta=POSITIVE)),
    ("run_batch", run_batch, dict(update="mm", batch=BATCH, pi0=PI_ROWS, n_iter=1),
     dict(update=CHOICE, batch=[M, [M], None], pi0=[PI, np.full((BATCH.N, A), 0.7), "pi"], n_iter=[*INT, HUGE],
          ev0=[BEV_OTHER_BATCH, evaluate_batch(BATCH, np.tile([[0.2, 0.8]], (BATCH.N, 1))), EV, "ev"])),
    ("run_batch(trust_region)", run_batch, dict(update="trust_region", batch=BATCH, pi0=PI_ROWS, n_iter=1,
                                                delta=0.1),
     dict(delta=POSITIVE)),
    ("max_kl_penalty_batch", max_kl_penalty_batch,
     dict(A=np.asarray(BEV.A), pi=PI_ROWS, rho=np.asarray(BEV.rho), C=np.ones(2), segs=BATCH.segments),
     dict(A=[np.zeros((BATCH.N + 1, A)), np.full((BATCH.N, A), math.nan), "A"],
          pi=[np.full((BATCH.N, A), 0.7), PI, "pi"], rho=[-np.ones(BATCH.N), np.ones(BATCH.N + 1), "rho"],
          C=[-np.ones(2), np.full(2, math.nan), np.ones(3), "C"], segs=[[3, 3], None])),
    # bounds.updates.steps
    ("mm_step", mm_step, dict(mdp=M, pi=PI),
     dict(mdp=MDP_BAD, pi=POLICY, C=[*REAL[:-1], -1.0], penalty=CHOICE, C_scale=NONNEG, solver=CHOICE, ev=EV_BAD,
          method=CHOICE)),
    ("cpi_step", cpi_step, dict(mdp=M, pi=PI), dict(mdp=MDP_BAD, pi=POLICY, alpha=[*REAL[:-1], -0.1, 1.5], ev=EV_BAD)),
    ("trust_region_step", trust_region_step, dict(mdp=M, pi=PI, delta=0.1),
     dict(mdp=MDP_BAD, pi=POLICY, delta=POSITIVE, constraint=CHOICE, solver=CHOICE, ev=EV_BAD)),
    ("trust_region_step(mean)", trust_region_step, dict(mdp=M, pi=PI, delta=0.1, constraint="mean"),
     dict(weights=[np.zeros(S), -np.ones(S), np.full(S, math.nan), np.ones(S + 1), "nope", np.ones(S) + 0j])),
    ("kl_penalty_step", kl_penalty_step, dict(mdp=M, pi=PI, c=1.0),
     dict(mdp=MDP_BAD, pi=POLICY, c=NONNEG, ev=EV_BAD,
          weights=[np.zeros(S), -np.ones(S), np.full(S, math.nan), np.ones(S + 1), "nope"])),
    ("npg_step", npg_step, dict(mdp=M, pi=PI, step=1.0), dict(mdp=MDP_BAD, pi=POLICY, step=NONNEG, ev=EV_BAD)),
    ("pg_step", pg_step, dict(mdp=M, pi=PI, step=1.0), dict(mdp=MDP_BAD, pi=POLICY, step=NONNEG, ev=EV_BAD)),
    ("pi_step", pi_step, dict(mdp=M, pi=PI), dict(mdp=MDP_BAD, pi=POLICY, ev=EV_BAD)),
    ("theory_C", theory_C, dict(mdp=M, pi=PI), dict(mdp=MDP_BAD, pi=POLICY, ev=EV_BAD)),
    # experiments.learners
    ("learn", learn, dict(method="trpo_single_path", mdp=M, policy=SOFTMAX, theta0=np.zeros(S * A), n_iter=1,
                          budget=200, rng=0, horizon=5),
     dict(method=CHOICE, mdp=MDP_BAD, policy=["softmax", None, TabularSoftmax(S + 1, A)],
          theta0=[np.zeros(S * A + 1), np.full(S * A, math.nan), "t"], n_iter=[*INT, HUGE],
          budget=SIZE, rng=RNG)),
    ("trpo", trpo, dict(mdp=M, policy=SOFTMAX, theta0=np.zeros(S * A), n_iter=1, budget=200, rng=0, horizon=5),
     dict(delta=POSITIVE, estimator=CHOICE, fisher=CHOICE, constraint=CHOICE, horizon=_given(SIZE))),
    ("natural_gradient", natural_gradient, dict(mdp=M, policy=SOFTMAX, theta0=np.zeros(S * A), n_iter=1,
                                                budget=200, rng=0, horizon=5),
     dict(delta=POSITIVE, step_length=[*REAL[:-1], 0.0, -1.0], budget=SIZE)),
    ("cem", cem, dict(mdp=M, policy=SOFTMAX, theta0=np.zeros(S * A), n_iter=1, budget=400, rng=0, horizon=5),
     dict(population=[*POS_INT, 1], elite_frac=[*POSITIVE, 1.5], init_std=POSITIVE, extra_std=NONNEG,
          extra_decay=POSITIVE, budget=SIZE, n_iter=[HUGE])),
    ("cma_es", cma_es, dict(mdp=M, policy=SOFTMAX, theta0=np.zeros(S * A), n_iter=1, budget=400, rng=0, horizon=5),
     dict(sigma0=POSITIVE, popsize=[2.5, 2.0, True, "3", math.nan, -1, 0, 1], diagonal=FLAG[:-2], budget=SIZE)),
    ("rwr", rwr, dict(mdp=M, policy=SOFTMAX, theta0=np.zeros(S * A), n_iter=1, budget=200, rng=0, horizon=5),
     dict(beta=NONNEG, kappa=NONNEG, budget=SIZE)),
    ("draw_samples", draw_samples, dict(mdp=M, pi=PI, estimator="single_path", budget=100, horizon=5, rng=0),
     dict(mdp=MDP_BAD, pi=POLICY, estimator=CHOICE, budget=SIZE, horizon=SIZE, rng=RNG)),
    ("sample_surrogate", sample_surrogate, dict(samples=SAMPLES, policy=SOFTMAX, theta_old=np.zeros(S * A)),
     dict(samples=["s", None, TRAJ], policy=["p", None, TabularSoftmax(S + 1, A)],
          theta_old=[np.zeros(S * A + 1), np.full(S * A, math.nan), "t"])),
    ("sample_trpo_step", sample_trpo_step, dict(samples=SAMPLES, policy=SOFTMAX, theta=np.zeros(S * A), delta=0.01),
     dict(samples=["s", None], policy=["p", None], theta=[np.zeros(S * A + 1), np.full(S * A, math.nan)],
          delta=POSITIVE, fisher=CHOICE, constraint=CHOICE, step_length=[*REAL[:-1], 0.0, -1.0], cg_iters=POS_INT,
          damping=NONNEG, backtrack=[*POSITIVE, 1.0, 1.5], max_backtracks=INT)),
    ("default_horizon", default_horizon, dict(gamma=0.9), dict(gamma=[*UNIT, 1.0])),
    ("episodes_for", episodes_for, dict(budget=100, horizon=5), dict(budget=POS_INT, horizon=POS_INT,
                                                                      n_groups=POS_INT)),
    ("vine_states_for", vine_states_for, dict(budget=1000, mdp=M, horizon=5),
     dict(budget=POS_INT, mdp=MDP_BAD, horizon=POS_INT)),
]


def _cases():
    for label, fn, valid, bad in SPECS:
        for arg, values in bad.items():
            for i, v in enumerate(values):
                yield pytest.param(fn, valid, arg, v, id=f"{label}-{arg}-{i}")


@pytest.mark.parametrize("label, fn, valid", [pytest.param(*s[:3], id=s[0]) for s in SPECS])
def test_the_valid_call_of_each_spec_works(label, fn, valid):
    fn(**valid)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("fn, valid, arg, value", list(_cases()))
def test_a_bad_argument_is_answered_naming_it(fn, valid, arg, value):
    kwargs = dict(valid)
    kwargs[arg] = value
    try:
        out = fn(**kwargs)
    except (ValueError, TypeError) as exc:
        assert not isinstance(exc, MemoryError), f"a size check must not be a MemoryError: {exc}"
        assert arg in str(exc), f"the message does not name {arg!r}: {exc}"
    else:
        pytest.fail(f"{arg}={value!r:.80} was accepted; returned {out!r:.200}")


# ---------------------------------------------------------------------------------- extreme but valid numbers
EXTREME = [5e-324, 1e-300, 1e300, 1.7e308]


def _finite(out) -> bool:
    """No inf or NaN in a returned number, array or the numeric fields of a result object."""
    if isinstance(out, (float, np.floating, np.ndarray)):
        return bool(np.all(np.isfinite(np.asarray(out, dtype=np.float64))))
    for f in ("pi_new", "eta", "value", "grad", "objective", "pi", "V", "Q", "theta_new"):
        if hasattr(out, f) and not np.all(np.isfinite(np.asarray(getattr(out, f), dtype=np.float64))):
            return False
    return True


def _extreme_cases():
    for label, fn, valid, bad in SPECS:
        for arg, values in bad.items():
            if any(isinstance(v, float) and math.isfinite(v) for v in values):  # a real-number argument
                for v in EXTREME:
                    yield pytest.param(fn, valid, arg, v, id=f"{label}-{arg}-{v:g}")


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("fn, valid, arg, value", list(_extreme_cases()))
def test_an_extreme_number_gives_a_finite_answer_or_a_named_refusal(fn, valid, arg, value):
    """A subnormal or a number near the largest float is either computed (finite: no silent inf/NaN)
    or refused naming the argument -- never an OverflowError, ZeroDivisionError or a solver's error."""
    kwargs = dict(valid)
    kwargs[arg] = value
    try:
        out = fn(**kwargs)
    except (ValueError, TypeError) as exc:
        assert arg in str(exc), f"the message does not name {arg!r}: {exc}"
    else:
        assert _finite(out), f"{arg}={value!r} returned a non-finite answer: {out!r:.200}"

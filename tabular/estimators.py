"""Sample-based estimators of [TRPO] Section 5 and of the policy-gradient family, for tabular softmax.

Parameters are ``theta[s, a]`` with ``pi_theta = softmax(theta)`` row-wise; the score is
``grad_theta log pi_theta(a|s) = e_{s,a} - pi_theta(.|s)`` on row ``s`` (zero elsewhere).

**Discounting.** Every estimator here targets a quantity weighted by the *unnormalized* discounted
visitation ``rho_old`` of [TRPO] (THEORY.md §1). Sampled trajectories visit ``s_t`` with probability
``P(s_t = s)``, so a ``rho``-weighted expectation ``sum_s rho(s) f(s) = E[sum_t gamma^t f(s_t)]`` is
estimated **with the weight gamma^t on time t** (single path, policy gradients). The vine draws its
rollout states exactly from the normalized ``d_old = (1 - gamma) rho_old`` by taking the state at a
geometric time ``P(t) = (1 - gamma) gamma^t`` of an independent ``pi_old`` trajectory, and multiplies
by ``1 / (1 - gamma)``. Dropping ``gamma^t`` on the score (``discount_states=False``, the
"undiscounted state distribution" common practice) gives a **biased** gradient of ``eta``.

**Truncation.** Episodes are cut after ``H`` steps and ``V(s_H) := 0`` in bootstrapped targets; every
expectation stated below holds up to a truncation bias of order ``gamma^H max|R| / (1 - gamma)``
(:func:`tabular.sampling.truncation_bound`); choose ``H = horizon_for(gamma, tol)``.

**What the surrogate estimators estimate.** With ``Q_old`` in place of ``A_old`` (Eq. (14) of [TRPO]),
the single-path and vine estimates of Eq. (14) are unbiased for::

    M(theta) = sum_s rho_old(s) sum_a pi_theta(a|s) Q_old(s, a)
             = (1 / (1 - gamma)) E_{s ~ d_old}[ sum_a pi_theta(a|s) Q_old(s, a) ]

and since ``sum_a pi_theta Q_old = sum_a pi_theta A_old + V_old(s)``, Eq. (3) gives::

    L_{pi_old}(pi_theta) = M(theta) + eta_old - rho_old . V_old        (surrogate_offset)

The offset does not depend on ``theta``: ``grad M = grad L`` and at ``theta_old`` both equal
``grad eta`` (Eq. (4)). :func:`surrogate_target` returns ``M``, :func:`surrogate_offset` the offset.

**Policy-gradient estimators** (all of the form ``g = sum_t c_t score_t``): REINFORCE
``(sum_t score_t)(sum_t gamma^t r_t - b)``; reward-to-go ``sum_t gamma^t score_t (G_t - b)``; and
advantage forms ``sum_t gamma^t score_t Ahat_t`` with k-step or GAE(gamma, lambda) advantages
(seed notes 003; Schulman et al. 2016, "High-dimensional continuous control using GAE"). Baselines
fitted on the batch use **leave-one-out** estimates (episode ``i``'s baseline is computed from the
other episodes), so they do not depend on episode ``i``'s actions and the estimator stays exactly
unbiased (a batch-mean constant baseline would scale the estimate by ``1 - 1/N``).

**Unbiasedness map** (for ``grad eta``; checked in tests/tabular/test_estimators.py):
REINFORCE with any action-independent baseline, reward-to-go with constant / optimal / time /
state baselines (any ``V``), GAE with ``lambda = 1`` (any ``V``: ``Ahat_t = G_t - V(s_t)``), and GAE
or k-step with the **exact** ``V_pi`` at every ``lambda`` / ``k`` (then ``E[delta_{t+l} | s_t, a_t] = 0``
for ``l >= 1`` and ``E[delta_t | s_t, a_t] = A_pi``) are unbiased. GAE with ``lambda < 1`` or k-step
with an inexact ``V = V_pi + e`` are biased; the bias is given in closed form by
:func:`gae_expected_gradient` / :func:`k_step_expected_gradient`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from .validation import (
    as_float_array,
    as_index_array,
    as_policy,
    check_bool,
    check_int,
    check_mdp,
    check_unit_interval,
    readonly,
)
from .evaluation import Evaluation, policy_transition, resolve_evaluation
from .gradients import as_theta
from .mdp import MDP
from .policies import softmax
from .sampling import Trajectories, first_above, row_cumsum_csr, sample_trajectories

__all__ = [
    "SurrogateSamples",
    "SurrogateEstimate",
    "GradientEstimate",
    "PPOEstimate",
    "single_path",
    "vine",
    "surrogate_estimate",
    "surrogate_target",
    "surrogate_offset",
    "score_sums",
    "pg_reinforce",
    "pg_reward_to_go",
    "pg_from_advantages",
    "gae_advantages",
    "k_step_advantages",
    "gae_expected_gradient",
    "k_step_expected_gradient",
    "ppo_objectives",
]

_BASELINES_RTG = (None, "constant", "optimal", "optimal_scalar", "time", "state")
_BASELINES_REINFORCE = (None, "constant", "optimal", "optimal_scalar")


# ----------------------------------------------------------------------------- validation helpers
def _pos_int(x, name: str) -> int:
    """A positive integer: ``TypeError`` for a float such as 2.5 (never truncated), ``ValueError``
    below 1."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {x!r}")
    return check_int(x, name, lo=1)


_theta = as_theta  # softmax parameters theta[s, a], validated as in tabular.gradients

def _values(V, S: int, name: str = "V") -> np.ndarray:
    v = as_float_array(V, name, ndim=1)
    if v.shape != (S,):
        raise ValueError(f"{name} must have shape ({S},) (one value per state), got {v.shape}")
    return v


def _check_traj(traj, S: int, against: str = "theta") -> None:
    if not isinstance(traj, Trajectories):
        raise TypeError(f"traj must be a tabular.sampling.Trajectories, got {type(traj).__name__}")
    if traj.states.size and (traj.states.max() >= S):
        if against == "V":
            raise ValueError(f"V has {S} entries but traj visits state {int(traj.states.max())}")
        raise ValueError(f"traj visits state {int(traj.states.max())} but {against} has only {S} states")


# ----------------------------------------------------------------------------- result types
@dataclass(frozen=True, eq=False)
class SurrogateSamples:
    """Samples ``(s_j, a_j, Qhat_j)`` for the importance-sampled surrogate of Eq. (14) of [TRPO].

    The estimate is ``Lhat(theta) = (1/n_groups) sum_j weights_j pi_theta(a_j|s_j) / q_prob_j Qhat_j``,
    unbiased (up to truncation) for ``M(theta) = sum_s rho_old(s) sum_a pi_theta(a|s) Q_old(s, a)``
    (module docstring; ``L = M + surrogate_offset``).

    Attributes
    ----------
    states, actions : (M,) int arrays.
    q_hat : (M,) float, the estimates ``Qhat(s_j, a_j)``.
    q_prob : (M,) float, the sampling probability ``q(a_j|s_j)`` (``pi_old`` for single path; ``1/A``
        when the vine enumerates all actions).
    weights : (M,) float, ``gamma^t`` (single path) or ``1 / ((1 - gamma) K)`` (vine).
    group : (M,) int, the independent unit of sample ``j`` (episode or rollout state), for error bars.
    n_groups : int, number of independent units ``n``.
    steps : int, environment steps simulated to produce the samples (the simulation budget).
    kind : str, ``"single_path"`` or ``"vine"``.
    n_states, n_actions : int or None, the shape ``(S, A)`` of the MDP the samples were drawn from
        (None for samples built by hand), so a step can refuse samples of another MDP.
    """

    states: np.ndarray
    actions: np.ndarray
    q_hat: np.ndarray
    q_prob: np.ndarray
    weights: np.ndarray
    group: np.ndarray
    n_groups: int
    steps: int
    kind: str
    n_states: int | None = None
    n_actions: int | None = None

    def __repr__(self) -> str:
        return (f"SurrogateSamples(kind={self.kind!r}, samples={self.states.size}, "
                f"n_groups={self.n_groups}, steps={self.steps})")


@dataclass(frozen=True, eq=False)
class SurrogateEstimate:
    """``Lhat(theta)`` of Eq. (14), its gradient and their standard errors (over groups).

    ``value`` estimates ``M(theta)`` (see :func:`surrogate_target`); ``grad`` (S, A) estimates
    ``grad L = grad M``; ``per_group`` (n,) and ``per_group_grad`` (n, S, A) hold the independent terms
    whose means are ``value`` and ``grad``.
    """

    value: float
    stderr: float
    grad: np.ndarray
    grad_stderr: np.ndarray
    per_group: np.ndarray
    per_group_grad: np.ndarray

    def __repr__(self) -> str:
        return (f"SurrogateEstimate(value={self.value:.6g}, stderr={self.stderr:.2e}, "
                f"grad_norm={float(np.linalg.norm(self.grad)):.6g}, shape={self.grad.shape}, "
                f"n_groups={self.per_group.shape[0]})")


@dataclass(frozen=True, eq=False)
class GradientEstimate:
    """A policy-gradient estimate: ``grad`` (S, A) is the mean of ``per_episode`` (N, S, A).

    ``stderr`` is the per-coordinate standard error ``std(per_episode, ddof=1) / sqrt(N)``.
    """

    grad: np.ndarray
    per_episode: np.ndarray

    def __repr__(self) -> str:
        return (f"GradientEstimate(n_episodes={self.n_episodes}, shape={self.grad.shape}, "
                f"grad_norm={float(np.linalg.norm(self.grad)):.6g})")

    @property
    def n_episodes(self) -> int:
        return int(self.per_episode.shape[0])

    @property
    def stderr(self) -> np.ndarray:
        N = self.n_episodes
        if N < 2:
            raise ValueError("stderr needs at least 2 episodes")
        return self.per_episode.std(axis=0, ddof=1) / np.sqrt(N)


@dataclass(frozen=True, eq=False)
class PPOEstimate:
    """PPO objectives (Schulman et al. 2017) and their gradients with respect to ``theta``.

    ``l_clip = mean_j w_j min(r_j A_j, clip(r_j, 1-eps, 1+eps) A_j)``, ``l_is = mean_j w_j r_j A_j``,
    ``ratio`` (M,) the ``r_j = pi_theta(a_j|s_j) / pi_old(a_j|s_j)``, ``clipped`` (M,) bool, True where
    the clipped term is strictly smaller (its gradient is zero there), ``grad_clip``, ``grad_is`` (S, A).
    """

    l_clip: float
    l_is: float
    grad_clip: np.ndarray
    grad_is: np.ndarray
    ratio: np.ndarray
    clipped: np.ndarray

    def __repr__(self) -> str:
        frac = float(np.mean(self.clipped)) if self.clipped.size else 0.0
        return (f"PPOEstimate(l_clip={self.l_clip:.6g}, l_is={self.l_is:.6g}, samples={self.ratio.size}, "
                f"clipped_fraction={frac:.3g})")


# ----------------------------------------------------------------------------- the score
def score_sums(theta, states, actions, coef, n_groups: int | None = None, group=None) -> np.ndarray:
    """Per-group sums of weighted scores ``sum_{j in group} coef_j grad log pi_theta(a_j|s_j)``.

    For tabular softmax, ``grad log pi_theta(a|s) = e_{s,a} - pi_theta(.|s)`` on row ``s``.

    Parameters
    ----------
    theta : (S, A) softmax parameters.
    states, actions, coef : arrays of one shape: (N, H) (then group = episode = row) or (M,) with
        ``group`` (M,) ints in ``[0, n_groups)``.

    Returns
    -------
    (n_groups, S, A) array.
    """
    theta = _theta(theta, "theta")
    S, A = theta.shape
    pi = softmax(theta)
    states = as_index_array(states, "states", S)
    actions = as_index_array(actions, "actions", A)
    coef = as_float_array(coef, "coef")
    if states.shape != actions.shape or states.shape != coef.shape:
        raise ValueError(
            f"states, actions and coef must share one shape, got {states.shape}, {actions.shape}, {coef.shape}"
        )
    if group is None:
        if states.ndim != 2:
            raise ValueError(f"without group, states must be (N, H), got shape {states.shape}")
        n = states.shape[0]
        group = np.repeat(np.arange(n), states.shape[1]).reshape(states.shape)
    else:
        n = _pos_int(n_groups, "n_groups")
        group = as_index_array(group, "group", n)
        if group.shape != states.shape:
            raise ValueError(f"group must have the shape of states {states.shape}, got {group.shape}")
    g, s, a, c = group.ravel(), states.ravel(), actions.ravel(), coef.ravel()
    out = np.bincount(g * (S * A) + s * A + a, weights=c, minlength=n * S * A).reshape(n, S, A)
    W = np.bincount(g * S + s, weights=c, minlength=n * S).reshape(n, S)
    out -= W[:, :, None] * pi[None, :, :]  # e_{s,a} - pi(.|s)
    return out


# ----------------------------------------------------------------------------- Section 5.1 / 5.2
def single_path(mdp: MDP, pi_old, n_episodes: int, horizon: int, rng=None) -> SurrogateSamples:
    """Single-path samples of [TRPO] Section 5.1: ``Qhat(s_t, a_t)`` = discounted return-to-go.

    ``n_episodes`` trajectories of ``pi_old`` of length ``horizon`` (``s_0 ~ rho0``); each ``(s_t, a_t)``
    with ``t < H`` is a sample with weight ``gamma^t`` and ``q = pi_old``. Then
    ``E[(1/N) sum_{i,t} gamma^t pi_theta(a_t|s_t)/pi_old(a_t|s_t) G_t] = sum_s rho_old(s) sum_a
    pi_theta(a|s) Q_old(s, a)`` up to truncation (Eq. (14) with ``rho`` made explicit by ``gamma^t``).
    Budget: ``N H`` environment steps.
    """
    mdp = check_mdp(mdp)
    S, A = mdp.shape
    pi_old = as_policy(pi_old, S, A, name="pi_old")
    traj = sample_trajectories(mdp, pi_old, n_episodes, horizon, rng=rng)
    N, H = traj.states.shape
    G = traj.returns_to_go()  # Section 5.1: Qhat = discounted return-to-go
    w = np.broadcast_to(traj.discounts(), (N, H))  # gamma^t: rho-weighting
    s, a = traj.states.ravel(), traj.actions.ravel()
    return SurrogateSamples(
        states=readonly(s.copy()), actions=readonly(a.copy()), q_hat=readonly(G.ravel().copy()),
        q_prob=readonly(pi_old[s, a]), weights=readonly(w.ravel().copy()),
        group=readonly(np.repeat(np.arange(N), H)), n_groups=N, steps=N * H, kind="single_path",
        n_states=S, n_actions=A,
    )


def _transition_tables(mdp: MDP):
    S, A = mdp.shape
    if mdp.is_sparse:
        P = mdp.P
        return row_cumsum_csr(P), P.indptr[:-1].astype(np.int64), np.diff(P.indptr).astype(np.int64), P.indices
    cum = np.cumsum(mdp.P, axis=2).ravel()
    return cum, np.arange(S * A, dtype=np.int64) * S, np.full(S * A, S, dtype=np.int64), None


def _rollouts(mdp: MDP, pi, s0, a0, U, tables) -> np.ndarray:
    """Discounted returns of rollouts starting with ``(s0, a0)`` then following ``pi`` for ``H - 1``
    steps, driven by the given uniforms ``U`` of shape (M, H, 2) (``[h, 0]`` action, ``[h, 1]`` next
    state; ``U[:, 0, 0]`` is unused since ``a_0`` is given)."""
    A = mdp.n_actions
    cum_P, seg_lo, seg_w, next_of = tables
    cum_pi = np.cumsum(pi, axis=1).ravel()
    M, H = U.shape[0], U.shape[1]
    s, a = s0.astype(np.int64), a0.astype(np.int64)
    ret = np.zeros(M)
    width_A = np.full(M, A, dtype=np.int64)
    for h in range(H):
        if h > 0:
            a = first_above(cum_pi, s * A, width_A, U[:, h, 0]) - s * A
        ret += mdp.gamma**h * mdp.R[s, a]
        if h < H - 1:
            row = s * A + a
            k = first_above(cum_P, seg_lo[row], seg_w[row], U[:, h, 1])
            s = next_of[k].astype(np.int64) if next_of is not None else k - seg_lo[row]
    return ret


def vine(
    mdp: MDP,
    pi_old,
    n_states: int | None = None,
    rollout_horizon: int = 50,
    rng=None,
    *,
    n_actions: int | None = None,
    q=None,
    states=None,
    common_random_numbers: bool = True,
) -> SurrogateSamples:
    """Vine samples of [TRPO] Section 5.2.

    1. Rollout set: ``n_states`` states ``s_n ~ d_old``, each the state at a geometric time
       ``P(t) = (1 - gamma) gamma^t`` of an independent ``pi_old`` trajectory (exact sampling from the
       normalized visitation; costs ``t_n + 1`` steps each). Or pass ``states`` directly.
    2. At each ``s_n``, ``K`` actions: all ``A`` actions (``n_actions=None``; then ``q = 1/A``) or
       ``n_actions`` draws from ``q(.|s_n)`` (default ``q = pi_old``).
    3. One rollout per action: ``r(s_n, a_k)``, then ``pi_old`` for ``rollout_horizon - 1`` more steps;
       ``Qhat(s_n, a_k) = sum_{h<H} gamma^h r_h``. With ``common_random_numbers`` the K rollouts of a
       state share every uniform draw (first transition and continuation), as in [TRPO].

    Each sample gets weight ``1 / ((1 - gamma) K)``, so ``(1/n) sum_j w_j pi_theta/q Qhat_j`` estimates
    ``M(theta) = sum_s rho_old(s) sum_a pi_theta(a|s) Q_old(s, a)`` (module docstring), like
    :func:`single_path`. Budget: trunk steps ``sum_n (t_n + 1)`` plus ``n K H`` rollout steps.
    """
    mdp = check_mdp(mdp)
    S, A = mdp.shape
    pi_old = as_policy(pi_old, S, A, name="pi_old")
    H = _pos_int(rollout_horizon, "rollout_horizon")
    rng = np.random.default_rng(rng)
    gamma = mdp.gamma
    steps = 0
    if states is None:
        n = _pos_int(n_states, "n_states")
        t = rng.geometric(1.0 - gamma, size=n) - 1 if gamma > 0 else np.zeros(n, dtype=np.int64)
        trunk = sample_trajectories(mdp, pi_old, n, int(t.max()) + 1, rng=rng)
        s_roll = trunk.states[np.arange(n), t]
        steps += int(np.sum(t + 1))
    else:
        s_roll = np.asarray(states)
        if not np.issubdtype(s_roll.dtype, np.integer) or s_roll.ndim != 1 or s_roll.size == 0:
            raise ValueError(f"states must be a non-empty 1-D integer array, got {states!r}")
        if np.any((s_roll < 0) | (s_roll >= S)):
            raise ValueError(f"states must lie in [0, {S}), got range [{s_roll.min()}, {s_roll.max()}]")
        if n_states is not None and n_states != s_roll.size:
            raise ValueError(f"n_states = {n_states} disagrees with len(states) = {s_roll.size}")
        n = s_roll.size
    if n_actions is None:
        if q is not None:
            raise ValueError("q is only used when n_actions is given (actions sampled from q)")
        K = A
        acts = np.broadcast_to(np.arange(A), (n, A))
        q_prob = np.full((n, A), 1.0 / A)
    else:
        K = _pos_int(n_actions, "n_actions")
        q = pi_old if q is None else as_policy(q, S, A, name="q")
        cum_q = np.cumsum(q, axis=1).ravel()
        srep = np.repeat(s_roll, K)
        acts = (first_above(cum_q, srep * A, np.full(n * K, A, np.int64), rng.random(n * K)) - srep * A)
        acts = acts.reshape(n, K)
        q_prob = q[s_roll[:, None], acts]
    if check_bool(common_random_numbers, "common_random_numbers"):
        U = np.repeat(rng.random((n, 1, H, 2)), K, axis=1)  # the K rollouts share every draw
    else:
        U = rng.random((n, K, H, 2))
    s0 = np.repeat(s_roll, K)
    Qhat = _rollouts(mdp, pi_old, s0, acts.ravel(), U.reshape(n * K, H, 2), _transition_tables(mdp))
    steps += n * K * H
    w = np.full(n * K, 1.0 / ((1.0 - gamma) * K))  # s ~ d = (1-gamma) rho
    return SurrogateSamples(
        states=readonly(s0), actions=readonly(np.ascontiguousarray(acts).ravel().astype(np.int64)),
        q_hat=readonly(Qhat), q_prob=readonly(np.ascontiguousarray(q_prob).ravel()), weights=readonly(w),
        group=readonly(np.repeat(np.arange(n), K)), n_groups=n, steps=steps, kind="vine",
        n_states=mdp.n_states, n_actions=mdp.n_actions,
    )


def surrogate_estimate(samples: SurrogateSamples, theta) -> SurrogateEstimate:
    """The importance-sampled surrogate of Eq. (14) of [TRPO] and its gradient at ``theta``::

        Lhat(theta) = (1/n) sum_j w_j pi_theta(a_j|s_j) / q(a_j|s_j) Qhat_j
        d Lhat / d theta[s, b] = (1/n) sum_{j: s_j = s} w_j Qhat_j / q_j pi_theta(a_j|s) (1[a_j = b] - pi_theta(b|s))

    ``Lhat`` is unbiased for ``M(theta)`` (:func:`surrogate_target`), i.e. for
    ``L_{pi_old}(pi_theta) - surrogate_offset``; its gradient is unbiased for ``grad L`` (Eq. (3)).
    """
    if not isinstance(samples, SurrogateSamples):
        raise TypeError(f"samples must be a SurrogateSamples, got {type(samples).__name__}")
    theta = _theta(theta, "theta")
    S = theta.shape[0]
    if samples.states.size and samples.states.max() >= S:
        raise ValueError(f"samples visit state {int(samples.states.max())} but theta has only {S} states")
    pi = softmax(theta)
    n = samples.n_groups
    ratio = pi[samples.states, samples.actions] / samples.q_prob
    c = samples.weights * ratio * samples.q_hat  # Eq. (14)
    per_group = np.bincount(samples.group, weights=c, minlength=n)
    per_group_grad = score_sums(theta, samples.states, samples.actions, c, n_groups=n, group=samples.group)
    se = per_group.std(ddof=1) / np.sqrt(n) if n > 1 else np.inf
    gse = per_group_grad.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.full(theta.shape, np.inf)
    return SurrogateEstimate(
        value=float(per_group.mean()), stderr=float(se), grad=per_group_grad.mean(axis=0), grad_stderr=gse,
        per_group=per_group, per_group_grad=per_group_grad,
    )


def surrogate_target(mdp: MDP, pi_old, pi_theta, ev_old: Evaluation | None = None) -> float:
    """The exact expectation of the Eq. (14) estimators: ``M = sum_s rho_old(s) sum_a pi_theta(a|s) Q_old(s, a)``.

    Equivalently ``(1/(1-gamma)) E_{s~d_old}[sum_a pi_theta Q_old]`` and ``L_{pi_old}(pi_theta) -
    surrogate_offset`` (module docstring; Eq. (3) with ``Q = A + V``).
    """
    mdp = check_mdp(mdp)
    S, A = mdp.shape
    pi_old = as_policy(pi_old, S, A, name="pi_old")
    pi_theta = as_policy(pi_theta, S, A, name="pi_theta")
    ev = resolve_evaluation(mdp, pi_old, ev_old, "ev_old")
    return float(ev.rho @ np.einsum("sa,sa->s", pi_theta, ev.Q))


def surrogate_offset(mdp: MDP, pi_old, ev_old: Evaluation | None = None) -> float:
    """``L_{pi_old}(pi_theta) - M(theta) = eta_old - rho_old . V_old`` (independent of ``theta``)."""
    mdp = check_mdp(mdp)
    S, A = mdp.shape
    pi_old = as_policy(pi_old, S, A, name="pi_old")
    ev = resolve_evaluation(mdp, pi_old, ev_old, "ev_old")
    return float(ev.eta - ev.rho @ ev.V)


# ----------------------------------------------------------------------------- policy gradients
def _loo_mean(x: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Leave-one-out mean along axis 0: ``(sum_j x_j - x_i) / (N - 1)``."""
    N = x.shape[0]
    if N < 2:
        raise ValueError("data-dependent baselines need at least 2 episodes (leave-one-out)")
    return (x.sum(axis=0, keepdims=True) - x) / (N - 1)


def _loo_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Leave-one-out ratio ``(sum_{j != i} num_j) / (sum_{j != i} den_j)`` along axis 0 (0 where den = 0)."""
    if num.shape[0] < 2:
        raise ValueError("data-dependent baselines need at least 2 episodes (leave-one-out)")
    n = num.sum(axis=0, keepdims=True) - num
    d = den.sum(axis=0, keepdims=True) - den
    tiny = 1e-300
    return np.where(d > tiny, n / np.where(d > tiny, d, 1.0), 0.0)


def _optimal_baseline(X: np.ndarray, h: np.ndarray, scalar: bool) -> np.ndarray:
    """Variance-minimizing constant baseline for ``X - b h`` (per episode), leave-one-out.

    Per coordinate ``k``: ``b_k = E[X_k h_k] / E[h_k^2]`` (returns (N, S, A)); scalar: ``b = E[X . h] /
    E[|h|^2]`` (returns (N, 1, 1)). For REINFORCE ``X = h R`` this is the seed notes'
    ``E[g^2 R] / E[g^2]``.
    """
    if scalar:
        num = np.einsum("nsa,nsa->n", X, h)
        den = np.einsum("nsa,nsa->n", h, h)
        return _loo_ratio(num, den)[:, None, None]
    return _loo_ratio(X * h, h * h)


def pg_reinforce(traj: Trajectories, theta, baseline=None) -> GradientEstimate:
    """REINFORCE with the full discounted return (seed notes 003; Williams 1992)::

        g_i = (sum_{t<H} grad log pi_theta(a_t|s_t)) (sum_{t<H} gamma^t r_t - b)

    unbiased for ``grad eta(pi_theta)`` (of the H-truncated return) for any action-independent ``b``.
    ``baseline``: None (b = 0), a float, ``"constant"`` (leave-one-out mean return), ``"optimal"``
    (per-coordinate ``E[h_k^2 R] / E[h_k^2]``, ``h = sum_t score_t``) or ``"optimal_scalar"``
    (``E[|h|^2 R] / E[|h|^2]``); the last three leave-one-out. ``traj`` must be sampled from
    ``softmax(theta)``.
    """
    theta = _theta(theta, "theta")
    _check_traj(traj, theta.shape[0])
    N, H = traj.states.shape
    h = score_sums(theta, traj.states, traj.actions, np.ones((N, H)))
    R = traj.discounted_returns()
    X = h * R[:, None, None]
    if baseline is None:
        return GradientEstimate(grad=X.mean(axis=0), per_episode=X)
    if isinstance(baseline, numbers.Real) and not isinstance(baseline, bool):
        b = np.full((N, 1, 1), float(baseline))
    elif baseline == "constant":
        b = _loo_mean(R)[:, None, None]
    elif baseline in ("optimal", "optimal_scalar"):
        b = _optimal_baseline(X, h, baseline == "optimal_scalar")
    else:
        raise ValueError(f"baseline must be None, a number or one of {_BASELINES_REINFORCE[1:]}, got {baseline!r}")
    g = X - b * h
    return GradientEstimate(grad=g.mean(axis=0), per_episode=g)


def pg_from_advantages(traj: Trajectories, theta, psi, discount_states: bool = True) -> GradientEstimate:
    """``g_i = sum_t gamma^t grad log pi_theta(a_t|s_t) psi_t`` for given per-step weights ``psi`` (N, H).

    With ``discount_states=False`` the ``gamma^t`` factor is dropped (common practice; a biased
    estimate of ``grad eta`` since states are then weighted by the undiscounted visitation).
    """
    theta = _theta(theta, "theta")
    _check_traj(traj, theta.shape[0])
    psi = as_float_array(psi, "psi", ndim=2)
    if psi.shape != traj.states.shape:
        raise ValueError(f"psi must have shape {traj.states.shape} (N, H), got {psi.shape}")
    coef = psi * traj.discounts()[None, :] if check_bool(discount_states, "discount_states") else psi
    g = score_sums(theta, traj.states, traj.actions, coef)
    return GradientEstimate(grad=g.mean(axis=0), per_episode=g)


def pg_reward_to_go(traj: Trajectories, theta, baseline=None, V=None, discount_states: bool = True) -> GradientEstimate:
    """Reward-to-go (causality) estimator ``g_i = sum_t gamma^t score_t (G_t - b_t)``, ``G_t`` the
    discounted return-to-go (seed notes 003). Unbiased for ``grad eta`` for every baseline offered:

    * None; a float ``b``;
    * ``"constant"``: leave-one-out ``gamma^t``-weighted mean of ``G_t`` over the other episodes;
    * ``"optimal"`` / ``"optimal_scalar"``: variance-minimizing constant for ``X - b h`` with
      ``X = sum_t gamma^t score_t G_t``, ``h = sum_t gamma^t score_t`` (per coordinate
      ``E[X_k h_k]/E[h_k^2]``, or scalar ``E[X.h]/E[|h|^2]``), leave-one-out;
    * ``"time"``: ``b_t`` = leave-one-out mean of ``G_t`` at the same ``t``;
    * ``"state"``: ``b(s_t) = V[s_t]`` for a given ``V`` (e.g. exact ``V_pi``; any ``V`` is unbiased).
    """
    theta = _theta(theta, "theta")
    S = theta.shape[0]
    _check_traj(traj, S)
    discount_states = check_bool(discount_states, "discount_states")
    N, H = traj.states.shape
    G = traj.returns_to_go()
    if baseline not in _BASELINES_RTG and not (isinstance(baseline, numbers.Real) and not isinstance(baseline, bool)):
        raise ValueError(f"baseline must be None, a number or one of {_BASELINES_RTG[1:]}, got {baseline!r}")
    if V is not None and baseline != "state":
        raise ValueError("V is only used with baseline='state'")
    if baseline is None:
        psi = G
    elif isinstance(baseline, numbers.Real) and not isinstance(baseline, str):
        psi = G - float(baseline)
    elif baseline == "constant":
        disc = traj.discounts()
        per = (G @ disc) / disc.sum()
        psi = G - _loo_mean(per)[:, None]
    elif baseline == "time":
        psi = G - _loo_mean(G)
    elif baseline == "state":
        if V is None:
            raise ValueError("baseline='state' needs V (shape (S,))")
        psi = G - _values(V, S)[traj.states]
    else:  # optimal
        disc = traj.discounts()[None, :] if discount_states else np.ones((1, H))
        X = score_sums(theta, traj.states, traj.actions, G * disc)
        h = score_sums(theta, traj.states, traj.actions, np.broadcast_to(disc, (N, H)))
        g = X - _optimal_baseline(X, h, baseline == "optimal_scalar") * h
        return GradientEstimate(grad=g.mean(axis=0), per_episode=g)
    return pg_from_advantages(traj, theta, psi, discount_states=discount_states)


def gae_advantages(traj: Trajectories, V, lam: float) -> np.ndarray:
    """GAE(gamma, lambda) advantages ``Ahat_t = sum_{l >= 0} (gamma lambda)^l delta_{t+l}`` with
    ``delta_t = r_t + gamma V(s_{t+1}) - V(s_t)`` (Schulman et al. 2016, Eq. (16)), truncated at the
    episode end with ``V(s_H) := 0``; shape (N, H). ``lambda = 1`` gives ``G_t - V(s_t)``;
    ``lambda = 0`` the one-step TD error.
    """
    lam = check_unit_interval(lam, "lam")
    v = as_float_array(V, "V", ndim=1)
    _check_traj(traj, v.shape[0], "V")
    N, H = traj.states.shape
    Vs = v[traj.states]
    Vnext = np.zeros_like(Vs)
    Vnext[:, :-1] = Vs[:, 1:]  # V(s_H) := 0
    delta = traj.rewards + traj.gamma * Vnext - Vs  # TD residual
    out = np.empty_like(delta)
    acc = np.zeros(N)
    for t in range(H - 1, -1, -1):
        acc = delta[:, t] + traj.gamma * lam * acc  # GAE recursion
        out[:, t] = acc
    return out


def k_step_advantages(traj: Trajectories, V, k: int) -> np.ndarray:
    """k-step (A3C-style) advantages ``Ahat_t = sum_{l<k} gamma^l r_{t+l} + gamma^k V(s_{t+k}) - V(s_t)``
    (``= sum_{l<k} gamma^l delta_{t+l}``), truncated at the episode end with ``V(s_H) := 0``; (N, H)."""
    k = _pos_int(k, "k")
    v = as_float_array(V, "V", ndim=1)
    _check_traj(traj, v.shape[0], "V")
    H = traj.states.shape[1]
    g = traj.gamma
    Vs = v[traj.states]
    out = -Vs.copy()
    for l in range(k):
        out[:, : max(H - l, 0)] += g**l * traj.rewards[:, l:]
    if k < H:
        out[:, : H - k] += g**k * Vs[:, k:]
    return out


def _expected_adv_gradient(ev: Evaluation, pi: np.ndarray, Atilde: np.ndarray) -> np.ndarray:
    """``sum_s rho(s) sum_a pi (e_a - pi) Atilde(s, a)`` = ``rho pi (Atilde - pi . Atilde)``."""
    return ev.rho[:, None] * pi * (Atilde - np.einsum("sa,sa->s", pi, Atilde)[:, None])


def _value_error(mdp: MDP, theta, V_hat, ev):
    """``pi = softmax(theta)``, its evaluation, the value error ``e = V_hat - V_pi`` and dense ``P_pi``."""
    pi = softmax(_theta(theta, "theta", mdp.shape))
    ev = resolve_evaluation(mdp, pi, ev, "ev")
    e = _values(V_hat, mdp.n_states, "V_hat") - ev.V
    P_pi = policy_transition(mdp, pi)
    return pi, ev, e, (P_pi.toarray() if hasattr(P_pi, "toarray") else P_pi)


def _lookahead(mdp: MDP, y: np.ndarray) -> np.ndarray:
    """``[P y](s, a) = sum_t P[s, a, t] y(t)``, shape (S, A), without densifying a sparse ``P``."""
    return (mdp.P_flat @ y).reshape(mdp.shape)


def gae_expected_gradient(mdp: MDP, theta, V_hat, lam: float, ev: Evaluation | None = None) -> np.ndarray:
    """Exact expectation (infinite horizon) of ``sum_t gamma^t score_t Ahat_t^{GAE}`` with value ``V_hat``.

    With ``e = V_hat - V_pi``, ``E[delta_{t+l} | s_t, a_t]`` telescopes and
    ``E[Ahat_t | s, a] = A_pi(s, a) - e(s) + (1 - lambda) gamma [P (I - gamma lambda P_pi)^{-1} e](s, a)``,
    so the expected gradient is ``rho pi (Atilde - pi.Atilde)`` with ``Atilde`` that expectation (the
    ``-e(s)`` term cancels). The bias is ``(1 - lambda)`` times a fixed term: zero at ``lambda = 1`` or
    ``e = 0``.
    """
    mdp = check_mdp(mdp)
    lam = check_unit_interval(lam, "lam")
    pi, ev, e, P_pi = _value_error(mdp, theta, V_hat, ev)
    y = np.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * lam * P_pi, e)
    B = (1.0 - lam) * mdp.gamma * _lookahead(mdp, y)  # (S, A)
    return _expected_adv_gradient(ev, pi, ev.A + B)


def k_step_expected_gradient(mdp: MDP, theta, V_hat, k: int, ev: Evaluation | None = None) -> np.ndarray:
    """Exact expectation of the k-step estimator: ``E[Ahat^(k)_t | s, a] = A_pi(s, a) - e(s) +
    gamma^k [P P_pi^{k-1} e](s, a)`` with ``e = V_hat - V_pi`` (telescoping ``sum_{l<k} gamma^l delta``)."""
    mdp = check_mdp(mdp)
    k = _pos_int(k, "k")
    pi, ev, e, P_pi = _value_error(mdp, theta, V_hat, ev)
    y = e
    for _ in range(k - 1):
        y = P_pi @ y
    B = mdp.gamma**k * _lookahead(mdp, y)
    return _expected_adv_gradient(ev, pi, ev.A + B)


# ----------------------------------------------------------------------------- PPO
def ppo_objectives(theta, theta_old, states, actions, advantages, eps: float = 0.2, weights=None) -> PPOEstimate:
    """PPO's clipped objective and the plain importance-sampled one (Schulman et al. 2017, Eq. (6), (7))::

        L^IS(theta)   = mean_j w_j r_j A_j,            r_j = pi_theta(a_j|s_j) / pi_old(a_j|s_j)
        L^CLIP(theta) = mean_j w_j min(r_j A_j, clip(r_j, 1 - eps, 1 + eps) A_j)

    Gradients: ``d r_j / d theta[s_j, :] = r_j (e_{a_j} - pi_theta(.|s_j))``. Sample ``j`` contributes
    ``w_j A_j grad r_j`` to ``grad L^CLIP`` unless its clipped term is strictly smaller (``A_j > 0`` and
    ``r_j > 1 + eps``, or ``A_j < 0`` and ``r_j < 1 - eps``: the direction that would push ``r`` further
    out), where it contributes zero. ``L^CLIP <= L^IS`` always; they and their gradients agree at
    ``theta = theta_old``. ``weights`` default 1 (pass ``gamma^t`` for the rho-weighted form).
    """
    theta = _theta(theta, "theta")
    theta_old = _theta(theta_old, "theta_old", theta.shape)
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not (0.0 < float(eps) < 1.0):
        raise ValueError(f"eps must be a real number in (0, 1), got {eps!r}")
    eps = float(eps)
    S, A = theta.shape
    s = as_index_array(states, "states", S).ravel()
    a = as_index_array(actions, "actions", A).ravel()
    adv = as_float_array(advantages, "advantages").ravel()
    if not (s.shape == a.shape == adv.shape) or s.size == 0:
        raise ValueError(f"states, actions, advantages must be non-empty and equal-sized, got {s.size}, {a.size}, {adv.size}")
    w = np.ones(s.size) if weights is None else as_float_array(weights, "weights").ravel()
    if w.shape != s.shape:
        raise ValueError(f"weights must have {s.size} entries, got {w.size}")
    pi = softmax(theta)
    pi_old = softmax(theta_old)
    r = pi[s, a] / pi_old[s, a]
    unclipped = r * adv
    clipped_term = np.clip(r, 1.0 - eps, 1.0 + eps) * adv
    is_clipped = clipped_term < unclipped  # min picks the clipped (constant) term: zero gradient
    M = s.size
    l_is = float(np.mean(w * unclipped))
    l_clip = float(np.mean(w * np.minimum(unclipped, clipped_term)))
    coef_is = w * adv * r / M
    coef_clip = np.where(is_clipped, 0.0, coef_is)
    grp = np.zeros(M, dtype=np.int64)
    grad_is = score_sums(theta, s, a, coef_is, n_groups=1, group=grp)[0]
    grad_clip = score_sums(theta, s, a, coef_clip, n_groups=1, group=grp)[0]
    return PPOEstimate(l_clip=l_clip, l_is=l_is, grad_clip=grad_clip, grad_is=grad_is, ratio=r, clipped=is_clipped)

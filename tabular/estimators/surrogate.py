"""Section 5.1-5.2 of [TRPO]: single-path and vine samples, the importance-sampled surrogate of Eq. (14), its target and offset, and the score sums."""

from __future__ import annotations


import numpy as np

from ..validation import (
    as_rng,
    as_float_array,
    as_index_array,
    as_policy,
    check_alloc,
    check_bool,
    check_mdp,
    readonly,
)
from ..evaluation import Evaluation, resolve_evaluation
from ..mdp import MDP
from ..policies import softmax
from ..sampling import check_sample_size, first_above, row_cumsum_csr, sample_trajectories
from .checks import check_samples, pos_int, theta_of
from .results import SurrogateEstimate, SurrogateSamples

__all__ = ['single_path', 'vine', 'surrogate_estimate', 'surrogate_target', 'surrogate_offset', 'score_sums']


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

    Examples
    --------
    For softmax the score of ``(s, a)`` is ``e_{s,a} - pi(.|s)`` on row ``s``:

    >>> import numpy as np
    >>> from tabular.estimators import score_sums
    >>> out = score_sums(np.zeros((2, 2)), states=[[0, 1]], actions=[[1, 0]], coef=[[1.0, 1.0]])
    >>> print(out.shape, out[0].tolist())  # one episode: (e_{0,1} - 1/2) + (e_{1,0} - 1/2)
    (1, 2, 2) [[-0.5, 0.5], [0.5, -0.5]]
    """
    theta = theta_of(theta, "theta")
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
        n = pos_int(n_groups, "n_groups")
        check_alloc(8.0 * 2 * n * S * A, "n_groups", n_groups, "the per-group (n_groups, S, A) score sums")
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

    Examples
    --------
    The estimate of Eq. (14) agrees with the exact target within its standard error (horizon 132:
    ``gamma^H < 1e-6``):

    >>> import numpy as np
    >>> from tabular import softmax, two_state
    >>> from tabular.estimators import single_path, surrogate_estimate, surrogate_target
    >>> mdp, theta_old = two_state(0.9), np.array([[0.0, 0.5], [0.0, 0.0]])
    >>> theta = theta_old + np.array([[0.3, -0.2], [0.0, 0.0]])
    >>> samples = single_path(mdp, softmax(theta_old), n_episodes=1000, horizon=132, rng=0)
    >>> est = surrogate_estimate(samples, theta)
    >>> exact = surrogate_target(mdp, softmax(theta_old), softmax(theta))
    >>> print(f"exact {exact:.2f}", abs(est.value - exact) < 3 * est.stderr)
    exact -93.39 True
    """
    mdp = check_mdp(mdp)
    S, A = mdp.shape
    pi_old = as_policy(pi_old, S, A, name="pi_old")
    check_sample_size(pos_int(n_episodes, "n_episodes"), pos_int(horizon, "horizon"), copies=3)  # + 5 (N H,) arrays
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

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import softmax, two_state
    >>> from tabular.estimators import surrogate_estimate, surrogate_target, vine
    >>> mdp, theta_old = two_state(0.9), np.array([[0.0, 0.5], [0.0, 0.0]])
    >>> theta = theta_old + np.array([[0.3, -0.2], [0.0, 0.0]])
    >>> samples = vine(mdp, softmax(theta_old), n_states=200, rollout_horizon=132, rng=0)
    >>> samples.kind, samples.n_groups
    ('vine', 200)
    >>> est = surrogate_estimate(samples, theta)
    >>> bool(abs(est.value - surrogate_target(mdp, softmax(theta_old), softmax(theta))) < 3 * est.stderr)
    True
    """
    mdp = check_mdp(mdp)
    S, A = mdp.shape
    pi_old = as_policy(pi_old, S, A, name="pi_old")
    H = pos_int(rollout_horizon, "rollout_horizon")
    check_alloc(8.0 * 2 * A * H, "rollout_horizon", rollout_horizon, "the uniforms of one rollout state")
    rng = as_rng(rng)
    gamma = mdp.gamma
    steps = 0
    if states is None:
        n = pos_int(n_states, "n_states")
        check_alloc(8.0 * n * (2 + H * 2 * (A if n_actions is None else 1)), "n_states", n,
                    "the rollout states and their uniforms")
        t = rng.geometric(1.0 - gamma, size=n) - 1 if gamma > 0 else np.zeros(n, dtype=np.int64)
        check_alloc(24.0 * n * (int(t.max()) + 1), "n_states", n,
                    f"the trunk of {n:,} trajectories up to the geometric time {int(t.max()):,} (gamma = {gamma})")
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
        K = pos_int(n_actions, "n_actions")
        check_alloc(8.0 * n * K * (H * 2 + 8), "n_actions", n_actions, f"{n:,} x {K:,} rollouts of {H:,} steps")
        q = pi_old if q is None else as_policy(q, S, A, name="q")
        cum_q = np.cumsum(q, axis=1).ravel()
        srep = np.repeat(s_roll, K)
        acts = (first_above(cum_q, srep * A, np.full(n * K, A, np.int64), rng.random(n * K)) - srep * A)
        acts = acts.reshape(n, K)
        q_prob = q[s_roll[:, None], acts]
    check_alloc(8.0 * n * K * (H * 2 + 8), "rollout_horizon", rollout_horizon, f"{n:,} x {K:,} rollouts of {H:,} steps")
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

    Examples
    --------
    At ``theta = theta_old`` the estimated gradient is a policy-gradient estimate (Eq. (4) of [TRPO]):

    >>> import numpy as np
    >>> from tabular import softmax, two_state
    >>> from tabular.estimators import single_path, surrogate_estimate
    >>> from tabular.gradients import softmax_policy_gradient
    >>> mdp, theta_old = two_state(0.9), np.array([[0.0, 0.5], [0.0, 0.0]])
    >>> est = surrogate_estimate(single_path(mdp, softmax(theta_old), 1000, 132, rng=0), theta_old)
    >>> exact = softmax_policy_gradient(mdp, theta_old)
    >>> bool(np.all(np.abs(est.grad - exact) <= 3 * est.grad_stderr + 1e-12))
    True
    """
    if not isinstance(samples, SurrogateSamples):
        raise TypeError(f"samples must be a SurrogateSamples, got {type(samples).__name__}")
    theta = theta_of(theta, "theta")
    S = theta.shape[0]
    check_samples(samples, *theta.shape)
    if samples.states.size and samples.states.max() >= S:
        raise ValueError(f"samples visit state {int(samples.states.max())} but theta has only {S} states")
    check_alloc(8.0 * 2 * samples.n_groups * theta.size, "samples", samples, "the per-group (n, S, A) gradients")
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

    Examples
    --------
    ``L_{pi_old}(pi) = M + surrogate_offset``, the surrogate of Eq. (3):

    >>> import numpy as np
    >>> from tabular import softmax, surrogate, two_state
    >>> from tabular.estimators import surrogate_offset, surrogate_target
    >>> mdp = two_state(0.9)
    >>> pi_old, pi = softmax([[0.0, 0.5], [0.0, 0.0]]), softmax([[0.3, 0.3], [0.0, 0.0]])
    >>> M = surrogate_target(mdp, pi_old, pi)
    >>> bool(np.isclose(M + surrogate_offset(mdp, pi_old), surrogate(mdp, pi_old, pi)))
    True
    """
    mdp = check_mdp(mdp)
    S, A = mdp.shape
    pi_old = as_policy(pi_old, S, A, name="pi_old")
    pi_theta = as_policy(pi_theta, S, A, name="pi_theta")
    ev = resolve_evaluation(mdp, pi_old, ev_old, "ev_old")
    return float(ev.rho @ np.einsum("sa,sa->s", pi_theta, ev.Q))


def surrogate_offset(mdp: MDP, pi_old, ev_old: Evaluation | None = None) -> float:
    """``L_{pi_old}(pi_theta) - M(theta) = eta_old - rho_old . V_old`` (independent of ``theta``).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import evaluate, softmax, two_state
    >>> from tabular.estimators import surrogate_offset
    >>> mdp, pi_old = two_state(0.9), softmax([[0.0, 0.5], [0.0, 0.0]])
    >>> ev = evaluate(mdp, pi_old)
    >>> bool(np.isclose(surrogate_offset(mdp, pi_old), ev.eta - ev.rho @ ev.V))  # eta_old - rho_old . V_old
    True
    """
    mdp = check_mdp(mdp)
    S, A = mdp.shape
    pi_old = as_policy(pi_old, S, A, name="pi_old")
    ev = resolve_evaluation(mdp, pi_old, ev_old, "ev_old")
    return float(ev.eta - ev.rho @ ev.V)

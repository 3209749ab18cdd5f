"""The coupling of the proof of Theorem 1 of [TRPO] (Appendix A), sampled.

Two policies are ``alpha``-coupled when a joint distribution of actions ``(a, a_new)`` with marginals
``pi(.|s)`` and ``pi_new(.|s)`` has ``P(a != a_new | s) <= alpha`` at every state (Definition 1 of
[TRPO]). The maximal coupling reaches ``P(a != a_new | s) = D_TV(pi(.|s), pi_new(.|s))``: with
probability ``1 - D_TV(s)`` both take a common action drawn from ``min(pi, pi_new) / (1 - D_TV(s))``,
otherwise each draws from its own residual ``(pi - min) / D_TV(s)``, ``(pi_new - min) / D_TV(s)``
(which never agree). Running both policies from the same start with the same next-state draw while
they agree gives two trajectories that are identical until the first disagreement (``n_t = 0`` in the
proof), and after it evolve independently. Lemma 3 bounds the effect of that divergence.

Reference: [TRPO] J. Schulman et al., Trust Region Policy Optimization, ICML 2015, Appendix A.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tabular.mdp import MDP
from tabular.policies import validate_policy
from tabular.validation import check_mdp

__all__ = ["CoupledRollouts", "coupled_rollouts", "no_divergence_probability"]


@dataclass(frozen=True, eq=False)
class CoupledRollouts:
    """Pairs of maximally coupled trajectories (:func:`coupled_rollouts`).

    Attributes
    ----------
    states_old, states_new : (n, horizon + 1) int arrays, ``s_t`` under ``pi`` and under ``pi_new``.
    diverged : (n, horizon + 1) bool array, ``diverged[:, t]``: the actions disagreed at some step
        ``< t`` (``n_t > 0`` in the proof of Lemma 3); ``diverged[:, 0]`` is all False.

    Examples
    --------
    >>> import tabular as T
    >>> from experiments.course import coupled_rollouts
    >>> mdp = T.garnet(4, 2, 2, rng=0, gamma=0.9)
    >>> roll = coupled_rollouts(mdp, T.uniform(mdp), T.uniform(mdp), 10, 5, rng=0)
    >>> roll.states_old.shape, bool(roll.diverged.any())
    ((10, 6), False)
    """

    states_old: np.ndarray
    states_new: np.ndarray
    diverged: np.ndarray


def _draw(probs: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One categorical draw per row of ``probs`` (rows sum to 1) from uniforms ``u``."""
    cum = np.cumsum(probs, axis=1)
    idx = (cum < (u * cum[:, -1])[:, None]).sum(axis=1)
    return np.minimum(idx, probs.shape[1] - 1)


def _coupled_actions(pi, pi_new, s, rng):
    """Actions of the maximal coupling at states ``s`` (agreed pairs) or independent draws (others)."""
    m = np.minimum(pi[s], pi_new[s])
    overlap = m.sum(axis=1)
    tv = np.maximum(1.0 - overlap, 1e-300)
    common = _draw(m / np.maximum(overlap, 1e-300)[:, None], rng.random(s.size))
    a_old = _draw(np.maximum(pi[s] - m, 0.0) / tv[:, None], rng.random(s.size))
    a_new = _draw(np.maximum(pi_new[s] - m, 0.0) / tv[:, None], rng.random(s.size))
    same = rng.random(s.size) < overlap
    return np.where(same, common, a_old), np.where(same, common, a_new), same


def coupled_rollouts(mdp: MDP, pi, pi_new, n: int, horizon: int, rng=None) -> CoupledRollouts:
    """Sample ``n`` pairs of maximally coupled trajectories of length ``horizon`` (Appendix A of [TRPO]).

    Both start from one draw of ``rho0``. While a pair agrees, its actions come from the maximal
    coupling (they differ with probability ``D_TV(pi(.|s), pi_new(.|s)) <= alpha``) and, when they
    agree, the next state is one draw for both; after the first disagreement the two trajectories
    are independent. Marginally ``states_old[:, t]`` follows ``rho0^T P_pi^t`` and ``states_new[:, t]``
    ``rho0^T P_{pi_new}^t``.

    Parameters
    ----------
    mdp : MDP. pi, pi_new : (S, A) policies.
    n : int >= 1, number of pairs. horizon : int >= 0, number of steps.
    rng : Generator, int or None.

    Returns
    -------
    CoupledRollouts

    Raises
    ------
    ValueError
        If ``n`` or ``horizon`` is not an integer in range, or a policy is not a policy of ``mdp``.

    Examples
    --------
    The fraction of pairs diverged by time ``t`` estimates :func:`no_divergence_probability`'s complement:

    >>> import tabular as T
    >>> from experiments.course import coupled_rollouts, no_divergence_probability
    >>> mdp = T.garnet(4, 2, 2, rng=0, gamma=0.9)
    >>> pi = T.uniform(mdp)
    >>> pi_new = T.mixture(pi, T.greedy(T.evaluate(mdp, pi).Q), 0.4)
    >>> roll = coupled_rollouts(mdp, pi, pi_new, 4000, 3, rng=1)
    >>> mc = roll.diverged[:, 3].mean()
    >>> exact = 1 - no_divergence_probability(mdp, pi, pi_new, 3)
    >>> bool(abs(mc - exact) < 4 * 0.5 / 4000 ** 0.5)
    True
    """
    mdp = check_mdp(mdp)
    S, A = mdp.shape
    pi, pi_new = validate_policy(pi, mdp, "pi"), validate_policy(pi_new, mdp, "pi_new")
    for name, v, lo in (("n", n, 1), ("horizon", horizon, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    rng = np.random.default_rng(rng)
    P = mdp.P.toarray().reshape(S, A, S) if mdp.is_sparse else np.asarray(mdp.P)
    so = np.empty((n, horizon + 1), dtype=np.int64)
    sn = np.empty_like(so)
    div = np.zeros((n, horizon + 1), dtype=bool)
    so[:, 0] = sn[:, 0] = _draw(np.broadcast_to(mdp.rho0, (n, S)), rng.random(n))
    for t in range(horizon):
        agreed = ~div[:, t]
        c_old, c_new, same = _coupled_actions(pi, pi_new, so[:, t], rng)
        i_old = _draw(pi[so[:, t]], rng.random(n))
        i_new = _draw(pi_new[sn[:, t]], rng.random(n))
        a_old = np.where(agreed, c_old, i_old)
        a_new = np.where(agreed, c_new, i_new)
        shared = agreed & same
        u_old = rng.random(n)
        u_new = np.where(shared, u_old, rng.random(n))
        so[:, t + 1] = _draw(P[so[:, t], a_old], u_old)
        sn[:, t + 1] = _draw(P[sn[:, t], a_new], u_new)
        div[:, t + 1] = div[:, t] | (agreed & ~same)
    return CoupledRollouts(states_old=so, states_new=sn, diverged=div)


def no_divergence_probability(mdp: MDP, pi, pi_new, t: int) -> float:
    """``P(n_t = 0)``: the probability that maximally coupled trajectories agree at steps ``0..t-1``.

    Exact: ``q_0 = rho0``, ``q_{k+1}(s') = sum_s q_k(s) sum_a min(pi, pi_new)(s, a) P(s, a, s')`` and
    ``P(n_t = 0) = sum_s q_t(s)``. The proof of Lemma 3 of [TRPO] uses ``P(n_t = 0) >= (1 - alpha)^t``
    with ``alpha = D_TV^max(pi, pi_new)``.

    Parameters
    ----------
    mdp : MDP. pi, pi_new : (S, A) policies. t : int >= 0.

    Returns
    -------
    float

    Examples
    --------
    >>> import tabular as T
    >>> from experiments.course import no_divergence_probability
    >>> mdp = T.garnet(4, 2, 2, rng=0, gamma=0.9)
    >>> pi, pi_new = T.random_policy(mdp, rng=1), T.random_policy(mdp, rng=2)
    >>> alpha = float(T.max_tv(pi, pi_new))
    >>> p = no_divergence_probability(mdp, pi, pi_new, 5)
    >>> bool(p >= (1 - alpha) ** 5 - 1e-12), round(no_divergence_probability(mdp, pi, pi, 5), 6)
    (True, 1.0)
    """
    mdp = check_mdp(mdp)
    S, A = mdp.shape
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:
        raise ValueError(f"t must be an integer >= 0, got {t!r}")
    P = mdp.P.toarray().reshape(S, A, S) if mdp.is_sparse else np.asarray(mdp.P)
    m = np.minimum(validate_policy(pi, mdp, "pi"), validate_policy(pi_new, mdp, "pi_new"))
    q = np.asarray(mdp.rho0, dtype=float)
    for _ in range(int(t)):
        q = np.einsum("s,sa,sat->t", q, m, P)
    return float(q.sum())

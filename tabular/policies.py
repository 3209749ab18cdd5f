"""Explicit stochastic policies ``pi[s, a] = pi(a|s)`` (THEORY.md §1).

Every function returns a float array of shape ``(S, A)`` whose rows lie on the simplex.
"""

from __future__ import annotations

import numbers

import numpy as np

from .mdp import MDP
from .validation import (
    as_float_array,
    as_policy,
    check_int,
    check_mdp,
    check_real,
    check_tolerance,
    check_unit_interval,
    describe,
)

__all__ = [
    "validate_policy",
    "uniform",
    "greedy",
    "deterministic",
    "random_policy",
    "mixture",
    "softmax",
    "log_softmax",
]


def _shape(mdp_or_S, A=None, func: str = "uniform") -> tuple[int, int]:
    """``(S, A)`` from an MDP, or from the integers ``S`` and ``A``."""
    if isinstance(mdp_or_S, MDP):
        if A is not None:
            raise TypeError(f"{func}(mdp) takes S and A from the MDP: A must not be given with an MDP, "
                            f"got A={A!r}; call {func}(mdp) or {func}(S, A)")
        return mdp_or_S.shape
    if A is None:
        raise TypeError(f"{func} needs an MDP, or the numbers of states and actions (S, A); got "
                        f"{describe(mdp_or_S)} and no A")
    if isinstance(mdp_or_S, bool) or not isinstance(mdp_or_S, numbers.Integral):
        raise TypeError(f"S (the first argument of {func}) must be a tabular.MDP or an integer, got "
                        f"{describe(mdp_or_S)}")
    S, A = check_int(mdp_or_S, "S"), check_int(A, "A")
    if S <= 0 or A <= 0:
        raise ValueError(f"S and A must be positive, got S={S}, A={A}")
    return S, A


def validate_policy(pi, mdp=None, name: str = "pi") -> np.ndarray:
    """Check that ``pi`` is a policy (of ``mdp``'s shape, if given) and return it as floats.

    Raises ``ValueError`` naming ``name`` if a row is not a probability distribution, an entry is
    negative or not finite, or the shape does not match the MDP.
    """
    if mdp is None:
        return as_policy(pi, name=name)
    mdp = check_mdp(mdp)
    return as_policy(pi, mdp.n_states, mdp.n_actions, name=name)


def uniform(mdp_or_S, A: int | None = None) -> np.ndarray:
    """The uniform policy ``pi(a|s) = 1/A``; call as ``uniform(mdp)`` or ``uniform(S, A)``."""
    S, A = _shape(mdp_or_S, A)
    return np.full((S, A), 1.0 / A)


def deterministic(actions, n_actions: int) -> np.ndarray:
    """One-hot policy choosing ``actions[s]`` in state ``s``."""
    n_actions = check_int(n_actions, "n_actions", lo=1)
    actions = np.asarray(actions)
    if actions.ndim != 1 or not np.issubdtype(actions.dtype, np.integer):
        raise ValueError(f"actions must be a 1-D integer array, got dtype {actions.dtype} shape {actions.shape}")
    if actions.size == 0:
        raise ValueError("actions is empty: a policy needs an action for at least one state")
    if np.any((actions < 0) | (actions >= n_actions)):
        raise ValueError(f"actions must lie in [0, {n_actions}), got range [{actions.min()}, {actions.max()}]")
    pi = np.zeros((actions.size, n_actions))
    pi[np.arange(actions.size), actions] = 1.0
    return pi


def greedy(Q, atol: float = 0.0) -> np.ndarray:
    """Deterministic greedy policy ``argmax_a Q[s, a]``.

    Ties are broken deterministically towards the lowest action index. With ``atol > 0``, every
    action within ``atol`` of the row maximum counts as tied.
    """
    Q = as_float_array(Q, "Q", ndim=2)
    atol = check_tolerance(atol, "atol")
    if Q.shape[0] == 0 or Q.shape[1] == 0:
        raise ValueError(f"Q has an empty state or action set (shape {Q.shape})")
    best = Q.max(axis=1, keepdims=True)
    # first index attaining the (tolerant) maximum
    actions = np.argmax(Q >= best - atol, axis=1)
    return deterministic(actions, Q.shape[1])


def random_policy(mdp_or_S, A: int | None = None, rng=None, concentration: float = 1.0) -> np.ndarray:
    """A random policy with rows drawn from ``Dirichlet(concentration * 1)``.

    Small concentrations give near-deterministic policies, large ones near-uniform policies.
    Rows are renormalized after drawing only to remove floating-point drift; rows that underflow
    to all zeros (tiny concentration) fall back to a random one-hot action.
    """
    S, A = _shape(mdp_or_S, A, "random_policy")
    concentration = check_real(concentration, "concentration", positive=True)
    rng = np.random.default_rng(rng)
    pi = rng.dirichlet(np.full(A, float(concentration)), size=S)
    bad = ~np.isfinite(pi).all(axis=1) | (pi.sum(axis=1) <= 0)
    if np.any(bad):
        pi[bad] = 0.0
        pi[bad, rng.integers(A, size=int(bad.sum()))] = 1.0
    return pi / pi.sum(axis=1, keepdims=True)


def mixture(pi, pi_prime, alpha: float) -> np.ndarray:
    """The conservative mixture ``(1 - alpha) pi + alpha pi'`` of Eq. (5) of [TRPO] / [KL02]."""
    pi = as_policy(pi, name="pi")
    pi_prime = as_policy(pi_prime, pi.shape[0], pi.shape[1], name="pi_prime")
    alpha = check_unit_interval(alpha, "alpha")
    return (1.0 - alpha) * pi + alpha * pi_prime  # Eq. (5)


def log_softmax(theta) -> np.ndarray:
    """Row-wise ``log softmax``, stable for large parameters."""
    theta = as_float_array(theta, "theta", ndim=2)
    z = theta - theta.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def softmax(theta) -> np.ndarray:
    """Tabular softmax policy ``pi(a|s) = exp(theta[s, a]) / sum_b exp(theta[s, b])``."""
    return np.exp(log_softmax(theta))

"""Explicit stochastic policies ``pi[s, a] = pi(a|s)`` (THEORY.md §1).

Every function returns a float array of shape ``(S, A)`` whose rows lie on the simplex.

Ties
----
Every discrete choice the package makes from floats (a greedy action, policy iteration's improvement,
the best action of a closed-form update, instance drawing) uses one rule, :func:`argmax_tol`:

    **the lowest index among the values within** ``atol + rtol * scale`` **of the maximum**,

with ``scale`` the largest ``|value|`` of the whole array (for a ``Q`` table: the value scale,
about ``max|R| / (1 - gamma)``), ``rtol =`` :data:`TIE_RTOL` ``= 1e-9`` and ``atol = 0`` by default.
The scale is that of the array, not of the row, because round-off in ``Q`` is proportional to the
value scale: a row whose values are all near 0 carries absolute errors of the size of the largest
values. The rule is scale-free (``argmax_tol(c * Q) == argmax_tol(Q)`` for ``c > 0``).

Why ``1e-9``: exact evaluation solves ``(I - gamma P_pi) V = r_pi``; a backward-stable solve has
relative error about ``kappa * eps`` with ``kappa <= (1 + gamma) / (1 - gamma)`` and
``eps = 2.2e-16``, i.e. ``< 1e-13`` of the value scale for ``gamma <= 0.995`` and ``< 1e-11`` for
``gamma <= 0.9999``. Two actions whose values differ by round-off only (walls, symmetric actions) are
therefore tied, whichever LAPACK kernel the CPU runs, with at least 100 times margin, while any
difference above ``1e-9`` of the value scale is real and decides. The price: an action worse by less
than ``1e-9 * scale`` may be chosen when its index is lower. A choice can still flip when a true
difference lands within round-off of the tolerance itself; that needs a coincidence of about
``1e-13`` relative, not a symmetry, and is not seen in practice.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

from .mdp import MDP
from .validation import (
    as_float_array,
    as_policy,
    check_real_dtype,
    check_int,
    check_mdp,
    check_real,
    check_tolerance,
    check_unit_interval,
    describe,
)

__all__ = [
    "TIE_RTOL",
    "tie_tolerance",
    "near_max",
    "argmax_tol",
    "validate_policy",
    "uniform",
    "greedy",
    "deterministic",
    "random_policy",
    "mixture",
    "softmax",
    "log_softmax",
]


#: Default relative tolerance of the tie rule (module docstring, "Ties"): values within
#: ``1e-9 * scale`` of the maximum are tied.
TIE_RTOL = 1e-9


def _tie_values(values, name: str) -> np.ndarray:
    """``values`` as floats (``-inf``/``+inf`` allowed, NaN refused)."""
    if sp.issparse(values):
        raise TypeError(f"{name} must be a dense array, got a scipy sparse matrix")
    try:
        raw = np.asarray(values)
    except ValueError:
        raise ValueError(f"{name} is ragged: expected a rectangular array of real numbers") from None
    check_real_dtype(raw, name)
    v = np.asarray(raw, dtype=np.float64)
    if v.ndim == 0 or v.size == 0:
        raise ValueError(f"{name} must be a non-empty array with at least one axis, got shape {v.shape}")
    if np.isnan(v).any():
        raise ValueError(f"{name} contains NaN at index {tuple(int(i) for i in np.argwhere(np.isnan(v))[0])}; "
                         "a tie rule needs comparable numbers")
    return v


def tie_tolerance(values, *, atol: float = 0.0, rtol: float = TIE_RTOL, scale=None):
    """The tolerance ``atol + rtol * scale`` of the tie rule (module docstring, "Ties").

    ``scale`` defaults to the largest finite ``|value|`` of the whole array (0 if there is none); pass
    a non-negative scalar, or an array broadcastable against ``values`` (e.g. one scale per instance
    of a stacked batch), to use another value scale.

    Examples
    --------
    >>> float(tie_tolerance([[1.0, -4.0], [2.0, 3.0]]))
    4e-09
    """
    v = _tie_values(values, "values")
    atol, rtol = check_tolerance(atol, "atol"), check_tolerance(rtol, "rtol")
    if scale is None:
        finite = np.abs(v[np.isfinite(v)])
        scale = float(finite.max()) if finite.size else 0.0
    else:
        scale = np.asarray(scale, dtype=np.float64)
        if not np.all(np.isfinite(scale)) or np.any(scale < 0):
            raise ValueError(f"scale must be finite and non-negative (a value scale), got {scale!r:.80}")
    return atol + rtol * scale


def near_max(values, axis: int = -1, *, atol: float = 0.0, rtol: float = TIE_RTOL, scale=None) -> np.ndarray:
    """Boolean mask of the entries tied with the maximum along ``axis``: ``value >= max - tol`` with
    ``tol =`` :func:`tie_tolerance` (module docstring, "Ties"). ``+inf`` ties only with ``+inf``.

    Examples
    --------
    >>> near_max([[1.0, 1.0 + 1e-15, 0.5], [0.0, 1.0, 1.0 - 1e-3]]).tolist()
    [[True, True, False], [False, True, False]]
    """
    v = _tie_values(values, "values")
    tol = tie_tolerance(v, atol=atol, rtol=rtol, scale=scale)
    best = v.max(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore"):  # -inf - 0 and +inf - tol are fine; inf - inf cannot occur
        return v >= best - tol


def argmax_tol(values, axis: int = -1, *, atol: float = 0.0, rtol: float = TIE_RTOL, scale=None) -> np.ndarray:
    """The tie rule: the lowest index among the values within ``atol + rtol * scale`` of the maximum
    along ``axis`` (module docstring, "Ties"; ``scale`` = the largest ``|value|`` of the array by
    default). Unlike ``np.argmax``, the answer does not move with the last bits of the values.

    Returns an integer array of ``values``' shape without ``axis`` (an ``int`` for a 1-D input).

    Examples
    --------
    >>> int(argmax_tol([3.0, 3.0 + 1e-14, 1.0]))  # np.argmax would say 1: a round-off difference
    0
    >>> int(argmax_tol([3.0, 3.0 + 1e-6, 1.0]))   # a real difference decides
    1
    >>> argmax_tol([[1.0, 2.0], [5.0, 5.0]]).tolist()
    [1, 0]
    """
    idx = np.argmax(near_max(values, axis, atol=atol, rtol=rtol, scale=scale), axis=axis)
    return int(idx) if np.ndim(idx) == 0 else idx


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

    Examples
    --------
    >>> from tabular import two_state, validate_policy
    >>> validate_policy([[0.5, 0.5], [1, 0]], two_state()).dtype
    dtype('float64')
    >>> try:
    ...     validate_policy([[0.5, 0.6], [1, 0]])
    ... except ValueError as err:
    ...     print("ValueError")
    ValueError
    """
    if mdp is None:
        return as_policy(pi, name=name)
    mdp = check_mdp(mdp)
    return as_policy(pi, mdp.n_states, mdp.n_actions, name=name)


def uniform(mdp_or_S, A: int | None = None) -> np.ndarray:
    """The uniform policy ``pi(a|s) = 1/A``; call as ``uniform(mdp)`` or ``uniform(S, A)``.

    Examples
    --------
    >>> from tabular import two_state, uniform
    >>> uniform(two_state()).tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    >>> uniform(2, 4).shape
    (2, 4)
    """
    S, A = _shape(mdp_or_S, A)
    return np.full((S, A), 1.0 / A)


def deterministic(actions, n_actions: int) -> np.ndarray:
    """One-hot policy choosing ``actions[s]`` in state ``s``.

    Examples
    --------
    >>> from tabular import deterministic
    >>> deterministic([1, 0, 2], 3).tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
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


def greedy(Q, atol: float = 0.0, rtol: float = TIE_RTOL) -> np.ndarray:
    """Deterministic greedy policy ``argmax_a Q[s, a]`` under the tie rule (module docstring, "Ties").

    In each state, the lowest action index among the actions within ``atol + rtol * max|Q|`` of the
    row maximum (:func:`argmax_tol`; ``max|Q|`` over the whole table). ``rtol=0`` and ``atol=0`` give
    the exact argmax (lowest index on exact ties), which depends on the last bits of ``Q``.

    Examples
    --------
    >>> greedy([[1.0, 1.0 + 1e-13], [0.0, 2.0]]).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    Q = as_float_array(Q, "Q", ndim=2)
    if Q.shape[0] == 0 or Q.shape[1] == 0:
        raise ValueError(f"Q has an empty state or action set (shape {Q.shape})")
    return deterministic(argmax_tol(Q, axis=1, atol=atol, rtol=rtol), Q.shape[1])


def random_policy(mdp_or_S, A: int | None = None, rng=None, concentration: float = 1.0) -> np.ndarray:
    """A random policy with rows drawn from ``Dirichlet(concentration * 1)``.

    Small concentrations give near-deterministic policies, large ones near-uniform policies.
    Rows are renormalized after drawing only to remove floating-point drift; rows that underflow
    to all zeros (tiny concentration) fall back to a random one-hot action.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import random_policy
    >>> pi = random_policy(4, 3, rng=0)
    >>> print(pi.shape, bool(np.allclose(pi.sum(axis=1), 1.0)))
    (4, 3) True
    >>> peaked = random_policy(100, 3, rng=0, concentration=0.01)  # nearly deterministic rows
    >>> bool(np.median(peaked.max(axis=1)) > 0.99)
    True
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
    """The conservative mixture ``(1 - alpha) pi + alpha pi'`` of Eq. (5) of [TRPO] / [KL02].

    Examples
    --------
    >>> from tabular import deterministic, mixture, uniform
    >>> mixture(uniform(2, 2), deterministic([0, 1], 2), 0.5).tolist()
    [[0.75, 0.25], [0.25, 0.75]]
    """
    pi = as_policy(pi, name="pi")
    pi_prime = as_policy(pi_prime, pi.shape[0], pi.shape[1], name="pi_prime")
    alpha = check_unit_interval(alpha, "alpha")
    return (1.0 - alpha) * pi + alpha * pi_prime  # Eq. (5)


def log_softmax(theta) -> np.ndarray:
    """Row-wise ``log softmax``, stable for large parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import log_softmax
    >>> print(np.round(log_softmax([[0.0, 0.0], [1000.0, 0.0]]), 4).tolist())  # no overflow
    [[-0.6931, -0.6931], [0.0, -1000.0]]
    """
    theta = as_float_array(theta, "theta", ndim=2)
    z = theta - theta.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def softmax(theta) -> np.ndarray:
    """Tabular softmax policy ``pi(a|s) = exp(theta[s, a]) / sum_b exp(theta[s, b])``.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import softmax
    >>> print(np.round(softmax([[0.0, np.log(3.0)], [2.0, 2.0]]), 4))
    [[0.25 0.75]
     [0.5  0.5 ]]
    """
    return np.exp(log_softmax(theta))

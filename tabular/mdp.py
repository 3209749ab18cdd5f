"""The finite discounted MDP, validated on construction.

Conventions (THEORY.md §1): ``P[s, a, t]`` is the probability of moving to state ``t`` after action
``a`` in state ``s``; ``R[s, a]`` is the expected reward; ``rho0[s]`` the start distribution; and
``0 <= gamma < 1`` the discount. A sparse transition model is an ``(S*A, S)`` matrix whose row
``s*A + a`` is ``P[s, a, :]``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .validation import (
    PROB_ATOL,
    as_float_array,
    check_dense_size,
    check_distribution_rows,
    check_real_dtype,
    check_gamma,
    readonly,
)

__all__ = ["MDP"]


@dataclass(frozen=True, eq=False)
class MDP:
    """A finite discounted Markov decision process.

    Parameters
    ----------
    P : ndarray of shape (S, A, S) or scipy sparse matrix of shape (S*A, S)
        Transition probabilities ``P[s, a, t] = Pr(s_{t+1}=t | s_t=s, a_t=a)``. Each row must be a
        probability distribution (non-negative, summing to 1 within 1e-8). Nothing is renormalized.
    R : ndarray of shape (S, A) or (S,)
        Expected reward ``r(s, a)``. A reward of shape ``(S,)`` means ``r(s)`` as in [TRPO] and is
        broadcast over actions.
    rho0 : ndarray of shape (S,)
        Start-state distribution.
    gamma : float
        Discount factor in ``[0, 1)``.

    Raises
    ------
    ValueError
        For a non-stochastic row, a negative probability, NaN or inf anywhere, a discount outside
        [0, 1), disagreeing shapes, or an empty state or action set.
    TypeError
        For arrays that are not of real numbers (complex, strings, objects; dense or sparse) and a
        discount that is not a real number.

    Notes
    -----
    The arrays are copied and stored read-only, so an ``MDP`` cannot be mutated after validation.
    A sparse ``P`` is stored as a CSR array with canonical (sorted, summed) indices.

    Examples
    --------
    A two-state, two-action MDP; ``R`` of shape ``(S,)`` is broadcast over actions:

    >>> import numpy as np
    >>> from tabular import MDP
    >>> P = np.zeros((2, 2, 2))
    >>> P[:, 0, 0] = 1.0  # action 0 goes to state 0
    >>> P[:, 1, 1] = 1.0  # action 1 goes to state 1
    >>> mdp = MDP(P, np.array([0.0, 1.0]), np.array([1.0, 0.0]), 0.9)
    >>> mdp
    MDP(S=2, A=2, gamma=0.9, dense)
    >>> print(mdp.shape, mdp.R.tolist())
    (2, 2) [[0.0, 0.0], [1.0, 1.0]]
    >>> mdp.to_sparse()
    MDP(S=2, A=2, gamma=0.9, sparse, nnz=4)
    >>> try:
    ...     MDP(P * 0.5, mdp.R, mdp.rho0, 0.9)
    ... except ValueError:
    ...     print("rows must sum to 1")
    rows must sum to 1
    """

    P: object
    R: np.ndarray
    rho0: np.ndarray
    gamma: float

    def __post_init__(self):
        gamma = check_gamma(self.gamma)
        P = self.P
        if sp.issparse(P):
            check_real_dtype(P, "P")  # before the cast, which would drop an imaginary part
            P = sp.csr_array(P, dtype=np.float64, copy=True)
            P.sum_duplicates()
            P.sort_indices()
            if P.ndim != 2:
                raise ValueError(f"sparse P must be 2-D of shape (S*A, S), got shape {P.shape}")
            n_rows, S = P.shape
            if S == 0 or n_rows == 0:
                raise ValueError(f"P has an empty state or action set (shape {P.shape})")
            if n_rows % S != 0:
                raise ValueError(
                    f"sparse P must have shape (S*A, S); got {P.shape}, and {n_rows} rows is not a "
                    f"multiple of S={S}"
                )
            A = n_rows // S
            if not np.all(np.isfinite(P.data)):
                raise ValueError("P contains NaN or inf among its stored entries")
            if np.any(P.data < 0):
                k = int(np.argmax(P.data < 0))
                row = int(np.searchsorted(P.indptr, k, side="right") - 1)
                raise ValueError(
                    f"P has a negative probability {P.data[k]:.3g} at (s={row // A}, a={row % A}, "
                    f"next={int(P.indices[k])})"
                )
            sums = np.asarray(P.sum(axis=1)).ravel()
            off = np.abs(sums - 1.0) > PROB_ATOL
            if np.any(off):
                row = int(np.argmax(off))
                raise ValueError(
                    f"P row (s={row // A}, a={row % A}) sums to {sums[row]:.12g}, not 1 "
                    f"(tolerance {PROB_ATOL:g}); rows must be probability distributions"
                )
            for arr in (P.data, P.indices, P.indptr):  # canonical and validated: freeze it
                arr.flags.writeable = False
        else:
            P = as_float_array(P, "P", ndim=3)
            S, A, S2 = P.shape
            if S != S2:
                raise ValueError(f"dense P must have shape (S, A, S); got {P.shape}")
            if S == 0 or A == 0:
                raise ValueError(f"P has an empty state or action set (shape {P.shape})")
            check_distribution_rows(P, "P")
            readonly(P)
        R = as_float_array(self.R, "R", ndim=(1, 2))
        if R.ndim == 1:
            if R.shape != (S,):
                raise ValueError(f"a state reward R must have shape ({S},) to match P, got {R.shape}")
            R = np.repeat(R[:, None], A, axis=1)
        elif R.shape != (S, A):
            raise ValueError(f"R must have shape ({S}, {A}) to match P, got {R.shape}")
        rho0 = as_float_array(self.rho0, "rho0", ndim=1)
        if rho0.shape != (S,):
            raise ValueError(f"rho0 must have shape ({S},) to match P, got {rho0.shape}")
        check_distribution_rows(rho0, "rho0")
        object.__setattr__(self, "P", P)
        object.__setattr__(self, "R", readonly(R))
        object.__setattr__(self, "rho0", readonly(rho0))
        object.__setattr__(self, "gamma", gamma)

    # ------------------------------------------------------------------ sizes
    @property
    def n_states(self) -> int:
        """Number of states S."""
        return int(self.P.shape[1] if self.is_sparse else self.P.shape[0])

    @property
    def n_actions(self) -> int:
        """Number of actions A."""
        return int(self.P.shape[0] // self.P.shape[1]) if self.is_sparse else int(self.P.shape[1])

    @property
    def shape(self) -> tuple[int, int]:
        """``(S, A)``."""
        return (self.n_states, self.n_actions)

    @property
    def is_sparse(self) -> bool:
        """Whether ``P`` is stored as a sparse ``(S*A, S)`` matrix."""
        return sp.issparse(self.P)

    # ------------------------------------------------------------- transitions
    @property
    def P_flat(self):
        """Transitions as an ``(S*A, S)`` matrix: CSR when sparse, a dense view otherwise."""
        if self.is_sparse:
            return self.P
        S, A = self.shape
        return self.P.reshape(S * A, S)

    def dense_P(self) -> np.ndarray:
        """Transitions as a dense ``(S, A, S)`` array (a copy when ``P`` is sparse; raises
        :class:`~tabular.validation.ModelTooLargeError` first if it would not fit in memory)."""
        if self.is_sparse:
            S, A = self.shape
            check_dense_size(S, A, "the dense copy of this sparse MDP", sparse_hint=None)
            return self.P.toarray().reshape(S, A, S)
        return self.P

    def to_dense(self) -> "MDP":
        """The same MDP with a dense ``(S, A, S)`` transition array."""
        return self if not self.is_sparse else MDP(self.dense_P(), self.R, self.rho0, self.gamma)

    def to_sparse(self) -> "MDP":
        """The same MDP with a sparse ``(S*A, S)`` CSR transition matrix."""
        return self if self.is_sparse else MDP(sp.csr_array(self.P_flat), self.R, self.rho0, self.gamma)

    def with_gamma(self, gamma: float) -> "MDP":
        """The same MDP with another discount factor."""
        return dataclasses.replace(self, gamma=gamma)

    def with_rewards(self, R) -> "MDP":
        """The same MDP with other rewards."""
        return dataclasses.replace(self, R=R)

    def with_rho0(self, rho0) -> "MDP":
        """The same MDP with another start distribution."""
        return dataclasses.replace(self, rho0=rho0)

    def __repr__(self) -> str:
        kind = f"sparse, nnz={self.P.nnz}" if self.is_sparse else "dense"
        return f"MDP(S={self.n_states}, A={self.n_actions}, gamma={self.gamma:g}, {kind})"

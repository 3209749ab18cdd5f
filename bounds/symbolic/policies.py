"""Symbolic policies (THEORY.md §2): the tabular softmax, a generic point of the simplex, and the
exact check that turns any policy argument into an ``(S, A)`` sympy matrix with rows summing to 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from .exact import as_rational, sums_to_one
from .model import SymbolicMDP, check_size

__all__ = ["SoftmaxPolicy", "softmax_policy", "simplex_policy", "as_policy_matrix"]


@dataclass(frozen=True, eq=False)
class SoftmaxPolicy:
    """Tabular softmax policy ``pi(a|s) = exp(theta[s, a]) / sum_b exp(theta[s, b])`` (THEORY.md §2).

    Attributes
    ----------
    pi : ImmutableMatrix (S, A), the policy as expressions in ``exp(theta)``.
    theta : ImmutableMatrix (S, A) of real Symbols ``{name}_{s,a}``.

    Examples
    --------
    >>> from bounds.symbolic import SoftmaxPolicy, softmax_policy
    >>> policy = softmax_policy(S=1, A=2)
    >>> print(isinstance(policy, SoftmaxPolicy), policy.shape)
    True (1, 2)
    >>> print(policy.theta)
    Matrix([[theta_{0,0}, theta_{0,1}]])
    """

    pi: sp.ImmutableMatrix
    theta: sp.ImmutableMatrix

    @property
    def shape(self) -> tuple[int, int]:
        return self.pi.shape


def softmax_policy(S: int = 2, A: int = 2, name: str = "theta") -> SoftmaxPolicy:
    """Symbolic tabular softmax policy with parameter symbols ``{name}_{s,a}`` (THEORY.md §2).

    Examples
    --------
    >>> from bounds.symbolic import softmax_policy, to_float
    >>> policy = softmax_policy(S=2, A=2)
    >>> print(policy.pi[0, 0])
    exp(theta_{0,0})/(exp(theta_{0,0}) + exp(theta_{0,1}))
    >>> values = {policy.theta[0, 0]: 0, policy.theta[0, 1]: 0}
    >>> print(to_float(policy.pi[0, 0], values))
    0.5
    """
    S, A = check_size(S, "S"), check_size(A, "A")
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    theta = sp.ImmutableMatrix(S, A, lambda s, a: sp.Symbol(f"{name}_{{{s},{a}}}", real=True))
    pi = sp.ImmutableMatrix(
        S, A, lambda s, a: sp.exp(theta[s, a]) / sp.Add(*[sp.exp(theta[s, b]) for b in range(A)])
    )
    return SoftmaxPolicy(pi=pi, theta=theta)


def simplex_policy(S: int = 2, A: int = 2, name: str = "x") -> sp.ImmutableMatrix:
    """A generic policy on the simplex: ``pi(a|s) = x_{s,a}`` for ``a < A-1`` and
    ``pi(A-1|s) = 1 - sum_{a<A-1} x_{s,a}`` (non-negative symbols).

    Examples
    --------
    >>> from bounds.symbolic import simplex_policy
    >>> print(simplex_policy(S=2, A=2))
    Matrix([[x_{0,0}, 1 - x_{0,0}], [x_{1,0}, 1 - x_{1,0}]])
    """
    S, A = check_size(S, "S"), check_size(A, "A")
    rows = []
    for s in range(S):
        xs = [sp.Symbol(f"{name}_{{{s},{a}}}", nonnegative=True) for a in range(A - 1)]
        rows.append(xs + [1 - sp.Add(*xs)])
    return sp.ImmutableMatrix(rows)


def as_policy_matrix(pi, mdp: SymbolicMDP, name: str = "pi") -> sp.ImmutableMatrix:
    """``pi`` (a :class:`SoftmaxPolicy`, a sympy matrix or an array of rationals) as an exact
    ``(S, A)`` ImmutableMatrix matching ``mdp``.

    Raises ``ValueError`` naming ``name`` for a wrong shape, a negative numeric entry or a row that
    does not sum to exactly 1 (:func:`~bounds.symbolic.exact.sums_to_one`).

    Examples
    --------
    >>> from fractions import Fraction
    >>> from bounds.symbolic import symbolic_mdp
    >>> from bounds.symbolic.policies import as_policy_matrix
    >>> mdp = symbolic_mdp(2, 2)
    >>> print(as_policy_matrix([[0.25, 0.75], [Fraction(1, 3), Fraction(2, 3)]], mdp))
    Matrix([[1/4, 3/4], [1/3, 2/3]])
    >>> try:
    ...     as_policy_matrix([[0.5, 0.6], [1, 0]], mdp)
    ... except ValueError as err:
    ...     print(err)
    pi row 0 does not sum to exactly 1: [1/2, 3/5]
    """
    if isinstance(pi, SoftmaxPolicy):
        pi = pi.pi
    if isinstance(pi, sp.MatrixBase):
        M = sp.ImmutableMatrix(pi)
    else:
        arr = np.asarray(pi, dtype=object)
        if arr.ndim != 2:
            raise ValueError(f"{name} must be a 2-D (S, A) matrix, got shape {arr.shape}")
        M = sp.ImmutableMatrix(arr.shape[0], arr.shape[1],
                               lambda s, a: as_rational(arr[s, a], f"{name}[{s},{a}]"))
    if M.shape != mdp.shape:
        raise ValueError(f"{name} has shape {M.shape}, expected {mdp.shape} to match the MDP")
    for s in range(M.shape[0]):
        for a in range(M.shape[1]):
            if M[s, a].is_number and M[s, a] < 0:
                raise ValueError(f"{name}[{s},{a}] = {M[s, a]} is negative")
        if not sums_to_one(list(M.row(s))):
            raise ValueError(f"{name} row {s} does not sum to exactly 1: {list(M.row(s))}")
    return M

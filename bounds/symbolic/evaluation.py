"""Exact evaluation of a policy in a :class:`~bounds.symbolic.model.SymbolicMDP` (THEORY.md §1) and
the surrogate ``L`` of Eq. (3) of [TRPO].

Two exact routes are provided, and the tests check that they agree:

* ``method="lu"`` -- sympy ``Matrix.LUsolve`` on ``(I - gamma P_pi) V = r_pi`` and
  ``(I - gamma P_pi)^T rho = rho0`` (THEORY.md §1). General, but with fully symbolic entries the
  results are deeply nested fractions that ``sympy.cancel`` simplifies only slowly (about a minute
  per parameter for the first-order identity Eq. (4) of [TRPO] on a fully symbolic 2-state,
  2-action MDP with softmax parameters, and minutes for ``L_pi(pi) - eta(pi)``).
* ``method="fraction_free"`` -- exact arithmetic in the polynomial ring ``QQ[symbols]``
  (:mod:`bounds.symbolic.ring`): every quantity is a quotient ``numerator / denominator`` of
  polynomials, and an identity holds exactly when the numerator of the difference is the zero
  polynomial.

References: [TRPO] Schulman et al. 2015 (arXiv:1502.05477 v5).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .model import SymbolicMDP
from .policies import as_policy_matrix
from .ring import Ring, RingEvaluation, ff_evaluate

__all__ = ["SymbolicEvaluation", "evaluate_symbolic", "surrogate_symbolic", "surrogate_terms",
           "visitation_terms"]

_METHODS = ("lu", "fraction_free")


@dataclass(frozen=True, eq=False)
class SymbolicEvaluation:
    """Exact quantities of a policy (THEORY.md §1), as sympy expressions.

    Attributes
    ----------
    pi : ImmutableMatrix (S, A).
    V : ImmutableMatrix (S, 1), ``V = (I - gamma P_pi)^{-1} r_pi``.
    Q : ImmutableMatrix (S, A), ``Q = R + gamma P V``.
    A : ImmutableMatrix (S, A), ``A = Q - V``.
    eta : expression, ``eta = rho0 . V``.
    rho : ImmutableMatrix (S, 1), unnormalized visitation ``rho = (I - gamma P_pi^T)^{-1} rho0``.
    d : ImmutableMatrix (S, 1), normalized ``d = (1 - gamma) rho``.
    P_pi : ImmutableMatrix (S, S); r_pi : ImmutableMatrix (S, 1); gamma : expression.
    method : ``"lu"`` or ``"fraction_free"``.

    Examples
    --------
    >>> from bounds.symbolic import SymbolicEvaluation, evaluate_symbolic, random_rational_mdp
    >>> mdp = random_rational_mdp(2, 2, rng=0)
    >>> ev = evaluate_symbolic(mdp, [[1, 0], [0, 1]])
    >>> print(isinstance(ev, SymbolicEvaluation), ev.method, ev.V.shape, ev.Q.shape)
    True lu (2, 1) (2, 2)
    >>> print(ev.eta == (mdp.rho0.T * ev.V)[0], sum(ev.d))
    True 1
    """

    pi: sp.ImmutableMatrix
    V: sp.ImmutableMatrix
    Q: sp.ImmutableMatrix
    A: sp.ImmutableMatrix
    eta: sp.Expr
    rho: sp.ImmutableMatrix
    d: sp.ImmutableMatrix
    P_pi: sp.ImmutableMatrix
    r_pi: sp.ImmutableMatrix
    gamma: sp.Expr
    method: str


# ============================================================================ the two routes
def _evaluate_lu(mdp: SymbolicMDP, pi: sp.ImmutableMatrix) -> SymbolicEvaluation:
    """THEORY.md §1 by ``LUsolve``: ``V = (I - gamma P_pi)^{-1} r_pi``, ``Q = R + gamma P V``,
    ``A = Q - V``, ``eta = rho0 . V``, ``rho = (I - gamma P_pi^T)^{-1} rho0``."""
    S, A = mdp.shape
    gamma = mdp.gamma
    P_pi = mdp.policy_transition(pi)
    r_pi = mdp.policy_reward(pi)
    M = sp.eye(S) - gamma * P_pi
    V = M.LUsolve(r_pi)  # Bellman equation
    rho = M.T.LUsolve(sp.Matrix(mdp.rho0))  # rho = (I - gamma P_pi^T)^{-1} rho0
    Q = sp.Matrix(S, A, lambda s, a: mdp.R[s, a]
                  + gamma * sp.Add(*[mdp.P[s][a][t] * V[t] for t in range(S)]))
    Adv = sp.Matrix(S, A, lambda s, a: Q[s, a] - V[s])
    eta = (sp.Matrix(mdp.rho0).T * V)[0, 0]
    return SymbolicEvaluation(
        pi=pi, V=sp.ImmutableMatrix(V), Q=sp.ImmutableMatrix(Q), A=sp.ImmutableMatrix(Adv),
        eta=eta, rho=sp.ImmutableMatrix(rho), d=sp.ImmutableMatrix((1 - gamma) * rho),
        P_pi=sp.ImmutableMatrix(P_pi), r_pi=sp.ImmutableMatrix(r_pi), gamma=gamma, method="lu",
    )


def _from_ring(ring: Ring, ev: RingEvaluation, pi) -> SymbolicEvaluation:
    """A :class:`RingEvaluation` as sympy expressions, with ``d = (1 - gamma) rho``."""
    S, A = ev.shape
    ts = ring.to_sympy
    rho = sp.ImmutableMatrix([ts(x) for x in ev.rho])
    gamma = ring.mdp.gamma
    return SymbolicEvaluation(
        pi=sp.ImmutableMatrix(pi), V=sp.ImmutableMatrix([ts(x) for x in ev.V]),
        Q=sp.ImmutableMatrix(S, A, lambda s, a: ts(ev.Q[s][a])),
        A=sp.ImmutableMatrix(S, A, lambda s, a: ts(ev.A[s][a])),
        eta=ts(ev.eta), rho=rho, d=sp.ImmutableMatrix((1 - gamma) * rho),
        P_pi=sp.ImmutableMatrix(S, S, lambda s, t: ts(ev.P_pi[s][t])),
        r_pi=sp.ImmutableMatrix([ts(x) for x in ev.r_pi]),
        gamma=gamma, method="fraction_free",
    )


def _evaluate_fraction_free(mdp: SymbolicMDP, pi: sp.ImmutableMatrix) -> SymbolicEvaluation:
    """THEORY.md §1 by fraction-free elimination in ``QQ[symbols]`` (:func:`~bounds.symbolic.ring.ff_evaluate`)."""
    ring = Ring(mdp, pi)
    return _from_ring(ring, ff_evaluate(ring, ring.policies[0]), pi)


def _cancel_entries(ev: SymbolicEvaluation) -> SymbolicEvaluation:
    """``ev`` with ``sympy.cancel`` applied to every expression."""
    c = sp.cancel
    return SymbolicEvaluation(
        pi=ev.pi, V=ev.V.applyfunc(c), Q=ev.Q.applyfunc(c), A=ev.A.applyfunc(c), eta=c(ev.eta),
        rho=ev.rho.applyfunc(c), d=ev.d.applyfunc(c), P_pi=ev.P_pi.applyfunc(c),
        r_pi=ev.r_pi.applyfunc(c), gamma=ev.gamma, method=ev.method,
    )


def evaluate_symbolic(mdp: SymbolicMDP, pi, *, method: str = "lu", simplify: bool = False) -> SymbolicEvaluation:
    """Exact ``V, Q, A, eta, rho`` of ``pi`` in ``mdp`` (THEORY.md §1).

    ``V = (I - gamma P_pi)^{-1} r_pi``, ``Q = R + gamma P V``, ``A = Q - V``, ``eta = rho0 . V`` and
    the unnormalized visitation ``rho = (I - gamma P_pi^T)^{-1} rho0`` (``sum rho = 1/(1-gamma)``),
    ``d = (1 - gamma) rho``. Linear systems are solved, never inverted.

    Parameters
    ----------
    mdp : SymbolicMDP
    pi : SoftmaxPolicy, sympy Matrix (S, A) or array of rationals
        Rows must sum to exactly 1.
    method : {"lu", "fraction_free"}
        ``"lu"``: sympy ``LUsolve`` (works for any entries). ``"fraction_free"``: polynomial-ring
        elimination (needs entries that are polynomials in the symbols and a policy that is a rational
        function of its symbols and of ``exp`` atoms); results are ``numerator / denominator``.
    simplify : bool
        Apply ``sympy.cancel`` to every entry (can be slow for fully symbolic inputs).

    Examples
    --------
    >>> import sympy as sp
    >>> from bounds.symbolic import from_arrays, evaluate_symbolic
    >>> g = sp.Symbol("g", positive=True)
    >>> mdp = from_arrays([[[1, 0]], [[0, 1]]], R=[[1], [0]], rho0=[1, 0], gamma=g)
    >>> ev = evaluate_symbolic(mdp, [[1], [1]], simplify=True)
    >>> print(sp.cancel(ev.eta - 1 / (1 - g)), ev.V[1])
    0 0
    >>> ff = evaluate_symbolic(mdp, [[1], [1]], method="fraction_free")
    >>> print(sp.cancel(ff.eta - ev.eta))
    0
    """
    if not isinstance(mdp, SymbolicMDP):
        raise ValueError(f"mdp must be a SymbolicMDP, got {type(mdp).__name__}")
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    pi = as_policy_matrix(pi, mdp)
    ev = _evaluate_fraction_free(mdp, pi) if method == "fraction_free" else _evaluate_lu(mdp, pi)
    return _cancel_entries(ev) if simplify else ev


# ============================================================================ the surrogate, Eq. (3)
def visitation_terms(rho, pi, X) -> list:
    """The terms ``rho(s) pi(a|s) X(s, a)`` of ``sum_s rho(s) sum_a pi(a|s) X(s, a)``, row-major.

    ``rho`` is indexed ``rho[s]``; ``pi`` and ``X`` are nested ``[s][a]`` (pass ``M.tolist()`` for
    a sympy matrix). Works for sympy expressions and ring fractions (:class:`~bounds.symbolic.ring.Frac`)
    alike.

    Examples
    --------
    >>> import sympy as sp
    >>> from bounds.symbolic.evaluation import visitation_terms
    >>> half = sp.Rational(1, 2)
    >>> terms = visitation_terms([2, 3], [[half, half], [1, 0]], [[1, 3], [5, 7]])
    >>> print(terms, sum(terms))
    [1, 3, 15, 0] 19
    """
    return [rho[s] * pi[s][a] * X[s][a] for s in range(len(X)) for a in range(len(X[s]))]


def surrogate_terms(eta, rho, pi_new, adv) -> list:
    """The terms of Eq. (3) of [TRPO], ``[eta(pi), rho_pi(s) pi_new(a|s) A_pi(s, a) for s, a]``::

        L_pi(pi_new) = eta(pi) + sum_s rho_pi(s) sum_a pi_new(a|s) A_pi(s, a)

    Kept as separate terms so that derivatives can be taken term by term; arguments as for
    :func:`visitation_terms` (``adv`` = ``A_pi``).

    Examples
    --------
    >>> import sympy as sp
    >>> from bounds.symbolic.evaluation import surrogate_terms
    >>> terms = surrogate_terms(sp.Rational(5), [2, 3], [[0, 1], [1, 0]], [[-1, 1], [2, -2]])
    >>> print(terms, sum(terms))
    [5, 0, 2, 6, 0] 13
    """
    return [eta] + visitation_terms(rho, pi_new, adv)  # Eq. (3)


def surrogate_symbolic(mdp: SymbolicMDP, pi, pi_new, *, ev: SymbolicEvaluation | None = None,
                       method: str = "lu") -> sp.Expr:
    """The surrogate ``L_pi(pi_new)``, Eq. (3) of [TRPO]::

        L_pi(pi_new) = eta(pi) + sum_s rho_pi(s) sum_a pi_new(a|s) A_pi(s, a)

    with the unnormalized visitation ``rho_pi`` of the old policy. ``ev`` may pass
    ``evaluate_symbolic(mdp, pi)``; ``method`` is passed to :func:`evaluate_symbolic` otherwise.

    Examples
    --------
    >>> from bounds.symbolic import (evaluate_symbolic, random_rational_mdp,
    ...                              random_rational_policy, surrogate_symbolic)
    >>> mdp = random_rational_mdp(2, 2, rng=1)
    >>> pi, pi_new = random_rational_policy(2, 2, rng=2), random_rational_policy(2, 2, rng=3)
    >>> ev = evaluate_symbolic(mdp, pi)
    >>> print(surrogate_symbolic(mdp, pi, pi, ev=ev) - ev.eta)
    0
    >>> L = surrogate_symbolic(mdp, pi, pi_new, ev=ev)
    >>> print(L.is_Rational)
    True
    """
    pi_new = as_policy_matrix(pi_new, mdp, "pi_new")
    if ev is None:
        ev = evaluate_symbolic(mdp, pi, method=method)
    return sp.Add(*surrogate_terms(ev.eta, ev.rho, pi_new.tolist(), ev.A.tolist()))  # Eq. (3)

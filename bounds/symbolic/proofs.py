"""Exact proofs of the identities of [TRPO] (THEORY.md §2-3), each returning what it computed.

* :func:`prove_surrogate_matches_eta`, :func:`prove_first_order_match`: Eq. (4),
  ``L_{pi_theta0}(pi_theta0) = eta(pi_theta0)`` and ``grad L = grad eta`` at ``theta0``, for a fully
  symbolic MDP, in the fraction-free ring of :mod:`bounds.symbolic.ring`.
* :func:`eta_gradient_symbolic`: the softmax policy gradient ``rho_pi(s) pi(a|s) A_pi(s, a)``.
* :func:`fisher_from_kl_hessian`: the Hessian of the weighted KL of Eq. (9), (11), (12) is the
  Fisher matrix.
* :func:`derive_cpi_alpha_star`: the step size maximizing the bound of Eq. (6) (the float
  ``alpha*`` of a given MDP is :func:`bounds.inequalities.cpi_alpha_star`).
* :func:`exact_rational_check`: Eq. (2), (3), (4) and the visitation identities on a random
  rational MDP, with residuals that are exactly zero.

References: [TRPO] Schulman et al. 2015 (arXiv:1502.05477 v5); [KL02] Kakade & Langford 2002.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from .evaluation import SymbolicEvaluation, evaluate_symbolic, surrogate_symbolic, surrogate_terms, visitation_terms
from .model import SymbolicMDP, check_size, random_rational_mdp, random_rational_policy, symbolic_mdp
from .policies import SoftmaxPolicy, as_policy_matrix, softmax_policy
from .ring import Ring, ff_evaluate

__all__ = [
    "SoftmaxGradient",
    "KLHessianFisher",
    "CPIStep",
    "RationalCheck",
    "prove_surrogate_matches_eta",
    "prove_first_order_match",
    "eta_gradient_symbolic",
    "fisher_from_kl_hessian",
    "derive_cpi_alpha_star",
    "exact_rational_check",
]


def _default_mdp(mdp):
    """``mdp``, or the fully symbolic ``symbolic_mdp()`` for None."""
    if mdp is None:
        return symbolic_mdp()
    if not isinstance(mdp, SymbolicMDP):
        raise ValueError(f"mdp must be a SymbolicMDP or None, got {type(mdp).__name__}")
    return mdp


def _softmax_generators(ring: Ring, policy: SoftmaxPolicy):
    """Ring generators ``E[s][a] = exp(theta[s, a])``; ``d/dtheta = E d/dE``."""
    S, A = policy.shape
    return [[ring.gen(sp.exp(policy.theta[s, a])) for a in range(A)] for s in range(S)]


# ============================================================================ Eq. (4)
def prove_surrogate_matches_eta(mdp: SymbolicMDP | None = None, policy=None) -> sp.Expr:
    """``L_{pi_theta0}(pi_theta0) - eta(pi_theta0)`` (first half of Eq. (4) of [TRPO]); exactly 0.

    By Eq. (3) the difference is ``sum_s rho(s) sum_a pi(a|s) A_pi(s, a)``, which vanishes because
    ``sum_a pi(a|s) A_pi(s, a) = r_pi + gamma P_pi V - V = 0`` (Bellman). Computed exactly with the
    fraction-free method in the ring ``QQ[P, R, rho0, gamma, exp(theta0)]``.

    Parameters
    ----------
    mdp : SymbolicMDP, optional
        Default :func:`symbolic_mdp` ``()``: fully symbolic P, R, rho0 and gamma (S = A = 2).
    policy : SoftmaxPolicy or Matrix, optional
        Default ``softmax_policy(S, A, "theta0")`` with symbolic ``theta0``.

    Returns
    -------
    sympy expression
        ``numerator / denominator`` of the exact difference (sympy reduces ``0 / den`` to ``0``).

    Examples
    --------
    >>> from bounds.symbolic import prove_surrogate_matches_eta
    >>> print(prove_surrogate_matches_eta())
    0
    """
    mdp = _default_mdp(mdp)
    S, A = mdp.shape
    pi = as_policy_matrix(softmax_policy(S, A, "theta0") if policy is None else policy, mdp, "policy")
    ring = Ring(mdp, pi)
    ev = ff_evaluate(ring, ring.policies[0])
    L = ring.sum(surrogate_terms(ev.eta, ev.rho, ev.pi, ev.A))  # Eq. (3) at pi_new = pi
    return ring.to_sympy(L - ev.eta)  # Eq. (4), first half


def prove_first_order_match(mdp: SymbolicMDP | None = None) -> list:
    """Eq. (4) of [TRPO]: ``dL_{pi_theta0}(pi_theta)/dtheta - d eta(pi_theta)/dtheta`` at ``theta0``.

    ``L_{pi_theta0}(pi_theta) = eta(pi_theta0) + sum_s rho_0(s) sum_a pi_theta(a|s) A_0(s, a)``
    (Eq. (3)) with ``rho_0, A_0`` of the fixed policy ``pi_theta0``. Both ``L`` and
    ``eta(pi_theta)`` are computed exactly as rational functions of ``E = exp(theta)`` and
    ``E0 = exp(theta0)`` (fraction-free method); each is differentiated by the chain rule
    ``d/dtheta[s,a] = E[s,a] d/dE[s,a]``, then ``E = E0`` is substituted.

    What is symbolic: everything. With the default ``mdp`` (``symbolic_mdp()``) P (one symbol per
    row), R, rho0 = (q, 1-q), gamma and all softmax parameters ``theta0[s, a]`` are free symbols;
    this takes well under a second. Any other :class:`SymbolicMDP` (e.g. ``symbolic_mdp(2, 3)`` or a
    rational one) may be passed.

    Returns
    -------
    list of sympy expressions
        One per parameter ``theta[s, a]`` in row-major order, each exactly 0.

    Examples
    --------
    >>> from bounds.symbolic import prove_first_order_match
    >>> print(prove_first_order_match())
    [0, 0, 0, 0]
    """
    mdp = _default_mdp(mdp)
    S, A = mdp.shape
    old = softmax_policy(S, A, "theta0")
    new = softmax_policy(S, A, "theta")
    ring = Ring(mdp, old.pi, new.pi)
    ev0 = ff_evaluate(ring, ring.policies[0])
    evn = ff_evaluate(ring, ring.policies[1])
    E0 = _softmax_generators(ring, old)
    E = _softmax_generators(ring, new)
    at_old = [(E[s][a], E0[s][a]) for s in range(S) for a in range(A)]
    L_terms = surrogate_terms(ev0.eta, ev0.rho, evn.pi, ev0.A)  # L_{pi_theta0}(pi_theta), Eq. (3)
    out = []
    for s in range(S):
        for a in range(A):
            dL = ring.sum(t.diff(E[s][a]).scale(E[s][a]).compose(at_old) for t in L_terms)
            deta = evn.eta.diff(E[s][a]).scale(E[s][a]).compose(at_old)
            out.append(ring.to_sympy(dL - deta))  # Eq. (4), second half
    return out


# ============================================================================ softmax gradient
@dataclass(frozen=True, eq=False)
class SoftmaxGradient:
    """Exact gradient of ``eta(pi_theta)`` for a tabular softmax policy (THEORY.md §2).

    Attributes
    ----------
    theta : ImmutableMatrix (S, A) of parameter symbols.
    grad : ImmutableMatrix (S, A), ``d eta / d theta[s, a]`` by differentiation.
    closed_form : ImmutableMatrix (S, A), ``rho_pi(s) pi(a|s) A_pi(s, a)``.
    difference : ImmutableMatrix (S, A), ``grad - closed_form`` computed exactly (all zeros).

    Examples
    --------
    >>> from bounds.symbolic import SoftmaxGradient, eta_gradient_symbolic, symbolic_mdp
    >>> g = eta_gradient_symbolic(symbolic_mdp(1, 2))
    >>> print(isinstance(g, SoftmaxGradient), g.grad.shape, g.difference)
    True (1, 2) Matrix([[0, 0]])
    """

    theta: sp.ImmutableMatrix
    grad: sp.ImmutableMatrix
    closed_form: sp.ImmutableMatrix
    difference: sp.ImmutableMatrix


def eta_gradient_symbolic(mdp: SymbolicMDP | None = None, policy: SoftmaxPolicy | None = None) -> SoftmaxGradient:
    """``d eta(pi_theta) / d theta[s, a]`` and the closed form ``rho_pi(s) pi(a|s) A_pi(s, a)``.

    THEORY.md §2: for softmax parameters ``d eta / d theta[s, a] = rho_pi(s) pi(a|s) A_pi(s, a)``
    (``= d_pi(s) pi A / (1 - gamma)``). ``eta`` is computed exactly (fraction-free) as a rational
    function of ``E = exp(theta)`` and differentiated by ``d/dtheta = E d/dE``. Expressions are
    returned in ``exp(theta)``. Defaults: fully symbolic ``symbolic_mdp()`` and
    ``softmax_policy(S, A)``.

    Examples
    --------
    >>> import sympy as sp
    >>> from bounds.symbolic import eta_gradient_symbolic, exp_to_symbols, random_rational_mdp
    >>> g = eta_gradient_symbolic(random_rational_mdp(2, 2, rng=0))
    >>> print(g.difference)
    Matrix([[0, 0], [0, 0]])
    >>> total, _ = exp_to_symbols(g.grad[0, 0] + g.grad[0, 1])  # sum_a pi(a|s) A(s, a) = 0
    >>> print(sp.cancel(total))
    0
    """
    mdp = _default_mdp(mdp)
    S, A = mdp.shape
    policy = softmax_policy(S, A) if policy is None else policy
    if not isinstance(policy, SoftmaxPolicy):
        raise ValueError(f"policy must be a SoftmaxPolicy, got {type(policy).__name__}")
    as_policy_matrix(policy, mdp, "policy")
    ring = Ring(mdp, policy.pi)
    ev = ff_evaluate(ring, ring.policies[0])
    E = _softmax_generators(ring, policy)
    grad = [[ev.eta.diff(E[s][a]).scale(E[s][a]) for a in range(A)] for s in range(S)]
    closed = [[ev.rho[s] * ev.pi[s][a] * ev.A[s][a] for a in range(A)] for s in range(S)]  # THEORY.md §2
    ts = ring.to_sympy
    return SoftmaxGradient(
        theta=policy.theta,
        grad=sp.ImmutableMatrix(S, A, lambda s, a: ts(grad[s][a])),
        closed_form=sp.ImmutableMatrix(S, A, lambda s, a: ts(closed[s][a])),
        difference=sp.ImmutableMatrix(S, A, lambda s, a: ts(grad[s][a] - closed[s][a])),
    )


# ============================================================================ Fisher = KL Hessian
@dataclass(frozen=True, eq=False)
class KLHessianFisher:
    """Hessian of the weighted KL and the Fisher matrix (THEORY.md §2).

    Attributes
    ----------
    theta, theta_old : ImmutableMatrix (S, A) of symbols.
    pi_old : ImmutableMatrix (S, A), the softmax policy at ``theta_old``.
    weights : ImmutableMatrix (S, 1), state weights ``w(s)`` (``1`` when ``S = 1``).
    kl : expression, ``sum_s w(s) KL(pi_old(.|s) || pi_theta(.|s))``.
    hessian : ImmutableMatrix (S*A, S*A), Hessian of ``kl`` in ``theta`` (row-major flattening) at
        ``theta = theta_old``.
    fisher : ImmutableMatrix (S*A, S*A), block-diagonal, block ``s`` = ``w(s) (diag pi_s - pi_s pi_s^T)``.

    Examples
    --------
    >>> from bounds.symbolic import KLHessianFisher, fisher_from_kl_hessian
    >>> res = fisher_from_kl_hessian(A=2, S=1)
    >>> print(isinstance(res, KLHessianFisher), res.hessian.shape, res.weights)
    True (2, 2) Matrix([[1]])
    >>> print(res.fisher.subs({x: 0 for x in res.theta_old}))
    Matrix([[1/4, -1/4], [-1/4, 1/4]])
    """

    theta: sp.ImmutableMatrix
    theta_old: sp.ImmutableMatrix
    pi_old: sp.ImmutableMatrix
    weights: sp.ImmutableMatrix
    kl: sp.Expr
    hessian: sp.ImmutableMatrix
    fisher: sp.ImmutableMatrix


def _state_weights(S: int) -> sp.ImmutableMatrix:
    """``(1,)`` for one state, else positive symbols ``w_s``."""
    if S == 1:
        return sp.ImmutableMatrix([sp.Integer(1)])
    return sp.ImmutableMatrix([sp.Symbol(f"w_{{{s}}}", positive=True) for s in range(S)])


def _fisher_matrix(pi_old: sp.ImmutableMatrix, w: sp.ImmutableMatrix) -> sp.Matrix:
    """Block-diagonal, block ``s`` = ``w(s) (diag pi_s - pi_s pi_s^T)`` (THEORY.md §2)."""
    S, A = pi_old.shape
    F = sp.zeros(S * A, S * A)
    for s in range(S):
        p = pi_old.row(s).T
        block = w[s] * (sp.diag(*p) - p * p.T)  # THEORY.md §2: Fisher block
        F[s * A:(s + 1) * A, s * A:(s + 1) * A] = block
    return F


def fisher_from_kl_hessian(A: int = 2, S: int = 1) -> KLHessianFisher:
    """Hessian at ``theta_old`` of ``sum_s w(s) KL(pi_old(.|s) || pi_theta(.|s))`` and the Fisher matrix.

    THEORY.md §2: for a tabular softmax policy the Hessian in ``theta`` at ``theta = theta_old`` of
    the weighted KL(pi_old || pi_theta) of [TRPO] (Eq. 9, 11, 12) is block-diagonal with block
    ``w(s) (diag pi_s - pi_s pi_s^T)``, each block singular (rank A - 1, null vector ``1``).

    ``S = 1`` gives the single-state case with weight 1; ``S > 1`` uses positive weight symbols
    ``w_s``. The Hessian is computed by sympy differentiation of
    ``KL = sum_a pi_old(a) (log pi_old(a) - log pi_theta(a))``.

    Examples
    --------
    >>> import sympy as sp
    >>> from bounds.symbolic import exp_to_symbols, fisher_from_kl_hessian
    >>> res = fisher_from_kl_hessian(A=2, S=1)
    >>> diff, _ = exp_to_symbols(res.hessian - res.fisher)
    >>> print(diff.applyfunc(sp.cancel))
    Matrix([[0, 0], [0, 0]])
    """
    A, S = check_size(A, "A"), check_size(S, "S")
    new = softmax_policy(S, A, "theta")
    old = softmax_policy(S, A, "theta_old")
    w = _state_weights(S)
    kl = sp.Add(*[w[s] * old.pi[s, a] * (sp.log(old.pi[s, a]) - sp.log(new.pi[s, a]))
                  for s in range(S) for a in range(A)])
    flat = [new.theta[s, a] for s in range(S) for a in range(A)]
    at_old = {new.theta[s, a]: old.theta[s, a] for s in range(S) for a in range(A)}
    grad = [sp.diff(kl, x) for x in flat]
    n = S * A
    H = sp.Matrix(n, n, lambda i, j: sp.diff(grad[i], flat[j]).subs(at_old))
    return KLHessianFisher(theta=new.theta, theta_old=old.theta, pi_old=old.pi, weights=w, kl=kl,
                           hessian=sp.ImmutableMatrix(H), fisher=sp.ImmutableMatrix(_fisher_matrix(old.pi, w)))


# ============================================================================ CPI step size
@dataclass(frozen=True, eq=False)
class CPIStep:
    """The step size maximizing the CPI lower bound, Eq. (6) of [TRPO] (THEORY.md §3).

    Attributes
    ----------
    alpha, Abar, eps, gamma : Symbols (``Abar`` = 𝔸', ``eps`` = eps', both positive; 0 < gamma < 1).
    f : ``alpha Abar - 2 eps gamma alpha^2 / (1 - gamma)^2``, the guaranteed gain
        ``L_pi(pi_new) - eta(pi) - penalty`` of Eq. (6) for the mixture ``(1 - alpha) pi + alpha pi'``.
    f_prime, f_second : first and second derivatives in ``alpha``.
    alpha_star : the unique root of ``f_prime`` (unconstrained maximizer).
    gain : ``f(alpha_star)``.
    alpha_star_clipped : ``Min(1, alpha_star)``, the maximizer over ``alpha`` in [0, 1].
    concave : bool, whether ``f_second < 0`` was proved for all ``0 < gamma < 1``, ``eps > 0``.

    Examples
    --------
    >>> from bounds.symbolic import CPIStep, derive_cpi_alpha_star
    >>> step = derive_cpi_alpha_star()
    >>> print(isinstance(step, CPIStep), step.concave)
    True True
    >>> print(step.f_prime.subs(step.alpha, step.alpha_star).simplify())
    0
    """

    alpha: sp.Symbol
    Abar: sp.Symbol
    eps: sp.Symbol
    gamma: sp.Symbol
    f: sp.Expr
    f_prime: sp.Expr
    f_second: sp.Expr
    alpha_star: sp.Expr
    gain: sp.Expr
    alpha_star_clipped: sp.Expr
    concave: bool


def derive_cpi_alpha_star() -> CPIStep:
    """Derive the step ``alpha*`` maximizing the bound of Eq. (6) of [TRPO].

    For ``pi_new = (1 - alpha) pi + alpha pi'``, ``L_pi(pi_new) - eta(pi) = alpha 𝔸'`` with
    ``𝔸' = sum_s rho_pi(s) sum_a pi'(a|s) A_pi(s, a)``, so Eq. (6) guarantees
    ``eta(pi_new) - eta(pi) >= f(alpha) = alpha 𝔸' - 2 eps' gamma alpha^2 / (1 - gamma)^2``.
    Solving ``f'(alpha) = 0``: ``alpha* = (1 - gamma)^2 𝔸' / (4 gamma eps')`` with gain
    ``f(alpha*) = (1 - gamma)^2 𝔸'^2 / (8 gamma eps')`` (THEORY.md §3). ``f'' < 0`` is proved
    by writing ``gamma = 1 / (1 + k)`` with ``k > 0``.

    This is the symbolic derivation; :func:`bounds.inequalities.cpi_alpha_star` evaluates ``alpha*`` as a
    float for a given MDP and policy pair.

    Examples
    --------
    >>> import sympy as sp
    >>> from bounds.symbolic import derive_cpi_alpha_star
    >>> step = derive_cpi_alpha_star()
    >>> Abar, eps, gamma = step.Abar, step.eps, step.gamma
    >>> print(sp.simplify(step.alpha_star - (1 - gamma) ** 2 * Abar / (4 * gamma * eps)))
    0
    >>> print(sp.simplify(step.gain - (1 - gamma) ** 2 * Abar ** 2 / (8 * gamma * eps)))
    0
    >>> print(step.alpha_star.subs({Abar: 1, eps: 1, gamma: sp.Rational(1, 2)}))
    1/8
    """
    alpha = sp.Symbol("alpha", nonnegative=True)
    Abar = sp.Symbol("Abar", positive=True)
    eps = sp.Symbol("epsilon", positive=True)
    gamma = sp.Symbol("gamma", positive=True)
    f = alpha * Abar - 2 * eps * gamma * alpha ** 2 / (1 - gamma) ** 2  # Eq. (6) with L - eta = alpha Abar
    f1 = sp.diff(f, alpha)
    f2 = sp.diff(f, alpha, 2)
    roots = sp.solve(sp.Eq(f1, 0), alpha)
    if len(roots) != 1:
        raise ValueError(f"expected one stationary point of f, got {roots}")  # pragma: no cover
    alpha_star = sp.factor(roots[0])
    gain = sp.factor(sp.cancel(f.subs(alpha, alpha_star)))
    k = sp.Symbol("k", positive=True)  # gamma = 1/(1+k) ranges over (0, 1) as k ranges over (0, inf)
    concave = bool(sp.cancel(f2.subs(gamma, 1 / (1 + k))).is_negative)
    return CPIStep(alpha=alpha, Abar=Abar, eps=eps, gamma=gamma, f=f, f_prime=f1, f_second=f2,
                   alpha_star=alpha_star, gain=gain, alpha_star_clipped=sp.Min(1, alpha_star),
                   concave=concave)



# ============================================================================ exact rational check
@dataclass(frozen=True, eq=False)
class RationalCheck:
    """Exact rational values of a random MDP and policy pair, and the residuals of the identities.

    Every residual is an exact sympy Rational and must be exactly ``0``.

    Attributes
    ----------
    mdp : SymbolicMDP (Rational entries); pi, pi_new : ImmutableMatrix (S, A).
    ev, ev_new : SymbolicEvaluation of ``pi`` and ``pi_new`` (method "lu").
    eta, eta_new : Rationals; L : ``L_pi(pi_new)`` (Eq. 3).
    rho_sum : ``sum_s rho_pi(s) - 1/(1-gamma)``.
    surrogate_at_pi : ``L_pi(pi) - eta(pi)`` (Eq. 4, first half).
    eq2 : ``eta(pi_new) - eta(pi) - sum_s rho_new(s) sum_a pi_new(a|s) A_pi(s, a)`` (Eq. 2).
    reverse : ``eta(pi_new) - eta(pi) + sum_s rho_pi(s) sum_a pi(a|s) A_new(s, a)`` (THEORY.md §2).
    advantage_sum : tuple, ``sum_a pi(a|s) A_pi(s, a)`` for each state.
    eta_visitation : ``eta(pi) - sum_s rho_pi(s) sum_a pi(a|s) R(s, a)``.

    Examples
    --------
    >>> from bounds.symbolic import RationalCheck, exact_rational_check
    >>> check = exact_rational_check(seed=0)
    >>> print(isinstance(check, RationalCheck), check.all_zero, sorted(check.residuals))
    True True ['advantage_sum[0]', 'advantage_sum[1]', 'eq2', 'eta_visitation', 'reverse', 'rho_sum', 'surrogate_at_pi']
    """

    mdp: SymbolicMDP
    pi: sp.ImmutableMatrix
    pi_new: sp.ImmutableMatrix
    ev: SymbolicEvaluation
    ev_new: SymbolicEvaluation
    eta: sp.Expr
    eta_new: sp.Expr
    L: sp.Expr
    rho_sum: sp.Expr
    surrogate_at_pi: sp.Expr
    eq2: sp.Expr
    reverse: sp.Expr
    advantage_sum: tuple
    eta_visitation: sp.Expr

    @property
    def residuals(self) -> dict:
        """All residuals by name (``advantage_sum`` flattened as ``advantage_sum[s]``)."""
        out = {"rho_sum": self.rho_sum, "surrogate_at_pi": self.surrogate_at_pi, "eq2": self.eq2,
               "reverse": self.reverse, "eta_visitation": self.eta_visitation}
        out.update({f"advantage_sum[{s}]": x for s, x in enumerate(self.advantage_sum)})
        return out

    @property
    def all_zero(self) -> bool:
        """Whether every residual is exactly (sympy ``==``) zero."""
        return all(x == 0 for x in self.residuals.values())


def exact_rational_check(seed=0, *, S: int = 2, A: int = 2, denominator: int = 10) -> RationalCheck:
    """Evaluate a random Rational MDP and policy pair exactly and return the identity residuals.

    ``seed`` is passed to ``np.random.default_rng`` (an int, a Generator or None), which draws the
    MDP (:func:`random_rational_mdp`) and two full-support policies (:func:`random_rational_policy`),
    all with exact sympy Rationals. Checked identities (THEORY.md §1-2): ``sum rho = 1/(1-gamma)``,
    ``L_pi(pi) = eta(pi)`` (Eq. 4), Eq. (2), the reverse form, ``sum_a pi A_pi = 0`` and
    ``eta = sum_s rho(s) sum_a pi(a|s) R(s, a)``.

    Examples
    --------
    >>> from bounds.symbolic import exact_rational_check
    >>> check = exact_rational_check(seed=3, S=3, A=2)
    >>> print(check.all_zero, check.eq2, check.L.is_Rational)
    True 0 True
    """
    rng = np.random.default_rng(seed)
    mdp = random_rational_mdp(S, A, rng, denominator)
    pi = random_rational_policy(S, A, rng, denominator)
    pi_new = random_rational_policy(S, A, rng, denominator)
    ev = evaluate_symbolic(mdp, pi)
    ev_new = evaluate_symbolic(mdp, pi_new)
    g = mdp.gamma
    L = surrogate_symbolic(mdp, pi, pi_new, ev=ev)  # Eq. (3)
    L_same = surrogate_symbolic(mdp, pi, pi, ev=ev)
    p, p_new, adv, adv_new = pi.tolist(), pi_new.tolist(), ev.A.tolist(), ev_new.A.tolist()
    eq2_sum = sp.Add(*visitation_terms(ev_new.rho, p_new, adv))
    rev_sum = sp.Add(*visitation_terms(ev.rho, p, adv_new))
    vis = sp.Add(*visitation_terms(ev.rho, p, mdp.R.tolist()))
    return RationalCheck(
        mdp=mdp, pi=pi, pi_new=pi_new, ev=ev, ev_new=ev_new, eta=ev.eta, eta_new=ev_new.eta, L=L,
        rho_sum=sp.Add(*ev.rho) - 1 / (1 - g),
        surrogate_at_pi=L_same - ev.eta,  # Eq. (4), first half
        eq2=ev_new.eta - ev.eta - eq2_sum,  # Eq. (2)
        reverse=ev_new.eta - ev.eta + rev_sum,  # THEORY.md §2, the reverse form
        advantage_sum=tuple(sp.Add(*[pi[s, a] * ev.A[s, a] for a in range(A)]) for s in range(S)),
        eta_visitation=ev.eta - vis,
    )

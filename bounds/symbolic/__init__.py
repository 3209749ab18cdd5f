"""Exact symbolic (sympy) verification of the identities of [TRPO] (THEORY.md §2-3).

Everything here is exact: sympy expressions in the symbols of a small MDP, or sympy ``Rational``
numbers. Nothing is approximated, and "zero" means the exact sympy ``0``.

Modules, one idea each (imports point down the list):

* :mod:`~bounds.symbolic.exact` -- numbers to exact Rationals, ``exp(theta)`` as symbols, exact row
  sums, and back to floats (:func:`to_float`).
* :mod:`~bounds.symbolic.model` -- the MDP with sympy entries (:class:`SymbolicMDP`,
  :func:`symbolic_mdp`, :func:`from_arrays`), random rational MDPs and policies, :func:`to_tabular`.
* :mod:`~bounds.symbolic.policies` -- :func:`softmax_policy`, :func:`simplex_policy` and the exact
  policy-matrix check.
* :mod:`~bounds.symbolic.ring` -- rational functions in ``QQ[symbols]`` without gcds, and the
  fraction-free evaluation of a policy that makes the proofs fast.
* :mod:`~bounds.symbolic.evaluation` -- :func:`evaluate_symbolic` (two exact routes, ``"lu"`` and
  ``"fraction_free"``) and the surrogate of Eq. (3), :func:`surrogate_symbolic`.
* :mod:`~bounds.symbolic.proofs` -- Eq. (4) for a fully symbolic MDP, the softmax gradient, KL
  Hessian = Fisher, the CPI step of Eq. (6) (:func:`derive_cpi_alpha_star`) and exact rational
  checks of Eq. (2)-(4).

References: [TRPO] Schulman et al. 2015 (arXiv:1502.05477 v5); [KL02] Kakade & Langford 2002.
"""

from .evaluation import SymbolicEvaluation, evaluate_symbolic, surrogate_symbolic
from .exact import exp_to_symbols, to_float
from .model import SymbolicMDP, from_arrays, random_rational_mdp, random_rational_policy, symbolic_mdp, to_tabular
from .policies import SoftmaxPolicy, simplex_policy, softmax_policy
from .proofs import (
    CPIStep,
    KLHessianFisher,
    RationalCheck,
    SoftmaxGradient,
    derive_cpi_alpha_star,
    eta_gradient_symbolic,
    exact_rational_check,
    fisher_from_kl_hessian,
    prove_first_order_match,
    prove_surrogate_matches_eta,
)

__all__ = [
    "SymbolicMDP",
    "SoftmaxPolicy",
    "SymbolicEvaluation",
    "SoftmaxGradient",
    "KLHessianFisher",
    "CPIStep",
    "RationalCheck",
    "symbolic_mdp",
    "from_arrays",
    "random_rational_mdp",
    "random_rational_policy",
    "softmax_policy",
    "simplex_policy",
    "evaluate_symbolic",
    "surrogate_symbolic",
    "prove_surrogate_matches_eta",
    "prove_first_order_match",
    "eta_gradient_symbolic",
    "fisher_from_kl_hessian",
    "derive_cpi_alpha_star",
    "exact_rational_check",
    "to_tabular",
    "to_float",
    "exp_to_symbols",
]

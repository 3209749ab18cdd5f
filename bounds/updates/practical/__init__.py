"""The practical TRPO step: conjugate gradient on Fisher-vector products plus a line search.

[TRPO] (Schulman et al. 2015, arXiv:1502.05477 v5) Sections 5-6 and Appendix C; THEORY.md §5. For a
parameterized policy ``pi_theta`` (:mod:`tabular.parametric`) and a KL radius ``delta``:

1. ``g = grad_theta L_{pi_old}(pi_theta)`` at ``theta_old``, equal to ``grad eta`` (Eq. (4)).
2. Search direction: solve ``(F + damping I) s = g`` by conjugate gradient (``cg_iters`` iterations,
   [TRPO] uses 10), with ``F`` the Fisher matrix = Hessian of the mean KL at ``theta_old``
   (Appendix C), accessed only through Fisher-vector products.
3. Step length: ``beta = sqrt(2 delta / s^T F s)``, so that the quadratic model of the mean KL of
   the full step is ``1/2 beta^2 s^T F s = delta`` (Appendix C). ``F`` here is the *undamped*
   Fisher matrix: the damping only regularizes the direction, not the KL model.
4. Backtracking line search: ``theta_new = theta_old + backtrack^k beta s`` for ``k = 0, 1, ...,
   max_backtracks`` until the surrogate improves, ``L(theta_new) > L(theta_old)`` (or, with
   ``accept_ratio``, the improvement is at least ``accept_ratio`` times the linear prediction
   ``g . (backtrack^k beta s)``), and (``check_kl``) the mean KL is at most ``delta``. If no
   candidate passes, ``theta_old`` is kept. ``line_search=False`` takes the full step (the ablation
   of [TRPO] §6).

The paper names no damping or shrink factor; public implementations use damping 1e-3 ... 0.1 and a
shrink factor 0.5 (10 tries) or 0.8 (10-15 tries). The defaults here (1e-3, 0.8, 10) are one such
choice and are reported in :class:`TRPOStepResult`.

Mean KL: ``sum_s w(s) KL(pi_old(.|s) || pi_theta(.|s))`` with ``w = d_old`` (default,
``weights="d"``, a true expectation ``E_{s~d}[KL]``), ``w = rho_old`` (``"rho"``, the unnormalized sum
written in Eq. (12)) or a given array. The same ``w`` defines ``F``.

Two versions: :func:`trpo_step` on an exact :class:`tabular.MDP` (exact advantages, visitation and
surrogate), and :func:`trpo_step_samples` on samples (the importance-sampled surrogate of Eq. (14)).

Where things are: :mod:`.cg` (conjugate gradient), :mod:`.line_search` (the step length and the
backtracking line search, also used by :mod:`experiments.learners`), :mod:`.step` (the step on exact or sampled
data, its result type), :mod:`.iteration` (sample-based TRPO iterated), :mod:`.compare` (the
practical step against the exact trust region).

Conjugate gradient: ``cg="scipy"`` (default) uses :func:`scipy.sparse.linalg.cg` on a
:class:`~scipy.sparse.linalg.LinearOperator`; ``cg="own"`` runs the same textbook recursion
written out (as in [TRPO]'s reference code). Measured on Garnet/softmax (S*A = 30 ... 10^4) and a
log-linear problem with 10 iterations and damping 1e-3: identical relative residuals to all printed
digits, and the written-out loop 1.2-1.7x faster per solve (0.5 vs 0.6-0.9 ms at S*A <= 500). Both
are negligible next to the exact policy evaluation of each step, so scipy stays the default.

Convergence to the exact solution (measured, tabular softmax, ``damping=0``, CG run to convergence,
full step): as ``delta -> 0`` the angle between the practical and the exact policy change and the
relative surrogate shortfall ``1 - improvement ratio`` shrink like ``sqrt(delta)``; the gap
``L_exact(delta) - L_practical`` shrinks only like ``delta`` (part of it is the KL mismatch of the
quadratic model, ``O(delta^{3/2})`` in KL times ``dL/dKL ~ delta^{-1/2}``), while the gap at matched
KL, ``L_exact(KL_practical) - L_practical``, shrinks like ``delta^{3/2}``.
"""

from .cg import CG_RTOL, conjugate_gradient
from .compare import ExactComparison, compare_with_exact
from .iteration import SampleTRPOHistory, sample_trpo
from .line_search import FullStep, LineSearchResult, backtracking_line_search, full_step
from .step import TRPOStepResult, trpo_step, trpo_step_samples

__all__ = [
    "TRPOStepResult",
    "trpo_step_samples",
    "SampleTRPOHistory",
    "sample_trpo",
    "ExactComparison",
    "trpo_step",
    "conjugate_gradient",
    "compare_with_exact",
    "CG_RTOL",
    "FullStep",
    "full_step",
    "LineSearchResult",
    "backtracking_line_search",
]

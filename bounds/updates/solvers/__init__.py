"""Exact solvers for the per-state convex problems behind the updates of Section 7 of [TRPO].

Every problem here maximizes the surrogate's advantage term ``sum_s rho(s) sum_a p(a|s) A(s, a)``
(Eq. (3) of [TRPO] without the constant ``eta``) over policies ``p`` under a penalty or a constraint
that is separable over states, or couples the states through a single scalar (a common KL level,
a common multiplier or a common TV radius). Each problem has two solvers:

* ``solver="fast"``: closed forms plus 1-D root finding, vectorized over all states at once.
* ``solver="cvxpy"``: the same convex program in cvxpy, solved by Clarabel (exponential cones),
  used as the independent reference (:mod:`.reference`). A status other than ``optimal`` raises
  :class:`SolverError`.

Where things are:

* :mod:`.base` -- the validated :class:`Problem`, the :class:`Solution` type, :class:`SolverError`.
* :mod:`.rows` -- the per-state KL-penalized row problem (closed form + row-sum root), the KL level.
* :mod:`.roots` -- the vectorized safeguarded Newton root finder for the multipliers.
* :mod:`.kl` -- KL penalty and constraint per state, max-KL (Eq. 11) and mean-KL (Eq. 12) regions.
* :mod:`.algorithm1` -- Algorithm 1 (max-KL penalty), with an explicit ``method=``.
* :mod:`.tv` -- per-state TV constraint and Theorem 1's max-TV^2 penalty.
* :mod:`.reverse_kl` -- the reverse-KL penalty (exact NPG).
* :mod:`.reference` -- every cvxpy/Clarabel reference program, in one place.

Notation: ``A`` is an ``(S, A)`` array of advantages (any real array works), ``pi`` the old policy
``pi[s, a] = pi(a|s)``, ``rho`` state weights (the unnormalized visitation ``rho_pi`` of [TRPO] in
the updates), ``KL_s = KL(pi(.|s) || p(.|s))``, the direction of [TRPO] Eq. (9), (11), (12).
"""

from .algorithm1 import METHODS, max_kl_penalty, solve_max_kl_penalty
from .base import ROOTS, SOLVERS, Problem, Solution, SolverError, kl_rows, reverse_kl_rows, tv_rows
from .kl import (
    kl_constraint,
    kl_penalty,
    max_kl,
    mean_kl,
    solve_kl_constraint,
    solve_kl_penalty,
    solve_max_kl,
    solve_mean_kl,
)
from .reference import CLARABEL_OPTIONS, CLARABEL_RETRY_OPTIONS
from .reverse_kl import reverse_kl_penalty, solve_reverse_kl_penalty
from .roots import C_MAX, C_MIN
from .rows import FLAT_RTOL
from .tv import max_tv_sq_penalty, solve_max_tv_sq_penalty, solve_tv_constraint, tv_constraint

__all__ = [
    "SolverError",
    "Solution",
    "Problem",
    "solve_kl_penalty",
    "solve_kl_constraint",
    "solve_max_kl",
    "solve_mean_kl",
    "solve_max_kl_penalty",
    "solve_tv_constraint",
    "solve_max_tv_sq_penalty",
    "solve_reverse_kl_penalty",
    "kl_penalty",
    "kl_constraint",
    "max_kl",
    "mean_kl",
    "max_kl_penalty",
    "tv_constraint",
    "max_tv_sq_penalty",
    "reverse_kl_penalty",
    "kl_rows",
    "reverse_kl_rows",
    "tv_rows",
    "FLAT_RTOL",
    "CLARABEL_OPTIONS",
    "CLARABEL_RETRY_OPTIONS",
    "METHODS",
    "SOLVERS",
    "ROOTS",
    "C_MIN",
    "C_MAX",
]

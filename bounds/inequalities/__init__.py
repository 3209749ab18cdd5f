"""Every policy-improvement bound of THEORY.md §3, computed exactly, with its constants.

A bound compares the true ``eta(pi_new)`` with a lower bound ``rhs = L_pi(pi_new) - penalty`` built
from quantities of the *old* policy ``pi``. Each function returns a :class:`BoundResult` tied to its
equation; :func:`check_all` returns all of them as a printable :class:`BoundTable`.

Conventions (THEORY.md §1): ``L_pi`` is Eq. (3) of [TRPO] with the **unnormalized** visitation
``rho_pi`` (sums to ``1/(1-gamma)``); ``d_pi = (1-gamma) rho_pi`` is the normalized one used by
[CPO]. ``eps = max_{s,a} |A_pi(s, a)|``, ``alpha = D_TV^max(pi, pi_new)``,
``C = 4 eps gamma / (1-gamma)^2``, ``Abar(s) = sum_a pi_new(a|s) A_pi(s, a)``. KL divergences are
``KL(pi || pi_new)`` (the [TRPO] direction) unless a bound says otherwise ([CPO] Cor. 3 uses
``KL(pi_new || pi)``).

Infinite divergences: a KL bound whose divergence is ``+inf`` has ``penalty = +inf``,
``rhs = -inf``, ``slack = +inf`` and ``holds = True`` -- never NaN. A zero coefficient times an
infinite divergence is taken as 0 (the bound with a zero coefficient is ``eta >= L``, which is exact
when ``C = 0``: ``gamma = 0`` or all advantages vanish).

Every penalty is written once, as a record of the registry (:mod:`bounds.registry`); the functions here
evaluate those records on one instance. Where things are: :mod:`.results` (the result types, the tolerance, ``assert_bound``), :mod:`.base`
(the validated instance and its quantities, eps and the theory C), :mod:`.trpo` (Theorem 1, Eq. (44), Eq. (9)),
:mod:`.cpi` (Eq. (6), [KL02], alpha*), :mod:`.cpo` ([CPO] Corollaries 1, 3 and Theorem 1), :mod:`.spi`,
:mod:`.span`, :mod:`.check` (``check_all``).
"""

from .base import epsilon_of, theory_C, theory_C_of
from .check import assert_bound, check_all, check_bound
from .cpi import cpi_alpha_star, cpi_alpha_star_of, cpi_bound, cpi_decomposition, cpi_terms, kl02_bound
from .cpo import cpo_bound, cpo_f_tightening, cpo_general_bound
from .results import RTOL, BoundResult, BoundTable, default_atol
from .span import span_bound
from .spi import spi_bound
from .trpo import kl_bound, theorem1, theorem1_tight

__all__ = [
    "BoundResult", "BoundTable", "theory_C", "theory_C_of", "epsilon_of", "cpi_terms", "cpi_alpha_star_of",
    "theorem1", "theorem1_tight", "kl_bound", "cpi_bound", "kl02_bound", "cpi_alpha_star", "cpi_decomposition",
    "cpo_bound", "cpo_general_bound", "cpo_f_tightening", "spi_bound", "span_bound", "check_all", "check_bound",
    "assert_bound", "default_atol", "RTOL",
]

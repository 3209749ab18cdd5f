"""Every bound of THEORY.md §3 on one instance, as a :class:`~bounds.inequalities.results.BoundTable`."""

from __future__ import annotations

from .base import prepare
from .cpi import cpi_decomposition, cpi_result_of
from .cpo import cpo_bound_of, cpo_general_of
from .results import BoundTable
from .span import span_bound_of
from .spi import spi_bound_of
from .trpo import kl_bound_of, theorem1_of, theorem1_tight_of

__all__ = ["check_all"]

def check_all(mdp, pi, pi_new, *, ev=None, atol=None) -> BoundTable:
    """Evaluate every bound of THEORY.md §3 on ``(mdp, pi, pi_new)``.

    The CPI bounds (Eq. (6) and [KL02] Thm 4.1) are applied through the smallest mixture
    decomposition ``pi_new = (1-alpha) pi + alpha pi'`` (:func:`cpi_decomposition`), so they apply to
    every pair. Both policies are evaluated once and shared by all bounds. The last entry,
    ``"cpo_general"``, is [CPO] Theorem 1 with ``f = T_{pi_new} V_pi`` (:func:`cpo_general_bound`).
    """
    inst = prepare(mdp, pi, pi_new, ev, None, atol)
    alpha, pi_prime = cpi_decomposition(inst.pi, inst.pi_new)
    return BoundTable(results=(
        theorem1_of(inst),
        theorem1_tight_of(inst),
        kl_bound_of(inst, "pollard"),
        kl_bound_of(inst, "pinsker"),
        cpi_result_of(inst, pi_prime, alpha, "cpi"),
        cpi_result_of(inst, pi_prime, alpha, "kl02"),
        cpo_bound_of(inst, 1),
        cpo_bound_of(inst, 3),
        spi_bound_of(inst),
        span_bound_of(inst),
        cpo_general_of(inst, None),
    ))

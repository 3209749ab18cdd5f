"""The resolvent-span bound derived for this project (THEORY.md §3), two-sided; the penalty is the
registry's ``"span"`` record."""

from __future__ import annotations

from .base import one_result, prepare
from .results import BoundResult

__all__ = ["span_bound"]


def span_bound(mdp, pi, pi_new, *, ev=None, ev_new=None, atol=None) -> BoundResult:
    """The resolvent-span bound of THEORY.md §3 (derived for this project), two-sided::

        |eta(pi_new) - L_pi(pi_new)| <= (gamma/(1-gamma)) sum_s d_pi(s) D_TV(s) (max w - min w),
        w = (I - gamma P_{pi_new})^{-1} Abar.

    Proof: ``eta(pi_new) - L = gamma rho_pi^T (P_{pi_new} - P_pi) w``; each row of
    ``P_{pi_new} - P_pi`` sums to zero and has l1 norm at most ``2 D_TV(s)``. ``w`` is the value of
    ``pi_new`` for the state reward ``Abar``, computed by an exact evaluation.
    """
    return one_result("span", prepare(mdp, pi, pi_new, ev, ev_new, atol))


span_bound.__bound__ = "span"

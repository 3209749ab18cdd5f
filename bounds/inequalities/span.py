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

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import span_bound, theorem1
    >>> m = T.two_state(0.9); pi = T.uniform(m); pn = T.random_policy(m, rng=0)
    >>> r = span_bound(m, pi, pn)
    >>> print(r.holds, f"{r.slack:.4f}", r.upper >= r.eta_new, r.rhs >= theorem1(m, pi, pn).rhs)
    True 0.0265 True True
    """
    return one_result("span", prepare(mdp, pi, pi_new, ev, ev_new, atol))


span_bound.__bound__ = "span"

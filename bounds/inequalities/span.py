"""The resolvent-span bound derived for this project (THEORY.md §3), two-sided."""

from __future__ import annotations

import numpy as np

from tabular import divergences as dv
from tabular.evaluation import evaluate

from .base import Instance, make_result, prepare
from .results import BoundResult

__all__ = ["span_bound", "span_bound_of"]

def span_bound(mdp, pi, pi_new, *, ev=None, ev_new=None, atol=None) -> BoundResult:
    """The resolvent-span bound of THEORY.md §3 (derived for this project), two-sided::

        |eta(pi_new) - L_pi(pi_new)| <= (gamma/(1-gamma)) sum_s d_pi(s) D_TV(s) (max w - min w),
        w = (I - gamma P_{pi_new})^{-1} Abar.

    Proof: ``eta(pi_new) - L = gamma rho_pi^T (P_{pi_new} - P_pi) w``; each row of
    ``P_{pi_new} - P_pi`` sums to zero and has l1 norm at most ``2 D_TV(s)``. ``w`` is the value of
    ``pi_new`` for the state reward ``Abar``, computed by an exact evaluation.
    """
    return span_bound_of(prepare(mdp, pi, pi_new, ev, ev_new, atol))


def span_bound_of(inst: Instance) -> BoundResult:
    g = inst.mdp.gamma
    mdp = inst.mdp
    w = evaluate(mdp.with_rewards(inst.Abar), inst.pi_new).V  # w = (I - gamma P_new)^{-1} Abar
    span = float(np.max(w) - np.min(w))
    mean_tv_d = dv.weighted_mean(dv.tv_unchecked(inst.pi, inst.pi_new), inst.ev.d)
    penalty = g / (1.0 - g) * mean_tv_d * span
    return make_result(inst, "span", "THEORY.md §3 resolvent-span bound", penalty, True,
                   dict(span_w=span, mean_tv_d=mean_tv_d, gamma=g),
                   "two-sided; TV averaged over normalized d_pi")

"""The per-state numbers the explore pictures show (numpy only, no drawing).

For one policy ``pi`` (THEORY.md §1-2): ``V_pi``, the visitation ``rho_pi`` (unnormalized, sums to
``1/(1-gamma)``) and ``d_pi = (1-gamma) rho_pi``, and the per-state contribution to ``eta``,
``rho_pi(s) r_pi(s)`` (it sums to ``eta(pi)``, THEORY.md §2).

For one step ``pi -> pi_new`` (:func:`step_terms`): per-state ``D_TV``, ``KL(pi || pi_new)`` (``+inf``
where ``pi_new`` drops an action ``pi`` uses), the expected advantage
``Abar(s) = sum_a pi_new(a|s) A_pi(s, a)`` (:func:`tabular.expected_advantage`), ``V_new - V`` and the
per-state terms of the surrogate's error,

    eta(pi_new) - L_pi(pi_new) = sum_s (rho_new(s) - rho(s)) Abar(s),

which is Eq. (2) of [TRPO] minus Eq. (3): both add ``sum_s rho(s) Abar(s)``-type sums to ``eta(pi)``,
Eq. (2) with the new policy's visitation, Eq. (3) with the old one's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import tabular as T

__all__ = ["PolicyPicture", "StepTerms", "policy_picture", "step_terms"]


@dataclass(frozen=True, eq=False)
class PolicyPicture:
    """What the maps of one policy show; every array has shape (S,) except ``pi`` (S, A)."""

    pi: np.ndarray
    V: np.ndarray
    rho: np.ndarray
    d: np.ndarray
    eta_contribution: np.ndarray  # rho(s) r_pi(s); sums to eta
    eta: float
    ev: T.Evaluation


def policy_picture(mdp: T.MDP, pi) -> PolicyPicture:
    """Evaluate ``pi`` exactly and collect the per-state quantities drawn for it."""
    ev = T.evaluate(mdp, pi)
    contrib = ev.rho * ev.r_pi  # eta = sum_s rho(s) r_pi(s) (THEORY.md §2)
    return PolicyPicture(pi=ev.pi, V=ev.V, rho=ev.rho, d=ev.d, eta_contribution=contrib, eta=ev.eta, ev=ev)


@dataclass(frozen=True, eq=False)
class StepTerms:
    """Per-state quantities of a step ``pi -> pi_new`` (arrays of shape (S,)).

    Attributes
    ----------
    old, new : :class:`PolicyPicture` of ``pi`` and ``pi_new``.
    tv : ``D_TV(pi(.|s), pi_new(.|s))``.  kl : ``KL(pi(.|s) || pi_new(.|s))``, may hold ``inf``.
    Abar : ``sum_a pi_new(a|s) A_pi(s, a)``.  dV : ``V_new - V``.
    terms : ``(rho_new(s) - rho(s)) Abar(s)``; they sum to ``eta_new - surrogate``.
    eta, eta_new, surrogate : ``eta(pi)``, ``eta(pi_new)``, ``L_pi(pi_new)`` (Eq. (3)).
    """

    old: PolicyPicture
    new: PolicyPicture
    tv: np.ndarray
    kl: np.ndarray
    Abar: np.ndarray
    dV: np.ndarray
    terms: np.ndarray
    eta: float
    eta_new: float
    surrogate: float

    @property
    def gap(self) -> float:
        """``eta(pi_new) - L_pi(pi_new)``, from the two evaluations (not from ``terms``)."""
        return self.eta_new - self.surrogate


def step_terms(mdp: T.MDP, pi, pi_new) -> StepTerms:
    """The per-state quantities of the step ``pi -> pi_new`` (see the module docstring)."""
    old = policy_picture(mdp, pi)
    new = policy_picture(mdp, pi_new)
    Abar = T.expected_advantage(mdp, old.pi, new.pi, ev=old.ev)
    L = T.surrogate(mdp, old.pi, new.pi, ev=old.ev)  # Eq. (3)
    terms = (new.rho - old.rho) * Abar  # Eq. (2) - Eq. (3), state by state
    return StepTerms(old=old, new=new, tv=T.tv(old.pi, new.pi), kl=T.kl(old.pi, new.pi), Abar=Abar,
                     dV=new.V - old.V, terms=terms, eta=old.eta, eta_new=new.eta, surrogate=L)

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
    """What the maps of one policy show; every array has shape (S,) except ``pi`` (S, A).

    Examples
    --------
    >>> import tabular as T
    >>> from experiments.explore.quantities import policy_picture
    >>> mdp = T.make("mdp_x", gamma=0.9)
    >>> pic = policy_picture(mdp, T.uniform(mdp))
    >>> print(pic.pi.shape, pic.V.shape, f"{float(pic.d.sum()):.6f}")
    (3, 2) (3,) 1.000000
    """

    pi: np.ndarray
    V: np.ndarray
    rho: np.ndarray
    d: np.ndarray
    eta_contribution: np.ndarray  # rho(s) r_pi(s); sums to eta
    eta: float
    ev: T.Evaluation


def policy_picture(mdp: T.MDP, pi) -> PolicyPicture:
    """Evaluate ``pi`` exactly and collect the per-state quantities drawn for it.

    Examples
    --------
    >>> import tabular as T
    >>> from experiments.explore.quantities import policy_picture
    >>> mdp = T.make("gridworld", height=3, width=3, gamma=0.9)
    >>> pic = policy_picture(mdp, T.uniform(mdp))
    >>> print(f"{float(pic.eta_contribution.sum()):.8f}" == f"{pic.eta:.8f}")  # sums to eta (THEORY.md §2)
    True
    >>> print(f"{float(pic.rho.sum()):.6f}")  # 1 / (1 - gamma)
    10.000000
    """
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

    Examples
    --------
    >>> import bounds as B
    >>> import tabular as T
    >>> from experiments.explore.quantities import step_terms
    >>> mdp = T.make("mdp_x", gamma=0.9)
    >>> pi = T.uniform(mdp)
    >>> st = step_terms(mdp, pi, B.trust_region_step(mdp, pi, delta=0.05).pi_new)
    >>> print(bool(st.kl.max() <= 0.05 + 1e-9), abs(st.gap - float(st.terms.sum())) < 1e-12)
    True True
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
    """The per-state quantities of the step ``pi -> pi_new`` (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> import bounds as B
    >>> import tabular as T
    >>> from experiments.explore.quantities import step_terms
    >>> mdp = T.make("chain", n=5, gamma=0.9)
    >>> pi = T.uniform(mdp)
    >>> st = step_terms(mdp, pi, B.cpi_step(mdp, pi, alpha=0.3).pi_new)
    >>> print(np.allclose(st.dV, T.evaluate(mdp, st.new.pi).V - T.evaluate(mdp, pi).V))
    True
    >>> eta_L = T.evaluate(mdp, st.new.pi).eta - T.surrogate(mdp, pi, st.new.pi)  # Eq. (2) - Eq. (3)
    >>> print(abs(float(st.terms.sum()) - eta_L) < 1e-10)
    True
    """
    old = policy_picture(mdp, pi)
    new = policy_picture(mdp, pi_new)
    Abar = T.expected_advantage(mdp, old.pi, new.pi, ev=old.ev)
    L = T.surrogate(mdp, old.pi, new.pi, ev=old.ev)  # Eq. (3)
    terms = (new.rho - old.rho) * Abar  # Eq. (2) - Eq. (3), state by state
    return StepTerms(old=old, new=new, tv=T.tv(old.pi, new.pi), kl=T.kl(old.pi, new.pi), Abar=Abar,
                     dV=new.V - old.V, terms=terms, eta=old.eta, eta_new=new.eta, surrogate=L)

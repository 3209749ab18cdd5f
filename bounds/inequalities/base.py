"""What every bound shares: one validated instance ``(mdp, pi, pi_new)`` with both evaluations, the
result builder, and the constants of Theorem 1 (eps, C; THEORY.md §3)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from tabular.evaluation import Evaluation, expected_advantage_of, resolve_evaluation, surrogate_of
from tabular.mdp import MDP
from tabular.validation import as_policy, check_mdp, check_tolerance

from .results import BoundResult, default_atol

__all__ = ["Instance", "prepare", "make_result", "epsilon_of", "theory_C", "theory_C_of", "NOTE_TRPO"]

@dataclass(frozen=True)
class Instance:
    mdp: MDP
    pi: np.ndarray
    pi_new: np.ndarray
    ev: Evaluation
    ev_new: Evaluation
    L: float
    Abar: np.ndarray
    atol: float




def prepare(mdp, pi, pi_new, ev=None, ev_new=None, atol=None) -> Instance:
    mdp = check_mdp(mdp)
    pi = as_policy(pi, mdp.n_states, mdp.n_actions, name="pi")
    pi_new = as_policy(pi_new, mdp.n_states, mdp.n_actions, name="pi_new")
    ev = resolve_evaluation(mdp, pi, ev)
    ev_new = resolve_evaluation(mdp, pi_new, ev_new)
    Abar = expected_advantage_of(ev, pi_new)  # THEORY.md §2
    L = surrogate_of(ev, pi_new)  # Eq. (3)
    atol = default_atol(mdp) if atol is None else check_tolerance(atol, "atol")
    return Instance(mdp, pi, pi_new, ev, ev_new, L, Abar, atol)


def make_result(inst: Instance, name, source, penalty, two_sided, constants, notes) -> BoundResult:
    penalty = float(penalty)
    if math.isnan(penalty):
        raise FloatingPointError(f"bound {name}: penalty is NaN (constants {constants})")
    rhs = inst.L - penalty
    eta_new = inst.ev_new.eta
    slack = eta_new - rhs
    holds = slack >= -inst.atol
    if two_sided:
        holds = holds and (eta_new <= inst.L + penalty + inst.atol)
    return BoundResult(
        name=name, source=source, eta=inst.ev.eta, eta_new=eta_new, surrogate=inst.L,
        penalty=penalty, rhs=rhs, slack=slack, holds=bool(holds), two_sided=two_sided,
        atol=inst.atol, constants=MappingProxyType({k: float(v) for k, v in constants.items()}),
        notes=notes,
    )


def epsilon_of(ev: Evaluation) -> float:
    """``eps = max_{s,a} |A_pi(s, a)|`` of Theorem 1 of [TRPO] (THEORY.md §3), from an evaluation of ``pi``."""
    return float(np.max(np.abs(ev.A)))


def theory_C(mdp: MDP, pi, ev: Evaluation | None = None) -> float:
    """The coefficient ``C = 4 eps gamma / (1-gamma)^2``, ``eps = max_{s,a} |A_pi(s,a)|`` (Eq. (8)-(9))."""
    return theory_C_of(resolve_evaluation(mdp, pi, ev))


def theory_C_of(ev: Evaluation) -> float:
    """:func:`theory_C` from an evaluation already checked against its policy (no re-validation)."""
    return 4.0 * epsilon_of(ev) * ev.gamma / (1.0 - ev.gamma) ** 2  # Eq. (8)


NOTE_TRPO = "rho unnormalized (sums to 1/(1-gamma)); L by Eq. (3)"

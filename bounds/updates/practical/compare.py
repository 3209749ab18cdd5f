"""The practical step against the exact mean-KL trust-region solution (Eq. (12), weights ``d``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tabular.evaluation import evaluate, surrogate_of
from tabular.divergences import kl as kl_per_state
from tabular.mdp import MDP
from tabular.parametric import TabularSoftmax
from tabular.validation import check_mdp, check_real, summary_repr

from ..steps import trust_region_step
from .step import TRPOStepResult, trpo_step

__all__ = ["ExactComparison", "compare_with_exact"]


@dataclass(frozen=True, eq=False)
class ExactComparison:
    """The practical step against the exact mean-KL trust-region solution (Eq. (12), weights ``d``).

    Attributes
    ----------
    step : TRPOStepResult, the practical step.
    pi, pi_practical, pi_exact : (S, A) old policy and the two new policies.
    eta_old : float.
    surrogate_practical, surrogate_exact : float, ``L_pi`` of each new policy (Eq. (3)).
    improvement_practical, improvement_exact : float, ``L - eta_old`` of each.
    improvement_ratio : float, ``improvement_practical / improvement_exact`` (NaN-free: 1.0 when both
        are zero, i.e. ``pi`` is optimal).
    surrogate_gap : float, ``L_exact(delta) - L_practical`` (negative when the practical step
        overshoots the KL radius and so reaches more surrogate than the radius allows).
    surrogate_gap_matched : float, ``L_exact(kl_practical) - L_practical``: the gap to the exact
        optimum *at the KL the practical step actually moved* (>= 0 up to solver tolerance).
    kl_practical, kl_exact : float, mean KL (weights ``d``) moved by each.
    kl_overshoot : float, ``kl_practical - delta``.
    angle : float, radians, between ``vec(pi_practical - pi)`` and ``vec(pi_exact - pi)``.
    eta_practical, eta_exact : float, exact ``eta`` of the new policies.
    delta : float.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from tabular.parametric import TabularSoftmax
    >>> from bounds.updates.practical.compare import compare_with_exact
    >>> c = compare_with_exact(T.garnet(4, 2, rng=0), TabularSoftmax(4, 2), np.zeros(8), 0.01)
    >>> print(f"{c.improvement_ratio:.4f} {c.kl_exact:.4f}", c.surrogate_exact >= c.surrogate_practical)
    0.9976 0.0100 True
    """

    step: TRPOStepResult
    pi: np.ndarray
    pi_practical: np.ndarray
    pi_exact: np.ndarray
    eta_old: float
    surrogate_practical: float
    surrogate_exact: float
    improvement_practical: float
    improvement_exact: float
    improvement_ratio: float
    surrogate_gap: float
    surrogate_gap_matched: float
    kl_practical: float
    kl_exact: float
    kl_overshoot: float
    angle: float
    eta_practical: float
    eta_exact: float
    delta: float

    def __repr__(self) -> str:
        return summary_repr(self, ('eta_old', 'improvement_practical', 'improvement_exact', 'improvement_ratio', 'kl_practical', 'kl_exact', 'angle', 'delta'))



def compare_with_exact(mdp: MDP, policy: TabularSoftmax, theta, delta: float, **step_kwargs) -> ExactComparison:
    """Compare the practical step with the exact mean-KL trust-region solution of Eq. (12).

    The exact step is ``bounds.updates.trust_region_step(mdp, pi, delta, constraint="mean",
    weights="d")``: ``max_p L_pi(p) s.t. sum_s d(s) KL(pi(.|s) || p(.|s)) <= delta`` over *all*
    policies -- which the tabular softmax can represent (its solution has full support when ``pi``
    has), so the practical step is an approximation of the same problem. ``step_kwargs`` go to
    :func:`trpo_step` (its ``weights`` is fixed to ``"d"``).

    Reports the surrogate gap ``L_exact - L_practical`` at the radius ``delta`` and at the KL the
    practical step actually moved, the KL overshoot ``KL_practical - delta``, the improvement
    ratio and the angle between ``vec(pi_practical - pi)`` and ``vec(pi_exact - pi)``.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from tabular.parametric import TabularSoftmax
    >>> from bounds.updates.practical.compare import compare_with_exact
    >>> c = compare_with_exact(T.garnet(4, 2, rng=0), TabularSoftmax(4, 2), np.zeros(8), 0.01)
    >>> c
    ExactComparison(eta_old=4.12106, improvement_practical=0.427253, improvement_exact=0.428261, ...)
    >>> bool(c.improvement_practical <= c.improvement_exact), bool(c.angle < 0.01)  # radians
    (True, True)
    """
    if not isinstance(policy, TabularSoftmax):
        raise TypeError(f"compare_with_exact needs a TabularSoftmax policy (the exact problem is over all "
                        f"tabular policies), got {type(policy).__name__}")
    if "weights" in step_kwargs:
        raise ValueError("compare_with_exact fixes weights='d' (the exact problem's weights)")
    mdp = check_mdp(mdp)
    theta = policy.check_theta(theta)
    delta = check_real(delta, "delta", positive=True)
    pi = policy.probs(theta)
    ev = evaluate(mdp, pi)
    step = trpo_step(mdp, policy, theta, delta, weights="d", ev=ev, **step_kwargs)
    pi_p = policy.probs(step.theta_new)
    ex = trust_region_step(mdp, pi, delta, constraint="mean", weights="d", ev=ev)  # Eq. (12)
    pi_e = ex.pi_new
    L_p, L_e = surrogate_of(ev, pi_p), surrogate_of(ev, pi_e)
    kl_p = step.actual_kl
    kl_e = float(ev.d @ kl_per_state(pi, pi_e))
    if kl_p > 0:
        L_match = surrogate_of(ev, trust_region_step(mdp, pi, kl_p, constraint="mean", weights="d",
                                                   ev=ev).pi_new)
    else:
        L_match = float(ev.eta)
    imp_p, imp_e = L_p - float(ev.eta), L_e - float(ev.eta)
    ratio = imp_p / imp_e if imp_e > 0 else 1.0
    u, v = (pi_p - pi).ravel(), (pi_e - pi).ravel()
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    angle = float(np.arccos(np.clip(u @ v / (nu * nv), -1.0, 1.0))) if nu > 0 and nv > 0 else 0.0
    return ExactComparison(
        step=step, pi=pi, pi_practical=pi_p, pi_exact=pi_e, eta_old=float(ev.eta),
        surrogate_practical=L_p, surrogate_exact=L_e, improvement_practical=imp_p,
        improvement_exact=imp_e, improvement_ratio=float(ratio), surrogate_gap=L_e - L_p,
        surrogate_gap_matched=L_match - L_p, kl_practical=kl_p, kl_exact=kl_e,
        kl_overshoot=kl_p - delta, angle=angle, eta_practical=step.eta_new,
        eta_exact=evaluate(mdp, pi_e).eta, delta=delta)

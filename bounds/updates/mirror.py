"""Two exact mirror-descent updates on tabular policies that the rate theorems of ``bounds.rates`` need.

* :func:`pmd_update` -- policy mirror descent with the KL divergence ([Xiao22] Xiao, "On the
  convergence rates of policy gradient methods", JMLR 2022, the PMD update with the KL Bregman
  divergence; [Lan22] Lan, "Policy mirror descent for reinforcement learning", Math. Programming
  2022): ``pi_new(.|s) = argmax_p step <Q_pi(s, .), p> - KL(p || pi(.|s))``, i.e.
  ``pi_new(a|s) ∝ pi(a|s) exp(step Q_pi(s, a))``. Since ``Q - A = V`` is constant per state, this is
  :func:`bounds.updates.npg_step` with NPG step ``(1-gamma) step``; it is computed here in a form
  that stays exact for the huge steps ``eta_0 / gamma^k`` of the linear-rate theorem (and for
  ``step = inf``: the greedy policy within the support of ``pi``, ties weighted by ``pi``).
* :func:`entropy_npg_update` -- entropy-regularized NPG ([CCCWC] Cen, Cheng, Chen, Wei, Chi,
  Operations Research 2022, §3.1, the update written there as Eq. (17) in our reading; equation
  number not confirmed against the published text)::

      pi_new(a|s) ∝ pi(a|s)^(1 - step tau/(1-gamma)) exp(step Q_tau^pi(s, a) / (1-gamma)),
      0 < step <= (1-gamma)/tau,

  with ``Q_tau`` the soft action value of :mod:`tabular.regularized`. ``step = (1-gamma)/tau`` is
  soft policy iteration.

Both return the new policy as an ``(S, A)`` array (a policy is the natural result of one update; the
iterations and their bounds live in :mod:`bounds.rates`).
"""

from __future__ import annotations

import numpy as np

from tabular.evaluation import Evaluation, resolve_evaluation
from tabular.mdp import MDP
from tabular.regularized import SoftEvaluation, check_soft_evaluation_of, soft_evaluate
from tabular.validation import as_policy, check_real

__all__ = ["pmd_update", "entropy_npg_update"]


def _check_mdp(mdp) -> MDP:
    if not isinstance(mdp, MDP):
        raise TypeError(f"mdp must be a tabular.MDP, got {type(mdp).__name__}")
    return mdp


def _normalize_logits(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def pmd_update(mdp: MDP, pi, step: float, ev: Evaluation | None = None) -> np.ndarray:
    """One KL policy mirror descent step ``pi_new ∝ pi exp(step Q_pi)`` ([Xiao22], [Lan22]: the PMD step
    with the KL divergence; THEORY.md §8).

    ``step`` is a real ``>= 0`` or ``+inf``. Computed as ``log pi + step (Q - max_support Q)`` with the
    maximizing entries set to exactly 0, so no overflow for any step. Zeros of ``pi`` stay zero.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds import pmd_update
    >>> m = T.two_state(0.9); pi = T.uniform(m); Q = T.evaluate(m, pi).Q
    >>> p = pmd_update(m, pi, step=1.0)
    >>> closed = pi * np.exp(1.0 * Q); closed /= closed.sum(axis=1, keepdims=True)  # pi exp(step Q)
    >>> bool(np.allclose(p, closed))
    True
    >>> pmd_update(m, pi, np.inf).tolist()  # the greedy limit keeps pi's split on tied maximizers
    [[0.0, 1.0], [0.5, 0.5]]
    """
    mdp = _check_mdp(mdp)
    pi = as_policy(pi, mdp.n_states, mdp.n_actions, name="pi")
    step = check_real(step, "step", lo=0.0, allow_inf=True)
    ev = resolve_evaluation(mdp, pi, ev)
    supp = pi > 0
    Qs = np.where(supp, ev.Q, -np.inf)
    m = Qs.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = np.where(Qs == m, 0.0, step * (Qs - m)) if step > 0 else np.where(supp, 0.0, -np.inf)
        logits = np.where(supp, np.log(np.where(supp, pi, 1.0)), -np.inf) + shift
    return _normalize_logits(logits)  # pi_new ∝ pi exp(step Q)


def entropy_npg_update(mdp: MDP, pi, tau: float, step: float, sev: SoftEvaluation | None = None) -> np.ndarray:
    """One entropy-regularized NPG step of [CCCWC] §3.1 (THEORY.md §8)::

        log pi_new = (1 - step tau/(1-gamma)) log pi + step Q_tau^pi / (1-gamma) - log Z(s)

    ``pi`` must have full support (the update takes ``log pi``), ``tau > 0`` and
    ``0 < step <= (1-gamma)/tau``. ``sev`` may pass ``soft_evaluate(mdp, pi, tau)``.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from tabular.regularized import soft_evaluate
    >>> from bounds import entropy_npg_update
    >>> m = T.two_state(0.9); pi = T.uniform(m)
    >>> p = entropy_npg_update(m, pi, tau=0.1, step=1.0)  # step = (1-gamma)/tau: soft policy iteration
    >>> Q = soft_evaluate(m, pi, 0.1).Q
    >>> closed = np.exp((Q - Q.max(axis=1, keepdims=True)) / 0.1)
    >>> bool(np.allclose(p, closed / closed.sum(axis=1, keepdims=True)))
    True
    """
    mdp = _check_mdp(mdp)
    pi = as_policy(pi, mdp.n_states, mdp.n_actions, name="pi")
    tau = check_real(tau, "tau", positive=True)
    g = mdp.gamma
    step = check_real(step, "step", positive=True)
    if step * tau > (1.0 - g) * (1.0 + 1e-12):
        raise ValueError(f"step must satisfy 0 < step <= (1-gamma)/tau = {(1.0 - g) / tau:.6g}, got {step!r}")
    if np.any(pi <= 0):
        s, a = np.argwhere(pi <= 0)[0]
        raise ValueError(f"pi must have full support for the entropy-regularized NPG step; pi[{s}, {a}] = 0")
    sev = soft_evaluate(mdp, pi, tau) if sev is None else check_soft_evaluation_of(mdp, sev, pi, tau)
    keep = max(0.0, 1.0 - step * tau / (1.0 - g))
    return _normalize_logits(keep * np.log(pi) + step * np.asarray(sev.Q) / (1.0 - g))  # [CCCWC] §3.1

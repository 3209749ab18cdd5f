"""Reward-weighted regression (RWR), the EM baseline of [TRPO] §8.

Variant: episodic RWR for a discrete-action policy, after Dayan & Hinton (1997), "Using expectation-
maximization for reinforcement learning", Neural Computation 9(2), and Peters & Schaal (2007),
"Reinforcement learning by reward-weighted regression for operational space control", ICML, whose
exponential transformation ``u(r) = exp(beta r)`` of the reward makes the weights positive; per time
step with the return-to-go as in Kober & Peters (2009, PoWER). Each iteration:

1. **E-step.** ``N = budget // H`` single-path episodes of ``pi_old``; sample ``j = (s_t, a_t)`` of
   episode ``i`` gets the weight ``u_j = gamma^t exp(beta z_j)``, ``z_j = (G_j - max G) / std(G)``,
   with ``G_j`` its discounted return-to-go (the single-path ``Qhat`` of [TRPO] §5.1) and the max and
   standard deviation taken over the batch (``z <= 0``: no overflow; scale-free in the reward).
2. **M-step.** Weighted maximum likelihood with a Gaussian prior centred on the old parameters::

       theta_new = argmax_theta  sum_j u~_j log pi_theta(a_j|s_j) - (kappa / 2) ||theta - theta_old||^2
                 = argmax_theta  sum_{s,a} C[s, a] log pi_theta(a|s) - (kappa / 2) ||theta - theta_old||^2

   with ``u~ = u / sum u`` and ``C[s, a] = sum_{j: (s_j, a_j) = (s, a)} u~_j``. The objective is
   concave (log-softmax of a linear function); it is solved by scipy's Newton trust-region CG
   (``trust-ncg``) with the exact gradient ``J^T (C - c_s pi_theta) - kappa (theta - theta_old)``,
   ``c_s = sum_a C[s, a]``, and the exact Hessian-vector product ``-(F_c + kappa I) v``, where
   ``F_c = sum_s c_s sum_a pi_theta psi psi^T`` is the Fisher matrix with state weights ``c_s`` (the
   Hessian of a log-softmax of linear logits is minus the covariance of the features,
   :meth:`tabular.parametric.ParametricPolicy.fvp`). Without the
   prior (``kappa = 0``) the tabular M-step would be the weighted action frequencies of each state,
   putting probability 0 (``theta = -inf``) on every action not sampled there; the prior keeps
   unvisited states at ``theta_old`` and every probability positive.

Defaults: ``beta = 1``, ``kappa = 1e-3``.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from tabular.estimators import single_path
from tabular.mdp import MDP
from tabular.validation import as_rng, check_real

from .base import LearningCurve, check_problem, episodes_for, record
from .trust_region import _vjp

__all__ = ["rwr", "rwr_weights", "rwr_m_step"]


def rwr_weights(q_hat, discounts, beta: float) -> np.ndarray:
    """The E-step weights ``u~_j ∝ gamma^t exp(beta (G_j - max G) / std G)``, summing to one.

    Examples
    --------
    ``beta = 0`` gives the discounts normalized; a larger ``beta`` favours the better returns:

    >>> import numpy as np
    >>> from experiments.learners.rwr import rwr_weights
    >>> print(np.round(rwr_weights([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], beta=0.0), 4))
    [0.3333 0.3333 0.3333]
    >>> u = rwr_weights([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], beta=2.0)
    >>> print(bool(np.isclose(u.sum(), 1.0)), bool(u[0] < u[1] < u[2]))
    True True
    """
    beta = check_real(beta, "beta", lo=0.0)
    G = np.asarray(q_hat, dtype=np.float64)
    sd = float(G.std())
    z = (G - G.max()) / sd if sd > 0 else np.zeros_like(G)
    u = np.asarray(discounts, dtype=np.float64) * np.exp(beta * z)  # Peters & Schaal's exp transform
    return u / u.sum()


def rwr_m_step(policy, theta_old, C, kappa: float) -> np.ndarray:
    """``argmax_theta sum_{s,a} C[s, a] log pi_theta(a|s) - kappa/2 ||theta - theta_old||^2`` (the M-step;
    Newton trust-region CG with the exact Hessian ``-(F_c + kappa I)``, module docstring).

    Examples
    --------
    With a negligible proximal term the M-step is the weighted maximum likelihood ``pi(a|s) ∝ C[s, a]``:

    >>> import numpy as np
    >>> from tabular.parametric import TabularSoftmax
    >>> from experiments.learners.rwr import rwr_m_step
    >>> policy = TabularSoftmax(2, 2)
    >>> theta = rwr_m_step(policy, np.zeros(4), np.array([[3.0, 1.0], [1.0, 1.0]]), kappa=1e-8)
    >>> print(np.round(policy.probs(theta), 4))
    [[0.75 0.25]
     [0.5  0.5 ]]
    """
    theta_old = policy.check_theta(theta_old, "theta_old")
    kappa = check_real(kappa, "kappa", positive=True)
    C = np.asarray(C, dtype=np.float64)
    cs = C.sum(axis=1, keepdims=True)

    def negobj(th):
        logp = policy.log_probs(th)
        pi = np.exp(logp)
        d = th - theta_old
        val = float(np.sum(C * logp)) - 0.5 * kappa * float(d @ d)
        grad = _vjp(policy, th, pi, C - cs * pi) - kappa * d  # J^T (C - c_s pi) = sum C grad log pi
        return -val, -grad

    def hessp(th, v):  # minus the Hessian of the objective
        return policy.fvp(th, cs.ravel(), v) + kappa * v

    res = minimize(negobj, theta_old.copy(), jac=True, hessp=hessp, method="trust-ncg",
                   options={"gtol": 1e-9, "maxiter": 200})
    return np.asarray(res.x, dtype=np.float64)


def rwr(mdp: MDP, policy, theta0, n_iter: int, budget: int, rng=None, *, beta: float = 1.0,
        kappa: float = 1e-3, horizon: int | None = None) -> LearningCurve:
    """Episodic reward-weighted regression (module docstring) from ``theta0``.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import chain
    >>> from tabular.parametric import TabularSoftmax
    >>> from experiments.learners import rwr
    >>> mdp, policy = chain(4, gamma=0.9), TabularSoftmax(4, 2)
    >>> curve = rwr(mdp, policy, np.zeros(8), n_iter=3, budget=2000, rng=0)
    >>> print(curve.method, curve.steps_per_iteration.tolist(), dict(curve.settings)["episodes"])
    rwr [1980, 1980, 1980] 30
    """
    mdp, theta, n_iter, budget, H = check_problem(mdp, policy, theta0, n_iter, budget, horizon)
    beta = check_real(beta, "beta", lo=0.0)
    kappa = check_real(kappa, "kappa", positive=True)
    N = episodes_for(budget, H)
    rng = as_rng(rng)
    S, A = mdp.shape
    thetas, steps = [theta], []
    for _ in range(n_iter):
        smp = single_path(mdp, policy.probs(theta), N, H, rng=rng)  # E-step samples
        u = rwr_weights(smp.q_hat, smp.weights, beta)
        C = np.bincount(smp.states * A + smp.actions, weights=u, minlength=S * A).reshape(S, A)
        theta = rwr_m_step(policy, theta, C, kappa)  # M-step
        thetas.append(theta)
        steps.append(smp.steps)
    settings = (("beta", beta), ("kappa", kappa), ("episodes", N), ("horizon", H))
    return record("rwr", mdp, policy, thetas, steps, budget, settings)

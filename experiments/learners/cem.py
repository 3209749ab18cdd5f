"""The cross-entropy method (CEM) on policy parameters: the derivative-free baseline of [TRPO] §8.

Variant: the noisy cross-entropy method of Szita & Lőrincz (2006), "Learning Tetris using the noisy
cross-entropy method", Neural Computation 18(12), with a diagonal Gaussian search distribution
(Rubinstein & Kroese 2004, "The Cross-Entropy Method", for the elite update). At iteration ``t``:

1. draw ``n`` parameter vectors ``theta_i ~ N(mu_t, diag(sigma_t^2))``;
2. score each by its Monte Carlo return: the mean discounted return of ``m`` episodes of length
   ``H`` (``m = budget // (n H)``, so the ``n m H`` steps fit in the budget);
3. keep the ``ceil(rho n)`` best (the elite set E) and set
   ``mu_{t+1} = mean_{i in E} theta_i``,  ``sigma_{t+1}^2 = var_{i in E} theta_i + Z_t``,
   with the decreasing extra noise ``Z_t = extra_std^2 max(1 - t / extra_decay, 0)`` (Szita &
   Lőrincz's remedy for the premature collapse of the variance; they use ``Z_t = max(5 - t/10, 0)``
   for Tetris weights).

The iterate is the mean ``mu_t`` (its exact ``eta`` is the learning curve). Defaults: ``n = 20``,
``rho = 0.2``, ``sigma_0 = 1``, ``extra_std = 1``, ``extra_decay = 100`` iterations.
"""

from __future__ import annotations

import math

import numpy as np

from tabular.mdp import MDP
from tabular.validation import as_rng, check_int, check_real

from .base import LearningCurve, Population, check_problem, episodes_for, record

__all__ = ["cem"]


def cem(mdp: MDP, policy, theta0, n_iter: int, budget: int, rng=None, *, population: int = 20,
        elite_frac: float = 0.2, init_std: float = 1.0, extra_std: float = 1.0, extra_decay: float = 100.0,
        horizon: int | None = None) -> LearningCurve:
    """Noisy CEM (Szita & Lőrincz 2006) on ``theta`` from ``mu_0 = theta0``; see the module docstring.

    Raises ``ValueError`` naming ``budget`` when one episode per candidate does not fit.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import chain
    >>> from tabular.parametric import TabularSoftmax
    >>> from experiments.learners import cem
    >>> mdp, policy = chain(4, gamma=0.9), TabularSoftmax(4, 2)
    >>> curve = cem(mdp, policy, np.zeros(8), n_iter=5, budget=2000, rng=0)
    >>> print(curve.method, bool(curve.steps_per_iteration.max() <= 2000), bool(curve.eta[-1] > curve.eta[0]))
    cem True True
    """
    mdp, mu, n_iter, budget, H = check_problem(mdp, policy, theta0, n_iter, budget, horizon)
    n = check_int(population, "population", lo=2)
    rho = check_real(elite_frac, "elite_frac", positive=True, hi=1.0)
    sigma0 = check_real(init_std, "init_std", positive=True)
    extra = check_real(extra_std, "extra_std", lo=0.0)
    decay = check_real(extra_decay, "extra_decay", positive=True)
    m = episodes_for(budget, H, n_groups=n, what="episodes per candidate")
    n_elite = max(1, math.ceil(rho * n))
    pop = Population(mdp, n, m, H)
    rng = as_rng(rng)
    for name, v in (("init_std", sigma0), ("extra_std", extra)):
        if not math.isfinite(v * v):
            raise ValueError(f"{name}={v!r} is too large: its square (a variance) overflows")
    var = np.full(mu.size, sigma0 * sigma0)
    thetas, steps = [mu], []
    for t in range(n_iter):
        X = mu + np.sqrt(var) * rng.standard_normal((n, mu.size))  # step 1
        f = pop.returns(np.stack([policy.probs(x) for x in X]), rng)  # step 2: Monte Carlo returns
        elite = X[np.argsort(-f, kind="stable")[:n_elite]]  # step 3
        mu = elite.mean(axis=0)
        var = elite.var(axis=0) + extra * extra * max(1.0 - t / decay, 0.0)  # Z_t of Szita & Lőrincz
        thetas.append(mu)
        steps.append(pop.steps)
    settings = (("population", n), ("elite_frac", rho), ("n_elite", n_elite), ("init_std", sigma0),
                ("extra_std", extra), ("extra_decay", decay), ("episodes_per_candidate", m), ("horizon", H))
    return record("cem", mdp, policy, thetas, steps, budget, settings)

"""CMA-ES on policy parameters, the second derivative-free baseline of [TRPO] §8, by the ``cma``
package (Hansen's reference Python implementation; not re-implemented here).

Variant: ``cma.CMAEvolutionStrategy`` (Hansen & Ostermeier 2001, "Completely derandomized
self-adaptation in evolution strategies", Evolutionary Computation 9(2); Hansen 2016, "The CMA
Evolution Strategy: A Tutorial") with its default population ``lambda = 4 + floor(3 ln n)`` and
recombination weights, started at ``x_0 = theta0`` with step size ``sigma_0 = 1`` (the CEM's initial
standard deviation). Above ``full_covariance_max = 100`` parameters the covariance is diagonal
(``CMA_diagonal=True``: sep-CMA-ES, Ros & Hansen 2008, "A simple modification in CMA-ES achieving
linear time and space complexity"), since the full ``n x n`` update and its eigendecomposition cost
``O(n^3)`` per iteration (Taxi's 3,006 parameters).

Each candidate is scored by its Monte Carlo return, the mean discounted return of ``m = budget //
(lambda H)`` episodes of length ``H``; ``cma`` minimizes, so it is told ``-return``. The iterate is
the distribution mean ``es.mean``. Randomness: ``cma`` draws its normal samples through the option
``randn``, here ``rng.standard_normal`` (with ``seed=nan``, "do nothing", so the global numpy state is
never touched).
"""

from __future__ import annotations

import numpy as np

from tabular.mdp import MDP
from tabular.validation import as_rng, check_bool, check_int, check_real

from .base import LearningCurve, Population, check_problem, episodes_for, record

__all__ = ["cma_es", "FULL_COVARIANCE_MAX"]

#: Largest number of parameters with a full covariance matrix (sep-CMA-ES above).
FULL_COVARIANCE_MAX = 100


def cma_es(mdp: MDP, policy, theta0, n_iter: int, budget: int, rng=None, *, sigma0: float = 1.0,
           popsize: int | None = None, diagonal: bool | None = None, horizon: int | None = None) -> LearningCurve:
    """CMA-ES (``cma`` package) from ``theta0``; see the module docstring.

    ``popsize`` None is ``cma``'s default ``4 + floor(3 ln n)``; ``diagonal`` None is
    ``n_params > FULL_COVARIANCE_MAX``. Raises ``ValueError`` naming ``budget`` when one episode per
    candidate does not fit.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import chain
    >>> from tabular.parametric import TabularSoftmax
    >>> from experiments.learners import cma_es
    >>> mdp, policy = chain(4, gamma=0.9), TabularSoftmax(4, 2)
    >>> curve = cma_es(mdp, policy, np.zeros(8), n_iter=3, budget=2000, rng=0)
    >>> print(curve.method, curve.n_iter, bool(curve.steps_per_iteration.max() <= 2000))
    cma_es 3 True
    """
    import cma

    mdp, x0, n_iter, budget, H = check_problem(mdp, policy, theta0, n_iter, budget, horizon)
    sigma0 = check_real(sigma0, "sigma0", positive=True)
    n = x0.size
    lam = int(4 + 3 * np.log(n)) if popsize is None else check_int(popsize, "popsize", lo=2)
    diag = n > FULL_COVARIANCE_MAX if diagonal is None else check_bool(diagonal, "diagonal")
    m = episodes_for(budget, H, n_groups=lam, what="episodes per candidate")
    rng = as_rng(rng)
    opts = {"popsize": lam, "seed": np.nan, "randn": lambda k, d: rng.standard_normal((k, d)),
            "verbose": -9, "CMA_diagonal": bool(diag)}  # es.stop() is never consulted: n_iter decides
    es = cma.CMAEvolutionStrategy(x0.copy(), sigma0, opts)
    pop = Population(mdp, lam, m, H, name="popsize")
    thetas, steps = [x0], []
    for _ in range(n_iter):
        try:
            X = np.asarray(es.ask())
            if not np.all(np.isfinite(X)):
                raise FloatingPointError("a candidate is not finite")
            f = pop.returns(np.stack([policy.probs(x) for x in X]), rng)
            es.tell(list(X), list(-f))  # cma minimizes
        except (AssertionError, FloatingPointError, OverflowError) as exc:  # cma's own numerical checks
            raise ValueError(f"sigma0={sigma0!r} is out of the range CMA-ES can work with on these "
                             f"parameters (cma: {type(exc).__name__} {exc}); use a step size of the "
                             "scale of the parameters") from None
        thetas.append(np.array(es.mean, dtype=np.float64))
        steps.append(pop.steps)
    settings = (("popsize", lam), ("sigma0", sigma0), ("diagonal", bool(diag)), ("episodes_per_candidate", m),
                ("horizon", H), ("cma_version", cma.__version__))
    return record("cma_es", mdp, policy, thetas, steps, budget, settings)

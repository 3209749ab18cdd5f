"""What every learner of :mod:`experiments.learners` shares: the learning-curve record, the checks
of the common arguments, the per-iteration budget arithmetic and the batched rollouts of a population.

The budget. A learner gets ``budget`` environment steps per iteration and never spends more (the vine,
whose trunk lengths are random, spends at most ``budget`` in expectation; see
:func:`vine_states_for`). Every episode has the same length ``horizon`` (default
:func:`default_horizon`: the smallest ``H >= 10`` with ``gamma^H <= 1e-3``, as
:func:`bounds.updates.practical.sample_trpo`), so a truncated discounted return is biased by at most
``1e-3 max|R| / (1 - gamma)`` (:func:`tabular.sampling.truncation_bound`).

The learning curve records the **exact** ``eta`` of every iterate (:func:`tabular.evaluate`), for
evaluation only: no learner ever reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from tabular.evaluation import evaluate
from tabular.mdp import MDP
from tabular.parametric import ParametricPolicy
from tabular.sampling import horizon_for, sample_trajectories
from tabular.validation import as_policy_batch, as_rng, check_alloc, check_int, check_mdp, readonly

__all__ = [
    "LearningCurve",
    "check_problem",
    "default_horizon",
    "episodes_for",
    "vine_states_for",
    "Population",
]


@dataclass(frozen=True, eq=False)
class LearningCurve:
    """A learner's run: the exact ``eta`` of every iterate and the environment steps it used.

    Attributes
    ----------
    method : str, the learner's name (e.g. ``"trpo_single_path"``).
    eta : (n_iter + 1,) exact ``eta(pi_theta_i)`` of the iterates ``theta_0 .. theta_n`` (evaluation
        only; the learner never sees it).
    env_steps : (n_iter + 1,) int, cumulative environment steps (0 for ``theta_0``).
    thetas : (n_iter + 1, n_params) the iterates (for CEM and CMA-ES: the mean of the search
        distribution).
    budget : int, the environment steps allowed per iteration.
    settings : tuple of ``(name, value)`` pairs, the learner's parameters as used.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import chain, evaluate, optimal
    >>> from tabular.parametric import TabularSoftmax
    >>> from experiments.learners import cem
    >>> mdp, policy = chain(4, gamma=0.9), TabularSoftmax(4, 2)
    >>> curve = cem(mdp, policy, np.zeros(8), n_iter=5, budget=2000, rng=0)
    >>> print(curve.n_iter, curve.eta.shape, curve.thetas.shape, curve.env_steps[0])
    5 (6,) (6, 8) 0
    >>> bool(np.isclose(curve.eta[-1], evaluate(mdp, policy.probs(curve.thetas[-1])).eta))  # exact eta
    True
    >>> r = curve.normalized(optimal(mdp).eta)  # 0 at the start, 1 at the optimum
    >>> print(float(r[0]), bool(r[-1] > 0))
    0.0 True
    """

    method: str
    eta: np.ndarray
    env_steps: np.ndarray
    thetas: np.ndarray
    budget: int
    settings: tuple

    def __repr__(self) -> str:
        return (f"LearningCurve(method={self.method!r}, n_iter={self.eta.size - 1}, "
                f"eta {self.eta[0]:.4g} -> {self.eta[-1]:.4g}, env_steps={int(self.env_steps[-1]):,})")

    @property
    def n_iter(self) -> int:
        return int(self.eta.size - 1)

    @property
    def steps_per_iteration(self) -> np.ndarray:
        """Environment steps used by each iteration, shape (n_iter,)."""
        return np.diff(self.env_steps)

    def normalized(self, eta_star: float) -> np.ndarray:
        """``(eta_i - eta_0) / (eta* - eta_0)``: 0 at the start, 1 at the optimum."""
        return (self.eta - self.eta[0]) / (float(eta_star) - self.eta[0])


def check_problem(mdp, policy, theta0, n_iter, budget, horizon):
    """Validate the arguments every learner takes; return ``(mdp, theta0, n_iter, budget, H)``.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import chain
    >>> from tabular.parametric import TabularSoftmax
    >>> from experiments.learners.base import check_problem
    >>> mdp, theta0, n_iter, budget, H = check_problem(chain(4, gamma=0.9), TabularSoftmax(4, 2), np.zeros(8),
    ...                                                 n_iter=3, budget=2000, horizon=None)
    >>> print(n_iter, budget, H)
    3 2000 66
    >>> try:
    ...     check_problem(chain(4), TabularSoftmax(5, 2), np.zeros(10), 3, 2000, None)
    ... except ValueError:
    ...     print("the policy does not fit the MDP")
    the policy does not fit the MDP
    """
    mdp = check_mdp(mdp)
    if not isinstance(policy, ParametricPolicy):
        raise TypeError(f"policy must be a TabularSoftmax or LogLinear (tabular.parametric), "
                        f"got {type(policy).__name__}")
    policy.check_mdp(mdp)
    theta0 = policy.check_theta(theta0, "theta0")
    n_iter = check_int(n_iter, "n_iter", lo=0)
    budget = check_int(budget, "budget", lo=1)
    H = default_horizon(mdp.gamma) if horizon is None else check_int(horizon, "horizon", lo=1)
    n_params = int(np.size(theta0))
    check_alloc((8.0 * n_params + 64.0) * (n_iter + 1), "n_iter", n_iter, "the iterates and their records")
    # one iteration's samples: states, actions, rewards, returns, weights, ... (about 8 arrays of
    # budget entries), and the per-episode (S, A) scores of at most budget / H episodes
    per_iter = 64.0 * budget + 8.0 * 3 * (budget // H + 1) * mdp.n_states * mdp.n_actions
    check_alloc(per_iter, "budget", budget, f"the samples of one iteration (horizon {H:,})")
    return mdp, theta0, n_iter, budget, H


def default_horizon(gamma: float) -> int:
    """The episode length used when none is given: ``max(10, horizon_for(gamma, 1e-3))``.

    Examples
    --------
    >>> from experiments.learners import default_horizon
    >>> print(default_horizon(0.9), 0.9 ** 66 <= 1e-3 < 0.9 ** 65, default_horizon(0.0))
    66 True 10
    """
    return max(10, horizon_for(gamma, 1e-3))


def episodes_for(budget: int, horizon: int, n_groups: int = 1, what: str = "episodes") -> int:
    """Episodes of length ``horizon`` per group that fit in ``budget``: ``budget // (n_groups H)``.

    Raises ``ValueError`` naming ``budget`` when not even one episode per group (two for a single
    group, the least a sample standard error needs) fits.

    Examples
    --------
    >>> from experiments.learners import episodes_for
    >>> episodes_for(2000, 66)  # 2000 // 66
    30
    >>> try:
    ...     episodes_for(100, 66)
    ... except ValueError as err:
    ...     print(str(err)[:60])
    budget = 100 environment steps is too small for 2 episodes o
    """
    budget = check_int(budget, "budget", lo=1)
    horizon = check_int(horizon, "horizon", lo=1)
    n_groups = check_int(n_groups, "n_groups", lo=1)
    n = budget // (n_groups * horizon)
    least = 2 if n_groups == 1 else 1
    if n < least:
        raise ValueError(f"budget = {budget:,} environment steps is too small for {least} {what} of "
                         f"horizon {horizon} per group x {n_groups} group(s); give at least "
                         f"{least * n_groups * horizon:,}")
    return int(n)


def vine_states_for(budget: int, mdp: MDP, horizon: int) -> int:
    """Rollout states of the vine (all ``A`` actions, rollouts of length ``horizon``) for ``budget``.

    A rollout state costs its trunk, ``t + 1`` steps with ``t`` geometric of mean ``gamma / (1 -
    gamma)``, plus ``A H`` rollout steps ([TRPO] §5.2; :func:`tabular.estimators.vine`). We take
    ``n = budget // (A H + 2 / (1 - gamma))``: twice the mean trunk per state, so the realized cost
    exceeds ``budget`` only if the trunks are twice as long as expected on average.

    Examples
    --------
    The cost of a rollout state is ``A H`` rollout steps plus twice the mean trunk ``1 / (1 - gamma)``:

    >>> from tabular import chain
    >>> from experiments.learners import vine_states_for
    >>> vine_states_for(2000, chain(4, gamma=0.9), 66)  # 2000 // (2 * 66 + 20)
    13
    """
    budget = check_int(budget, "budget", lo=1)
    mdp = check_mdp(mdp)
    horizon = check_int(horizon, "horizon", lo=1)
    per_state = mdp.n_actions * horizon + 2.0 / (1.0 - mdp.gamma)
    n = int(budget // per_state)
    if n < 2:
        raise ValueError(f"budget = {budget:,} environment steps is too small for the vine: 2 rollout "
                         f"states of {mdp.n_actions} rollouts of horizon {horizon} need about "
                         f"{int(np.ceil(2 * per_state)):,}")
    return n


def record(method, mdp, policy, thetas, steps, budget, settings) -> LearningCurve:
    """Build the :class:`LearningCurve` of the iterates ``thetas`` (exact ``eta`` of each)."""
    T = np.array([policy.check_theta(t) for t in thetas])
    eta = np.array([evaluate(mdp, policy.probs(t)).eta for t in T])
    return LearningCurve(method=method, eta=readonly(eta), env_steps=readonly(np.cumsum([0, *steps])),
                         thetas=readonly(T), budget=int(budget), settings=tuple(settings))


class Population:
    """Monte Carlo returns of ``n`` policies at once (for CEM and CMA-ES).

    The ``n`` policies run in one call of :func:`tabular.sampling.sample_trajectories` on the
    block-diagonal MDP made of ``n`` copies of ``mdp`` (copy ``k`` follows policy ``k`` and starts
    in copy ``k``): the same law as ``n`` separate calls, at the cost of one. The fitness of policy
    ``k`` is the mean discounted return ``sum_{t<H} gamma^t r_t`` of its ``m`` episodes, an estimate of
    ``eta(pi_k)`` (biased by the truncation only).

    Examples
    --------
    The fitness of each policy is its mean Monte Carlo return, an estimate of its exact ``eta``:

    >>> import numpy as np
    >>> from tabular import chain, evaluate, uniform
    >>> from experiments.learners import Population
    >>> mdp = chain(4, gamma=0.9)
    >>> pop = Population(mdp, n=3, episodes_each=400, horizon=88)
    >>> fitness = pop.returns(np.stack([uniform(mdp)] * 3), rng=0)
    >>> print(pop.steps, fitness.shape, f"{evaluate(mdp, uniform(mdp)).eta:.2f}")
    105600 (3,) 14.56
    >>> bool(np.all(np.abs(fitness - evaluate(mdp, uniform(mdp)).eta) < 1.0))
    True
    """

    def __init__(self, mdp: MDP, n: int, episodes_each: int, horizon: int, name: str = "population"):
        S, A = mdp.shape
        n = check_int(n, name, lo=1)
        check_alloc(8.0 * n * (mdp.to_sparse().P.nnz * 2 + S * A * 3), name, n,
                    f"{n:,} stacked copies of the MDP")
        P = mdp.to_sparse().P
        self.mdp, self.n, self.m, self.H = mdp, int(n), int(episodes_each), int(horizon)
        self.stacked = MDP(sp.block_diag([P] * self.n, format="csr"), np.tile(mdp.R, (self.n, 1)),
                           np.tile(mdp.rho0, self.n) / self.n, mdp.gamma)

    @property
    def steps(self) -> int:
        """Environment steps of one evaluation of the population: ``n m H``."""
        return self.n * self.m * self.H

    def returns(self, pis, rng) -> np.ndarray:
        """Mean discounted return of each policy, shape (n,); ``pis`` is (n, S, A)."""
        S, A = self.mdp.shape
        pis = as_policy_batch(pis, S, A, "pis")
        if pis.shape[0] != self.n:
            raise ValueError(f"pis must hold {self.n} policies, got {pis.shape[0]}")
        rng = as_rng(rng)
        copy = np.repeat(np.arange(self.n), self.m)
        s0 = rng.choice(S, size=copy.size, p=self.mdp.rho0)
        traj = sample_trajectories(self.stacked, pis.reshape(self.n * S, A), copy.size, self.H, rng=rng,
                                   start=copy * S + s0)
        return traj.discounted_returns().reshape(self.n, self.m).mean(axis=1)

"""Sample-based learners on parametric tabular policies: the eight methods compared in §8 of [TRPO]
(Schulman et al. 2015, arXiv:1502.05477 v5), at an equal environment-step budget per iteration.

This package serves the paper comparison :mod:`experiments.paper_fig3` only: the learners maximize no
bound of the theory, so they live with the experiment (moved here from ``bounds.updates.learners`` in
0.2.0, see CHANGELOG.md). Their TRPO steps use the practical step's conjugate gradient and line search
(:mod:`bounds.updates.practical`).

=====================  ===================================================  ==========================
name                   method                                               module
=====================  ===================================================  ==========================
``trpo_single_path``   TRPO, single-path samples (§5.1), mean KL            :mod:`.trpo`
``trpo_vine``          TRPO, vine samples (§5.2), mean KL                   :mod:`.trpo`
``natural_gradient``   natural gradient with a fixed step (Kakade 2002)     :mod:`.trpo`
``max_kl``             single-path TRPO, max KL over sampled states          :mod:`.trpo`
``empirical_fisher``   single-path TRPO, Fisher = mean score outer product   :mod:`.trpo`
``cem``                noisy cross-entropy method (Szita & Lőrincz 2006)     :mod:`.cem`
``cma_es``             CMA-ES (Hansen & Ostermeier 2001), ``cma`` package    :mod:`.cma_es`
``rwr``                reward-weighted regression (Peters & Schaal 2007)     :mod:`.rwr`
=====================  ===================================================  ==========================

Every learner is a function ``f(mdp, policy, theta0, n_iter, budget, rng=None, **params) ->
LearningCurve``: ``policy`` a :class:`~tabular.parametric.TabularSoftmax` or
:class:`~tabular.parametric.LogLinear`, ``budget`` the environment steps per iteration (never exceeded;
the vine's in expectation), and the curve holds the **exact** ``eta`` of every iterate. :func:`learn`
calls one by name. Each module's docstring states its variant, its parameters and its sources.
"""

from __future__ import annotations

from functools import partial

from .base import LearningCurve, Population, default_horizon, episodes_for, vine_states_for
from .cem import cem
from .cma_es import cma_es
from .rwr import rwr
from .trpo import SampleStepResult, draw_samples, natural_gradient, sample_trpo_step, trpo
from .trust_region import SampleSurrogate, SearchResult, kl_constrained_step, sample_surrogate

__all__ = [
    "METHODS",
    "learn",
    "LearningCurve",
    "Population",
    "default_horizon",
    "episodes_for",
    "vine_states_for",
    "trpo",
    "natural_gradient",
    "cem",
    "cma_es",
    "rwr",
    "sample_trpo_step",
    "SampleStepResult",
    "draw_samples",
    "SampleSurrogate",
    "sample_surrogate",
    "SearchResult",
    "kl_constrained_step",
]

#: The eight methods of [TRPO] §8, in the order of its figure legend; name -> learner.
METHODS = {
    "trpo_single_path": partial(trpo, estimator="single_path"),
    "trpo_vine": partial(trpo, estimator="vine"),
    "natural_gradient": natural_gradient,
    "max_kl": partial(trpo, estimator="single_path", constraint="max"),
    "empirical_fisher": partial(trpo, estimator="single_path", fisher="empirical"),
    "cem": cem,
    "cma_es": cma_es,
    "rwr": rwr,
}


def learn(method: str, mdp, policy, theta0, n_iter: int, budget: int, rng=None, **params) -> LearningCurve:
    """Run the learner ``method`` (a key of :data:`METHODS`); the curve is labelled ``method``.

    Examples
    --------
    Every method of [TRPO] §8 by name, at one budget of environment steps per iteration:

    >>> import numpy as np
    >>> from tabular import chain
    >>> from tabular.parametric import TabularSoftmax
    >>> from experiments.learners import METHODS, learn
    >>> mdp, policy = chain(4, gamma=0.9), TabularSoftmax(4, 2)
    >>> curve = learn("trpo_vine", mdp, policy, np.zeros(8), n_iter=3, budget=2000, rng=0)
    >>> print(curve.method, curve.n_iter, bool(curve.steps_per_iteration.max() <= 2000))
    trpo_vine 3 True
    >>> len(METHODS)
    8
    """
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {tuple(METHODS)}, got {method!r}")
    curve = METHODS[method](mdp, policy, theta0, n_iter, budget, rng, **params)
    if curve.method == method:
        return curve
    return LearningCurve(method=method, eta=curve.eta, env_steps=curve.env_steps, thetas=curve.thetas,
                         budget=curve.budget, settings=curve.settings)

"""Exact quantities of finite discounted MDPs, as used by the theory of TRPO.

See THEORY.md §1-2: ``eta``, ``V``, ``Q``, ``A``, the unnormalized visitation ``rho`` (and
``d = (1-gamma) rho``), the surrogate ``L_pi`` of Eq. (3) of [TRPO], per-state TV and KL
divergences, planning, a zoo of toy MDPs, Gymnasium import and save/load.

Examples
--------
Theorem 1 of [TRPO], checked exactly: ``eta(pi_new) >= L_pi(pi_new) - 4 eps gamma / (1 - gamma)^2 alpha^2``
with ``eps = max_{s,a} |A_pi(s, a)|`` and ``alpha = D_TV^max(pi, pi_new)``:

>>> import numpy as np
>>> import tabular
>>> mdp = tabular.garnet(10, 3, rng=0)
>>> pi = tabular.uniform(mdp)
>>> pi_new = tabular.mixture(pi, tabular.optimal(mdp).pi, 0.1)
>>> ev = tabular.evaluate(mdp, pi)
>>> L = tabular.surrogate(mdp, pi, pi_new, ev=ev)
>>> eps, alpha, g = float(np.abs(ev.A).max()), tabular.max_tv(pi, pi_new), mdp.gamma
>>> bool(tabular.evaluate(mdp, pi_new).eta >= L - 4 * eps * g / (1 - g) ** 2 * alpha ** 2)
True
"""

from ._version import __version__
from .divergences import kl, max_kl, max_tv, mean_kl, mean_tv, tv, weighted_mean
from .evaluation import (
    Evaluation,
    EvaluationBatch,
    PolicyEvaluations,
    evaluate,
    evaluate_many,
    evaluate_policies,
    expected_advantage,
    policy_reward,
    policy_transition,
    reachable_states,
    state_distribution,
    surrogate,
)
from .gym import from_gymnasium
from .io import from_json, load, load_npz, save, save_npz, to_json
from .mdp import MDP
from .planning import PlanningResult, optimal, policy_iteration, value_iteration
from .policies import (
    deterministic,
    greedy,
    log_softmax,
    mixture,
    random_policy,
    softmax,
    uniform,
    validate_policy,
)
from .zoo import chain, garnet, gridworld, make, mdp_x, sutton_barto_gridworld, two_state

__all__ = [
    "__version__",
    "MDP", "Evaluation", "PolicyEvaluations", "EvaluationBatch", "PlanningResult",
    "evaluate", "evaluate_policies", "evaluate_many", "surrogate", "expected_advantage", "state_distribution",
    "policy_transition", "policy_reward", "reachable_states",
    "tv", "kl", "max_tv", "max_kl", "mean_tv", "mean_kl", "weighted_mean",
    "policy_iteration", "value_iteration", "optimal",
    "uniform", "greedy", "deterministic", "random_policy", "mixture", "softmax", "log_softmax",
    "validate_policy",
    "two_state", "chain", "sutton_barto_gridworld", "gridworld", "garnet", "mdp_x", "make",
    "from_gymnasium", "save", "load", "save_npz", "load_npz", "to_json", "from_json",
]

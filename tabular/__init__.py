"""Exact quantities of finite discounted MDPs, as used by the theory of TRPO.

See THEORY.md §1-2: ``eta``, ``V``, ``Q``, ``A``, the unnormalized visitation ``rho`` (and
``d = (1-gamma) rho``), the surrogate ``L_pi`` of Eq. (3) of [TRPO], per-state TV and KL
divergences, planning, a zoo of toy MDPs, Gymnasium import and save/load.
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

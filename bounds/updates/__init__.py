"""The updates that maximize a bound: the exact policy updates of Section 7 of [TRPO] and Algorithm 1,
their iteration, the practical TRPO step, and the solvers behind them (THEORY.md §4).

Every update is written as "argmax of the surrogate ``L_pi`` of Eq. (3) under a penalty or a
constraint" (the unifying view of Section 7) and returns a :class:`StepResult`:

* :mod:`.steps` -- :func:`mm_step` (Algorithm 1), :func:`cpi_step`, :func:`trust_region_step`
  (Eq. (11), (12)), :func:`kl_penalty_step`, :func:`npg_step`, :func:`pg_step`, :func:`pi_step`.
* :mod:`.iteration` -- :func:`run` iterates any of them; :class:`UpdateHistory` records Eq. (10) and
  every bound's slack per step.
* :mod:`.practical` -- the practical algorithm: conjugate gradient, Fisher-vector products, line
  search, on exact or sampled data (Eq. (14)).
* :mod:`.mirror` -- :func:`pmd_update` (KL policy mirror descent) and :func:`entropy_npg_update`
  (entropy-regularized NPG), the updates of the rate theorems in :mod:`bounds.rates`.
* :mod:`.ppo` -- PPO-clip's L^CLIP exactly, its gradient, and :func:`ppo_clip_step` (K epochs).
* :mod:`.solvers` -- the per-state convex problems, each with a fast exact solver and a cvxpy reference.
"""

from .iteration import UpdateHistory, run
from .mirror import entropy_npg_update, pmd_update
from .ppo import PPOClipResult, clip_gradient, clip_objective, ppo_clip_step
from .solvers import SolverError
from .steps import (
    UPDATES,
    StepResult,
    cpi_step,
    kl_penalty_step,
    mm_step,
    npg_step,
    pg_step,
    pi_step,
    theory_C,
    trust_region_step,
)

__all__ = [
    "StepResult",
    "UpdateHistory",
    "SolverError",
    "theory_C",
    "mm_step",
    "cpi_step",
    "trust_region_step",
    "kl_penalty_step",
    "npg_step",
    "pg_step",
    "pi_step",
    "run",
    "UPDATES",
    "pmd_update",
    "entropy_npg_update",
    "ppo_clip_step",
    "clip_objective",
    "clip_gradient",
    "PPOClipResult",
]

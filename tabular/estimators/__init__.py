"""Sample-based estimators of [TRPO] Section 5 and of the policy-gradient family, for tabular softmax.

Parameters are ``theta[s, a]`` with ``pi_theta = softmax(theta)`` row-wise; the score is
``grad_theta log pi_theta(a|s) = e_{s,a} - pi_theta(.|s)`` on row ``s`` (zero elsewhere).

**Discounting.** Every estimator here targets a quantity weighted by the *unnormalized* discounted
visitation ``rho_old`` of [TRPO] (THEORY.md §1). Sampled trajectories visit ``s_t`` with probability
``P(s_t = s)``, so a ``rho``-weighted expectation ``sum_s rho(s) f(s) = E[sum_t gamma^t f(s_t)]`` is
estimated **with the weight gamma^t on time t** (single path, policy gradients). The vine draws its
rollout states exactly from the normalized ``d_old = (1 - gamma) rho_old`` by taking the state at a
geometric time ``P(t) = (1 - gamma) gamma^t`` of an independent ``pi_old`` trajectory, and multiplies
by ``1 / (1 - gamma)``. Dropping ``gamma^t`` on the score (``discount_states=False``, the
"undiscounted state distribution" common practice) gives a **biased** gradient of ``eta``.

**Truncation.** Episodes are cut after ``H`` steps and ``V(s_H) := 0`` in bootstrapped targets; every
expectation stated below holds up to a truncation bias of order ``gamma^H max|R| / (1 - gamma)``
(:func:`tabular.sampling.truncation_bound`); choose ``H = horizon_for(gamma, tol)``.

**What the surrogate estimators estimate.** With ``Q_old`` in place of ``A_old`` (Eq. (14) of [TRPO]),
the single-path and vine estimates of Eq. (14) are unbiased for::

    M(theta) = sum_s rho_old(s) sum_a pi_theta(a|s) Q_old(s, a)
             = (1 / (1 - gamma)) E_{s ~ d_old}[ sum_a pi_theta(a|s) Q_old(s, a) ]

and since ``sum_a pi_theta Q_old = sum_a pi_theta A_old + V_old(s)``, Eq. (3) gives::

    L_{pi_old}(pi_theta) = M(theta) + eta_old - rho_old . V_old        (surrogate_offset)

The offset does not depend on ``theta``: ``grad M = grad L`` and at ``theta_old`` both equal
``grad eta`` (Eq. (4)). :func:`surrogate_target` returns ``M``, :func:`surrogate_offset` the offset.

**Policy-gradient estimators** (all of the form ``g = sum_t c_t score_t``): REINFORCE
``(sum_t score_t)(sum_t gamma^t r_t - b)``; reward-to-go ``sum_t gamma^t score_t (G_t - b)``; and
advantage forms ``sum_t gamma^t score_t Ahat_t`` with k-step or GAE(gamma, lambda) advantages
(seed notes 003; Schulman et al. 2016, "High-dimensional continuous control using GAE"). Baselines
fitted on the batch use **leave-one-out** estimates (episode ``i``'s baseline is computed from the
other episodes), so they do not depend on episode ``i``'s actions and the estimator stays exactly
unbiased (a batch-mean constant baseline would scale the estimate by ``1 - 1/N``).

**Unbiasedness map** (for ``grad eta``; checked in tests/tabular/test_estimators.py):
REINFORCE with any action-independent baseline, reward-to-go with constant / optimal / time /
state baselines (any ``V``), GAE with ``lambda = 1`` (any ``V``: ``Ahat_t = G_t - V(s_t)``), and GAE
or k-step with the **exact** ``V_pi`` at every ``lambda`` / ``k`` (then ``E[delta_{t+l} | s_t, a_t] = 0``
for ``l >= 1`` and ``E[delta_t | s_t, a_t] = A_pi``) are unbiased. GAE with ``lambda < 1`` or k-step
with an inexact ``V = V_pi + e`` are biased; the bias is given in closed form by
:func:`gae_expected_gradient` / :func:`k_step_expected_gradient`.

Where things are: :mod:`.results` (result types), :mod:`.surrogate` (single path, vine, Eq. (14)),
:mod:`.policy_gradient` (REINFORCE, reward-to-go, baselines, GAE, k-step), :mod:`.ppo`, :mod:`.checks`.
"""

from .policy_gradient import (
    gae_advantages,
    gae_expected_gradient,
    k_step_advantages,
    k_step_expected_gradient,
    pg_from_advantages,
    pg_reinforce,
    pg_reward_to_go,
)
from .ppo import ppo_objectives
from .results import GradientEstimate, PPOEstimate, SurrogateEstimate, SurrogateSamples
from .surrogate import score_sums, single_path, surrogate_estimate, surrogate_offset, surrogate_target, vine

__all__ = [
    "SurrogateSamples", "SurrogateEstimate", "GradientEstimate", "PPOEstimate", "single_path", "vine",
    "surrogate_estimate", "surrogate_target", "surrogate_offset", "score_sums", "pg_reinforce",
    "pg_reward_to_go", "pg_from_advantages", "gae_advantages", "k_step_advantages", "gae_expected_gradient",
    "k_step_expected_gradient", "ppo_objectives",
]

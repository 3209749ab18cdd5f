"""Random test instances ``(mdp, pi, pi_new)`` for checking bounds at scale.

An instance is drawn from a named family with a declared discount and step size, and depends only
on the ``rng`` it is given, so that instance ``i`` of a sweep can be rebuilt from ``(seed, i)``
through ``np.random.SeedSequence(seed).spawn`` (or ``SeedSequence([seed, i])``).

Families: ``garnet`` (dense, 2-12 states), ``sparse_garnet`` (CSR, branching 1-2, up to 40 states),
``gridworld``, ``chain``, ``mdp_x`` (THEORY.md §6) and ``two_state``. Old policies range from
near-deterministic (Dirichlet concentration 0.05, or a one-hot row softened by 1e-6) to uniform.
New policies are small steps (mixtures with ``alpha`` log-uniform in [1e-4, 1], or softmax
perturbations of ``log pi``), large steps (independent random policies) and greedy steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import zoo
from .mdp import MDP
from .planning import policy_iteration
from .policies import greedy, random_policy, softmax
from .evaluation import evaluate

__all__ = ["Instance", "FAMILIES", "sample_instance", "sample_gamma", "sample_policy", "sample_step"]

FAMILIES = ("garnet", "sparse_garnet", "gridworld", "chain", "mdp_x", "two_state")
STEPS = ("small", "medium", "large", "greedy", "any")


@dataclass(frozen=True, eq=False)
class Instance:
    """A random instance; ``meta`` records how it was drawn (family, gamma, step kind, ...)."""

    mdp: MDP
    pi: np.ndarray
    pi_new: np.ndarray
    meta: dict


def sample_gamma(rng) -> float:
    """A discount covering [0, 0.995]: the edges 0, 0.9, 0.99, 0.995 often, else uniform."""
    rng = np.random.default_rng(rng)
    u = rng.random()
    if u < 0.1:
        return 0.0
    if u < 0.2:
        return float(rng.choice([0.9, 0.99, 0.995]))
    if u < 0.3:
        return float(rng.uniform(0.0, 0.05))
    return float(rng.uniform(0.0, 0.995))


def sample_policy(S: int, A: int, rng) -> np.ndarray:
    """An old policy: near-deterministic, softened one-hot, Dirichlet(1), or near-uniform."""
    rng = np.random.default_rng(rng)
    u = rng.random()
    if u < 0.25:
        return random_policy(S, A, rng=rng, concentration=0.05)
    if u < 0.4:
        pi = np.full((S, A), 1e-6 / max(A - 1, 1))
        pi[np.arange(S), rng.integers(A, size=S)] = 1.0 - (1e-6 if A > 1 else 0.0)
        return pi / pi.sum(axis=1, keepdims=True)
    if u < 0.8:
        return random_policy(S, A, rng=rng, concentration=1.0)
    return random_policy(S, A, rng=rng, concentration=20.0)


def sample_step(mdp: MDP, pi: np.ndarray, rng, step: str = "any") -> tuple[np.ndarray, dict]:
    """A new policy at a ``small``, ``medium``, ``large`` or ``greedy`` distance from ``pi``."""
    rng = np.random.default_rng(rng)
    S, A = pi.shape
    if step == "any":
        step = str(rng.choice(["small", "medium", "large", "greedy"], p=[0.35, 0.3, 0.2, 0.15]))
    if step not in STEPS:
        raise ValueError(f"step must be one of {STEPS}, got {step!r}")
    if step == "greedy":
        target = greedy(evaluate(mdp, pi).Q)
        alpha = float(10 ** rng.uniform(-3, 0))
        return (1 - alpha) * pi + alpha * target, dict(step=step, alpha=alpha)
    if step == "large":
        if rng.random() < 0.5:
            return sample_policy(S, A, rng), dict(step=step)
        return random_policy(S, A, rng=rng, concentration=0.3), dict(step=step)
    lo, hi = (-4, -1.5) if step == "small" else (-1.5, 0)
    if rng.random() < 0.5:  # mixture towards a random policy
        alpha = float(10 ** rng.uniform(lo, hi))
        target = random_policy(S, A, rng=rng, concentration=0.5)
        return (1 - alpha) * pi + alpha * target, dict(step=step, alpha=alpha)
    scale = float(10 ** rng.uniform(lo, hi)) * 5.0  # softmax perturbation keeps pi's support
    with np.errstate(divide="ignore"):
        logits = np.log(pi)
    logits = np.where(np.isfinite(logits), logits, -745.0)
    return softmax(logits + scale * rng.standard_normal((S, A))), dict(step=step, noise=scale)


def _family_mdp(family: str, gamma: float, rng) -> MDP:
    if family == "garnet":
        S = int(rng.integers(2, 13))
        A = int(rng.integers(2, 5))
        return zoo.garnet(S, A, int(rng.integers(1, S + 1)), rng=rng, gamma=gamma,
                          reward=str(rng.choice(["uniform", "signed"])))
    if family == "sparse_garnet":
        S = int(rng.integers(5, 41))
        return zoo.garnet(S, int(rng.integers(2, 4)), int(rng.integers(1, 3)), rng=rng, gamma=gamma,
                          sparse=True, reward="signed")
    if family == "gridworld":
        h, w = int(rng.integers(2, 5)), int(rng.integers(2, 5))
        return zoo.gridworld(h, w, slip=float(rng.uniform(0, 0.5)), gamma=gamma,
                             step_reward=float(rng.choice([0.0, -0.1])), sparse=bool(rng.random() < 0.5))
    if family == "chain":
        return zoo.chain(int(rng.integers(2, 8)), slip=float(rng.uniform(0, 0.5)), gamma=gamma)
    if family == "mdp_x":
        return zoo.mdp_x(gamma)
    if family == "two_state":
        return zoo.two_state(gamma)
    raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")


def sample_instance(rng=None, family: str | None = None, gamma: float | None = None, step: str = "any") -> Instance:
    """Draw one instance. ``family``/``gamma``/``step`` default to random choices."""
    rng = np.random.default_rng(rng)
    if family is None:
        family = str(rng.choice(FAMILIES, p=[0.45, 0.2, 0.1, 0.1, 0.1, 0.05]))
    g = sample_gamma(rng) if gamma is None else float(gamma)
    mdp = _family_mdp(family, g, rng)
    S, A = mdp.shape
    pi = sample_policy(S, A, rng)
    if rng.random() < 0.1:  # start from an optimal policy sometimes: A <= 0 everywhere
        pi = 0.5 * pi + 0.5 * policy_iteration(mdp).pi
    pi_new, meta = sample_step(mdp, pi, rng, step)
    meta.update(family=family, gamma=g, S=S, A=A)
    return Instance(mdp, pi, pi_new, meta)

"""Shared helpers for the update experiments: the test MDPs and a plain iteration loop."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tabular import zoo
from tabular.divergences import kl_unchecked
from tabular.evaluation import evaluate
from tabular.planning import policy_iteration
from tabular.policies import uniform


@dataclass(frozen=True)
class Curve:
    """An iteration of one update: eta, the max-KL moved per step, and the policies visited."""

    eta: np.ndarray  # (n_iter + 1,)
    kl_max: np.ndarray  # (n_iter,)
    policies: tuple  # n_iter + 1 arrays (S, A)


def test_mdps(seed: int, quick: bool) -> dict:
    """The MDPs of the update figures: a Garnet, a slippery gridworld and FrozenLake (if installed)."""
    rng = np.random.default_rng([seed, 100])
    mdps = {
        "Garnet S=20 A=4, γ=0.9": zoo.garnet(12 if quick else 20, 4, 3, rng=rng, gamma=0.9),
        "Gridworld 5x5 slip 0.2, γ=0.95": zoo.gridworld(5, 5, slip=0.2, gamma=0.95, step_reward=-0.02),
    }
    try:
        from tabular.gym import from_gymnasium

        mdps["FrozenLake 4x4 slippery, γ=0.95"] = from_gymnasium("FrozenLake-v1", 0.95)
    except ImportError:  # gymnasium is an optional extra
        pass
    return mdps


def iterate(update, mdp, pi0, n_iter: int, **kwargs) -> Curve:
    """Apply ``update(mdp, pi, ev=..., **kwargs).pi_new`` ``n_iter`` times from ``pi0``."""
    pi = pi0
    ev = evaluate(mdp, pi)
    etas, kls, pols = [ev.eta], [], [pi]
    for _ in range(n_iter):
        pi_new = update(mdp, pi, ev=ev, **kwargs).pi_new
        ev = evaluate(mdp, pi_new)
        etas.append(ev.eta)
        kls.append(float(kl_unchecked(pi, pi_new).max()))
        pols.append(pi_new)
        pi = pi_new
    return Curve(np.array(etas), np.array(kls, dtype=float), tuple(pols))


def optimum(mdp) -> float:
    return policy_iteration(mdp).eta


def start_policy(mdp) -> np.ndarray:
    return uniform(mdp)

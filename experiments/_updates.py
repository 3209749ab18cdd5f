"""Shared helpers for the update experiments: the test MDPs and the iteration as a curve."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bounds.updates import run
from tabular import zoo
from tabular.divergences import kl_unchecked
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
    """``n_iter`` steps of ``update`` from ``pi0`` by :func:`bounds.updates.run` (no early stop, no
    bound records), as a :class:`Curve`; the KL moved is recomputed from consecutive policies."""
    h = run(update, mdp, pi0, n_iter, tol=-np.inf, record_bounds=False, **kwargs)
    kls = [float(kl_unchecked(a, b).max()) for a, b in zip(h.policies[:-1], h.policies[1:])]
    return Curve(h.eta, np.array(kls, dtype=float), h.policies)


def optimum(mdp) -> float:
    return policy_iteration(mdp).eta


def start_policy(mdp) -> np.ndarray:
    return uniform(mdp)

"""Tiny problems shared by the learner tests."""

import numpy as np

from tabular.parametric import LogLinear, TabularSoftmax, random_features
from tabular.zoo import garnet


def tiny(kind: str = "softmax", seed: int = 0):
    """A 5-state, 3-action Garnet (gamma = 0.8) and a tabular-softmax or log-linear (d = 4) policy."""
    mdp = garnet(5, 3, 3, rng=np.random.default_rng([77, seed]), gamma=0.8)
    if kind == "softmax":
        return mdp, TabularSoftmax(5, 3)
    return mdp, LogLinear(random_features(5, 3, 4, rng=np.random.default_rng([78, seed])))

"""Figure 17 (seed notes 000, sample reuse): its helpers. The claim is asserted by the smoke test."""

import numpy as np

from experiments import fig17_sample_reuse as F17
from tabular.importance import reuse_moments
from tabular.zoo import chain


def test_doubling_staleness():
    assert F17._doubling(np.array([1.0, 0.5, 1.9, 2.0, 9.0])) == 3
    assert F17._doubling(np.array([1.0, 1.5])) is None


def test_truncation_bound_covers_the_per_decision_bias():
    mdp = chain(4, slip=0.2, gamma=0.8)
    pols, _ = F17._trpo(mdp, 0.01, 5)
    mu, pi, pi_new = pols[1], pols[4], pols[5]
    H = 30
    exact = reuse_moments(mdp, mu, pi, pi_new, 400, "per_decision").mean[-1]  # 0.8^400: no truncation
    truncated = reuse_moments(mdp, mu, pi, pi_new, H, "per_decision").mean[-1]
    bound = F17._truncation_bound(mdp, H, float(np.max(np.abs(pi_new / pi - 1.0))))
    assert 0 < abs(truncated - exact) <= bound

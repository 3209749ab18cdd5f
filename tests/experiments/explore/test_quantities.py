"""Per-state step quantities: the terms (rho_new - rho) Abar sum to eta - L (Eq. (2) minus Eq. (3))."""

from __future__ import annotations

import numpy as np

import bounds as B
import tabular as T
from experiments.explore.quantities import policy_picture, step_terms


def test_terms_sum_to_eta_minus_surrogate_on_random_pairs():
    rng = np.random.default_rng(0)
    for k in range(20):
        mdp = T.garnet(int(rng.integers(2, 9)), int(rng.integers(2, 4)), 2, rng=k, gamma=float(rng.uniform(0.1, 0.99)))
        pi, pi_new = T.random_policy(mdp, rng=rng), T.random_policy(mdp, rng=rng)
        st = step_terms(mdp, pi, pi_new)
        eta_new = T.evaluate(mdp, pi_new).eta
        L = T.surrogate(mdp, pi, pi_new)
        scale = max(1.0, np.max(np.abs(mdp.R)) / (1 - mdp.gamma))
        assert abs(st.terms.sum() - (eta_new - L)) <= 1e-11 * scale
        assert abs(st.gap - (eta_new - L)) <= 1e-12 * scale


def test_step_quantities_match_tabular():
    mdp = T.gridworld(3, 3)
    pi = T.uniform(mdp)
    pi_new = B.pi_step(mdp, pi).pi_new
    st = step_terms(mdp, pi, pi_new)
    ev, ev_new = T.evaluate(mdp, pi), T.evaluate(mdp, pi_new)
    np.testing.assert_allclose(st.dV, ev_new.V - ev.V, atol=1e-13)
    np.testing.assert_allclose(st.Abar, np.einsum("sa,sa->s", pi_new, ev.A), atol=1e-13)
    np.testing.assert_allclose(st.tv, 0.5 * np.abs(pi - pi_new).sum(1), atol=1e-15)
    assert np.all(np.isinf(st.kl[:-1]))  # greedy drops actions the uniform policy uses: KL = inf
    pic = policy_picture(mdp, pi)
    assert abs(pic.eta_contribution.sum() - ev.eta) < 1e-12
    np.testing.assert_allclose(pic.d, (1 - mdp.gamma) * ev.rho)

"""Figure 18 (seed notes 003, products of ratios): its helpers. The claim is asserted by the smoke test."""

from experiments import fig18_ratio_products as F18


def test_fig18_step_hits_the_requested_kl():
    mdp, theta, pi, ev, D = F18._setup(0)
    for kl in (1e-3, 0.3):
        alpha = F18._alpha_for(ev, theta, D, kl)
        assert abs(F18._mean_kl(ev, pi, F18.softmax(theta + alpha * D)) - kl) < 1e-10

"""The penalty and the constraint of Section 7 of [TRPO] are one problem (seed notes 001, Figure 19):
the multiplier ``beta(delta)`` that ``trust_region_step(..., constraint="mean")`` returns, used as the
coefficient of ``kl_penalty_step``, reproduces the constrained step.

Independent checks: the cvxpy/Clarabel penalized solver at ``beta(delta)``; the envelope theorem
``d L*(delta) / d delta = beta(delta)`` by central differences of the constrained optimum.
"""

import numpy as np
import pytest

from bounds.updates import kl_penalty_step, trust_region_step
from tabular import evaluate, garnet, random_policy
from tabular.divergences import kl_unchecked

CASES = [(garnet(6, 3, 2, rng=r, gamma=g), r) for r, g in ((1, 0.5), (2, 0.9), (3, 0.95))]


def _penalty_coefficient(beta, weights, gamma):
    """kl_penalty_step penalizes ``c sum_s rho(s) KL_s``: ``c = beta`` for the rho-weighted constraint of
    Eq. (12), ``c = (1 - gamma) beta`` for the d-weighted one (``d = (1 - gamma) rho``)."""
    return beta if weights == "rho" else (1.0 - gamma) * beta


@pytest.mark.parametrize("weights", ["rho", "d"])
@pytest.mark.parametrize("delta", [1e-3, 0.03, 0.5])
def test_the_multiplier_as_a_penalty_gives_the_constrained_step(weights, delta):
    for mdp, r in CASES:
        pi = random_policy(mdp, rng=r)
        ev = evaluate(mdp, pi)
        con = trust_region_step(mdp, pi, delta, constraint="mean", weights=weights, ev=ev)
        beta = float(con.multiplier)
        w = ev.rho if weights == "rho" else ev.d
        assert beta > 0 and abs(w @ kl_unchecked(pi, con.pi_new) / delta - 1.0) < 1e-8  # active constraint
        pen = kl_penalty_step(mdp, pi, c=_penalty_coefficient(beta, weights, mdp.gamma), ev=ev)
        np.testing.assert_allclose(pen.pi_new, con.pi_new, atol=1e-10)


def test_the_reference_solver_agrees():
    pytest.importorskip("cvxpy")
    mdp, r = CASES[1]
    pi = random_policy(mdp, rng=r)
    ev = evaluate(mdp, pi)
    con = trust_region_step(mdp, pi, 0.02, constraint="mean", weights="d", ev=ev)
    ref = kl_penalty_step(mdp, pi, c=(1.0 - mdp.gamma) * float(con.multiplier), ev=ev, solver="cvxpy")
    np.testing.assert_allclose(ref.pi_new, con.pi_new, atol=1e-5)


@pytest.mark.parametrize("weights", ["rho", "d"])
def test_envelope_theorem_the_multiplier_is_the_price_of_delta(weights):
    """``L*(delta) = max {L : sum_s w(s) KL_s <= delta}`` has ``dL*/d delta = beta(delta)``."""
    mdp, r = CASES[2]
    pi = random_policy(mdp, rng=r)
    ev = evaluate(mdp, pi)
    delta, h = 0.05, 1e-5
    L = [trust_region_step(mdp, pi, d, constraint="mean", weights=weights, ev=ev).surrogate
         for d in (delta - h, delta + h)]
    beta = float(trust_region_step(mdp, pi, delta, constraint="mean", weights=weights, ev=ev).multiplier)
    assert (L[1] - L[0]) / (2 * h) == pytest.approx(beta, rel=1e-5)

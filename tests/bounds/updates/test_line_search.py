"""Tests of bounds/updates/practical/line_search.py: the step length of [TRPO] Appendix C against a
dense solve and its closed form, the backtracking line search against the backtrack fractions written
out, and the learners' KL-constrained step against the practical step on the same inputs (the one
home both use)."""

import numpy as np
import pytest

from bounds.updates.practical import backtracking_line_search, full_step, trpo_step
from experiments.learners import kl_constrained_step
from tabular.evaluation import evaluate, surrogate_of
from tabular.parametric import TabularSoftmax
from tabular.zoo import garnet


def _spd(n, seed):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    return M @ M.T + n * np.eye(n), rng.standard_normal(n)


@pytest.mark.parametrize("damping", [0.0, 1e-3, 0.5])
def test_full_step_is_the_damped_solve_with_the_appendix_c_length(damping):
    F, g = _spd(5, 1)
    theta, delta = np.zeros(5), 0.01
    fs = full_step(theta, g, lambda v: F @ v, delta, cg_iters=50, damping=damping)
    s = np.linalg.solve(F + damping * np.eye(5), g)  # independent: a dense solve
    assert fs.ok and np.allclose(fs.direction, s, rtol=1e-8, atol=1e-10)
    assert fs.curvature == pytest.approx(s @ F @ s, rel=1e-8)  # undamped F
    assert fs.beta == pytest.approx(np.sqrt(2 * delta / (s @ F @ s)), rel=1e-8)
    assert 0.5 * fs.beta**2 * fs.curvature == pytest.approx(delta, rel=1e-12)  # the KL model = delta


def test_full_step_fixed_length_and_the_no_step_cases():
    F, g = _spd(3, 2)
    fv = lambda v: F @ v  # noqa: E731
    assert full_step(np.zeros(3), g, fv, 0.1, cg_iters=10, damping=0.0, step_length=0.25).beta == 0.25
    zero = full_step(np.zeros(3), np.zeros(3), fv, 0.1, cg_iters=10, damping=0.0)
    assert not zero.ok and zero.beta == 0.0 and not zero.direction.any()
    flat = full_step(np.zeros(3), g, lambda v: 0.0 * v, 0.1, cg_iters=10, damping=1.0)  # F = 0: c(s) = 0
    assert not flat.ok and flat.beta == 0.0 and flat.curvature == 0.0
    far = 1.79e308 * np.sign(np.linalg.solve(F, g))  # theta near the largest float, along s
    with np.errstate(over="ignore"):
        huge = full_step(far, g, fv, 0.1, cg_iters=10, damping=0.0, step_length=1e308)
    assert not huge.ok and huge.beta == 1e308  # theta + beta s overflows


def test_backtracking_line_search_takes_the_first_accepted_fraction():
    theta, full = np.array([1.0, -2.0]), np.array([0.5, 4.0])
    # accept once the fraction is at most 0.45: 0.8^3 = 0.512 fails, 0.8^4 = 0.4096 passes
    r = backtracking_line_search(theta, full, lambda th, f: f <= 0.45, backtrack=0.8, max_backtracks=10)
    assert r.accepted and r.n_backtracks == 4 and r.step_fraction == 0.8**4
    assert np.array_equal(r.theta_new, theta + 0.8**4 * full)
    # the point passed to accept is theta + frac * full (accept on the point, not the fraction)
    r = backtracking_line_search(theta, full, lambda th, f: th[1] <= 0.0, backtrack=0.5, max_backtracks=5)
    assert r.accepted and r.step_fraction == 0.5 and np.array_equal(r.theta_new, [1.25, 0.0])
    never = backtracking_line_search(theta, full, lambda th, f: False, backtrack=0.5, max_backtracks=3)
    assert not never.accepted and never.n_backtracks == 3 and never.step_fraction == 0.0
    assert np.array_equal(never.theta_new, theta) and never.theta_new is not theta


# (garnet seed, scale of theta, delta): full steps, and steps the line search shortens (seed 1, scale 3)
@pytest.mark.parametrize("seed, scale, delta", [(4, 1.0, 1e-3), (4, 1.0, 2.0), (1, 3.0, 0.05), (1, 3.0, 2.0)])
def test_learners_step_and_practical_step_agree_on_the_same_inputs(seed, scale, delta):
    mdp = garnet(6, 3, 2, rng=seed, gamma=0.9)
    pol = TabularSoftmax(6, 3)
    theta = scale * np.random.default_rng(5).standard_normal(pol.n_params)
    ev = evaluate(mdp, pol.probs(theta))
    w = np.asarray(ev.d)
    ref = trpo_step(mdp, pol, theta, delta, ev=ev)
    g = pol.policy_gradient(mdp, theta, ev=ev)
    got = kl_constrained_step(theta, g, pol.fvp_operator(theta, w), delta,
                              gain=lambda th: surrogate_of(ev, pol.probs(th)) - float(ev.eta),
                              kl=lambda th: pol.mean_kl(theta, th, w))
    assert got.accepted == ref.accepted and got.step_fraction == ref.step_fraction
    assert np.array_equal(got.theta_new, ref.theta_new) and got.beta == ref.beta

"""Tests of bounds/practical.py: the CG + line-search TRPO step ([TRPO] §5-6, Appendix C).

Independent references: the dense Fisher matrix of tabular.gradients (block formula) or of the
features (explicit sum), np.linalg.solve for the CG system, tabular.evaluation / divergences for
eta, the surrogate and the KL, and the exact trust-region solver bounds.updates.trust_region_step.
"""

import numpy as np
import pytest
from tests.reference import np_eval

from bounds.updates.practical import (
    ExactComparison,
    TRPOStepResult,
    compare_with_exact,
    conjugate_gradient,
    trpo_step,
)
from bounds.updates import trust_region_step
from tabular.divergences import kl
from tabular.evaluation import evaluate, surrogate
from tabular.gradients import softmax_fisher, softmax_policy_gradient
from tabular.parametric import LogLinear, TabularSoftmax, random_features
from tabular.policies import softmax
from tabular.zoo import garnet


def _loglinear_fisher(phi, theta, w):
    """Dense Fisher matrix of a log-linear policy from its definition (no class code)."""
    z = np.einsum("sai,i->sa", phi, theta)
    pi = np.exp(z - z.max(1, keepdims=True))
    pi /= pi.sum(1, keepdims=True)
    psi = phi - np.einsum("sa,sai->si", pi, phi)[:, None, :]
    return np.einsum("s,sa,sai,saj->ij", w, pi, psi, psi), pi




def _np_kl(p, q):
    """KL(p(.|s) || q(.|s)) per row as sum_a p log(p/q) (full-support rows), written here."""
    return np.sum(p * (np.log(p) - np.log(q)), axis=1)


def _np_softmax(theta):
    z = theta - theta.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _own_mean_kl_value(A, pi, rho, w, delta):
    """Eq. (12) as a cvxpy model written here: max sum_s rho(s) <p_s, A_s> s.t. sum_s w(s) KL_s <= delta."""
    cp = pytest.importorskip("cvxpy")
    ps = [cp.Variable(pi.shape[1], nonneg=True) for _ in range(pi.shape[0])]
    lin = sum(rho[s] * (A[s] @ ps[s]) for s in range(len(ps)))
    kl_w = sum(w[s] * cp.sum(cp.rel_entr(pi[s], ps[s])) for s in range(len(ps)))
    prob = cp.Problem(cp.Maximize(lin), [cp.sum(p) == 1 for p in ps] + [kl_w <= delta])
    # tight tolerances: at Clarabel's defaults (1e-8) the KL row is violated by ~1e-7 relative at gamma = 0.99,
    # which is worth ~1e-6 of L; at 1e-10 the value is within ~1e-8 relative (from above: slightly infeasible)
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10, max_iter=500)
    assert prob.status == cp.OPTIMAL, prob.status
    return prob.value


def _instance(k, S=None, A=None):
    rng = np.random.default_rng([2024, k])
    S = S or int(rng.integers(3, 9))
    A = A or int(rng.integers(2, 5))
    gamma = float(rng.choice([0.5, 0.9, 0.99]))
    mdp = garnet(S, A, min(S, 3), rng=rng, gamma=gamma, reward="signed")
    theta = rng.normal(scale=1.5, size=S * A)
    return mdp, theta


@pytest.mark.parametrize("delta", [1e-3, 0.05, 0.5])
def test_full_step_quadratic_kl_equals_delta_softmax(delta):
    mdp, theta = _instance(0, S=6, A=3)
    pol = TabularSoftmax(6, 3)
    r = trpo_step(mdp, pol, theta, delta, line_search=False)
    assert isinstance(r, TRPOStepResult) and r.accepted and r.step_fraction == 1.0
    pi = softmax(theta.reshape(6, 3))
    F = softmax_fisher(pi, evaluate(mdp, pi).d)  # independent dense Fisher
    s = r.search_direction
    assert np.isclose(0.5 * r.beta**2 * s @ F @ s, delta, rtol=1e-12)
    assert np.isclose(r.predicted_kl, delta, rtol=1e-12)
    assert np.allclose(r.theta_new - theta, r.beta * s, rtol=1e-12, atol=1e-15)
    g = softmax_policy_gradient(mdp, theta.reshape(6, 3)).ravel()
    assert np.allclose(r.gradient, g, rtol=1e-12, atol=1e-15)
    assert np.isclose(r.predicted_improvement, g @ (r.theta_new - theta), rtol=1e-12)


def test_full_step_quadratic_kl_equals_delta_loglinear():
    mdp = garnet(8, 3, 3, rng=4, gamma=0.9)
    phi = random_features(8, 3, 4, rng=5)
    pol = LogLinear(phi)
    theta = np.random.default_rng(6).normal(size=4)
    r = trpo_step(mdp, pol, theta, 0.02, line_search=False, weights="rho")
    F, _ = _loglinear_fisher(phi, theta, evaluate(mdp, pol.probs(theta)).rho)
    s = r.search_direction
    assert np.isclose(0.5 * r.beta**2 * s @ F @ s, 0.02, rtol=1e-12)


@pytest.mark.parametrize("cg", ["scipy", "own"])
@pytest.mark.parametrize("damping", [0.0, 1e-3, 0.1])
def test_cg_with_n_iterations_solves_the_damped_system(cg, damping):
    mdp, theta = _instance(1, S=5, A=3)
    pol = TabularSoftmax(5, 3)
    r = trpo_step(mdp, pol, theta, 0.01, cg_iters=pol.n_params, damping=damping, cg=cg, line_search=False)
    pi = softmax(theta.reshape(5, 3))
    F = softmax_fisher(pi, evaluate(mdp, pi).d)
    g = r.gradient
    s = r.search_direction
    assert np.linalg.norm((F + damping * np.eye(15)) @ s - g) <= 1e-8 * np.linalg.norm(g)
    assert r.cg_residual <= 1e-8
    if damping > 0:  # nonsingular: unique solution
        s_ref = np.linalg.solve(F + damping * np.eye(15), g)
        assert np.allclose(s, s_ref, rtol=1e-7, atol=1e-10 * np.abs(s_ref).max())
    else:  # singular F: CG from 0 stays in range(F) and gives the minimum-norm solution
        s_ref = np.linalg.lstsq(F, g, rcond=1e-12)[0]
        assert np.allclose(s, s_ref, rtol=1e-6, atol=1e-8 * np.abs(s_ref).max())


def test_conjugate_gradient_implementations_agree():
    rng = np.random.default_rng(0)
    B = rng.normal(size=(12, 12))
    M = B @ B.T + 0.1 * np.eye(12)
    b = rng.normal(size=12)
    x_ref = np.linalg.solve(M, b)
    for solver in ("scipy", "own"):
        x, _, res = conjugate_gradient(lambda v: M @ v, b, 60, solver=solver)
        assert np.allclose(x, x_ref, rtol=1e-7)
        assert res < 1e-9
    with pytest.raises(ValueError, match="cg"):
        conjugate_gradient(lambda v: M @ v, b, 5, solver="nope")


def test_line_search_never_decreases_eta_softmax():
    """30 random Garnet/softmax instances x 5 radii: with exact advantages eta never decreases,
    the mean KL stays within delta and the surrogate improves (all rechecked independently)."""
    n_accepted = n_backtracked = 0
    for k in range(30):
        mdp, theta = _instance(100 + k)
        S, A = mdp.shape
        pol = TabularSoftmax(S, A)
        pi = softmax(theta.reshape(S, A))
        ev = evaluate(mdp, pi)
        p_old = _np_softmax(theta.reshape(S, A))
        ex = np_eval(mdp, p_old)
        for delta in (1e-3, 1e-2, 0.1, 1.0, 10.0):
            r = trpo_step(mdp, pol, theta, delta, ev=ev)
            pi_new = softmax(r.theta_new.reshape(S, A))
            eta_new = evaluate(mdp, pi_new).eta
            assert eta_new >= ev.eta - 1e-12 * max(1.0, abs(ev.eta))
            assert np.isclose(r.actual_eta_improvement, eta_new - ev.eta, rtol=1e-9, atol=1e-12)
            kl_d = float(ev.d @ kl(pi, pi_new))
            assert kl_d <= delta * (1 + 1e-9)
            assert np.isclose(r.actual_kl, kl_d, rtol=1e-8, atol=1e-15)
            if r.accepted:
                n_accepted += 1
                n_backtracked += r.n_backtracks > 0
                assert surrogate(mdp, pi, pi_new, ev=ev) > ev.eta
                # the same rules on numbers computed here (softmax, eta, L of Eq. (3), KL by definition)
                p_new = _np_softmax(r.theta_new.reshape(S, A))
                tol = 1e-10 * max(1.0, np.abs(mdp.R).max() / (1 - mdp.gamma))
                assert ex["rho"] @ np.sum(p_new * ex["A"], axis=1) > -tol  # L_new - eta_old
                assert np_eval(mdp, p_new)["eta"] >= ex["eta"] - tol
                assert ex["d"] @ _np_kl(p_old, p_new) <= delta * (1 + 1e-9)
                assert np.isclose(r.actual_kl, ex["d"] @ _np_kl(p_old, p_new), rtol=1e-7, atol=1e-14)
    # the accepted branch (and a real backtracking) runs: "never decreases" is not true only of unmoved steps
    assert n_accepted >= 100 and n_backtracked >= 10


@pytest.mark.parametrize("seed, scale, delta, rejected_by", [(13, 2.0, 5.0, "kl"), (11, 4.0, 20.0, "surrogate")])
def test_line_search_acceptance_rules_loglinear(seed, scale, delta, rejected_by):
    """With shared features the full step fails a rule (the KL constraint, or the surrogate improvement);
    the accepted step satisfies the rules (rechecked independently) and equals theta + backtrack^k beta s,
    and every earlier candidate failed a rule. (The former instance, seed 11 with delta 5, accepted the
    full step, so its check of the rejected candidate never ran.)"""
    mdp = garnet(12, 3, 3, rng=seed, gamma=0.95)
    phi = random_features(12, 3, 3, rng=seed + 1, scale=scale)
    pol = LogLinear(phi)
    theta = np.random.default_rng(seed + 2).normal(size=3)
    full = trpo_step(mdp, pol, theta, delta, line_search=False)
    r = trpo_step(mdp, pol, theta, delta, backtrack=0.5, max_backtracks=15)
    assert r.accepted and r.n_backtracks > 0  # the line search really backtracks here
    pi = pol.probs(theta)
    ev = evaluate(mdp, pi)
    F, pi_np = _loglinear_fisher(phi, theta, ev.d)
    assert np.allclose(r.theta_new, theta + 0.5**r.n_backtracks * r.beta * r.search_direction)
    assert np.isclose(r.step_fraction, 0.5**r.n_backtracks)
    pi_new = pol.probs(r.theta_new)
    assert float(ev.d @ kl(pi, pi_new)) <= delta
    assert surrogate(mdp, pi, pi_new, ev=ev) > ev.eta
    assert np.isclose(r.predicted_kl, 0.5 * (r.step_fraction * r.beta) ** 2 * r.search_direction @ F @ r.search_direction)
    # every candidate before the accepted one failed a rule, judged with numbers computed here (the
    # log-linear policy from its features, eta and rho by np.linalg.solve, L by Eq. (3), KL by definition)
    ex = np_eval(mdp, pi_np)

    def rules(th):
        _, p = _loglinear_fisher(phi, th, ex["d"])
        return ex["d"] @ _np_kl(pi_np, p) <= delta, ex["rho"] @ np.sum(p * ex["A"], axis=1) > 0

    for k in range(r.n_backtracks + 1):
        kl_ok, gain_ok = rules(theta + 0.5**k * r.beta * r.search_direction)
        if k < r.n_backtracks:
            assert not (kl_ok and gain_ok)
            assert not (kl_ok if rejected_by == "kl" else gain_ok)
        else:
            assert kl_ok and gain_ok
    assert full.accepted and full.step_fraction == 1.0 and np.isclose(full.predicted_kl, delta)


def test_accept_ratio_and_check_kl_options():
    mdp = garnet(12, 3, 3, rng=11, gamma=0.95)
    pol = LogLinear(random_features(12, 3, 3, rng=12, scale=2.0))
    theta = np.random.default_rng(13).normal(size=3)
    r = trpo_step(mdp, pol, theta, 1.0, accept_ratio=0.5, max_backtracks=30)
    if r.accepted:
        assert r.actual_surrogate_improvement >= 0.5 * r.predicted_improvement
        assert r.actual_kl <= 1.0
    r2 = trpo_step(mdp, pol, theta, 1.0, check_kl=False)
    assert r2.actual_surrogate_improvement > 0 or not r2.accepted
    assert r2.n_backtracks <= r.n_backtracks or not r.accepted
    # the branches above run (the `or not accepted` forms alone could pass with no step at all), and the
    # ratio rule is rechecked with the gradient and surrogate computed here, on every candidate
    assert r.accepted and r.n_backtracks > 0 and r2.accepted
    phi = pol.features
    pi_np = _loglinear_fisher(phi, theta, np.ones(12))[1]
    ex = np_eval(mdp, pi_np)
    psi = phi - np.einsum("sa,sai->si", pi_np, phi)[:, None, :]
    g = np.einsum("s,sa,sa,sai->i", ex["rho"], pi_np, ex["A"], psi)  # grad eta of a log-linear policy
    np.testing.assert_allclose(r.gradient, g, rtol=1e-9, atol=1e-12)
    for k in range(r.n_backtracks + 1):
        step = 0.8**k * r.beta * r.search_direction
        _, p = _loglinear_fisher(phi, theta + step, np.ones(12))
        gain = ex["rho"] @ np.sum(p * ex["A"], axis=1)
        ok = gain >= 0.5 * (g @ step) and ex["d"] @ _np_kl(pi_np, p) <= 1.0
        assert ok == (k == r.n_backtracks), k
    # check_kl=False accepts a full step that leaves the trust region (where check_kl=True backtracks)
    mdp13 = garnet(12, 3, 3, rng=13, gamma=0.95)
    pol13 = LogLinear(random_features(12, 3, 3, rng=14, scale=2.0))
    theta13 = np.random.default_rng(15).normal(size=3)
    free = trpo_step(mdp13, pol13, theta13, 5.0, check_kl=False)
    kept = trpo_step(mdp13, pol13, theta13, 5.0)
    assert free.accepted and free.n_backtracks == 0 and free.actual_kl > 5.0
    assert kept.accepted and kept.n_backtracks > 0 and kept.actual_kl <= 5.0


def test_weights_forms_agree():
    mdp, theta = _instance(3)
    pol = TabularSoftmax(*mdp.shape)
    ev = evaluate(mdp, pol.probs(theta))
    a = trpo_step(mdp, pol, theta, 0.05, weights="d")
    b = trpo_step(mdp, pol, theta, 0.05, weights=np.array(ev.d))
    c = trpo_step(mdp, pol, theta, 0.05 / (1 - mdp.gamma), weights="rho", damping=1e-3 / (1 - mdp.gamma))
    assert np.allclose(a.theta_new, b.theta_new, rtol=1e-12)
    # rho = d / (1-gamma): scaling F, delta and damping together leaves the step unchanged
    assert np.allclose(a.theta_new, c.theta_new, rtol=1e-8, atol=1e-12)


def test_zero_gradient_takes_no_step():
    mdp = garnet(4, 2, 2, rng=0, gamma=0.9)
    flat = type(mdp)(mdp.P, np.ones(mdp.shape), mdp.rho0, mdp.gamma)  # every policy is optimal
    pol = TabularSoftmax(4, 2)
    theta = np.random.default_rng(1).normal(size=8)
    r = trpo_step(flat, pol, theta, 0.1)
    assert not r.accepted and np.array_equal(r.theta_new, theta) and r.actual_eta_improvement == 0.0


def test_small_delta_approaches_exact_trust_region_solution():
    """Full practical step (CG to convergence, no damping) vs the exact Eq. (12) solution: the angle
    and |1 - improvement ratio| shrink with delta, the gap at matched KL faster than delta, and the
    KL overshoot faster than delta."""
    mdp, theta = _instance(5, S=7, A=3)
    pol = TabularSoftmax(7, 3)
    deltas = [1e-2, 1e-3, 1e-4, 1e-5]
    cs = [compare_with_exact(mdp, pol, theta, d, line_search=False, damping=0.0, cg_iters=pol.n_params)
          for d in deltas]
    assert all(isinstance(c, ExactComparison) for c in cs)
    angles = np.array([c.angle for c in cs])
    short = np.abs([1 - c.improvement_ratio for c in cs])  # either sign: the full step may overshoot the KL
    gap_m = np.array([c.surrogate_gap_matched / d for c, d in zip(cs, deltas)])
    over = np.array([abs(c.kl_overshoot) / d for c, d in zip(cs, deltas)])
    assert np.all(np.diff(angles) < 0) and angles[-1] < 0.1 * angles[0]
    assert short[-1] < 0.1 * short[0] and short[-1] < 1e-3
    assert np.all(gap_m >= -1e-6) and np.all(np.diff(gap_m) < 0) and gap_m[-1] < 0.1 * gap_m[0]
    assert over[-1] < 0.2 * over.max() and over[-1] < 1e-3  # |KL - delta| / delta -> 0 (sign may change)
    # the exact side: its KL is delta and its surrogate matches the solver's (a regression check: both are
    # trust_region_step) ...
    ex = trust_region_step(mdp, cs[0].pi, deltas[0], constraint="mean", weights="d")
    assert np.isclose(cs[0].surrogate_exact, ex.info["surrogate"], rtol=1e-12)
    assert np.isclose(cs[0].kl_exact, deltas[0], rtol=1e-6)
    # ... and independently: the optimum of Eq. (12) with weights d from a cvxpy model written here, the KL
    # of the exact policy by definition
    e = np_eval(mdp, cs[0].pi)
    for c, d in zip(cs[:2], deltas[:2]):
        assert c.surrogate_exact == pytest.approx(e["eta"] + _own_mean_kl_value(e["A"], c.pi, e["rho"], e["d"], d),
                                                  abs=2e-8 * max(1.0, abs(c.surrogate_exact)))
        assert e["d"] @ _np_kl(c.pi, c.pi_exact) == pytest.approx(d, rel=1e-7)


def test_practical_step_within_radius_never_beats_exact():
    """With the KL check on, the practical policy is feasible for Eq. (12), so L_practical <= L_exact."""
    for k in range(8):
        mdp, theta = _instance(200 + k)
        pol = TabularSoftmax(*mdp.shape)
        for delta in (1e-3, 0.1):
            c = compare_with_exact(mdp, pol, theta, delta)
            assert c.kl_practical <= delta * (1 + 1e-9)
            assert c.surrogate_gap >= -1e-9 * max(1.0, abs(c.surrogate_exact))
            assert c.improvement_ratio <= 1 + 1e-7
            assert 0.0 <= c.angle <= np.pi
            # independent: the practical policy is feasible (KL by definition), and its L (Eq. (3), from a
            # np.linalg.solve evaluation) never beats the Eq. (12) optimum of a cvxpy model written here
            if k % 2 == 0:
                e = np_eval(mdp, c.pi)
                L_p = e["eta"] + e["rho"] @ np.sum(c.pi_practical * e["A"], axis=1)
                L_opt = e["eta"] + _own_mean_kl_value(e["A"], c.pi, e["rho"], e["d"], delta)
                assert e["d"] @ _np_kl(c.pi, c.pi_practical) <= delta * (1 + 1e-9)
                tol = 2e-8 * max(1.0, abs(L_opt))
                assert L_p <= L_opt + tol and c.surrogate_exact == pytest.approx(L_opt, abs=tol)


def test_bad_input():
    mdp, theta = _instance(0, S=6, A=3)
    pol = TabularSoftmax(6, 3)
    for bad in (0.0, -1.0, np.inf):
        with pytest.raises(ValueError, match="delta"):
            trpo_step(mdp, pol, theta, bad)
    with pytest.raises(ValueError, match="theta"):
        trpo_step(mdp, pol, theta[:-1], 0.1)
    with pytest.raises(ValueError, match="mdp has shape"):
        trpo_step(mdp, TabularSoftmax(5, 3), theta[:15], 0.1)
    with pytest.raises(ValueError, match="backtrack"):
        trpo_step(mdp, pol, theta, 0.1, backtrack=1.0)
    with pytest.raises(ValueError, match="damping"):
        trpo_step(mdp, pol, theta, 0.1, damping=-1e-3)
    with pytest.raises(ValueError, match="cg_iters"):
        trpo_step(mdp, pol, theta, 0.1, cg_iters=0)
    with pytest.raises(ValueError, match="accept_ratio"):
        trpo_step(mdp, pol, theta, 0.1, accept_ratio=1.5)
    with pytest.raises(ValueError, match="weights"):
        trpo_step(mdp, pol, theta, 0.1, weights="mean")
    with pytest.raises(ValueError, match="cg"):
        trpo_step(mdp, pol, theta, 0.1, cg="lapack")
    with pytest.raises(TypeError, match="SurrogateSamples"):
        trpo_step({"states": []}, pol, theta, 0.1)
    with pytest.raises(TypeError, match="policy"):
        trpo_step(mdp, np.zeros((6, 3)), theta, 0.1)
    with pytest.raises(TypeError, match="TabularSoftmax"):
        compare_with_exact(mdp, LogLinear(random_features(6, 3, 2, rng=0)), np.zeros(2), 0.1)
    with pytest.raises(ValueError, match="delta"):
        compare_with_exact(mdp, pol, theta, -0.1)


# ------------------------------------------------------------------------ the sample-based step
from bounds.updates.practical import sample_trpo, trpo_step_samples  # noqa: E402
from tabular.planning import optimal  # noqa: E402
from tabular.estimators import single_path, vine  # noqa: E402


def _garnet_softmax(seed=0, S=6, A=3, gamma=0.8):
    mdp = garnet(S, A, 3, rng=seed, gamma=gamma)
    pol = TabularSoftmax(S, A)
    theta = np.random.default_rng(seed + 1).normal(0, 0.5, S * A)
    return mdp, pol, theta


def test_sample_gradient_is_within_its_confidence_interval_of_the_exact_gradient():
    """g of the sample-based step (gradient of Lhat, Eq. (14)) is unbiased for grad eta (Eq. (4))."""
    mdp, pol, theta = _garnet_softmax()
    smp = single_path(mdp, pol.probs(theta), 4000, 40, rng=3)
    res = trpo_step_samples(smp, pol, theta, 0.01, mdp=mdp)
    exact = pol.policy_gradient(mdp, theta)
    from tabular.estimators import surrogate_estimate

    se = surrogate_estimate(smp, theta.reshape(6, 3)).grad_stderr.ravel()
    assert np.all(np.abs(res.gradient - exact) <= 5 * se + 0.9**40 * 10)
    # the exact side by the tabular-softmax formula rho(s) pi(a|s) A(s, a), from a np.linalg.solve evaluation
    p = _np_softmax(theta.reshape(6, 3))
    e = np_eval(mdp, p)
    np.testing.assert_allclose(exact, (e["rho"][:, None] * p * e["A"]).ravel(), rtol=1e-9, atol=1e-12)


def test_sample_step_full_step_meets_the_kl_model_and_constraint():
    mdp, pol, theta = _garnet_softmax(seed=2)
    smp = single_path(mdp, pol.probs(theta), 300, 30, rng=4)
    full = trpo_step_samples(smp, pol, theta, 0.02, line_search=False)
    F_hat = pol.fisher(theta, full.weights)
    s_dir = full.search_direction
    assert 0.5 * full.beta**2 * (s_dir @ F_hat @ s_dir) == pytest.approx(0.02, rel=1e-9)
    assert np.isnan(full.eta_new)  # no model given: the truth is unknown, and says so
    ls = trpo_step_samples(smp, pol, theta, 0.02, mdp=mdp)
    via_dispatch = trpo_step(smp, pol, theta, 0.02)  # trpo_step accepts samples too
    np.testing.assert_array_equal(via_dispatch.theta_new, ls.theta_new)
    assert ls.accepted  # the branch below runs on this instance
    if ls.accepted:
        assert ls.actual_kl <= 0.02 + 1e-12
        assert np.isfinite(ls.eta_new)
    np.testing.assert_allclose(full.weights.sum(), 1.0)
    # independent of the policy class: the weights are the samples' discounted state frequencies, and the
    # KL model uses the Fisher matrix of the tabular softmax, block-diagonal w(s) (diag pi_s - pi_s pi_s^T)
    w = np.bincount(smp.states, weights=smp.weights, minlength=6)
    np.testing.assert_allclose(full.weights, w / w.sum(), rtol=1e-12)
    p = _np_softmax(theta.reshape(6, 3))
    F = np.zeros((18, 18))
    for st in range(6):
        F[3 * st:3 * st + 3, 3 * st:3 * st + 3] = w[st] / w.sum() * (np.diag(p[st]) - np.outer(p[st], p[st]))
    assert 0.5 * full.beta**2 * (s_dir @ F @ s_dir) == pytest.approx(0.02, rel=1e-9)
    p_new = _np_softmax(ls.theta_new.reshape(6, 3))
    assert ls.actual_kl == pytest.approx(full.weights @ _np_kl(p, p_new), rel=1e-8)
    e, e_new = np_eval(mdp, p), np_eval(mdp, p_new)
    assert ls.eta_new == pytest.approx(e_new["eta"], abs=1e-10) and ls.eta_old == pytest.approx(e["eta"], abs=1e-10)


def test_sample_trpo_improves_eta_with_both_estimators():
    mdp = garnet(8, 3, 3, rng=5, gamma=0.9)
    eta_star = optimal(mdp).eta
    for est in ("single_path", "vine"):
        h = sample_trpo(mdp, np.zeros(24), 0.01, 15, estimator=est, budget=8000, rng=6)
        assert h.eta[-1] > h.eta[0] + 0.5 * (eta_star - h.eta[0]), est
        assert np.all(np.diff(h.steps_used) > 0)


def test_sample_step_rejects_other_policies_and_bad_samples():
    mdp, pol, theta = _garnet_softmax()
    smp = vine(mdp, pol.probs(theta), n_states=5, rollout_horizon=10, rng=0)
    with pytest.raises(TypeError, match="TabularSoftmax"):
        trpo_step_samples(smp, LogLinear(random_features(6, 3, 2, rng=0)), np.zeros(2), 0.1)
    with pytest.raises(ValueError, match="delta"):
        trpo_step_samples(smp, pol, theta, 0.0)
    with pytest.raises(ValueError, match="estimator"):
        sample_trpo(mdp, theta, 0.01, 2, estimator="tree")

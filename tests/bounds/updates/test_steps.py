"""Tests of bounds/updates.py: the exact updates of Section 7 of [TRPO] and Algorithm 1.

Every check compares against an independent computation: exact policy evaluation
(``tabular.evaluate``) for eta and V, cvxpy/Clarabel for the convex steps, policy iteration for the
optimum, finite differences for the policy gradient, random feasible policies for optimality, and
the published NPG rate bound of [AKLM] (THEORY.md §4).
"""

import numpy as np
import pytest
from hypothesis import given, settings

from bounds import updates as up
from bounds.updates import SolverError
from tabular import MDP, evaluate, garnet, mdp_x, policy_iteration, softmax, surrogate, uniform
from tabular.strategies import mdp_and_policies
from tabular.divergences import kl as kl_rows

cp = pytest.importorskip("cvxpy")

from tests.reference import garnets as _garnets, np_eval  # noqa: E402

from .solvers._helpers import (cvx_kl_penalty, np_kl_rows, own_cvx_kl_constraint,  # noqa: E402
                               own_cvx_max_kl_penalty, own_cvx_max_tv_sq_penalty, own_cvx_mean_kl,
                               own_cvx_reverse_kl_penalty)

GAMMAS = (0.3, 0.6, 0.9)


# ------------------------------------------------------------------------------ Eq. (10), monotonicity
def _assert_eq10_independently(mdp, h, penalty="kl"):
    """Eq. (10) on numbers computed here: eta by np.linalg.solve, L by Eq. (3), C by Eq. (8), the KL / TV by
    their definitions. eta(pi_{i+1}) >= M_i(pi_{i+1}) (the minorization, Eq. (9) or (8)) and
    M_i(pi_{i+1}) >= M_i(pi_i) = eta(pi_i) (pi_i is a candidate of the argmax), at every step of run h."""
    g = mdp.gamma
    tol = 1e-10 * max(1.0, np.abs(mdp.R).max() / (1 - g))
    assert h.n_steps > 0
    for i in range(h.n_steps):
        p, q = h.policies[i], h.policies[i + 1]
        ep, eq = np_eval(mdp, p), np_eval(mdp, q)
        C = 4 * np.abs(ep["A"]).max() * g / (1 - g) ** 2
        D = np_kl_rows(p, q).max() if penalty == "kl" else (0.5 * np.abs(p - q).sum(axis=1).max()) ** 2
        M = ep["eta"] + ep["rho"] @ np.sum(q * ep["A"], axis=1) - C * D
        assert h.eta[i] == pytest.approx(ep["eta"], abs=tol) and h.M_new[i] == pytest.approx(M, abs=tol)
        assert eq["eta"] >= M - tol
        assert M >= ep["eta"] - tol


@pytest.mark.parametrize("gamma", GAMMAS)
def test_algorithm1_eq10_every_iteration(gamma):
    for mdp, pi in _garnets(2, gamma=gamma, seed=int(gamma * 10)):
        for penalty in ("kl", "tv"):
            h = up.run("mm", mdp, pi, 6, record_bounds=False, tol=0.0, penalty=penalty)
            # Eq. (10): eta gain >= M gain >= 0, with eta from exact evaluation of every policy
            etas = np.array([evaluate(mdp, p).eta for p in h.policies])
            gain = np.diff(etas)
            assert np.all(gain >= h.M_gain - 1e-12)
            assert np.all(h.M_gain >= -1e-12)
            assert h.eq10_holds and h.monotonic
            # M_i(pi_{i+1}) recomputed from its definition
            for i in range(h.n_steps):
                p, q = h.policies[i], h.policies[i + 1]
                D = kl_rows(p, q).max() if penalty == "kl" else (0.5 * np.abs(p - q).sum(axis=1).max()) ** 2
                assert h.M_new[i] == pytest.approx(surrogate(mdp, p, q) - h.C[i] * D, abs=1e-10)
                assert h.C[i] == pytest.approx(
                    4 * np.abs(evaluate(mdp, p).A).max() * gamma / (1 - gamma) ** 2, rel=1e-12)
            _assert_eq10_independently(mdp, h, penalty)


@pytest.mark.parametrize("gamma", GAMMAS)
def test_cpi_alpha_star_is_monotone(gamma):
    for mdp, pi in _garnets(2, gamma=gamma, seed=1):
        h = up.run("cpi", mdp, pi, 6, record_bounds=False, tol=0.0)
        etas = np.array([np_eval(mdp, p)["eta"] for p in h.policies])  # np.linalg.solve, not evaluate
        assert np.all(np.diff(etas) >= -1e-12)
        # THEORY.md §3: the gain is at least (1-gamma)^2 A'^2 / (8 gamma eps') when alpha* < 1, with A' and
        # eps' of Eq. (6) computed here (not the step's own info entries)
        n_interior = 0
        for i, s in enumerate(h.steps):
            ex = np_eval(mdp, h.policies[i])
            Ap_s = np.sum(np.eye(mdp.n_actions)[np.argmax(ex["Q"], axis=1)] * ex["A"], axis=1)  # greedy pi'
            A_p, eps_p = float(ex["rho"] @ Ap_s), float(np.abs(Ap_s).max())
            alpha = min(1.0, (1 - gamma) ** 2 * A_p / (4 * gamma * eps_p)) if eps_p > 1e-12 else 0.0
            assert s.multiplier == pytest.approx(alpha, rel=1e-9, abs=1e-12)
            np.testing.assert_allclose(h.policies[i + 1], (1 - alpha) * h.policies[i]
                                       + alpha * np.eye(mdp.n_actions)[np.argmax(ex["Q"], axis=1)], atol=1e-9)
            if s.info["alpha_star"] < 1:
                n_interior += 1
                lb = (1 - gamma) ** 2 * A_p**2 / (8 * gamma * eps_p)
                assert etas[i + 1] - etas[i] >= lb - 1e-12
        assert n_interior > 0  # the guaranteed-gain branch runs


@pytest.mark.parametrize("step", [0.1, 1.0, 10.0, 1e6])
def test_npg_improves_every_state(step):
    for gamma in GAMMAS:
        for mdp, pi in _garnets(2, gamma=gamma, seed=2):
            for _ in range(3):
                ev = evaluate(mdp, pi)
                res = up.npg_step(mdp, pi, step, ev=ev)
                new = evaluate(mdp, res.pi_new)
                assert np.all(new.V >= ev.V - 1e-10)
                pi = res.pi_new


def test_npg_is_soft_policy_iteration():
    mdp, pi = _garnets(1, gamma=0.8, seed=3)[0]
    ev = evaluate(mdp, pi)
    res = up.npg_step(mdp, pi, 0.7, ev=ev)
    theta = np.log(pi) + 0.7 * ev.A / (1 - 0.8)  # Eq. (17) for the tabular softmax
    np.testing.assert_allclose(res.pi_new, softmax(theta), atol=1e-14)


# ------------------------------------------------------------------------------ trust regions
def _random_feasible(pi, rho, delta, rng, constraint, n=200):
    """Random policies inside the trust region: mix pi towards random policies, shrink until feasible."""
    out = []
    logpi = np.log(pi)
    for _ in range(n):
        target = rng.dirichlet(np.full(pi.shape[1], 0.3), size=pi.shape[0])
        a = 1.0
        while True:
            q = (1 - a) * pi + a * target
            k = np.sum(pi * (logpi - np.log(q)), axis=1)  # KL(pi || q), pi > 0 here
            if (k.max() if constraint == "max" else rho @ k) <= delta:
                break
            a *= 0.7
        out.append(q)
    return np.array(out)


@pytest.mark.parametrize("constraint", ["max", "mean"])
def test_trust_region_feasible_and_beats_random(constraint):
    rng = np.random.default_rng(4)
    for gamma in (0.5, 0.9):
        for mdp, pi in _garnets(2, gamma=gamma, seed=5):
            ev = evaluate(mdp, pi)
            for delta in (1e-3, 0.1):
                res = up.trust_region_step(mdp, pi, delta, constraint=constraint, ev=ev)
                k = kl_rows(pi, res.pi_new)
                assert (k.max() if constraint == "max" else ev.rho @ k) <= delta + 1e-8
                L_new = surrogate(mdp, pi, res.pi_new, ev=ev)
                assert res.objective == pytest.approx(L_new, abs=1e-12)
                qs = _random_feasible(pi, ev.rho, delta, rng, constraint)
                best_random = ev.eta + np.max(np.einsum("s,ksa,sa->k", ev.rho, qs, ev.A))  # Eq. (3)
                assert L_new >= best_random - 1e-12


@pytest.mark.parametrize("constraint", ["max", "mean"])
def test_trust_region_matches_cvxpy(constraint):
    mdp, pi = _garnets(1, S=4, gamma=0.8, seed=6)[0]
    ev = evaluate(mdp, pi)
    for delta in (0.01, 0.5):
        fast = up.trust_region_step(mdp, pi, delta, constraint=constraint)
        ref = up.trust_region_step(mdp, pi, delta, constraint=constraint, solver="cvxpy")
        assert fast.objective == pytest.approx(ref.objective, abs=1e-7)
        # independent: a cvxpy model written in the tests (the "cvxpy" solver is the module's own program)
        if constraint == "max":  # Eq. (11)
            own = ev.eta + ev.rho @ own_cvx_kl_constraint(ev.A, pi, delta)
        else:  # Eq. (12), weights rho
            own = ev.eta + own_cvx_mean_kl(ev.A, pi, ev.rho, ev.rho, delta)
        assert fast.objective == pytest.approx(own, abs=1e-6)
    fast = up.trust_region_step(mdp, pi, 0.05, constraint="mean", weights="d")
    ref = up.trust_region_step(mdp, pi, 0.05, constraint="mean", weights="d", solver="cvxpy")
    assert fast.objective == pytest.approx(ref.objective, abs=1e-7)
    assert fast.objective == pytest.approx(ev.eta + own_cvx_mean_kl(ev.A, pi, ev.rho, ev.d, 0.05), abs=1e-6)
    assert ev.d @ np_kl_rows(pi, fast.pi_new) == pytest.approx(0.05, rel=1e-8)  # active


def test_trust_region_limits():
    mdp, pi = _garnets(1, gamma=0.9, seed=7)[0]
    ev = evaluate(mdp, pi)
    # delta -> 0 returns pi
    for constraint in ("max", "mean"):
        res = up.trust_region_step(mdp, pi, 1e-14, constraint=constraint, ev=ev)
        assert np.abs(res.pi_new - pi).max() < 1e-5
        assert res.objective == pytest.approx(ev.eta, abs=1e-5)
    # huge delta: L approaches the greedy L (pi has full support); the mean form needs a larger
    # delta, since sum_s rho(s) = 1/(1-gamma) = 10
    L_greedy = surrogate(mdp, pi, up.pi_step(mdp, pi, ev=ev).pi_new, ev=ev)
    for constraint in ("max", "mean"):
        res = up.trust_region_step(mdp, pi, 600.0, constraint=constraint, ev=ev)
        assert res.objective <= L_greedy + 1e-12
        assert res.objective == pytest.approx(L_greedy, abs=1e-8)


# ------------------------------------------------------------------------------ closed forms vs cvxpy
def test_closed_forms_match_cvxpy():
    mdp, pi = _garnets(1, S=4, gamma=0.5, seed=8)[0]
    ev = evaluate(mdp, pi)
    g = mdp.gamma
    for c in (0.1, 2.0):
        a = up.kl_penalty_step(mdp, pi, c, weights="d", ev=ev)
        b = up.kl_penalty_step(mdp, pi, c, weights="d", solver="cvxpy", ev=ev)
        assert a.objective == pytest.approx(b.objective, abs=1e-7)
        # independent: per-state cvxpy models written in the tests, c_s = c d(s), and the step re-scored
        own = ev.eta + ev.rho @ cvx_kl_penalty(ev.A, pi, c * ev.d)
        score = ev.eta + ev.rho @ (np.sum(a.pi_new * ev.A, axis=1) - c * ev.d * np_kl_rows(pi, a.pi_new))
        assert a.objective == pytest.approx(score, abs=1e-12) and score == pytest.approx(own, abs=1e-6)
    # NPG = argmax of sum_a p A - (1-gamma)/step KL(p || pi), solved by cvxpy
    for step in (0.3, 3.0):
        a = up.npg_step(mdp, pi, step, ev=ev)
        b = up.npg_step(mdp, pi, step, ev=ev, solver="cvxpy")
        assert a.objective == pytest.approx(b.objective, abs=1e-7)
        np.testing.assert_allclose(a.pi_new, b.pi_new, atol=1e-5)
        own = ev.eta + own_cvx_reverse_kl_penalty(ev.A, pi, ev.rho, (1 - g) / step)
        assert a.objective == pytest.approx(own, abs=1e-6)
    # Algorithm 1, KL and TV penalties, theory C (moderate at gamma = 0.5) and a smaller one
    for C_scale in (1.0, 0.1):
        for penalty in ("kl", "tv"):
            a = up.mm_step(mdp, pi, penalty=penalty, C_scale=C_scale, ev=ev)
            b = up.mm_step(mdp, pi, penalty=penalty, C_scale=C_scale, solver="cvxpy", ev=ev)
            assert a.objective == pytest.approx(b.objective, abs=1e-7)
            C = C_scale * 4 * np.abs(ev.A).max() * g / (1 - g) ** 2  # Eq. (8), written here
            assert a.info["C"] == pytest.approx(C, rel=1e-12)
            own_model = own_cvx_max_kl_penalty if penalty == "kl" else own_cvx_max_tv_sq_penalty
            assert a.objective == pytest.approx(ev.eta + own_model(ev.A, pi, ev.rho, C), abs=1e-6)


# ------------------------------------------------------------------------------ convergence
def test_every_update_reaches_the_optimum():
    mdp = garnet(4, 2, 2, rng=3, gamma=0.5)
    pi0 = uniform(mdp)
    opt = policy_iteration(mdp).eta
    runs = {
        "mm": dict(C_scale=0.1),
        "cpi": {},
        "trust_region": dict(delta=0.5),
        "kl_penalty": dict(c=0.1),
        "npg": dict(step=5.0),
        "pg": dict(step=200.0),
        "pi": {},
    }
    for name, kw in runs.items():
        h = up.run(name, mdp, pi0, 400, record_bounds=False, **kw)
        # softmax PG converges at rate O(1/t) ([AKLM]); the others reach the optimum to round-off
        assert h.eta[-1] == pytest.approx(opt, abs=2e-5 if name == "pg" else 1e-8), name
        assert h.monotonic, name
    h = up.run("trust_region", mdp, pi0, 100, record_bounds=False, delta=0.5, constraint="mean")
    assert h.eta[-1] == pytest.approx(opt, abs=1e-8)
    h = up.run("mm", mdp, pi0, 100, record_bounds=False, penalty="tv")
    assert h.eta[-1] == pytest.approx(opt, abs=1e-8)


def test_algorithm1_theory_C_converges_on_a_tiny_mdp():
    # with the theoretical C the steps are small (THEORY.md §7): MDP X at gamma = 0.3 needs ~120
    mdp = mdp_x(0.3)
    h = up.run(up.mm_step, mdp, uniform(mdp), 200, record_bounds=False)
    assert h.eq10_holds
    _assert_eq10_independently(mdp, h)  # not only the run's own verdict
    assert h.eta[-1] == pytest.approx(policy_iteration(mdp).eta, abs=1e-6)


@pytest.mark.parametrize("step", [0.5, 5.0])
def test_npg_rate_bound(step):
    """[AKLM] (THEORY.md §4): from theta = 0 with rewards in [0, 1],
    V*(rho0) - V^(T)(rho0) <= log|A| / (step T) + 1 / ((1-gamma)^2 T)."""
    for gamma in (0.5, 0.8):
        mdp = garnet(5, 3, 2, rng=9, gamma=gamma)  # rewards U[0, 1]
        opt = policy_iteration(mdp).eta
        h = up.run("npg", mdp, uniform(mdp), 30, tol=-np.inf, record_bounds=False, step=step)
        T = np.arange(1, h.n_steps + 1)
        bound = np.log(mdp.n_actions) / (step * T) + 1.0 / ((1 - gamma) ** 2 * T)
        assert np.all(opt - h.eta[1:] <= bound + 1e-12)


# ------------------------------------------------------------------------------ PG, PI, CPI details
def test_pg_gradient_matches_finite_differences():
    mdp, pi = _garnets(1, gamma=0.7, seed=10)[0]
    res = up.pg_step(mdp, pi, 1.0)
    theta = np.log(pi)
    fd = np.zeros_like(theta)
    h = 1e-6
    for s in range(theta.shape[0]):
        for a in range(theta.shape[1]):
            tp, tm = theta.copy(), theta.copy()
            tp[s, a] += h
            tm[s, a] -= h
            fd[s, a] = (evaluate(mdp, softmax(tp)).eta - evaluate(mdp, softmax(tm)).eta) / (2 * h)
    np.testing.assert_allclose(res.info["gradient"], fd, atol=1e-7)
    np.testing.assert_allclose(res.pi_new, softmax(theta + fd), atol=1e-6)


def test_pi_step_and_cpi_edge_cases():
    mdp, pi = _garnets(1, gamma=0.8, seed=11)[0]
    opt = policy_iteration(mdp)
    # policy iteration step = greedy on Q_pi
    res = up.pi_step(mdp, pi)
    Q = evaluate(mdp, pi).Q
    np.testing.assert_array_equal(np.argmax(res.pi_new, axis=1), np.argmax(Q, axis=1))
    # at the optimum eps' = 0: alpha* = 0 and nothing moves
    res = up.cpi_step(mdp, opt.pi)
    assert res.multiplier == 0.0
    np.testing.assert_array_equal(res.pi_new, opt.pi)
    # gamma = 0: alpha* = 1, the greedy (optimal) policy
    m0 = mdp.with_gamma(0.0)
    res = up.cpi_step(m0, pi)
    assert res.multiplier == 1.0
    assert evaluate(m0, res.pi_new).eta == pytest.approx(policy_iteration(m0).eta, abs=1e-12)


def test_gamma_zero_algorithm1_is_greedy():
    mdp, pi = _garnets(1, gamma=0.9, seed=12)[0]
    m0 = mdp.with_gamma(0.0)
    res = up.mm_step(m0, pi)
    assert res.info["C"] == 0.0
    assert evaluate(m0, res.pi_new).eta == pytest.approx(policy_iteration(m0).eta, abs=1e-12)


# ------------------------------------------------------------------------------ run, bounds


# ------------------------------------------------------------------------------ bad input
def test_bad_inputs():
    mdp, pi = _garnets(1, gamma=0.6, seed=15)[0]
    with pytest.raises(ValueError, match="delta"):
        up.trust_region_step(mdp, pi, 0.0)
    with pytest.raises(ValueError, match="delta"):
        up.trust_region_step(mdp, pi, -1.0, constraint="mean")
    with pytest.raises(ValueError, match="C"):
        up.mm_step(mdp, pi, C=-1.0)
    with pytest.raises(ValueError, match="alpha"):
        up.cpi_step(mdp, pi, alpha=1.5)
    with pytest.raises(ValueError, match="alpha"):
        up.cpi_step(mdp, pi, alpha=-0.1)
    with pytest.raises(ValueError, match="step"):
        up.npg_step(mdp, pi, float("nan"))
    with pytest.raises(ValueError, match="step"):
        up.pg_step(mdp, pi, float("nan"))
    det = np.eye(mdp.n_actions)[np.zeros(mdp.n_states, dtype=int)]
    with pytest.raises(ValueError, match="full-support"):
        up.pg_step(mdp, det, 0.1)
    with pytest.raises(ValueError, match="penalty"):
        up.mm_step(mdp, pi, penalty="l2")
    with pytest.raises(ValueError, match="constraint"):
        up.trust_region_step(mdp, pi, 0.1, constraint="median")
    with pytest.raises(ValueError, match="weights"):
        up.trust_region_step(mdp, pi, 0.1, constraint="mean", weights="uniform")
    with pytest.raises(ValueError, match="update"):
        up.run("trpo", mdp, pi, 3)
    with pytest.raises(ValueError, match="ev"):
        up.mm_step(mdp, pi, ev=evaluate(mdp, uniform(mdp)))
    with pytest.raises(ValueError, match="pi"):
        up.pi_step(mdp, pi[:, :1])


def test_cvxpy_failure_raises_solver_error(monkeypatch):
    mdp, pi = _garnets(1, gamma=0.6, seed=16)[0]
    monkeypatch.setattr(cp.Problem, "solve", lambda self, *a, **k: None)
    monkeypatch.setattr(cp.Problem, "status", property(lambda self: "infeasible"))
    with pytest.raises(SolverError, match="infeasible"):
        up.mm_step(mdp, pi, solver="cvxpy")
    with pytest.raises(SolverError, match="infeasible"):
        up.trust_region_step(mdp, pi, 0.1, constraint="mean", solver="cvxpy")


def test_zero_weights_are_rejected_not_a_silent_greedy_step():
    mdp, pi = _garnets(1, gamma=0.6, seed=17)[0]
    with pytest.raises(ValueError, match="weights"):
        up.trust_region_step(mdp, pi, 0.1, constraint="mean", weights=np.zeros(mdp.n_states))
    with pytest.raises(ValueError, match="weights"):
        up.kl_penalty_step(mdp, pi, 1.0, weights=np.zeros(mdp.n_states))


def test_algorithm1_methods_are_explicit_and_agree():
    """method= chooses the algorithm (no hidden rule behind another flag); all three agree."""
    mdp, pi = _garnets(1, S=8, A=4, gamma=0.9, seed=18)[0]
    ref = up.mm_step(mdp, pi, C_scale=0.1, method="nested")
    assert ref.info["method"] == "nested"
    # the methods share one row solver; the optimum itself against a cvxpy model written in the tests
    ev = evaluate(mdp, pi)
    own = ev.eta + own_cvx_max_kl_penalty(ev.A, pi, ev.rho, ref.info["C"])
    assert ref.objective == pytest.approx(own, abs=1e-6)
    for method in ("auto", "nu-newton", "joint-newton"):
        r = up.mm_step(mdp, pi, C_scale=0.1, method=method)
        assert r.info["method"] == (method if method != "auto" else "nu-newton")
        assert r.objective == pytest.approx(ref.objective, rel=1e-9)
        np.testing.assert_allclose(r.pi_new, ref.pi_new, atol=1e-7)
    with pytest.raises(ValueError, match="method"):
        up.mm_step(mdp, pi, method="bisection")
    det = np.eye(mdp.n_actions)[np.zeros(mdp.n_states, dtype=int)] * 0.9 + 0.1 / mdp.n_actions
    det[0] = np.eye(mdp.n_actions)[0]  # a deterministic row: the nu-Newton path does not apply
    with pytest.raises(SolverError, match="nu-newton"):
        up.mm_step(mdp, det, method="nu-newton")
    assert repr(ref).startswith("StepResult(") and len(repr(ref)) < 400


# ----------------------------------------------------------------------------- a tiny gamma (issue 21)
@pytest.mark.parametrize("gamma", [5e-324, 1e-310, 1e-300, 1e-200])
@pytest.mark.parametrize("penalty, solver", [("kl", "fast"), ("kl", "cvxpy"), ("tv", "fast"), ("tv", "cvxpy")])
def test_a_tiny_gamma_steps_like_gamma_zero(gamma, penalty, solver):
    """The theory C = 4 eps gamma / (1-gamma)^2 underflows towards a subnormal: the step must be the
    gamma = 0 one (greedy: all mass on the better action), not a SolverError or an OverflowError."""
    R = np.array([[0.0, 1.0]])
    pi = np.array([[0.5, 0.5]])
    tiny = up.mm_step(MDP(np.ones((1, 2, 1)), R, np.ones(1), gamma), pi, penalty=penalty, solver=solver)
    zero = up.mm_step(MDP(np.ones((1, 2, 1)), R, np.ones(1), 0.0), pi, penalty=penalty, solver=solver)
    np.testing.assert_allclose(tiny.pi_new, [[0.0, 1.0]], atol=1e-9)  # the closed form: greedy
    np.testing.assert_allclose(tiny.pi_new, zero.pi_new, atol=1e-9)  # and the gamma = 0 step
    assert tiny.info["C"] == pytest.approx(4 * 0.5 * gamma, rel=1e-12, abs=1e-323)  # the C reported is the theory C
    assert abs(tiny.objective - zero.objective) <= 1e-9


@pytest.mark.parametrize("method", ["nu-newton", "joint-newton", "nested"])
def test_every_method_takes_the_greedy_limit_at_a_negligible_C(method):
    mdp = garnet(4, 3, 2, gamma=1e-300, rng=0)
    pi = uniform(mdp)
    h = up.mm_step(mdp, pi, method=method)
    ref = up.mm_step(mdp.with_gamma(0.0), pi, method="auto")
    np.testing.assert_allclose(h.pi_new, ref.pi_new, atol=1e-12)


@given(mdp_and_policies(n_policies=1, max_states=3, max_actions=3))
@settings(max_examples=60, deadline=None)
def test_mm_step_answers_every_mdp_the_strategies_draw(mp):
    """Whatever gamma the strategies draw (subnormals included), the step is a policy whose minorizer
    M(pi_new) = L - C max KL is no less than M(pi) = eta (the MM property, Eq. (10))."""
    mdp, (pi,) = mp
    h = up.mm_step(mdp, pi)
    assert np.all(np.isfinite(h.pi_new)) and np.allclose(h.pi_new.sum(axis=1), 1.0)
    assert h.objective >= evaluate(mdp, pi).eta - 1e-9 * (1 + abs(h.objective))

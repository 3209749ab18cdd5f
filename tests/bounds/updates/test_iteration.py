"""Tests of bounds/updates/iteration.py: run and its UpdateHistory."""

import dataclasses

import numpy as np
import pytest

from bounds import check_all
from bounds import updates as up
from tabular import evaluate, policy_iteration
from tests.reference import garnets as _garnets, np_eval


def _np_kl(p, q):
    """KL(p(.|s) || q(.|s)) per row, sum_a [p log(p/q) + q - p] (each term >= 0), +inf off the support."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(p > 0, q / np.where(p > 0, p, 1.0) - 1.0, 0.0)
        terms = np.where(p > 0, np.where(r > -0.5, p * (r - np.log1p(r)), p * np.log(p / q) + q - p), q)
    return terms.sum(axis=1)


def test_run_records_bounds_that_hold():
    from bounds import inequalities as core
    mdp, pi = _garnets(1, gamma=0.6, seed=13)[0]
    h = up.run("mm", mdp, pi, 3)
    assert h.bound_slack and all(v.shape == (h.n_steps,) for v in h.bound_slack.values())
    assert all(v.all() for v in h.bound_holds.values())
    assert up.theory_C(mdp, pi) == pytest.approx(core.theory_C(mdp, pi), rel=1e-14)  # one function, re-exported
    # ... so the value itself from Eq. (8), written here
    g = mdp.gamma
    assert up.theory_C(mdp, pi) == pytest.approx(4 * np.abs(np_eval(mdp, pi)["A"]).max() * g / (1 - g) ** 2,
                                                 rel=1e-10)
    text = h.table()
    assert "eta_i" in text and "min slack" in text and len(text.splitlines()) == h.n_steps + 4


@pytest.mark.parametrize("update, kw", [
    ("mm", {}), ("mm", {"penalty": "tv"}), ("mm", {"C_scale": 0.2}), ("trust_region", {"delta": 0.1}),
    ("cpi", {}), ("pi", {})])
def test_run_records_against_a_manual_loop(update, kw):
    """run()'s records against the step function called in a loop here, and against numbers computed here:
    eta (np.linalg.solve), L (Eq. (3)), C (Eq. (8) or the step's), D (KL / TV^2 by definition), M_i (Eq. (10)),
    the divergences, and the slack of Theorem 1 (Eq. (8)) and of Eq. (9) by their formulas."""
    mdp, pi0 = _garnets(1, gamma=0.7, seed=31)[0]
    n = 3
    h = up.run(update, mdp, pi0, n, tol=-np.inf, **kw)
    assert h.n_steps == n  # tol = -inf never stops early
    g = mdp.gamma
    step_fn = up.UPDATES[update]
    pi = pi0
    for i in range(n):
        res = step_fn(mdp, pi, ev=evaluate(mdp, pi), **kw)
        q = res.pi_new
        np.testing.assert_array_equal(h.policies[i], pi)
        np.testing.assert_array_equal(h.policies[i + 1], q)
        assert h.multiplier[i] is not None and np.array_equal(h.multiplier[i], res.multiplier)
        e, en = np_eval(mdp, pi), np_eval(mdp, q)
        tol = 1e-10 * max(1.0, np.abs(mdp.R).max() / (1 - g))
        C_th = 4 * np.abs(e["A"]).max() * g / (1 - g) ** 2
        C = C_th * kw.get("C_scale", 1.0) if update == "mm" else C_th
        L = e["eta"] + e["rho"] @ np.sum(q * e["A"], axis=1)
        kl_s, tv_s = _np_kl(pi, q), 0.5 * np.abs(pi - q).sum(axis=1)
        D = tv_s.max() ** 2 if kw.get("penalty") == "tv" else kl_s.max()
        M = -np.inf if np.isinf(D) else L - C * D
        assert h.eta[i] == pytest.approx(e["eta"], abs=tol) and h.eta[i + 1] == pytest.approx(en["eta"], abs=tol)
        assert h.surrogate[i] == pytest.approx(L, abs=tol)
        assert h.C[i] == pytest.approx(C, rel=1e-10) and h.C_theory[i] == pytest.approx(C_th, rel=1e-10)
        assert h.M_old[i] == pytest.approx(e["eta"], abs=tol)
        assert h.M_new[i] == (-np.inf if np.isinf(M) else pytest.approx(M, abs=tol))
        assert h.kl_max[i] == (np.inf if np.isinf(kl_s.max()) else pytest.approx(kl_s.max(), rel=1e-8, abs=1e-15))
        assert h.kl_mean[i] == (np.inf if np.isinf(kl_s.max()) else
                                pytest.approx(e["rho"] @ kl_s, rel=1e-8, abs=1e-15))
        assert h.tv_max[i] == pytest.approx(tv_s.max(), rel=1e-12, abs=1e-15)
        assert h.eta_gain[i] == pytest.approx(en["eta"] - e["eta"], abs=tol)
        # every recorded bound is that of check_all on the same pair, and two of them by their formulas
        table = check_all(mdp, pi, q)
        assert set(h.bound_slack) == set(table.names)
        for r in table:
            assert h.bound_slack[r.name][i] == r.slack and h.bound_holds[r.name][i] == r.holds
        assert h.bound_slack["theorem1"][i] == pytest.approx(en["eta"] - (L - C_th * tv_s.max() ** 2), abs=tol)
        kl_slack = np.inf if np.isinf(kl_s.max()) else en["eta"] - (L - C_th * kl_s.max())
        assert h.bound_slack["kl_max"][i] == (np.inf if np.isinf(kl_slack) else pytest.approx(kl_slack, abs=tol))
        pi = q
    np.testing.assert_allclose(h.M_gain, h.M_new - h.M_old)


def test_run_stops_when_no_gain_and_reports():
    mdp, pi = _garnets(1, gamma=0.6, seed=14)[0]
    h = up.run("pi", mdp, pi, 50, record_bounds=False)
    assert h.converged and h.eta_gain[-1] < 1e-12
    assert h.eta[-1] == pytest.approx(policy_iteration(mdp).eta, abs=1e-10)
    assert len(h.policies) == h.n_steps + 1 == len(h.eta)


def _decreasing_update(mdp, pi, ev=None, **kw):
    """A made-up update that moves to the worst deterministic policy: eta decreases."""
    res = up.pi_step(mdp, pi, ev=ev)
    worst = np.eye(mdp.n_actions)[np.argmin(ev.Q, axis=1)]
    return dataclasses.replace(res, pi_new=worst)


def test_a_decrease_is_never_converged_and_tolerances_are_apart():
    mdp, pi = _garnets(1, gamma=0.6, seed=21)[0]
    h = up.run(_decreasing_update, mdp, pi, 3, tol=1e-3, record_bounds=False)
    assert h.eta_gain[0] < -1e-6  # the first step really decreases eta
    assert not h.monotonic
    assert h.n_steps >= 2  # a decrease does not stop the run, nor does it count as converged
    # it stopped at the worst policy's fixed point: converged refers to that last, non-decreasing step
    assert h.converged == bool(-h.atol <= h.eta_gain[-1] < h.tol) and h.eta_gain[-1] >= -h.atol
    # the line above restates run's rule; the stopping itself, replayed here with gains from np.linalg.solve:
    # the run ends at the first step whose gain lies in [-atol, tol), and only there
    p, gains = pi, []
    for _ in range(3):
        q = np.eye(mdp.n_actions)[np.argmin(np_eval(mdp, p)["Q"], axis=1)]
        gains.append(np_eval(mdp, q)["eta"] - np_eval(mdp, p)["eta"])
        p = q
        if -h.atol <= gains[-1] < 1e-3:
            break
    assert gains[0] < -1e-6 and -h.atol <= gains[-1] < 1e-3  # the replay does stop, after a decrease
    assert h.n_steps == len(gains) and h.converged
    np.testing.assert_allclose(h.eta_gain, gains, atol=1e-12)
    assert h.atol < 1e-9 and h.tol == 1e-3  # the early-stop tol is not the verification tolerance
    # a large early-stop tol no longer hides a decrease from `monotonic`
    h2 = up.run("pi", mdp, pi, 5, tol=10.0, record_bounds=False)
    assert h2.converged and h2.n_steps == 1 and h2.monotonic


def test_eq10_is_labelled_a_theorem_only_for_algorithm1():
    mdp, pi = _garnets(1, gamma=0.6, seed=22)[0]
    mm = up.run("mm", mdp, pi, 2, record_bounds=False)
    assert mm.eq10_applies and mm.eq10_holds and "eq10_holds=True" in mm.table()
    scaled = up.run("mm", mdp, pi, 2, record_bounds=False, C_scale=0.1)
    assert not scaled.eq10_applies
    for name, kw in (("cpi", {}), ("trust_region", {"delta": 0.1})):
        h = up.run(name, mdp, pi, 2, record_bounds=False, **kw)
        assert not h.eq10_applies
        assert "eq10_holds=" not in h.table() and "not a theorem" in h.table()
    assert "UpdateHistory(" in repr(mm) and len(repr(mm)) < 300


def test_run_rejects_bad_tolerances_and_counts():
    mdp, pi = _garnets(1, gamma=0.6, seed=23)[0]
    for bad in (float("nan"), -1.0, float("inf")):
        with pytest.raises(ValueError, match="atol"):
            up.run("pi", mdp, pi, 2, atol=bad)
    with pytest.raises(ValueError, match="tol"):
        up.run("pi", mdp, pi, 2, tol=float("nan"))
    with pytest.raises(TypeError, match="n_iter"):
        up.run("pi", mdp, pi, 2.5)
    with pytest.raises(ValueError, match="n_iter"):
        up.run("pi", mdp, pi, -1)

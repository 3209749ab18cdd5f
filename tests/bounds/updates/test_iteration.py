"""Tests of bounds/updates/iteration.py: run and its UpdateHistory."""

import dataclasses

import numpy as np
import pytest

from bounds import updates as up
from tabular import garnet, policy_iteration, random_policy


def _garnets(n=3, S=6, A=3, gamma=0.9, seed=0):
    ss = np.random.default_rng(seed)
    out = []
    for k in range(n):
        mdp = garnet(int(ss.integers(3, S + 1)), int(ss.integers(2, A + 1)), 2, rng=int(ss.integers(1 << 30)),
                     gamma=gamma)
        pi = random_policy(mdp, rng=k, concentration=1.0)
        out.append((mdp, pi))
    return out


def test_run_records_bounds_that_hold():
    from bounds import inequalities as core
    mdp, pi = _garnets(1, gamma=0.6, seed=13)[0]
    h = up.run("mm", mdp, pi, 3)
    assert h.bound_slack and all(v.shape == (h.n_steps,) for v in h.bound_slack.values())
    assert all(v.all() for v in h.bound_holds.values())
    assert up.theory_C(mdp, pi) == pytest.approx(core.theory_C(mdp, pi), rel=1e-14)
    text = h.table()
    assert "eta_i" in text and "min slack" in text and len(text.splitlines()) == h.n_steps + 4


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
    assert up.MMHistory is up.UpdateHistory

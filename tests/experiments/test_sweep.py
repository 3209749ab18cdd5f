"""Tests of experiments/sweep.py: determinism across backends (in-process, process pool, Dask),
resuming, the planted non-theorem found and replayable, and the CSV against independent numpy
computations of eta and L (Eq. (3) of [TRPO])."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from tabular.instances import sample_instance
from experiments import sweep as SW
from tabular import io as tio

FAMS = ("garnet", "gridworld", "chain", "frozenlake")
GAMMAS = (0.5, 0.9, 0.99)
N = 40
STEPS = 1  # update steps per instance (the CLI default is 3); keeps the tests fast


def _files(out, figure=True):
    names = ("results.csv", "report.json", "report.txt") + (
        ("sweep_tightness.png", "sweep_tightness.pdf") if figure else ())
    return {name: (out / name).read_bytes() for name in names}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The uninterrupted reference run, in this process."""
    out = tmp_path_factory.mktemp("sweep") / "base"
    res = SW.run_sweep(N, FAMS, GAMMAS, 0, out, workers=1, update_steps=STEPS, progress=False)
    return out, res


# ----------------------------------------------------------------------------- independent numbers
def _eta_by_hand(mdp, pi):
    """eta = rho0 . (I - gamma P_pi)^{-1} r_pi with dense numpy (independent of tabular.evaluate)."""
    P = mdp.dense_P()
    P_pi = np.einsum("sa,sat->st", pi, P)
    r_pi = np.einsum("sa,sa->s", pi, mdp.R)
    S = P.shape[0]
    V = np.linalg.solve(np.eye(S) - mdp.gamma * P_pi, r_pi)
    return float(mdp.rho0 @ V), V, P_pi


def _surrogate_by_hand(mdp, pi, pi_new):
    """L = eta + rho . sum_a pi_new A, rho = (I - gamma P_pi^T)^{-1} rho0 (Eq. (3))."""
    eta, V, P_pi = _eta_by_hand(mdp, pi)
    Q = mdp.R + mdp.gamma * np.einsum("sat,t->sa", mdp.dense_P(), V)
    A = Q - V[:, None]
    rho = np.linalg.solve(np.eye(V.size) - mdp.gamma * P_pi.T, mdp.rho0)
    return eta + float(rho @ np.einsum("sa,sa->s", pi_new, A)), eta, A, rho


def test_rows_match_independent_computation(base):
    out, res = base
    t = SW.load_results(out)
    assert list(t["id"]) == list(range(N))
    for i in range(N):
        fam, g = FAMS[i % 4], GAMMAS[(i // 4) % 3]
        assert t["family"][i] == fam and t["gamma"][i] == g  # round robin
        if fam == "frozenlake":
            inst = SW.make_instance(0, i, fam, g)
        else:  # instance i is a function of (seed, i) alone: rebuild it without the sweep
            inst = sample_instance(np.random.default_rng(np.random.SeedSequence([0, i])), family=fam, gamma=g)
        eta_new, _, _ = _eta_by_hand(inst.mdp, inst.pi_new)
        L, eta, _, _ = _surrogate_by_hand(inst.mdp, inst.pi, inst.pi_new)
        tol = 1e-9 * max(1.0, 1.0 / (1.0 - g))
        assert t["eta_new"][i] == pytest.approx(eta_new, abs=tol)
        assert t["eta"][i] == pytest.approx(eta, abs=tol)
        assert t["surrogate"][i] == pytest.approx(L, abs=tol)
        assert t["gap"][i] == pytest.approx(abs(eta_new - L), abs=2 * tol)
        # Theorem 1 recomputed by hand: penalty C alpha^2, C = 4 eps gamma/(1-gamma)^2
        _, _, A, _ = _surrogate_by_hand(inst.mdp, inst.pi, inst.pi_new)
        alpha = 0.5 * np.abs(inst.pi - inst.pi_new).sum(axis=1).max()
        C = 4 * np.abs(A).max() * g / (1 - g) ** 2
        assert t["theorem1_penalty"][i] == pytest.approx(C * alpha**2, rel=1e-9, abs=1e-12)
        assert t["theorem1_slack"][i] == pytest.approx(eta_new - (L - C * alpha**2), abs=tol * (1 + C))
    rep = res.report
    assert rep["n_instances"] == N and rep["passed"] and rep["failures"] == 0
    assert all(e["violations"] == 0 for e in rep["bounds"].values())
    assert all(e["non_monotone_steps"] == 0 for u, e in rep["updates"].items() if e["theorem"])
    assert rep["updates"]["mm"]["steps"] == STEPS * N
    # worst slack per bound equals the CSV minimum
    for b, e in rep["bounds"].items():
        assert e["worst_slack"] == float(np.min(t[f"{b}_slack"]))
    assert json.loads((out / "report.json").read_text())["n_instances"] == N


def test_process_pool_and_dask_give_identical_results(base, tmp_path):
    distributed = pytest.importorskip("distributed")
    out0, _ = base
    ref = _files(out0, figure=False)
    pool = tmp_path / "pool"
    SW.run_sweep(N, FAMS, GAMMAS, 0, pool, workers=2, chunk=3, update_steps=STEPS, progress=False, figure=False)
    assert _files(pool, figure=False) == ref
    dask_out = tmp_path / "dask"
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        res = SW.run_sweep(N, FAMS, GAMMAS, 0, dask_out, scheduler=cluster.scheduler_address, chunk=5,
                           update_steps=STEPS, progress=False, figure=False)
    assert res.n_computed == N
    assert _files(dask_out, figure=False) == ref


def test_resume_gives_the_uninterrupted_report(base, tmp_path):
    out0, res0 = base
    ref = _files(out0)
    # interrupted after 20 instances, then rerun with n = 40
    a = tmp_path / "a"
    SW.run_sweep(20, FAMS, GAMMAS, 0, a, workers=1, update_steps=STEPS, progress=False, figure=False)
    res = SW.run_sweep(N, FAMS, GAMMAS, 0, a, workers=1, update_steps=STEPS, progress=False, figure=False)
    assert res.n_computed == N - 20
    assert res.report == res0.report
    assert _files(a, figure=False) == _files(out0, figure=False)
    # killed mid-write: the CSV ends in half a row
    b = tmp_path / "b"
    b.mkdir()
    shutil.copy(out0 / SW.CONFIG_NAME, b / SW.CONFIG_NAME)
    lines = (out0 / "results.csv").read_text().splitlines(keepends=True)
    (b / "results.csv").write_text("".join(lines[:26]) + lines[26][: len(lines[26]) // 2])
    res = SW.run_sweep(N, FAMS, GAMMAS, 0, b, workers=1, update_steps=STEPS, progress=False)
    assert res.n_computed == N - 25
    assert _files(b) == ref  # CSV, report and figure byte-identical
    # nothing left to do
    again = SW.run_sweep(N, FAMS, GAMMAS, 0, b, workers=1, update_steps=STEPS, progress=False, figure=False)
    assert again.n_computed == 0 and again.report == res0.report


def _mean_kl_rhs_by_hand(mdp, pi, pi_new):
    """The false mean-KL form L - C sum_s rho(s) KL(pi(.|s) || pi_new(.|s)), by hand."""
    L, _, A, rho = _surrogate_by_hand(mdp, pi, pi_new)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pi > 0, pi * np.log(pi / pi_new), 0.0)
    kl = terms.sum(axis=1)
    C = 4 * np.abs(A).max() * mdp.gamma / (1 - mdp.gamma) ** 2
    return L - C * float(rho @ kl)


def test_planted_false_bound_is_found_and_replayable(tmp_path):
    # MDP X at gamma = 0.01 (THEORY.md §6): the mean-KL form fails on some random steps.
    seed, n = 3, 40
    expected = []
    for i in range(n):
        inst = sample_instance(np.random.default_rng(np.random.SeedSequence([seed, i])), family="mdp_x", gamma=0.01)
        eta_new, _, _ = _eta_by_hand(inst.mdp, inst.pi_new)
        if eta_new < _mean_kl_rhs_by_hand(inst.mdp, inst.pi, inst.pi_new) - 1e-9:
            expected.append(i)
    assert expected, "the fixed seed must contain a counterexample"
    out = tmp_path / "x"
    res = SW.run_sweep(n, ("mdp_x",), (0.01,), seed, out, workers=1, candidates=True, update_steps=1,
                       progress=False, figure=False)
    found = res.report["candidates"]["mean_kl_rho"]
    assert found["ids"] == expected[: SW.MAX_SAVED_EXPECTED]
    assert found["found_violations"] == len(expected)
    assert res.passed  # a non-theorem's violation is a finding, not a failure
    assert "found" in res.text and "EXPECTED" in res.text
    for i in expected:
        assert (out / "violations" / f"{i}.npz").exists()
        r = SW.replay(out, i)
        assert "mean_kl_rho" in r.candidates_violated
        assert r.violated == ()  # the theorems still hold on it
        # the saved files alone reproduce the violation, by hand
        mdp = tio.load(out / "violations" / f"{i}.npz")
        with np.load(out / "violations" / f"{i}.policies.npz") as z:
            pi, pi_new = z["pi"], z["pi_new"]
        eta_new, _, _ = _eta_by_hand(mdp, pi_new)
        assert eta_new < _mean_kl_rhs_by_hand(mdp, pi, pi_new)


def test_bad_input_and_mismatched_resume(tmp_path, monkeypatch, capsys):
    with pytest.raises(ValueError, match="families"):
        SW.run_sweep(2, ("nope",), (0.5,), 0, tmp_path / "a", workers=1)
    with pytest.raises(ValueError, match="gammas"):
        SW.run_sweep(2, ("chain",), (1.0,), 0, tmp_path / "b", workers=1)
    with pytest.raises(ValueError, match="n must"):
        SW.run_sweep(-1, ("chain",), (0.5,), 0, tmp_path / "c", workers=1)
    SW.run_sweep(2, ("chain",), (0.5,), 0, tmp_path / "d", workers=1, update_steps=0, figure=False, progress=False)
    with pytest.raises(ValueError, match="other settings"):
        SW.run_sweep(2, ("chain",), (0.5,), 1, tmp_path / "d", workers=1, update_steps=0)
    with pytest.raises(ValueError, match="instance_id"):
        SW.replay(tmp_path / "d", 0)
    monkeypatch.setattr("experiments.sweep.config.has_gymnasium", lambda: False)
    res = SW.run_sweep(2, ("chain", "frozenlake"), (0.5,), 0, tmp_path / "e", workers=1, update_steps=0,
                       figure=False, progress=False)
    assert res.report["config"]["families"] == ["chain"]
    assert "gymnasium is not installed" in capsys.readouterr().err


def test_cli_dispatch(tmp_path, capsys):
    from experiments.__main__ import main

    out = tmp_path / "cli"
    code = main(["sweep", "--n", "6", "--families", "chain,garnet", "--gammas", "0.9", "--seed", "1",
                 "--out", str(out), "--workers", "1", "--update-steps", "1", "--no-progress", "--no-figure"])
    assert code == 0
    text = capsys.readouterr().out
    assert "RESULT: PASS" in text and (out / "report.txt").read_text().strip() in text
    assert SW.load_results(out)["id"].tolist() == list(range(6))

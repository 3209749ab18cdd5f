"""Tests of experiments/sweep/engine_batched.py: the batched engine gives the reference engine's rows.

2,000 instances of every family (the edge families, sparse models -- densified by the batched
engine --, gamma = 0, infinite KL) with the candidates and one update step, and 400 with the default
three steps: every string, boolean and count column is equal, every float column equal to a hundredth
of the verification tolerance (relative), the same verdicts and the same candidate violations.

One exception, counted and required to be rare: a penalty ``coef * divergence`` with an infinite
divergence (KL where ``pi_new`` has subnormal entries off the support of ``pi``) and a coefficient
that is zero up to round-off (``max|Abar|`` of a step that barely moves) is ``0 * inf = 0`` on one path
and ``+inf`` on the other; the bound holds either way.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from experiments.sweep import engine_batched as B
from experiments.sweep.config import FAMILIES, SweepConfig
from experiments.sweep.record import columns, run_chunk
from experiments.sweep.report import row_failures

GAMMAS = (0.0, 0.5, 0.9, 0.99)
#: Columns built on a divergence that may be infinite (the exception of the module docstring).
INF_DIVERGENCE = tuple(f"{b}_{f}" for b in ("kl_max", "kl_max_pinsker", "cpo_kl")
                       for f in ("penalty", "slack", "upper_slack")) + ("cand_mean_kl_rho_slack", "cand_mean_kl_d_slack")


def _compare(config, ids):
    """``(worst relative difference, n_rows)``, asserting the rules of the module docstring."""
    before = dict(B.STATS)
    got = B.run_chunk_batched(config, ids)
    assert B.STATS["group_error"] == before.get("group_error", 0)
    ref = run_chunk(config, ids)
    worst = 0.0
    n_inf, zero_times_inf = 0, set()
    for r, b in zip(ref, got):
        assert r["error"] == "" and b["error"] == "", (r["id"], r["error"], b["error"])
        tol = 0.01 * r["atol"]  # a hundredth of the tolerance of every verdict
        for c in columns(config):
            x, y = r[c], b[c]
            if isinstance(x, (str, bool, int)):
                assert x == y and type(x) is type(y), (r["id"], c, x, y)
            elif math.isinf(x) or math.isinf(y):
                if x != y and c in INF_DIVERGENCE:
                    zero_times_inf.add(r["id"])
                    continue
                assert x == y, (r["id"], c, x, y)
                n_inf += c == "kl_max_penalty"
            else:
                d = abs(x - y) / (1.0 + abs(x))
                assert d <= tol, (r["id"], c, x, y)
                worst = max(worst, d / r["atol"])
        assert row_failures(b) == row_failures(r)
    assert n_inf > 0  # infinite KL is in the sample
    for c in [c for c in columns(config) if c.startswith("cand_")]:  # the same candidate violations
        viol = lambda rows: [r["id"] for r in rows if r[c] < -r["atol"]]  # noqa: E731
        assert viol(got) == viol(ref), c
    assert len(zero_times_inf) <= 0.01 * len(ref), sorted(zero_times_inf)
    return worst, len(ref), len(zero_times_inf)


@pytest.fixture(scope="module")
def all_families():
    return tuple(FAMILIES)


def test_batched_engine_equals_reference_engine_one_step(all_families):
    assert {"sparse_garnet", "unreachable", "deterministic", "frozenlake"} <= set(all_families)
    config = SweepConfig(seed=3, families=all_families, gammas=GAMMAS, candidates=True, update_steps=1)
    worst, n, flips = _compare(config, range(2000))
    print(f"\n{n} instances, 1 step: worst |batched - reference| / (1 + |x|) = {worst:.2e} x atol; "
          f"0 * inf on one path only: {flips} instance(s)")


def test_batched_engine_equals_reference_engine_three_steps(all_families):
    config = SweepConfig(seed=4, families=all_families, gammas=GAMMAS, candidates=True, update_steps=3)
    worst, n, flips = _compare(config, range(5000, 5400))
    print(f"\n{n} instances, 3 steps: worst |batched - reference| / (1 + |x|) = {worst:.2e} x atol; "
          f"0 * inf on one path only: {flips} instance(s)")


def test_a_claim_from_a_users_file_has_the_same_columns_in_both_engines(tmp_path, monkeypatch):
    """--claim MODULE:FUNCTION: the batched engine computes the claim's columns with the same penalty
    as the reference engine; a claim that raises is a failure of that claim on every instance."""
    (tmp_path / "user_claims_mod.py").write_text(
        "def half_t1(q, ops):\n    return q.C * q.alpha ** 2 / 2\n\n"
        "def broken(q, ops):\n    raise ZeroDivisionError('no')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    config = SweepConfig(seed=0, families=("garnet", "chain"), gammas=(0.9,), update_steps=0,
                         claims=("user_claims_mod:half_t1", "user_claims_mod:broken"))
    ref = run_chunk(config, range(6))
    got = B.run_chunk_batched(config, range(6))
    for r, b in zip(ref, got):
        assert b["half_t1_penalty"] == pytest.approx(r["half_t1_penalty"], rel=1e-12, abs=1e-15)
        assert b["half_t1_penalty"] == pytest.approx(r["theorem1_penalty"] / 2, rel=1e-12, abs=1e-15)
        assert b["half_t1_holds"] and r["half_t1_holds"] and not r["error"] and not b["error"]
        assert not b["broken_holds"] and not r["broken_holds"] and math.isnan(b["broken_slack"])


def test_an_instance_the_batched_path_cannot_solve_is_redone_by_the_reference(monkeypatch):
    import bounds.updates.steps_batch as UB

    config = SweepConfig(seed=0, families=("garnet", "two_state"), gammas=(0.9,), update_steps=1)
    ref = run_chunk(config, range(8))
    real = UB.cpi_step_batch

    def failing(batch, ev):
        st = real(batch, ev)
        ok = st.ok.copy()
        ok[0] = False
        return UB.BatchStep(st.pi_new, st.surrogate, st.kl_max, st.C, ok, st.method)

    monkeypatch.setattr(UB, "UPDATES_BATCH", {**UB.UPDATES_BATCH, "cpi": failing})
    before = B.STATS["reference"]
    got = B.run_chunk_batched(config, range(8))
    assert B.STATS["reference"] - before == len({r["A"] for r in ref})  # the first instance of each group
    assert [r["id"] for r in got] == list(range(8))
    for r, b in zip(ref, got):
        assert b["cpi_min_gain"] == pytest.approx(r["cpi_min_gain"], abs=1e-12)
    assert np.isfinite([b["eta"] for b in got]).all()

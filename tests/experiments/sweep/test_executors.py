"""Tests of experiments/sweep/executors.py: the process pool gives the same bytes as the in-process run,
a Dask cluster with another chunk size the same verdicts and counts and the same numbers to 1e-9."""

from __future__ import annotations

import pytest

from experiments import sweep as SW

from ._helpers import FAMS, GAMMAS, N, STEPS, files, same_results


def test_process_pool_and_dask_give_identical_results(base, tmp_path):
    distributed = pytest.importorskip("distributed")
    out0, _ = base
    ref = files(out0, figure=False)
    pool = tmp_path / "pool"
    SW.run_sweep(N, FAMS, GAMMAS, 0, pool, workers=2, chunk=3, update_steps=STEPS, progress=False, figure=False)
    assert files(pool, figure=False) == ref
    dask_out = tmp_path / "dask"
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        res = SW.run_sweep(N, FAMS, GAMMAS, 0, dask_out, scheduler=cluster.scheduler_address, chunk=5,
                           update_steps=STEPS, progress=False, figure=False)
    assert res.n_computed == N
    same_results(out0, dask_out)  # another chunk size (5): equal to 1e-9, verdicts and counts exactly

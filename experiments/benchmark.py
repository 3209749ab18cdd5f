"""Benchmarks that print speed ratios against a baseline measured in the same run.

``python -m experiments.benchmark`` (add ``--quick`` for smaller sizes). Each row times our code and
a bare baseline on the same inputs (best of ``repeat`` runs) and prints the ratio and the goal:

* ``evaluate`` (dense, S = 2,000) against one bare ``np.linalg.solve`` of the Bellman system
  (goal: under 1.5x; ``evaluate`` also solves the visitation system and forms Q and A);
* ``evaluate`` (sparse Garnet, S = 100,000, A = 4, branching 5) against bare scipy BiCGSTAB solves of
  the same two linear systems (goal: under 2x);
* ``evaluate_many`` (K = 1,000 policies, S = 50) against a Python loop of ``evaluate`` (goal: at
  least 10x faster);
* ``check_all`` throughput in instances per second (S = 10, A = 3).

The peak memory (``tracemalloc``) of the largest case is reported. No timing is asserted anywhere in
the test suite; this script is where speed goals live.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import tabular as T
from bounds.core import check_all


def best_time(fn, repeat: int = 3) -> float:
    """Best wall time of ``repeat`` calls of ``fn()``, in seconds."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_dense(S: int, repeat: int) -> dict:
    mdp = T.garnet(S, 4, 10, rng=0, gamma=0.95)
    pi = T.random_policy(mdp, rng=1)
    P_pi = T.policy_transition(mdp, pi)
    r_pi = T.policy_reward(mdp, pi)
    M = np.eye(S) - mdp.gamma * P_pi
    ours = best_time(lambda: T.evaluate(mdp, pi), repeat)
    base = best_time(lambda: np.linalg.solve(M, r_pi), repeat)
    return dict(name=f"evaluate dense S={S:,}", ours=ours, base=base, baseline="np.linalg.solve (V only)",
                ratio=ours / base, goal="< 1.5x", ok=ours / base < 1.5)


def bench_sparse(S: int, repeat: int) -> dict:
    mdp = T.garnet(S, 4, 5, rng=0, gamma=0.95, sparse=True)
    pi = T.random_policy(mdp, rng=1)

    def bare():
        P_pi = T.policy_transition(mdp, pi)
        M = (sp.eye_array(S, format="csr") - mdp.gamma * P_pi).tocsr()
        spla.bicgstab(M, T.policy_reward(mdp, pi), rtol=1e-12, atol=0.0)
        spla.bicgstab(M.T, mdp.rho0, rtol=1e-12, atol=0.0)

    ours = best_time(lambda: T.evaluate(mdp, pi), repeat)
    base = best_time(bare, repeat)
    return dict(name=f"evaluate sparse S={S:,}", ours=ours, base=base, baseline="scipy bicgstab x2 (V, rho)",
                ratio=ours / base, goal="< 2x", ok=ours / base < 2.0)


def bench_many(K: int, S: int, repeat: int) -> dict:
    mdp = T.garnet(S, 4, 5, rng=0, gamma=0.9)
    rng = np.random.default_rng(0)
    pis = np.stack([T.random_policy(mdp, rng=rng) for _ in range(K)])
    ours = best_time(lambda: T.evaluate_many(mdp, pis), repeat)
    base = best_time(lambda: [T.evaluate(mdp, p) for p in pis], max(1, repeat // 2))
    return dict(name=f"evaluate_many K={K:,} S={S}", ours=ours, base=base, baseline="loop of evaluate",
                ratio=ours / base, goal="< 0.1x", ok=ours / base < 0.1)


def bench_check_all(n: int) -> dict:
    rng = np.random.default_rng(0)
    insts = []
    for _ in range(n):
        m = T.garnet(10, 3, 3, rng=rng, gamma=0.9)
        insts.append((m, T.random_policy(m, rng=rng), T.random_policy(m, rng=rng)))
    t0 = time.perf_counter()
    for m, p, q in insts:
        check_all(m, p, q)
    dt = time.perf_counter() - t0
    return dict(name="check_all S=10 A=3", ours=dt / n, base=np.nan, baseline="-",
                ratio=np.nan, goal=f"{n / dt:,.0f} instances/s", ok=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.benchmark", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    args = parser.parse_args(argv)
    q = args.quick
    rows = [
        bench_dense(500 if q else 2000, 1 if q else 3),
        bench_sparse(10_000 if q else 100_000, 1 if q else 3),
        bench_many(100 if q else 1000, 50, 1 if q else 3),
        bench_check_all(50 if q else 300),
    ]
    tracemalloc.start()
    T.evaluate(T.garnet(10_000 if q else 100_000, 4, 5, rng=0, gamma=0.95, sparse=True), T.uniform(10_000 if q else 100_000, 4))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{'benchmark':<28} {'ours [s]':>10} {'baseline [s]':>12} {'ratio':>8}  {'goal':<22} baseline")
    for r in rows:
        ratio = "" if np.isnan(r["ratio"]) else f"{r['ratio']:.2f}x"
        base = "" if np.isnan(r["base"]) else f"{r['base']:.4f}"
        flag = "" if r["ok"] else "  <-- MISSED"
        print(f"{r['name']:<28} {r['ours']:>10.4f} {base:>12} {ratio:>8}  {r['goal']:<22} {r['baseline']}{flag}")
    print(f"peak traced memory of the largest sparse evaluation: {peak / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

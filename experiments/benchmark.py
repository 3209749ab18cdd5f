"""Benchmarks that print speed ratios against a baseline measured in the same run.

``python -m experiments benchmark`` (or ``python -m experiments.benchmark``; add ``--quick`` for a smoke
run at small sizes, where the goals, set for the full sizes, print as not applicable rather than missed).
Each row times our code and a bare baseline on the same inputs (best of ``repeat`` runs) and prints the
ratio and the goal:

* ``evaluate`` (dense, S = 2,000) against one bare ``np.linalg.solve`` of the Bellman system
  (goal: under 1.5x; ``evaluate`` also solves the visitation system and forms Q and A);
* ``evaluate`` (sparse Garnet, S = 100,000, A = 4, branching 5) against bare scipy BiCGSTAB solves of
  the same two linear systems (goal: under 2x);
* ``evaluate_policies`` (K = 1,000 policies, S = 50) against a Python loop of ``evaluate`` (goal: at
  least 10x faster), with its default threads (one LU per policy, LAPACK in parallel threads with
  BLAS held at one thread) and, for information, on one thread;
* ``check_all`` throughput in instances per second (S = 10, A = 3);
* Algorithm 1 (``bounds.updates.mm_step``, KL penalty) with the fast exact solver against the
  cvxpy/Clarabel reference on a dense Garnet with S = 200, A = 5 (goal: at least 50x faster, under
  0.02x) at ``C_scale = 0.01``, a large step that takes the fast solver the most Newton iterations and
  that Clarabel solves at its first attempt; the theory ``C = 4 eps gamma/(1-gamma)^2`` is timed too,
  for information (its KL level is tiny: few Newton iterations, and Clarabel often needs its retry);
* the sweep of :mod:`experiments.sweep` with the settings of ``figures/sweep_100k`` (every base family
  and FrozenLake; gamma 0, 0.5, 0.9, 0.99; every bound, the candidates and 3 steps of Algorithm 1, CPI and
  the trust region per instance), in instances per second: the reference engine (one instance at a time)
  against the batched engine, both in one process on the same ids (the ratio), with the engines'
  agreement on those instances (worst difference relative to the verification tolerance, verdicts);
  then the batched engine on 1 and on 2 worker processes (goal: at least 1,000 instances/s on 2
  workers) and the scaling efficiency ``rate_2 / (2 rate_1)`` (goal: at least 80%, i.e. a time ratio
  under 0.625x). CPU seconds per instance are reported too: on a shared machine they say what the
  cores that were actually available did.

The peak memory (``tracemalloc``) of the largest case is reported. No timing is asserted anywhere in
the test suite; this script is where speed goals live.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import tabular as T
from bounds.inequalities import check_all
from bounds.updates.solvers import SolverError
from bounds.updates import mm_step


def best_time(fn, repeat: int = 3, settle: float = 0.0) -> float:
    """Best wall time of ``repeat`` calls of ``fn()``, in seconds, each after ``settle`` seconds of
    sleep. numpy and scipy each bring their own OpenBLAS, whose idle threads busy-wait for about
    0.1 s after a call: on 2 cores a multithreaded LU of one library timed right after the other's
    runs up to 1.6x slower, so the dense rows let the pools go idle first."""
    best = np.inf
    for _ in range(repeat):
        time.sleep(settle)
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
    ours = best_time(lambda: T.evaluate(mdp, pi), repeat, settle=0.3)
    base = best_time(lambda: np.linalg.solve(M, r_pi), repeat, settle=0.3)
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


def bench_many(K: int, S: int, repeat: int) -> list[dict]:
    """``evaluate_policies`` with its default threads (the goal row) and on one thread, against the loop."""
    mdp = T.garnet(S, 4, 5, rng=0, gamma=0.9)
    rng = np.random.default_rng(0)
    pis = np.stack([T.random_policy(mdp, rng=rng) for _ in range(K)])
    base = best_time(lambda: [T.evaluate(mdp, p) for p in pis], repeat)
    rows = []
    for workers in (None, 1):
        ours = best_time(lambda: T.evaluate_policies(mdp, pis, workers=workers), 5 * repeat)
        used = T.policy_batch._default_workers(K) if workers is None else workers
        rows.append(dict(name=f"evaluate_policies K={K:,} S={S} {used}thr", ours=ours, base=base,
                         baseline="loop of evaluate (1 thread)", ratio=ours / base,
                         goal="< 0.1x" if workers is None else "(information)",
                         ok=(ours / base < 0.1) if workers is None else None))
    return rows


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
                ratio=np.nan, goal=f"{n / dt:,.0f} instances/s", ok=None)


def bench_mm_solvers(S: int, A: int, repeat: int) -> tuple[list, list]:
    """Algorithm 1 step, fast exact solver vs cvxpy/Clarabel: at ``C_scale = 0.01`` (the goal row: a
    large step, 5-7 Newton iterations, that Clarabel solves at its first attempt) and at the theory C
    (a small step, 2-3 iterations; Clarabel often needs its retry at default tolerances there)."""
    mdp = T.garnet(S, A, 5, rng=0, gamma=0.9)
    pi = T.random_policy(mdp, rng=1)
    ev = T.evaluate(mdp, pi)
    rows, notes = [], []
    for C_scale, goal in ((0.01, True), (1.0, False)):
        out = {}
        try:
            mm_step(mdp, pi, C_scale=C_scale, solver="cvxpy", ev=ev)  # warm-up (cvxpy's first canonicalization)
        except SolverError as exc:
            notes.append(f"cvxpy at C_scale={C_scale:g} (S={S}, A={A}): FAILED ({exc}); not timed")
            continue
        ours = best_time(lambda: out.__setitem__("fast", mm_step(mdp, pi, C_scale=C_scale, solver="fast", ev=ev)),
                         10 * repeat)
        base = best_time(lambda: out.__setitem__("ref", mm_step(mdp, pi, C_scale=C_scale, solver="cvxpy", ev=ev)),
                         repeat)
        diff = out["fast"].objective - out["ref"].objective
        notes.append(f"mm_step at C_scale={C_scale:g}: objective fast - cvxpy = {diff:+.2e} (Clarabel's tolerance "
                     f"~1e-8), KL level {out['fast'].multiplier:.3g}, method {out['fast'].info['method']}")
        rows.append(dict(name=f"mm_step S={S} A={A} C*{C_scale:g}", ours=ours, base=base,
                         baseline=f"cvxpy/Clarabel, C_scale={C_scale:g}", ratio=ours / base,
                         goal="< 0.02x (50x faster)" if goal else "(information)",
                         ok=(ours / base < 0.02) if goal else None))
    return rows, notes


#: The settings of figures/sweep_100k (and of the measured sweeps of docs/results/sweeps.md).
SWEEP_FAMILIES = ("garnet", "sparse_garnet", "gridworld", "chain", "frozenlake", "mdp_x", "two_state")
SWEEP_GAMMAS = (0.0, 0.5, 0.9, 0.99)


def _cpu(who) -> float:
    u = resource.getrusage(who)
    return u.ru_utime + u.ru_stime


def engines_agreement(ref: dict, new: dict) -> dict:
    """Compare two sweep tables (:func:`experiments.sweep.load_results`) on their common ids: the worst
    ``|a - b| / (1 + |a|)`` over every float column, in units of the row's verification tolerance
    ``atol``; the rows where one value is infinite and the other not; whether every string, count and
    ``holds`` column is equal."""
    n = min(ref["id"].size, new["id"].size)
    worst, flips, same = 0.0, set(), True
    for c in ref:
        a, b = ref[c][:n], new[c][:n]
        if a.dtype.kind != "f":
            same &= bool(np.array_equal(a, b))
            continue
        inf = np.isinf(a) | np.isinf(b)
        flips |= set(ref["id"][:n][inf & (a != b)].tolist())
        fin = ~inf & ~np.isnan(a)
        if fin.any():
            worst = max(worst, float(np.max(np.abs(a[fin] - b[fin]) / (1.0 + np.abs(a[fin])) / ref["atol"][:n][fin])))
    return dict(n=n, worst_in_atol=worst, inf_flips=sorted(flips), discrete_equal=same)


def bench_engines(n_ref: int, n: int) -> tuple[list, list]:
    """The reference and the batched sweep engines in one process (ids ``0..n_ref-1`` and ``0..n-1``),
    per instance, their ratio and their agreement on the ids both computed."""
    from experiments.sweep import load_results, run_sweep

    t, cpu = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine, m in (("reference", n_ref), ("batched", n)):
            c0 = _cpu(resource.RUSAGE_SELF)
            r = run_sweep(m, SWEEP_FAMILIES, SWEEP_GAMMAS, 0, Path(tmp) / engine, workers=1, candidates=True,
                          progress=False, figure=False, engine=engine)
            cpu[engine] = (_cpu(resource.RUSAGE_SELF) - c0) / m
            if not r.passed:
                raise RuntimeError(f"sweep found failures while benchmarking:\n{r.text}")
            t[engine] = r.seconds / m
        agree = engines_agreement(load_results(Path(tmp) / "reference"), load_results(Path(tmp) / "batched", n_ref))
    ratio = t["batched"] / t["reference"]
    rows = [
        dict(name=f"sweep reference 1 proc n={n_ref}", ours=t["reference"], base=np.nan, baseline="-", ratio=np.nan,
             goal=f"{1 / t['reference']:,.1f} instances/s", ok=None),
        dict(name=f"sweep batched 1 proc n={n}", ours=t["batched"], base=t["reference"],
             baseline="reference engine, 1 process", ratio=ratio, goal=f"{1 / t['batched']:,.0f} instances/s",
             ok=None),
    ]
    notes = [
        f"sweep engines in one process: batched {1 / t['batched']:,.0f}/s vs reference {1 / t['reference']:,.1f}/s "
        f"= {1 / ratio:.1f}x faster (CPU per instance: {1e3 * cpu['batched']:.2f} ms vs {1e3 * cpu['reference']:.1f} ms, "
        f"{cpu['reference'] / cpu['batched']:.1f}x)",
        f"  engines agree on the {agree['n']} instances both computed: worst |batched - reference| / (1 + |x|) = "
        f"{agree['worst_in_atol']:.2e} x atol; discrete columns (holds, counts, strings) equal: "
        f"{agree['discrete_equal']}; 0 * inf on one path only: {len(agree['inf_flips'])} instance(s)",
    ]
    return rows, notes


#: The user's bound of :func:`bench_user_claim`, written to a file outside the package.
USER_CLAIM = "def half_theorem1(q, ops):\n    return q.C * q.alpha ** 2 / 2\n"


def bench_user_claim(n: int) -> tuple[list, list]:
    """The batched sweep of ``n`` instances without and with one user bound (``--claim MODULE:FUNCTION``
    from a file outside the package), one process, in the same run: the rate with the claim against the
    built-in sweep's (goal: at least 80%)."""
    import sys

    from experiments.sweep import run_sweep

    rate = {}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "bench_user_bound.py").write_text(USER_CLAIM)
        sys.path.insert(0, tmp)
        try:
            for label, claims in (("built-in", ()), ("user", ("bench_user_bound:half_theorem1",))):
                r = run_sweep(n, SWEEP_FAMILIES, SWEEP_GAMMAS, 0, Path(tmp) / label, workers=1, candidates=True,
                              progress=False, figure=False, claims=claims)
                if not r.passed:
                    raise RuntimeError(f"sweep found failures while benchmarking:\n{r.text}")
                rate[label] = n / r.seconds
        finally:
            sys.path.remove(tmp)
    ratio = rate["user"] / rate["built-in"]
    rows = [dict(name=f"sweep + 1 user bound n={n}", ours=1 / rate["user"], base=1 / rate["built-in"],
                 baseline="built-in sweep, same run", ratio=1 / ratio, goal=">= 80% of the built-in rate",
                 ok=bool(ratio >= 0.8))]
    notes = [f"sweep with one user bound (--claim): {rate['user']:,.0f}/s against {rate['built-in']:,.0f}/s "
             f"built-in = {100 * ratio:.0f}% of the rate"]
    return rows, notes


def bench_sweep(n: int, quick: bool = False) -> tuple[list, list]:
    """Batched sweep throughput on 1 and 2 worker processes (compute phase, process start-up included);
    in ``quick`` mode the goals, set for the full size, are not checked."""
    from experiments.sweep import run_sweep

    fams, gams = SWEEP_FAMILIES, SWEEP_GAMMAS
    cpu = _cpu

    res, cpu_used = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for w in (1, 2):
            c_self, c_kids = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN)
            r = run_sweep(n, fams, gams, 0, Path(tmp) / f"w{w}", workers=w, candidates=True, progress=False,
                          figure=False)
            # CPU seconds of this process and of the (joined) worker processes
            cpu_used[w] = cpu(resource.RUSAGE_SELF) - c_self + cpu(resource.RUSAGE_CHILDREN) - c_kids
            if not r.passed:
                raise RuntimeError(f"sweep found failures while benchmarking:\n{r.text}")
            res[w] = r
    t1, t2 = res[1].seconds / n, res[2].seconds / n
    eff = t1 / (2 * t2)
    rows = [
        dict(name=f"sweep batched 1 worker n={n}", ours=t1, base=np.nan, baseline="-", ratio=np.nan,
             goal=f"{1 / t1:,.1f} instances/s", ok=None),
        dict(name=f"sweep batched 2 workers n={n}", ours=t2, base=t1, baseline="sweep on 1 worker", ratio=t2 / t1,
             goal=f"< 0.625x ({1 / t2:,.1f} inst/s)", ok=t2 / t1 < 0.625),
        dict(name="sweep batched 2 workers rate", ours=t2, base=np.nan, baseline="-", ratio=np.nan,
             goal=f">= 1,000 inst/s ({1 / t2:,.0f})", ok=1 / t2 >= 1000),
    ]
    load = os.getloadavg()[0]
    notes = [
        f"sweep scaling efficiency on 2 workers (wall clock): {100 * eff:.0f}% (goal >= 80%)"
        + ("  " + NOT_APPLICABLE if quick else "" if eff >= 0.8 else "  <-- MISSED"),
        f"  CPU seconds: {cpu_used[1]:.1f} on 1 worker, {cpu_used[2]:.1f} on 2 workers (CPU-time efficiency "
        f"{100 * cpu_used[1] / max(cpu_used[2], 1e-9):.0f}%; {n / max(cpu_used[2], 1e-9):,.0f} instances per CPU second "
        f"on 2 workers); 1-min load average {load:.1f} on {os.cpu_count()} cores"
        + (" -- the machine is shared, wall-clock scaling is limited by other jobs" if load > (os.cpu_count() or 1)
           else ""),
    ]
    return rows, notes


def run_benchmarks(quick: bool) -> tuple[list, list, int]:
    """Every benchmark row, the notes, and the peak traced memory (bytes) of the largest sparse
    evaluation; ``quick`` uses small sizes and one repeat."""
    q = quick
    rows = [
        bench_dense(500 if q else 2000, 1 if q else 3),
        bench_sparse(10_000 if q else 100_000, 1 if q else 3),
        bench_check_all(50 if q else 300),
    ]
    rows[2:2] = bench_many(100 if q else 1000, 50, 1 if q else 3)
    mm_rows, notes = bench_mm_solvers(200, 5, 1 if q else 3)
    rows += mm_rows
    engine_rows, engine_notes = bench_engines(14 if q else 300, 56 if q else 4000)
    rows += engine_rows
    notes += engine_notes
    claim_rows, claim_notes = bench_user_claim(56 if q else 4000)
    rows += claim_rows
    notes += claim_notes
    sweep_rows, sweep_notes = bench_sweep(56 if q else 16000, quick=q)
    rows += sweep_rows
    notes += sweep_notes
    S = 10_000 if q else 100_000
    tracemalloc.start()
    T.evaluate(T.garnet(S, 4, 5, rng=0, gamma=0.95, sparse=True), T.uniform(S, 4))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return rows, notes, peak


#: What a goal row says in ``--quick`` mode instead of whether it met its goal.
NOT_APPLICABLE = "n/a (quick)"


def format_table(rows: list, notes: list, peak: int, quick: bool = False) -> str:
    """The printed table: each row's time, baseline, ratio and goal, flagged ``<-- MISSED`` when it
    misses its goal (``ok`` False; ``ok`` None: a row for information, without a goal); in ``quick``
    mode every row with a goal says :data:`NOT_APPLICABLE` instead."""
    L = ["--quick: small sizes and one repeat; the goals are set for the full sizes and do not apply "
         f"(marked {NOT_APPLICABLE})"] if quick else []
    L.append(f"{'benchmark':<32} {'ours [s]':>10} {'baseline [s]':>12} {'ratio':>16}  {'goal':<30} baseline")
    for r in rows:
        ratio = "" if np.isnan(r["ratio"]) else f"{r['ratio']:.3f}x" + (
            f" ({1 / r['ratio']:.0f}x)" if r["ratio"] < 0.5 else "")
        base = "" if np.isnan(r["base"]) else f"{r['base']:.4f}"
        flag = "" if r["ok"] is None else ("  " + NOT_APPLICABLE) if quick else "" if r["ok"] else "  <-- MISSED"
        L.append(f"{r['name']:<32} {r['ours']:>10.4f} {base:>12} {ratio:>16}  {r['goal']:<30} {r['baseline']}{flag}")
    L += list(notes)
    L.append(f"peak traced memory of the largest sparse evaluation: {peak / 2**20:.0f} MiB")
    return "\n".join(L)


def main(argv=None) -> int:
    from ._cli import add_version
    from ._common import HelpFormatter

    parser = argparse.ArgumentParser(prog="python -m experiments benchmark", description=__doc__.split("\n")[0],
                                     formatter_class=HelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, one repeat (a smoke run: the goals, set for the full sizes, do not apply)")
    add_version(parser)
    args = parser.parse_args(argv)
    rows, notes, peak = run_benchmarks(args.quick)
    print(format_table(rows, notes, peak, quick=args.quick))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

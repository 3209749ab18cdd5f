"""Benchmark: the fast exact solvers of ``bounds.updates`` against the cvxpy/Clarabel reference.

Run ``python -m experiments.bench_updates [--states 200] [--actions 5] [--repeats 3]``. On one
Garnet MDP (dense, branching 5) with a random policy it times, best of ``--repeats``:

* Algorithm 1 (``mm_step``, KL penalty, theory ``C``; and the TV^2 penalty),
* the max-KL and mean-KL trust regions (``trust_region_step``, Eq. (11) and (12)),
* the per-state KL-penalty root: vectorized Newton against ``scipy.optimize.brentq`` row by row,

and prints the time ratio and the objective difference of each pair. Speed goals live here, not in
the tests (DESIGN.md).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bounds import updates
from bounds.updates import solvers
from tabular import evaluate, garnet, random_policy


def _best_of(fn, repeats: int):
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run(n_states: int = 200, n_actions: int = 5, gamma: float = 0.9, repeats: int = 3, seed: int = 0):
    """Time every pair; return a list of ``(name, t_fast, t_ref, objective difference)``."""
    mdp = garnet(n_states, n_actions, 5, rng=seed, gamma=gamma)
    pi = random_policy(mdp, rng=seed + 1)
    ev = evaluate(mdp, pi)
    C = updates.theory_C(mdp, pi, ev=ev)
    cases = [
        (f"mm_step KL (C = theory = {C:.3g})", dict(penalty="kl"), updates.mm_step),
        ("mm_step KL (C = theory / 100)", dict(penalty="kl", C_scale=0.01), updates.mm_step),
        ("mm_step TV^2 (C = theory)", dict(penalty="tv"), updates.mm_step),
        ("trust_region max, delta=0.01", dict(delta=0.01, constraint="max"), updates.trust_region_step),
        ("trust_region mean, delta=0.01", dict(delta=0.01, constraint="mean"), updates.trust_region_step),
    ]
    rows = []
    for name, kw, fn in cases:
        t_fast, fast = _best_of(lambda fn=fn, kw=kw: fn(mdp, pi, ev=ev, **kw), repeats)
        try:
            t_ref, ref = _best_of(lambda fn=fn, kw=kw: fn(mdp, pi, ev=ev, solver="cvxpy", **kw), repeats)
            diff = fast.objective - ref.objective
        except solvers.SolverError as exc:  # e.g. Clarabel 'optimal_inaccurate' at a tiny KL level
            t_ref, diff = np.nan, f"cvxpy failed: {exc}"
        rows.append((name, t_fast, t_ref, diff))
    # the inner 1-D root: vectorized Newton vs brentq state by state (same problem, same answer)
    for root_c in (0.1, 10.0):
        t_n, a = _best_of(lambda c=root_c: solvers.solve_kl_penalty(ev.A, pi, c, ev.rho, root="newton"), repeats)
        t_b, b = _best_of(lambda c=root_c: solvers.solve_kl_penalty(ev.A, pi, c, ev.rho, root="brentq"), repeats)
        rows.append((f"KL-penalty root c={root_c:g}: newton vs brentq", t_n, t_b, a.objective - b.objective))
    t_n, a = _best_of(lambda: solvers.solve_max_kl(ev.A, pi, ev.rho, 0.01, root="newton"), repeats)
    t_b, b = _best_of(lambda: solvers.solve_max_kl(ev.A, pi, ev.rho, 0.01, root="brentq"), repeats)
    rows.append(("max-KL delta=0.01: newton vs brentq", t_n, t_b, a.objective - b.objective))
    return mdp, rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=200)
    parser.add_argument("--actions", type=int, default=5)
    parser.add_argument("--gamma", type=float, default=0.9)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    mdp, rows = run(args.states, args.actions, args.gamma, args.repeats, args.seed)
    print(f"{mdp!r}, random policy, best of {args.repeats}")
    print(f"{'case':<46} {'fast [s]':>10} {'reference [s]':>14} {'ratio':>8}  objective fast - reference")
    for name, t_fast, t_ref, diff in rows:
        ratio = t_ref / t_fast if np.isfinite(t_ref) else np.nan
        d = f"{diff:+.2e}" if not isinstance(diff, str) else diff
        print(f"{name:<46} {t_fast:>10.4f} {t_ref:>14.4f} {ratio:>8.1f}  {d}")


if __name__ == "__main__":
    main()

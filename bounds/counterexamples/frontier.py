"""The mean-KL frontier of THEORY.md §9: the largest discount with an exactly certified violation.

The mean-KL forms ``eta(pi_new) >= L - C sum_s w(s) KL(pi(.|s) || pi_new(.|s))`` (``w = rho`` or ``d``;
Eq. (9) of [TRPO] with its max replaced by a mean, ``C = 4 eps gamma/(1-gamma)^2``) are false at small
discounts (THEORY.md §6). For one ``(S, A, weights)`` job, :func:`run_job` spends a CPU-time budget on
restarts; each restart

1. finds a violation at some discount: a fresh random start at a small discount, the best instance so far
   perturbed and started below its discount, or (for larger sizes) the best instance of a smaller job
   embedded (:func:`embed`);
2. raises the discount while the violation survives re-optimization of every free number
   (:func:`.continuation.continue_in_gamma`: adaptive step, then bisection of the last gap);
3. certifies the highest discount reached: the instance is turned into rationals (nice ones when the
   violation survives rounding, else the floats' exact binary values) and proven violated by
   :func:`.certificate.verify_certificate` (no floating point). A float violation that is not proven does
   not count.

The job is resumable: its state (best certificate, effort, every restart's outcome) is a JSON file in the
output folder, rewritten after each restart; running the job again continues from it, with the budget
counted over all runs. The effort spent *above* the certified frontier (discounts tried above it,
their evaluations) is recorded so that "nothing higher found" states what it rests on.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from .certificate import make_certificate, verify_certificate
from .claims import claim_named
from .continuation import MeanKLObjective, continue_in_gamma, optimize_at, seed_violation, snap_gamma, violated
from .exact import ExactMDP
from .shrink import round_row

__all__ = ["FrontierPoint", "run_job", "propagate_embeddings", "point_of", "job_name", "load_state", "describe_structure", "embed", "certify_instance",
           "SIZES", "WEIGHTS", "summarize"]

#: Sizes ``(S, A)`` of the committed run and the two weightings.
SIZES = ((2, 2), (3, 2), (4, 2), (6, 3), (8, 4))
WEIGHTS = ("rho", "d")
_FORMAT = "trpo-theory-frontier-job"


@dataclass(frozen=True, eq=False)
class FrontierPoint:
    """The state of one ``(S, A, weights)`` job (see :func:`run_job`).

    ``gamma_max`` is the largest discount with a proven certificate (a Fraction; 0 if none),
    ``certificate`` its file name (in ``certificates/``), ``structure`` a description of the instance;
    ``effort`` counts restarts, evaluations, CPU and wall seconds, the discounts searched and the
    attempts above ``gamma_max`` that found nothing.

    Examples
    --------
    >>> from bounds.counterexamples.frontier import FrontierPoint, point_of
    >>> state = {"S": 2, "A": 2, "weights": "rho", "restarts": 0, "evaluations": 0, "cpu_seconds": 0.0,
    ...          "seconds": 0.0, "gamma_searched": [None, None], "best": None, "history": []}
    >>> fp = point_of(state)
    >>> print(isinstance(fp, FrontierPoint), fp)
    True FrontierPoint(S=2, A=2, rho, gamma_max=0, restarts=0, evaluations=0, cpu=0 s)
    >>> print(fp.gamma_max, fp.certificate, fp.effort["attempts_above"])
    0 None 0
    """

    S: int
    A: int
    weights: str
    gamma_max: Fraction
    violated_by: float
    certificate: str | None
    structure: str
    effort: dict

    def __repr__(self) -> str:
        e = self.effort
        return (f"FrontierPoint(S={self.S}, A={self.A}, {self.weights}, gamma_max={float(self.gamma_max):.5g}, "
                f"restarts={e.get('restarts', 0)}, evaluations={e.get('evaluations', 0)}, "
                f"cpu={e.get('cpu_seconds', 0):.0f} s)")


def describe_structure(mdp, pi, pi_new) -> str:
    """Absorbing states, deterministic rows, start state and the smallest probability of ``pi``.

    Examples
    --------
    >>> from bounds.counterexamples import known_counterexamples
    >>> from bounds.counterexamples.frontier import describe_structure
    >>> cx = known_counterexamples()[0]
    >>> print(describe_structure(cx.mdp, cx.pi, cx.pi_new))
    2 absorbing, 6/6 deterministic rows, start s0, min pi 0.5, max TV 0.3
    """
    P = mdp.dense_P()
    S, A = mdp.shape
    absorbing = sum(bool(np.all(P[s, :, s] > 1 - 1e-6)) for s in range(S))
    det = int(np.sum(P.max(axis=2) > 1 - 1e-6))
    return (f"{absorbing} absorbing, {det}/{S * A} deterministic rows, start s{int(np.argmax(mdp.rho0))}, "
            f"min pi {float(np.min(pi)):.2g}, max TV {float(np.max(0.5 * np.abs(pi - pi_new).sum(1))):.2g}")


def job_name(S: int, A: int, weights: str) -> str:
    """The name of the ``(S, A, weights)`` job: its state file is ``<name>.json``, its certificate
    ``certificates/<name>.json``.

    Examples
    --------
    >>> from bounds.counterexamples.frontier import job_name
    >>> print(job_name(3, 2, "rho"))
    mean_kl_rho_3x2
    """
    return f"mean_kl_{weights}_{S}x{A}"


def _claim(weights: str):
    return claim_named("mean_kl" if weights == "rho" else "mean_kl_d")


# ----------------------------------------------------------------------------- certification
def _rational_rows(arr, q):
    if q is None:  # the floats' exact binary values, the largest entry absorbing the round-off
        out = []
        for row in np.asarray(arr, dtype=float).reshape(-1, arr.shape[-1]):
            fr = [Fraction(float(v)) for v in row]
            k = int(np.argmax(row))
            fr[k] = 1 - (sum(fr) - fr[k])
            out.append(tuple(fr))
        return out
    return [round_row(row, q) for row in np.asarray(arr, dtype=float).reshape(-1, arr.shape[-1])]


def certify_instance(inst, gamma: Fraction, weights: str, provenance: dict | None = None):
    """A proven certificate for the float instance at the rational discount ``gamma``, or ``None``.

    Tries rationals of denominator 10^4, 10^6, 10^9, then the exact binary values of the floats; returns
    ``(certificate, verification, q)`` for the first that :func:`.certificate.verify_certificate` proves.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from bounds.counterexamples import known_counterexamples
    >>> from bounds.counterexamples.continuation import Instance
    >>> from bounds.counterexamples.frontier import certify_instance
    >>> cx = known_counterexamples()[0]  # MDP X, gamma = 1/100
    >>> m = cx.mdp
    >>> inst = Instance(m.dense_P(), m.R, m.rho0, m.gamma, cx.pi, cx.pi_new)
    >>> cert, ver, q = certify_instance(inst, Fraction(1, 100), "rho")
    >>> print(cert.claim, cert.mdp.gamma, ver.proven)
    mean_kl 1/100 True
    """
    S, A = inst.R.shape
    claim = _claim(weights)
    for q in (10**4, 10**6, 10**9, None):
        P = _rational_rows(inst.P, q)
        P = tuple(tuple(P[s * A + a] for a in range(A)) for s in range(S))
        R = [[Fraction(float(v)).limit_denominator(q) if q else Fraction(float(v)) for v in row] for row in inst.R]
        rho0 = _rational_rows(inst.rho0[None, :], q)[0]
        pi, pn = _rational_rows(inst.pi, q), _rational_rows(inst.pi_new, q)
        try:
            em = ExactMDP(P, R, rho0, gamma)
            cert = make_certificate(em, np.array(pi, dtype=object), np.array(pn, dtype=object), claim,
                                    provenance={**(provenance or {}), "denominator": q or "binary"})
            ver = verify_certificate(cert)
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        if ver.proven:
            return cert, ver, q
    return None


def embed(x_small: np.ndarray, S0: int, A0: int, S: int, A: int) -> np.ndarray:
    """The free numbers of an ``S0 x A0`` instance as an ``S x A`` one that computes the same claim.

    Extra actions copy action 0's transitions and reward and get (nearly) zero probability under both
    policies; extra states are absorbing, unreachable (start mass ~0) and rewardless. KL, eps, eta and L
    are unchanged up to the ``exp(-40)`` left on the extra entries.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.counterexamples.continuation import MeanKLObjective
    >>> from bounds.counterexamples.frontier import embed
    >>> small, big = MeanKLObjective(2, 2, "rho"), MeanKLObjective(3, 3, "rho")
    >>> x = np.random.default_rng(0).normal(size=small.dim)
    >>> y = embed(x, 2, 2, 3, 3)
    >>> print(y.shape == (big.dim,), np.isclose(big(y, 0.1), small(x, 0.1), rtol=1e-6, atol=1e-9))
    True True
    """
    small = MeanKLObjective(S0, A0, "rho")
    P0, R0, rho00, _, pi0, pn0 = small.unpack(np.asarray(x_small, dtype=float), 0.5)
    big, neg = MeanKLObjective(S, A, "rho"), -40.0
    lp, lq = np.full((S, A), 0.0), np.full((S, A), 0.0)
    lp[:S0, :A0], lq[:S0, :A0] = np.log(pi0), np.log(pn0)
    lp[:S0, A0:], lq[:S0, A0:] = neg, neg
    R = np.zeros((S, A))
    R[:S0, :A0] = R0
    R[:S0, A0:] = R0[:, :1]
    P = np.full((S, A, S), neg)
    P[:S0, :A0, :S0] = np.log(np.maximum(P0, 1e-300))
    P[:S0, A0:, :S0] = np.log(np.maximum(P0[:, :1, :], 1e-300))
    for s in range(S0, S):
        P[s, :, s] = 0.0
    rho0 = np.full(S, neg)
    rho0[:S0] = np.log(np.maximum(rho00, 1e-300))
    x = np.concatenate([lp.ravel(), lq.ravel(), np.arctanh(np.clip(R, -1 + 1e-15, 1 - 1e-15)).ravel(),
                        P.ravel(), rho0])
    assert x.size == big.dim
    return x


# ----------------------------------------------------------------------------- job state
def _new_state(S, A, weights, seed) -> dict:
    return {"format": _FORMAT, "version": 1, "S": S, "A": A, "weights": weights, "seed": seed,
            "restarts": 0, "evaluations": 0, "cpu_seconds": 0.0, "seconds": 0.0,
            "gamma_searched": [None, None], "best": None, "history": []}


def load_state(path) -> dict:
    """A job's state file (see :func:`run_job`).

    Examples
    --------
    >>> from bounds.counterexamples.frontier import load_state
    >>> import json, os
    >>> state = {"format": "trpo-theory-frontier-job", "version": 1, "S": 2, "A": 2, "weights": "rho",
    ...          "seed": 0, "restarts": 1, "evaluations": 50, "cpu_seconds": 0.1, "seconds": 0.1,
    ...          "gamma_searched": [0.01, 0.02], "best": None, "history": [{"failed": [["1/50", 50]]}]}
    >>> os.makedirs("frontier_load", exist_ok=True)
    >>> with open("frontier_load/mean_kl_rho_2x2.json", "w") as f:
    ...     json.dump(state, f)
    >>> st = load_state("frontier_load/mean_kl_rho_2x2.json")
    >>> print(st["S"], st["A"], st["weights"], st["best"])
    2 2 rho None
    """
    d = json.loads(Path(path).read_text())
    if d.get("format") != _FORMAT:
        raise ValueError(f"path: {path} is not a {_FORMAT} file")
    return d


def _save_state(path: Path, state: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1) + "\n")
    os.replace(tmp, path)


def _best_of_smaller(out: Path, S: int, A: int, weights: str):
    """The best state among jobs of the same weights with ``S0 <= S``, ``A0 <= A`` (not equal)."""
    best = None
    for p in sorted(out.glob(f"mean_kl_{weights}_*x*.json")):
        try:
            st = load_state(p)
        except (ValueError, json.JSONDecodeError):
            continue
        if st["best"] is None or (st["S"], st["A"]) == (S, A) or st["S"] > S or st["A"] > A:
            continue
        if best is None or Fraction(st["best"]["gamma"]) > Fraction(best["best"]["gamma"]):
            best = st
    return best


def _start(obj, state, out, k, rng, maxfev):
    """The starting violation of restart ``k``: ``(x, gamma, kind)`` (``x`` None if no violation)."""
    S, A, w = obj.S, obj.A, obj.weights
    best = state["best"]
    kinds = ["embed smaller", "fresh", "perturb best"]
    kind = kinds[k % 3]
    if kind == "embed smaller":
        small = _best_of_smaller(out, S, A, w)
        mine = Fraction(best["gamma"]) if best else Fraction(0)
        if small is None or Fraction(small["best"]["gamma"]) <= mine:
            kind = "perturb best" if best else "fresh"
    if kind == "perturb best" and best is None:
        kind = "fresh"
    if kind == "fresh":
        g = snap_gamma(math.exp(rng.uniform(math.log(0.004), math.log(0.03))))
        method = "cma" if (k // 3) % 2 == 0 else "nelder-mead"  # every other fresh start seeds with CMA-ES
        kind = f"fresh ({method})"
        x, f = seed_violation(obj, float(g), rng, maxfev, method)
    else:
        if kind == "embed smaller":
            x0 = embed(np.array(small["best"]["x"]), small["S"], small["A"], S, A)
            g = snap_gamma(float(Fraction(small["best"]["gamma"])) * 0.97)
        else:
            x0 = np.array(best["x"]) + rng.normal(0, 0.3, obj.dim)
            g = snap_gamma(float(Fraction(best["gamma"])) * rng.uniform(0.6, 0.95))
        x, f = optimize_at(obj, x0, float(g), maxfev, rounds=2, rng=rng)
    return (x if f < 0 and violated(obj.instance(x, float(g))) else None), g, kind


def _restart(obj, state, out: Path, k: int, deadline: float, maxfev: int) -> dict:
    """One restart (start, continuation, certification); updates ``state`` and returns its record."""
    rng = np.random.default_rng(np.random.SeedSequence([state["seed"], obj.S, obj.A, obj.weights == "d", k]))
    n0, c0 = obj.n_evaluations, time.process_time()
    x, g0, kind = _start(obj, state, out, k, rng, maxfev)
    rec = {"restart": k, "start": kind, "gamma_start": str(g0), "reached": None, "certified": None, "failed": []}
    if kind == "embed smaller":  # the smaller job's certified instance, embedded, first
        small = _best_of_smaller(out, obj.S, obj.A, obj.weights)
        g_small = Fraction(small["best"]["gamma"])
        x_emb = embed(np.array(small["best"]["x"]), small["S"], small["A"], obj.S, obj.A)
        _record_best(obj, state, out, k, g_small, x_emb, rec)
    if x is not None:
        best_g = Fraction(state["best"]["gamma"]) if state["best"] else Fraction(0)
        path, failed = continue_in_gamma(obj, x, g0, maxfev=maxfev, rng=rng, deadline=deadline,
                                         clock=time.process_time, tol=1e-3)
        rec["reached"] = str(path[-1][0])
        rec["failed"] = [[str(g), n] for g, n in failed]
        for g, xg, _ in reversed(path):  # certify the highest discount that can be proven
            if g <= best_g:
                break
            if _record_best(obj, state, out, k, g, xg, rec):
                break
        lo, hi = state["gamma_searched"]
        state["gamma_searched"] = [min(float(g0), lo if lo is not None else 1.0),
                                   max(float(path[-1][0]), hi if hi is not None else 0.0)]
    rec["evaluations"] = obj.n_evaluations - n0
    rec["cpu_seconds"] = round(time.process_time() - c0, 2)
    return rec


def _record_best(obj, state, out: Path, k: int, g: Fraction, x, rec: dict) -> bool:
    """Certify the instance ``x`` at ``g``; if proven and above the job's best, save it as the new best."""
    if state["best"] and g <= Fraction(state["best"]["gamma"]):
        return False
    inst = obj.instance(x, float(g))
    got = certify_instance(inst, g, obj.weights, {"job": job_name(obj.S, obj.A, obj.weights), "restart": k})
    if got is None:
        return False
    cert, ver, q = got
    name = f"{job_name(obj.S, obj.A, obj.weights)}.json"
    (out / "certificates").mkdir(parents=True, exist_ok=True)
    cert.save(out / "certificates" / name)
    state["best"] = {"gamma": str(g), "gamma_float": float(g), "violated_by": float(ver.violated_by),
                     "certificate": f"certificates/{name}", "denominator": q or "binary",
                     "structure": describe_structure(inst.mdp(), inst.pi, inst.pi_new),
                     "restart": k, "x": [float(v) for v in x]}
    rec["certified"] = str(g)
    return True


def run_job(S: int, A: int, weights: str, out, *, budget: float, seed: int = 0, maxfev: int | None = None) -> FrontierPoint:
    """Run (or continue) the ``(S, A, weights)`` job in folder ``out`` until ``budget`` CPU seconds are spent
    over all its runs; see the module docstring. Returns the job's :class:`FrontierPoint`.

    Examples
    --------
    >>> from bounds.counterexamples import verify_certificate
    >>> from bounds.counterexamples.frontier import run_job
    >>> fp = run_job(2, 2, "rho", "frontier_run", budget=0.05, seed=0, maxfev=40)
    >>> print(fp.S, fp.A, fp.weights, fp.effort["restarts"] >= 1)
    2 2 rho True
    >>> print(fp.certificate is None or verify_certificate("frontier_run/" + fp.certificate).proven)
    True
    """
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}, got {weights!r}")
    for name, v in (("S", S), ("A", A)):
        if not isinstance(v, (int, np.integer)) or v < 2:
            raise ValueError(f"{name} must be an integer >= 2, got {v!r}")
    if not (isinstance(budget, (int, float)) and math.isfinite(budget) and budget > 0):
        raise ValueError(f"budget must be a positive finite number of CPU seconds, got {budget!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{job_name(S, A, weights)}.json"
    state = load_state(path) if path.exists() else _new_state(S, A, weights, seed)
    obj = MeanKLObjective(S, A, weights)
    maxfev = maxfev or (2000 if S * A <= 8 else 4000)
    c_start = time.process_time()
    cpu_deadline = c_start + budget - state["cpu_seconds"]
    while time.process_time() < cpu_deadline:
        c0, t0 = time.process_time(), time.perf_counter()
        rec = _restart(obj, state, out, state["restarts"], cpu_deadline, maxfev)
        state["history"].append(rec)
        state["restarts"] += 1
        state["evaluations"] += rec["evaluations"]
        state["cpu_seconds"] = round(state["cpu_seconds"] + time.process_time() - c0, 2)
        state["seconds"] = round(state["seconds"] + time.perf_counter() - t0, 2)
        _save_state(path, state)
    return point_of(state)


def propagate_embeddings(out) -> list:
    """For every job in ``out`` whose best is below a smaller job's (same weights), certify the smaller
    instance embedded at this size (:func:`embed`) and record it as the job's best (the frontier cannot
    drop with more states or actions). Returns the names of the jobs raised; costs no search.

    Examples
    --------
    >>> from bounds.counterexamples.frontier import propagate_embeddings
    >>> import json, os
    >>> state = {"format": "trpo-theory-frontier-job", "version": 1, "S": 2, "A": 2, "weights": "rho",
    ...          "seed": 0, "restarts": 1, "evaluations": 50, "cpu_seconds": 0.1, "seconds": 0.1,
    ...          "gamma_searched": [0.01, 0.02], "best": None, "history": [{"failed": [["1/50", 50]]}]}
    >>> os.makedirs("frontier_prop", exist_ok=True)
    >>> with open("frontier_prop/mean_kl_rho_2x2.json", "w") as f:
    ...     json.dump(state, f)
    >>> print(propagate_embeddings("frontier_prop"))  # no smaller job with a higher frontier
    []
    """
    out, raised = Path(out), []
    for p in sorted(out.glob("mean_kl_*x*.json"), key=lambda q: [int(v) for v in q.stem.split("_")[-1].split("x")]):
        state = load_state(p)
        obj = MeanKLObjective(state["S"], state["A"], state["weights"])
        small = _best_of_smaller(out, obj.S, obj.A, obj.weights)
        mine = Fraction(state["best"]["gamma"]) if state["best"] else Fraction(0)
        if small is None or Fraction(small["best"]["gamma"]) <= mine:
            continue
        rec = {"restart": state["restarts"], "start": "embed smaller (no search)", "gamma_start": small["best"]["gamma"],
               "reached": small["best"]["gamma"], "certified": None, "failed": [], "evaluations": 0, "cpu_seconds": 0.0}
        x = embed(np.array(small["best"]["x"]), small["S"], small["A"], obj.S, obj.A)
        if _record_best(obj, state, out, state["restarts"], Fraction(small["best"]["gamma"]), x, rec):
            state["history"].append(rec)
            state["restarts"] += 1
            _save_state(p, state)
            raised.append(p.stem)
    return raised


def point_of(state: dict) -> FrontierPoint:
    """The :class:`FrontierPoint` of a job state, with its effort above the certified discount.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from bounds.counterexamples.frontier import point_of
    >>> state = {"S": 3, "A": 2, "weights": "d", "restarts": 2, "evaluations": 90, "cpu_seconds": 1.5,
    ...          "seconds": 1.6, "gamma_searched": [0.01, 0.2], "best": None,
    ...          "history": [{"failed": [["1/5", 40], ["1/10", 30]]}, {"failed": []}]}
    >>> fp = point_of(state)
    >>> print(fp.gamma_max, fp.effort["attempts_above"], fp.effort["evaluations_above"], fp.effort["gamma_tried_above"])
    0 2 70 [0.1, 0.2]
    """
    best = state["best"]
    g = Fraction(best["gamma"]) if best else Fraction(0)
    tried = [(Fraction(gs), n) for r in state["history"] for gs, n in r.get("failed", [])]
    above = [(gt, n) for gt, n in tried if gt > g]
    effort = {"restarts": state["restarts"], "evaluations": state["evaluations"],
              "cpu_seconds": state["cpu_seconds"], "seconds": state["seconds"],
              "gamma_searched": state["gamma_searched"],
              "attempts_above": len(above), "evaluations_above": sum(n for _, n in above),
              "gamma_tried_above": [float(min(gt for gt, _ in above)), float(max(gt for gt, _ in above))] if above else None,
              "methods": "starts: Nelder-Mead or CMA-ES; continuation in gamma: adaptive Nelder-Mead, restarted"}
    return FrontierPoint(state["S"], state["A"], state["weights"], g,
                         best["violated_by"] if best else 0.0, best["certificate"] if best else None,
                         best["structure"] if best else "", effort)


def summarize(out) -> list[dict]:
    """One row per job state file in ``out``: size, weights, frontier, certificate and effort.

    Examples
    --------
    >>> from bounds.counterexamples.frontier import summarize
    >>> import json, os
    >>> state = {"format": "trpo-theory-frontier-job", "version": 1, "S": 2, "A": 2, "weights": "rho",
    ...          "seed": 0, "restarts": 1, "evaluations": 50, "cpu_seconds": 0.1, "seconds": 0.1,
    ...          "gamma_searched": [0.01, 0.02], "best": None, "history": [{"failed": [["1/50", 50]]}]}
    >>> os.makedirs("frontier_sum", exist_ok=True)
    >>> with open("frontier_sum/mean_kl_rho_2x2.json", "w") as f:
    ...     json.dump(state, f)
    >>> rows = summarize("frontier_sum")
    >>> print(len(rows), rows[0]["gamma_max"], rows[0]["certificate"], rows[0]["attempts_above"])
    1 0 None 1
    """
    rows = []
    for p in sorted(Path(out).glob("mean_kl_*x*.json")):
        fp = point_of(load_state(p))
        rows.append({"S": fp.S, "A": fp.A, "weights": fp.weights, "gamma_max": str(fp.gamma_max),
                     "gamma_max_float": float(fp.gamma_max), "violated_by": fp.violated_by,
                     "certificate": fp.certificate, "structure": fp.structure, **fp.effort})
    return rows

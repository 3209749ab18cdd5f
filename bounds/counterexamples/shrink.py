"""Shrink a found violation into a counterexample a paper can print.

Given ``(mdp, pi, pi_new)`` violating a claimed lower bound on ``eta(pi_new)``, :func:`shrink`

1. drops actions and merges states (transitions into a merged state go to the state it is merged
   into) while the instance still violates the claim, then makes transition rows and the start
   distribution deterministic where that keeps the violation;
2. re-optimizes the remaining free numbers (policy logits, rewards, gamma, the non-zero
   transition probabilities) to deepen the violation (the relative slack of :mod:`.search`);
3. rounds the numbers group by group -- gamma, each policy row, each reward, each transition row,
   the start distribution -- to the rational with the smallest denominator ``q <= max_denominator``
   (rows: largest-remainder rounding to a common ``q``) that keeps the violation, re-optimizing
   the still-free numbers after each group is fixed.

The result is an exact rational instance (:class:`~.exact.ExactMDP` and Fraction policies),
printable with :meth:`Shrunk.table` and exportable with :meth:`Shrunk.certificate`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.optimize import minimize

from tabular.mdp import MDP
from tabular.policies import argmax_tol

from .certificate import Certificate, Verification, claim_label, make_certificate, verify_certificate
from .claims import CLAIMS
from .exact import ExactMDP
from .search import relative_slack, violation_atol

__all__ = ["Shrunk", "shrink", "round_row", "format_instance"]


#: Remainders (in units of ``1/q``) and probabilities closer than this are tied: the lowest index goes first.
TIE_ATOL = 1e-9


def _tie_order(values) -> np.ndarray:
    """Indices by decreasing value, values within :data:`TIE_ATOL` of the largest remaining one taken in
    index order: the tie rule of :mod:`tabular.policies` applied repeatedly (absolute tolerance, since
    these values are probabilities and remainders in [0, 1]). Round-off never reorders tied entries."""
    rest = list(range(len(values)))
    v = np.asarray(values, dtype=float)
    order = []
    while rest:
        k = rest[argmax_tol(v[rest], atol=TIE_ATOL, rtol=0.0)]
        order.append(k)
        rest.remove(k)
    return np.array(order, dtype=int)


def round_row(x, q: int) -> tuple:
    """Largest-remainder rounding of a probability row to multiples of ``1/q`` (sums to exactly 1).

    Remainders within :data:`TIE_ATOL` of each other are tied and served in index order, so that
    ``round_row([1/3, 1/3, 1/3], 2)`` does not depend on the last bits of the thirds.

    Examples
    --------
    >>> from bounds.counterexamples.shrink import round_row
    >>> print(round_row([1 / 3, 1 / 3, 1 / 3], 2))
    (Fraction(1, 2), Fraction(1, 2), Fraction(0, 1))
    >>> print(round_row([0.26, 0.74], 4))
    (Fraction(1, 4), Fraction(3, 4))
    """
    x = np.asarray(x, dtype=float)
    units = np.floor(x * q).astype(int)
    rest = q - int(units.sum())
    order = _tie_order(x * q - units)
    units[order[:rest]] += 1
    return tuple(Fraction(int(u), q) for u in units)


def _round_scalar(x: float, q: int, lo=-math.inf, hi=math.inf) -> Fraction:
    f = Fraction(round(x * q), q)
    return min(max(f, Fraction(lo) if lo != -math.inf else f), Fraction(hi) if hi != math.inf else f)


# ----------------------------------------------------------------------------- the working instance
@dataclass(frozen=True, eq=False)
class _Inst:
    """Float arrays of the instance; ``fixed`` maps a group to its rational value."""

    P: np.ndarray
    R: np.ndarray
    rho0: np.ndarray
    gamma: float
    pi: np.ndarray
    pn: np.ndarray
    fixed: dict
    r_scale: float = 1.0
    g_lo: float = 0.0
    g_hi: float = 1.0

    def build(self):
        return MDP(self.P, self.R, self.rho0, self.gamma), self.pi, self.pn

    def replace(self, **kw):
        d = dict(P=self.P, R=self.R, rho0=self.rho0, gamma=self.gamma, pi=self.pi, pn=self.pn, fixed=self.fixed,
                 r_scale=self.r_scale, g_lo=self.g_lo, g_hi=self.g_hi)
        d.update(kw)
        return _Inst(**d)

    def groups(self) -> list:
        """Rounding order: gamma, policy rows, rewards, transition rows, start distribution."""
        S, A = self.R.shape
        return ([("gamma",)] + [("pi", s) for s in range(S)] + [("pn", s) for s in range(S)]
                + [("R", s, a) for s in range(S) for a in range(A)]
                + [("P", s, a) for s in range(S) for a in range(A)] + [("rho0",)])

    def get(self, g):
        k = g[0]
        return {"gamma": lambda: self.gamma, "pi": lambda: self.pi[g[1]], "pn": lambda: self.pn[g[1]],
                "R": lambda: self.R[g[1], g[2]], "P": lambda: self.P[g[1], g[2]], "rho0": lambda: self.rho0}[k]()

    def set(self, g, value):
        """A copy with group ``g`` set to the rational ``value`` (and marked fixed)."""
        k, fl = g[0], np.array(value, dtype=float)
        new = {"gamma": None}
        if k == "gamma":
            new = dict(gamma=float(value))
        elif k == "rho0":
            new = dict(rho0=fl)
        else:
            arr = {"pi": self.pi, "pn": self.pn, "R": self.R, "P": self.P}[k].copy()
            arr[g[1:]] = fl
            new = {k: arr}
        return self.replace(fixed={**self.fixed, g: value}, **new)


def _violates(candidate, inst: _Inst, strict: float = 1e-9):
    """``(violated, f)``: a violation with relative slack below ``-strict`` and slack below round-off."""
    try:
        m, p, q = inst.build()
        f, slack, _ = relative_slack(candidate, m, p, q)
    except (ValueError, FloatingPointError, ZeroDivisionError, OverflowError):
        return False, math.inf
    return bool(f < -strict and slack < -100 * violation_atol(m)), f


# ----------------------------------------------------------------------------- structure reduction
def _drop_action(inst: _Inst, a: int) -> _Inst:
    keep = [b for b in range(inst.R.shape[1]) if b != a]

    def renorm(pol):
        sub = pol[:, keep]
        tot = sub.sum(axis=1, keepdims=True)
        return np.where(tot > 0, sub / np.where(tot > 0, tot, 1), 1.0 / len(keep))

    return inst.replace(P=inst.P[:, keep], R=inst.R[:, keep], pi=renorm(inst.pi), pn=renorm(inst.pn))


def _merge_state(inst: _Inst, s: int, t: int) -> _Inst:
    """Remove state ``s``; probability of entering ``s`` (and start mass at ``s``) goes to ``t``."""
    keep = [x for x in range(inst.R.shape[0]) if x != s]
    P = inst.P.copy()
    P[:, :, t] += P[:, :, s]
    rho0 = inst.rho0.copy()
    rho0[t] += rho0[s]
    return inst.replace(P=P[keep][:, :, keep], R=inst.R[keep], rho0=rho0[keep], pi=inst.pi[keep],
                        pn=inst.pn[keep])


def _reduce_structure(candidate, inst: _Inst, log: list, deadline: float, snapshots: list) -> _Inst:
    """Drop actions and merge states while the violation survives (directly or after a short polish).

    ``snapshots`` receives ``(instance, log length)`` before every accepted move, so that a smaller
    but less roundable instance can be traded back for a larger, roundable one."""
    changed = True
    while changed and time.perf_counter() < deadline:
        changed = False
        S, A = inst.R.shape
        moves = [("drop action", a, None) for a in range(A) if A > 1]
        moves += [("merge state", s, t) for s in range(S) for t in range(S) if S > 1 and s != t]
        for kind, i, j in moves:
            trial = _drop_action(inst, i) if kind == "drop action" else _merge_state(inst, i, j)
            ok = _violates(candidate, trial)[0]
            if not ok:
                trial = _polish(candidate, trial, maxfev=400, deadline=deadline)
                ok = _violates(candidate, trial)[0]
            if ok:
                snapshots.append((inst, len(log)))
                inst = trial
                log.append(f"{kind} {i}" + ("" if j is None else f" into {j}"))
                changed = True
                break
    return inst


def _make_deterministic(candidate, inst: _Inst, log: list) -> _Inst:
    """Replace stochastic transition rows (and the start distribution) by a point mass where the violation survives."""
    S, A = inst.R.shape
    for s in range(S):
        for a in range(A):
            row = inst.P[s, a]
            if np.count_nonzero(row) <= 1:
                continue
            for t in _tie_order(row):
                P = inst.P.copy()
                P[s, a] = np.eye(S)[t]
                if _violates(candidate, inst.replace(P=P))[0]:
                    inst = inst.replace(P=P)
                    log.append(f"P[s{s}, a{a}] -> s{t}")
                    break
    if np.count_nonzero(inst.rho0) > 1:
        for t in _tie_order(inst.rho0):
            if _violates(candidate, inst.replace(rho0=np.eye(S)[t]))[0]:
                inst = inst.replace(rho0=np.eye(S)[t])
                log.append(f"rho0 -> s{t}")
                break
    return inst


# ----------------------------------------------------------------------------- re-optimization
def _free_blocks(inst: _Inst):
    """The free groups with their parametrization: logits over a row's support, tanh rewards, logit gamma."""
    blocks = []
    for g in inst.groups():
        if g in inst.fixed:
            continue
        v = np.atleast_1d(np.asarray(inst.get(g), dtype=float))
        if g[0] in ("pi", "pn", "P", "rho0"):
            supp = np.flatnonzero(v > 0)
            if supp.size > 1:
                blocks.append((g, supp, np.log(v[supp])))
        elif g[0] == "gamma":  # gamma = lo + (hi - lo) sigmoid(z), inside the range searched
            lo, hi = inst.g_lo, inst.g_hi
            u = min(max((inst.gamma - lo) / (hi - lo), 1e-9), 1 - 1e-9)
            blocks.append((g, None, np.array([math.log(u / (1 - u))])))
        else:  # rewards stay in [-r_scale, r_scale]: R = r_scale tanh(z)
            blocks.append((g, None, np.arctanh(np.clip(v / inst.r_scale, -0.999, 0.999))))
    return blocks


def _apply(inst: _Inst, blocks, x) -> _Inst:
    P, R, rho0, pi, pn = inst.P.copy(), inst.R.copy(), inst.rho0.copy(), inst.pi.copy(), inst.pn.copy()
    gamma, k = inst.gamma, 0
    for g, supp, x0 in blocks:
        z = x[k:k + x0.size]
        k += x0.size
        if g[0] == "gamma":
            gamma = min(inst.g_lo + (inst.g_hi - inst.g_lo) * 0.5 * (1 + math.tanh(0.5 * z[0])), 1 - 1e-9)
        elif g[0] == "R":
            R[g[1], g[2]] = inst.r_scale * math.tanh(z[0])
        else:
            row = np.zeros_like(inst.get(g), dtype=float)
            e = np.exp(z - z.max())
            row[supp] = e / e.sum()
            if g[0] == "rho0":
                rho0 = row
            else:
                {"pi": pi, "pn": pn, "P": P}[g[0]][g[1:]] = row
    return inst.replace(P=P, R=R, rho0=rho0, gamma=gamma, pi=pi, pn=pn)


def _polish(candidate, inst: _Inst, maxfev: int, deadline: float) -> _Inst:
    """Nelder-Mead on the free numbers, minimizing the relative slack; returns the best point seen."""
    blocks = _free_blocks(inst)
    if not blocks or time.perf_counter() > deadline:
        return inst
    x0 = np.concatenate([b[2] for b in blocks])
    best = [_violates(candidate, inst, strict=-math.inf)[1], x0]

    def f(x):
        if time.perf_counter() > deadline:
            return best[0] + 1.0
        val = _violates(candidate, _apply(inst, blocks, x), strict=-math.inf)[1]
        if val < best[0]:
            best[0], best[1] = val, np.array(x)
        return val

    minimize(f, x0, method="Nelder-Mead", options=dict(maxfev=maxfev, xatol=1e-9, fatol=1e-13))
    return _apply(inst, blocks, best[1]) if best[1] is not x0 else inst


def _raise_small_gamma(candidate, inst: _Inst, max_den: int, log: list, deadline: float, fev: int) -> _Inst:
    """A discount below ``1/max_denominator`` needs a large denominator: raise it by a factor 2, 1.5 or
    1.25 (re-optimizing the rest) while the violation survives, until it reaches ``1/max_denominator``."""
    moved, factors = False, (2.0, 1.5, 1.25)
    while 0 < inst.gamma < 1.0 / max_den and time.perf_counter() < deadline:
        for fac in factors:
            g = min(fac * inst.gamma, inst.g_hi)
            trial = _polish(candidate, inst.replace(gamma=g, fixed={**inst.fixed, ("gamma",): None}), fev, deadline)
            trial = trial.replace(fixed={k: v for k, v in trial.fixed.items() if k != ("gamma",)})
            if _violates(candidate, trial)[0]:
                inst, moved = trial, True
                break
        else:
            break
    if moved:
        log.append(f"gamma raised to {inst.gamma:.4g}")
    return inst


# ----------------------------------------------------------------------------- rounding
def _round_group(inst: _Inst, g, q: int):
    v = inst.get(g)
    if g[0] == "gamma":
        f = _round_scalar(v, q, 0, Fraction(q - 1, q) if q > 1 else 0)
        return f if inst.g_lo <= f <= inst.g_hi else None
    if g[0] == "R":
        return _round_scalar(v, q)
    return round_row(v, q)


def _rationalize(candidate, inst: _Inst, max_den: int, log: list, deadline: float, polish_fev: int) -> _Inst:
    """Fix each group at the smallest denominator keeping the violation; re-optimize the rest after each."""
    for g in inst.groups():
        q_found = None
        for q in list(range(1, max_den + 1)) + [10**k for k in range(3, 13) if 10**k > max_den]:
            value = _round_group(inst, g, q)
            if value is None:
                continue
            trial = inst.set(g, value)
            if _violates(candidate, trial)[0]:
                inst, q_found = trial, q
                break
        if q_found is None:  # keep the exact binary value of the float
            v = inst.get(g)
            exact = (Fraction(float(v)) if g[0] in ("gamma", "R") else
                     tuple(Fraction(float(t)) for t in v[:-1]) + (1 - sum(Fraction(float(t)) for t in v[:-1]),))
            inst = inst.set(g, exact)
            q_found = "binary"
        if q_found != 1 or g[0] in ("gamma",):
            log.append(f"{_gname(g)} -> {_fmt(inst.fixed[g])}")
        if any(h not in inst.fixed for h in inst.groups()):
            inst = _polish(candidate, inst, polish_fev, deadline)
    return inst


def _gname(g) -> str:
    return {"gamma": "gamma", "rho0": "rho0"}.get(g[0]) or (
        f"{g[0]}[s{g[1]}]" if len(g) == 2 else f"{g[0]}[s{g[1]}, a{g[2]}]")


def _fmt(v) -> str:
    if isinstance(v, tuple):
        return "(" + ", ".join(_fmt(t) for t in v) + ")"
    v = Fraction(v)
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


# ----------------------------------------------------------------------------- result
def format_instance(mdp: ExactMDP, pi, pi_new, title: str = "") -> str:
    """A small table of a rational instance: one line per (state, action) with P, R, pi, pi_new as fractions.

    Examples
    --------
    >>> from bounds.counterexamples.exact import ExactMDP, exact_policy
    >>> from bounds.counterexamples.shrink import format_instance
    >>> m = ExactMDP(P=[[[1, 0], [0, 1]], [[0, 1], ["1/2", "1/2"]]], R=[[1, 0], [0, 2]],
    ...              rho0=[1, 0], gamma="9/10")
    >>> pi = exact_policy([[1, 0], [1, 0]], 2, 2)
    >>> pi_new = exact_policy([["1/2", "1/2"], [0, 1]], 2, 2)
    >>> print(format_instance(m, pi, pi_new, "an instance"))
    an instance
    S = 2, A = 2, gamma = 9/10, start s0
    state  action  P(. | s, a)       r(s, a)  pi(a|s)  pi_new(a|s)
    -----  ------  ----------------  -------  -------  -----------
    s0     a0      -> s0             1        1        1/2
    s0     a1      -> s1             0        0        1/2
    s1     a0      -> s1             0        1        0
    s1     a1      s0: 1/2, s1: 1/2  2        0        1
    """
    S, A = mdp.shape
    start = ", ".join(f"s{s}: {_fmt(p)}" for s, p in enumerate(mdp.rho0) if p) if sum(
        1 for p in mdp.rho0 if p) > 1 else f"s{next(s for s, p in enumerate(mdp.rho0) if p)}"
    lines = ([title] if title else []) + [f"S = {S}, A = {A}, gamma = {_fmt(mdp.gamma)}, start {start}"]
    rows = []
    for s in range(S):
        for a in range(A):
            nz = [(t, p) for t, p in enumerate(mdp.P[s][a]) if p]
            P = f"-> s{nz[0][0]}" if len(nz) == 1 else ", ".join(f"s{t}: {_fmt(p)}" for t, p in nz)
            rows.append((f"s{s}", f"a{a}", P, _fmt(mdp.R[s][a]), _fmt(pi[s][a]), _fmt(pi_new[s][a])))
    head = ("state", "action", "P(. | s, a)", "r(s, a)", "pi(a|s)", "pi_new(a|s)")
    w = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    fmt = lambda r: "  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip()  # noqa: E731
    lines += [fmt(head), "  ".join("-" * x for x in w)] + [fmt(r) for r in rows]
    return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class Shrunk:
    """A shrunk counterexample: the rational instance, its float image, how it was reached and its check.

    ``slack`` is the float ``eta(pi_new) - rhs`` of the rational instance; ``max_denominator`` the
    largest denominator of any number in it; ``verification`` the exact check of a named claim
    (``None`` for a user claim, which is checked in floating point only).

    Examples
    --------
    >>> from tabular import evaluate, garnet, random_policy
    >>> from bounds.counterexamples import Shrunk, shrink
    >>> def too_strong(mdp, pi, pi_new):  # planted: violated by exactly 1 on every instance
    ...     return evaluate(mdp, pi_new).eta + 1.0
    >>> m = garnet(3, 2, 2, rng=0, gamma=0.9)
    >>> res = shrink(too_strong, m, random_policy(m, rng=1), random_policy(m, rng=2), time_budget=0.2)
    >>> print(isinstance(res, Shrunk), res.violated, f"{res.slack:.4f}", res.verification)
    True True -1.0000 None
    >>> print(res.original_shape, res.shape[0] <= 3)
    (3, 2) True
    """

    claim: str
    exact_mdp: ExactMDP
    pi: tuple
    pi_new: tuple
    mdp: MDP
    slack: float
    rel_slack: float
    max_denominator: int
    original_shape: tuple
    steps: tuple
    verification: Verification | None
    candidate: object = None

    @property
    def shape(self) -> tuple:
        return self.exact_mdp.shape

    @property
    def violated(self) -> bool:
        return self.slack < 0 if self.verification is None else self.verification.proven

    def table(self) -> str:
        return format_instance(self.exact_mdp, self.pi, self.pi_new, f"counterexample to {self.claim}")

    def certificate(self, provenance: dict | None = None) -> Certificate:
        return make_certificate(self.exact_mdp, self.pi, self.pi_new,
                                self.candidate if self.candidate is not None else self.claim,
                                provenance={"shrink_steps": list(self.steps), **(provenance or {})})

    def __repr__(self) -> str:
        S, A = self.shape
        return (f"Shrunk({self.claim!r}, S={S}, A={A}, gamma={_fmt(self.exact_mdp.gamma)}, "
                f"max_denominator={self.max_denominator}, slack={self.slack:.3g}, violated={self.violated})")


def _finish(candidate, inst: _Inst, original_shape, log) -> Shrunk:
    fx = inst.fixed
    S, A = inst.R.shape
    P = tuple(tuple(tuple(fx[("P", s, a)]) for a in range(A)) for s in range(S))
    R = tuple(tuple(fx[("R", s, a)] for a in range(A)) for s in range(S))
    em = ExactMDP(P, R, tuple(fx[("rho0",)]), fx[("gamma",)])
    pi = tuple(tuple(fx[("pi", s)]) for s in range(S))
    pn = tuple(tuple(fx[("pn", s)]) for s in range(S))
    m = em.to_mdp()
    f, slack, _ = relative_slack(candidate, m, np.array(pi, dtype=float), np.array(pn, dtype=float))
    dens = [Fraction(v).denominator for v in [em.gamma, *em.rho0] + [v for r in R for v in r]
            + [v for r in pi + pn for v in r] + [v for Ps in P for r in Ps for v in r]]
    name = claim_label(candidate)[0]
    ver = None
    if name in CLAIMS:
        ver = verify_certificate(make_certificate(em, pi, pn, name))
    return Shrunk(name, em, pi, pn, m, float(slack), float(f), max(dens), original_shape, tuple(log), ver, candidate)


def shrink(candidate, mdp: MDP, pi, pi_new, *, max_denominator: int = 100, time_budget: float = 30.0,
           polish_evaluations: int = 300, gamma_range: tuple = (0.0, 1.0)) -> Shrunk:
    """Shrink a violation of ``candidate`` (a named claim, :class:`~.claims.Claim` or callable) to a
    small rational counterexample (see the module docstring for the three stages).

    ``gamma_range`` bounds the discount while re-optimizing and rounding (it must contain ``mdp.gamma``).
    Raises ``ValueError`` if ``(mdp, pi, pi_new)`` does not violate the claim to begin with.

    Examples
    --------
    >>> from tabular import evaluate, garnet, random_policy
    >>> from bounds.counterexamples import shrink
    >>> def too_strong(mdp, pi, pi_new):  # planted: violated by exactly 1 on every instance
    ...     return evaluate(mdp, pi_new).eta + 1.0
    >>> m = garnet(3, 2, 2, rng=0, gamma=0.9)
    >>> res = shrink(too_strong, m, random_policy(m, rng=1), random_policy(m, rng=2), time_budget=0.2)
    >>> print(res.violated, f"{res.slack:.4f}")
    True -1.0000
    >>> cert = res.certificate()
    >>> print(cert.claimed["slack"] < 0, "shrink_steps" in cert.provenance)
    True True
    >>> try:
    ...     shrink("theorem1", m, random_policy(m, rng=1), random_policy(m, rng=2))
    ... except ValueError as err:
    ...     print(err)
    pi_new: the instance does not violate the claim, nothing to shrink
    """
    from .claims import claim_named

    if isinstance(candidate, str):
        candidate = claim_named(candidate)
    if not callable(candidate):
        raise TypeError(f"candidate must be callable or a claim name, got {type(candidate).__name__}")
    if not isinstance(mdp, MDP):
        raise TypeError(f"mdp must be a tabular.MDP, got {type(mdp).__name__}")
    if int(max_denominator) < 1:
        raise ValueError(f"max_denominator must be >= 1, got {max_denominator}")
    lo, hi = gamma_range
    if not (0.0 <= lo <= mdp.gamma <= hi <= 1.0):
        raise ValueError(f"gamma_range must contain mdp.gamma = {mdp.gamma} within [0, 1], got {gamma_range}")
    deadline = time.perf_counter() + float(time_budget)
    hard = deadline + 0.5 * float(time_budget)  # fallbacks included, never more than 1.5 x the budget
    inst = _Inst(mdp.dense_P().copy(), np.array(mdp.R, dtype=float), np.array(mdp.rho0, dtype=float),
                 float(mdp.gamma), np.array(pi, dtype=float), np.array(pi_new, dtype=float), {},
                 max(1.0, float(np.max(np.abs(mdp.R)))), float(lo), float(hi))
    if not _violates(candidate, inst, strict=0.0)[0]:
        raise ValueError("pi_new: the instance does not violate the claim, nothing to shrink")
    log: list = []
    snapshots: list = []
    small = _reduce_structure(candidate, inst, log, deadline, snapshots)
    best = None
    for start, n_log in [(small, len(log))] + snapshots[::-1]:
        steps = log[:n_log]
        out = _simplify_numbers(candidate, start, int(max_denominator), steps, deadline, polish_evaluations)
        res = _finish(candidate, out, mdp.shape, steps)
        if best is None or (res.violated and not best.violated) or (
                res.violated == best.violated and best.max_denominator > max_denominator
                and res.max_denominator < best.max_denominator):
            best = res
        if best.violated and best.max_denominator <= max_denominator:
            break
        if time.perf_counter() > hard:
            break
        deadline = min(deadline + 0.5 * float(time_budget), hard)  # a fallback gets half the budget again
    return best


def _simplify_numbers(candidate, inst: _Inst, max_den: int, log: list, deadline: float, fev: int) -> _Inst:
    """Deterministic rows, a deep polish, a small discount raised, then group-by-group rounding."""
    log[:] = list(log)
    inst = _make_deterministic(candidate, inst, log)
    inst = _polish(candidate, inst, 20 * fev, deadline)
    inst = _raise_small_gamma(candidate, inst, max_den, log, deadline, 3 * fev)
    return _rationalize(candidate, inst, max_den, log, deadline, fev)

"""Continuation in the discount for violations of the mean-KL forms (THEORY.md §9).

The claim is ``eta(pi_new) >= L - C sum_s w(s) KL(pi(.|s) || pi_new(.|s))`` with ``C = 4 eps gamma/(1-gamma)^2``,
``eps = max_{s,a} |A_pi(s, a)|`` (Eq. (8)-(9) of [TRPO] with the max of Eq. (9) replaced by a mean) and
``w = rho_pi`` (unnormalized, Eq. (12)) or ``w = d_pi = (1 - gamma) rho_pi``. At a fixed discount every
other number is free: transitions, rewards (in [-1, 1], the claim is scale-free), both policies and
the start distribution. :class:`MeanKLObjective` evaluates the claim's slack in a form that stays
accurate at the frontier, where violations are tiny:

    eta(pi_new) - L = sum_s (rho_new(s) - rho(s)) Abar(s),   Abar(s) = sum_a pi_new(a|s) A_pi(s, a)

(the performance-difference identity, Eq. (2) of [TRPO], minus Eq. (3)), so the slack
``(eta_new - L) + C sum_s w(s) KL(s)`` is never the difference of two large numbers. The objective
minimized is the surrogate-relative slack of :mod:`.search`, ``(eta_new - rhs) / (|eta_new - L| + penalty)``
in [-1, 1]: a ratio of second-order quantities, so it neither vanishes as ``pi_new -> pi`` (the trivial
point where a first-order normalization sends every claim) nor loses meaning when the slack is of order
1e-9 at the frontier. It is an independent fast twin of
:func:`.known.mean_kl_candidate` (tests compare the two); every reported violation is re-checked with
the claim itself and then proven in exact arithmetic (:mod:`.certificate`).

:func:`continue_in_gamma` takes a violation at ``gamma``, raises the discount by an adaptive step,
re-optimizes all free numbers (Nelder-Mead, then restarts of it from the best point), accepts the step
if the violation survives, otherwise halves the step; it stops when the step is below ``tol``
(a bisection of the last gap). Discounts are rationals ``k / GAMMA_DENOMINATOR`` so that a certificate
states the discount it is reported at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from scipy.optimize import minimize

__all__ = ["MeanKLObjective", "Instance", "continue_in_gamma", "seed_violation", "optimize_at", "cma_at", "snap_gamma", "violated",
           "GAMMA_DENOMINATOR"]

#: Discounts visited by the continuation are multiples of ``1 / GAMMA_DENOMINATOR``.
GAMMA_DENOMINATOR = 100_000
_BAD = 1e6


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True, eq=False)
class Instance:
    """A float instance ``(P, R, rho0, gamma, pi, pi_new)`` and its relative slack ``f`` (< 0: violated).

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.counterexamples.continuation import Instance
    >>> P = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    >>> inst = Instance(P, np.array([[1.0], [0.0]]), np.array([1.0, 0.0]), 0.5, np.ones((2, 1)), np.ones((2, 1)))
    >>> print(inst.mdp().shape, inst.f)
    (2, 1) inf
    """

    P: np.ndarray
    R: np.ndarray
    rho0: np.ndarray
    gamma: float
    pi: np.ndarray
    pi_new: np.ndarray
    f: float = math.inf
    slack: float = math.inf

    def mdp(self):
        from tabular.mdp import MDP

        return MDP(self.P, self.R, self.rho0, self.gamma)


@dataclass(eq=False)
class MeanKLObjective:
    """The mean-KL claim's relative slack over the free numbers ``x`` at a fixed ``gamma``.

    ``x = [pi logits (S*A), pi_new logits (S*A), reward pre-images (S*A, R = tanh), transition logits
    (S*A*S), start logits (S)]``. ``n_evaluations`` counts calls.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import evaluate
    >>> from bounds.counterexamples import known_counterexamples, mean_kl_candidate
    >>> from bounds.counterexamples.continuation import Instance, MeanKLObjective
    >>> cx = known_counterexamples()[0]  # MDP X at gamma = 0.01
    >>> m = cx.mdp
    >>> obj = MeanKLObjective(S=3, A=2, weights="rho")
    >>> x = obj.pack(Instance(m.dense_P(), m.R, m.rho0, m.gamma, cx.pi, cx.pi_new))
    >>> inst = obj.instance(x, m.gamma)
    >>> print(obj.dim, inst.f < 0, obj(x, m.gamma) == inst.f)
    39 True True
    >>> slack = evaluate(m, cx.pi_new).eta - mean_kl_candidate(m, cx.pi, cx.pi_new)
    >>> print(np.isclose(inst.slack, slack, rtol=1e-6, atol=1e-12))
    True
    """

    S: int
    A: int
    weights: str
    n_evaluations: int = field(default=0)

    def __post_init__(self):
        if self.weights not in ("rho", "d"):
            raise ValueError(f"weights must be 'rho' or 'd', got {self.weights!r}")

    @property
    def dim(self) -> int:
        S, A = self.S, self.A
        return 3 * S * A + S * A * S + S

    def unpack(self, x, gamma: float) -> tuple:
        S, A = self.S, self.A
        n = S * A
        pi, pn = _softmax(x[:n].reshape(S, A)), _softmax(x[n:2 * n].reshape(S, A))
        R = np.tanh(x[2 * n:3 * n]).reshape(S, A)
        P = _softmax(x[3 * n:3 * n + n * S].reshape(S, A, S))
        rho0 = _softmax(x[3 * n + n * S:])
        return P, R, rho0, gamma, pi, pn

    def pack(self, inst: Instance) -> np.ndarray:
        tiny = 1e-300
        return np.concatenate([np.log(np.maximum(inst.pi, tiny)).ravel(), np.log(np.maximum(inst.pi_new, tiny)).ravel(),
                               np.arctanh(np.clip(inst.R, -1 + 1e-15, 1 - 1e-15)).ravel(),
                               np.log(np.maximum(inst.P, tiny)).ravel(), np.log(np.maximum(inst.rho0, tiny))])

    def parts(self, P, R, rho0, gamma, pi, pn) -> tuple[float, float]:
        """``(f, slack)``: the surrogate-relative slack and ``eta(pi_new) - rhs`` (see the module docstring)."""
        S = R.shape[0]
        I = np.eye(S)
        M = I - gamma * np.einsum("sa,sat->st", pi, P)
        Mn = I - gamma * np.einsum("sa,sat->st", pn, P)
        sol = np.linalg.solve(np.stack([M, M.T, Mn.T]), np.stack([(pi * R).sum(1), rho0, rho0])[:, :, None])
        V, rho, rho_n = sol[0, :, 0], sol[1, :, 0], sol[2, :, 0]
        Adv = R + gamma * (P @ V) - V[:, None]
        Abar = (pn * Adv).sum(1)
        C = 4.0 * float(np.max(np.abs(Adv))) * gamma / (1.0 - gamma) ** 2  # Eq. (8)
        kl = (pi * (np.log(np.maximum(pi, 1e-300)) - np.log(np.maximum(pn, 1e-300)))).sum(1)  # 0 log 0 = 0
        w = rho if self.weights == "rho" else (1.0 - gamma) * rho
        pen = C * float(w @ kl) if C > 0 else 0.0
        gain_new, gain_L = float(rho_n @ Abar), float(rho @ Abar)  # eta_new - eta (Eq. (2)), L - eta (Eq. (3))
        slack = (gain_new - gain_L) + pen
        scale = max(1.0, float(np.max(np.abs(R))) / (1.0 - gamma))
        return slack / (abs(gain_new - gain_L) + abs(pen) + 1e-12 * scale), slack  # in [-1, 1]

    def __call__(self, x, gamma: float) -> float:
        self.n_evaluations += 1
        try:
            f = self.parts(*self.unpack(np.asarray(x, dtype=float), gamma))[0]
        except (np.linalg.LinAlgError, FloatingPointError, ValueError):
            return _BAD
        return f if math.isfinite(f) else _BAD

    def instance(self, x, gamma: float) -> Instance:
        P, R, rho0, g, pi, pn = self.unpack(np.asarray(x, dtype=float), gamma)
        f, slack = self.parts(P, R, rho0, g, pi, pn)
        return Instance(P, R, rho0, g, pi, pn, f, slack)


def snap_gamma(g: float) -> Fraction:
    """``g`` rounded down to a multiple of ``1 / GAMMA_DENOMINATOR`` (at least one unit).

    Examples
    --------
    >>> from bounds.counterexamples.continuation import snap_gamma
    >>> print(snap_gamma(0.123456789), snap_gamma(0.0))
    2469/20000 1/100000
    """
    return Fraction(max(1, math.floor(g * GAMMA_DENOMINATOR)), GAMMA_DENOMINATOR)


def violated(inst: Instance) -> bool:
    """Violated beyond round-off: relative slack below -1e-9 and slack below 1e-12 of the value scale.

    Examples
    --------
    >>> from bounds.counterexamples import known_counterexamples
    >>> from bounds.counterexamples.continuation import Instance, MeanKLObjective, violated
    >>> cx = known_counterexamples()[0]
    >>> m, obj = cx.mdp, MeanKLObjective(3, 2, "rho")
    >>> x = obj.pack(Instance(m.dense_P(), m.R, m.rho0, m.gamma, cx.pi, cx.pi_new))
    >>> print(violated(obj.instance(x, m.gamma)))
    True
    >>> y = obj.pack(Instance(m.dense_P(), m.R, m.rho0, m.gamma, cx.pi, cx.pi))  # pi_new = pi
    >>> print(violated(obj.instance(y, m.gamma)))
    False
    """
    scale = max(1.0, float(np.max(np.abs(inst.R))) / (1.0 - inst.gamma))
    return inst.f < -1e-9 and inst.slack < -1e-12 * scale


def optimize_at(obj: MeanKLObjective, x0, gamma: float, maxfev: int, rounds: int = 3, rng=None):
    """Nelder-Mead (adaptive) from ``x0`` at a fixed ``gamma``, restarted ``rounds`` times from the best point
    (each restart a fresh simplex, scaled down by 4 each time); returns ``(x, f)``.

    Examples
    --------
    >>> from bounds.counterexamples import known_counterexamples
    >>> from bounds.counterexamples.continuation import Instance, MeanKLObjective, optimize_at
    >>> cx = known_counterexamples()[0]
    >>> m, obj = cx.mdp, MeanKLObjective(3, 2, "rho")
    >>> x0 = obj.pack(Instance(m.dense_P(), m.R, m.rho0, m.gamma, cx.pi, cx.pi_new))
    >>> x, f = optimize_at(obj, x0, m.gamma, maxfev=50, rounds=1, rng=0)
    >>> print(f <= obj(x0, m.gamma) < 0, x.shape == x0.shape)
    True True
    """
    rng = np.random.default_rng(rng)
    x, fx = np.asarray(x0, dtype=float), obj(x0, gamma)
    step = 0.5
    for _ in range(rounds):
        d = x.size
        simplex = np.vstack([x, x + step * np.diag(rng.choice((-1.0, 1.0), size=d))])
        res = minimize(obj, x, args=(gamma,), method="Nelder-Mead",
                       options=dict(maxfev=maxfev, adaptive=d > 10, initial_simplex=simplex,
                                    xatol=1e-12, fatol=1e-15))
        if res.fun < fx:
            x, fx = np.asarray(res.x, dtype=float), float(res.fun)
        step /= 4
    return x, fx


def cma_at(obj: MeanKLObjective, x0, gamma: float, maxfev: int, seed: int):
    """CMA-ES (the ``cma`` package, step size 1) from ``x0`` at a fixed ``gamma``; returns ``(x, f)``.

    Examples
    --------
    >>> from bounds.counterexamples import known_counterexamples
    >>> from bounds.counterexamples.continuation import Instance, MeanKLObjective, cma_at
    >>> cx = known_counterexamples()[0]
    >>> m, obj = cx.mdp, MeanKLObjective(3, 2, "rho")
    >>> x0 = obj.pack(Instance(m.dense_P(), m.R, m.rho0, m.gamma, cx.pi, cx.pi_new))
    >>> x, f = cma_at(obj, x0, m.gamma, maxfev=40, seed=1)
    >>> print(f <= obj(x0, m.gamma) < 0, x.shape == x0.shape)
    True True
    """
    import cma

    es = cma.CMAEvolutionStrategy(np.asarray(x0, dtype=float), 1.0, {"maxfevals": maxfev, "verbose": -9,
                                                                      "seed": seed, "tolfun": 1e-14, "tolx": 1e-12})
    best = (np.asarray(x0, dtype=float), obj(x0, gamma))
    while not es.stop():
        xs = es.ask()
        fs = [obj(x, gamma) for x in xs]
        es.tell(xs, fs)
        k = int(np.argmin(fs))
        if fs[k] < best[1]:
            best = (np.asarray(xs[k], dtype=float), float(fs[k]))
    return best


def seed_violation(obj: MeanKLObjective, gamma: float, rng, maxfev: int, method: str = "nelder-mead"):
    """A random start (deterministic transitions, first-state start, policies far apart) optimized at ``gamma``
    by ``method`` (``"nelder-mead"`` or ``"cma"``, followed by a Nelder-Mead polish); returns ``(x, f)``.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.counterexamples.continuation import MeanKLObjective, seed_violation
    >>> obj = MeanKLObjective(2, 2, "rho")
    >>> x, f = seed_violation(obj, 0.05, np.random.default_rng(0), maxfev=100)
    >>> print(x.shape == (obj.dim,), f == obj(x, 0.05), obj.n_evaluations > 0)
    True True True
    """
    S, A = obj.S, obj.A
    P = np.full((S, A, S), -8.0)
    P[np.arange(S)[:, None], np.arange(A)[None, :], rng.integers(S, size=(S, A))] = 0.0
    rho0 = np.full(S, -8.0)
    rho0[0] = 0.0
    x0 = np.concatenate([rng.normal(0, 2, 2 * S * A), rng.normal(0, 0.7, S * A), P.ravel(), rho0])
    if method == "cma":
        x0 = cma_at(obj, x0, gamma, 3 * maxfev, int(rng.integers(1, 2**31 - 1)))[0]
    return optimize_at(obj, x0, gamma, maxfev, rounds=2, rng=rng)


def continue_in_gamma(obj: MeanKLObjective, x, gamma: Fraction, *, maxfev: int, rng, deadline: float,
                      g_max: float = 0.99, tol: float = 2e-4, clock=None) -> tuple[list, list]:
    """Raise ``gamma`` from a violation at ``x`` while the violation survives re-optimization.

    Returns ``(path, failed)``: ``path`` lists ``(gamma: Fraction, x, f)`` of every accepted discount in
    increasing order (the first is the start); ``failed`` lists ``(gamma, evaluations)`` of every discount
    tried where re-optimization found no violation. The step starts at ``gamma / 4`` (at least 1e-3), grows
    by 1.5 after a success, halves after a failure; the run ends when the step is below ``tol * gamma``
    or ``deadline`` (``clock()`` seconds) passes.

    Examples
    --------
    >>> import time
    >>> import numpy as np
    >>> from fractions import Fraction
    >>> from bounds.counterexamples import known_counterexamples
    >>> from bounds.counterexamples.continuation import (Instance, MeanKLObjective, continue_in_gamma,
    ...                                                 violated)
    >>> cx = known_counterexamples()[0]
    >>> m, obj = cx.mdp, MeanKLObjective(3, 2, "rho")
    >>> x0 = obj.pack(Instance(m.dense_P(), m.R, m.rho0, m.gamma, cx.pi, cx.pi_new))
    >>> path, failed = continue_in_gamma(obj, x0, Fraction(1, 100), maxfev=60, rng=np.random.default_rng(0),
    ...                                  deadline=time.perf_counter() + 0.3)
    >>> print(path[0][0], all(g1 < g2 for (g1, _, _), (g2, _, _) in zip(path, path[1:])))
    1/100 True
    >>> print(all(violated(obj.instance(x, float(g))) for g, x, f in path))
    True
    """
    import time

    clock = clock or time.perf_counter
    path = [(gamma, np.asarray(x, dtype=float), obj(x, float(gamma)))]
    step, failed = max(float(gamma) / 4, 1e-3), []
    while step >= tol * float(gamma) and clock() < deadline:
        g_try = snap_gamma(min(float(gamma) + step, g_max))
        if g_try <= gamma:
            break
        n0 = obj.n_evaluations
        x_try, f_try = optimize_at(obj, path[-1][1], float(g_try), maxfev, rng=rng)
        if f_try < 0 and violated(obj.instance(x_try, float(g_try))):
            gamma = g_try
            path.append((g_try, x_try, f_try))
            step *= 1.5
        else:
            failed.append((g_try, obj.n_evaluations - n0))
            step /= 2
    return path, failed

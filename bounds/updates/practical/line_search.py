"""The step length and backtracking line search of the practical step ([TRPO] Appendix C and §6;
THEORY.md §5), the one home of both: :func:`bounds.updates.practical.trpo_step` (exact or sampled data)
and the learners of :mod:`experiments.learners` (any parametric policy, max-KL, empirical Fisher, a
fixed natural-gradient step) call them.

1. :func:`full_step`: the direction ``(F + damping I) s = g`` by conjugate gradient
   (:func:`~bounds.updates.practical.cg.conjugate_gradient`) and the length
   ``beta = sqrt(2 delta / c(s))`` with ``c(s) = s^T F s`` (undamped), so that the quadratic model of
   the KL of the full step is ``1/2 beta^2 c(s) = delta`` (Appendix C).
2. :func:`backtracking_line_search`: ``theta + backtrack^k beta s`` for ``k = 0, 1, ...,
   max_backtracks`` until ``accept`` holds (§6: the surrogate improves and the KL stays within
   ``delta``); none passing keeps ``theta``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .cg import conjugate_gradient

__all__ = ["FullStep", "full_step", "LineSearchResult", "backtracking_line_search"]


@dataclass(frozen=True, eq=False)
class FullStep:
    """The full step ``beta s`` of [TRPO] Appendix C, or the reason none is taken.

    Attributes
    ----------
    ok : bool, False when ``g = 0``, when the curvature ``c(s)`` is not finite and positive (no KL
        curvature along ``s``), or when ``theta + beta s`` overflows.
    direction : (n,) the CG solution ``s`` (zeros when ``g = 0``).
    cg_iterations : int. cg_residual : float, ``||(F + damping I) s - g|| / ||g||``.
    curvature : float, ``c(s)`` (0 when ``g = 0``).
    beta : float, the full-step length (0 when ``g = 0`` or ``c(s)`` is not positive).

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.practical.line_search import full_step
    >>> F = np.diag([2.0, 1.0]); g = np.array([1.0, 1.0])
    >>> fs = full_step(np.zeros(2), g, lambda v: F @ v, 0.01, cg_iters=10, damping=0.0)
    >>> fs.ok, bool(np.allclose(fs.direction, [0.5, 1.0]))
    (True, True)
    >>> print(f"{0.5 * fs.beta ** 2 * fs.curvature:.6f}")  # the quadratic KL model hits delta
    0.010000
    """

    ok: bool
    direction: np.ndarray
    cg_iterations: int
    cg_residual: float
    curvature: float
    beta: float


def full_step(theta: np.ndarray, g: np.ndarray, fvp: Callable, delta: float, *, cg_iters: int,
              damping: float, solver: str = "scipy", curvature: Callable | None = None,
              step_length: float | None = None) -> FullStep:
    """Direction and length of [TRPO] Appendix C: ``(F + damping I) s = g`` by ``cg_iters`` iterations
    of conjugate gradient on the products ``fvp(v) = F v``, then ``beta = sqrt(2 delta / c(s))`` with
    ``c(s) = curvature(s)``, default ``s^T F s`` (undamped: the damping regularizes the direction, not
    the KL model), so that ``1/2 beta^2 c(s) = delta``; or a fixed ``beta = step_length`` (the natural
    gradient with a fixed step, Kakade 2002). Arguments are assumed validated by the caller.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.practical.line_search import full_step
    >>> F = np.diag([2.0, 1.0]); g = np.array([1.0, 1.0])
    >>> fs = full_step(np.zeros(2), g, lambda v: F @ v, 0.01, cg_iters=10, damping=0.0)
    >>> s = np.linalg.solve(F, g)
    >>> bool(np.isclose(fs.beta, np.sqrt(2 * 0.01 / (s @ F @ s))))  # beta = sqrt(2 delta / s^T F s)
    True
    """
    if float(np.linalg.norm(g)) == 0.0:  # stationary point: no ascent direction
        return FullStep(False, np.zeros_like(g), 0, 0.0, 0.0, 0.0)
    s, its, res = conjugate_gradient(lambda v: fvp(v) + damping * v, g, cg_iters, solver=solver)
    c = float(curvature(s)) if curvature is not None else float(s @ fvp(s))
    if not (np.isfinite(c) and c > 0):
        return FullStep(False, s, its, res, c, 0.0)
    beta = step_length if step_length is not None else float(np.sqrt(2.0 * delta / c))  # App. C
    ok = bool(np.all(np.isfinite(theta + beta * s)))
    return FullStep(ok, s, its, res, c, beta)


@dataclass(frozen=True, eq=False)
class LineSearchResult:
    """The outcome of :func:`backtracking_line_search`.

    Attributes
    ----------
    theta_new : (n,) the accepted point, or a copy of ``theta`` when none was accepted.
    accepted : bool. n_backtracks : int, the shrinks before acceptance (``max_backtracks`` when none).
    step_fraction : float, ``backtrack^k`` of the accepted step (0 when none).

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.practical.line_search import backtracking_line_search
    >>> r = backtracking_line_search(np.zeros(1), np.ones(1), lambda th, frac: False,
    ...                              backtrack=0.5, max_backtracks=3)
    >>> r.accepted, r.n_backtracks, r.step_fraction, r.theta_new.tolist()
    (False, 3, 0.0, [0.0])
    """

    theta_new: np.ndarray
    accepted: bool
    n_backtracks: int
    step_fraction: float


def backtracking_line_search(theta: np.ndarray, full: np.ndarray, accept: Callable, *, backtrack: float,
                             max_backtracks: int) -> LineSearchResult:
    """The backtracking line search of [TRPO] §6 and Appendix C.

    Tries ``theta_new = theta + backtrack^k full`` for ``k = 0, 1, ..., max_backtracks`` and returns the
    first for which ``accept(theta_new, backtrack^k)`` is true; when none is, ``theta`` is kept. The
    caller's ``accept`` states the test (the practical step: the surrogate improves, optionally by
    ``accept_ratio`` of the linear model, and the mean KL is at most ``delta``). Arguments are assumed
    validated by the caller (``0 < backtrack < 1``, ``max_backtracks >= 0``).

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.practical.line_search import backtracking_line_search
    >>> accept = lambda th, frac: float(th[0]) <= 0.3  # accept steps no longer than 0.3
    >>> r = backtracking_line_search(np.zeros(1), np.ones(1), accept, backtrack=0.5, max_backtracks=10)
    >>> r.accepted, r.n_backtracks, r.step_fraction
    (True, 2, 0.25)
    """
    for k in range(max_backtracks + 1):
        frac = backtrack**k
        theta_new = theta + frac * full
        if accept(theta_new, frac):
            return LineSearchResult(theta_new, True, k, frac)
    return LineSearchResult(theta.copy(), False, max_backtracks, 0.0)

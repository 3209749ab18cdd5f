"""What every solver of :mod:`bounds.updates.solvers` shares: the validated problem, the result type,
the errors, and the checks of the solver options.

A problem of this package maximizes ``sum_s rho(s) sum_a p(a|s) A(s, a)`` (the advantage term of
Eq. (3) of [TRPO], THEORY.md §4) over policies ``p`` under a penalty or a constraint. Its data
``(A, pi, rho)`` is validated once, by :meth:`Problem.from_arrays` (public array inputs) or taken
as it is from an exact evaluation by :meth:`Problem.from_evaluation` (whose arrays ``evaluate``
already validated); the solvers below the public ``solve_*`` functions work on a :class:`Problem`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from tabular.divergences import kl_unchecked, tv_unchecked
from tabular.evaluation import Evaluation
from tabular.validation import as_float_array, as_policy, check_real, check_real_dtype

__all__ = [
    "SolverError", "Solution", "Problem", "SOLVERS", "ROOTS", "check_solver", "check_root",
    "per_state", "kl_rows", "reverse_kl_rows", "tv_rows", "clean", "make_solution", "quiet",
]

SOLVERS = ("fast", "cvxpy")
ROOTS = ("newton", "brentq")


class SolverError(RuntimeError):
    """A solver failed: a root could not be bracketed or did not converge, or cvxpy returned a
    status other than ``optimal`` (the message names the status)."""


@dataclass(frozen=True, eq=False)
class Problem:
    """Validated data ``(A, pi, rho)`` of a per-state policy problem.

    ``A`` : (S, A) advantages (any finite real array), ``pi`` : (S, A) the old policy,
    ``rho`` : (S,) non-negative state weights (the unnormalized visitation ``rho_pi`` of [TRPO] in the
    updates; ones by default). Build it with :meth:`from_arrays` or :meth:`from_evaluation`.
    """

    A: np.ndarray
    pi: np.ndarray
    rho: np.ndarray

    @property
    def n_states(self) -> int:
        return int(self.A.shape[0])

    @classmethod
    def from_arrays(cls, A, pi, rho=None) -> "Problem":
        """Validate ``A``, ``pi`` (a policy of the same shape) and ``rho`` (non-negative, shape (S,))."""
        A = as_float_array(A, "A", ndim=2)
        S, nA = A.shape
        if S == 0 or nA == 0:
            raise ValueError(f"A has an empty state or action set (shape {A.shape})")
        pi = as_policy(pi, S, nA, name="pi")
        if rho is None:
            rho = np.ones(S)
        else:
            rho = as_float_array(rho, "rho", ndim=1)
            if rho.shape != (S,):
                raise ValueError(f"rho must have shape ({S},) to match A, got {rho.shape}")
            if np.any(rho < 0):
                raise ValueError("rho must be non-negative")
        return cls(A, pi, rho)

    @classmethod
    def from_evaluation(cls, ev: Evaluation) -> "Problem":
        """``(ev.A, ev.pi, ev.rho)`` of an exact evaluation, already validated by ``evaluate``."""
        if not isinstance(ev, Evaluation):
            raise TypeError(f"ev must be a tabular.Evaluation, got {type(ev).__name__}")
        return cls(ev.A, ev.pi, ev.rho)


@dataclass(frozen=True, eq=False)
class Solution:
    """Solution of one of the problems of :mod:`bounds.updates.solvers`.

    Attributes
    ----------
    pi_new : (S, A) the maximizing policy.
    objective : float, the maximized objective *without* ``eta``: ``sum_s rho(s) value(s)`` minus the
        penalty term of the problem (0 for constrained problems).
    value : (S,) ``sum_a pi_new(a|s) A(s, a)``.
    kl : (S,) ``KL(pi(.|s) || pi_new(.|s))`` (``+inf`` where ``pi_new`` vanishes on the support of ``pi``).
    tv : (S,) ``D_TV(pi(.|s), pi_new(.|s))``.
    multiplier : float or (S,) array -- the problem's multiplier (documented per function).
    solver : str, ``"fast"`` or ``"cvxpy"``.
    info : read-only mapping with problem-specific extras.
    """

    pi_new: np.ndarray
    objective: float
    value: np.ndarray
    kl: np.ndarray
    tv: np.ndarray
    multiplier: float | np.ndarray | None
    solver: str
    info: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def __repr__(self) -> str:
        m = self.multiplier
        mult = f"array{np.shape(m)}" if np.ndim(m) else f"{float(m):.6g}" if m is not None else "None"
        return (f"Solution(S={self.pi_new.shape[0]}, A={self.pi_new.shape[1]}, objective={self.objective:.10g}, "
                f"kl_max={float(np.max(self.kl)):.4g}, tv_max={float(np.max(self.tv)):.4g}, "
                f"multiplier={mult}, solver={self.solver!r}, info keys={sorted(self.info)})")


def check_solver(solver: str) -> str:
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    return solver


def check_root(root: str) -> str:
    if root not in ROOTS:
        raise ValueError(f"root must be one of {ROOTS}, got {root!r}")
    return root


def per_state(x, S: int, name: str, *, allow_inf: bool = False, positive: bool = False) -> np.ndarray:
    """A scalar or an (S,) array of non-negative numbers, as an (S,) array."""
    if np.ndim(x) == 0:
        return np.full(S, check_real(x if not isinstance(x, np.ndarray) else x.item(), name, lo=0.0,
                                     positive=positive, allow_inf=allow_inf))
    raw = np.asarray(x)
    check_real_dtype(raw, name)
    arr = raw.astype(np.float64)
    if arr.shape != (S,):
        raise ValueError(f"{name} must be a scalar or have shape ({S},), got shape {arr.shape}")
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} contains NaN")
    if not allow_inf and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    if np.any(arr < 0) or (positive and np.any(arr <= 0)):
        raise ValueError(f"{name} must be {'positive' if positive else 'non-negative'}")
    return arr


def kl_rows(pi: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``KL(pi(.|s) || p(.|s))`` per row; ``+inf`` where ``p`` vanishes on the support of ``pi``
    (:func:`tabular.divergences.kl_unchecked`: cancellation-free, accurate for tiny steps)."""
    return kl_unchecked(pi, p)


def reverse_kl_rows(pi: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``KL(p(.|s) || pi(.|s))`` per row (the direction of [CPO] and of NPG's proximal form)."""
    return kl_rows(p, pi)


def tv_rows(pi: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``D_TV(pi(.|s), p(.|s))`` per row (:func:`tabular.divergences.tv_unchecked`)."""
    return tv_unchecked(pi, p)


def clean(p: np.ndarray) -> np.ndarray:
    """Remove round-off from a solver's policy: clip tiny negatives, renormalize rows."""
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, None)
    s = p.sum(axis=1, keepdims=True)
    if np.any(~np.isfinite(s)) or np.any(s <= 0):
        raise SolverError("solver returned a policy with a non-finite or empty row")
    return p / s


def make_solution(prob: Problem, p, penalty, multiplier, solver, info=None, kl=None) -> Solution:
    """A :class:`Solution` for ``p``: per-state values, objective ``sum rho value - penalty``, divergences."""
    value = np.einsum("sa,sa->s", p, prob.A)
    objective = float(prob.rho @ value) - penalty
    if np.isnan(objective):
        raise SolverError("objective evaluated to NaN")
    return Solution(
        pi_new=p, objective=objective, value=value, kl=kl_rows(prob.pi, p) if kl is None else kl,
        tv=tv_rows(prob.pi, p), multiplier=multiplier, solver=solver, info=MappingProxyType(dict(info or {})),
    )


def quiet(fn):
    """Run ``fn`` with floating-point warnings off: the fast solvers handle inf (greedy limits,
    overflowing ``1/c``) explicitly and check their results for NaN."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)

    return wrapper

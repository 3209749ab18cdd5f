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
    status other than ``optimal`` (the message names the status).

    Examples
    --------
    >>> from bounds.updates import SolverError
    >>> try:
    ...     raise SolverError("cvxpy returned status 'infeasible'")
    ... except RuntimeError as exc:
    ...     print(type(exc).__name__, exc)
    SolverError cvxpy returned status 'infeasible'
    """


@dataclass(frozen=True, eq=False)
class Problem:
    """Validated data ``(A, pi, rho)`` of a per-state policy problem.

    ``A`` : (S, A) advantages (any finite real array), ``pi`` : (S, A) the old policy,
    ``rho`` : (S,) non-negative state weights (the unnormalized visitation ``rho_pi`` of [TRPO] in the
    updates; ones by default). Build it with :meth:`from_arrays` or :meth:`from_evaluation`.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds.updates.solvers.base import Problem
    >>> prob = Problem.from_arrays(np.array([[1.0, -1.0]]), np.array([[0.5, 0.5]]))
    >>> prob.n_states, prob.rho.tolist()
    (1, [1.0])
    >>> m = T.two_state(0.9)
    >>> Problem.from_evaluation(T.evaluate(m, T.uniform(m))).A.shape
    (2, 2)
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

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers import solve_kl_penalty
    >>> A = np.array([[1.0, 0.0, -1.0], [0.5, -0.5, 0.0]]); pi = np.full((2, 3), 1 / 3)
    >>> sol = solve_kl_penalty(A, pi, 1.0)
    >>> sol.pi_new.shape, sol.solver, bool(np.allclose(sol.value, (sol.pi_new * A).sum(axis=1)))
    ((2, 3), 'fast', True)
    >>> np.round(sol.kl, 4).tolist()
    [0.2246, 0.074]
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
    """

    Examples
    --------
    >>> from bounds.updates.solvers.base import check_solver
    >>> check_solver("cvxpy")
    'cvxpy'
    >>> try:
    ...     check_solver("scs")
    ... except ValueError as exc:
    ...     print(exc)
    solver must be one of ('fast', 'cvxpy'), got 'scs'
    """

    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    return solver


def check_root(root: str) -> str:
    """

    Examples
    --------
    >>> from bounds.updates.solvers.base import check_root
    >>> check_root("brentq")
    'brentq'
    >>> try:
    ...     check_root("bisect")
    ... except ValueError as exc:
    ...     print(exc)
    root must be one of ('newton', 'brentq'), got 'bisect'
    """

    if root not in ROOTS:
        raise ValueError(f"root must be one of {ROOTS}, got {root!r}")
    return root


def per_state(x, S: int, name: str, *, allow_inf: bool = False, positive: bool = False) -> np.ndarray:
    """A scalar or an (S,) array of non-negative numbers, as an (S,) array.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.base import per_state
    >>> per_state(0.5, 3, "kappa").tolist(), per_state([1, 2], 2, "c").tolist()
    ([0.5, 0.5, 0.5], [1.0, 2.0])
    >>> try:
    ...     per_state(-1.0, 2, "kappa")
    ... except ValueError as exc:
    ...     print("ValueError:", "kappa" in str(exc))
    ValueError: True
    """
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
    (:func:`tabular.divergences.kl_unchecked`: cancellation-free, accurate for tiny steps).

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.base import kl_rows
    >>> pi = np.array([[0.5, 0.5], [0.5, 0.5]]); p = np.array([[0.75, 0.25], [1.0, 0.0]])
    >>> kl = kl_rows(pi, p)
    >>> print(f"{kl[0]:.6f}", kl[1])
    0.143841 inf
    >>> bool(np.isclose(kl[0], 0.5 * np.log(0.5 / 0.75) + 0.5 * np.log(0.5 / 0.25)))
    True
    """
    return kl_unchecked(pi, p)


def reverse_kl_rows(pi: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``KL(p(.|s) || pi(.|s))`` per row (the direction of [CPO] and of NPG's proximal form).

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.base import kl_rows, reverse_kl_rows
    >>> pi = np.array([[0.5, 0.5]]); p = np.array([[0.75, 0.25]])
    >>> bool(np.allclose(reverse_kl_rows(pi, p), kl_rows(p, pi)))
    True
    >>> print(f"{reverse_kl_rows(pi, p)[0]:.6f}")
    0.130812
    """
    return kl_rows(p, pi)


def tv_rows(pi: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``D_TV(pi(.|s), p(.|s))`` per row (:func:`tabular.divergences.tv_unchecked`).

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.base import tv_rows
    >>> pi = np.array([[0.5, 0.5], [0.2, 0.8]]); p = np.array([[0.75, 0.25], [0.2, 0.8]])
    >>> np.round(tv_rows(pi, p), 6).tolist()
    [0.25, 0.0]
    """
    return tv_unchecked(pi, p)


def clean(p: np.ndarray) -> np.ndarray:
    """Remove round-off from a solver's policy: clip tiny negatives, renormalize rows.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.base import clean
    >>> p = clean(np.array([[0.5, 0.5000001, -1e-12]]))
    >>> bool((p >= 0).all()), bool(np.isclose(p.sum(), 1.0))
    (True, True)
    """
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, None)
    s = p.sum(axis=1, keepdims=True)
    if np.any(~np.isfinite(s)) or np.any(s <= 0):
        raise SolverError("solver returned a policy with a non-finite or empty row")
    return p / s


def make_solution(prob: Problem, p, penalty, multiplier, solver, info=None, kl=None) -> Solution:
    """A :class:`Solution` for ``p``: per-state values, objective ``sum rho value - penalty``, divergences.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.base import Problem, make_solution
    >>> prob = Problem.from_arrays(np.array([[1.0, -1.0]]), np.array([[0.5, 0.5]]))
    >>> sol = make_solution(prob, np.array([[0.75, 0.25]]), 0.0, None, "fast")
    >>> print(f"{sol.objective:.4f} {sol.tv[0]:.4f}")
    0.5000 0.2500
    """
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
    overflowing ``1/c``) explicitly and check their results for NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.solvers.base import quiet
    >>> safe_inverse = quiet(lambda x: 1.0 / x)
    >>> safe_inverse(np.array([0.0, 2.0])).tolist()  # no RuntimeWarning for 1/0
    [inf, 0.5]
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)

    return wrapper

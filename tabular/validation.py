"""Input validation shared by the whole toolkit (public: every layer uses these checks).

Every check raises ``ValueError`` (or ``TypeError`` for a wrong kind of object) whose message names
the argument, what was wrong, and what was expected. Nothing is silently renormalized or clipped.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

#: Absolute tolerance for a probability row to count as summing to one.
PROB_ATOL = 1e-8


def as_float_array(x, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Return ``x`` as a float64 array, checking dimension and finiteness."""
    if sp.issparse(x):
        raise TypeError(f"{name} must be a dense array, got a scipy sparse matrix")
    try:
        arr = np.array(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of real numbers ({exc})") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            raise ValueError(
                f"{name} must have {' or '.join(str(n) for n in allowed)} dimension(s), "
                f"got shape {arr.shape}"
            )
    check_finite(arr, name)
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise if ``arr`` holds NaN or an infinity."""
    if not np.all(np.isfinite(arr)):
        bad = "NaN" if np.any(np.isnan(arr)) else "inf"
        idx = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"{name} contains {bad} at index {tuple(int(i) for i in idx)}")


def check_gamma(gamma) -> float:
    """Validate a discount factor: a real number in [0, 1)."""
    if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real):
        raise TypeError(f"gamma must be a real number in [0, 1), got {gamma!r}")
    g = float(gamma)
    if not np.isfinite(g) or not (0.0 <= g < 1.0):
        raise ValueError(f"gamma must lie in [0, 1), got {gamma!r}")
    return g


def check_distribution_rows(arr: np.ndarray, name: str, atol: float = PROB_ATOL) -> None:
    """Raise unless every row along the last axis is a probability distribution."""
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if np.any(arr < 0):
        idx = np.argwhere(arr < 0)[0]
        raise ValueError(
            f"{name} has a negative probability {arr[tuple(idx)]:.3g} at index "
            f"{tuple(int(i) for i in idx)}"
        )
    sums = arr.sum(axis=-1)
    off = np.abs(sums - 1.0) > atol
    if np.any(off):
        idx = np.argwhere(off)[0]
        raise ValueError(
            f"{name} row {tuple(int(i) for i in idx)} sums to {sums[tuple(idx)]:.12g}, not 1 "
            f"(tolerance {atol:g}); rows must be probability distributions"
        )


def as_policy(pi, n_states: int | None = None, n_actions: int | None = None, name: str = "pi") -> np.ndarray:
    """Validate a stochastic policy ``pi[s, a]`` and return it as a float array.

    Raises ``ValueError`` if the shape is wrong, an entry is NaN/inf/negative, or a row does not sum
    to one. Nothing is renormalized.
    """
    arr = as_float_array(pi, name, ndim=2)
    if n_states is not None and arr.shape[0] != n_states:
        raise ValueError(f"{name} has {arr.shape[0]} states (rows), expected {n_states}; shape {arr.shape}")
    if n_actions is not None and arr.shape[1] != n_actions:
        raise ValueError(f"{name} has {arr.shape[1]} actions (columns), expected {n_actions}; shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} has an empty state or action set (shape {arr.shape})")
    check_distribution_rows(arr, name)
    return arr


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}; they must match")


def check_unit_interval(x, name: str) -> float:
    """Validate a scalar in [0, 1] (e.g. a mixture weight)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number in [0, 1], got {x!r}")
    v = float(x)
    if not np.isfinite(v) or not (0.0 <= v <= 1.0):
        raise ValueError(f"{name} must lie in [0, 1], got {x!r}")
    return v


def readonly(arr):
    """Mark a dense numpy array read-only and return it (sparse matrices are left alone, since
    scipy may canonicalize their index arrays in place)."""
    if isinstance(arr, np.ndarray):
        arr.flags.writeable = False
    return arr


def check_real(x, name: str, *, lo: float | None = None, hi: float | None = None, positive: bool = False,
               allow_inf: bool = False, open_hi: bool = False) -> float:
    """Validate a real scalar and return it as a float.

    ``bool`` and non-numbers raise ``TypeError``; NaN always raises; ``inf`` raises unless
    ``allow_inf`` (then only ``+inf`` passes the ``lo``/``positive`` tests); ``positive`` requires
    ``x > 0``; ``lo``/``hi`` are inclusive bounds (``hi`` exclusive with ``open_hi``).
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {x!r}")
    v = float(x)
    if np.isnan(v):
        raise ValueError(f"{name} must be a number, got NaN")
    if np.isinf(v) and not (allow_inf and v > 0):
        raise ValueError(f"{name} must be finite, got {x!r}")
    if positive and not v > 0:
        raise ValueError(f"{name} must be positive, got {x!r}")
    if lo is not None and v < lo:
        raise ValueError(f"{name} must be >= {lo:g}, got {x!r}")
    if hi is not None and (v >= hi if open_hi else v > hi):
        raise ValueError(f"{name} must be {'<' if open_hi else '<='} {hi:g}, got {x!r}")
    return v


def check_int(x, name: str, lo: int | None = None, hi: int | None = None) -> int:
    """Validate an integer scalar (``bool`` and floats such as ``2.5`` or ``2.0`` raise ``TypeError``)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {x!r}")
    v = int(x)
    if lo is not None and v < lo:
        raise ValueError(f"{name} must be >= {lo}, got {x!r}")
    if hi is not None and v > hi:
        raise ValueError(f"{name} must be <= {hi}, got {x!r}")
    return v


def check_tolerance(x, name: str = "atol") -> float:
    """Validate a tolerance: a finite, non-negative real number.

    A NaN tolerance would make every comparison false (every true bound "violated"), a negative one
    would flip true verdicts and an infinite one would make everything hold: all three raise.
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a finite non-negative real number, got {x!r}")
    v = float(x)
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite non-negative real number, got {x!r}")
    return v

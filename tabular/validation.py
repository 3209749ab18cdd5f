"""Input validation shared by the whole toolkit (public: every layer uses these checks).

Every check raises ``ValueError`` (or ``TypeError`` for a wrong kind of object) whose message names
the argument, what was wrong, and what was expected. Nothing is silently renormalized or clipped.

Arrays of numbers must have a real numeric dtype (bool, integer or float): complex arrays raise
``TypeError`` instead of losing their imaginary part, and string or object arrays raise ``TypeError``
instead of being parsed as numbers (``np.array(['0.5', '0.5'])`` is not a policy).
"""

from __future__ import annotations

import numbers
import os

import numpy as np
import scipy.sparse as sp

#: Absolute tolerance for a probability row to count as summing to one.
PROB_ATOL = 1e-8

#: dtype kinds accepted as real numbers: bool, signed and unsigned integers, floats.
_REAL_KINDS = "biuf"


class ModelTooLargeError(MemoryError, ValueError):
    """A requested model would not fit in memory (raised before anything is allocated).

    Both a ``MemoryError`` (what numpy would raise later, after a long wait) and a ``ValueError``
    (the size argument is the problem).
    """


def describe(x) -> str:
    """A short description of ``x`` for error messages: its type, and its shape or a short repr."""
    if sp.issparse(x):
        return f"a scipy sparse {type(x).__name__} of shape {x.shape} and dtype {x.dtype}"
    if isinstance(x, np.ndarray):
        return f"a numpy array of shape {x.shape} and dtype {x.dtype}"
    t = type(x)
    name = t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
    r = repr(x)
    if len(r) > 60:
        r = r[:57] + "..."
    return f"{name} {r}"


def check_real_dtype(x, name: str) -> None:
    """Raise ``TypeError`` unless the array (dense or sparse) ``x`` has a real numeric dtype.

    Complex values would lose their imaginary part in a cast to float; strings and objects would be
    parsed as numbers. Both are refused.
    """
    kind = x.dtype.kind
    if kind == "c":
        raise TypeError(f"{name} must be an array of real numbers, got a complex array (dtype {x.dtype}); "
                        "pass the real part explicitly if that is what you mean")
    if kind not in _REAL_KINDS:
        what = {"U": "strings", "S": "bytes", "O": "Python objects", "V": "structured records",
                "M": "datetimes", "m": "timedeltas"}.get(kind, f"dtype {x.dtype}")
        raise TypeError(f"{name} must be an array of real numbers, got an array of {what} "
                        f"(dtype {x.dtype}); expected a bool, integer or float dtype")


def as_float_array(x, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Return ``x`` as a (new) float64 array, checking its dtype, dimension and finiteness.

    Raises ``TypeError`` for a sparse matrix, a string, or an array that is not of real numbers
    (complex, strings, objects), and ``ValueError`` for a ragged nested list, a wrong number of
    dimensions, NaN or inf.
    """
    if sp.issparse(x):
        raise TypeError(f"{name} must be a dense array, got a scipy sparse matrix")
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be an array of real numbers, got a string {x!r:.60}")
    try:
        raw = np.asarray(x)
    except ValueError as exc:
        if "inhomogeneous" in str(exc):
            raise ValueError(f"{name} is ragged: its rows have different lengths; expected a rectangular "
                             "array of real numbers") from None
        raise TypeError(f"{name} must be an array of real numbers ({exc})") from None
    except TypeError as exc:
        raise TypeError(f"{name} must be an array of real numbers ({exc})") from None
    if raw.dtype.kind == "O" and raw.ndim == 0:
        raise TypeError(f"{name} must be an array of real numbers, got {describe(x)}")
    check_real_dtype(raw, name)
    arr = np.array(raw, dtype=np.float64)
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
    """Raise unless every row along the last axis is a probability distribution (within ``atol``)."""
    atol = check_tolerance(atol, "atol")
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


def check_tolerance(x, name: str = "atol", *, positive: bool = False) -> float:
    """Validate a tolerance: a finite, non-negative real number (strictly positive with ``positive``).

    A NaN tolerance would make every comparison false (every true bound "violated"), a negative one
    would flip true verdicts and an infinite one would make everything hold: all three raise. Use
    ``positive=True`` where zero cannot be reached (the relative residual of an iterative solver).
    """
    want = "a finite positive real number" if positive else "a finite non-negative real number"
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be {want}, got {x!r}")
    v = float(x)
    if not np.isfinite(v) or v < 0 or (positive and v == 0):
        raise ValueError(f"{name} must be {want}, got {x!r}")
    return v


def check_bool(x, name: str) -> bool:
    """Validate a flag: ``True`` or ``False`` (or a numpy bool). Strings such as ``"no"`` and
    numbers raise ``TypeError`` rather than being read by their truth value."""
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    raise TypeError(f"{name} must be True or False, got {describe(x)}")


def as_index_array(x, name: str, n: int) -> np.ndarray:
    """``x`` as an integer array with every entry in ``[0, n)`` (states or actions); ``ValueError``
    naming ``name`` for a non-integer dtype (floats are not truncated) or an entry out of range."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must be integers in [0, {n}), got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise ValueError(f"{name} must be integers in [0, {n}), got range [{arr.min()}, {arr.max()}]")
    return arr


def check_mdp(mdp, name: str = "mdp"):
    """Raise ``TypeError`` unless ``mdp`` is a :class:`tabular.MDP`; return it.

    The message says what was given, with a hint for the usual mistakes: arguments in the wrong
    order (a policy where the MDP goes) and a bare transition array instead of an ``MDP``.
    """
    from .mdp import MDP  # lazy: tabular.mdp imports this module

    if isinstance(mdp, MDP):
        return mdp
    hint = ""
    if isinstance(mdp, np.ndarray) or sp.issparse(mdp):
        if mdp.ndim == 3 or sp.issparse(mdp):
            hint = "; build one from the transitions with tabular.MDP(P, R, rho0, gamma)"
        elif mdp.ndim == 2:
            hint = "; this looks like a policy: the MDP comes first, e.g. evaluate(mdp, pi)"
    raise TypeError(f"{name} must be a tabular.MDP, got {describe(mdp)}{hint}")


def check_path(path, name: str = "path"):
    """Raise ``TypeError`` unless ``path`` is a ``str`` or an ``os.PathLike``; return it."""
    if isinstance(path, (str, os.PathLike)):
        return path
    raise TypeError(f"{name} must be a file path (str or os.PathLike), got {describe(path)}")


def as_policy_batch(pis, n_states: int, n_actions: int, name: str = "pis") -> np.ndarray:
    """Validate a batch of policies ``pis[k, s, a]`` of shape ``(K, S, A)`` with ``K >= 1``.

    Returns a float64 copy. An invalid policy is reported as ``pis[k] (policy k), state s``.
    """
    arr = as_float_array(pis, name)
    S, A = n_states, n_actions
    if arr.ndim != 3 or arr.shape[1:] != (S, A):
        raise ValueError(f"{name} must have shape (K, {S}, {A}) (K policies of {S} states and {A} "
                         f"actions), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (K = 0 policies, shape {arr.shape}); "
                         "pass at least one policy")
    neg = arr < 0
    if np.any(neg):
        k, s, a = (int(i) for i in np.argwhere(neg)[0])
        raise ValueError(f"{name}[{k}] (policy {k}), state {s} has a negative probability "
                         f"{arr[k, s, a]:.3g} for action {a}; rows must be probability distributions")
    sums = arr.sum(axis=2)
    off = np.abs(sums - 1.0) > PROB_ATOL
    if np.any(off):
        k, s = (int(i) for i in np.argwhere(off)[0])
        raise ValueError(f"{name}[{k}] (policy {k}), state {s} row sums to {sums[k, s]:.12g}, not 1 "
                         f"(tolerance {PROB_ATOL:g}); rows must be probability distributions")
    return arr


def physical_memory() -> int | None:
    """Bytes of physical memory of this machine, or None where the platform does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # not POSIX
        return None


def _fmt_bytes(n: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000.0
    raise AssertionError  # pragma: no cover


def check_dense_size(n_states: int, n_actions: int | None, what: str, *, copies: int = 1,
                     sparse_hint: str | None = "pass sparse=True for a CSR model") -> None:
    """Raise :class:`ModelTooLargeError` *before allocating* if a dense ``(S, A, S)`` float64
    transition array (an ``(S, S)`` matrix when ``n_actions`` is None; ``copies`` of it while
    building) would exceed this machine's physical memory.

    The message gives the memory needed and the memory there is, and ``sparse_hint`` (how to get a
    sparse model instead, if there is a way).
    """
    A = 1 if n_actions is None else n_actions
    one = 8.0 * float(n_states) * float(A) * float(n_states)
    need = one * copies
    have = physical_memory()
    if have is not None and need > have:
        hint = f"; {sparse_hint}" if sparse_hint else ""
        building = f" ({_fmt_bytes(need)} while building it)" if copies > 1 else ""
        sizes = f"S = {n_states:,} states" + ("" if n_actions is None else f" and A = {n_actions} actions")
        array = "(S, S) float64 matrix" if n_actions is None else "(S, A, S) float64 transition array"
        raise ModelTooLargeError(
            f"{what} with {sizes} would need {_fmt_bytes(one)} for its dense {array}{building}, more "
            f"than this machine's {_fmt_bytes(have)} of memory{hint}"
        )


def as_rng(rng, name: str = "rng") -> np.random.Generator:
    """``np.random.default_rng(rng)``, with a bad seed (a negative or non-integer number, a string, a
    NaN) answered by an error naming ``name``: ``TypeError`` for a wrong kind of object, ``ValueError``
    for a negative seed. ``rng`` may be a Generator, a BitGenerator, a SeedSequence, an int >= 0, a
    sequence of them, or None."""
    try:
        return np.random.default_rng(rng)
    except TypeError:
        raise TypeError(f"{name} must be a numpy Generator, a non-negative int seed or None, "
                        f"got {describe(rng)}") from None
    except ValueError as exc:
        raise ValueError(f"{name} must be a numpy Generator, a non-negative int seed or None, "
                         f"got {describe(rng)} ({exc})") from None


#: Share of the physical memory one array may take before :func:`check_alloc` refuses it.
ALLOC_SHARE = 0.5


def check_alloc(n_bytes: float, name: str, value, what: str) -> None:
    """Raise ``ValueError`` *before allocating* if ``n_bytes`` (an estimate of what ``what`` would
    allocate, e.g. ``8 * N * H`` for an ``(N, H)`` float64 array) exceeds half of this machine's
    memory (:data:`ALLOC_SHARE`; 2**40 bytes where the platform does not say), so that a huge size
    argument is answered at once, naming the argument ``name`` and the memory it would need,
    instead of a ``MemoryError`` (or swapping) after a long wait."""
    have = physical_memory()
    limit = ALLOC_SHARE * (have if have is not None else 2.0**41)
    if float(n_bytes) > limit:
        there = f"this machine's {_fmt_bytes(have)} of memory" if have is not None else "the assumed 2 TB"
        raise ValueError(f"{name}={value!r} is too large: {what} would need {_fmt_bytes(float(n_bytes))}, "
                         f"more than half of {there}; pass a smaller {name}")


def summary_repr(obj, fields) -> str:
    """A one-line repr of a result object: ``Name(field=value, ...)`` for the named ``fields``, with
    floats to 6 significant digits and arrays shown by their shape (``array(S, A)``), so that a result
    prints like a numpy/scipy result instead of hundreds of lines of arrays."""
    parts = []
    for f in fields:
        v = getattr(obj, f)
        if isinstance(v, np.ndarray):
            s = f"array{v.shape}" if v.ndim else f"{float(v):.6g}"
        elif isinstance(v, (bool, np.bool_)):
            s = str(bool(v))
        elif isinstance(v, numbers.Real):
            s = f"{float(v):.6g}"
        elif isinstance(v, (tuple, list)):
            s = f"<{len(v)} items>"
        elif isinstance(v, str):
            s = repr(v)
        else:
            s = type(v).__name__
        parts.append(f"{f}={s}")
    return f"{type(obj).__name__}({', '.join(parts)})"

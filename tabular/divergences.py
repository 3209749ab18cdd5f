"""Per-state divergences between two policies, and their max and weighted means (THEORY.md §1).

* ``tv(pi, pi_new)[s] = 1/2 sum_a |pi(a|s) - pi_new(a|s)|`` (total variation).
* ``kl(pi, pi_new)[s] = sum_a pi(a|s) log(pi(a|s) / pi_new(a|s))`` in nats, i.e. KL(pi || pi_new),
  the direction of [TRPO] Eq. (9), (11), (12). It is ``+inf`` where ``pi_new(a|s) = 0 < pi(a|s)``,
  and terms with ``pi(a|s) = 0`` contribute 0. [CPO] uses the reverse direction:
  ``kl(pi_new, pi)``.
* ``D^max = max_s D(s)``; weighted forms ``sum_s w(s) D(s)`` with ``w = rho`` (unnormalized, as in
  [TRPO] Eq. (12)) or ``w = d`` (normalized, a true expectation, as in [CPO]). A state of zero weight
  contributes zero even where its divergence is infinite (``0 * inf = 0``: it is never visited).
"""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array, as_policy, check_same_shape

__all__ = ["tv", "kl", "tv_unchecked", "kl_unchecked", "max_tv", "max_kl", "mean_tv", "mean_kl", "weighted_mean"]


def _pair(pi, pi_new):
    pi = as_policy(pi, name="pi")
    pi_new = as_policy(pi_new, name="pi_new")
    check_same_shape(pi, pi_new, "pi", "pi_new")
    return pi, pi_new


def tv(pi, pi_new) -> np.ndarray:
    """Total-variation distance per state, ``1/2 sum_a |pi - pi_new|``, shape (S,)."""
    return tv_unchecked(*_pair(pi, pi_new))


def tv_unchecked(pi: np.ndarray, pi_new: np.ndarray) -> np.ndarray:
    """:func:`tv` for policies already validated (no checks; for inner loops)."""
    return 0.5 * np.abs(pi - pi_new).sum(axis=1)


def kl(pi, pi_new) -> np.ndarray:
    """``KL(pi(.|s) || pi_new(.|s))`` per state in nats, shape (S,); ``+inf`` where unsupported."""
    return kl_unchecked(*_pair(pi, pi_new))


def kl_unchecked(pi: np.ndarray, pi_new: np.ndarray) -> np.ndarray:
    """:func:`kl` for policies already validated (no checks; for inner loops)."""
    pos = pi > 0
    with np.errstate(divide="ignore"):
        ratio = np.where(pos, np.log(np.where(pos, pi, 1.0)) - np.log(np.where(pos, pi_new, 1.0)), 0.0)
    terms = np.where(pos, pi * ratio, 0.0)
    out = terms.sum(axis=1)
    # Floating-point cancellation can give tiny negatives for identical rows; KL >= 0 exactly.
    return np.maximum(out, 0.0)


def max_tv(pi, pi_new) -> float:
    """``D_TV^max(pi, pi_new) = max_s D_TV(s)``, the alpha of Theorem 1 of [TRPO]."""
    return float(tv(pi, pi_new).max())


def max_kl(pi, pi_new) -> float:
    """``D_KL^max(pi, pi_new) = max_s KL(pi(.|s) || pi_new(.|s))`` of Eq. (9), (11) of [TRPO]."""
    return float(kl(pi, pi_new).max())


def weighted_mean(values, weights) -> float:
    """``sum_s w(s) values(s)`` with ``0 * inf = 0`` for unvisited states.

    ``weights`` must be finite and non-negative; they are not renormalized (pass ``d`` for an
    expectation, ``rho`` for the unnormalized sum of [TRPO] Eq. (12)).
    """
    values = np.asarray(values, dtype=np.float64)
    w = as_float_array(weights, "weights", ndim=1)
    if w.shape != values.shape:
        raise ValueError(f"weights have shape {w.shape} but there are {values.shape} per-state values")
    if np.any(w < 0):
        raise ValueError("weights must be non-negative")
    if np.any(np.isnan(values)):
        raise ValueError("per-state values contain NaN")
    used = w > 0
    return float(np.sum(w[used] * values[used]))


def mean_tv(pi, pi_new, weights) -> float:
    """``sum_s w(s) D_TV(s)``; with ``weights = d`` this is ``E_{s~d}[D_TV]`` of [CPO] Cor. 1."""
    return weighted_mean(tv(pi, pi_new), weights)


def mean_kl(pi, pi_new, weights) -> float:
    """``sum_s w(s) KL(pi(.|s) || pi_new(.|s))``; with ``weights = rho`` the mean KL of Eq. (12)."""
    return weighted_mean(kl(pi, pi_new), weights)

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

from .validation import as_float_array, as_policy, check_real_dtype, check_same_shape

__all__ = ["tv", "kl", "tv_unchecked", "kl_unchecked", "max_tv", "max_kl", "mean_tv", "mean_kl", "weighted_mean"]


def _pair(pi, pi_new):
    pi = as_policy(pi, name="pi")
    pi_new = as_policy(pi_new, name="pi_new")
    check_same_shape(pi, pi_new, "pi", "pi_new")
    return pi, pi_new


def tv(pi, pi_new) -> np.ndarray:
    """Total-variation distance per state, ``1/2 sum_a |pi - pi_new|``, shape (S,).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import tv
    >>> pi = np.array([[0.5, 0.5], [1.0, 0.0]])
    >>> pi_new = np.array([[0.9, 0.1], [0.5, 0.5]])
    >>> print(np.round(tv(pi, pi_new), 4))
    [0.4 0.5]
    """
    return tv_unchecked(*_pair(pi, pi_new))


def tv_unchecked(pi: np.ndarray, pi_new: np.ndarray) -> np.ndarray:
    """:func:`tv` for policies already validated (no checks; for inner loops).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular.divergences import tv, tv_unchecked
    >>> pi = np.array([[0.5, 0.5], [1.0, 0.0]])
    >>> pi_new = np.array([[0.9, 0.1], [0.5, 0.5]])
    >>> bool(np.array_equal(tv_unchecked(pi, pi_new), tv(pi, pi_new)))
    True
    """
    return 0.5 * np.abs(pi - pi_new).sum(axis=1)


def kl(pi, pi_new) -> np.ndarray:
    """``KL(pi(.|s) || pi_new(.|s))`` per state in nats, shape (S,); ``+inf`` where unsupported.

    Examples
    --------
    Row 1 by hand: ``KL = 1 * log(1 / 0.5) = log 2``; Pinsker's inequality ``TV <= sqrt(KL / 2)`` holds
    in every state:

    >>> import numpy as np
    >>> from tabular import kl, tv
    >>> pi = np.array([[0.5, 0.5], [1.0, 0.0]])
    >>> pi_new = np.array([[0.9, 0.1], [0.5, 0.5]])
    >>> print(np.round(kl(pi, pi_new), 6), round(float(np.log(2)), 6))
    [0.510826 0.693147] 0.693147
    >>> bool(np.all(tv(pi, pi_new) <= np.sqrt(kl(pi, pi_new) / 2)))
    True
    >>> print(kl(pi_new, pi))  # pi puts no mass on action 1 of state 1, where pi_new does
    [0.36806...        inf]
    """
    return kl_unchecked(*_pair(pi, pi_new))


_PSI_SERIES = (1.0 / 2, -1.0 / 3, 1.0 / 4, -1.0 / 5, 1.0 / 6, -1.0 / 7)


def _kl_terms(pi: np.ndarray, pi_new: np.ndarray) -> np.ndarray:
    """Non-negative terms whose row sums are ``KL(pi || pi_new)``, accurate when ``pi_new ~ pi``.

    ``sum_a pi log(pi / pi_new) = sum_{pi > 0} pi psi(delta) + sum_{pi = 0} pi_new`` for normalized
    rows, with ``delta = pi_new / pi - 1 >= -1`` and ``psi(delta) = delta - log1p(delta) >= 0``
    (expand ``log(pi / pi_new) = -log1p(delta)`` and use ``sum_{pi>0} pi delta = sum_{pi>0} pi_new - 1``).
    Every term is non-negative, so nothing cancels: a KL of 1e-12 between nearly equal rows comes out
    to ~1e-12 relative precision instead of the ~1e-16 absolute error of the log-difference form.
    ``psi`` is a series below ``|delta| < 1e-3``; for ``|delta| > 1/2`` the term is computed as
    ``(pi_new - pi) - pi (log pi_new - log pi)`` (nothing cancels there, the ratio cannot overflow and a
    tiny ``pi_new / pi`` keeps its precision). ``pi_new = 0 < pi`` gives ``inf``.
    """
    pos = pi > 0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        safe = np.where(pos, pi, 1.0)
        delta = np.where(pos, pi_new / safe - 1.0, 0.0)
        a = np.abs(delta)
        small, far = a < 1e-3, a > 0.5
        out = np.where(pos, 0.0, pi_new)  # off pi's support: the mass pi_new puts there
        if far.any():  # inf where pi_new = 0 < pi
            direct = (pi_new - pi) - pi * (np.log(np.where(far, pi_new, 1.0)) - np.log(safe))
            out = np.where(pos & far, direct, out)
        mid = pos & ~small & ~far
        if mid.any():
            dm = np.where(mid, delta, 0.0)
            out = np.where(mid, pi * (dm - np.log1p(dm)), out)
        if (pos & small).any():
            c2, c3, c4, c5, c6, c7 = _PSI_SERIES
            ds = np.where(small, delta, 0.0)
            series = ds * ds * (c2 + ds * (c3 + ds * (c4 + ds * (c5 + ds * (c6 + ds * c7)))))
            out = np.where(pos & small, pi * series, out)
    return out


def kl_unchecked(pi: np.ndarray, pi_new: np.ndarray) -> np.ndarray:
    """:func:`kl` for policies already validated (no checks; for inner loops); see :func:`_kl_terms`
    for the cancellation-free form used.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular.divergences import kl, kl_unchecked
    >>> pi = np.array([[0.5, 0.5], [1.0, 0.0]])
    >>> pi_new = np.array([[0.9, 0.1], [0.5, 0.5]])
    >>> bool(np.array_equal(kl_unchecked(pi, pi_new), kl(pi, pi_new)))
    True
    >>> print(f"{kl_unchecked(pi, pi + [[1e-7, -1e-7], [0, 0]])[0]:.4e}")  # no cancellation: ~ 2 * 1e-14
    2.0000e-14
    """
    return np.maximum(_kl_terms(pi, pi_new).sum(axis=1), 0.0)


def max_tv(pi, pi_new) -> float:
    """``D_TV^max(pi, pi_new) = max_s D_TV(s)``, the alpha of Theorem 1 of [TRPO].

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import max_tv
    >>> pi = np.array([[0.5, 0.5], [1.0, 0.0]])
    >>> pi_new = np.array([[0.9, 0.1], [0.5, 0.5]])
    >>> round(max_tv(pi, pi_new), 6)
    0.5
    """
    return float(tv(pi, pi_new).max())


def max_kl(pi, pi_new) -> float:
    """``D_KL^max(pi, pi_new) = max_s KL(pi(.|s) || pi_new(.|s))`` of Eq. (9), (11) of [TRPO].

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import max_kl
    >>> pi = np.array([[0.5, 0.5], [1.0, 0.0]])
    >>> pi_new = np.array([[0.9, 0.1], [0.5, 0.5]])
    >>> round(max_kl(pi, pi_new), 6)  # log 2, in state 1
    0.693147
    """
    return float(kl(pi, pi_new).max())


def weighted_mean(values, weights) -> float:
    """``sum_s w(s) values(s)`` with ``0 * inf = 0`` for unvisited states.

    ``weights`` must be finite and non-negative; they are not renormalized (pass ``d`` for an
    expectation, ``rho`` for the unnormalized sum of [TRPO] Eq. (12)).

    Examples
    --------
    A state of zero weight contributes nothing, even with an infinite value:

    >>> import numpy as np
    >>> from tabular import weighted_mean
    >>> weighted_mean([1.0, 2.0, np.inf], [0.25, 0.75, 0.0])
    1.75
    """
    raw = np.asarray(values)
    check_real_dtype(raw, "values")  # may hold +inf (an infinite KL), never complex or strings
    values = raw.astype(np.float64)
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
    """``sum_s w(s) D_TV(s)``; with ``weights = d`` this is ``E_{s~d}[D_TV]`` of [CPO] Cor. 1.

    Examples
    --------
    With the normalized visitation ``d`` of the old policy the result is ``E_{s~d}[D_TV(s)]``:

    >>> import numpy as np
    >>> from tabular import evaluate, mean_tv, max_tv, two_state, uniform
    >>> mdp = two_state()
    >>> pi, pi_new = uniform(mdp), np.array([[0.9, 0.1], [0.5, 0.5]])
    >>> d = evaluate(mdp, pi).d
    >>> m = mean_tv(pi, pi_new, d)
    >>> print(f"{m:.4f}", m <= max_tv(pi, pi_new))
    0.0131 True
    """
    return weighted_mean(tv(pi, pi_new), weights)


def mean_kl(pi, pi_new, weights) -> float:
    """``sum_s w(s) KL(pi(.|s) || pi_new(.|s))``; with ``weights = rho`` the mean KL of Eq. (12).

    Examples
    --------
    The mean KL of Eq. (12) of [TRPO] weights by the unnormalized visitation ``rho`` (sum ``1/(1-gamma)``):

    >>> import numpy as np
    >>> from tabular import evaluate, mean_kl, kl, two_state, uniform
    >>> mdp = two_state()
    >>> pi, pi_new = uniform(mdp), np.array([[0.9, 0.1], [0.5, 0.5]])
    >>> ev = evaluate(mdp, pi)
    >>> m = mean_kl(pi, pi_new, ev.rho)
    >>> print(f"{m:.4f}", bool(np.isclose(m, ev.rho @ kl(pi, pi_new))))
    0.3350 True
    """
    return weighted_mean(kl(pi, pi_new), weights)


def penalty_product(coef: float, divergence: float) -> float:
    """``coef * divergence`` with ``0 * inf = 0`` (THEORY.md §3, "infinite divergences").

    A zero coefficient switches a penalty off even when the divergence is infinite, and an infinite
    coefficient on a zero divergence costs nothing; otherwise the ordinary product (``+inf`` stays
    ``+inf``). The one home of this convention for every penalty of the bounds and the updates.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular.divergences import penalty_product
    >>> print(penalty_product(0.0, np.inf), penalty_product(np.inf, 0.0), penalty_product(2.0, np.inf))
    0.0 0.0 inf
    """
    return 0.0 if coef == 0 or divergence == 0 else coef * divergence

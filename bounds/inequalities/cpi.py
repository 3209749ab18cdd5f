"""Conservative policy iteration's bounds: Eq. (6) of [TRPO] and [KL02] Theorem 4.1 for mixtures, the
mixture decomposition of any pair, and the one home of CPI's step size alpha* (THEORY.md §3)."""

from __future__ import annotations

import numpy as np

from tabular.evaluation import Evaluation, expected_advantage_of, resolve_evaluation
from tabular.policies import tie_tolerance
from tabular.validation import as_policy, check_unit_interval

from .base import one_result, prepare
from .results import BoundResult

__all__ = ["cpi_decomposition", "cpi_terms", "cpi_alpha_star_of", "cpi_alpha_star", "cpi_bound", "kl02_bound"]

def cpi_decomposition(pi, pi_new) -> tuple[float, np.ndarray]:
    """Write ``pi_new = (1 - alpha) pi + alpha pi'`` with the smallest ``alpha`` in [0, 1].

    ``alpha = 1 - min_{s,a: pi(a|s) > 0} pi_new(a|s) / pi(a|s)`` and ``pi' = (pi_new - (1-alpha) pi)/alpha``
    (``pi' = pi`` when ``alpha = 0``). Every policy pair has such a decomposition (``alpha = 1``,
    ``pi' = pi_new`` at worst), so the CPI bounds apply to any pair.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds import cpi_decomposition
    >>> pi = np.array([[0.5, 0.5], [0.5, 0.5]])
    >>> pi_new = np.array([[0.8, 0.2], [0.5, 0.5]])
    >>> alpha, pi_prime = cpi_decomposition(pi, pi_new)
    >>> print(round(alpha, 6), np.round(pi_prime[0], 6))
    0.6 [1. 0.]
    >>> np.allclose((1 - alpha) * pi + alpha * pi_prime, pi_new)
    True
    """
    pi = as_policy(pi, name="pi")
    pi_new = as_policy(pi_new, pi.shape[0], pi.shape[1], name="pi_new")
    pos = pi > 0
    ratio = np.min(np.where(pos, pi_new / np.where(pos, pi, 1.0), np.inf))
    alpha = float(np.clip(1.0 - ratio, 0.0, 1.0))
    if alpha <= 1e-15:
        return 0.0, pi.copy()
    pi_prime = (pi_new - (1.0 - alpha) * pi) / alpha
    pi_prime = np.maximum(pi_prime, 0.0)  # remove round-off negatives of order 1e-16
    pi_prime /= pi_prime.sum(axis=1, keepdims=True)
    return alpha, pi_prime


def cpi_terms(ev: Evaluation, pi_prime: np.ndarray) -> tuple[float, float]:
    """``(𝔸', eps')`` of Eq. (6) of [TRPO] (THEORY.md §3) from an evaluation of ``pi`` and a validated
    ``pi'``: ``𝔸' = sum_s rho_pi(s) sum_a pi'(a|s) A_pi(s, a)`` and ``eps' = max_s |sum_a pi'(a|s) A_pi(s, a)|``.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds.inequalities.cpi import cpi_terms
    >>> m = T.two_state(0.9); ev = T.evaluate(m, T.uniform(m))
    >>> A_bold, eps_prime = cpi_terms(ev, T.greedy(ev.Q))
    >>> print(f"{A_bold:.6f} {eps_prime:.6f}", A_bold >= 0)
    0.020812 0.032258 True
    """
    Aprime_s = expected_advantage_of(ev, pi_prime)
    return float(ev.rho @ Aprime_s), float(np.max(np.abs(Aprime_s)))  # 𝔸' in [TRPO] units, eps'


def cpi_alpha_star_of(ev: Evaluation, pi_prime: np.ndarray) -> float:
    """The one home of CPI's step size: ``alpha* = min{1, (1-gamma)^2 𝔸' / (4 gamma eps')}`` clipped to
    ``[0, 1]`` (the maximizer of the lower bound of Eq. (6) of [TRPO] over ``alpha in [0, 1]``; THEORY.md §3).

    Edge rules: 0 when ``𝔸' <= 0`` (no improvement certified) or ``eps'`` is zero up to the tie rule
    (``eps' <= 1e-9 max|Q|``, :func:`tabular.policies.tie_tolerance`: ``pi`` is already greedy where it
    matters, and a round-off ``eps'`` must not decide the step); 1 when ``gamma = 0`` (the bound has no
    penalty).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds.inequalities.cpi import cpi_alpha_star_of, cpi_terms
    >>> m = T.two_state(0.9); ev = T.evaluate(m, T.uniform(m)); pp = T.greedy(ev.Q)
    >>> A_bold, eps_prime = cpi_terms(ev, pp)
    >>> a = cpi_alpha_star_of(ev, pp)
    >>> print(f"{a:.6f}", abs(a - min(1, 0.1 ** 2 * A_bold / (4 * 0.9 * eps_prime))) < 1e-12)
    0.001792 True
    """
    A_bold, eps_p = cpi_terms(ev, pi_prime)
    g = ev.gamma
    if A_bold <= 0.0 or eps_p <= float(tie_tolerance(ev.Q)):
        return 0.0
    if g == 0.0:
        return 1.0
    return float(min(1.0, (1.0 - g) ** 2 * A_bold / (4.0 * g * eps_p)))  # Eq. (6)


def cpi_alpha_star(mdp, pi, pi_prime, *, ev=None) -> float:
    """The mixture weight maximizing the CPI bound Eq. (6): ``alpha* = min{1, (1-gamma)^2 𝔸'/(4 gamma eps')}``.

    ``𝔸' = sum_s rho_pi(s) sum_a pi'(a|s) A_pi(s, a)``, ``eps' = max_s |sum_a pi'(a|s) A_pi(s, a)|``
    (THEORY.md §3). Returns 0 when ``𝔸' <= 0`` (no improvement certified) and 1 when ``gamma = 0``;
    see :func:`cpi_alpha_star_of` for the edge rules (the same function :func:`bounds.cpi_step` uses).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import cpi_alpha_star, cpi_bound
    >>> m = T.two_state(0.9); pi = T.uniform(m); pp = T.greedy(T.evaluate(m, pi).Q)
    >>> a = cpi_alpha_star(m, pi, pp)
    >>> lb = lambda x: cpi_bound(m, pi, pp, x).rhs
    >>> print(f"{a:.6f}", lb(a) >= max(lb(0.5 * a), lb(1.5 * a)))
    0.001792 True
    """
    pi = as_policy(pi, mdp.n_states, mdp.n_actions, name="pi")
    pi_prime = as_policy(pi_prime, mdp.n_states, mdp.n_actions, name="pi_prime")
    return cpi_alpha_star_of(resolve_evaluation(mdp, pi, ev), pi_prime)


def _mixture_instance(mdp, pi, pi_prime, alpha, ev, atol):
    alpha = check_unit_interval(alpha, "alpha")
    pi = as_policy(pi, mdp.n_states, mdp.n_actions, name="pi")
    pi_prime = as_policy(pi_prime, mdp.n_states, mdp.n_actions, name="pi_prime")
    pi_new = (1.0 - alpha) * pi + alpha * pi_prime  # Eq. (5)
    return prepare(mdp, pi, pi_new, ev, None, atol), pi_prime, alpha


def _mixture_result(name, mdp, pi, pi_prime, alpha, ev, atol) -> BoundResult:
    """The registry's ``name`` ("cpi" or "kl02") with the given mixture's ``alpha``, ``eps'``, ``𝔸'``."""
    inst, pi_prime, alpha = _mixture_instance(mdp, pi, pi_prime, alpha, ev, atol)
    A_bold, eps_p = cpi_terms(inst.ev, pi_prime)
    q = inst.quantities().with_values(cpi_alpha=np.array([alpha]), eps_prime=np.array([eps_p]),
                                      A_prime=np.array([A_bold]))
    return one_result(name, inst, q)


def cpi_bound(mdp, pi, pi_prime, alpha, *, ev=None, atol=None) -> BoundResult:
    """Eq. (6) of [TRPO] (Kakade & Langford's bound in [TRPO] units) for ``pi_new = (1-alpha) pi + alpha pi'``::

        eta(pi_new) >= L_pi(pi_new) - 2 eps' gamma alpha^2 / (1-gamma)^2,
        eps' = max_s |sum_a pi'(a|s) A_pi(s, a)|.

    The penalty is the registry's ``"cpi"`` record (which, in ``check_all``, uses the smallest mixture
    decomposition of ``pi_new``) with this ``alpha`` and ``pi'``.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import cpi_bound
    >>> m = T.two_state(0.9); pi = T.uniform(m); pp = T.greedy(T.evaluate(m, pi).Q)
    >>> r = cpi_bound(m, pi, pp, 0.5)
    >>> print(r.name, r.holds, r.slack >= 0, f"{r.eta_new:.4f}")
    cpi True True ...
    """
    return _mixture_result("cpi", mdp, pi, pi_prime, alpha, ev, atol)


def kl02_bound(mdp, pi, pi_prime, alpha, *, ev=None, atol=None) -> BoundResult:
    """[KL02] Theorem 4.1 in [TRPO] units (THEORY.md §3), for ``pi_new = (1-alpha) pi + alpha pi'``::

        eta(pi_new) - eta(pi) >= alpha 𝔸' - 2 alpha^2 gamma eps' / ((1-gamma)(1 - gamma(1-alpha))).

    Since ``L_pi(pi_new) = eta(pi) + alpha 𝔸'``, the penalty is the subtracted term; it never exceeds
    Eq. (6)'s because ``1 - gamma(1-alpha) >= 1 - gamma``. ([KL02] writes values normalized by
    ``(1-gamma)``; both sides here are in [TRPO]'s unnormalized units.) The registry's ``"kl02"`` record.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import cpi_bound, kl02_bound
    >>> m = T.two_state(0.9); pi = T.uniform(m); pp = T.greedy(T.evaluate(m, pi).Q)
    >>> r = kl02_bound(m, pi, pp, 0.5)
    >>> r.holds, r.slack >= 0, r.rhs >= cpi_bound(m, pi, pp, 0.5).rhs
    (True, True, True)
    """
    return _mixture_result("kl02", mdp, pi, pi_prime, alpha, ev, atol)


cpi_bound.__bound__, kl02_bound.__bound__ = "cpi", "kl02"

"""The bounds of [CPO] (Achiam et al. 2017): Corollaries 1 and 3, and Theorem 1 for any f (THEORY.md §3, §8)."""

from __future__ import annotations

import math

import numpy as np

from .base import Instance, one_result, prepare
from .results import BoundResult

__all__ = ["cpo_bound", "cpo_general_bound", "cpo_f_tightening", "cpo_general_of"]

def cpo_bound(mdp, pi, pi_new, corollary: int = 1, *, ev=None, ev_new=None, atol=None) -> BoundResult:
    """[CPO] (Achiam et al. 2017) Corollary 1 or 3, in [TRPO] units; two-sided.

    Cor. 1: ``|eta(pi_new) - L_pi(pi_new)| <= (2 gamma eps^new / (1-gamma)^2) sum_s d_pi(s) D_TV(s)``
    with ``eps^new = max_s |Abar(s)|`` and the **normalized** ``d_pi``.

    Cor. 3: replaces ``sum_s d_pi D_TV`` by ``sqrt(1/2 sum_s d_pi(s) KL(pi_new(.|s) || pi(.|s)))``
    (Pinsker + Jensen) -- note the **reverse** KL direction of [CPO].
    [CPO] writes ``(1/(1-gamma)) E_{s~d, a~pi_new}[A_pi]``, which is ``L - eta`` with [TRPO]'s ``rho``.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import cpo_bound
    >>> m = T.two_state(0.9); pi = T.uniform(m); pn = T.random_policy(m, rng=0)
    >>> r1, r3 = cpo_bound(m, pi, pn, 1), cpo_bound(m, pi, pn, 3)
    >>> print(r1.name, r3.name, r1.holds and r3.holds, f"{r1.slack:.4f}")
    cpo_tv cpo_kl True 0.4385
    >>> r1.two_sided, r1.upper >= r1.eta_new
    (True, True)
    """
    if isinstance(corollary, bool) or corollary not in (1, 3):
        raise ValueError(f"corollary must be 1 or 3, got {corollary!r}")
    return one_result("cpo_tv" if corollary == 1 else "cpo_kl", prepare(mdp, pi, pi_new, ev, ev_new, atol))


def cpo_general_bound(mdp, pi, pi_new, f=None, *, ev=None, ev_new=None, atol=None) -> BoundResult:
    """[CPO] (Achiam et al. 2017) Theorem 1, the bound for an arbitrary ``f: S -> R``; two-sided::

        |eta(pi_new) - eta(pi) - L_f / (1-gamma)| <= (2 gamma eps_f / (1-gamma)^2) sum_s d_pi(s) D_TV(s)

    with ``delta_f(s, a) = R(s, a) + gamma sum_t P(t|s, a) f(t) - f(s)``,
    ``eps_f = max_s |sum_a pi_new(a|s) delta_f(s, a)|`` and
    ``L_f = sum_s d_pi(s) sum_a (pi_new - pi)(a|s) delta_f(s, a)``, ``d_pi`` the **normalized**
    visitation (THEORY.md §8). [CPO] writes ``L_f`` as ``E_{s~d_pi, a~pi}[(pi_new/pi - 1) delta_f]``
    and ``delta_f`` with ``s'`` sampled; in expectation over ``s'`` it is the ``delta_f`` above.

    ``f``: ``None`` (default) -- one step of policy evaluation of ``pi_new`` applied to ``V_pi``,
    ``f = T_{pi_new} V_pi = sum_a pi_new(a|s) Q_pi(s, a)``; ``"V_pi"`` -- [CPO] Cor. 1 (then
    ``delta_f = A_pi``, ``L_f/(1-gamma) = L_pi(pi_new) - eta(pi)`` of Eq. (3), and this is
    :func:`cpo_bound`); ``"V_pi_new"`` -- ``eps_f = 0`` and the bound is an equality (the reverse
    form of THEORY.md §2); or an (S,) array.

    The bound is centred at ``eta(pi) + L_f/(1-gamma)``, not at Eq. (3)'s ``L_pi(pi_new)`` (unless
    ``f = V_pi``), so in the table's terms (``rhs = L - penalty``, two-sidedness about ``L``) it is
    reported as a lower bound: ``rhs`` is Theorem 1's lower bound (``penalty = L - rhs``, which may be
    negative when the lower bound exceeds ``L``) and ``two_sided=False``; Theorem 1's upper bound is
    ``constants["upper"]`` and is part of ``holds`` (also ``constants["centre"]``, ``["half_width"]``).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import cpo_bound, cpo_general_bound
    >>> m = T.two_state(0.9); pi = T.uniform(m); pn = T.random_policy(m, rng=0)
    >>> r = cpo_general_bound(m, pi, pn)
    >>> print(r.holds, f"{r.slack:.4f}", r.slack <= cpo_bound(m, pi, pn).slack)
    True 0.0789 True
    """
    return cpo_general_of(prepare(mdp, pi, pi_new, ev, ev_new, atol), f)


cpo_bound.__bound__, cpo_general_bound.__bound__ = "cpo_tv", "cpo_general"


def _cpo_f(inst: Instance, f) -> tuple[np.ndarray, str]:
    S = inst.mdp.n_states
    if f is None:
        return np.einsum("sa,sa->s", inst.pi_new, inst.ev.Q), "T_{pi_new} V_pi"  # one evaluation step
    if isinstance(f, str):
        if f == "V_pi":
            return np.asarray(inst.ev.V), "V_pi"
        if f == "V_pi_new":
            return np.asarray(inst.ev_new.V), "V_pi_new"
        raise ValueError(f"f must be None, 'V_pi', 'V_pi_new' or an (S,) array, got {f!r}")
    arr = np.array(f, dtype=np.float64)
    if arr.shape != (S,) or not np.all(np.isfinite(arr)):
        raise ValueError(f"f must be a finite array of shape ({S},), got shape {arr.shape}")
    return arr, "array"


def cpo_general_of(inst: Instance, f) -> BoundResult:
    """The registry's ``"cpo_general"`` record with ``eps_f``, ``L_f`` of the given ``f``
    (:meth:`bounds.registry.Quantities.cpo_terms`, the one home of [CPO] Theorem 1's terms).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds.inequalities.base import prepare
    >>> from bounds.inequalities.cpo import cpo_general_of
    >>> m = T.two_state(0.9); pi = T.uniform(m)
    >>> inst = prepare(m, pi, T.random_policy(m, rng=0))
    >>> r = cpo_general_of(inst, inst.ev.V)
    >>> print(r.name, r.holds, f"{r.slack:.4f}")
    cpo_general True 0.4385
    """
    fv, which = _cpo_f(inst, f)
    q = inst.quantities()
    if f is not None:
        eps_f, L_f = q.cpo_terms(fv)
        q.with_values(eps_f=eps_f, L_f=L_f)
    notes = (f"f = {which}; lower bound = rhs, upper bound = constants['upper'] (both in holds); "
             "TV averaged over normalized d_pi")
    return one_result("cpo_general", inst, q, notes=notes)


def cpo_f_tightening(mdp, pi, pi_new, f=None, *, ev=None, ev_new=None) -> float:
    """How much ``f`` tightens [CPO] Cor. 1: the ratio of the two bounds' worst-case errors,
    ``max(slack, upper - eta_new)`` of :func:`cpo_general_bound` with ``f`` over the same for
    ``f = V_pi`` (Cor. 1). Below 1 means ``f`` gives the tighter two-sided bound; widths within the
    default tolerance count as 0, and 0/0 is 1.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import cpo_f_tightening
    >>> m = T.two_state(0.9); pi = T.uniform(m); pn = T.random_policy(m, rng=0)
    >>> ratio = cpo_f_tightening(m, pi, pn)
    >>> print(f"{ratio:.4f}", 0 <= ratio <= 1)
    0.1800 True
    """
    inst = prepare(mdp, pi, pi_new, ev, ev_new, None)
    ref, new = cpo_general_of(inst, "V_pi"), cpo_general_of(inst, f)
    width = lambda r: max(r.slack, r.constants["upper"] - r.eta_new)  # noqa: E731
    w_ref, w_new = width(ref), width(new)
    if w_ref <= inst.atol:
        return 1.0 if w_new <= inst.atol else math.inf
    return float(w_new / w_ref)

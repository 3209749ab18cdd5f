"""The theory's named quantities of K instances ``(mdp, pi, pi_new)``, each computed once, on first use,
by its one formula -- on floats (:class:`FloatQuantities`: a batch, or one instance as a batch of one)
or exactly (:class:`ExactQuantities`: Fractions, intervals where a log enters).

A bound's penalty reads them by name (``q.C``, ``q.alpha``, ``q.tv``, ...); :data:`QUANTITIES` lists
them with their meaning. Conventions (THEORY.md §1): ``rho`` unnormalized (sums to ``1/(1-gamma)``),
``d = (1-gamma) rho``, ``KL(pi || pi_new)`` (the [TRPO] direction) unless named ``kl_rev``.

The derived quantities below are written once over ``ops`` (:mod:`.ops`), so the float and the exact
numbers come from the same formula; a backend supplies only the evaluations (V, Q, A, rho, eta of
``pi``, ``eta`` of ``pi_new``, the span bound's ``w``), the per-state KL and ``P`` applied to a vector.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cached_property, lru_cache
from types import MappingProxyType, SimpleNamespace

import numpy as np

from .ops import EXACT, Interval, float_ops

__all__ = ["QUANTITIES", "Quantities", "FloatQuantities", "ExactQuantities", "theory_C_from"]

#: Every named quantity: ``name -> (per, meaning)``; ``per`` is "instance" ((K,) or one number) or
#: "state" (rows of all instances' states).
QUANTITIES = MappingProxyType({
    "gamma": ("instance", "discount"),
    "eta": ("instance", "eta(pi)"),
    "eta_new": ("instance", "eta(pi_new), the truth a bound is about"),
    "L": ("instance", "L_pi(pi_new) = eta(pi) + sum_s rho(s) Abar(s), Eq. (3) of [TRPO]"),
    "eps": ("instance", "max_{s,a} |A_pi(s, a)| (Theorem 1 of [TRPO])"),
    "C": ("instance", "4 eps gamma / (1-gamma)^2, Eq. (8)-(9) of [TRPO]"),
    "alpha": ("instance", "D_TV^max(pi, pi_new) = max_s tv(s)"),
    "kl_max": ("instance", "D_KL^max(pi, pi_new) = max_s kl(s) (may be inf)"),
    "mean_tv": ("instance", "sum_s d(s) tv(s) (normalized d; [CPO])"),
    "eps_new": ("instance", "eps^{pi_new} = max_s |Abar(s)| of [CPO]"),
    "cpi_alpha": ("instance", "smallest alpha with pi_new = (1-alpha) pi + alpha pi' ([KL02], Eq. (5))"),
    "eps_prime": ("instance", "eps' = max_s |sum_a pi'(a|s) A_pi(s, a)| of Eq. (6)"),
    "A_prime": ("instance", "𝔸' = sum_s rho(s) sum_a pi'(a|s) A_pi(s, a) of [KL02]"),
    "eps_f": ("instance", "eps_f of [CPO] Theorem 1 with f = T_{pi_new} V_pi"),
    "L_f": ("instance", "L_f of [CPO] Theorem 1 with f = T_{pi_new} V_pi"),
    "cpo_centre": ("instance", "eta(pi) + L_f / (1-gamma), the centre of [CPO] Theorem 1's interval"),
    "atol": ("instance", "the tolerance of holds: 1e-9 max(1, max|R| / (1-gamma))"),
    "tv": ("state", "D_TV(pi(.|s), pi_new(.|s)) = 1/2 sum_a |pi - pi_new|"),
    "kl": ("state", "KL(pi(.|s) || pi_new(.|s)) (inf where pi_new drops an action of pi)"),
    "kl_rev": ("state", "KL(pi_new(.|s) || pi(.|s)) ([CPO]'s direction)"),
    "rho": ("state", "unnormalized discounted visitation of pi"),
    "d": ("state", "(1-gamma) rho"),
    "Abar": ("state", "sum_a pi_new(a|s) A_pi(s, a), THEORY.md §2"),
    "w": ("state", "(I - gamma P_{pi_new})^{-1} Abar, the span bound's w"),
    "span_w": ("instance", "max_s w(s) - min_s w(s)"),
    "V": ("state", "V_pi"),
})


def theory_C_from(eps, gamma):
    """``C = 4 eps gamma / (1-gamma)^2`` of Eq. (8)-(9) of [TRPO] (THEORY.md §3): the one home of the
    formula, on floats, arrays or Fractions.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from bounds.registry import theory_C_from
    >>> theory_C_from(Fraction(1, 10), Fraction(9, 10))
    Fraction(36, 1)
    >>> print(f"{theory_C_from(0.1, 0.9):.6f}")
    36.000000
    """
    return 4 * eps * gamma / (1 - gamma) ** 2  # Eq. (8)


class Quantities:
    """The derived quantities, written once over ``self.ops``; subclasses supply the evaluations.

    Backend attributes: ``ops``, ``K``, ``gamma``, ``pi``, ``pi_new``, ``R``, ``V``, ``Q``, ``A``,
    ``rho``, ``d``, ``eta``, ``eta_new``, ``atol``, ``kl``, ``kl_rev``, ``w`` and ``apply_P(x)``
    (``sum_t P(t|s, a) x(t)`` per row).

    Examples
    --------
    >>> import tabular as T
    >>> from tabular.mdp_batch import MDPBatch
    >>> from bounds.check_batch import batch_quantities
    >>> from bounds.registry import Quantities
    >>> m = T.two_state(0.9); pi = T.uniform(m); pn = T.random_policy(m, rng=0)
    >>> q = batch_quantities(MDPBatch.from_mdps([m]), pi, pn)
    >>> isinstance(q, Quantities), bool(abs(q.alpha[0] - abs(pi - pn).sum(axis=1).max() / 2) < 1e-15)
    (True, True)
    """

    ops: SimpleNamespace

    def with_values(self, **values) -> "Quantities":
        """Set named quantities (e.g. ``cpi_alpha`` of a given mixture, ``eps_f`` of a given ``f``)
        before first use; returns ``self``."""
        for k, v in values.items():
            if k not in QUANTITIES:
                raise ValueError(f"{k!r} is not a named quantity; known: {sorted(QUANTITIES)}")
            self.__dict__[k] = v
        return self

    @cached_property
    def Abar(self):
        return self.ops.expect(self.pi_new, self.A)  # THEORY.md §2

    @cached_property
    def L(self):
        return self.eta + self.ops.sum(self.rho * self.Abar)  # Eq. (3)

    @cached_property
    def eps(self):
        return self.ops.max(self.ops.max_actions(self.ops.abs(self.A)))

    @cached_property
    def C(self):
        return theory_C_from(self.eps, self.gamma)  # Eq. (8)

    @cached_property
    def tv(self):
        return self.ops.sum_actions(self.ops.abs(self.pi - self.pi_new)) / 2

    @cached_property
    def alpha(self):
        return self.ops.max(self.tv)

    @cached_property
    def kl_max(self):
        return self.ops.max(self.kl)

    @cached_property
    def mean_tv(self):
        return self.ops.weighted_sum(self.d, self.tv)

    @cached_property
    def span_w(self):
        return self.ops.max(self.w) - self.ops.min(self.w)

    @cached_property
    def eps_new(self):
        return self.ops.max(self.ops.abs(self.Abar))

    @cached_property
    def cpi_alpha(self):
        """``alpha = 1 - min_{s,a: pi > 0} pi_new / pi`` clipped to [0, 1] (0 below round-off): the
        smallest mixture weight (:func:`bounds.inequalities.cpi_decomposition`)."""
        o, pos = self.ops, self.pi > 0
        ratio = o.min(o.min_actions(o.where(pos, self.pi_new / o.where(pos, self.pi, 1), o.inf)))
        alpha = o.clip(1 - ratio, 0, 1)
        return o.where(alpha <= o.negligible, 0 * alpha, alpha)

    @cached_property
    def eps_prime(self):
        """``eps'`` through ``alpha eps' = eps^{pi_new}``: ``sum_a pi' A = Abar / alpha`` since
        ``sum_a pi A = 0`` (THEORY.md §2); 0 when ``alpha = 0``."""
        return self.ops.safe_div(self.eps_new, self.cpi_alpha)

    @cached_property
    def A_prime(self):
        """``𝔸'`` through ``alpha 𝔸' = L - eta`` (THEORY.md §2: Abar scales by alpha); 0 when ``alpha = 0``."""
        return self.ops.safe_div(self.L - self.eta, self.cpi_alpha)

    def cpo_terms(self, f) -> tuple:
        """``(eps_f, L_f)`` of [CPO] Theorem 1 for ``f`` (per-state rows): ``delta_f = R + gamma P f - f``,
        ``eps_f = max_s |sum_a pi_new delta_f|``, ``L_f = sum_s d(s) sum_a (pi_new - pi) delta_f`` (THEORY.md §8)."""
        o = self.ops
        delta = self.R + o.rows(self.gamma)[:, None] * self.apply_P(f) - f[:, None]  # [CPO] Thm 1
        return o.max(o.abs(o.expect(self.pi_new, delta))), o.sum(self.d * o.expect(self.pi_new - self.pi, delta))

    @cached_property
    def _cpo_default(self):
        return self.cpo_terms(self.ops.expect(self.pi_new, self.Q))  # f = T_{pi_new} V_pi

    @cached_property
    def eps_f(self):
        return self._cpo_default[0]

    @cached_property
    def L_f(self):
        return self._cpo_default[1]

    @cached_property
    def cpo_centre(self):
        return self.eta + self.L_f / (1 - self.gamma)  # [CPO] Thm 1


# ----------------------------------------------------------------------------- floats
@lru_cache(maxsize=64)
def _one_segment(S: int):
    from tabular.mdp_batch import Segments

    return Segments([S])


class FloatQuantities(Quantities):
    """Float quantities of K instances held as the rows of a batch (:meth:`from_batch`) or of one
    instance, K = 1 (:meth:`from_single`, any size, sparse models included).

    Examples
    --------
    >>> import tabular as T
    >>> from tabular.mdp_batch import MDPBatch
    >>> from bounds.check_batch import batch_quantities
    >>> batch = MDPBatch.from_mdps([T.two_state(0.9), T.mdp_x(0.5)])
    >>> q = batch_quantities(batch, T.uniform(batch.N, 2), T.random_policy(batch.N, 2, rng=0))
    >>> q.K, q.C.shape, q.tv.shape
    (2, (2,), (5,))
    """

    def __init__(self, seg, gamma, pi, pi_new, R, ev, eta_new, atol, apply_P, w, instance):
        self.seg, self.ops = seg, float_ops(seg)
        self.instance = instance  # k -> (mdp, pi, pi_new) of instance k (for bounds given as plain functions)
        self.K = seg.K
        self.gamma = np.asarray(gamma, dtype=np.float64)
        self.pi, self.pi_new, self.R = pi, pi_new, R
        self.ev = ev
        self.V, self.Q, self.A, self.rho, self.d = ev.V, ev.Q, ev.A, ev.rho, ev.d
        self.eta = np.atleast_1d(np.asarray(ev.eta, dtype=np.float64))
        if callable(eta_new):  # evaluated on first use (a claim's rhs does not need it)
            self._eta_new = eta_new
        else:
            self.eta_new = np.atleast_1d(np.asarray(eta_new, dtype=np.float64))
        self.atol = np.atleast_1d(np.asarray(atol, dtype=np.float64))
        self.apply_P, self._w = apply_P, w

    @classmethod
    def from_batch(cls, batch, pi, pi_new, ev, ev_new, atol):
        """From a :class:`tabular.mdp_batch.MDPBatch`, validated rows and both :class:`~tabular.mdp_batch.MDPBatchEvaluation`
        (``ev_new.W[:, 0]`` is ``w`` when it was solved with ``extra = Abar``)."""
        def w(q):
            if ev_new.W is not None:
                return ev_new.W[:, 0]
            from tabular.mdp_batch import evaluate_batch

            return evaluate_batch(batch, pi_new, extra=q.Abar).W[:, 0]
        def instance(k):
            from tabular.mdp import MDP

            g = next(g for g in batch.groups if g.k0 <= k < g.k1)
            rows = slice(batch.segments.start[k], batch.segments.start[k + 1])
            return (MDP(g.P[k - g.k0], batch.R[rows], batch.rho0[rows], float(batch.gamma[k])),
                    np.array(pi[rows]), np.array(pi_new[rows]))
        return cls(batch.segments, batch.gamma, pi, pi_new, batch.R, ev, ev_new.eta, atol, batch.apply_P, w,
                   instance)

    @classmethod
    def from_single(cls, mdp, pi, pi_new, ev, ev_new, atol):
        """One instance (K = 1) from its validated policies and both :class:`tabular.evaluation.Evaluation`
        (``ev_new`` None: ``pi_new`` is evaluated when ``eta_new`` is first needed)."""
        from tabular.evaluation import evaluate

        S, A = mdp.shape
        eta_new = (lambda: evaluate(mdp, pi_new).eta) if ev_new is None else ev_new.eta
        return cls(_one_segment(S), [mdp.gamma], pi, pi_new, np.asarray(mdp.R), ev, eta_new, atol,
                   lambda x: np.asarray(mdp.P_flat @ x).reshape(S, A),
                   lambda q: evaluate(mdp.with_rewards(q.Abar), pi_new).V,  # w = (I - gamma P_new)^{-1} Abar
                   lambda k: (mdp, pi, pi_new))

    @cached_property
    def eta_new(self):
        return np.atleast_1d(np.asarray(self._eta_new(), dtype=np.float64))

    @cached_property
    def w(self):
        return np.asarray(self._w(self), dtype=np.float64)

    @cached_property
    def kl(self):
        from tabular.divergences import kl_unchecked

        return kl_unchecked(self.pi, self.pi_new)

    @cached_property
    def kl_rev(self):
        from tabular.divergences import kl_unchecked

        return kl_unchecked(self.pi_new, self.pi)


# ----------------------------------------------------------------------------- exact
def _obj(x):
    return np.array(x, dtype=object)


class ExactQuantities(Quantities):
    """Exact quantities of one instance (K = 1): per-instance values are Fractions (an
    :class:`~.ops.Interval` or ``math.inf`` where a log enters), per-state values object arrays.

    ``mdp`` is a :class:`bounds.counterexamples.exact.ExactMDP`; ``pi``, ``pi_new`` tuples of rows of
    Fractions summing to exactly 1 (:func:`~bounds.counterexamples.exact.exact_policy`).

    Examples
    --------
    >>> import tabular as T
    >>> from fractions import Fraction as F
    >>> from bounds.counterexamples.exact import ExactMDP
    >>> from bounds.registry import ExactQuantities
    >>> m = T.two_state(0.9)
    >>> em = ExactMDP(m.P.tolist(), m.R.tolist(), m.rho0.tolist(), F(9, 10))
    >>> pi = ((F(1, 2), F(1, 2)), (F(1, 2), F(1, 2))); pn = ((F(3, 4), F(1, 4)), (F(1, 2), F(1, 2)))
    >>> q = ExactQuantities(em, pi, pn)
    >>> q.eta, q.alpha, q.C
    (Fraction(-140, 31), Fraction(1, 4), Fraction(360, 31))
    >>> abs(float(q.eta) - T.evaluate(m, T.uniform(m)).eta) < 1e-12
    True
    """

    K = 1

    def __init__(self, mdp, pi, pi_new):
        from ..counterexamples.exact import exact_evaluate

        self.mdp = mdp
        S, _ = mdp.shape
        self.ops = SimpleNamespace(**vars(EXACT))
        self.ops.rows = lambda x: _obj([x] * S)
        self.gamma = mdp.gamma
        self.pi, self.pi_new, self.R = _obj(pi), _obj(pi_new), _obj(mdp.R)
        self._P = _obj(mdp.P)
        ev = exact_evaluate(mdp, pi)
        self.ev = ev
        self.V, self.Q, self.A, self.rho, self.d = _obj(ev.V), _obj(ev.Q), _obj(ev.A), _obj(ev.rho), _obj(ev.d)
        self.eta = ev.eta

    def apply_P(self, x):
        return np.dot(self._P, _obj(x))

    @cached_property
    def ev_new(self):
        from ..counterexamples.exact import exact_evaluate

        return exact_evaluate(self.mdp, tuple(tuple(r) for r in self.pi_new))

    @cached_property
    def eta_new(self):
        return self.ev_new.eta

    @cached_property
    def atol(self):
        scale = max(Fraction(1), max(abs(v) for row in self.mdp.R for v in row) / (1 - self.gamma))
        return Fraction(1, 10**9) * scale  # RTOL of bounds.inequalities, as a rational

    @cached_property
    def w(self):
        from ..counterexamples.exact import exact_solve

        S, _ = self.mdp.shape
        g = self.gamma
        P_new = [[sum(self.pi_new[s][a] * self.mdp.P[s][a][t] for a in range(len(self.pi_new[s])))
                  for t in range(S)] for s in range(S)]
        return _obj(exact_solve([[(1 if s == t else 0) - g * P_new[s][t] for t in range(S)] for s in range(S)],
                                list(self.Abar)))

    def _kl(self, p, q):
        from ..counterexamples.exact import kl_interval

        out = []
        for a, b in zip(p, q):
            v = kl_interval(tuple(a), tuple(b))
            out.append(math.inf if v == math.inf else Interval(v))
        return _obj(out)

    @cached_property
    def kl(self):
        return self._kl(self.pi, self.pi_new)

    @cached_property
    def kl_rev(self):
        return self._kl(self.pi_new, self.pi)

"""How tight is each true bound's constant? Its worst-case ratio, searched for and certified exactly.

Every true bound of the package has the form ``eta(pi_new) >= L_pi(pi_new) - penalty`` (Eq. (3) of
[TRPO] for ``L``; the bounds written ``eta(pi_new) - eta(pi) >= ...`` -- [KL02] Thm 4.1, [SPI] Thm 3.5
-- have ``eta(pi) + (their first term) = L`` too, see THEORY.md §3). Its *tightness ratio* on an
instance is

    r = (L - eta(pi_new)) / penalty                (side ``"lower"``)
    r = (eta(pi_new) - L) / penalty                (side ``"upper"``, two-sided bounds only)

A true bound has ``r <= 1`` everywhere. If ``r >= c`` on one instance, the bound with its penalty
scaled by any ``c' < c`` is violated there (its slack is ``c' penalty - (L - eta_new) < 0``), so no
constant below ``c`` times the proof's constant can be valid: ``c`` close to 1 means the constant
is tight, ``c`` small means it may be loose (or the search missed the worst case).

This module holds

* :func:`tight_bounds`, the one accessor of the bounds examined (today :data:`.claims.CLAIMS` with
  ``theorem=True``; point it at a registry by changing this function only);
* :func:`tightness_ratio` (floating point) and :func:`exact_ratio` (a rigorous enclosure: rationals,
  and ``mpmath`` intervals where a KL enters, through each claim's exact twin);
* :func:`search_tightness`, a restart-by-restart maximization of ``r`` (Nelder-Mead or CMA-ES on the
  parameterization of :mod:`.search`);
* :func:`certify_tightness` (round to rationals, certify ``r >= c``), the JSON certificate and
  :func:`verify_tightness`, which re-checks a certificate file without floating point.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from tabular.evaluation import evaluate
from tabular.mdp import MDP

from .. import inequalities as ineq
from .claims import CLAIMS, ExactPair
from .exact import ExactMDP, exact_policy, interval_lower, interval_upper
# private names of search.py: its start distribution and its parameterization (x -> mdp, pi, pi_new)
from .search import _draw_start, _Space
from .shrink import round_row

__all__ = ["TightBound", "tight_bounds", "bound_named", "BANDS", "SIZES", "tightness_ratio", "exact_ratio",
           "fork_instance", "fork_start",
           "TightnessRestart", "tightness_restart", "search_tightness", "rationalize", "TightnessCertificate",
           "certify_tightness", "TightnessVerification", "verify_tightness", "FORMAT"]

FORMAT = "trpo-theory-tightness"
#: Discount bands searched separately (the worst case may sit at gamma -> 0 or gamma -> 1).
BANDS = ((0.001, 0.1), (0.1, 0.5), (0.5, 0.9), (0.9, 0.99), (0.99, 0.999))
#: ``(S, A)`` sizes cycled over the restarts.
SIZES = ((2, 2), (3, 2), (3, 3), (4, 2))

# The constant of each proof, as it appears in the penalty (THEORY.md §3), and whether the bound is two-sided.
_CONSTANTS = {
    "theorem1": ("4", "C = 4 eps gamma/(1-gamma)^2 in C alpha^2 (Eq. (8))", False),
    "theorem1_tight": ("4", "4 alpha^2 gamma eps/((1-gamma)(1-gamma(1-alpha))) (Eq. (44))", True),
    "kl_max": ("4", "C = 4 eps gamma/(1-gamma)^2 in C maxKL (Eq. (9))", False),
    "kl_max_pinsker": ("2", "C/2 = 2 eps gamma/(1-gamma)^2 in (C/2) maxKL (Eq. (9), Pinsker)", False),
    "cpi": ("2", "2 eps' gamma alpha^2/(1-gamma)^2 (Eq. (6))", False),
    "kl02": ("2", "2 alpha^2 gamma eps'/((1-gamma)(1-gamma(1-alpha))) ([KL02] Thm 4.1)", False),
    "cpo_tv": ("2", "2 gamma eps_new/(1-gamma)^2 E_d TV ([CPO] Cor. 1)", True),
    "cpo_kl": ("2", "2 gamma eps_new/(1-gamma)^2 sqrt(E_d KL/2) ([CPO] Cor. 3)", True),
    "spi": ("1/2", "(gamma/(1-gamma)^2) ||pi_new - pi||_inf dA / 2 ([SPI] Thm 3.5)", False),
    "span": ("1", "(gamma/(1-gamma)) E_d TV (max w - min w) (THEORY.md §3, span)", True),
}


@dataclass(frozen=True, eq=False)
class TightBound:
    """A true bound as the tightness search sees it: its claim, the proof's constant and its sides.

    Examples
    --------
    >>> from bounds.counterexamples.tightness import TightBound, bound_named, fork_start
    >>> b = bound_named("theorem1")
    >>> print(isinstance(b, TightBound), b.constant, b.sides, bound_named("cpo_tv").sides)
    True 4 ('lower',) ('lower', 'upper')
    >>> start = fork_start("lower", (0.5, 0.9))
    >>> res = b.result(start.mdp, start.pi, start.pi_new)
    >>> print(f"{(res.surrogate - res.eta_new) / res.penalty:.6f}")  # 1 - gamma, gamma = 0.54
    0.460000
    """

    name: str
    claim: object
    constant: Fraction
    constant_text: str
    two_sided: bool

    @property
    def sides(self) -> tuple:
        return ("lower", "upper") if self.two_sided else ("lower",)

    def result(self, mdp, pi, pi_new):
        """The :class:`bounds.inequalities.BoundResult` (``penalty``, ``surrogate``, ``eta_new``) on an instance."""
        return ineq.check_bound(self.name, mdp, pi, pi_new)  # the registry's record, one penalty

    def exact_slack(self, pair: ExactPair):
        """``eta(pi_new) - (L - penalty)``, exact (a Fraction, an interval, or ``inf``)."""
        return self.claim.exact_slack(pair)


def tight_bounds() -> tuple:
    """The true bounds examined, in order: the one accessor of this module (the theorems of the bound
    registry, :data:`.claims.CLAIMS` being its view, with a known proof constant).

    Examples
    --------
    >>> from bounds.counterexamples.tightness import tight_bounds
    >>> print([b.name for b in tight_bounds()])
    ['theorem1', 'theorem1_tight', 'kl_max', 'kl_max_pinsker', 'cpi', 'kl02', 'cpo_tv', 'cpo_kl', 'spi', 'span']
    """
    return tuple(TightBound(c.name, c, Fraction(_CONSTANTS[c.name][0]), _CONSTANTS[c.name][1], _CONSTANTS[c.name][2])
                 for c in CLAIMS.values() if c.theorem and c.name in _CONSTANTS)


def bound_named(name: str) -> TightBound:
    """The :class:`TightBound` called ``name``.

    Examples
    --------
    >>> from bounds.counterexamples.tightness import bound_named
    >>> print(bound_named("kl_max").constant_text)
    C = 4 eps gamma/(1-gamma)^2 in C maxKL (Eq. (9))
    >>> try:
    ...     bound_named("mean_kl")
    ... except ValueError as err:
    ...     print(str(err).split(";")[0])
    name: no true bound named 'mean_kl'
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    for b in tight_bounds():
        if b.name == name:
            return b
    raise ValueError(f"name: no true bound named {name!r}; known: {[b.name for b in tight_bounds()]}")


def _check_side(bound: TightBound, side: str) -> None:
    if side not in ("lower", "upper"):
        raise ValueError(f"side must be 'lower' or 'upper', got {side!r}")
    if side not in bound.sides:
        raise ValueError(f"side: {bound.name} is one-sided, only 'lower' is defined, got {side!r}")


# ----------------------------------------------------------------------------- the ratio, float and exact
def _ratio_of(res, side: str, floor: float) -> float:
    """``r`` from a BoundResult; ``0`` for an infinite penalty, ``None`` if ``penalty <= floor``."""
    pen = float(res.penalty)
    if pen == math.inf:
        return 0.0
    if not pen > floor:
        return None
    gap = float(res.surrogate) - float(res.eta_new)
    return (gap if side == "lower" else -gap) / pen


def tightness_ratio(bound, mdp: MDP, pi, pi_new, side: str = "lower") -> float:
    """``r = (L - eta(pi_new)) / penalty`` (``side="lower"``) or ``(eta(pi_new) - L) / penalty``
    (``"upper"``), in floating point; ``L`` is Eq. (3) of [TRPO], the penalty the bound's own.

    An infinite penalty gives ``0``; a zero penalty raises ``ValueError`` (the ratio is undefined).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular.mdp import MDP
    >>> P = np.zeros((2, 2, 2)); P[0, 0, 0] = P[0, 1, 1] = P[1, :, 1] = 1.0
    >>> mdp = MDP(P, np.array([[0.0, 0.0], [1.0, -1.0]]), np.array([1.0, 0.0]), 0.5)
    >>> pi, pi_new = np.full((2, 2), 0.5), np.array([[0.6, 0.4], [0.9, 0.1]])
    >>> round(84 * tightness_ratio("theorem1", mdp, pi, pi_new), 9)  # 5/84, derived by hand in the tests
    5.0
    """
    bound = bound_named(bound) if isinstance(bound, str) else bound
    _check_side(bound, side)
    r = _ratio_of(bound.result(mdp, pi, pi_new), side, 0.0)
    if r is None:
        raise ValueError("pi_new: the penalty is 0 on this instance, the ratio is undefined")
    return r


def exact_ratio(bound, mdp: ExactMDP, pi, pi_new, side: str = "lower") -> tuple:
    """A rigorous enclosure ``(lo, hi)`` (Fractions) of the tightness ratio on a rational instance.

    ``gap = L - eta(pi_new)`` is exact (Eq. (3)); the penalty ``slack + gap`` is exact or enclosed by
    the interval of the claim's exact twin. Returns ``None`` when the penalty is infinite or not proven
    positive (no ratio to certify).

    Examples
    --------
    >>> from fractions import Fraction
    >>> from bounds.counterexamples.tightness import exact_ratio, fork_instance
    >>> mdp, pi, pi_new = fork_instance(Fraction(1, 2), Fraction(1, 4))
    >>> print(exact_ratio("theorem1", mdp, pi, pi_new))  # exactly 1 - gamma on the fork
    (Fraction(1, 2), Fraction(1, 2))
    >>> lo, hi = exact_ratio("kl_max", mdp, pi, pi_new)  # a KL: an interval
    >>> print(lo <= hi, f"{float(lo):.6f}")
    True 0.217254
    """
    bound = bound_named(bound) if isinstance(bound, str) else bound
    _check_side(bound, side)
    S, A = mdp.shape
    pair = ExactPair(mdp, exact_policy(pi, S, A, "pi"), exact_policy(pi_new, S, A, "pi_new"))
    slack = bound.exact_slack(pair)
    if slack == math.inf:
        return None
    gap = pair.L - pair.eta_new
    pen_lo, pen_hi = interval_lower(slack) + gap, interval_upper(slack) + gap
    if pen_lo <= 0:
        return None
    num = gap if side == "lower" else -gap
    return (num / pen_hi, num / pen_lo) if num >= 0 else (num / pen_lo, num / pen_hi)


# ----------------------------------------------------------------------------- the search
@dataclass(frozen=True, eq=False)
class TightnessRestart:
    """The best instance of one restart (or of a whole search): its ratio, arrays and the effort spent.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.counterexamples.tightness import TightnessRestart, fork_start
    >>> start = fork_start("lower", (0.5, 0.9))
    >>> back = TightnessRestart.from_dict(start.to_dict())
    >>> print(isinstance(back, TightnessRestart), back.method, np.allclose(back.pi_new, start.pi_new))
    True fork True
    """

    ratio: float
    mdp: MDP
    pi: np.ndarray
    pi_new: np.ndarray
    n_evaluations: int
    method: str
    restart: int

    def to_dict(self) -> dict:
        m = self.mdp
        return {"ratio": self.ratio, "gamma": float(m.gamma), "P": m.dense_P().tolist(), "R": np.asarray(m.R).tolist(),
                "rho0": np.asarray(m.rho0).tolist(), "pi": np.asarray(self.pi).tolist(),
                "pi_new": np.asarray(self.pi_new).tolist(), "n_evaluations": self.n_evaluations,
                "method": self.method, "restart": self.restart}

    @classmethod
    def from_dict(cls, d: dict) -> "TightnessRestart":
        mdp = MDP(np.array(d["P"]), np.array(d["R"]), np.array(d["rho0"]), float(d["gamma"]))
        return cls(float(d["ratio"]), mdp, np.array(d["pi"]), np.array(d["pi_new"]), int(d["n_evaluations"]),
                   d["method"], int(d["restart"]))


# ----------------------------------------------------------------------------- a hand-derived family
def fork_instance(gamma, alpha, improve: bool = False) -> tuple:
    """The *fork*, ``(ExactMDP, pi, pi_new)``: from the start s0, a0 -> s1 and a1 -> s2; s1 and s2 are
    absorbing with ``r(., a0) = 1``, ``r(., a1) = -1``; ``pi`` uniform; ``pi_new`` moves mass ``alpha``
    to a0 at s1 and to a1 at s2, and at s0 towards s2 (or towards s1 with ``improve``).

    By hand: ``V_pi = 0``, ``eps = 1``, ``Abar = (0, 2 alpha, -2 alpha)``, ``rho_pi(s1) = rho_pi(s2)``, so
    ``L = eta(pi) = 0``; ``eta(pi_new) = -+ 4 alpha^2 gamma / (1 - gamma)``. Theorem 1's ratio is therefore
    exactly ``1 - gamma`` (lower side; ``improve`` gives the upper side of the two-sided bounds), which
    tends to 1 as ``gamma -> 0``: no constant below 4 is valid in Eq. (8) for small discounts.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from bounds.counterexamples.exact import exact_evaluate
    >>> from bounds.counterexamples.tightness import fork_instance
    >>> mdp, pi, pi_new = fork_instance(Fraction(1, 2), Fraction(1, 4))
    >>> print(exact_evaluate(mdp, pi).eta, exact_evaluate(mdp, pi_new).eta)  # 0 and -4 alpha^2 gamma/(1-gamma)
    0 -1/4
    """
    g, a = Fraction(gamma), Fraction(alpha)
    if not (0 < a <= Fraction(1, 2)):
        raise ValueError(f"alpha must be in (0, 1/2], got {alpha}")
    P = [[[0, 1, 0], [0, 0, 1]], [[0, 1, 0], [0, 1, 0]], [[0, 0, 1], [0, 0, 1]]]
    mdp = ExactMDP(P, [[0, 0], [1, -1], [1, -1]], [1, 0, 0], g)
    h = Fraction(1, 2)
    s0 = (h + a, h - a) if improve else (h - a, h + a)
    return mdp, ((h, h),) * 3, (s0, (h + a, h - a), (h - a, h + a))


def fork_start(side: str, gamma_range: tuple, alpha: float = 0.25) -> TightnessRestart:
    """The fork (:func:`fork_instance`) as a float start for a refine restart, its discount a tenth of
    the way into ``gamma_range``.

    Examples
    --------
    >>> from bounds.counterexamples.tightness import fork_start, tightness_ratio
    >>> start = fork_start("lower", (0.5, 0.9))
    >>> print(start.method, round(float(start.mdp.gamma), 6))
    fork 0.54
    >>> print(round(tightness_ratio("theorem1", start.mdp, start.pi, start.pi_new), 6))  # 1 - gamma
    0.46
    """
    lo, hi = map(float, gamma_range)
    mdp, pi, pn = fork_instance(Fraction(lo + 0.1 * (hi - lo)), Fraction(alpha), improve=side == "upper")
    return TightnessRestart(-math.inf, mdp.to_mdp(), np.array(pi, dtype=float), np.array(pn, dtype=float), 0,
                            "fork", -1)


class _Objective:
    """``-r`` of an unpacked vector; counts evaluations and keeps the best point."""

    def __init__(self, bound, side, space):
        self.bound, self.side, self.space = bound, side, space
        self.n, self.best_f, self.best_x = 0, math.inf, None

    def __call__(self, x) -> float:
        self.n += 1
        x = np.asarray(x, dtype=float)
        try:
            m, p, q = self.space.unpack(x)
            # a penalty below 1e-6 of the value scale is round-off-sized next to |eta - L| and would let
            # the search climb on noise (a float r above 1 on a true bound); such points do not count
            floor = 1e-6 * max(1.0, float(np.max(np.abs(m.R))) / (1.0 - m.gamma))
            with np.errstate(all="ignore"):  # overflow of a ratio of tiny probabilities is handled downstream
                r = _ratio_of(self.bound.result(m, p, q), self.side, floor)
        except (ValueError, FloatingPointError, ZeroDivisionError, OverflowError):
            r = None
        f = 1.0 if r is None or not math.isfinite(r) else -r
        if f < self.best_f:
            self.best_f, self.best_x = f, x.copy()
        return f


def _minimize(obj: _Objective, x0, method: str, maxfev: int, seed: int) -> None:
    if method == "cma":
        import cma

        es = cma.CMAEvolutionStrategy(x0, 1.0, {"maxfevals": maxfev, "verbose": -9, "seed": seed,
                                                "tolfun": 1e-13, "tolx": 1e-11})
        while not es.stop():
            xs = es.ask()
            es.tell(xs, [obj(x) for x in xs])
        x0 = obj.best_x if obj.best_x is not None else x0
        maxfev = maxfev // 4  # a Nelder-Mead polish of CMA-ES's best point
    minimize(obj, x0, method="Nelder-Mead", options=dict(maxfev=maxfev, xatol=1e-10, fatol=1e-13))


def tightness_restart(bound, side: str, gamma_range: tuple, restart: int, seed: int = 0,
                      maxfev: int = 800, refine: TightnessRestart | None = None) -> TightnessRestart:
    """One restart of the search for the largest ratio, deterministic given ``(seed, restart, refine)``.

    A fresh restart's size cycles through :data:`SIZES`; its method alternates Nelder-Mead and CMA-ES
    (followed by a short Nelder-Mead polish) every ``len(SIZES)`` restarts; every other block of
    ``2 len(SIZES)`` restarts also optimizes the transition logits. The start and parameterization are
    those of :func:`.search.find_violation` (policy logits, ``tanh`` rewards, sigmoid ``gamma`` inside
    ``gamma_range``). With ``refine`` (an earlier best), the restart instead runs Nelder-Mead with
    ``2 maxfev`` evaluations from that instance, transitions free.

    Examples
    --------
    >>> from bounds.counterexamples.tightness import fork_start, tightness_restart
    >>> r = tightness_restart("theorem1", "lower", (0.5, 0.9), restart=0, seed=0, maxfev=50)
    >>> print(r.method, r.restart, r.ratio <= 1, r.n_evaluations > 0)
    nelder-mead 0 True True
    >>> r = tightness_restart("theorem1", "lower", (0.5, 0.9), restart=1, maxfev=20,
    ...                       refine=fork_start("lower", (0.5, 0.9)))
    >>> print(r.method, r.ratio <= 1)
    refine True
    """
    bound = bound_named(bound) if isinstance(bound, str) else bound
    _check_side(bound, side)
    lo, hi = map(float, gamma_range)
    if not (0.0 <= lo < hi < 1.0):
        raise ValueError(f"gamma_range must satisfy 0 <= lo < hi < 1, got {gamma_range}")
    if int(restart) < 0 or int(maxfev) < 10:
        raise ValueError(f"restart must be >= 0 and maxfev >= 10, got {restart}, {maxfev}")
    rng = np.random.default_rng([int(seed), int(restart)])
    if refine is not None:
        m0 = refine.mdp
        space = _Space(m0.dense_P(), np.asarray(m0.R, dtype=float), np.asarray(m0.rho0, dtype=float),
                       float(min(max(m0.gamma, lo), hi)), lo, hi, True, True, True)
        logit = lambda p: np.log(np.maximum(np.asarray(p, dtype=float), 1e-12))  # noqa: E731
        x0, method, fev = space.pack(logit(refine.pi), logit(refine.pi_new)), "refine", 2 * int(maxfev)
    else:
        k = len(SIZES)
        S, A = SIZES[restart % k]
        method, fev = ("nelder-mead", "cma")[(restart // k) % 2], int(maxfev)
        space, x0 = _draw_start(rng, restart, S, A, None, lo, hi, True, True, (restart // (2 * k)) % 2 == 1)
    obj = _Objective(bound, side, space)
    _minimize(obj, x0, "nelder-mead" if method == "refine" else method, fev, int(rng.integers(1, 2**31 - 1)))
    m, p, q = space.unpack(obj.best_x)
    return TightnessRestart(float(-obj.best_f) if obj.best_f < 1 else -math.inf, m, p, q, obj.n, method, int(restart))


def search_tightness(bound, side: str = "lower", gamma_range: tuple = (0.5, 0.9), *, n_restarts: int = 8,
                     seed: int = 0, maxfev: int = 800, time_budget: float | None = None) -> TightnessRestart:
    """The best of ``n_restarts`` :func:`tightness_restart` calls, every third one refining the best so
    far (the schedule of ``python -m experiments tightness``), stopping early after ``time_budget``
    seconds; ``n_evaluations`` counts all of them.

    Examples
    --------
    >>> best = search_tightness("theorem1", gamma_range=(0.5, 0.9), n_restarts=1, maxfev=100)
    >>> print(best.ratio <= 1, best.n_evaluations > 0, 0.5 <= best.mdp.gamma <= 0.9)
    True True True
    """
    if int(n_restarts) < 1:
        raise ValueError(f"n_restarts must be >= 1, got {n_restarts}")
    t0, best, n = time.perf_counter(), None, 0
    for r in range(int(n_restarts)):
        out = tightness_restart(bound, side, gamma_range, r, seed, maxfev, best if r % 3 == 2 else None)
        n += out.n_evaluations
        if best is None or out.ratio > best.ratio:
            best = out
        if time_budget is not None and time.perf_counter() - t0 > time_budget:
            break
    return TightnessRestart(best.ratio, best.mdp, best.pi, best.pi_new, n, best.method, best.restart)


# ----------------------------------------------------------------------------- rationals and certificates
def _fr(x: float, q: int) -> Fraction:
    return Fraction(round(float(x) * q), q)


def rationalize(mdp: MDP, pi, pi_new, q: int) -> tuple:
    """``(ExactMDP, pi, pi_new)`` with every number rounded to a multiple of ``1/q`` (probability rows
    by largest-remainder rounding, :func:`.shrink.round_row`, so they sum to exactly 1).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import two_state, uniform
    >>> from bounds.counterexamples.tightness import rationalize
    >>> m = two_state(gamma=0.9)
    >>> em, p, pn = rationalize(m, uniform(m), [[0.333, 0.667], [0.1, 0.9]], q=10)
    >>> print(em.gamma, pn[0], sum(pn[0]))
    9/10 (Fraction(3, 10), Fraction(7, 10)) 1
    """
    S, A = mdp.shape
    P = mdp.dense_P()
    g = min(max(_fr(mdp.gamma, q), Fraction(0)), Fraction(q - 1, q))
    em = ExactMDP(tuple(tuple(round_row(P[s, a], q) for a in range(A)) for s in range(S)),
                  tuple(tuple(_fr(v, q) for v in row) for row in np.asarray(mdp.R)), round_row(mdp.rho0, q), g)
    pol = lambda x: tuple(round_row(row, q) for row in np.asarray(x))  # noqa: E731
    return em, pol(pi), pol(pi_new)


def _s(x: Fraction) -> str:
    x = Fraction(x)
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def _round_down(x: Fraction, digits: int) -> Fraction:
    """The largest multiple of ``10^-k`` not above ``x`` with ``k`` such that it keeps ``digits`` significant digits."""
    if x <= 0:
        return Fraction(math.floor(x * 10**digits), 10**digits)
    k = digits - 1 - math.floor(math.log10(float(x)))
    return Fraction(math.floor(x * 10**k), 10**k) if k >= 0 else Fraction(math.floor(x / 10**-k) * 10**-k)


def _round_out(lo: Fraction, hi: Fraction, digits: int = 15) -> tuple:
    k = digits - 1 - math.floor(math.log10(max(abs(float(lo)), abs(float(hi)), 1e-300)))
    k = max(k, 0)
    return Fraction(math.floor(lo * 10**k), 10**k), Fraction(math.ceil(hi * 10**k), 10**k)


@dataclass(frozen=True, eq=False)
class TightnessCertificate:
    """A rational instance on which ``bound``'s ratio (``side``) is at least ``c``, proven exactly.

    ``ratio`` is a recorded enclosure ``(lo, hi)`` of the exact ratio (15 significant digits, rounded
    outward); :func:`verify_tightness` recomputes it, so a changed number in the file is detected.
    JSON form (``"format": "trpo-theory-tightness", "version": 1``)::

        {"format", "version", "bound": {"name", "params", "source", "proof_constant", "constant_text"},
         "side": "lower" | "upper", "c": "p/q", "statement": ...,
         "mdp": {"S", "A", "gamma", "rho0", "R", "P"}, "pi", "pi_new",   # every number a "p/q" string
         "ratio": {"lo": "p/q", "hi": "p/q", "float": ...}, "provenance": {...}}

    Examples
    --------
    >>> from bounds.counterexamples.tightness import TightnessCertificate, certify_tightness, fork_instance
    >>> import numpy as np
    >>> from fractions import Fraction
    >>> mdp, pi, pi_new = fork_instance(Fraction(1, 2), Fraction(1, 2))  # Theorem 1's ratio: 1 - gamma
    >>> m, p, pn = mdp.to_mdp(), np.array(pi, dtype=float), np.array(pi_new, dtype=float)
    >>> cert = certify_tightness("theorem1", "lower", m, p, pn)
    >>> print(isinstance(cert, TightnessCertificate), cert.c, cert.mdp.gamma, cert.provenance)
    True 1/2 1/2 {'denominator': 10}
    >>> print(cert.statement())
    (L - eta_new)/penalty >= 0.5 on this instance: theorem1 with its penalty scaled by any c' < 0.5 (proof constant 4 -> c' x 4) is violated here
    >>> print(cert.save("tight.json").name)
    tight.json
    """

    bound: str
    side: str
    c: Fraction
    mdp: ExactMDP
    pi: tuple
    pi_new: tuple
    ratio: tuple
    provenance: dict

    def statement(self) -> str:
        b = bound_named(self.bound)
        what = "(L - eta_new)/penalty" if self.side == "lower" else "(eta_new - L)/penalty"
        return (f"{what} >= {float(self.c):.6g} on this instance: {b.name} with its penalty scaled by any "
                f"c' < {float(self.c):.6g} (proof constant {_s(b.constant)} -> c' x {_s(b.constant)}) is violated here")

    def to_dict(self) -> dict:
        b, m = bound_named(self.bound), self.mdp
        S, A = m.shape
        return {"format": FORMAT, "version": 1,
                "bound": {"name": b.name, "params": dict(b.claim.params), "source": b.claim.source,
                          "proof_constant": _s(b.constant), "constant_text": b.constant_text},
                "side": self.side, "c": _s(self.c), "statement": self.statement(),
                "mdp": {"S": S, "A": A, "gamma": _s(m.gamma), "rho0": [_s(v) for v in m.rho0],
                        "R": [[_s(v) for v in row] for row in m.R],
                        "P": [[[_s(v) for v in row] for row in Ps] for Ps in m.P]},
                "pi": [[_s(v) for v in row] for row in self.pi], "pi_new": [[_s(v) for v in row] for row in self.pi_new],
                "ratio": {"lo": _s(self.ratio[0]), "hi": _s(self.ratio[1]), "float": float(self.ratio[0])},
                "provenance": dict(self.provenance)}

    def save(self, path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        return path


def certify_tightness(bound, side: str, mdp: MDP, pi, pi_new, *, denominators=(10, 100, 1000, 10**4, 10**6, 10**8, 10**12),
                      digits: int = 4, gamma_range: tuple = (0.0, 1.0),
                      provenance: dict | None = None) -> TightnessCertificate | None:
    """Round the instance to rationals (:func:`rationalize`, each denominator in turn), enclose the
    exact ratio (:func:`exact_ratio`) and certify ``c`` = its lower end rounded down to ``digits``
    significant digits. Keeps the smallest denominator whose ``c`` is within ``10^(1-digits)``
    (relative) of the best one; roundings whose discount leaves ``gamma_range`` are skipped. ``None``
    if no rounding gives a positive, finite-penalty ratio.

    Examples
    --------
    >>> from bounds.counterexamples.tightness import certify_tightness, fork_instance
    >>> import numpy as np
    >>> from fractions import Fraction
    >>> mdp, pi, pi_new = fork_instance(Fraction(1, 2), Fraction(1, 2))  # Theorem 1's ratio: 1 - gamma
    >>> m, p, pn = mdp.to_mdp(), np.array(pi, dtype=float), np.array(pi_new, dtype=float)
    >>> cert = certify_tightness("theorem1", "lower", m, p, pn)
    >>> print(cert.c, cert.ratio)
    1/2 (Fraction(1, 2), Fraction(1, 2))
    """
    bound = bound_named(bound) if isinstance(bound, str) else bound
    _check_side(bound, side)
    found = []
    for q in denominators:
        try:
            em, p, pn = rationalize(mdp, pi, pi_new, int(q))
            if not Fraction(str(gamma_range[0])) <= em.gamma <= Fraction(str(gamma_range[1])):  # decimal ends
                continue
            enc = exact_ratio(bound, em, p, pn, side)
        except (ValueError, ZeroDivisionError):
            continue
        if enc is not None and enc[0] > 0:
            found.append((_round_down(enc[0], digits), int(q), em, p, pn, enc))
    if not found:
        return None
    top = max(f[0] for f in found)
    c, q, em, p, pn, enc = next(f for f in found if f[0] >= top * (1 - Fraction(1, 10 ** (digits - 1))))
    return TightnessCertificate(bound.name, side, c, em, p, pn, _round_out(*enc),
                                {"denominator": q, **(provenance or {})})


@dataclass(frozen=True)
class TightnessVerification:
    """What :func:`verify_tightness` established: ``proven`` means ``ratio >= c`` holds exactly on the
    file's instance and the recomputed enclosure ``ratio`` lies inside the recorded one.

    Examples
    --------
    >>> from bounds.counterexamples.tightness import (TightnessVerification, certify_tightness,
    ...                                               fork_instance, verify_tightness)
    >>> import numpy as np
    >>> from fractions import Fraction
    >>> mdp, pi, pi_new = fork_instance(Fraction(1, 2), Fraction(1, 2))  # Theorem 1's ratio: 1 - gamma
    >>> m, p, pn = mdp.to_mdp(), np.array(pi, dtype=float), np.array(pi_new, dtype=float)
    >>> v = verify_tightness(certify_tightness("theorem1", "lower", m, p, pn).to_dict())
    >>> print(isinstance(v, TightnessVerification), v.proven, v.c)
    True True 1/2
    """

    bound: str
    side: str
    c: Fraction
    proven: bool
    ratio: tuple
    message: str

    def __str__(self) -> str:
        return self.message


def verify_tightness(path) -> TightnessVerification:
    """Re-check a tightness certificate (a path or a dict) without floating point.

    Rebuilds the rational instance (every row must sum to exactly 1, else ``ValueError``), encloses
    the ratio with :func:`exact_ratio` (rationals; ``mpmath`` intervals for a KL or a square root) and
    proves ``lo >= c``, which makes the penalty-scaled bound with any ``c' < c`` violated on the
    instance. The recomputed enclosure must also lie inside the recorded one: a changed number anywhere
    in the instance (or in ``c``) makes the verification fail.

    Examples
    --------
    >>> import json
    >>> from bounds.counterexamples.tightness import certify_tightness, fork_instance, verify_tightness
    >>> import numpy as np
    >>> from fractions import Fraction
    >>> mdp, pi, pi_new = fork_instance(Fraction(1, 2), Fraction(1, 2))  # Theorem 1's ratio: 1 - gamma
    >>> m, p, pn = mdp.to_mdp(), np.array(pi, dtype=float), np.array(pi_new, dtype=float)
    >>> path = certify_tightness("theorem1", "lower", m, p, pn).save("tight.json")
    >>> print(verify_tightness(path))
    proven: theorem1 (lower) ratio >= 1/2 (enclosure [0.5, 0.5]); no constant below 0.5 x 4 is valid
    >>> d = json.loads(path.read_text())
    >>> d["c"] = "3/5"  # more than the instance gives
    >>> print(verify_tightness(d).proven)
    False
    """
    d = path if isinstance(path, dict) else json.loads(Path(path).read_text())
    if d.get("format") != FORMAT:
        raise ValueError(f"path: not a {FORMAT} file (format={d.get('format')!r})")
    mdp = ExactMDP(d["mdp"]["P"], d["mdp"]["R"], d["mdp"]["rho0"], d["mdp"]["gamma"])
    S, A = mdp.shape
    name, side, c = d["bound"]["name"], d["side"], Fraction(d["c"])
    bound = bound_named(name)
    fail = lambda msg, enc=(None, None): TightnessVerification(name, side, c, False, enc, msg)  # noqa: E731
    if dict(d["bound"].get("params", {})) != dict(bound.claim.params):
        return fail(f"not verified: parameters {d['bound'].get('params')} differ from {dict(bound.claim.params)}")
    if Fraction(d["bound"].get("proof_constant", "0")) != bound.constant:
        return fail(f"not verified: proof constant {d['bound'].get('proof_constant')} is not {_s(bound.constant)}")
    enc = exact_ratio(bound, mdp, exact_policy(d["pi"], S, A, "pi"), exact_policy(d["pi_new"], S, A, "pi_new"), side)
    if enc is None:
        return fail("not verified: the penalty is infinite or not proven positive on this instance")
    rec = (Fraction(d["ratio"]["lo"]), Fraction(d["ratio"]["hi"]))
    if not (rec[0] <= enc[0] and enc[1] <= rec[1]):
        return fail(f"not verified: the ratio recomputed, [{float(enc[0]):.15g}, {float(enc[1]):.15g}], is not "
                    f"inside the recorded [{float(rec[0]):.15g}, {float(rec[1]):.15g}] (instance changed?)", enc)
    if not (c > 0 and enc[0] >= c):
        return fail(f"not verified: the ratio's lower end {float(enc[0]):.10g} is below c = {float(c):.10g}", enc)
    return TightnessVerification(name, side, c, True, enc,
                                 f"proven: {name} ({side}) ratio >= {_s(c)} (enclosure [{float(enc[0]):.12g}, "
                                 f"{float(enc[1]):.12g}]); no constant below {float(c):.6g} x {_s(bound.constant)} "
                                 f"is valid")

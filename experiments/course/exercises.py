"""The exercises of the tutorial notebooks and how each answer is judged.

Every expected answer is computed when the check runs, from the package's MDPs and by the
independent linear solves of :mod:`experiments.course._exact` (not by the functions the notebooks
teach), so neither copy of a notebook stores a solution. Each exercise states its tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import _exact as X

__all__ = ["Exercise", "EXERCISES", "exercise"]


@dataclass(frozen=True)
class Exercise:
    """One exercise: what is asked, how an answer is judged, and a hint for a wrong answer.

    Attributes
    ----------
    id : str, ``"NN.k"``: notebook ``NN``, exercise ``k``.
    kind : ``"number"`` (a float within ``atol + rtol |expected|``), ``"choice"`` (one of ``options``)
        or ``"instance"`` (a counterexample, judged by ``judge``).
    question : str, one line.
    hint : str, shown with a wrong answer.
    expected : callable ``() -> value`` (``"number"``, ``"choice"``) or None.
    judge : callable ``answer -> (ok, reason)`` (``"instance"``) or None.
    atol, rtol : float, tolerance of a ``"number"``.
    options : tuple, the allowed answers of a ``"choice"``.

    Examples
    --------
    >>> from experiments.course import exercise
    >>> ex = exercise("01.1")
    >>> ex.kind, ex.atol
    ('number', 1e-06)
    """

    id: str
    kind: str
    question: str
    hint: str
    expected: Callable | None = None
    judge: Callable | None = None
    atol: float = 0.0
    rtol: float = 0.0
    options: tuple = field(default_factory=tuple)

    @property
    def tolerance(self) -> str:
        """The tolerance in words."""
        if self.kind != "number":
            return "exact"
        parts = [f"{self.atol:g} absolute" if self.atol else "", f"{self.rtol:g} relative" if self.rtol else ""]
        return " + ".join(p for p in parts if p)


def _margin(a: float, b: float, what: str) -> None:
    """A discrete expected answer must not hang on round-off: refuse a near tie."""
    if abs(a - b) <= 1e-8 * max(1.0, abs(a), abs(b)):
        raise RuntimeError(f"exercise setup has a near tie in {what}; choose another instance")


def _argmax(x, what: str) -> int:
    order = np.argsort(-np.asarray(x, float), kind="stable")
    _margin(x[order[0]], x[order[1]], what)
    return int(order[0])


# ----------------------------------------------------------------------------- 01 first steps
def _nb01():
    import tabular as T
    mdp = T.garnet(5, 2, 2, rng=3, gamma=0.9)
    pi = np.full((5, 2), 0.5)
    v = X.values(mdp, pi)
    greedy = np.zeros((5, 2))
    greedy[np.arange(5), [_argmax(q, "Q") for q in v["Q"]]] = 1.0
    return mdp, pi, 0.5 * pi + 0.5 * greedy


def _e01_1():
    mdp, _, _ = _nb01()
    return X.eta(mdp, np.tile([0.0, 1.0], (5, 1)))


def _e01_2():
    mdp, pi, _ = _nb01()
    return float(X.values(mdp, pi)["A"][2, 0])


def _e01_3():
    mdp, pi, pi_new = _nb01()
    L, eta = X.surrogate(mdp, pi, pi_new), X.eta(mdp, pi_new)
    _margin(L, eta, "L vs eta")
    return "over" if L > eta else "under"


def _e01_4():
    _, pi, pi_new = _nb01()
    return float(X.kl_per_state(pi, pi_new).max())


# ----------------------------------------------------------------------------- 02 Algorithm 1
def _nb02():
    import tabular as T
    return T.garnet(6, 3, 3, rng=0, gamma=0.8), np.full((6, 3), 1 / 3)


def _e02_1():
    return X.penalty_C(*_nb02())


def _e02_2():
    mdp, pi = _nb02()  # uniform pi: Algorithm 1's new policy at s is pi exp(A/c) / Z, monotone in A(s, .)
    return _argmax(X.values(mdp, pi)["A"][0], "A(0, .)")


def _e02_3():
    import bounds as B
    mdp, pi = _nb02()
    pi_new = B.mm_step(mdp, pi).pi_new
    return X.surrogate(mdp, pi, pi_new) - X.penalty_C(mdp, pi) * X.kl_per_state(pi, pi_new).max() - X.eta(mdp, pi)


# ----------------------------------------------------------------------------- 03 trust regions
def _nb03(constraint):
    import bounds as B
    import tabular as T
    mdp = T.garnet(8, 3, 3, rng=2, gamma=0.9)
    pi = np.full((8, 3), 1 / 3)
    kw = {"weights": "d"} if constraint == "mean" else {}
    return mdp, pi, B.trust_region_step(mdp, pi, 0.05, constraint=constraint, **kw).pi_new


def _e03_1():
    a, b = X.eta(*_nb03("max")[::2]), X.eta(*_nb03("mean")[::2])
    _margin(a, b, "eta of the two steps")
    return "max" if a > b else "mean"


def _e03_2():
    mdp, pi, pi_new = _nb03("max")
    return float(X.values(mdp, pi)["rho"] @ X.kl_per_state(pi, pi_new))


def _e03_3():
    _, pi, pi_new = _nb03("mean")
    return float(X.kl_per_state(pi, pi_new).max())


# ----------------------------------------------------------------------------- 04 your own bound
_X_PI_NEW = np.array([[0.45, 0.55], [0.5, 0.5], [0.2, 0.8]])


def _judge04_1(g):
    import tabular as T
    from bounds.counterexamples import mean_kl_candidate
    g = float(g)
    if not 0.0 < g < 1.0:
        return False, f"gamma must be in (0, 1), got {g}"
    m = T.mdp_x(g)
    slack = X.eta(m, _X_PI_NEW) - mean_kl_candidate(m, np.full((3, 2), 0.5), _X_PI_NEW)
    if slack < -1e-7:
        return True, f"eta(pi_new) - claimed bound = {slack:.3g} < 0"
    return False, f"at gamma = {g:g} the claim holds (slack {slack:.3g} >= -1e-7): try smaller discounts"


def _e04_2():
    import tabular as T
    m, pi = T.mdp_x(0.9), np.full((3, 2), 0.5)
    alpha = X.tv_per_state(pi, _X_PI_NEW).max()
    return X.eta(m, _X_PI_NEW) - (X.surrogate(m, pi, _X_PI_NEW) - X.penalty_C(m, pi) * alpha**2)


def _judge04_3(pair):
    import tabular as T
    pi, pi_new = (np.asarray(p, dtype=float) for p in pair)
    for name, p in (("pi", pi), ("pi_new", pi_new)):
        if p.shape != (3, 2) or np.any(p < 0) or not np.allclose(p.sum(axis=1), 1.0):
            return False, f"{name} must be a (3, 2) array of probabilities with rows summing to 1"
    m = T.mdp_x(0.9)
    eta, L, eta_new = X.eta(m, pi), X.surrogate(m, pi, pi_new), X.eta(m, pi_new)
    if L - eta <= 1e-6:
        return False, f"L_pi(pi_new) - eta(pi) = {L - eta:.3g}: the surrogate must promise a gain (> 1e-6)"
    if eta_new - eta >= -1e-6:
        return False, f"eta(pi_new) - eta(pi) = {eta_new - eta:.3g}: eta must fall (by more than 1e-6)"
    return True, f"L promises {L - eta:+.4f}, eta changes by {eta_new - eta:+.4f}"


# ----------------------------------------------------------------------------- 05 coupling
def _nb05():
    import tabular as T
    mdp = T.garnet(5, 2, 2, rng=4, gamma=0.9)
    pi = np.full((5, 2), 0.5)
    greedy = np.zeros((5, 2))
    greedy[np.arange(5), [_argmax(q, "Q") for q in X.values(mdp, pi)["Q"]]] = 1.0
    return mdp, pi, 0.7 * pi + 0.3 * greedy


def _e05_1():
    _, pi, pi_new = _nb05()
    return float(X.tv_per_state(pi, pi_new).max())


def _e05_2():
    mdp, pi, pi_new = _nb05()
    alpha = X.tv_per_state(pi, pi_new).max()
    eps = np.max(np.abs(X.values(mdp, pi)["A"]))
    return float(4 * alpha * (1 - (1 - alpha) ** 5) * eps)  # Lemma 3 at t = 5


def _e05_3():
    mdp, pi, pi_new = _nb05()  # agreement chain q_{k+1} = q_k (min(pi, pi_new) . P), written out
    P = np.asarray(mdp.P)
    q = np.asarray(mdp.rho0, float)
    for _ in range(5):
        q = sum(q[s] * np.minimum(pi, pi_new)[s] @ P[s] for s in range(5))
    return 1.0 - float(q.sum())


def _e05_4():
    mdp, pi, pi_new = _nb05()
    return X.eta(mdp, pi_new) - X.surrogate(mdp, pi, pi_new)


# ----------------------------------------------------------------------------- 06 CPI vs Alg. 1 vs TR
def _nb06():
    import tabular as T
    return T.garnet(8, 3, 3, rng=2, gamma=0.9), np.full((8, 3), 1 / 3)


def _e06_1():
    mdp, pi = _nb06()
    v = X.values(mdp, pi)
    gq = np.array([_argmax(q, "Q") for q in v["Q"]])
    adv = v["A"][np.arange(8), gq]  # sum_a pi'(a|s) A(s, a) for the greedy pi'
    g = mdp.gamma
    return float(min(1.0, (1 - g) ** 2 * (v["rho"] @ adv) / (4 * g * np.max(np.abs(adv)))))  # Eq. (6)


def _e06_2():
    import bounds as B
    mdp, pi = _nb06()
    kws = {"cpi": {}, "mm": {}, "trust_region": {"delta": 0.05}}
    etas = {u: X.eta(mdp, B.run(u, mdp, pi, n_iter=10, record_bounds=False, **kw).pi) for u, kw in kws.items()}
    best = sorted(etas, key=etas.get, reverse=True)
    _margin(etas[best[0]], etas[best[1]], "final eta")
    return best[0]


def _e06_3():
    import bounds as B
    mdp, pi = _nb06()
    pi1 = B.mm_step(mdp, pi).pi_new
    alpha = X.tv_per_state(pi, pi1).max()
    return X.eta(mdp, pi1) - (X.surrogate(mdp, pi, pi1) - X.penalty_C(mdp, pi) * alpha**2)


_N = "number"
EXERCISES = {e.id: e for e in [
    Exercise("01.1", _N, "eta of the policy that always takes action 1", "solve for V (T.evaluate) and "
             "take rho0 . V; build the policy with np.tile([0.0, 1.0], (5, 1))", _e01_1, atol=1e-6),
    Exercise("01.2", _N, "the advantage A_pi(2, 0) of the uniform policy", "A = Q - V; "
             "T.evaluate(mdp, pi).A is indexed [state, action]", _e01_2, atol=1e-6),
    Exercise("01.3", "choice", "does L_pi(pi_new) over- or under-estimate eta(pi_new)?", "compare "
             "T.surrogate(mdp, pi, pi_new) with T.evaluate(mdp, pi_new).eta", _e01_3, options=("over", "under")),
    Exercise("01.4", _N, "D_KL^max(pi, pi_new)", "KL(pi || pi_new) per state, then the max over states "
             "(T.kl or T.max_kl, in that argument order)", _e01_4, atol=1e-6),
    Exercise("02.1", _N, "the penalty coefficient C of Eq. (9) for the uniform policy", "C = 4 eps gamma / "
             "(1 - gamma)^2 with eps = max over (s, a) of |A_pi(s, a)|", _e02_1, rtol=1e-6),
    Exercise("02.2", "choice", "the action with the most probability at state 0 after Algorithm 1's step",
             "with a uniform pi the step multiplies pi(a|s) by exp(A(s, a) / c): look at the advantages",
             _e02_2, options=(0, 1, 2)),
    Exercise("02.3", _N, "the guaranteed improvement M(pi_new) - eta(pi) of Algorithm 1's step (Eq. 10)",
             "M = L - C D_KL^max; the StepResult has objective = M(pi_new) and eta = eta(pi)", _e02_3,
             atol=1e-9, rtol=1e-4),
    Exercise("03.1", "choice", "which one-step trust region (delta = 0.05) gains more eta: 'max' or 'mean'?",
             "evaluate both new policies; the mean constraint allows large KL at rarely visited states",
             _e03_1, options=("max", "mean")),
    Exercise("03.2", _N, "the rho-weighted mean KL (Eq. 12, unnormalized rho) of the max-KL step",
             "sum_s rho(s) KL_s with rho of the OLD policy, unnormalized: it sums to 1/(1 - gamma)", _e03_2,
             atol=1e-8, rtol=1e-4),
    Exercise("03.3", _N, "D_KL^max of the mean-KL step (weights d)", "the largest per-state KL of that step, "
             "T.max_kl(pi, step.pi_new)", _e03_3, atol=1e-8, rtol=1e-4),
    Exercise("04.1", "instance", "a gamma at which the mean-KL claim fails on MDP X for the given pair",
             "scan gammas with mean_kl_candidate and T.evaluate; the failures need a small discount", judge=_judge04_1),
    Exercise("04.2", _N, "the slack of Theorem 1 on MDP X (gamma 0.9) for the given pair", "slack = eta(pi_new) "
             "- (L - C alpha^2), alpha = max-TV; B.theorem1 returns it", _e04_2, atol=1e-8),
    Exercise("04.3", "instance", "a pair (pi, pi_new) on MDP X (gamma 0.9) where L promises a gain but eta falls",
             "make pi_new move mass towards s2's rewarding action at s2 but send s0 elsewhere; or search "
             "random pairs", judge=_judge04_3),
    Exercise("05.1", _N, "alpha = D_TV^max(pi, pi_new) of the coupled pair", "half the L1 distance per state, "
             "then the max (T.max_tv)", _e05_1, atol=1e-9),
    Exercise("05.2", _N, "Lemma 3's bound at t = 5", "4 alpha (1 - (1 - alpha)^t) eps with eps = max |A_pi|",
             _e05_2, rtol=1e-6),
    Exercise("05.3", _N, "P(the coupled trajectories disagreed before t = 5), by Monte Carlo with >= 2000 pairs",
             "coupled_rollouts(...).diverged[:, 5].mean(); tolerance 0.05 covers 4 standard errors at 2000 pairs",
             _e05_3, atol=0.05),
    Exercise("05.4", _N, "eta(pi_new) - L_pi(pi_new), summed from Lemma 3's per-step differences",
             "sum over t of gamma^t (abar_new[t] - abar_old[t]) from bounds.lemmas.lemma3 with a long horizon",
             _e05_4, atol=1e-6),
    Exercise("06.1", _N, "CPI's step size alpha* at the uniform policy (Eq. 6)", "alpha* = min(1, (1-gamma)^2 A' "
             "/ (4 gamma eps')); B.cpi_step(mdp, pi).multiplier", _e06_1, rtol=1e-6),
    Exercise("06.2", "choice", "which update has the highest eta after 10 iterations?", "run the three with "
             "B.run and compare hist.eta[-1]", _e06_2, options=("cpi", "mm", "trust_region")),
    Exercise("06.3", _N, "the slack of Theorem 1 at Algorithm 1's first step", "eta(pi_1) - (L - C alpha^2); "
             "B.theorem1(mdp, pi, pi_1).slack", _e06_3, atol=1e-8),
]}


def exercise(exercise_id: str) -> Exercise:
    """The :class:`Exercise` named ``exercise_id`` (e.g. ``"01.2"``).

    Raises
    ------
    ValueError
        If there is no such exercise.

    Examples
    --------
    >>> from experiments.course import exercise
    >>> print(exercise("02.2").options)
    (0, 1, 2)
    """
    if exercise_id not in EXERCISES:
        raise ValueError(f"exercise_id must be one of {sorted(EXERCISES)}, got {exercise_id!r}")
    return EXERCISES[exercise_id]

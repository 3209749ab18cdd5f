"""Rate theorems for exact policy-optimization updates on tabular MDPs (THEORY.md §8), each checked
along a run: the measured gap per iteration, the theorem's bound, and whether it held.

Sources (the statements below were written from THEORY.md §8 and our reading of the papers; see
"Confirmation" for what could be checked against the source text):

* [AKLM] Agarwal, Kakade, Lee, Mahajan, "On the theory of policy gradient methods", JMLR 2021,
  Theorem 16 (NPG, softmax).
* [MXSS] Mei, Xiao, Szepesvári, Schuurmans, "On the global convergence rates of softmax policy
  gradient methods", ICML 2020, Theorem 4 and Lemma 8.
* [CCCWC] Cen, Cheng, Chen, Wei, Chi, "Fast global convergence of natural policy gradient methods
  with entropy regularization", Operations Research 2022, Theorem 1.
* [Xiao22] Xiao, "On the convergence rates of policy gradient methods", JMLR 2022; [Lan22] Lan,
  "Policy mirror descent for reinforcement learning", Math. Programming 2022.

Conventions of these papers (THEORY.md §8): rewards in [0, 1]; ``V(rho) = rho . V``; the normalized
visitation ``d_mu^pi = (1-gamma) rho_pi`` started from ``mu``; ``A = Q - V``.

Theorems as implemented
-----------------------
* :func:`npg_rate` ([AKLM] Thm 16): ``theta_0 = 0``, ``pi_{t+1} ∝ pi_t exp(eta A_t/(1-gamma))``;
  for every ``eta > 0`` and ``T >= 1``:
  ``V*(rho) - V^{(T)}(rho) <= log|A| / (eta T) + 1 / ((1-gamma)^2 T)``.
* :func:`pg_rate` ([MXSS] Thm 4): ``theta_{t+1} = theta_t + eta grad_theta V^{pi_theta}(mu)``,
  ``eta = (1-gamma)^3/8``, ``mu > 0``, ``theta_1 = 0``; for ``t >= 1``:
  ``V*(rho) - V^{pi_t}(rho) <= 16 S ||d_mu^{pi*}/mu||_inf^2 ||1/mu||_inf / (c^2 (1-gamma)^6 t)``
  with ``c = inf_t min_s pi_t(a*(s)|s)``. "c computed from the run": at iteration ``t`` we use
  ``c_t = min_{k <= t} min_s pi_k(a*(s)|s)``, the constant the proof's recursion actually uses up
  to ``t`` (so the check is at least as demanding as with the infimum over the whole run).
  Lemma 8 (non-uniform Łojasiewicz) is checked at every iterate:
  ``||dV^{pi_theta}(mu)/dtheta||_2 >= min_s pi_theta(a*(s)|s) (V*(rho) - V^{pi_theta}(rho)) /
  (sqrt(S) ||d_rho^{pi*} / d_mu^{pi_theta}||_inf)``; its "gap/bound" is the ratio rhs / lhs.
* :func:`entropy_npg_rate` ([CCCWC] Thm 1): for ``0 < eta <= (1-gamma)/tau`` and ``t >= 0``:
  ``||Q*_tau - Q_tau^{(t+1)}||_inf <= C1 gamma (1 - eta tau)^t`` and
  ``||log pi*_tau - log pi^{(t+1)}||_inf <= 2 C1 tau^{-1} (1 - eta tau)^t``, with
  ``C1 = ||Q*_tau - Q_tau^{(0)}||_inf + 2 tau (1 - eta tau/(1-gamma)) ||log pi*_tau - log pi^{(0)}||_inf``.
* :func:`pmd_rate` (PMD with KL, ``eta_k = eta_0 / gamma^k``). Two statements are checked:

  - ``"sheet"`` -- THEORY.md §8 as written: ``V*(rho) - V^{pi_k}(rho) <= gamma^k (V*(rho) - V^{pi_0}(rho)
    + D_0 / (eta_0 (1-gamma)))``, ``D_0 = sum_s d_rho^{pi*}(s) KL(pi*(.|s) || pi_0(.|s))``. We could
    not confirm this form in either paper, and it is **false**: at ``gamma = 0`` (one state, rewards
    (1, 0)) its right side is 0 at ``k = 1`` while the gap is ``1/(1 + e^eta_0)``
    (``tests/bounds/test_rates.py``), and random Garnets at ``gamma = 0.1`` violate it by up to 3.5x.
  - ``"derived"`` -- what the three-point lemma of mirror descent proves (the argument of [Xiao22]
    §4, constants worked out here): per state ``V* - V^{k+1} <= gamma P_{pi*} (V* - V^k) +
    (D_k - D_{k+1}) / eta_k`` (``D_k(s) = KL(pi*(.|s) || pi_k(.|s))``); weighting by
    ``d* = d_rho^{pi*}`` (``d*^T gamma P_{pi*} = d*^T - (1-gamma) rho^T``) and using
    ``d*(s) <= ||d*/rho||_inf rho(s)`` gives, for any ``eta_{k+1} >= eta_k / r``,
    ``Delta_k(d*) <= r^(k-1) (r Delta_0(d*) + D_0 / eta_0)`` for ``k >= 1``, with
    ``Delta_k(d*) = sum_s d*(s) (V* - V^{pi_k})(s)`` and ``r = 1 - (1-gamma)/||d*/rho||_inf >= gamma``.
    ``eta_k = eta_0/gamma^k`` satisfies the step condition for every ``r >= gamma``. The rate is
    ``gamma^k`` exactly when ``d_rho^{pi*} = rho`` (``rho`` stationary for ``pi*``: the setting of
    [Lan22]); in general it is ``1 - 1/vartheta_rho`` with ``vartheta_rho = ||d*/rho||_inf/(1-gamma)``,
    the mismatch coefficient of [Xiao22].

Confirmation (honest status)
----------------------------
The search tool available when this was written returned only the openings (abstracts) of the
papers. Confirmed from a secondary source (lecture notes reproducing [AKLM]): the NPG bound
``V^{(T)}(rho) >= V*(rho) - log|A|/(eta T) - 1/((1-gamma)^2 T)`` for ``theta^{(0)} = 0`` and every
``eta > 0``, with no distribution mismatch. Confirmed from the abstracts only: [MXSS] proves an
O(1/t) rate from a Łojasiewicz inequality and a lower bound on the optimal action's probability;
[CCCWC] proves linear convergence for a range of learning rates; [Xiao22] proves linear rates with
geometrically increasing steps. Not confirmed: every constant of [MXSS] Thm 4 (in particular
whether the mismatch term is ``d_mu^{pi*}/mu``, as implemented, or ``d_rho^{pi*}/mu``), the
constants of [CCCWC] Thm 1 and its equation numbers, and the PMD statement of THEORY.md §8 (see
``"derived"`` above for what is proved here instead).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from tabular.divergences import kl_unchecked
from tabular.evaluation import evaluate
from tabular.gradients import softmax_policy_gradient
from tabular.mdp import MDP
from tabular.planning import optimal
from tabular.policies import softmax, uniform
from tabular.regularized import soft_evaluate, soft_optimal
from tabular.validation import (as_float_array, as_policy, as_rng, check_alloc, check_dense_size,
                                check_distribution_rows, check_int, check_real)

from .updates.mirror import entropy_npg_update, pmd_update
from .updates.steps import npg_step

__all__ = ["RateCheck", "RateResult", "npg_rate", "pg_rate", "entropy_npg_rate", "pmd_rate",
           "rate_checks", "unit_rewards", "stationary_of"]

#: Relative tolerance (times 1/(1-gamma)) for ``holds``.
RTOL = 1e-9


@dataclass(frozen=True, eq=False)
class RateCheck:
    """One inequality ``gap[i] <= bound[i]`` checked at iterations ``t[i]`` (arrays read-only).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds.rates import npg_rate, unit_rewards
    >>> check = npg_rate(unit_rewards(T.two_state(0.9)), step=1.0, n_iter=10)["rate"]
    >>> check
    RateCheck('rate', n=10, worst gap/bound=..., violations=0)
    >>> check.holds, bool((check.gap <= check.bound + check.atol).all())
    (True, True)
    """

    name: str
    t: np.ndarray
    gap: np.ndarray
    bound: np.ndarray
    atol: float

    @property
    def ratio(self) -> np.ndarray:
        """``gap / (bound + atol)``: above 1 exactly where the check is violated (the tolerance keeps
        bounds that decay below the floating-point floor from producing meaningless ratios)."""
        return self.gap / (self.bound + self.atol)

    @property
    def worst_ratio(self) -> float:
        return float(np.max(self.ratio)) if self.ratio.size else 0.0

    @property
    def violations(self) -> int:
        return int(np.sum(self.gap > self.bound + self.atol))

    @property
    def holds(self) -> bool:
        return self.violations == 0

    def __repr__(self) -> str:
        return (f"RateCheck({self.name!r}, n={self.t.size}, worst gap/bound={self.worst_ratio:.3g}, "
                f"violations={self.violations})")


@dataclass(frozen=True, eq=False)
class RateResult:
    """A rate theorem checked along one run.

    ``checks`` holds one :class:`RateCheck` per inequality of the theorem; ``holds`` is whether all
    held; ``constants`` the constants used (read-only); ``source`` the paper and theorem.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds.rates import pg_rate, unit_rewards
    >>> r = pg_rate(unit_rewards(T.two_state(0.9)), n_iter=10)
    >>> r.name, r.source, r.holds, [c.name for c in r.checks]
    ('pg', '[MXSS] Theorem 4 and Lemma 8', True, ['rate', 'lemma8'])
    """

    name: str
    source: str
    checks: tuple
    constants: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    notes: str = ""

    def __getitem__(self, key: str) -> RateCheck:
        for c in self.checks:
            if c.name == key:
                return c
        raise KeyError(f"no check named {key!r}; have {[c.name for c in self.checks]}")

    @property
    def holds(self) -> bool:
        return all(c.holds for c in self.checks)

    @property
    def n_checks(self) -> int:
        return int(sum(c.t.size for c in self.checks))

    @property
    def worst_ratio(self) -> float:
        return max(c.worst_ratio for c in self.checks)

    def __repr__(self) -> str:
        parts = ", ".join(f"{c.name}: {c.worst_ratio:.3g}" for c in self.checks)
        return (f"RateResult({self.name!r}, holds={self.holds}, checks={self.n_checks}, "
                f"worst gap/bound {{{parts}}})")


# ----------------------------------------------------------------------------- helpers
def _check_mdp(mdp, unit: bool = True) -> MDP:
    if not isinstance(mdp, MDP):
        raise TypeError(f"mdp must be a tabular.MDP, got {type(mdp).__name__}")
    if unit and (np.min(mdp.R) < 0 or np.max(mdp.R) > 1):
        raise ValueError(f"mdp.R must lie in [0, 1] for the rate theorems (THEORY.md §8), got "
                         f"[{np.min(mdp.R):.3g}, {np.max(mdp.R):.3g}]; see unit_rewards")
    return mdp


def _distribution(x, S: int, name: str, full_support: bool = False) -> np.ndarray:
    arr = as_float_array(x, name, ndim=1)
    if arr.shape != (S,):
        raise ValueError(f"{name} must have shape ({S},), got {arr.shape}")
    check_distribution_rows(arr, name)
    if full_support and np.any(arr <= 0):
        raise ValueError(f"{name} must have full support (every entry > 0), got min {arr.min():.3g}")
    return arr


def _n_iter(n_iter, mdp: MDP) -> int:
    """``n_iter`` an int >= 1 whose records (a policy and a few floats per iteration) fit in memory."""
    n_iter = check_int(n_iter, "n_iter", lo=1)
    check_alloc((8.0 * mdp.n_states * mdp.n_actions + 256.0) * n_iter, "n_iter", n_iter,
                "the per-iteration policies and records")
    return n_iter


def _atol(mdp: MDP, extra: float = 0.0) -> float:
    return RTOL * (1.0 + extra) / (1.0 - mdp.gamma)


def _make(t, gap, bound, name, atol) -> RateCheck:
    arrs = [np.asarray(v, dtype=np.float64) for v in (t, gap, bound)]
    for a in arrs:
        a.flags.writeable = False
    return RateCheck(name, *arrs, atol=float(atol))


def unit_rewards(mdp: MDP) -> MDP:
    """The MDP with rewards mapped affinely onto [0, 1] (``(R - min R)/(max R - min R)``; all zeros
    when ``R`` is constant) -- the setting of the rate theorems. Policies' rankings are unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds.rates import unit_rewards
    >>> m = T.two_state(0.9)
    >>> u = unit_rewards(m)
    >>> float(u.R.min()), float(u.R.max()), bool(np.allclose(u.R, (m.R + 1) / 11))
    (0.0, 1.0, True)
    """
    _check_mdp(mdp, unit=False)
    lo, hi = float(np.min(mdp.R)), float(np.max(mdp.R))
    R = np.zeros_like(mdp.R) if hi == lo else (mdp.R - lo) / (hi - lo)
    return mdp.with_rewards(np.clip(R, 0.0, 1.0))


def stationary_of(mdp: MDP, pi) -> np.ndarray:
    """A stationary distribution ``nu = nu P_pi`` of ``pi`` (the limit of the Cesàro averages from
    ``mdp.rho0``, computed as ``lim_{gamma -> 1} d_rho0^pi`` by one linear solve with gamma near 1
    and a power-iteration polish). Used as the ``rho`` of [Lan22], for which ``d_rho^{pi} = rho``.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds.rates import stationary_of
    >>> m = T.garnet(4, 2, rng=0); pi = T.uniform(m)
    >>> nu = stationary_of(m, pi)
    >>> P_pi = np.einsum("sa,sat->st", pi, m.P)
    >>> bool(np.isclose(nu.sum(), 1)), bool(np.allclose(nu @ P_pi, nu))
    (True, True)
    """
    _check_mdp(mdp, unit=False)
    pi = as_policy(pi, mdp.n_states, mdp.n_actions, name="pi")
    check_dense_size(mdp.n_states, mdp.n_actions, "stationary_of on this MDP", sparse_hint=None)
    P = np.einsum("sa,sat->st", pi, mdp.dense_P())
    nu = evaluate(mdp.with_gamma(1.0 - 1e-9), pi).d
    for _ in range(10_000):
        nxt = nu @ P
        if np.max(np.abs(nxt - nu)) < 1e-15:
            break
        nu = 0.5 * (nu + nxt)  # lazy chain: same stationary distributions, converges if periodic
    nu = np.clip(nu, 0.0, None)
    return nu / nu.sum()


def _values_at(mdp: MDP, pis, rho: np.ndarray) -> np.ndarray:
    return np.array([float(rho @ evaluate(mdp, p).V) for p in pis])


# ----------------------------------------------------------------------------- theorems
def npg_rate(mdp: MDP, step: float, n_iter: int, rho=None) -> RateResult:
    """[AKLM] Theorem 16 along an exact NPG run from ``theta_0 = 0`` (the uniform policy).

    ``pi_{t+1} ∝ pi_t exp(step A_t / (1-gamma))`` (:func:`bounds.updates.npg_step`); checked for
    ``T = 1..n_iter``: ``V*(rho) - V^{(T)}(rho) <= log|A|/(step T) + 1/((1-gamma)^2 T)``.
    ``rho`` defaults to ``mdp.rho0`` (the theorem holds for every ``rho`` simultaneously).

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds import npg_rate
    >>> from bounds.rates import unit_rewards
    >>> r = npg_rate(unit_rewards(T.two_state(0.9)), step=1.0, n_iter=10)
    >>> c = r["rate"]
    >>> r.holds, bool(np.allclose(c.bound, math.log(2) / c.t + 1 / (0.1 ** 2 * c.t)))
    (True, True)
    """
    mdp = _check_mdp(mdp)
    step = check_real(step, "step", positive=True)
    n_iter = _n_iter(n_iter, mdp)
    S, A = mdp.shape
    rho = mdp.rho0 if rho is None else _distribution(rho, S, "rho")
    V_star = float(rho @ optimal(mdp).V)
    pi, pis = uniform(mdp), []
    for _ in range(n_iter):
        pi = npg_step(mdp, pi, step).pi_new
        pis.append(pi)
    T = np.arange(1, n_iter + 1)
    gap = V_star - _values_at(mdp, pis, rho)
    bound = math.log(A) / (step * T) + 1.0 / ((1.0 - mdp.gamma) ** 2 * T)  # [AKLM] Thm 16
    return RateResult("npg", "[AKLM] Theorem 16", (_make(T, gap, bound, "rate", _atol(mdp)),),
                      MappingProxyType({"step": step, "gamma": mdp.gamma, "log_A": math.log(A)}),
                      "theta_0 = 0; V*(rho) - V^(T)(rho)")


def _optimal_actions(mdp: MDP):
    """The optimal policy and its actions ``a*(s)``: ``opt.pi`` is one-hot, and its ties between optimal
    actions are broken by the rule of :mod:`tabular.policies` inside :func:`tabular.optimal` (the
    lowest-index optimal action on exact ties), so ``a*`` does not depend on the CPU."""
    opt = optimal(mdp)
    return opt, np.argmax(opt.pi, axis=1)  # exact: a one-hot row has one 1


def pg_rate(mdp: MDP, n_iter: int, mu=None, rho=None, step: float | None = None) -> RateResult:
    """[MXSS] Theorem 4 and Lemma 8 along an exact softmax policy-gradient run.

    ``theta_{t+1} = theta_t + step dV^{pi_theta}(mu)/dtheta`` with ``dV(mu)/dtheta[s, a] =
    d_mu^pi(s) pi(a|s) A(s, a) / (1-gamma)`` (:func:`tabular.gradients.softmax_policy_gradient` on the
    MDP started from ``mu``), ``theta_1 = 0`` and ``step = (1-gamma)^3/8`` (the theorem's step;
    another ``step`` may be passed, but then the rate check is not a theorem). ``mu`` (default
    ``mdp.rho0``) must have full support; ``rho`` (default ``mu``) is where the gap is measured.
    ``a*(s)`` is the action of the optimal deterministic policy of :func:`tabular.optimal`.

    Checks: ``"rate"`` (Thm 4, with ``c_t`` the running minimum, module docstring) and ``"lemma8"``
    (the Łojasiewicz inequality at every iterate; gap = its right side, bound = ``||grad||_2``).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import pg_rate
    >>> from bounds.rates import unit_rewards
    >>> r = pg_rate(unit_rewards(T.two_state(0.9)), n_iter=10)
    >>> r.holds, r.n_checks, r.worst_ratio <= 1
    (True, 20, True)
    """
    mdp = _check_mdp(mdp)
    n_iter = _n_iter(n_iter, mdp)
    S, A = mdp.shape
    g = mdp.gamma
    mu = _distribution(mdp.rho0 if mu is None else mu, S, "mu", full_support=True)
    rho = mu if rho is None else _distribution(rho, S, "rho")
    theorem_step = (1.0 - g) ** 3 / 8.0
    step = theorem_step if step is None else check_real(step, "step", positive=True)
    mdp_mu = mdp.with_rho0(mu)
    opt, a_star = _optimal_actions(mdp)
    V_star_rho = float(rho @ opt.V)
    d_star_mu = evaluate(mdp_mu, opt.pi).d
    d_star_rho = evaluate(mdp.with_rho0(rho), opt.pi).d
    mismatch = float(np.max(d_star_mu / mu))
    K = 16.0 * S * mismatch**2 * float(np.max(1.0 / mu)) / (1.0 - g) ** 6  # [MXSS] Thm 4
    theta = np.zeros((S, A))
    gaps, c_run, lhs, rhs = [], [], [], []
    c = 1.0
    for _ in range(n_iter):
        pi = softmax(theta)
        ev = evaluate(mdp_mu, pi)
        grad = softmax_policy_gradient(mdp_mu, theta, ev=ev)  # = d_mu pi A / (1-gamma)
        gap = V_star_rho - float(rho @ ev.V)
        p_star = float(np.min(pi[np.arange(S), a_star]))
        c = min(c, p_star)
        with np.errstate(divide="ignore"):
            ratio = float(np.max(np.where(d_star_rho > 0, d_star_rho / ev.d, 0.0)))
        gaps.append(gap)
        c_run.append(c)
        lhs.append(float(np.linalg.norm(grad)))
        rhs.append(p_star * max(gap, 0.0) / (math.sqrt(S) * ratio) if ratio > 0 else 0.0)  # [MXSS] Lemma 8
        theta = theta + step * grad
    t = np.arange(1, n_iter + 1)
    bound = K / (np.asarray(c_run) ** 2 * t)
    atol = _atol(mdp)
    checks = [_make(t, gaps, bound, "rate", atol), _make(t, rhs, lhs, "lemma8", atol * 1e-3)]
    return RateResult("pg", "[MXSS] Theorem 4 and Lemma 8", tuple(checks),
                      MappingProxyType({"step": step, "theorem_step": theorem_step, "gamma": g,
                                        "mismatch_mu": mismatch, "c": c, "K": K}),
                      "c_t = running min of pi_t(a*|s); rate is a theorem only at step = (1-gamma)^3/8")


def entropy_npg_rate(mdp: MDP, tau: float, step: float, n_iter: int, pi0=None) -> RateResult:
    """[CCCWC] Theorem 1 along an exact entropy-regularized NPG run (THEORY.md §8).

    From ``pi0`` (default uniform; must have full support),
    ``pi_{t+1} ∝ pi_t^(1 - step tau/(1-gamma)) exp(step Q_tau^{(t)}/(1-gamma))``
    (:func:`bounds.updates.mirror.entropy_npg_update`), ``0 < step <= (1-gamma)/tau``. Checks, for
    ``t = 0..n_iter-1``: ``"Q"``: ``||Q*_tau - Q_tau^{(t+1)}||_inf <= C1 gamma (1 - step tau)^t`` and
    ``"log_pi"``: ``||log pi*_tau - log pi^{(t+1)}||_inf <= 2 C1 (1 - step tau)^t / tau``, with
    ``C1 = ||Q*_tau - Q_tau^{(0)}||_inf + 2 tau (1 - step tau/(1-gamma)) ||log pi*_tau - log pi^{(0)}||_inf``.
    ``pi*_tau``, ``Q*_tau`` come from :func:`tabular.regularized.soft_optimal` (certified error
    bound, added to the tolerance).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import entropy_npg_rate
    >>> from bounds.rates import unit_rewards
    >>> r = entropy_npg_rate(unit_rewards(T.two_state(0.9)), tau=0.1, step=1.0, n_iter=10)
    >>> r.holds, [c.name for c in r.checks]
    (True, ['Q', 'log_pi'])
    """
    mdp = _check_mdp(mdp)
    tau = check_real(tau, "tau", positive=True)
    step = check_real(step, "step", positive=True)
    n_iter = _n_iter(n_iter, mdp)
    g = mdp.gamma
    if step * tau > (1.0 - g) * (1.0 + 1e-12):
        raise ValueError(f"step must satisfy 0 < step <= (1-gamma)/tau = {(1.0 - g) / tau:.6g}, got {step!r}")
    pi = uniform(mdp) if pi0 is None else as_policy(pi0, *mdp.shape, name="pi0")
    if np.any(pi <= 0):
        raise ValueError("pi0 must have full support (the update and the bound use log pi0)")
    opt = soft_optimal(mdp, tau)
    Q_star, log_star = np.asarray(opt.Q), np.log(opt.pi)
    sev = soft_evaluate(mdp, pi, tau)
    C1 = float(np.max(np.abs(Q_star - sev.Q)) + 2.0 * tau * (1.0 - step * tau / (1.0 - g))
               * np.max(np.abs(log_star - np.log(pi))))  # [CCCWC] Thm 1
    qgap, lgap = [], []
    for _ in range(n_iter):
        pi = entropy_npg_update(mdp, pi, tau, step, sev=sev)
        sev = soft_evaluate(mdp, pi, tau)
        qgap.append(float(np.max(np.abs(Q_star - sev.Q))))
        lgap.append(float(np.max(np.abs(log_star - np.log(pi)))))
    t = np.arange(n_iter)
    decay = (1.0 - step * tau) ** t
    atol = _atol(mdp, tau * math.log(mdp.n_actions)) + opt.error_bound
    checks = (_make(t + 1, qgap, C1 * g * decay, "Q", atol),  # [CCCWC] Thm 1, first bound
              _make(t + 1, lgap, 2.0 * C1 * decay / tau, "log_pi", atol / tau))  # second bound
    return RateResult("entropy_npg", "[CCCWC] Theorem 1", checks,
                      MappingProxyType({"tau": tau, "step": step, "gamma": g, "C1": C1,
                                        "rate": 1.0 - step * tau}),
                      "t indexes pi^(t+1); soft values of tabular.regularized")


def pmd_rate(mdp: MDP, eta0: float, n_iter: int, rho=None, pi0=None) -> RateResult:
    """Policy mirror descent with KL and ``eta_k = eta0 / gamma^k`` (THEORY.md §8; [Xiao22], [Lan22]).

    ``pi_{k+1} ∝ pi_k exp(eta_k Q^{pi_k})`` (:func:`bounds.updates.mirror.pmd_update`) from ``pi0``
    (default uniform). Checks for ``k = 1..n_iter`` (module docstring):

    * ``"sheet"``: ``V*(rho) - V^{pi_k}(rho) <= gamma^k (V*(rho) - V^{pi_0}(rho) + D_0/(eta0 (1-gamma)))``;
    * ``"derived"``: ``Delta_k(d*) <= r^(k-1) (r Delta_0(d*) + D_0/eta0)``, ``d* = d_rho^{pi*}``,
      ``r = 1 - (1-gamma)/||d*/rho||_inf`` (``r = 1`` when ``rho`` misses a state ``d*`` visits).

    ``D_0 = sum_s d*(s) KL(pi*(.|s) || pi0(.|s))``. ``gamma = 0`` gives ``eta_k = inf`` for ``k >= 1``
    (the greedy step).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import pmd_rate
    >>> from bounds.rates import unit_rewards
    >>> r = pmd_rate(unit_rewards(T.two_state(0.9)), eta0=1.0, n_iter=10)
    >>> r.holds, [c.name for c in r.checks]
    (True, ['sheet', 'derived'])
    """
    mdp = _check_mdp(mdp)
    eta0 = check_real(eta0, "eta0", positive=True)
    n_iter = _n_iter(n_iter, mdp)
    S, A = mdp.shape
    g = mdp.gamma
    rho = mdp.rho0 if rho is None else _distribution(rho, S, "rho")
    pi = uniform(mdp) if pi0 is None else as_policy(pi0, S, A, name="pi0")
    opt = optimal(mdp)
    d_star = evaluate(mdp.with_rho0(rho), opt.pi).d
    D0 = float(d_star @ kl_unchecked(opt.pi, pi))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(d_star > 0, d_star / rho, 0.0)
    mism = float(np.max(ratios))
    r = 1.0 if not np.isfinite(mism) else 1.0 - (1.0 - g) / mism
    V0 = np.asarray(evaluate(mdp, pi).V)
    gap_rho, gap_d = [], []
    for k in range(n_iter):
        gk = g**k  # 0.0 once gamma^k underflows (tiny gamma); 0.0**0 == 1.0
        step = eta0 / gk if gk > 0 else math.inf
        pi = pmd_update(mdp, pi, step if np.isfinite(step) else math.inf)
        V = np.asarray(evaluate(mdp, pi).V)
        gap_rho.append(float(rho @ (opt.V - V)))
        gap_d.append(float(d_star @ (opt.V - V)))
    k = np.arange(1, n_iter + 1)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # a subnormal eta0: bounds of +inf
        D0_over = np.float64(D0) / np.float64(eta0) if D0 > 0 else 0.0  # 0 * (1/eta0) = 0
        sheet = g**k * (float(rho @ (opt.V - V0)) + D0_over / (1.0 - g))  # THEORY.md §8 form
        derived = r ** (k - 1) * (r * float(d_star @ (opt.V - V0)) + D0_over)  # three-point lemma
    atol = _atol(mdp)
    checks = (_make(k, gap_rho, sheet, "sheet", atol), _make(k, gap_d, derived, "derived", atol))
    return RateResult("pmd", "[Xiao22]/[Lan22] PMD, eta_k = eta0/gamma^k", checks,
                      MappingProxyType({"eta0": eta0, "gamma": g, "D0": D0, "r": r, "mismatch": mism}),
                      "'sheet' = THEORY.md §8 as written (unconfirmed); 'derived' proved in the docstring")


# ----------------------------------------------------------------------------- sweep hook
def rate_checks(mdp: MDP, rng=None, n_iter: int = 60) -> dict:
    """Every rate theorem on one MDP, for a sweep: ``{check name: worst gap/bound}``.

    Rewards are first mapped onto [0, 1] by :func:`unit_rewards` (the setting of the theorems).
    Step sizes are drawn from ``rng``: the NPG step log-uniform in [0.01, 100], ``tau`` in
    [0.01, 1] and ``step tau / (1-gamma)`` in (0, 1], ``eta0`` log-uniform in [0.01, 10]. The
    softmax PG uses its theorem's step with ``mu = uniform`` mixed half-half with ``rho0``.
    A value above 1 is a violation (up to the tolerance in the full results).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import rate_checks
    >>> worst = rate_checks(T.garnet(4, 2, rng=0), rng=0, n_iter=10)
    >>> sorted(worst)
    ['entropy_npg_Q', 'entropy_npg_log_pi', 'npg', 'pg_lemma8', 'pg_mei', 'pmd_derived', 'pmd_sheet']
    >>> all(v <= 1 for v in worst.values())  # gap/bound at most 1: every rate holds
    True
    """
    mdp = unit_rewards(mdp)
    rng = as_rng(rng)
    n_iter = _n_iter(n_iter, mdp)
    g = mdp.gamma
    S = mdp.n_states
    out = {}
    out["npg"] = npg_rate(mdp, float(10 ** rng.uniform(-2, 2)), n_iter).worst_ratio
    pg = pg_rate(mdp, n_iter, mu=0.5 * mdp.rho0 + 0.5 / S)
    out["pg_mei"], out["pg_lemma8"] = pg["rate"].worst_ratio, pg["lemma8"].worst_ratio
    tau = float(10 ** rng.uniform(-2, 0))
    step = (1.0 - g) / tau * float(rng.uniform(0.05, 1.0))
    en = entropy_npg_rate(mdp, tau, step, n_iter)
    out["entropy_npg_Q"], out["entropy_npg_log_pi"] = en["Q"].worst_ratio, en["log_pi"].worst_ratio
    pm = pmd_rate(mdp, float(10 ** rng.uniform(-2, 1)), min(n_iter, 30))
    out["pmd_sheet"], out["pmd_derived"] = pm["sheet"].worst_ratio, pm["derived"].worst_ratio
    return out

"""Iterating any exact update: :func:`run` and its record :class:`UpdateHistory`.

At every step the record holds ``eta``, the surrogate ``L`` of Eq. (3), the minorizer ``M_i`` of
Eq. (10) of [TRPO], the divergences moved and (optionally) the slack of every bound of
:func:`bounds.inequalities.check_all`, so a run of any update can be read as Algorithm 1's MM picture.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from tabular.evaluation import evaluate
from tabular.validation import as_policy, check_int, check_mdp, check_real, check_tolerance

from ..inequalities import check_all, theory_C_of
from .steps import UPDATES, StepResult

__all__ = ["UpdateHistory", "run"]


@dataclass(frozen=True, eq=False)
class UpdateHistory:
    """The record of :func:`run`: one entry per performed step ``i = 0..n-1`` unless said otherwise.

    Attributes
    ----------
    update : str, the update's name.
    eta : (n+1,) ``eta(pi_0), ..., eta(pi_n)``.
    surrogate : (n,) ``L_{pi_i}(pi_{i+1})`` (Eq. (3)).
    M_old : (n,) ``M_i(pi_i) = eta(pi_i)``.
    M_new : (n,) ``M_i(pi_{i+1}) = L_{pi_i}(pi_{i+1}) - C_i D_i`` with ``D_i = D_KL^max(pi_i, pi_{i+1})``
        (``(D_TV^max)^2`` for ``mm_step(penalty="tv")``); ``-inf`` when ``D_i = inf`` and ``C_i > 0``.
    C : (n,) ``C_i``: the coefficient the update used if it has one (``mm_step``: ``info["C"]``),
        otherwise the theory value ``4 eps_i gamma/(1-gamma)^2`` of ``pi_i``.
    C_theory : (n,) the theory value of ``pi_i``.
    kl_max, kl_mean, tv_max : (n,) divergences moved (``kl_mean`` is ``rho``-weighted).
    multiplier : tuple of the steps' multipliers (floats, or arrays for per-state multipliers).
    eta_gain, M_gain : (n,) ``eta(pi_{i+1}) - eta(pi_i)`` and ``M_i(pi_{i+1}) - M_i(pi_i)``.
    policies : tuple of the n+1 policies.
    steps : tuple of the n :class:`StepResult`.
    bound_slack, bound_holds : read-only mappings bound name -> (n,) array of the slack / holds of
        every bound of ``bounds.check_all(mdp, pi_i, pi_{i+1})`` (empty if not recorded).
    monotonic : bool, ``eta_gain >= -atol`` at every step.
    eq10_holds : bool, Eq. (10) of [TRPO] at every step: ``eta_gain >= M_gain - atol`` and
        ``M_gain >= -atol``.
    eq10_applies : bool, whether Eq. (10) is a theorem for this run: ``mm_step`` with ``C_i`` at least
        the theory value at every step (``C_scale >= 1``). For other updates ``M`` uses the theory ``C``
        and its second inequality may fail (a greedy step has ``D_KL^max = inf``): ``eq10_holds`` is
        then a measurement, not a check of the paper.
    atol : float, the verification tolerance of ``monotonic`` and ``eq10_holds``.
    tol : float, the early-stop threshold on the ``eta`` gain.
    converged : bool, whether the run stopped because a step gained less than ``tol`` without
        decreasing ``eta`` (a decrease beyond ``atol`` never counts as converged).

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import run
    >>> m = T.two_state(0.9)
    >>> h = run("mm", m, T.uniform(m), 5)
    >>> h.update, h.eta.shape, h.monotonic, h.eq10_holds
    ('mm', (6,), True, True)
    >>> print(h)
    update=mm  steps=5  monotonic=True  eq10_holds=True  converged=False
    ...
    """

    update: str
    eta: np.ndarray
    surrogate: np.ndarray
    M_old: np.ndarray
    M_new: np.ndarray
    C: np.ndarray
    C_theory: np.ndarray
    kl_max: np.ndarray
    kl_mean: np.ndarray
    tv_max: np.ndarray
    multiplier: tuple
    eta_gain: np.ndarray
    M_gain: np.ndarray
    policies: tuple
    steps: tuple
    bound_slack: MappingProxyType
    bound_holds: MappingProxyType
    monotonic: bool
    eq10_holds: bool
    eq10_applies: bool
    atol: float
    tol: float
    converged: bool

    @property
    def n_steps(self) -> int:
        """Number of steps performed."""
        return int(self.surrogate.shape[0])

    @property
    def pi(self) -> np.ndarray:
        """The last policy."""
        return self.policies[-1]

    def _title(self) -> str:
        eq10 = f"eq10_holds={self.eq10_holds}" if self.eq10_applies else \
            f"eq10: not a theorem for this run (measured {self.eq10_holds})"
        return (f"update={self.update}  steps={self.n_steps}  monotonic={self.monotonic}  {eq10}  "
                f"converged={self.converged}")

    def table(self, max_rows: int | None = 40) -> str:
        """A plain-text table, one row per step (the first and last rows if there are many)."""
        head = (f"{'i':>4} {'eta_i':>13} {'L(pi_i+1)':>13} {'M(pi_i+1)':>13} {'C_i':>10} "
                f"{'KLmax':>10} {'TVmax':>10} {'eta gain':>11} {'M gain':>11}")
        if self.bound_slack:
            head += f" {'min slack':>11}"
        lines = [self._title(), head, "-" * len(head)]
        n = self.n_steps
        rows = list(range(n))
        if max_rows is not None and n > max_rows:
            rows = rows[: max_rows // 2] + [-1] + rows[n - max_rows // 2:]
        for i in rows:
            if i == -1:
                lines.append(f"{'...':>4}")
                continue
            line = (f"{i:>4} {self.eta[i]:>13.8g} {self.surrogate[i]:>13.8g} {self.M_new[i]:>13.8g} "
                    f"{self.C[i]:>10.4g} {self.kl_max[i]:>10.3g} {self.tv_max[i]:>10.3g} "
                    f"{self.eta_gain[i]:>11.4g} {self.M_gain[i]:>11.4g}")
            if self.bound_slack:
                line += f" {min(v[i] for v in self.bound_slack.values()):>11.4g}"
            lines.append(line)
        lines.append(f"{'end':>4} {self.eta[-1]:>13.8g}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return (f"UpdateHistory({self._title()}, eta {self.eta[0]:.8g} -> {self.eta[-1]:.8g}, "
                f"S={self.pi.shape[0]}, A={self.pi.shape[1]})")



def _resolve(update) -> tuple[str, Callable[..., StepResult]]:
    if isinstance(update, str):
        if update not in UPDATES:
            raise ValueError(f"update must be one of {sorted(UPDATES)} or a step function, got {update!r}")
        return update, UPDATES[update]
    for name, fn in UPDATES.items():
        if update is fn:
            return name, fn
    if callable(update):
        return getattr(update, "__name__", "custom"), update
    raise TypeError(f"update must be a name or a callable, got {update!r}")


def _record(res: StepResult, ev, rec: dict) -> None:
    """Append step ``res`` to ``rec``: ``L``, ``M_new`` of Eq. (10), ``C_i`` and the divergences."""
    C_th = theory_C_of(ev)
    C_i = float(res.info["C"]) if "C" in res.info else C_th
    L = float(res.info["surrogate"])
    D = res.tv_max**2 if res.info.get("penalty") == "tv" else res.kl_max
    M_new = L - (0.0 if C_i == 0 else C_i * D)  # Eq. (10)
    for k, v in (("surrogate", L), ("M_new", M_new), ("C", C_i), ("C_theory", C_th),
                 ("kl_max", res.kl_max), ("kl_mean", res.kl_mean), ("tv_max", res.tv_max)):
        rec[k].append(v)


def run(update, mdp, pi0, n_iter: int, tol: float = 1e-12, record_bounds: bool = True,
        atol: float | None = None, **update_kwargs) -> UpdateHistory:
    """Iterate an update from ``pi0`` and record Eq. (10) of [TRPO] at every step.

    At step ``i``: evaluate ``pi_i`` exactly, ``pi_{i+1} = update(mdp, pi_i, ev=ev_i, **update_kwargs)``,
    and record ``eta(pi_i)``, ``L_{pi_i}(pi_{i+1})``, ``M_i(pi_i) = eta(pi_i)``,
    ``M_i(pi_{i+1}) = L_{pi_i}(pi_{i+1}) - C_i D_KL^max(pi_i, pi_{i+1})`` (``C_i`` as in
    :class:`UpdateHistory`), the KL and TV moved, and (``record_bounds``) the slack of every bound of
    ``bounds.check_all(mdp, pi_i, pi_{i+1})``. Stops after ``n_iter`` steps, or early after a step
    whose ``eta`` gain lies in ``[-atol, tol)`` (converged); a step that decreases ``eta`` by more
    than ``atol`` is recorded and the run goes on (``monotonic`` is then False).

    Parameters
    ----------
    update : a step function of :mod:`bounds.updates` (or any callable with the same signature and a
        :class:`StepResult` result), or its name: ``"mm"``, ``"cpi"``, ``"trust_region"``,
        ``"kl_penalty"``, ``"npg"``, ``"pg"``, ``"pi"``.
    mdp : MDP. pi0 : (S, A) initial policy. n_iter : int >= 0, maximum number of steps.
    tol : float, the early-stop threshold on the gain; ``-inf`` never stops early.
    record_bounds : bool.
    atol : finite float >= 0, the verification tolerance of ``monotonic`` and ``eq10_holds``
        (default ``1e-12 (1 + max|eta|)``, the round-off floor). Kept apart from ``tol``.
    **update_kwargs : passed to the update (e.g. ``delta``).

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds import run, trust_region_step
    >>> m = T.garnet(4, 2, rng=0)
    >>> h = run(trust_region_step, m, T.uniform(m), 5, delta=0.05)
    >>> bool(np.all(np.diff(h.eta) >= -1e-12)), bool(np.all(h.kl_max <= 0.05 + 1e-12))
    (True, True)
    """
    name, fn = _resolve(update)
    mdp = check_mdp(mdp)
    n_iter = check_int(n_iter, "n_iter", lo=0)
    tol = check_real(tol, "tol", allow_inf=True) if tol != -np.inf else -np.inf
    atol_given = None if atol is None else check_tolerance(atol, "atol")
    if "ev" in update_kwargs:
        raise ValueError("run evaluates every policy itself; do not pass ev")
    pi = as_policy(pi0, mdp.n_states, mdp.n_actions, name="pi0")
    ev = evaluate(mdp, pi)
    etas, pols, steps = [float(ev.eta)], [pi], []
    rec = {k: [] for k in ("surrogate", "M_new", "C", "C_theory", "kl_max", "kl_mean", "tv_max")}
    slack: dict[str, list] = {}
    holds: dict[str, list] = {}
    converged = False
    for _ in range(n_iter):
        res = fn(mdp, pi, ev=ev, **update_kwargs)
        pi_new = as_policy(res.pi_new, mdp.n_states, mdp.n_actions, name="pi_new")
        ev_new = evaluate(mdp, pi_new)
        _record(res, ev, rec)
        if record_bounds:
            for r in check_all(mdp, pi, pi_new, ev=ev).results:
                slack.setdefault(r.name, []).append(float(r.slack))
                holds.setdefault(r.name, []).append(bool(r.holds))
        steps.append(res)
        gain = float(ev_new.eta) - float(ev.eta)
        pi, ev = pi_new, ev_new
        etas.append(float(ev.eta))
        pols.append(pi)
        floor = atol_given if atol_given is not None else 1e-12 * (1.0 + max(abs(e) for e in etas))
        if -floor <= gain < tol:
            converged = True
            break
    return _history(name, etas, pols, steps, rec, slack, holds, atol_given, tol, converged)


def _history(name, etas, pols, steps, rec, slack, holds, atol, tol, converged) -> UpdateHistory:
    eta = np.array(etas)
    M_old = eta[:-1].copy()
    arr = {k: np.array(v, dtype=np.float64) for k, v in rec.items()}
    eta_gain = np.diff(eta)
    M_gain = arr["M_new"] - M_old
    if atol is None:
        atol = 1e-12 * (1.0 + float(np.max(np.abs(eta))))
    monotonic = bool(np.all(eta_gain >= -atol))
    eq10 = bool(np.all(eta_gain >= M_gain - atol) and np.all(M_gain >= -atol))
    applies = name == "mm" and bool(np.all(arr["C"] >= arr["C_theory"] * (1.0 - 1e-12)))
    return UpdateHistory(
        update=name, eta=eta, surrogate=arr["surrogate"], M_old=M_old, M_new=arr["M_new"],
        C=arr["C"], C_theory=arr["C_theory"], kl_max=arr["kl_max"], kl_mean=arr["kl_mean"],
        tv_max=arr["tv_max"], multiplier=tuple(s.multiplier for s in steps), eta_gain=eta_gain,
        M_gain=M_gain, policies=tuple(pols), steps=tuple(steps),
        bound_slack=MappingProxyType({k: np.array(v) for k, v in slack.items()}),
        bound_holds=MappingProxyType({k: np.array(v, dtype=bool) for k, v in holds.items()}),
        monotonic=monotonic, eq10_holds=eq10, eq10_applies=applies, atol=atol, tol=tol,
        converged=converged,
    )

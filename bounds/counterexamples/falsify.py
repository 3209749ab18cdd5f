"""Falsify a claimed bound under a time budget: search, shrink, certify.

:func:`falsify` runs :func:`.search.find_violation` in rounds that alternate the instance size
(2 x 2, 3 x 2, then the requested size), the local method (Nelder-Mead, CMA-ES) and whether the
transition probabilities are optimized too, until a violation is found or 60% of the budget is
spent; a violation is then shrunk (:func:`.shrink.shrink`) with the rest of the budget and
certified (:mod:`.certificate`). For a claim that holds, the result carries the smallest slack found
and, either way, the effort behind it (:attr:`Falsification.effort`: instances evaluated, restarts,
seconds, the discounts and sizes searched, the methods and objectives).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .certificate import Certificate, Verification, claim_label, make_certificate, verify_certificate
from .search import ViolationSearch, find_violation
from .shrink import Shrunk, shrink

__all__ = ["Falsification", "falsify", "search_rounds"]


@dataclass(frozen=True, eq=False)
class Falsification:
    """Outcome of :func:`falsify`: the best search result, its shrunk form and certificate when violated.

    Examples
    --------
    >>> from bounds.counterexamples import Falsification, falsify
    >>> res = falsify("theorem1", time_budget=0.5, rng=0)
    >>> print(isinstance(res, Falsification), res.claim, res.found, res.shrunk)
    True theorem1 False None
    >>> print(res.verification.message.startswith("not violated"), res.effort["evaluations"] > 0)
    True True
    """

    claim: str
    found: bool
    search: ViolationSearch
    shrunk: Shrunk | None
    certificate: Certificate
    verification: Verification
    seconds: float
    n_rounds: int
    effort: dict | None = None

    def effort_text(self) -> str:
        """One line: the effort behind the answer (instances, rounds, seconds, discounts, sizes, methods)."""
        e = self.effort or {}
        lo, hi = e.get("gamma_range", (float("nan"), float("nan")))
        sizes = ", ".join(f"{S}x{A}" for S, A in e.get("sizes", ()))
        return (f"searched {e.get('evaluations', 0)} instances in {e.get('restarts', 0)} restarts "
                f"({self.n_rounds} rounds), {e.get('seconds', self.seconds):.1f} s, gamma in [{lo:.4g}, {hi:.4g}], "
                f"sizes {sizes}, methods {'/'.join(e.get('methods', ()))}, objectives "
                f"{'/'.join(e.get('objectives', ()))}" + (", transitions optimized in some rounds"
                                                          if e.get("transitions") else ""))

    def __repr__(self) -> str:
        s = f"Falsification({self.claim!r}, found={self.found}, "
        if self.found and self.shrunk is not None:
            S, A = self.shrunk.shape
            s += f"S={S}, A={A}, max_denominator={self.shrunk.max_denominator}, "
        e = self.effort or {}
        return s + f"slack={self.search.slack:.3g}, {e.get('evaluations', 0)} instances, {self.seconds:.1f} s)"


def search_rounds(n_states: int, n_actions: int):
    """The cycle of ``(S, A, method, optimize_transitions)`` the search goes through.

    Examples
    --------
    >>> from bounds.counterexamples.falsify import search_rounds
    >>> rounds = search_rounds(3, 2)
    >>> print(len(rounds), rounds[:3])
    8 [(2, 2, 'nelder-mead', False), (3, 2, 'nelder-mead', False), (2, 2, 'cma', False)]
    """
    sizes = sorted({(2, 2), (min(3, n_states), min(2, n_actions)), (n_states, n_actions)})
    sizes = [(s, a) for s, a in sizes if s <= n_states and a <= n_actions] or [(n_states, n_actions)]
    out = []
    for method, trans in (("nelder-mead", False), ("cma", False), ("nelder-mead", True), ("cma", True)):
        out += [(s, a, method, trans) for s, a in sizes]
    return out


def falsify(candidate, *, time_budget: float = 60.0, n_states: int = 3, n_actions: int = 2,
            gamma_range: tuple = (1e-3, 0.99), rng=0, max_denominator: int = 100,
            rounds: int | None = None) -> Falsification:
    """Search for a violation of ``candidate`` within ``time_budget`` seconds, then shrink and certify it.

    With ``rounds`` given, the search runs exactly that many rounds (fewer if a violation is found) with
    no clock in it, so its answer is the same on every machine, fast or loaded; ``time_budget`` then
    only bounds the shrink. Without it, the search stops at 60% of ``time_budget`` (what it finds then
    depends on the machine's speed).

    ``candidate`` is a named claim (:data:`.claims.CLAIMS`), a :class:`~.claims.Claim` or a callable
    ``(mdp, pi, pi_new) -> lower bound`` (or an object with ``rhs``). Sizes are at most
    ``n_states`` x ``n_actions``.

    Examples
    --------
    >>> from bounds.counterexamples import falsify
    >>> res = falsify("theorem1", time_budget=0.5, rng=0)  # a theorem: never violated
    >>> print(res.found, res.verification.proven, res.verification.message.startswith("not violated"))
    False False True
    >>> print(res.effort_text().startswith("searched"))
    True
    """
    from .claims import claim_named

    if isinstance(candidate, str):
        candidate = claim_named(candidate)
    if not callable(candidate):
        raise TypeError(f"candidate must be callable or a claim name, got {type(candidate).__name__}")
    if isinstance(time_budget, bool) or not isinstance(time_budget, (int, float, np.integer, np.floating)):
        raise TypeError(f"time_budget must be a number of seconds, got {type(time_budget).__name__}")
    if not (math.isfinite(time_budget) and time_budget > 0):
        raise ValueError(f"time_budget must be a positive finite number of seconds, got {time_budget}")
    for name, v in (("n_states", n_states), ("n_actions", n_actions), ("max_denominator", max_denominator)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if rounds is not None and (isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)) or rounds < 1):
        raise ValueError(f"rounds must be a positive integer or None, got {rounds!r}")
    from .search import _gamma_range

    gamma_range = _gamma_range(gamma_range)
    t0 = time.perf_counter()
    seq = np.random.SeedSequence(rng if isinstance(rng, int) else None)
    plan, counted = search_rounds(int(n_states), int(n_actions)), rounds is not None
    search_end = t0 + 0.6 * time_budget
    best, k = None, 0
    effort = {"evaluations": 0, "restarts": 0, "sizes": [], "methods": [], "objectives": [], "transitions": False}
    while (k < rounds) if counted else (time.perf_counter() < search_end - 0.05):
        S, A, method, trans = plan[k % len(plan)]
        left = None if counted else max(search_end - time.perf_counter(), 0.05)
        res = find_violation(candidate, rng=seq.spawn(1)[0], n_restarts=1, n_states=S, n_actions=A,
                             gamma_range=gamma_range, method=method, optimize_transitions=trans,
                             maxiter=1500 if method == "cma" else 800, time_budget=left)
        k += 1
        effort["evaluations"] += res.n_evaluations
        effort["restarts"] += res.n_restarts
        for key, vals in (("sizes", res.sizes), ("methods", res.methods), ("objectives", res.objectives)):
            effort[key] += [v for v in vals if v not in effort[key]]
        effort["transitions"] = effort["transitions"] or res.transitions
        if best is None or (res.found and not best.found) or (res.found == best.found and res.rel_slack < best.rel_slack):
            best = res
        if best.found:
            break
    effort.update(seconds=round(time.perf_counter() - t0, 2), gamma_range=tuple(gamma_range),
                  sizes=tuple(effort["sizes"]), methods=tuple(effort["methods"]), objectives=tuple(effort["objectives"]))
    if best is None:
        raise ValueError(f"time_budget={time_budget} s is too small for one search round")
    name = claim_label(candidate)[0]
    shrunk = None
    if best.failure is not None:  # the claim failed (raised or NaN): report the instance, nothing to shrink
        cert = make_certificate(best.mdp, best.pi, best.pi_new, name, provenance={"failure": best.failure,
                                                                               "rounds": k})
        ver = Verification(name, False, None, (math.nan, math.nan), "none",
                           f"the claim failed on this instance: {best.failure}")
        return Falsification(name, True, best, None, cert, ver, time.perf_counter() - t0, k, effort)
    if best.found:
        left = max(t0 + time_budget - time.perf_counter(), 5.0)
        try:
            shrunk = shrink(candidate, best.mdp, best.pi, best.pi_new, max_denominator=max_denominator,
                            time_budget=0.8 * left, gamma_range=gamma_range)
        except ValueError:  # the violation is too slight for the shrinker's margin: certify it as found
            shrunk = None
    prov = {"search": repr(best), "rounds": k, "effort": {kk: (list(v) if isinstance(v, tuple) else v)
                                                        for kk, v in effort.items()}}
    if shrunk is not None and shrunk.violated:
        cert = shrunk.certificate(prov)
    else:
        cert = make_certificate(best.mdp, best.pi, best.pi_new, candidate, provenance=prov)
    ver = verify_certificate(cert, bound=candidate)
    return Falsification(name, bool(best.found), best, shrunk, cert, ver, time.perf_counter() - t0, k, effort)

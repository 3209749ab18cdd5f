"""Counterexamples: known non-theorems, a search for violations, shrinking, certificates, the mean-KL frontier.

* :mod:`.known` -- the non-theorems of THEORY.md §6 as claimed lower bounds, replayed on MDP X.
* :mod:`.search` -- :func:`find_violation`, random restarts plus Nelder-Mead or CMA-ES for any claim
  ``(mdp, pi, pi_new) -> lower bound on eta(pi_new)``.
* :mod:`.claims` -- every named claim (the bounds of :mod:`bounds.inequalities` and the non-theorems),
  each with an exact twin; :mod:`.exact` -- rational evaluation and rigorous KL intervals.
* :mod:`.shrink` -- :func:`shrink`: fewer states and actions, small-denominator rationals, a table.
* :mod:`.falsify` -- :func:`falsify`: search under a time budget, shrink, certify.
* :mod:`.frontier` -- the mean-KL frontier of THEORY.md §9: resumable jobs of continuation in gamma
  (:mod:`.continuation`), every reported discount certified exactly.
* :mod:`.weakened` -- weakened versions of true bounds (half, a quarter of the penalty, one more power
  of TV) that the default search must falsify.
* :mod:`.certificate` -- JSON certificates and :func:`verify_certificate` (no floating point).
"""

from .known import (
    Counterexample,
    known_counterexamples,
    mean_kl_candidate,
    mean_tv_squared_candidate,
    squared_mean_tv_candidate,
    surrogate_monotone_candidate,
)
from .search import ViolationSearch, find_violation
from .claims import CLAIMS, Claim, claim_named
from .certificate import Certificate, Verification, load_certificate, make_certificate, verify_certificate
from .shrink import Shrunk, shrink
from .falsify import Falsification, falsify

__all__ = [
    "mean_kl_candidate",
    "mean_tv_squared_candidate",
    "squared_mean_tv_candidate",
    "surrogate_monotone_candidate",
    "Counterexample",
    "known_counterexamples",
    "ViolationSearch",
    "find_violation",
    "CLAIMS",
    "Claim",
    "claim_named",
    "Certificate",
    "Verification",
    "load_certificate",
    "make_certificate",
    "verify_certificate",
    "Shrunk",
    "shrink",
    "Falsification",
    "falsify",
]

"""Counterexamples: known non-theorems, a search for violations, shrinking, certificates, the mean-KL frontier.

* :mod:`.known` -- the non-theorems of THEORY.md §6 as claimed lower bounds, replayed on MDP X.
* :mod:`.search` -- :func:`find_violation`, random restarts plus Nelder-Mead or CMA-ES for any claim
  ``(mdp, pi, pi_new) -> lower bound on eta(pi_new)``.
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

__all__ = [
    "mean_kl_candidate",
    "mean_tv_squared_candidate",
    "squared_mean_tv_candidate",
    "surrogate_monotone_candidate",
    "Counterexample",
    "known_counterexamples",
    "ViolationSearch",
    "find_violation",
]

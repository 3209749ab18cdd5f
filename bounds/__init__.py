"""Policy-improvement bounds of the theory of TRPO, computed exactly on tabular MDPs.

The equations, constants and conventions implemented here (cited as "THEORY.md §N") are on the theory
page shipped with the package: ``bounds.theory()`` returns it, ``bounds.theory(3)`` one section, and
``python -m bounds theory`` prints it (``bounds/THEORY.md``).

* :mod:`bounds.registry` -- the bound as a record: one registry of every bound (and a user's), each
  penalty written once over the theory's named quantities (floats for K instances, exact numbers).
* :mod:`bounds.inequalities` -- every bound (Theorem 1, Eq. (9), CPI, CPO, SPI, span), ``check_all``.
* :mod:`bounds.lemmas` -- both sides of Eq. (1), Lemma 2, Lemma 3, Eq. (4).
* :mod:`bounds.counterexamples` -- known non-theorems and a search for violations of your own claims.
* :mod:`bounds.symbolic` -- sympy proofs of identities for symbolic MDPs.
* :mod:`bounds.rates` -- rate theorems of exact NPG, softmax PG, entropy-regularized NPG and PMD
  (THEORY.md §8), each checked along a run; ``rate_checks`` for sweeps.
* :mod:`bounds.updates` -- the updates that maximize a bound (Algorithm 1, CPI, trust regions, NPG,
  PG, PI), their iteration, the practical step, and their solvers.

Examples
--------
>>> import tabular as T
>>> import bounds
>>> m = T.two_state(0.9)
>>> table = bounds.check_all(m, T.uniform(m), T.random_policy(m, rng=0))
>>> table.all_hold, all(r.slack >= 0 for r in table)
(True, True)
"""

from tabular._version import __version__

from .inequalities import (
    BoundResult,
    BoundTable,
    assert_bound,
    check_all,
    check_bound,
    cpi_alpha_star,
    cpi_bound,
    cpi_decomposition,
    cpo_bound,
    cpo_f_tightening,
    cpo_general_bound,
    kl02_bound,
    kl_bound,
    span_bound,
    spi_bound,
    theorem1,
    theorem1_tight,
    theory_C,
)
from .registry import Bound, bound_named, register
from .rates import RateResult, entropy_npg_rate, npg_rate, pg_rate, pmd_rate, rate_checks

from .theory_page import theory
from .updates import (
    SolverError,
    UpdateHistory,
    StepResult,
    cpi_step,
    entropy_npg_update,
    kl_penalty_step,
    mm_step,
    npg_step,
    pg_step,
    pi_step,
    pmd_update,
    run,
    trust_region_step,
)

__all__ = [
    "__version__",
    "SolverError", "UpdateHistory", "StepResult", "cpi_step", "kl_penalty_step", "mm_step", "npg_step",
    "pg_step", "pi_step", "run", "trust_region_step",
    "BoundResult", "BoundTable", "assert_bound", "check_all", "check_bound", "Bound", "register", "bound_named", "cpi_alpha_star", "cpi_bound",
    "cpi_decomposition", "cpo_bound", "kl02_bound", "kl_bound", "span_bound", "spi_bound",
    "theorem1", "theorem1_tight", "theory_C", "cpo_general_bound", "cpo_f_tightening",
    "npg_rate", "pg_rate", "entropy_npg_rate", "pmd_rate", "rate_checks", "RateResult",
    "pmd_update", "entropy_npg_update", "theory",
]

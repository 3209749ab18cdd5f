"""Policy-improvement bounds of the theory of TRPO, computed exactly on tabular MDPs.

* :mod:`bounds.inequalities` -- every bound (Theorem 1, Eq. (9), CPI, CPO, SPI, span), ``check_all``.
* :mod:`bounds.lemmas` -- both sides of Eq. (1), Lemma 2, Lemma 3, Eq. (4).
* :mod:`bounds.counterexamples` -- known non-theorems and a search for violations of your own claims.
* :mod:`bounds.symbolic` -- sympy proofs of identities for symbolic MDPs.
* :mod:`bounds.updates` -- the updates that maximize a bound (Algorithm 1, CPI, trust regions, NPG,
  PG, PI), their iteration, the practical step, and their solvers.
"""

from .inequalities import (
    BoundResult,
    BoundTable,
    assert_bound,
    check_all,
    cpi_alpha_star,
    cpi_bound,
    cpi_decomposition,
    cpo_bound,
    kl02_bound,
    kl_bound,
    span_bound,
    spi_bound,
    theorem1,
    theorem1_tight,
    theory_C,
)
from .updates import (
    MMHistory,
    SolverError,
    UpdateHistory,
    StepResult,
    cpi_step,
    kl_penalty_step,
    mm_step,
    npg_step,
    pg_step,
    pi_step,
    run,
    trust_region_step,
)

__all__ = [
    "SolverError", "MMHistory", "UpdateHistory", "StepResult", "cpi_step", "kl_penalty_step", "mm_step", "npg_step",
    "pg_step", "pi_step", "run", "trust_region_step",
    "BoundResult", "BoundTable", "assert_bound", "check_all", "cpi_alpha_star", "cpi_bound",
    "cpi_decomposition", "cpo_bound", "kl02_bound", "kl_bound", "span_bound", "spi_bound",
    "theorem1", "theorem1_tight", "theory_C",
]

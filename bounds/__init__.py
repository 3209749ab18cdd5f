"""Policy-improvement bounds of the theory of TRPO, computed exactly on tabular MDPs.

The equations, constants and conventions implemented here (cited as "THEORY.md §N") are on the theory
page shipped with the package: ``bounds.theory()`` returns it, ``bounds.theory(3)`` one section, and
``python -m bounds theory`` prints it (``bounds/THEORY.md``).
"""

from .core import (
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

from .solvers import SolverError
from .theory_page import theory
from .updates import (
    MMHistory,
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
    "SolverError", "MMHistory", "StepResult", "cpi_step", "kl_penalty_step", "mm_step", "npg_step",
    "pg_step", "pi_step", "run", "trust_region_step",
    "BoundResult", "BoundTable", "assert_bound", "check_all", "cpi_alpha_star", "cpi_bound",
    "cpi_decomposition", "cpo_bound", "kl02_bound", "kl_bound", "span_bound", "spi_bound",
    "theorem1", "theorem1_tight", "theory_C", "theory",
]

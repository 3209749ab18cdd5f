"""Policy-improvement bounds of the theory of TRPO, computed exactly on tabular MDPs."""

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

__all__ = [
    "BoundResult", "BoundTable", "assert_bound", "check_all", "cpi_alpha_star", "cpi_bound",
    "cpi_decomposition", "cpo_bound", "kl02_bound", "kl_bound", "span_bound", "spi_bound",
    "theorem1", "theorem1_tight", "theory_C",
]

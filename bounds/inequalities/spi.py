"""[SPI] (Pirotta et al. 2013) Theorem 3.5 in [TRPO] units (THEORY.md §3); the penalty is the registry's
``"spi"`` record."""

from __future__ import annotations

from .base import one_result, prepare
from .results import BoundResult

__all__ = ["spi_bound"]


def spi_bound(mdp, pi, pi_new, *, ev=None, ev_new=None, atol=None) -> BoundResult:
    """[SPI] (Pirotta et al. 2013) Theorem 3.5, in [TRPO] units::

        eta(pi_new) - eta(pi) >= sum_s rho_pi(s) Abar(s) - (gamma / (1-gamma)^2) ||pi_new - pi||_inf dA / 2

    with ``||pi_new - pi||_inf = max_s sum_a |pi_new - pi|`` (= 2 max-TV) and
    ``dA = max_s Abar(s) - min_s Abar(s)``. [SPI] writes ``(1/(1-gamma)) d_pi . Abar`` = ``rho_pi . Abar``.

    Examples
    --------
    >>> import tabular as T
    >>> from bounds import spi_bound
    >>> m = T.two_state(0.9); pi = T.uniform(m); pn = T.random_policy(m, rng=0)
    >>> r = spi_bound(m, pi, pn)
    >>> print(r.name, r.holds, f"{r.slack:.4f}")
    spi True 0.2302
    """
    return one_result("spi", prepare(mdp, pi, pi_new, ev, ev_new, atol))


spi_bound.__bound__ = "spi"

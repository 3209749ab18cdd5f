"""[SPI] (Pirotta et al. 2013) Theorem 3.5 in [TRPO] units (THEORY.md §3)."""

from __future__ import annotations

import numpy as np

from .base import NOTE_TRPO, Instance, make_result, prepare
from .results import BoundResult

__all__ = ["spi_bound", "spi_bound_of"]

def spi_bound(mdp, pi, pi_new, *, ev=None, ev_new=None, atol=None) -> BoundResult:
    """[SPI] (Pirotta et al. 2013) Theorem 3.5, in [TRPO] units::

        eta(pi_new) - eta(pi) >= sum_s rho_pi(s) Abar(s) - (gamma / (1-gamma)^2) ||pi_new - pi||_inf dA / 2

    with ``||pi_new - pi||_inf = max_s sum_a |pi_new - pi|`` (= 2 max-TV) and
    ``dA = max_s Abar(s) - min_s Abar(s)``. [SPI] writes ``(1/(1-gamma)) d_pi . Abar`` = ``rho_pi . Abar``.
    """
    return spi_bound_of(prepare(mdp, pi, pi_new, ev, ev_new, atol))


def spi_bound_of(inst: Instance) -> BoundResult:
    g = inst.mdp.gamma
    dist = float(np.max(np.abs(inst.pi_new - inst.pi).sum(axis=1)))
    spread = float(np.max(inst.Abar) - np.min(inst.Abar))
    penalty = g / (1.0 - g) ** 2 * dist * spread / 2.0  # [SPI] Thm 3.5
    return make_result(inst, "spi", "[SPI] Theorem 3.5", penalty, False,
                   dict(l1_inf=dist, delta_Abar=spread, gamma=g), "rho unnormalized; " + NOTE_TRPO)

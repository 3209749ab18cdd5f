"""The mean-KL frontier of THEORY.md §9: the largest discount at which a violation is found and certified.

The mean-KL forms ``eta(pi_new) >= L - C sum_s w(s) KL(pi(.|s) || pi_new(.|s))`` (``w = rho`` or
``d``; Eq. (9) with its max replaced by a mean) are false at gamma = 0.01 (THEORY.md §6). For each
size ``S x A``, :func:`frontier_point` scans bands of discounts upward, searching inside each band
(:func:`.search.find_violation` with gamma free within the band) and certifying every violation
exactly (:func:`.certificate.verify_certificate`); the scan stops after ``patience`` consecutive
bands without a violation. The frontier is the largest certified gamma.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .certificate import make_certificate, verify_certificate
from .claims import claim_named
from .search import find_violation

__all__ = ["FrontierPoint", "frontier_point", "describe_structure", "GAMMA_GRID"]

#: Discounts scanned upward.
GAMMA_GRID = (0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.2, 0.4)  # band i is [GAMMA_GRID[i], GAMMA_GRID[i+1]]


@dataclass(frozen=True, eq=False)
class FrontierPoint:
    """One ``(S, A, weights, method)`` scan.

    ``gamma_max`` is the largest discount with a certified violation (0 if none);
    ``found[i]``/``rel_slack[i]`` are per band ``[gammas[i], next grid point]``; ``certificate`` is the extreme instance's
    certificate (a dict, or ``None``) and ``structure`` a short description of it.
    """

    S: int
    A: int
    weights: str
    method: str
    gammas: tuple
    found: tuple
    rel_slack: tuple
    gamma_max: float
    margin: float
    structure: str
    certificate: dict | None
    seconds: float

    def __repr__(self) -> str:
        return (f"FrontierPoint(S={self.S}, A={self.A}, {self.weights}, {self.method}, gamma_max={self.gamma_max}, "
                f"tested={len(self.gammas)})")


def describe_structure(mdp, pi, pi_new) -> str:
    """Absorbing states, deterministic rows, start state and the smallest probability of ``pi``."""
    P = mdp.dense_P()
    S, A = mdp.shape
    absorbing = sum(bool(np.all(P[s, :, s] > 1 - 1e-6)) for s in range(S))
    det = int(np.sum(P.max(axis=2) > 1 - 1e-6))
    return (f"{absorbing} absorbing, {det}/{S * A} deterministic rows, start s{int(np.argmax(mdp.rho0))}, "
            f"min pi {float(np.min(pi)):.2g}, max TV {float(np.max(0.5 * np.abs(pi - pi_new).sum(1))):.2g}")


def frontier_point(S: int, A: int, weights: str = "rho", method: str = "nelder-mead", *,
                   gammas=GAMMA_GRID, restarts_per_gamma: int = 4, patience: int = 2, rng=0) -> FrontierPoint:
    """Scan ``gammas`` upward for certified violations of the mean-KL form (see the module docstring).

    Deterministic for a given ``rng``: each discount gets ``restarts_per_gamma`` seeded restarts."""
    import time

    if weights not in ("rho", "d"):
        raise ValueError(f"weights must be 'rho' or 'd', got {weights!r}")
    claim = claim_named("mean_kl" if weights == "rho" else "mean_kl_d")
    t0 = time.perf_counter()
    seeds = np.random.SeedSequence(rng).spawn(len(gammas))
    found, rels, tested = [], [], []
    best, misses = None, 0
    for g, g_hi, seed in zip(gammas[:-1], gammas[1:], seeds):
        res = find_violation(claim, rng=seed, n_restarts=restarts_per_gamma, n_states=S,
                             n_actions=A, gamma_range=(g, g_hi), method=method,
                             maxiter=1500 if method == "cma" else 800)
        ok = False
        if res.found:
            cert = make_certificate(res.mdp, res.pi, res.pi_new, claim)
            ver = verify_certificate(cert)
            ok = ver.proven
            if ok:
                best = (res.mdp.gamma, float(ver.violated_by), describe_structure(res.mdp, res.pi, res.pi_new), cert.to_dict())
        tested.append(g)
        found.append(ok)
        rels.append(res.rel_slack)
        misses = 0 if ok else misses + 1
        if misses >= patience:
            break
    g_max, margin, struct, cert = best if best else (0.0, 0.0, "", None)
    return FrontierPoint(S, A, weights, method, tuple(tested), tuple(found), tuple(rels), g_max, margin, struct,
                         cert, time.perf_counter() - t0)

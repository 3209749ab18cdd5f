"""Independent numpy computations and shared settings of the sweep tests."""

from __future__ import annotations

import numpy as np

FAMS = ("garnet", "gridworld", "chain", "frozenlake")
GAMMAS = (0.5, 0.9, 0.99)
N = 40
STEPS = 1  # update steps per instance (the CLI default is 3); keeps the tests fast


def files(out, figure=True):
    """The bytes of a sweep's result files."""
    names = ("results.csv", "report.json", "report.txt") + (
        ("sweep_tightness.png", "sweep_tightness.pdf") if figure else ())
    return {name: (out / name).read_bytes() for name in names}


def eta_by_hand(mdp, pi):
    """eta = rho0 . (I - gamma P_pi)^{-1} r_pi with dense numpy (independent of tabular.evaluate)."""
    P = mdp.dense_P()
    P_pi = np.einsum("sa,sat->st", pi, P)
    r_pi = np.einsum("sa,sa->s", pi, mdp.R)
    S = P.shape[0]
    V = np.linalg.solve(np.eye(S) - mdp.gamma * P_pi, r_pi)
    return float(mdp.rho0 @ V), V, P_pi


def surrogate_by_hand(mdp, pi, pi_new):
    """L = eta + rho . sum_a pi_new A, rho = (I - gamma P_pi^T)^{-1} rho0 (Eq. (3))."""
    eta, V, P_pi = eta_by_hand(mdp, pi)
    Q = mdp.R + mdp.gamma * np.einsum("sat,t->sa", mdp.dense_P(), V)
    A = Q - V[:, None]
    rho = np.linalg.solve(np.eye(V.size) - mdp.gamma * P_pi.T, mdp.rho0)
    return eta + float(rho @ np.einsum("sa,sa->s", pi_new, A)), eta, A, rho


def mean_kl_rhs_by_hand(mdp, pi, pi_new):
    """The false mean-KL form L - C sum_s rho(s) KL(pi(.|s) || pi_new(.|s)), by hand."""
    L, _, A, rho = surrogate_by_hand(mdp, pi, pi_new)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pi > 0, pi * np.log(pi / pi_new), 0.0)
    kl = terms.sum(axis=1)
    C = 4 * np.abs(A).max() * mdp.gamma / (1 - mdp.gamma) ** 2
    return L - C * float(rho @ kl)


def _close(a, b, rtol=1e-9, atol=1e-12):
    """Equal, or two floats within ``atol + rtol |a|`` (last bits of a batched reduction)."""
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except (TypeError, ValueError):
        return False
    return abs(x - y) <= atol + rtol * abs(x)


def _same_json(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, int) and isinstance(b, int):
        return a == b  # counts: exact
    return _close(a, b)


def same_results(out_a, out_b) -> None:
    """Assert two sweeps agree: every verdict, count and id exactly, every float to 1e-9 relative.

    Byte identity across executors holds when every chunk is grouped alike; with another chunk size the
    batched engine groups instances differently and, on some numpy builds (1.24 here), a vectorized
    reduction's last bit moves with the grouping. Verdicts never do: they are decided with tolerances.
    """
    import csv
    import json

    ra = list(csv.reader((out_a / "results.csv").read_text().splitlines()))
    rb = list(csv.reader((out_b / "results.csv").read_text().splitlines()))
    assert ra[0] == rb[0] and len(ra) == len(rb)
    for row_a, row_b in zip(ra[1:], rb[1:]):
        bad = [h for h, x, y in zip(ra[0], row_a, row_b) if not _close(x, y)]
        assert not bad, f"id {row_a[0]}: columns {bad} differ"
    assert _same_json(json.loads((out_a / "report.json").read_text()), json.loads((out_b / "report.json").read_text()))

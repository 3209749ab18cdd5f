"""Figure 13: quick-mode smoke run asserting its claim, and the line theorem checked independently."""

from __future__ import annotations

import numpy as np

from experiments import _common
from experiments import fig13_value_polytope as F


def _V(P, R, gamma, pi):
    """V_pi by a direct numpy solve (independent of tabular.evaluate)."""
    P_pi = np.einsum("sa,sat->st", pi, P)
    r_pi = np.einsum("sa,sa->s", pi, R)
    return np.linalg.solve(np.eye(P.shape[0]) - gamma * P_pi, r_pi)


def test_line_theorem_independently():
    rng = np.random.default_rng(123)
    worst = 0.0
    for A in (2, 3):
        for _ in range(10):
            mdp = F.two_state_mdp(A, rng)
            P, R, g = np.asarray(mdp.P), np.asarray(mdp.R), mdp.gamma
            for s in range(2):
                pi = rng.dirichlet(np.ones(A), size=2)
                other = rng.dirichlet(np.ones(A))
                pts = []
                for t in np.linspace(0, 1, 7):
                    q = pi.copy()
                    q[s] = (1 - t) * pi[s] + t * other
                    pts.append(_V(P, R, g, q))
                pts = np.array(pts)
                # collinear <=> the centred points have rank 1: second singular value ~ 0
                sv = np.linalg.svd(pts - pts.mean(0), compute_uv=False)
                worst = max(worst, sv[1] / max(1.0, np.abs(pts).max()))
                # and the line's direction is (I - gamma P_pi)^{-1} e_s (the rank-one argument)
                d = np.linalg.solve(np.eye(2) - g * np.einsum("sa,sat->st", pi, P), np.eye(2)[s])
                u = pts[-1] - pts[0]
                assert abs(u[0] * d[1] - u[1] * d[0]) <= 1e-10 * np.linalg.norm(u) * np.linalg.norm(d) + 1e-14
    assert worst < 1e-10


def test_quick_run_claim_holds_and_writes_files(tmp_path):
    data = F.compute(quick=True, seed=0)
    assert data["verdict"].passed, data["verdict"].key_number
    _common.style()
    _common.save_figure(F.plot(data), tmp_path, F.NAME)
    _common.write_csv(tmp_path / f"{F.NAME}.csv", data["table"])
    assert data["worst_line"] < F.LINE_TOL and data["mono_bad"] == 0 and data["mono_steps"] > 0
    for p in data["panels"]:
        starts = np.array([V[0] for V in p["paths"].values()])
        assert np.allclose(starts, starts[0])  # every update starts from the same policy
        # every sampled value lies within the box of the deterministic policies' values (a polytope
        # whose vertices include them: its bounding box is theirs)
        lo, hi = p["V_det"].min(0), p["V_det"].max(0)
        assert np.all(p["samples"] >= lo - 1e-9) and np.all(p["samples"] <= hi + 1e-9)
    for ext in ("png", "pdf", "csv"):
        assert (tmp_path / f"{F.NAME}.{ext}").stat().st_size > 0

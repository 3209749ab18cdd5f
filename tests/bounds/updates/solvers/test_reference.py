"""Tests of The cvxpy reference programs and their status checks: bounds/updates/solvers/reference.py."""

import numpy as np
import pytest

from bounds.updates import solvers as so
from bounds.updates.solvers import SolverError
from bounds.updates.solvers import reference as ref

from ._helpers import instance

cp = pytest.importorskip("cvxpy")


def test_cvxpy_failure_status_raises_solver_error():
    x = cp.Variable()
    infeasible = cp.Problem(cp.Minimize(x), [x >= 1, x <= 0])
    with pytest.raises(SolverError, match="infeasible"):
        ref.solve_cvxpy(infeasible, "toy")


@pytest.mark.filterwarnings("ignore:Solution may be inaccurate")  # the point of the test
def test_cvxpy_retry_uses_clarabel_default_tolerances(monkeypatch):
    """After 'optimal_inaccurate' at the tight tolerances the retry must pass Clarabel's defaults
    explicitly: cvxpy keeps the previous settings of a problem it solved before, so an empty options
    dict silently retried at 1e-10 (the bug this guards)."""
    import clarabel

    calls, statuses = [], iter(["optimal_inaccurate", "optimal"])

    class Fake:
        status = None

        def solve(self, **kwargs):
            calls.append(kwargs)
            self.status = next(statuses)

    ref.solve_cvxpy(Fake(), "toy")
    assert len(calls) == 2 and calls[0]["tol_feas"] == 1e-10
    default = clarabel.DefaultSettings()
    for key in ("tol_gap_abs", "tol_gap_rel", "tol_feas", "max_iter"):
        assert calls[1][key] == getattr(default, key)
    # and the retry is effective on a problem whose tight solve is inaccurate: Clarabel then reports
    # 'optimal' at the default tolerances (this instance is inaccurate at 1e-10 under a 1/C scaling)
    A, pi, rho = instance(7)
    rho[3] = 0.0
    p, cons, lin, kl = ref.kl_program(A, pi, rho)
    t = cp.Variable(nonneg=True)
    prob = cp.Problem(cp.Maximize(lin / 8.0 - t), cons + [kl <= t])
    prob.solve(solver=cp.CLARABEL, **ref.CLARABEL_OPTIONS)
    # Clarabel-version dependent (inaccurate with Clarabel 0.11 / cvxpy 1.9 here); whichever it is, the
    # reference must end at 'optimal' -- asserted unconditionally, so the check never silently skips
    assert prob.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE)
    assert ref.solve_cvxpy(prob, "toy").status == cp.OPTIMAL


def test_cvxpy_status_is_checked_in_public_solvers(monkeypatch):
    monkeypatch.setattr(cp.Problem, "solve", lambda self, *a, **k: None)
    monkeypatch.setattr(cp.Problem, "status", property(lambda self: "unbounded_inaccurate"))
    A, pi, rho = instance(10)
    with pytest.raises(SolverError, match="unbounded_inaccurate"):
        so.solve_max_kl(A, pi, rho, 0.1, solver="cvxpy")
    with pytest.raises(SolverError, match="unbounded_inaccurate"):
        so.solve_max_kl_penalty(A, pi, rho, 1.0, solver="cvxpy")

"""Tests of experiments/paper_fig3.py: the claim rules (on synthetic summaries, each claim both ways),
the Gymnasium ids, the quick run's table and budget, and byte-identical output for a fixed seed."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.learners import METHODS
from experiments import _common
from experiments import paper_fig3 as F

TASKS = ("small", "big1", "big2", "big3")
N_PARAMS = {"small": 8, "big1": 200, "big2": 300, "big3": 3000}


def _summary(over=None):
    """A summary in which every claim of [TRPO] §8 holds; ``over[(task, method)] = (p, auc)``."""
    base = {"trpo_single_path": (0.9, 0.6), "trpo_vine": (0.85, 0.6), "natural_gradient": (0.5, 0.3),
            "max_kl": (0.8, 0.5), "empirical_fisher": (0.4, 0.3), "cem": (0.2, 0.1), "cma_es": (0.3, 0.2),
            "rwr": (0.1, 0.1)}
    out = {t: dict(base) for t in TASKS}
    for (t, m), v in (over or {}).items():
        out[t][m] = v
    return out


def _verdicts(summary):
    return {c.id: c.reproduced for c in F.judge(summary, N_PARAMS)}


def test_all_claims_reproduce_on_a_summary_where_they_hold():
    assert _verdicts(_summary()) == {f"C{i}": True for i in range(1, 6)}


def test_each_claim_can_fail():
    assert not _verdicts(_summary({("big1", "trpo_vine"): (0.4, 0.3)}))["C1"]  # below 0.5
    assert not _verdicts(_summary({("small", "trpo_vine"): (0.6, 0.4)}))["C1"]  # 0.6 < 0.8 x 0.9
    two = {("small", "natural_gradient"): (0.88, 0.6), ("big1", "natural_gradient"): (0.9, 0.6)}
    assert not _verdicts(_summary(two))["C2"]  # worse on 2/4 only
    assert _verdicts(_summary({("small", "natural_gradient"): (0.88, 0.6)}))["C2"]  # 3/4 suffices
    two = {("small", "empirical_fisher"): (0.9, 0.6), ("big2", "empirical_fisher"): (0.86, 0.6)}
    assert not _verdicts(_summary(two))["C3"]
    assert _verdicts(_summary({("small", "rwr"): (0.9, 0.6)}))["C4"]  # the small task does not count
    assert not _verdicts(_summary({("big3", "cma_es"): (0.5, 0.3)}))["C4"]  # 0.5 > 0.5 x 0.9
    two = {("small", "max_kl"): (0.8, 0.7), ("big1", "max_kl"): (0.6, 0.4)}  # faster; too far behind
    assert not _verdicts(_summary(two))["C5"]


def test_claim_repr_and_text():
    c = F.judge(_summary(), N_PARAMS)[0]
    assert repr(c).startswith("C1: reproduced") and c.text == F.CLAIM_TEXT["C1"]


def test_registered_gymnasium_ids():
    assert F._registered("Taxi").startswith("Taxi-v") and F._registered("Taxi") != "Taxi-v3"
    with pytest.raises(ValueError, match="NoSuchEnv"):
        F._registered("NoSuchEnv")


@pytest.fixture(scope="module")
def tiny_mode():
    mp = pytest.MonkeyPatch()
    mp.setitem(F.MODES, "quick", dict(n_seeds=1, n_iter=1, budget=4000))
    yield
    mp.undo()


def test_quick_table_budget_and_normalization(tiny_mode):
    data = F.compute(quick=True, seed=0)
    t = data["table"]
    assert data["verdict"].passed and len({len(v) for v in t.values()}) == 1
    assert set(t["method"]) == set(METHODS) and len(set(t["task"])) == 4
    start = t["iteration"] == 0
    assert np.all(t["normalized"][start] == 0.0) and np.all(t["env_steps"][start] == 0)
    assert np.all(t["env_steps"][~start] <= 4000)  # one iteration within the budget
    assert [c.id for c in data["claims"]] == ["C1", "C2", "C3", "C4", "C5"]


def test_output_is_byte_identical_for_a_fixed_seed(tiny_mode, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    _common.run_experiment(F, a, quick=True, seed=1)
    _common.run_experiment(F, b, quick=True, seed=1)
    for ext in ("png", "pdf", "csv"):
        assert (a / f"{F.NAME}.{ext}").read_bytes() == (b / f"{F.NAME}.{ext}").read_bytes(), ext


def test_command_line_refuses_full_with_quick():
    with pytest.raises(SystemExit) as e:
        F.main(["--full", "--quick"])
    assert e.value.code == 2

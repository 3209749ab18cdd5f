"""The names renamed in 0.2.0 (CHANGELOG.md, "Changed") still import at their old names and paths for one
release, as the same objects, and the CHANGELOG lists every one."""

import importlib
from pathlib import Path

import numpy as np
import pytest

#: old module path -> new module path
MODULES = {
    "tabular.batch": "tabular.mdp_batch",
    "bounds.batch": "bounds.check_batch",
    "bounds.updates.batch": "bounds.updates.steps_batch",
    "bounds.updates.solvers.batched": "bounds.updates.solvers.algorithm1_batch",
    "experiments.sweep.batched": "experiments.sweep.engine_batched",
}

#: (module, old name, new name)
NAMES = [
    ("tabular", "evaluate_many", "evaluate_policies"),
    ("tabular", "EvaluationBatch", "PolicyEvaluations"),
    ("tabular.evaluation", "evaluate_many", "evaluate_policies"),
    ("tabular.evaluation", "EvaluationBatch", "PolicyEvaluations"),
    ("tabular.mdp_batch", "BatchEvaluation", "MDPBatchEvaluation"),
    ("tabular.batch", "BatchEvaluation", "MDPBatchEvaluation"),
]

CHANGELOG = (Path(__file__).resolve().parents[1] / "CHANGELOG.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("old, new", MODULES.items())
def test_old_module_path_reexports_the_new_module(old, new):
    o, n = importlib.import_module(old), importlib.import_module(new)
    assert o is not n and sorted(o.__all__) == sorted(n.__all__)
    for name in n.__all__:
        assert getattr(o, name) is getattr(n, name), name
    assert f"Renamed to :mod:`{new}` in 0.2.0" in o.__doc__ and "0.3.0" in o.__doc__
    assert f"`{old}`" in CHANGELOG and f"`{new}`" in CHANGELOG


@pytest.mark.parametrize("module, old, new", NAMES)
def test_old_names_are_the_new_objects_and_listed(module, old, new):
    m = importlib.import_module(module)
    assert getattr(m, old) is getattr(m, new)
    assert old in m.__all__ and new in m.__all__
    assert f"`{old}`" in CHANGELOG and f"`{new}`" in CHANGELOG


def test_the_two_evaluations_hold_what_their_names_say():
    """``evaluate_policies``: one MDP, K policies; ``evaluate_batch``: K MDPs, one policy each. Both equal
    a loop of tabular.evaluate (the independent route)."""
    from tabular import evaluate, evaluate_policies, garnet, random_policy
    from tabular.mdp_batch import MDPBatch, MDPBatchEvaluation, evaluate_batch

    mdps = [garnet(4, 2, 2, rng=k, gamma=0.9) for k in range(3)]
    pis = np.stack([random_policy(4, 2, rng=k) for k in range(3)])
    many = evaluate_policies(mdps[0], pis)
    assert type(many).__name__ == "PolicyEvaluations" and len(many) == 3
    assert np.allclose(many.eta, [evaluate(mdps[0], p).eta for p in pis], rtol=1e-12, atol=0)
    batch = MDPBatch.from_mdps(mdps)
    ev = evaluate_batch(batch, pis.reshape(-1, 2))
    assert isinstance(ev, MDPBatchEvaluation)
    assert np.allclose(ev.eta, [evaluate(m, p).eta for m, p in zip(mdps, pis)], rtol=1e-12, atol=0)

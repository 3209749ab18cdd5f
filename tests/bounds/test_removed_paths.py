"""The old-path shims and aliases kept for one release are gone in 0.2.0 (CHANGELOG.md, "Removed")."""

import importlib

import pytest


@pytest.mark.parametrize("old, new", [
    ("bounds.core", "bounds.inequalities"),
    ("bounds.solvers", "bounds.updates.solvers"),
    ("bounds.practical", "bounds.updates.practical"),
    ("bounds.instances", "tabular.instances"),
])
def test_old_shim_paths_are_gone_and_their_homes_import(old, new):
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(old)
    assert importlib.import_module(new).__all__


@pytest.mark.parametrize("module, name", [
    ("bounds", "MMHistory"), ("bounds.updates", "MMHistory"), ("bounds.updates.iteration", "MMHistory"),
    ("tabular.evaluation", "_q_from_v"), ("tabular.sampling", "_first_above"),
    ("tabular.sampling", "_row_cumsum_csr"), ("tabular.gradients", "_as_theta"),
    ("tabular.gradients", "_as_weights"), ("bounds.symbolic", "cpi_alpha_star"),
])
def test_removed_aliases_are_gone(module, name):
    assert not hasattr(importlib.import_module(module), name)

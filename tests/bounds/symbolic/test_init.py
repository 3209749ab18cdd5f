"""Tests of bounds/symbolic/__init__.py: the import surface of the former module bounds/symbolic.py."""

from __future__ import annotations

import importlib

import pytest

import bounds
import bounds.symbolic

#: ``__all__`` of bounds/symbolic.py before it became a package.
OLD_ALL = [
    "SymbolicMDP", "SoftmaxPolicy", "SymbolicEvaluation", "SoftmaxGradient", "KLHessianFisher",
    "CPIStep", "RationalCheck", "symbolic_mdp", "from_arrays", "random_rational_mdp",
    "random_rational_policy", "softmax_policy", "simplex_policy", "evaluate_symbolic",
    "surrogate_symbolic", "prove_surrogate_matches_eta", "prove_first_order_match",
    "eta_gradient_symbolic", "fisher_from_kl_hessian", "cpi_alpha_star", "exact_rational_check",
    "to_tabular", "to_float", "exp_to_symbols",
]


#: Names of ``OLD_ALL`` removed after their release as deprecated aliases (CHANGELOG 0.2.0).
REMOVED = ["cpi_alpha_star"]


@pytest.mark.parametrize("name", [n for n in OLD_ALL if n not in REMOVED])
def test_every_old_public_name_is_importable(name):
    mod = importlib.import_module("bounds.symbolic")
    assert name in mod.__all__
    exec(f"from bounds.symbolic import {name}", {})  # the statement users wrote
    assert getattr(bounds.symbolic, name) is getattr(mod, name)


def test_all_is_the_old_surface_plus_the_new_name_minus_the_removed_alias():
    expected = [n for n in OLD_ALL if n not in REMOVED] + ["derive_cpi_alpha_star"]
    assert sorted(bounds.symbolic.__all__) == sorted(expected)
    assert len(set(bounds.symbolic.__all__)) == len(bounds.symbolic.__all__)


def test_the_deprecated_alias_cpi_alpha_star_is_gone():
    from bounds.symbolic import derive_cpi_alpha_star
    from bounds.symbolic.proofs import derive_cpi_alpha_star as home

    assert derive_cpi_alpha_star is home
    assert not hasattr(bounds.symbolic, "cpi_alpha_star")
    assert not hasattr(importlib.import_module("bounds.symbolic.proofs"), "cpi_alpha_star")
    # the float alpha* of an MDP keeps its own name in bounds.inequalities
    assert bounds.cpi_alpha_star is not derive_cpi_alpha_star


@pytest.mark.parametrize("module", ["exact", "model", "policies", "ring", "evaluation", "proofs"])
def test_each_public_name_has_one_home(module):
    """A name re-exported by the package is the object defined in its submodule."""
    mod = importlib.import_module(f"bounds.symbolic.{module}")
    for name in mod.__all__:
        assert getattr(mod, name).__module__ == mod.__name__, name  # defined there, not imported
        if name in bounds.symbolic.__all__:
            assert getattr(bounds.symbolic, name) is getattr(mod, name), name

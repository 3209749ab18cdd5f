"""Every public function and class carries a numpydoc ``Examples`` section with at least one example."""

from __future__ import annotations

import importlib

import pytest

from tests.docs.api import public_modules, public_names


@pytest.mark.parametrize("module_name", public_modules())
def test_every_public_name_has_an_example(module_name):
    module = importlib.import_module(module_name)
    missing = []
    for name in public_names(module_name):
        doc = getattr(module, name).__doc__ or ""
        if "Examples\n" not in doc or ">>>" not in doc.split("Examples\n", 1)[1]:
            missing.append(name)
    assert not missing, f"{module_name}: no Examples section with '>>>' in {missing}"

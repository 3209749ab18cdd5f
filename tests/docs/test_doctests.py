"""Every docstring example of the packages runs, the scipy way: one test per module, so a failure names it.

Examples are written to be machine independent: numbers are printed rounded (``round``, f-strings) and
never as numpy scalar reprs, which differ between numpy 1.x and 2.x.
"""

from __future__ import annotations

import doctest
import importlib
import os

import matplotlib
import numpy as np
import pytest

from tests.docs.api import public_modules

matplotlib.use("Agg")

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.mark.parametrize("module_name", public_modules())
def test_docstring_examples_run(module_name, tmp_path, monkeypatch):
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = finder.find(module, module_name)
    if not any(t.examples for t in tests):
        pytest.skip(f"{module_name} has no examples")
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    options = np.get_printoptions()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    try:
        for test in sorted(tests, key=lambda t: t.name):
            test.globs.setdefault("__name__", module_name)
            runner.run(test, out=report.append)
    finally:
        np.set_printoptions(**options)
        import matplotlib.pyplot as plt

        plt.close("all")
    failed, attempted = runner.summarize(verbose=False)
    assert failed == 0, f"{failed} of {attempted} examples failed in {module_name}:\n" + "".join(report)

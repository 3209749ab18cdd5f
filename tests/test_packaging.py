"""The declared version bounds and the ``oldest`` session of the matrix cannot drift apart (issue 21).

``pyproject.toml`` declares a minimum for every dependency; ``constraints-oldest.txt`` pins each of them
at that minimum for ``python -m nox -s oldest``; ``noxfile.py`` runs that session on the Python
``requires-python`` names. These tests hold the three equal. Inside a session of the matrix (which sets
``TRPO_MATRIX_SESSION``) every declared dependency must import, and inside ``oldest`` the installed
versions, read back from the installed distributions, must be the pinned ones: the session really tests
the declared minima.
"""
from __future__ import annotations

import ast
import importlib
import os
import pathlib
import re
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

try:
    import tomllib
except ImportError:  # Python 3.10: pytest itself depends on tomli there
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
CONSTRAINTS = ROOT / "constraints-oldest.txt"
NOXFILE = ROOT / "noxfile.py"
TRANSITIVE_MARK = "# transitive"
#: Extras outside the version matrix: the documentation tools (``python -m nox -s docs`` installs them,
#: newest versions) are not dependencies of the test suite, so neither constraints-oldest.txt nor the
#: ``oldest``/``newest`` sessions carry them.
NOT_IN_MATRIX = {"docs"}


def _project():
    with open(PYPROJECT, "rb") as f:
        return tomllib.load(f)["project"]


def declared_minima(project):
    """``{name: minimum}`` over the runtime dependencies and every extra, each with one ``>=`` bound.

    Raises ``ValueError`` naming the requirement when one has no ``>=`` bound, or two, or when the same
    package has two different minima in two places (say the ``test`` and ``notebooks`` extras).
    """
    groups = {"dependencies": project.get("dependencies", [])}
    groups.update({f"optional-dependencies.{k}": v for k, v in project.get("optional-dependencies", {}).items()})
    minima, where = {}, {}
    for group, reqs in groups.items():
        for text in reqs:
            req = Requirement(text)
            lower = [s.version for s in req.specifier if s.operator == ">="]
            if len(lower) != 1:
                raise ValueError(f"{group}: {text!r} must declare exactly one '>=' minimum, has {len(lower)}")
            name = canonicalize_name(req.name)
            if name in minima and Version(minima[name]) != Version(lower[0]):
                raise ValueError(f"{name} has minimum {minima[name]} in {where[name]} but {lower[0]} in {group}")
            minima.setdefault(name, lower[0])
            where.setdefault(name, group)
    return minima


def constraint_pins(text):
    """``(direct, transitive)``: ``{name: version}`` of the ``name==version`` lines before and after the
    line that starts with ``# transitive``. Any other non-comment line is a ``ValueError`` naming it."""
    direct, transitive = {}, {}
    target = direct
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith(TRANSITIVE_MARK):
            target = transitive
        if not stripped or stripped.startswith("#"):
            continue
        req = Requirement(stripped.split("#", 1)[0].strip())
        pins = [s.version for s in req.specifier if s.operator == "=="]
        if req.extras or req.marker or len(req.specifier) != 1 or len(pins) != 1:
            raise ValueError(f"constraints line {number}: {line!r} is not of the form name==version")
        name = canonicalize_name(req.name)
        if name in direct or name in transitive:
            raise ValueError(f"constraints line {number}: {name} is pinned twice")
        target[name] = pins[0]
    return direct, transitive


def _nox_constant(name):
    """The value of a module-level string constant of noxfile.py, read without importing nox."""
    for node in ast.parse(NOXFILE.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value) if isinstance(node.value, ast.Constant) else ast.unparse(node.value)
    raise AssertionError(f"noxfile.py has no module-level {name}")


def _matrix_project():
    """``pyproject``'s ``[project]`` without the extras of ``NOT_IN_MATRIX``."""
    project = dict(_project())
    project["optional-dependencies"] = {k: v for k, v in project.get("optional-dependencies", {}).items()
                                        if k not in NOT_IN_MATRIX}
    return project


def test_every_dependency_declares_one_minimum_and_the_constraints_pin_exactly_it():
    declared_minima(_project())  # the docs extra too: one '>=' minimum each
    minima = declared_minima(_matrix_project())
    direct, transitive = constraint_pins(CONSTRAINTS.read_text(encoding="utf-8"))
    assert {k: Version(v) for k, v in direct.items()} == {k: Version(v) for k, v in minima.items()}
    assert not set(transitive) & set(minima), "a direct dependency is pinned among the transitive ones"
    # the runtime dependencies this package cannot work without are among them
    assert {"numpy", "scipy", "sympy", "cvxpy", "gymnasium", "pytest", "hypothesis"} <= set(minima)


def test_the_oldest_session_runs_on_the_oldest_declared_python_with_these_constraints():
    requires = _project()["requires-python"]
    floor = [s.version for s in Requirement(f"python{requires}").specifier if s.operator == ">="]
    assert floor == [_nox_constant("OLDEST_PYTHON")]
    assert _nox_constant("CONSTRAINTS") == "ROOT / 'constraints-oldest.txt'"
    extras = set(_nox_constant("EXTRAS").split(","))
    assert extras == set(_matrix_project()["optional-dependencies"]), "the sessions install every extra"
    assert NOT_IN_MATRIX <= set(_project()["optional-dependencies"])


def test_declared_minima_refuses_what_is_not_one_lower_bound():
    assert declared_minima({"dependencies": ["a>=1.2", "b[x] >= 3"],
                            "optional-dependencies": {"t": ["A>=1.2.0"]}}) == {"a": "1.2", "b": "3"}
    for bad in (["a"], ["a>=1,>=2"], ["a==1"], ["a<2"]):
        with pytest.raises(ValueError, match=r"^dependencies: .* must declare exactly one '>=' minimum"):
            declared_minima({"dependencies": bad})
    with pytest.raises(ValueError, match=r"^a has minimum 1 in dependencies but 2 in optional-dependencies.t$"):
        declared_minima({"dependencies": ["a>=1"], "optional-dependencies": {"t": ["a>=2"]}})


def test_constraint_pins_reads_both_sections_and_refuses_anything_else():
    text = "# head\nNumPy==1.24  # why\n\n# transitive: reasons\nfoo_bar==2.0\n"
    assert constraint_pins(text) == ({"numpy": "1.24"}, {"foo-bar": "2.0"})
    for bad in ("numpy>=1.24", "numpy", "dask[x]==1", "numpy==1; python_version<'3.11'", "a==1,==2"):
        with pytest.raises(ValueError, match=r"^constraints line 1: .* is not of the form name==version"):
            constraint_pins(bad)
    with pytest.raises(ValueError, match=r"^constraints line 2: numpy is pinned twice"):
        constraint_pins("numpy==1\nNumPy==2")


def _nox_function(name):
    """A module-level function of noxfile.py, compiled on its own (the tests run without nox)."""
    for node in ast.parse(NOXFILE.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            namespace = {"os": os, "pathlib": pathlib}
            exec(compile(ast.Module(body=[node], type_ignores=[]), str(NOXFILE), "exec"), namespace)
            return namespace[name]
    raise AssertionError(f"noxfile.py has no function {name}")


def test_pyenv_bin_dirs_finds_the_newest_patch_release_that_has_the_interpreter(tmp_path):
    pyenv_bin_dirs = _nox_function("pyenv_bin_dirs")
    for version, exe in [("3.10.2", "python3.10"), ("3.10.13", "python3.10"), ("3.10-dev", "python3.10"),
                         ("3.10.99", None), ("3.13.0", "python3.13"), ("3.1.5", "python3.1")]:
        (tmp_path / "versions" / version / "bin").mkdir(parents=True)
        if exe:
            (tmp_path / "versions" / version / "bin" / exe).write_text("")
    bins = tmp_path / "versions"
    assert pyenv_bin_dirs(["3.13", "3.10", "3.12"], root=tmp_path) == [str(bins / "3.13.0" / "bin"),
                                                                      str(bins / "3.10.13" / "bin")]
    assert pyenv_bin_dirs(["3.10"], root=tmp_path / "nothing") == []


MATRIX_SESSION = os.environ.get("TRPO_MATRIX_SESSION")


@pytest.mark.skipif(MATRIX_SESSION is None, reason="only inside a session of noxfile.py")
def test_every_declared_dependency_imports_in_a_matrix_session():
    """A dependency that installs but does not import (ipykernel 6.3 without ipython_genutils) would
    only skip the tests that ``importorskip`` it; in the matrix that is a failure."""
    for name in declared_minima(_matrix_project()):
        importlib.import_module(name.replace("-", "_"))


@pytest.mark.skipif(MATRIX_SESSION != "oldest", reason="only inside `nox -s oldest`")
def test_the_oldest_session_installed_exactly_the_declared_minima():
    direct, transitive = constraint_pins(CONSTRAINTS.read_text(encoding="utf-8"))
    installed = {name: Version(metadata.version(name)) for name in {**direct, **transitive}}
    assert installed == {name: Version(v) for name, v in {**direct, **transitive}.items()}


# --- release basics (issue 24): CITATION.cff, LICENSE, project metadata, py.typed --------------------

CITATION = ROOT / "CITATION.cff"
LICENSE = ROOT / "LICENSE"


def cff_top_level(text):
    """``{key: value}`` of the top-level scalar fields of a CFF (YAML) file, without a YAML parser.

    A top-level field is an unindented ``key: value`` line; the value loses one pair of surrounding
    quotes; a key with a nested block (``authors:``) maps to ``""``. Comments and indented lines are
    skipped. Raises ``ValueError`` naming the line when an unindented line is not ``key: ...`` or a key
    is given twice.
    """
    fields = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#") or line[0] in " \t-":
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip() or " " in key.strip():
            raise ValueError(f"CITATION.cff line {number}: {line!r} is not 'key: value'")
        if key in fields:
            raise ValueError(f"CITATION.cff line {number}: {key!r} is given twice")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        fields[key] = value
    return fields


def test_cff_top_level_reads_scalars_and_blocks_and_refuses_garbage():
    text = 'cff-version: 1.2.0\n# c\ntitle: "a: b"\nauthors:\n  - name: "x"\nversion: 0.2.0\n'
    assert cff_top_level(text) == {"cff-version": "1.2.0", "title": "a: b", "authors": "", "version": "0.2.0"}
    with pytest.raises(ValueError, match=r"^CITATION.cff line 2: 'no colon here' is not 'key: value'$"):
        cff_top_level("a: 1\nno colon here\n")
    with pytest.raises(ValueError, match=r"^CITATION.cff line 2: 'a' is given twice$"):
        cff_top_level("a: 1\na: 2\n")


def test_citation_cff_has_the_required_fields_and_the_package_version():
    import tabular

    fields = cff_top_level(CITATION.read_text(encoding="utf-8"))
    # the fields CFF 1.2.0 requires, and the ones a release needs
    assert {"cff-version", "message", "title", "authors", "version", "license"} <= set(fields)
    assert fields["cff-version"] == "1.2.0"
    assert fields["version"] == tabular.__version__
    assert fields["license"] == "MIT"
    authors = CITATION.read_text(encoding="utf-8").split("\nauthors:\n", 1)[1]
    assert authors.startswith("  - "), "authors must be a non-empty list"


def test_the_license_is_mit_and_agrees_with_pyproject():
    text = LICENSE.read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 The trpo-theory authors" in text
    assert "Permission is hereby granted, free of charge" in text and 'THE SOFTWARE IS PROVIDED "AS IS"' in text
    project = _project()
    assert project["license"] == {"text": "MIT"}
    # no "License ::" classifier: setuptools >= 77 deprecates them in favour of the license field
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]


def test_pyproject_has_urls_classifiers_typed_marker_and_the_package_data():
    project = _project()
    assert {"Homepage", "Documentation", "Source", "Changelog"} <= set(project["urls"])
    assert all(url.startswith("https://") for url in project["urls"].values())
    floor = _nox_constant("OLDEST_PYTHON")
    assert f"Programming Language :: Python :: {floor}" in project["classifiers"]
    assert "Typing :: Typed" in project["classifiers"]
    with open(PYPROJECT, "rb") as f:
        package_data = tomllib.load(f)["tool"]["setuptools"]["package-data"]
    for package in ("tabular", "bounds", "experiments"):
        assert (ROOT / package / "py.typed").is_file()
        assert "py.typed" in package_data[package]
    assert "THEORY.md" in package_data["bounds"]


def test_one_version_for_the_three_packages_and_their_command_lines():
    import bounds
    import experiments
    import tabular

    assert tabular.__version__ == bounds.__version__ == experiments.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", tabular.__version__)

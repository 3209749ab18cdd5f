"""Every public name (tests/docs/api.py) appears in the API reference, checked without building it.

The reference pages ``docs/api/*.rst`` list names in ``.. autosummary::`` tables (and possibly
``.. autofunction::`` / ``.. autoclass::`` directives). They are read as text here, each entry resolved
to its object by importing the longest module prefix of its dotted path, and the objects compared with
the public names *by identity*: a function documented under a package that re-exports it (``bounds.
cpi_bound``) counts for the module that defines it (``bounds.inequalities.cpi``).
"""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from tests.docs.api import public_modules, public_names

API_DIR = Path(__file__).resolve().parents[2] / "docs" / "api"
_DIRECTIVE = re.compile(r"^\.\.\s+(auto(?:function|class|exception|data)|currentmodule|module)::\s*(\S+)\s*$")
_AUTOSUMMARY = re.compile(r"^\.\.\s+autosummary::\s*$")


def documented_entries(text: str) -> list[str]:
    """The fully qualified names an API page documents, in page order.

    ``.. currentmodule:: M`` (or ``.. module:: M``) prefixes the relative entries that follow, as Sphinx
    does; an autosummary entry may start with ``~`` (shown by its last component). An entry inside an
    ``.. autosummary::`` block is any indented line that is not an option (``:toctree:``) or a comment.
    """
    names, current, in_table = [], None, False
    for line in text.splitlines():
        stripped = line.strip()
        if in_table:
            if stripped and not line[:1].isspace():
                in_table = False  # the block ends at the first unindented line
            elif not stripped or stripped.startswith((":", "..")):
                continue
            else:
                names.append(_qualify(stripped.split()[0].lstrip("~"), current))
                continue
        if _AUTOSUMMARY.match(stripped):
            in_table = True
            continue
        m = _DIRECTIVE.match(stripped)
        if m and m.group(1) in ("currentmodule", "module"):
            current = None if m.group(2) == "None" else m.group(2)
        elif m:
            names.append(_qualify(m.group(2).lstrip("~"), current))
    return names


def _qualify(name: str, current: str | None) -> str:
    """``current.name`` unless ``name`` already starts with ``current.`` (autosummary's own rule)."""
    return name if not current or name.startswith(current + ".") else f"{current}.{name}"


def resolve(dotted: str):
    """The object a dotted path names: the longest importable module prefix, then attributes.

    Raises ``LookupError`` naming the path when no prefix imports or an attribute is missing.
    """
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            raise LookupError(f"{dotted}: {'.'.join(parts[:cut])} has no attribute path {parts[cut:]}") from None
        return obj
    raise LookupError(f"{dotted}: no prefix of it is an importable module")


def public_objects() -> dict[int, str]:
    """``{id(obj): "module.name"}`` of every public name (defined in its module, listed in ``__all__``)."""
    out = {}
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        for name in public_names(module_name):
            out[id(getattr(module, name))] = f"{module_name}.{name}"
    return out


def undocumented(pages: dict[str, str]) -> list[str]:
    """The public names that no entry of ``pages`` (``{filename: text}``) resolves to, sorted.

    Raises ``LookupError`` naming the page when an entry does not resolve to an object (a typo or a
    renamed function in the reference is an error, not a silently skipped line).
    """
    documented = set()
    for page, text in pages.items():
        for entry in documented_entries(text):
            try:
                documented.add(id(resolve(entry)))
            except LookupError as exc:
                raise LookupError(f"{page}: {exc}") from None
    return sorted(name for key, name in public_objects().items() if key not in documented)


def _pages() -> dict[str, str]:
    pages = {p.name: p.read_text(encoding="utf-8") for p in sorted(API_DIR.glob("*.rst"))}
    assert pages, f"no API pages in {API_DIR}"
    return pages


def test_every_public_name_is_in_the_reference():
    missing = undocumented(_pages())
    assert not missing, f"public names missing from docs/api/*.rst: {missing}"


def test_a_removed_entry_is_reported_missing():
    pages = _pages()
    page = next(name for name, text in pages.items() if "   ~evaluate\n" in text)
    assert "tabular.evaluation.evaluate" not in undocumented(pages)
    pages[page] = pages[page].replace("   ~evaluate\n", "")
    assert "tabular.evaluation.evaluate" in undocumented(pages)


def test_a_page_without_the_reference_misses_every_name_and_a_bad_entry_is_an_error():
    fake = {"fake.rst": "Fake\n====\n\n.. currentmodule:: tabular\n\n.. autosummary::\n   :toctree: generated/\n\n"
                        "   ~evaluate\n"}
    missing = undocumented(fake)
    assert "tabular.evaluation.evaluate" not in missing
    assert "tabular.mdp.MDP" in missing and "bounds.registry.records.Bound" in missing
    with pytest.raises(LookupError, match=r"^fake.rst: tabular.no_such_function: tabular has no attribute"):
        undocumented({"fake.rst": ".. autosummary::\n\n   tabular.no_such_function\n"})


def test_documented_entries_reads_currentmodule_tilde_and_directives():
    text = (".. currentmodule:: tabular\n\n.. autosummary::\n   :toctree: generated/\n\n   ~tabular.evaluate\n"
            "   policy_iteration\n\nText after.\n\n.. currentmodule:: None\n.. autofunction:: bounds.cpi_bound\n")
    assert documented_entries(text) == ["tabular.evaluate", "tabular.policy_iteration", "bounds.cpi_bound"]

"""Sphinx configuration of the trpo-theory documentation (issue 24).

Build from the repository root, warnings as errors::

    python -m pip install ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html

The packages are imported from the repository root (put first on ``sys.path`` below), so the reference
documents the source tree it is built from, installed or not.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")

from tabular._version import __version__  # noqa: E402

project = "trpo-theory"
author = "The trpo-theory authors"
copyright = "2026, The trpo-theory authors"
version = release = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "cli_help",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]

# autosummary's table shows each docstring's first sentence; it ends a sentence at any ". ", so
# "``max ... s.t.  KL <= kappa``" or "``rho0 . r``" (a dot product) would be cut inside the literal (a
# docutils warning): "s.t." and " ." join Sphinx's list of abbreviations that do not end a sentence.
import sphinx.ext.autosummary as _autosummary  # noqa: E402

if hasattr(_autosummary, "WELL_KNOWN_ABBREVIATIONS"):
    _autosummary.WELL_KNOWN_ABBREVIATIONS = (*_autosummary.WELL_KNOWN_ABBREVIATIONS, "s.t.", " .")

# autosummary writes one stub page per documented name into api/generated/ at build time
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "inherited-members": False, "show-inheritance": True}
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
autodoc_member_order = "bysource"

numpydoc_show_class_members = False  # the stub pages list the members themselves
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = f"trpo-theory {release}"
html_static_path: list[str] = []

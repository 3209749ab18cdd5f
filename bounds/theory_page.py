"""The theory page shipped with the package: ``bounds/THEORY.md``.

Docstrings across the toolkit cite it as "THEORY.md §N". :func:`theory` returns its text (or one
section), :func:`theory_path` where it is installed; ``python -m bounds theory [N]`` prints it.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

__all__ = ["theory", "theory_path", "SECTIONS"]

#: The section numbers docstrings may cite.
SECTIONS = tuple(range(1, 10))


def theory_path() -> Path:
    """The path of the installed ``THEORY.md``.

    Examples
    --------
    >>> from bounds.theory_page import theory, theory_path
    >>> p = theory_path()
    >>> p.name, p.read_text(encoding="utf-8") == theory()
    ('THEORY.md', True)
    """
    return Path(str(resources.files("bounds").joinpath("THEORY.md")))


def theory(section: int | None = None) -> str:
    """The text of THEORY.md, or of its section ``section`` (1-9) including its heading.

    Examples
    --------
    >>> from bounds import theory
    >>> print(theory(3).splitlines()[0])
    ## 3. Policy-improvement bounds
    >>> theory().startswith("# The theory behind")
    True
    """
    text = resources.files("bounds").joinpath("THEORY.md").read_text(encoding="utf-8")
    if section is None:
        return text
    if isinstance(section, bool) or not isinstance(section, int) or section not in SECTIONS:
        raise ValueError(f"section must be an integer in 1..{SECTIONS[-1]}, got {section!r}")
    m = re.search(rf"^## {section}\. .*?(?=^## \d+\. |\Z)", text, flags=re.M | re.S)
    if m is None:  # pragma: no cover - the test suite checks every section exists
        raise LookupError(f"THEORY.md has no section {section}")
    return m.group(0).rstrip() + "\n"

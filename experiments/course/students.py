"""Student copies of the tutorial notebooks, generated from the solution notebooks.

The solution notebooks (``experiments/notebooks/solutions/NN_*.ipynb``) are the source of truth. A code
cell tagged ``solution`` (cell metadata ``tags``) holds one exercise's answer; its student copy holds
only the stub :data:`STUB`, so no solution reaches the student's notebook. Everything else is copied
unchanged. ``python -m experiments.course strip`` writes the student copies beside the ``solutions``
folder; ``python -m experiments.course strip --check`` only reports the copies that differ.
"""

from __future__ import annotations

import copy
from pathlib import Path

__all__ = ["STUB", "SOLUTION_TAG", "student_copy", "notebook_text", "strip"]

#: What a solution cell becomes in the student copy.
STUB = "answer = ...  # your code here"
#: The cell tag that marks a solution cell.
SOLUTION_TAG = "solution"
#: Where the notebooks live, relative to the repository root.
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def student_copy(nb):
    """The student copy of solution notebook ``nb`` (an ``nbformat`` notebook; ``nb`` is not changed).

    Every code cell tagged :data:`SOLUTION_TAG` gets the source :data:`STUB` (and keeps its tag, id and
    metadata); outputs and execution counts are cleared everywhere.

    Parameters
    ----------
    nb : nbformat.NotebookNode (version 4).

    Returns
    -------
    nbformat.NotebookNode

    Examples
    --------
    >>> import nbformat
    >>> from experiments.course import students
    >>> nb = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_code_cell("answer = 42", metadata={"tags": ["solution"]}),
    ...     nbformat.v4.new_code_cell("check('01.1', answer)")])
    >>> [c.source for c in students.student_copy(nb).cells]
    ['answer = ...  # your code here', "check('01.1', answer)"]
    """
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type != "code":
            continue
        if SOLUTION_TAG in cell.get("metadata", {}).get("tags", []):
            cell.source = STUB
        cell.outputs = []
        cell.execution_count = None
    return out


def notebook_text(nb) -> str:
    """The text a notebook is stored as (``nbformat.writes`` plus a final newline, as Jupyter writes it).

    Examples
    --------
    >>> import nbformat
    >>> from experiments.course.students import notebook_text
    >>> notebook_text(nbformat.v4.new_notebook()).endswith("}\\n")
    True
    """
    import nbformat

    return nbformat.writes(nb) + "\n"


def strip(solutions: Path | str | None = None, out: Path | str | None = None, check: bool = False) -> list[Path]:
    """Write the student copy of every ``NN_*.ipynb`` of ``solutions`` into ``out``.

    Parameters
    ----------
    solutions : folder of the solution notebooks (default ``experiments/notebooks/solutions``).
    out : folder of the student copies (default ``experiments/notebooks``).
    check : if True, write nothing and only return the copies that are missing or differ.

    Returns
    -------
    list of Path, the student copies written (or, with ``check``, out of date).

    Examples
    --------
    >>> import nbformat
    >>> from pathlib import Path
    >>> from experiments.course.students import strip
    >>> Path("sol").mkdir()
    >>> cell = nbformat.v4.new_code_cell("answer = 1", metadata={"tags": ["solution"]})
    >>> nbformat.write(nbformat.v4.new_notebook(cells=[cell]), "sol/01_a.ipynb")
    >>> [p.name for p in strip("sol", ".")], [p.name for p in strip("sol", ".", check=True)]
    (['01_a.ipynb'], [])
    """
    import nbformat

    solutions = Path(solutions) if solutions is not None else NOTEBOOKS / "solutions"
    out = Path(out) if out is not None else NOTEBOOKS
    if not solutions.is_dir():
        raise ValueError(f"solutions must be a folder of solution notebooks, got {str(solutions)!r}")
    changed = []
    for src in sorted(solutions.glob("[0-9][0-9]_*.ipynb")):
        text = notebook_text(student_copy(nbformat.read(src, as_version=4)))
        dst = out / src.name
        if dst.exists() and dst.read_text(encoding="utf-8") == text:
            continue
        changed.append(dst)
        if not check:
            dst.write_text(text, encoding="utf-8")
    return changed

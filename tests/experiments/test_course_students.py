"""Tests of experiments/course/students.py and ``python -m experiments.course strip``: solution cells
become the stub, everything else is copied, and ``--check`` reports copies that drifted."""

from __future__ import annotations

import pytest

nbformat = pytest.importorskip("nbformat")

from experiments.course import students  # noqa: E402
from experiments.course.__main__ import main  # noqa: E402


def _solutions(folder):
    folder.mkdir()
    cells = [nbformat.v4.new_markdown_cell("## Exercises"),
             nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["other"]}),
             nbformat.v4.new_code_cell("answer = 6 * 7", metadata={"tags": ["solution"]}),
             nbformat.v4.new_code_cell('check("01.1", answer)')]
    cells[1].outputs = [nbformat.v4.new_output("stream", text="left over")]
    cells[1].execution_count = 3
    nbformat.write(nbformat.v4.new_notebook(cells=cells), folder / "01_a.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), folder / "notes.ipynb")  # not NN_*: not a tutorial
    return folder


def test_student_copy_replaces_only_solution_cells_and_clears_outputs(tmp_path):
    sol = nbformat.read(_solutions(tmp_path / "sol") / "01_a.ipynb", as_version=4)
    stu = students.student_copy(sol)
    assert [c.source for c in stu.cells] == ["## Exercises", "x = 1", students.STUB, 'check("01.1", answer)']
    assert stu.cells[1].outputs == [] and stu.cells[1].execution_count is None
    assert sol.cells[2].source == "answer = 6 * 7" and sol.cells[1].outputs  # the input is not changed
    assert [c.id for c in stu.cells] == [c.id for c in sol.cells]


def test_strip_writes_checks_and_reports_drift(tmp_path, capsys):
    sol, out = _solutions(tmp_path / "sol"), tmp_path
    args = ["strip", "--solutions", str(sol), "--out", str(out)]
    assert main(args + ["--check"]) == 1 and "out of date" in capsys.readouterr().out
    assert main(args) == 0 and (out / "01_a.ipynb").exists() and not (out / "notes.ipynb").exists()
    assert main(args + ["--check"]) == 0 and "up to date" in capsys.readouterr().out
    (out / "01_a.ipynb").write_text((out / "01_a.ipynb").read_text().replace("your code here", "42"))
    assert [p.name for p in students.strip(sol, out, check=True)] == ["01_a.ipynb"]
    with pytest.raises(ValueError, match="solutions"):
        students.strip(tmp_path / "missing", out)

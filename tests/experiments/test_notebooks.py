"""Every notebook in experiments/notebooks runs top to bottom (nbclient, a python3 kernel of this
interpreter), is stored without outputs, and the explorer's widget callback works when called directly.

The tutorials come in two copies (experiments/notebooks/README.md): the solutions
(experiments/notebooks/solutions/NN_*.ipynb) run top to bottom and every check cell must say "right"; the
student copies (experiments/notebooks/NN_*.ipynb) must equal the ones generated from the solutions, and
their exercise sections must run with every check saying "not attempted yet". The tutorial part of a student
copy is the solutions' own (the generation test), so it is executed once, in the solutions."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "experiments" / "notebooks").glob("*.ipynb"))
STUDENT = [p for p in NOTEBOOKS if p.stem[:2].isdigit()]
SOLUTIONS = sorted((REPO / "experiments" / "notebooks" / "solutions").glob("*.ipynb"))
RUN_FULL = [p for p in NOTEBOOKS if p not in STUDENT] + SOLUTIONS


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """A ``python3`` kernelspec for *this* interpreter in a temporary folder, found first through
    JUPYTER_PATH, so the test works from a fresh ``pip install ".[test]"`` without a user kernelspec;
    PYTHONPATH puts this checkout first in the kernel."""
    from ipykernel.kernelspec import install

    prefix = tmp_path_factory.mktemp("jupyter")
    install(kernel_name="python3", prefix=str(prefix))
    old = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "PYTHONPATH", "MPLBACKEND")}
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(prefix / "share" / "jupyter"), old["JUPYTER_PATH"]]))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), old["PYTHONPATH"]]))
    os.environ["MPLBACKEND"] = "Agg"
    yield prefix
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def test_there_are_tutorials_and_an_explorer():
    names = [p.stem for p in NOTEBOOKS]
    assert "explorer" in names and len(STUDENT) >= 6
    assert [p.name for p in SOLUTIONS] == [p.name for p in STUDENT]


def _execute(nb, name):
    for cell in nb.cells:  # stored stripped: no outputs, no execution counts
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name} has stored outputs"
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=60,
                                     resources={"metadata": {"path": str(REPO)}})
    client.execute()  # raises CellExecutionError on any failing cell


def _check_lines(nb) -> list[str]:
    """The verdict lines the check cells printed, in order."""
    return [line for c in nb.cells if c.cell_type == "code" and "check(" in c.source for o in c.outputs
            if o.get("output_type") == "stream" for line in o.get("text", "").splitlines() if line.startswith("[")]


def _check_ids(nb) -> list[str]:
    return re.findall(r'^check\("(\d\d\.\d)", answer\)$', "\n".join(c.source for c in nb.cells), flags=re.M)


@pytest.mark.parametrize("path", RUN_FULL, ids=[("solutions/" if p in SOLUTIONS else "") + p.stem for p in RUN_FULL])
def test_notebook_runs_top_to_bottom(kernel_env, path):
    nb = nbformat.read(path, as_version=4)
    _execute(nb, path.name)
    if path in SOLUTIONS:  # every exercise's solution is judged right by the check
        ids = _check_ids(nb)
        assert len(ids) >= 3
        lines = _check_lines(nb)
        assert lines == [line for line in lines if re.match(r"\[\d\d\.\d\] right: ", line)], lines
        assert [line[1:5] for line in lines] == ids
    kinds = [o.get("output_type") for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert "error" not in kinds
    draws = any("plt." in c.source or "redraw(" in c.source for c in nb.cells if c.cell_type == "code")
    if draws:
        assert any(o.get("output_type") == "display_data" and "image/png" in o.get("data", {})
                   for c in nb.cells if c.cell_type == "code" for o in c.outputs), "no figure was shown"


def test_widget_callback_directly():
    import matplotlib

    matplotlib.use("Agg")
    import tabular as T
    from experiments.explore import widgets

    box = widgets.explorer(mdp_name="MDP X")
    assert len(box.children) == 3 and len(box.output.outputs) == 1
    box.controls["gamma"].value = 0.5  # a slider move runs the callback
    (shown,) = box.output.outputs
    assert shown["data"]["image/png"]  # the new picture replaced the old one
    for name, update in (("gridworld 4x4", "policy iteration"), ("CliffWalking", "trust region, mean KL")):
        fig, st = widgets.redraw(name, gamma=0.9, update=update, n_steps=2, show=False)
        mdp, _ = widgets.build(name, 0.9)
        assert abs(st.terms.sum() - (T.evaluate(mdp, st.new.pi).eta - T.surrogate(mdp, st.old.pi, st.new.pi))) < 1e-9
        assert len(fig.axes) >= 8
        np.testing.assert_allclose(st.old.V, T.evaluate(mdp, st.old.pi).V)
    with pytest.raises(ValueError, match="mdp_name"):
        widgets.redraw("no such MDP", show=False)


def _exercise_section(nb):
    start = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Exercises"))
    return nbformat.v4.new_notebook(cells=nb.cells[start:])


def test_student_copies_exercises_run_unattempted(kernel_env):
    """The exercise sections of all student copies in one kernel (one start-up instead of six), each
    section after ``%reset -f`` so that none can lean on another's names."""
    sections = []
    for path in STUDENT:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{path.name} has stored outputs"
        sections.append(nbformat.v4.new_code_cell("%reset -f"))
        for cell in _exercise_section(nb).cells:  # cell ids unique across the sections
            sections.append(nbformat.from_dict({**cell, "id": f"{path.name[:2]}-{cell.id}"}))
    nb = nbformat.v4.new_notebook(cells=sections)
    _execute(nb, "the student copies' exercise sections")
    ids = _check_ids(nb)
    lines = _check_lines(nb)
    assert [line[1:5] for line in lines] == ids and len(ids) >= 3 * len(STUDENT)
    assert all(re.match(r"\[\d\d\.\d\] not attempted yet: ", line) for line in lines), lines


def test_student_copies_are_generated_from_the_solutions(tmp_path):
    from experiments.course.students import STUB, SOLUTION_TAG, strip

    assert strip(check=True) == [], "run: python -m experiments.course strip"
    written = strip(out=tmp_path)  # an independent regeneration, compared byte for byte
    assert [p.name for p in written] == [p.name for p in STUDENT]
    for p in STUDENT:
        assert (tmp_path / p.name).read_bytes() == p.read_bytes()
    for sol, stu in zip(SOLUTIONS, STUDENT):  # no solution reaches the student's copy
        a, b = nbformat.read(sol, as_version=4), nbformat.read(stu, as_version=4)
        tagged = [c for c in a.cells if SOLUTION_TAG in c.metadata.get("tags", [])]
        assert len(tagged) == len(_check_ids(a)) >= 3
        text = "\n".join(c.source for c in b.cells)
        assert all(c.source not in text for c in tagged)
        assert [c.source for c in b.cells if SOLUTION_TAG in c.metadata.get("tags", [])] == [STUB] * len(tagged)
        assert [c.source for c in a.cells if c not in tagged] == \
            [c.source for c in b.cells if SOLUTION_TAG not in c.metadata.get("tags", [])]


def test_every_exercise_is_in_exactly_one_notebook():
    from experiments.course import EXERCISES

    ids = [i for p in SOLUTIONS for i in _check_ids(nbformat.read(p, as_version=4))]
    assert sorted(ids) == sorted(EXERCISES)
    for p in SOLUTIONS:
        assert all(i[:2] == p.name[:2] for i in _check_ids(nbformat.read(p, as_version=4)))

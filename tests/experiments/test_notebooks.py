"""Every notebook in experiments/notebooks runs top to bottom (nbclient, a python3 kernel of this
interpreter), is stored without outputs, and the explorer's widget callback works when called directly."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "experiments" / "notebooks").glob("*.ipynb"))


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
    assert "explorer" in names and len(names) >= 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(kernel_env, path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # stored stripped: no outputs, no execution counts
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name} has stored outputs"
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=60,
                                     resources={"metadata": {"path": str(REPO)}})
    client.execute()  # raises CellExecutionError on any failing cell
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

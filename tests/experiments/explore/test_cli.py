"""``python -m experiments explore`` on a zoo MDP, a Gymnasium id and a JSON file; bad arguments."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import tabular as T
from experiments.__main__ import main


def _files(out, stem):
    for ext in (".png", ".pdf", "_states.csv", "_bounds.csv", "_summary.csv"):
        f = out / f"{stem}{ext}"
        assert f.exists() and f.stat().st_size > 0, f
    assert (out / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_zoo_mdp(tmp_path, capsys):
    assert main(["explore", "gridworld", "--kw", "height=3", "--step", "mm", "--C-scale", "0.1",
                 "--out", str(tmp_path)]) == 0
    _files(tmp_path, "explore_gridworld")
    assert "bounds hold: True" in capsys.readouterr().out


def test_gymnasium_id(tmp_path):
    assert main(["explore", "FrozenLake-v1", "--policy", "random", "--step", "npg", "--step-size", "0.5",
                 "--gamma", "0.9", "--out", str(tmp_path)]) == 0
    _files(tmp_path, "explore_FrozenLake-v1")
    with open(tmp_path / "explore_FrozenLake-v1_summary.csv") as fh:
        summ = {r["quantity"]: r["value"] for r in csv.DictReader(fh)}
    mdp = T.from_gymnasium("FrozenLake-v1", 0.9)
    assert float(summ["eta_star"]) == pytest.approx(T.optimal(mdp).eta, rel=1e-7)  # CSVs carry 8 significant digits


def test_json_file_with_layout(tmp_path):
    mdp = T.gridworld(2, 3, gamma=0.8)
    d = json.loads(T.to_json(mdp))
    d["layout"] = {"grid": [2, 3], "moves": "urdl", "marks": {"5": "goal"}}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(d))
    out, again = tmp_path / "out", tmp_path / "again"
    for o in (out, again):
        assert main(["explore", str(path), "--step", "cpi", "--out", str(o)]) == 0
    _files(out, "explore_tiny")
    for f in out.iterdir():  # deterministic: PNG, PDF and CSV byte-identical across runs
        assert (again / f.name).read_bytes() == f.read_bytes(), f.name
    with open(out / "explore_tiny_states.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["col"]) for r in rows] == [0, 1, 2, 0, 1, 2]
    np.testing.assert_allclose([float(r["V"]) for r in rows], T.evaluate(mdp, T.uniform(mdp)).V, rtol=1e-12)


@pytest.mark.parametrize("argv, needle", [
    (["no_such_mdp"], "NAME_OR_FILE"),
    (["missing.json"], "no such file"),
    (["chain", "--gamma", "1.5"], "--gamma"),
    (["chain", "--step", "npg", "--delta", "0.1"], "--delta"),
    (["chain", "--step", "trust_region", "--delta", "-1"], "--delta"),
    (["chain", "--kw", "nonsense=3"], "--kw"),
    (["chain", "--policy", "optimal", "--step", "pg"], "--step pg"),
    (["chain", "--moves", "urdl"], "--grid"),
    (["chain", "--grid", "2x3"], "--grid"),
    (["NoSuchEnv-v0"], "Gymnasium"),
    (["chain", "--seed", "-3"], "--seed"),
])
def test_bad_arguments_are_argparse_errors(tmp_path, capsys, argv, needle):
    with pytest.raises(SystemExit) as exc:
        main(["explore", *argv, "--out", str(tmp_path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_unwritable_out_is_an_argparse_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SystemExit) as exc:
        main(["explore", "two_state", "--step", "pi", "--out", str(blocker / "sub")])
    assert exc.value.code == 2 and "--out" in capsys.readouterr().err

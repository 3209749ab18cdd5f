"""Bad input to ``python -m experiments explore`` and to its library entry points
(experiments/explore/{cli,report,layout}.py): exit status 2 and one error line naming the argument,
never a traceback; ``ValueError``/``TypeError`` naming the argument from the library."""

from __future__ import annotations

import json

import numpy as np
import pytest

import tabular as T
from experiments.__main__ import main
from experiments.explore import Layout, auto_layout
from experiments.explore.layout import from_spec
from experiments.explore.report import explore, start_policy, write_report


def _files(tmp_path):
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "nogamma.json").write_text('{"P": 3}')
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "bad.npz").write_text("not an archive")
    (tmp_path / "noext").write_text("abc")
    (tmp_path / "dir.json").mkdir()
    chain = json.loads(T.to_json(T.make("chain")))
    for k, lay in enumerate([5, {"kind": "nope"}, {"grid": "2x3"}, {"grid": [1, 5], "marks": [1]},
                             {"grid": [1, 5], "marks": {"x": "goal"}}, {"grid": [True, 5]}]):
        (tmp_path / f"lay{k}.json").write_text(json.dumps(dict(chain, layout=lay)))


CASES = [
    (["{d}/list.json"], "NAME_OR_FILE"), (["{d}/nogamma.json"], "NAME_OR_FILE"), (["{d}/bin.json"], "NAME_OR_FILE"),
    (["{d}/bad.npz"], "NAME_OR_FILE"), (["{d}/noext"], "NAME_OR_FILE"), (["{d}/dir.json"], "NAME_OR_FILE"),
    (["{d}/missing.npz"], "NAME_OR_FILE"), (["no_such_mdp"], "NAME_OR_FILE"), (["Nope-v1"], "NAME_OR_FILE"),
    (["FrozenLake-v1", "--kw", 'map_name="9x9"'], "FrozenLake"),
    *[([f"{{d}}/lay{k}.json"], "layout") for k in range(6)],
    (["chain", "--gamma", "nan"], "--gamma"), (["chain", "--gamma", "1"], "--gamma"),
    (["chain", "--gamma", "-0.1"], "--gamma"),
    (["chain", "--step", "cpi", "--alpha", "1.5"], "--alpha"), (["chain", "--step", "cpi", "--alpha", "nan"], "--alpha"),
    (["chain", "--step", "cpi", "--alpha", "-0.5"], "--alpha"),
    (["chain", "--step", "trust_region", "--delta", "-1"], "--delta"),
    (["chain", "--step", "trust_region", "--delta", "0"], "--delta"),
    (["chain", "--step", "trust_region", "--delta", "inf"], "--delta"),
    (["chain", "--step", "npg", "--step-size", "nan"], "--step-size"),
    (["chain", "--step", "npg", "--step-size", "1e308"], "--step npg"),
    (["chain", "--step", "pg", "--step-size", "-1"], "--step-size"),
    (["chain", "--step", "mm", "--C", "-1"], "--C"), (["chain", "--step", "mm", "--C-scale", "nan"], "--C-scale"),
    (["chain", "--step", "kl_penalty", "--c", "-2"], "--c"),
    (["chain", "--step", "mm", "--alpha", "0.5"], "--alpha"), (["chain", "--step", "nope"], "--step"),
    (["chain", "--policy", "nope"], "--policy"), (["chain", "--seed", "-1"], "--seed"), (["chain", "--seed", "x"], "--seed"),
    (["chain", "--kw", "n=-3"], "--kw"), (["chain", "--kw", "n=1e12"], "--kw"), (["chain", "--kw", "n=100000000"], "--kw"),
    (["chain", "--kw", "foo=1"], "--kw"), (["chain", "--kw", "n"], "--kw"), (["chain", "--kw", "1=2"], "--kw"),
    (["{d}/noext", "--kw", "n=3"], "--kw"),
    (["chain", "--grid", "0x3"], "--grid"), (["chain", "--grid", "axb"], "--grid"),
    (["chain", "--grid", "1x100000000"], "--grid"), (["chain", "--moves", "ur"], "--moves"),
    (["chain", "--grid", "1x5", "--moves", "xx"], "--moves"), (["chain", "--grid", "1x5", "--moves", "urdl"], "--moves"),
    (["chain", "--out", "/dev/null/x"], "--out"), (["chain", "--out", "/proc/explore-out"], "--out"),
]


@pytest.mark.parametrize("argv, option", CASES)
def test_bad_input_is_one_error_line_naming_the_argument(argv, option, tmp_path, capsys):
    _files(tmp_path)
    argv = [a.replace("{d}", str(tmp_path)) for a in argv]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "out")]
    with pytest.raises(SystemExit) as exc:
        main(["explore", *argv])
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert exc.value.code == 2 and "error:" in last and option in last and "Traceback" not in err, err
    assert not (tmp_path / "out").exists()  # nothing written


def test_library_entry_points_name_the_argument(tmp_path):
    mdp = T.make("chain")
    lay = auto_layout(mdp, "chain")
    pi = T.uniform(mdp)
    with pytest.raises(TypeError, match="mdp"):
        explore("chain", lay, pi)
    with pytest.raises(TypeError, match="layout"):
        explore(mdp, {"grid": [1, 5]}, pi)
    with pytest.raises(ValueError, match="layout"):
        explore(mdp, auto_layout(T.make("chain", n=3), "c3"), pi)
    with pytest.raises(ValueError, match="pi"):
        explore(mdp, lay, pi * 1.4)
    with pytest.raises(ValueError, match="pi"):
        explore(mdp, lay, np.full_like(pi, np.nan))
    with pytest.raises(ValueError, match="update"):
        explore(mdp, lay, pi, "nope")
    with pytest.raises(ValueError, match=r"step_kwargs: \['delta'\].*'npg'"):
        explore(mdp, lay, pi, "npg", step=0.1, delta=0.1)
    with pytest.raises(ValueError, match="update 'npg'"):
        explore(mdp, lay, pi, "npg", step=1e308)
    with pytest.raises(TypeError, match="name"):
        explore(mdp, lay, pi, "pi", name=3)
    with pytest.raises(ValueError, match="seed"):
        start_policy(mdp, "random", -1)
    with pytest.raises(ValueError, match="policy"):
        start_policy(mdp, "best", 0)
    with pytest.raises(TypeError, match="mdp"):
        start_policy(None, "uniform")
    rep = explore(mdp, lay, pi, "pi")
    for stem in ("", "a/b", ".."):
        with pytest.raises(ValueError, match="stem"):
            write_report(rep, tmp_path, stem)
    with pytest.raises(ValueError, match="out="):
        write_report(rep, "/dev/null/x")
    with pytest.raises(TypeError, match="rep"):
        write_report("report", tmp_path)
    with pytest.raises(ValueError, match="unknown"):
        from_spec({"grids": [1, 5]}, mdp)
    assert isinstance(from_spec({"grid": [1, 5], "marks": {"4": "goal"}}, mdp), Layout)


def test_version(capsys):
    from tabular import __version__

    with pytest.raises(SystemExit) as exc:
        main(["explore", "--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.split() == ["python", "-m", "experiments", "explore",
                                                                       __version__]

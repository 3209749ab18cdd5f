"""Tests of experiments/_cli.py and of what every command line shares: ``--version`` prints the one
package version (tabular/_version.py) on every command line, ``python -m experiments --help`` lists
every subcommand, and a folder that cannot be written is refused naming the option before any work."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

import bounds
import experiments
import tabular
from experiments._cli import check_writable_dir, writable_dir_arg

ROOT = Path(__file__).resolve().parents[2]

COMMANDS = [
    ["-m", "experiments"], ["-m", "experiments", "sweep"], ["-m", "experiments", "benchmark"],
    ["-m", "experiments", "explore"], ["-m", "experiments", "falsify"], ["-m", "experiments.sweep"],
    ["-m", "experiments.export_certificates"], ["-m", "tabular"], ["-m", "bounds"],
]


def test_one_version_for_the_three_packages():
    text = (ROOT / "tabular" / "_version.py").read_text()
    (declared,) = re.findall(r'^__version__ = "([^"]+)"$', text, flags=re.M)
    assert tabular.__version__ == bounds.__version__ == experiments.__version__ == declared
    assert re.fullmatch(r"\d+\.\d+\.\d+", declared)
    py = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in py and 'attr = "tabular._version.__version__"' in py
    assert not re.search(r'^version = "', py, flags=re.M)  # no second copy of the number


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c[1:]))
def test_every_command_line_prints_the_version(cmd):
    r = subprocess.run([sys.executable, *cmd, "--version"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "Traceback" not in r.stderr
    assert r.stdout.strip().split()[-1] == tabular.__version__


def test_the_main_help_lists_every_subcommand(capsys):
    from experiments.__main__ import main

    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("list", "sweep", "benchmark", "explore", "falsify"):
        assert f"\n  {command} " in out, command


@pytest.mark.parametrize("cmd, bad", [
    (["-m", "tabular", "no_such_mdp"], "argument name"),
    (["-m", "bounds", "theory", "99"], "argument section"),
    (["-m", "bounds", "nope"], "argument command"),
    (["-m", "experiments", "sweep", "--n", "2", "--out", "/dev/null/x"], "argument --out"),
    (["-m", "experiments", "falsify", "theorem1", "--seed", "-1", "--out", "/tmp"], "argument --seed"),
    (["-m", "experiments", "explore", "chain", "--alpha", "2", "--out", "/tmp"], "argument --alpha"),
])
def test_bad_arguments_are_one_line_errors_in_a_subprocess(cmd, bad):
    r = subprocess.run([sys.executable, *cmd], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert bad in r.stderr.strip().splitlines()[-1]


def test_check_writable_dir(tmp_path):
    assert check_writable_dir(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()  # nothing created
    (tmp_path / "f").write_text("")
    with pytest.raises(ValueError, match="existing file"):
        check_writable_dir(tmp_path / "f", "out")
    with pytest.raises(ValueError, match="goes through the existing file"):
        check_writable_dir(tmp_path / "f" / "x", "out")
    with pytest.raises(ValueError, match=r"out='/proc/x'.*not writable"):
        check_writable_dir("/proc/x", "out")
    with pytest.raises(TypeError, match="out must be a path"):
        check_writable_dir(3, "out")
    with pytest.raises(ValueError, match="non-empty"):
        check_writable_dir("", "out")
    with pytest.raises(argparse.ArgumentTypeError, match="expected a folder"):
        writable_dir_arg(str(tmp_path / "f"))
    assert list(tmp_path.iterdir()) == [tmp_path / "f"]  # the write test left nothing behind

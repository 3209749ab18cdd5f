"""Tests of experiments/__main__.py: bad options are argparse errors naming the option (exit status 2,
no traceback), and ``--help`` lists every command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from experiments.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def _error(capsys, argv) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("seed", ["-1", "1.5", "x"])
def test_a_bad_seed_names_the_option(capsys, seed):
    err = _error(capsys, ["fig1_mm", "--seed", seed])
    assert "argument --seed: expected an integer >= 0" in err and "Traceback" not in err


def test_an_existing_file_as_out_names_the_option(capsys, tmp_path):
    f = tmp_path / "a_file"
    f.write_text("")
    err = _error(capsys, ["fig1_mm", "--out", str(f)])
    assert "argument --out" in err and "existing file" in err
    err = _error(capsys, ["fig1_mm", "--out", str(f / "below")])
    assert "argument --out" in err and "existing file" in err


def test_the_command_line_prints_no_traceback():
    r = subprocess.run([sys.executable, "-m", "experiments", "fig1_mm", "--seed", "-1"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "error: argument --seed: expected an integer >= 0, got '-1'" in r.stderr


def test_help_lists_the_commands_and_defaults(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("list", "sweep", "benchmark", "explore", "falsify", "check"):
        assert f"\n  {command} " in out
    assert "(default: 0)" in out and "(default: figures)" in out


def test_every_command_is_dispatched(capsys):
    for command in ("sweep", "benchmark", "falsify", "check"):
        with pytest.raises(SystemExit) as exc:
            main([command, "--help"])
        assert exc.value.code == 0
        assert f"usage: python -m experiments {command}" in capsys.readouterr().out


def test_dash_dash_check_is_the_check_command(capsys):
    for argv in (["--check", "--help"], ["check", "--help"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
        assert "usage: python -m experiments check" in capsys.readouterr().out


def test_dash_dash_check_passes_names_and_out_to_check(monkeypatch, tmp_path):
    from experiments import check

    seen = []
    monkeypatch.setattr(check, "main", lambda argv: seen.append(list(argv)) or 0)
    assert main(["--check", "fig1_mm", "fig7_counterexamples"]) == 0
    assert main(["fig1_mm", "--check", "--out", str(tmp_path)]) == 0
    assert main(["--check", "--only", "fig1_mm"]) == 0
    assert seen == [["--only", "fig1_mm", "fig7_counterexamples"], ["--only", "fig1_mm", "--out", str(tmp_path)],
                    ["--only", "fig1_mm"]]

"""Tests of experiments/sweep/cli.py: ``python -m experiments sweep ...`` and ``python -m experiments.sweep``;
every bad argument is an argparse error naming the option (exit status 2, nothing written), and
``--help`` shows every default."""

from __future__ import annotations

import pytest

from experiments import sweep as SW


def test_cli_dispatch(tmp_path, capsys):
    from experiments.__main__ import main

    out = tmp_path / "cli"
    code = main(["sweep", "--n", "6", "--families", "chain,garnet", "--gammas", "0.9", "--seed", "1",
                 "--out", str(out), "--workers", "1", "--update-steps", "1", "--no-progress", "--no-figure"])
    assert code == 0
    text = capsys.readouterr().out
    assert "RESULT: PASS" in text and (out / "report.txt").read_text().strip() in text
    assert SW.load_results(out)["id"].tolist() == list(range(6))


@pytest.mark.parametrize("args, option", [
    (["--n", "-1"], "--n"),
    (["--n", "ten"], "--n"),
    (["--seed", "-1"], "--seed"),
    (["--workers", "0"], "--workers"),
    (["--chunk", "0"], "--chunk"),
    (["--update-steps", "-2"], "--update-steps"),
    (["--families", "garnet,nope"], "--families"),
    (["--families", "chain,chain"], "--families"),
    (["--families", ","], "--families"),
    (["--gammas", "0.5,1.0"], "--gammas"),
    (["--gammas", "0.5,-0.1"], "--gammas"),
    (["--gammas", "0.9,x"], "--gammas"),
    (["--gammas", "nan"], "--gammas"),
    (["--heartbeat", "-1"], "--heartbeat"),
])
def test_bad_arguments_are_errors_naming_the_option(tmp_path, capsys, args, option):
    out = tmp_path / "never_written"
    argv = ["--n", "4", "--out", str(out)] + args
    with pytest.raises(SystemExit) as exc:
        SW.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"error: argument {option}: " in err
    assert not out.exists()


def test_an_existing_file_as_out_is_an_error(tmp_path, capsys):
    f = tmp_path / "results.txt"
    f.write_text("")
    with pytest.raises(SystemExit) as exc:
        SW.main(["--n", "2", "--out", str(f)])
    assert exc.value.code == 2 and "error: argument --out: " in capsys.readouterr().err


def test_help_shows_every_default(capsys):
    with pytest.raises(SystemExit) as exc:
        SW.main(["--help"])
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for option, default in [("--families", "(default: garnet,gridworld,chain,frozenlake,unreachable,deterministic)"),
                            ("--gammas", "(default: 0.5,0.9,0.99)"), ("--seed", "(default: 0)"),
                            ("--workers", "(default: all cores)"), ("--scheduler", "(default: none"),
                            ("--chunk", "(default: about four tasks per worker"), ("--update-steps", "(default: 3)"),
                            ("--heartbeat", "(default: 10.0)"), ("--candidates", "(default: False)"),
                            ("--no-progress", "(default: False)"), ("--no-figure", "(default: False)")]:
        after = text.split(f" {option} ", 1)[1]
        # argparse wraps long help lines: compare without whitespace
        assert "".join(default.split()) in "".join(after.split(" --", 1)[0].split()), option


def test_python_dash_m_experiments_sweep_runs(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    out = tmp_path / "m"
    r = subprocess.run([sys.executable, "-m", "experiments.sweep", "--n", "3", "--families", "chain", "--gammas",
                        "0.5", "--out", str(out), "--workers", "1", "--update-steps", "0", "--no-figure",
                        "--heartbeat", "0"], cwd=root, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "RESULT: PASS" in r.stdout
    assert "sweep: 3/3 instances (100.0%)" in r.stderr and "0 violations so far" in r.stderr

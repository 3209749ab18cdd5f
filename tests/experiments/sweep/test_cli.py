"""Tests of experiments/sweep/cli.py: ``python -m experiments sweep ...``."""

from __future__ import annotations

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

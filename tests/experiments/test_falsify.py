"""Tests of experiments/falsify.py: the command line on a known false and a known true bound, the
certificate it writes verifies independently, and bad arguments are argparse errors naming the option."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bounds.counterexamples import verify_certificate
from bounds.counterexamples.certificate import load_certificate
from experiments.__main__ import main
from tabular.evaluation import evaluate


def test_falsify_a_known_false_bound_writes_a_verified_certificate_and_report(tmp_path, capsys):
    assert main(["falsify", "surrogate_monotone", "--time", "15", "--states", "4", "--actions", "3",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "VIOLATED" in out and "pi_new(a|s)" in out
    for f in ("certificate.json", "report.txt", "report.png", "report.pdf"):
        assert (tmp_path / f).exists(), f
    v = verify_certificate(tmp_path / "certificate.json")
    assert v.proven and v.violated_by > 0
    cert = load_certificate(tmp_path / "certificate.json")
    assert cert.mdp.shape[0] <= 3 and max(v.denominator for row in cert.pi_new for v in row) <= 100


def test_falsify_a_true_bound_reports_the_smallest_slack(tmp_path, capsys):
    assert main(["falsify", "bounds:theorem1", "--time", "3", "--out", str(tmp_path)]) == 0
    text = (tmp_path / "report.txt").read_text()
    assert "no violation found" in text and "smallest slack found" in text
    d = json.loads((tmp_path / "certificate.json").read_text())
    assert d["claim"]["name"] == "theorem1" and d["claimed"]["slack"] >= 0
    assert verify_certificate(tmp_path / "certificate.json").message.startswith("not violated")


def test_falsify_a_user_function(tmp_path, monkeypatch):
    mod = tmp_path / "planted_claims.py"
    mod.write_text(
        "import numpy as np\n"
        "from tabular.evaluation import evaluate, surrogate\n"
        "from tabular.divergences import max_tv\n"
        "def forgot_horizon(mdp, pi, pi_new):  # Theorem 1 without the 1/(1-gamma)^2\n"
        "    ev = evaluate(mdp, pi)\n"
        "    return surrogate(mdp, pi, pi_new, ev=ev) - 4 * np.abs(ev.A).max() * mdp.gamma * max_tv(pi, pi_new) ** 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["falsify", "planted_claims:forgot_horizon", "--time", "20", "--gamma-range", "0.5,0.99",
                 "--out", str(tmp_path / "o")]) == 0
    cert = load_certificate(tmp_path / "o" / "certificate.json")
    m, pi, pn = cert.float_instance()
    import planted_claims

    assert evaluate(m, pn).eta < planted_claims.forgot_horizon(m, pi, pn)  # replayed independently
    assert 0.5 <= float(cert.mdp.gamma) <= 0.99


@pytest.mark.parametrize("argv,option", [
    (["no_such_claim"], "target"),
    (["nosuchmodule_xyz:f"], "target"),
    (["theorem1", "--gamma-range", "0.5"], "--gamma-range"),
    (["theorem1", "--gamma-range", "0.9,0.2"], "--gamma-range"),
    (["theorem1", "--states", "1"], "--states"),
    (["theorem1", "--time", "-3"], "--time"),
])
def test_bad_arguments_are_argparse_errors_naming_the_option(argv, option, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["falsify", *argv, "--out", str(tmp_path)])
    assert exc.value.code == 2
    assert option in capsys.readouterr().err

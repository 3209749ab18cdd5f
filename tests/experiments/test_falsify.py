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
    assert main(["falsify", "surrogate_monotone", "--rounds", "6", "--states", "4", "--actions", "3",
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
    # the closest instance may touch the bound: its float slack is then round-off (seen: -1.1e-16); the exact
    # verification below is what decides
    assert d["claim"]["name"] == "theorem1" and d["claimed"]["slack"] >= -1e-12
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
    assert main(["falsify", "planted_claims:forgot_horizon", "--rounds", "6", "--gamma-range", "0.5,0.99",
                 "--out", str(tmp_path / "o")]) == 0
    cert = load_certificate(tmp_path / "o" / "certificate.json")
    m, pi, pn = cert.float_instance()
    import planted_claims

    assert evaluate(m, pn).eta < planted_claims.forgot_horizon(m, pi, pn)  # replayed independently
    assert 0.5 <= float(cert.mdp.gamma) <= 0.99


def test_a_registered_record_and_a_penalty_resolve_as_the_theory_s_bounds(tmp_path, monkeypatch):
    """``falsify MODULE:FUNCTION`` takes a ``@register``-ed record and a plain penalty ``(q, ops)`` as well as a
    claim ``(mdp, pi, pi_new)``: each becomes the bound eta_new >= L - penalty, recomputed here from tabular."""
    import tabular as T
    from experiments.falsify import resolve_target
    from tabular.divergences import max_tv

    mod = tmp_path / "own_bounds_f.py"
    mod.write_text(
        "from bounds.registry import Bound\n"
        "def quarter(q, ops):\n"
        "    return q.C * q.alpha ** 2 / 4\n"
        "record = Bound('quarter_rec', penalty=quarter, statement='eta_new >= L - (C/4) alpha^2', theorem=False)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    rng = np.random.default_rng(3)
    mdp = T.garnet(3, 2, branching=2, gamma=0.7, rng=rng)
    pi, pn = T.random_policy(mdp, rng=rng), T.random_policy(mdp, rng=rng)
    ev = evaluate(mdp, pi)
    eps = float(np.abs(ev.A).max())
    expected = T.surrogate(mdp, pi, pn) - 4 * eps * 0.7 / 0.3 ** 2 * max_tv(pi, pn) ** 2 / 4
    for target in ("own_bounds_f:quarter", "own_bounds_f:record"):
        claim = resolve_target(target)
        assert float(claim(mdp, pi, pn)) == pytest.approx(expected, rel=1e-10), target
    with pytest.raises(ValueError, match="not callable"):
        monkeypatch.setattr("own_bounds_f.record", 3, raising=False)
        resolve_target("own_bounds_f:record")


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


@pytest.mark.parametrize("argv,option", [
    (["theorem1", "--seed", "-1"], "--seed"),
    (["theorem1", "--seed", "1.5"], "--seed"),
    (["theorem1", "--time", "inf"], "--time"),
    (["theorem1", "--time", "nan"], "--time"),
    (["theorem1", "--time", "1e9"], "--time"),
    (["theorem1", "--time", "0.5"], "--time"),
    (["theorem1", "--states", "100000"], "--states"),
    (["theorem1", "--actions", "0"], "--actions"),
    (["theorem1", "--actions", "two"], "--actions"),
    (["theorem1", "--max-denominator", "0"], "--max-denominator"),
    (["theorem1", "--max-denominator", "1e100"], "--max-denominator"),
    (["theorem1", "--gamma-range", "nan,0.5"], "--gamma-range"),
    (["theorem1", "--gamma-range", "0.1,0.5,0.9"], "--gamma-range"),
    (["theorem1", "--gamma-range", "0.5,1"], "--gamma-range"),
    (["math:sqrt"], "target"),
    (["os:getcwd"], "target"),
    (["os:sep"], "target"),
    ([":theorem1"], "target"),
    (["math:"], "target"),
    (["math:no.such.attr"], "target"),
])
def test_more_bad_arguments_are_one_line_errors_before_the_search(argv, option, tmp_path, capsys):
    out = tmp_path / "o"
    with pytest.raises(SystemExit) as exc:
        main(["falsify", *argv, "--out", str(out)])
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert exc.value.code == 2 and option in last and "error:" in last and "Traceback" not in err
    assert not out.exists()  # refused before anything was searched or written


@pytest.mark.parametrize("out", ["/dev/null/sub", "/proc/falsify-out"])
def test_an_unwritable_out_is_refused_before_the_search(out, capsys):
    import time

    t0 = time.perf_counter()
    with pytest.raises(SystemExit) as exc:
        main(["falsify", "theorem1", "--time", "60", "--out", out])
    assert exc.value.code == 2 and "argument --out" in capsys.readouterr().err
    assert time.perf_counter() - t0 < 30  # the 60-second search never ran


def test_a_claim_that_fails_during_the_search_is_one_line(tmp_path, capsys, monkeypatch):
    import experiments.falsify as F

    def boom(*a, **k):
        raise FloatingPointError("overflow in the claim")

    monkeypatch.setattr(F, "falsify", boom)
    assert main(["falsify", "theorem1", "--time", "2", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "theorem1" in err and "FloatingPointError" in err


def test_help_shows_every_default_and_version_prints_the_package_version(capsys):
    from tabular import __version__

    with pytest.raises(SystemExit) as exc:
        main(["falsify", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert exc.value.code == 0
    for default in ("(default: (0.001, 0.99))", "(default: 3)", "(default: 2)", "(default: 60.0)", "(default: 0)",
                    "(default: 100)"):
        assert default in text, default
    with pytest.raises(SystemExit) as exc:
        main(["falsify", "--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip().endswith(__version__)


def test_the_report_of_a_true_bound_is_readable(tmp_path):
    """Small numbers, a sane page, and round-off never drawn as a violation."""
    import re

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.collections import PolyCollection
    from PIL import Image

    import experiments.falsify as F
    from bounds.counterexamples.falsify import falsify

    def touches(mdp, pi, pi_new):  # eta(pi_new) itself plus round-off: a true bound that is tight everywhere
        return evaluate(mdp, pi_new).eta + 1e-16

    res = falsify(touches, time_budget=2.0)
    text = F.report_text(res, "touches")
    table = text.split("closest instance")[1]
    assert not re.search(r"\d{5,}/\d{5,}", table)  # no 40-digit fractions
    assert max(len(line) for line in text.splitlines()) <= 130
    fig, seg = F.plot_report(res, "touches", touches)
    assert not [c for c in fig.axes[1].collections if isinstance(c, PolyCollection)]  # no violation shaded
    red = fig.axes[1].lines[1].get_ydata()
    black = fig.axes[1].lines[0].get_ydata()
    np.testing.assert_array_equal(red, black)  # within the round-off allowance: drawn touching
    fig.savefig(tmp_path / "r.png", dpi=144, bbox_inches="tight")
    w, h = Image.open(tmp_path / "r.png").size
    assert w <= 1300 and h <= 1700


def test_display_rounds_only_large_denominators():
    import experiments.falsify as F
    from fractions import Fraction

    assert F._num(Fraction(1, 3)) == "1/3" and F._num(Fraction(7)) == "7"
    assert F._num(Fraction(2**60 + 1, 2**62)) == "0.25"

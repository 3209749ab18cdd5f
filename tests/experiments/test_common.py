"""Tests of experiments/_common.py: the shared argument types and help formatter, the CSV writer, and
the registry against the figure-module contract stated in its docstring."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from experiments import _common as C


def test_int_arg_accepts_integers_at_or_above_the_bound():
    parse = C.int_arg(lo=1)
    assert parse("3") == 3
    for bad in ("0", "-2", "2.5", "two", ""):
        with pytest.raises(argparse.ArgumentTypeError, match=">= 1"):
            parse(bad)
    assert C.seed_arg("0") == 0
    with pytest.raises(argparse.ArgumentTypeError, match=">= 0"):
        C.seed_arg("-1")


def test_real_arg_rejects_nan_inf_and_below_the_bound():
    parse = C.real_arg(lo=0.0)
    assert parse("0") == 0.0 and parse("2.5") == 2.5
    for bad in ("-0.1", "nan", "inf", "x"):
        with pytest.raises(argparse.ArgumentTypeError, match="finite number >= 0"):
            parse(bad)


def test_out_dir_arg(tmp_path):
    assert C.out_dir_arg(str(tmp_path)) == tmp_path
    assert C.out_dir_arg(str(tmp_path / "new" / "deeper")) == tmp_path / "new" / "deeper"
    f = tmp_path / "f.txt"
    f.write_text("x")
    with pytest.raises(argparse.ArgumentTypeError, match="existing file"):
        C.out_dir_arg(str(f))
    with pytest.raises(argparse.ArgumentTypeError, match="goes through the existing file"):
        C.out_dir_arg(str(f / "sub"))


def test_help_formatter_shows_defaults_but_not_none_or_required():
    p = argparse.ArgumentParser(formatter_class=C.HelpFormatter)
    p.add_argument("--a", default=3, help="alpha")
    p.add_argument("--b", default=None, help="beta (default: computed)")
    p.add_argument("--c", required=True, help="gamma")
    p.add_argument("--flag", action="store_true", help="delta")
    text = " ".join(p.format_help().split())
    assert "alpha (default: 3)" in text and "delta (default: False)" in text
    assert "beta (default: computed)" in text and "None" not in text and "gamma (default" not in text


def test_write_csv_writes_significant_digits_and_checks_lengths(tmp_path):
    C.write_csv(tmp_path / "t.csv", {"x": [0.1, 1 / 3], "name": ["a", "b"], "k": [1, 2], "f": [True, False]})
    assert (tmp_path / "t.csv").read_text().splitlines() == ["x,name,k,f", "0.1,a,1,1", "0.33333333,b,2,0"]
    with pytest.raises(ValueError, match="different lengths"):
        C.write_csv(tmp_path / "u.csv", {"x": [1.0], "y": [1.0, 2.0]})


def test_format_number_round_trips():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.standard_normal(200) * 10.0 ** rng.integers(-300, 300, 200),
                             [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, 5e-324, 1.7976931348623157e308]])
    for v in values:
        text = C.format_number(v)
        back = float(text)
        # a second pass writes the same text (stable), and the value is v to CSV_DIGITS digits
        assert C.format_number(back) == text
        assert back == v or abs(back - v) <= 0.5 * 10.0 ** (1 - C.CSV_DIGITS) * abs(v)
        assert len(text.lstrip("-").split("e")[0].replace(".", "").lstrip("0")) <= C.CSV_DIGITS
    assert C.format_number(-0.0) == "0" and C.format_number(np.nan) == "nan"
    assert C.format_number(np.int64(-7)) == "-7" and C.format_number("x,y") == "x,y"


def test_count_below_and_first_at_least_report_round_off():
    # counted below -0.1 by more than the margin: only -1; -0.1 +- 1e-12 are within round-off
    assert C.count_below(np.array([-1.0, -0.1 - 1e-12, -0.1 + 1e-12, 0.0]), -0.1, 1e-9) == (1, 2)
    assert C.count_below([], 0.0, 1e-9) == (0, 0)
    assert C.first_at_least([0.0, 0.95, 0.99], 0.9, 1e-9) == (1, True)
    assert C.first_at_least([0.0, 0.9 - 1e-12, 0.95], 0.9, 1e-9) == (2, False)
    assert C.first_at_least([0.0, 0.5], 0.9, 1e-9) == (None, True)


def test_verdict_label_says_what_pass_means():
    assert C.Verdict(True, "k").label == "PASS" and C.Verdict(False, "k").label == "FAIL"
    assert C.Verdict(True, "k", passed_means="verdicts computed").label == "PASS (verdicts computed)"


def test_every_registered_module_follows_the_contract():
    for name, mod in C.registry().items():
        assert mod.NAME == name and isinstance(mod.CLAIM, str) and mod.CLAIM
        assert callable(mod.compute) and callable(mod.plot)

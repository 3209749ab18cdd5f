"""Tests of experiments/check.py: the CSV comparison (a moved column is found with the right size, a
change within tolerance passes, missing/extra columns and row changes are reported), the gallery numbers
(every listed number is written in docs/gallery.md as listed; the comparison with a regenerated key number),
and a smoke run of ``check --only`` on a cheap figure."""

from __future__ import annotations

import io
import json
import math
import shutil

import pytest

from experiments import _common
from experiments import check as K


def _csv(path, columns):
    _common.write_csv(path, columns)
    return path


def _by_name(reports):
    return {r.column: r for r in reports}


def test_a_moved_column_is_found_with_its_size(tmp_path):
    old = _csv(tmp_path / "old.csv", {"x": [1.0, 2.0, 3.0], "y": [0.5, 0.25, 0.125], "name": ["a", "b", "c"]})
    new = _csv(tmp_path / "new.csv", {"x": [1.0, 2.0, 3.003], "y": [0.5, 0.25, 0.125], "name": ["a", "b", "c"]})
    r = _by_name(K.compare_csv(old, new))
    assert r["y"].status == "same" and r["name"].status == "same"
    x = r["x"]
    assert x.status == "moved" and not x.ok and x.n_outside == 1
    # sizes computed by hand: |3.003 - 3| = 0.003, relative 0.001
    assert x.max_abs == pytest.approx(0.003, rel=1e-9) and x.max_rel == pytest.approx(0.001, rel=1e-9)


def test_a_change_within_tolerance_passes(tmp_path):
    old = _csv(tmp_path / "old.csv", {"x": [1.0, 100.0], "y": [1.0, 100.0]})
    new = _csv(tmp_path / "new.csv", {"x": [1.0 + 1e-7, 100.0], "y": [1.0, 100.0 + 1e-3]})
    r = _by_name(K.compare_csv(old, new))
    assert r["x"].status == "within" and r["x"].ok  # 1e-7 relative <= DEFAULT_RTOL = 1e-6
    assert r["x"].max_abs == pytest.approx(1e-7, rel=1e-6)
    assert r["y"].status == "moved" and r["y"].max_rel == pytest.approx(1e-5, rel=1e-6)  # 1e-5 > 1e-6
    loose = _by_name(K.compare_csv(old, new, {"*": dict(rtol=1e-4, reason="declared")}))
    assert loose["y"].status == "within" and loose["y"].rtol == 1e-4


def test_round_off_around_zero_is_within_the_default_atol(tmp_path):
    old = _csv(tmp_path / "old.csv", {"g": [1e-16, -2e-17, 0.0]})
    new = _csv(tmp_path / "new.csv", {"g": [-3e-16, 4e-17, 5e-13]})
    g = _by_name(K.compare_csv(old, new))["g"]
    assert g.status == "within" and g.max_abs == pytest.approx(5e-13)
    tight = _by_name(K.compare_csv(old, new, {"g": dict(atol=1e-14, reason="test")}))["g"]
    assert tight.status == "moved" and tight.n_outside == 1 and tight.note == "test"


def test_missing_extra_columns_and_row_changes_are_reported(tmp_path):
    old = _csv(tmp_path / "old.csv", {"a": [1, 2, 3], "b": [1.0, 2.0, 3.0]})
    new = _csv(tmp_path / "new.csv", {"a": [1, 2], "c": ["x", "y"]})
    r = _by_name(K.compare_csv(old, new))
    assert r["(rows)"].status == "rows" and "3 rows committed, 2 regenerated" in r["(rows)"].note
    assert r["b"].status == "missing" and r["c"].status == "extra"
    assert r["a"].status == "same"  # the common rows
    assert not any(x.ok for x in (r["(rows)"], r["b"], r["c"]))


def test_integers_and_strings_must_match_exactly(tmp_path):
    old = _csv(tmp_path / "old.csv", {"k": [1, 2], "s": ["yes", "no"]})
    new = _csv(tmp_path / "new.csv", {"k": [1, 3], "s": ["yes", "yes"]})
    r = _by_name(K.compare_csv(old, new))
    assert r["k"].status == "moved" and "'2' -> '3'" in r["k"].note
    assert r["s"].status == "moved" and "'no' -> 'yes'" in r["s"].note


def test_skipped_columns_and_row_filters(tmp_path):
    old = _csv(tmp_path / "old.csv", {"eta": [0.1, 0.5, 0.7], "kl": [0.2, 0.2, 0.0], "done": [0, 0, 1]})
    new = _csv(tmp_path / "new.csv", {"eta": [0.1, 0.5, 0.9], "kl": [0.2, 0.2, 0.02], "done": [0, 0, 1]})
    tol = {"eta": dict(compare=False, reason="chaotic"), "kl": dict(only_rows_where=("done", "==", 0))}
    r = _by_name(K.compare_csv(old, new, tol))
    assert r["eta"].status == "skipped" and r["eta"].ok and r["eta"].note == "chaotic"
    assert r["kl"].status == "same"
    assert _by_name(K.compare_csv(old, new))["kl"].status == "moved"  # without the filter


def test_nan_and_infinities(tmp_path):
    old = _csv(tmp_path / "old.csv", {"a": [math.nan, math.inf, 1.0], "b": [1.0, 2.0, 3.0]})
    new = _csv(tmp_path / "new.csv", {"a": [math.nan, math.inf, 1.0], "b": [1.0, math.inf, math.nan]})
    r = _by_name(K.compare_csv(old, new))
    assert r["a"].status == "same"
    assert r["b"].status == "moved" and r["b"].n_outside == 2 and r["b"].max_abs == math.inf


# ----------------------------------------------------------------------------- gallery numbers
def test_number_tokens_and_units():
    text = "0 of 1,440 steps; 0.86-0.91, −0.16 and 6.1e-66 (5e9×); δ=0.2; 22, 34; fig 99.9%"
    assert K.number_tokens(text) == ["0", "1,440", "0.86", "0.91", "−0.16", "6.1e-66", "5e9", "0.2", "22", "34",
                                     "99.9"]
    assert K.parse_number("1,440") == 1440 and K.parse_number("−0.16") == -0.16
    assert K.last_digit_unit("0.494") == pytest.approx(1e-3) and K.last_digit_unit("52") == 1
    assert K.last_digit_unit("6.1e-66") == pytest.approx(1e-67)


def test_check_numbers_compares_by_position_under_the_tolerance():
    entries = [dict(figure="f", key="drops", index=1, value="52", tolerance=3, machine_independent=False),
               dict(figure="f", key="beta", index=2, value="0.494", tolerance=0.001, machine_independent=True),
               dict(figure="f", key="gone", index=9, value="1", tolerance=0, machine_independent=True),
               dict(figure="other", key="x", index=0, value="1", tolerance=0, machine_independent=True)]
    r = K.check_numbers(entries, {"f": "δ=0.2: 50 drops; fixed β = 0.496"})
    assert [x.key for x in r] == ["drops", "beta", "gone"]  # "other" was not regenerated
    assert r[0].ok and r[0].regenerated == "50"
    assert not r[1].ok and r[1].regenerated == "0.496"
    assert not r[2].ok and "only 3 numbers" in r[2].note


def test_every_listed_number_is_written_in_the_gallery():
    entries = K.load_numbers()
    assert entries, "figures/numbers.json lists no number"
    assert K.GALLERY == K.FIGURES.parent / "docs" / "gallery.md"
    page = K.GALLERY.read_text()
    assert K.numbers_not_in_gallery(entries, page) == []
    for e in entries:
        assert e["figure"] in _common.registry(), e
        # a machine-independent number may move by at most one unit of its last written digit
        if e["machine_independent"]:
            assert e["tolerance"] <= K.last_digit_unit(e["value"]) * (1 + 1e-9), e
        else:
            assert e.get("reason"), f"{e}: a number that is not machine-independent states why"


def test_numbers_not_in_gallery_finds_a_changed_number():
    page = "## 8\n\n![x](../figures/fig8_line_search.png)\n\n**Result:** 44 in 424\n\n## 9\n\n52 here\n"
    e = [dict(figure="fig8_line_search", key="k", index=0, value="52", tolerance=0, machine_independent=True),
         dict(figure="fig8_line_search", key="k", index=0, value="44", tolerance=0, machine_independent=True),
         dict(figure="fig8_line_search", key="k", index=0, value="4", tolerance=0, machine_independent=True)]
    assert [x["value"] for x in K.numbers_not_in_gallery(e, page)] == ["52", "4"]


def test_gallery_section_runs_from_the_image_to_the_next_heading():
    page = "# G\n\n## 1\n\n![a](../figures/figA.png)\n\nA 1.5\n\n## 2\n\n![b](../figures/figB.png)\n\nB 7\n"
    assert K.gallery_section(page, "figA") == "figures/figA.png)\n\nA 1.5\n"
    assert K.gallery_section(page, "figB") == "figures/figB.png)\n\nB 7\n"  # the last section ends the page
    with pytest.raises(ValueError, match="no image figures/figC.png"):
        K.gallery_section(page, "figC")


def test_every_figure_with_listed_numbers_has_a_gallery_section_with_its_command():
    page = K.GALLERY.read_text()
    for figure in sorted({e["figure"] for e in K.load_numbers()}):
        section = K.gallery_section(page, figure)
        assert f"../figures/{figure}.png" in page, figure  # the image path is relative to docs/
        assert "**Result:**" in section and f"python -m experiments {figure}" in section, figure


def test_load_numbers_names_a_missing_field(tmp_path):
    p = tmp_path / "numbers.json"
    p.write_text(json.dumps([{"figure": "f", "value": "1"}]))
    with pytest.raises(ValueError, match="entry 0 lacks"):
        K.load_numbers(p)


# ----------------------------------------------------------------------------- the command
def test_check_only_one_cheap_figure(tmp_path):
    name = "fig7_counterexamples"
    committed = tmp_path / "committed"
    committed.mkdir()
    shutil.copy(K.FIGURES / f"{name}.csv", committed / f"{name}.csv")
    out = io.StringIO()
    assert K.run_check([name], tmp_path / "a", committed=committed, stream=out) == 0, out.getvalue()
    assert f"{name}" in out.getvalue() and "everything within tolerance" in out.getvalue()
    # move one column of the "committed" file: the check fails and names the column
    cols = K.read_csv(committed / f"{name}.csv")
    moved = list(cols)[-1]
    cols[moved] = [str(float(v) * 1.01) for v in cols[moved]]
    _common.write_csv(committed / f"{name}.csv", cols)
    out = io.StringIO()
    assert K.run_check([name], tmp_path / "b", committed=committed, stream=out) == 1
    line = next(x for x in out.getvalue().splitlines() if x.strip().startswith(moved))
    assert "moved" in line and "max rel 0.0099" in line


def test_check_refuses_to_write_into_the_committed_folder(capsys):
    with pytest.raises(SystemExit) as exc:
        K.main(["--only", "fig7_counterexamples", "--out", str(K.FIGURES)])
    assert exc.value.code == 2 and "committed figures' folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        K.main(["--only", "no_such_figure"])


def test_numbers_for_lists_the_key_numbers_the_gallery_quotes():
    """Written by hand: the gallery section quotes 0.08584 and 10 but not 0.0301; a count gets tolerance 0,
    a decimal one unit of its last digit, and a kept entry keeps its tolerance."""
    from experiments.check import numbers_for

    page = "## 16\n\n![f](../figures/figX.png)\n\nup to 0.08584 in 10 jobs\n\n## next\n0.0301\n"
    key = "rho 0.08584; 10 jobs; live 0.0301"
    got = numbers_for("figX", key, page)
    assert [(e["index"], e["value"], e["tolerance"]) for e in got] == [(0, "0.08584", pytest.approx(1e-5)), (1, "10", 0)]
    kept = [dict(got[0], tolerance=0.5, reason="why")]
    again = numbers_for("figX", key, page, kept)
    assert again[0]["tolerance"] == 0.5 and again[0]["reason"] == "why"


def test_update_numbers_reads_the_gallery_and_keeps_the_committed_entries(tmp_path):
    """``--update-numbers`` on an unchanged figure rewrites its entries from the gallery page to the
    numbers the committed numbers.json already lists (listed when they lived in the README; the ``key``
    labels were written by an older rule, so they are left out of the comparison), and leaves every
    other figure's entries as they were."""
    committed = K.load_numbers()
    path = tmp_path / "numbers.json"
    shutil.copy(K.NUMBERS, path)
    out = io.StringIO()
    assert K.update_numbers(["fig1_mm"], tmp_path / "out", numbers_path=path, stream=out) == 0
    assert "fig1_mm: 8 gallery numbers listed" in out.getvalue()
    def strip(entries):
        return [{k: v for k, v in e.items() if k != "key"} if e["figure"] == "fig1_mm" else e for e in entries]

    got = K.load_numbers(path)
    assert [e["value"] for e in got if e["figure"] == "fig1_mm"] == ["6.65", "4", "1.0086", "1.0180", "1.0275",
                                                                     "1.0369", "1.0463", "0"]
    assert strip(got) == strip(committed)

"""Tests of ``tabular/io.py``: exact .npz round trips, JSON round trips, a hand-written JSON model
evaluated against values solved by hand, and clear errors for bad files."""

from __future__ import annotations

import doctest
import io
import json
import re
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

from tabular import MDP, evaluate, from_json, garnet, load, load_npz, save, save_npz, to_json
import tabular.io as tabular_io
from tabular.io import JSON_FIELDS, from_dict, to_dict
from tabular.strategies import mdps

HAND_WRITTEN = """
{
  "gamma": 0.5,
  "n_states": 2, "n_actions": 2,
  "rho0": [1.0, 0.0],
  "R": [[1, 0], [0, 2]],
  "transitions": [[0, 0, 0, 0.5], [0, 0, 0, 0.5],
                  [0, 1, 1, 0.5], [0, 1, 0, 0.5],
                  [1, 0, 1, 1.0],
                  [1, 1, 0, 0.25], [1, 1, 1, 0.75]]
}
"""


def _assert_same(a: MDP, b: MDP):
    assert a.is_sparse == b.is_sparse and a.shape == b.shape and a.gamma == b.gamma
    np.testing.assert_array_equal(a.dense_P(), b.dense_P())
    np.testing.assert_array_equal(a.R, b.R)
    np.testing.assert_array_equal(a.rho0, b.rho0)


# ----------------------------------------------------------------------------- npz
@pytest.mark.parametrize("sparse", [False, True])
def test_npz_round_trip_is_exact(tmp_path, sparse):
    mdp = garnet(40, 3, 5, rng=0, gamma=0.97, sparse=sparse, reward="signed")
    path = tmp_path / "m.npz"
    save_npz(mdp, path)
    back = load_npz(path)
    _assert_same(back, mdp)
    if sparse:
        np.testing.assert_array_equal(back.P.indptr, mdp.P.indptr)
        np.testing.assert_array_equal(back.P.indices, mdp.P.indices)
        np.testing.assert_array_equal(back.P.data, mdp.P.data)
    # and through the suffix dispatcher
    save(mdp, tmp_path / "n.npz")
    _assert_same(load(tmp_path / "n.npz"), mdp)


@given(mdps())
@settings(max_examples=25, deadline=None, derandomize=True)
def test_npz_and_json_round_trips_on_random_mdps(mdp):
    with tempfile.TemporaryDirectory() as d:
        save(mdp, Path(d) / "m.npz")
        _assert_same(load(Path(d) / "m.npz"), mdp)
        save(mdp, Path(d) / "m.json")
        back = load(Path(d) / "m.json")
    assert back.is_sparse == mdp.is_sparse and back.gamma == mdp.gamma
    np.testing.assert_allclose(back.dense_P(), mdp.dense_P(), rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(back.R, mdp.R, rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(back.rho0, mdp.rho0, rtol=1e-15, atol=1e-15)


# ----------------------------------------------------------------------------- json
@pytest.mark.parametrize("sparse", [False, True])
def test_json_round_trip(tmp_path, sparse):
    mdp = garnet(15, 3, 4, rng=1, gamma=0.9, sparse=sparse, reward="signed")
    text = to_json(mdp, tmp_path / "m.json")
    assert json.loads(text)["sparse"] is sparse
    for back in (from_json(text), from_json(tmp_path / "m.json"), from_json(str(tmp_path / "m.json")),
                 load(tmp_path / "m.json")):
        assert back.is_sparse == sparse and back.shape == mdp.shape and back.gamma == mdp.gamma
        np.testing.assert_allclose(back.dense_P(), mdp.dense_P(), rtol=1e-15, atol=1e-15)
        np.testing.assert_allclose(back.R, mdp.R, rtol=1e-15, atol=1e-15)
        np.testing.assert_allclose(back.rho0, mdp.rho0, rtol=1e-15, atol=1e-15)
    d = to_dict(mdp)
    assert all(len(t) == 4 for t in d["transitions"])
    assert len(d["transitions"]) == 15 * 3 * 4  # branching 4: only the non-zeros are listed


def test_hand_written_json():
    """The JSON above, read by hand (gamma = 0.5, start in s0):

    s0: a0 stays (1/2 + 1/2, duplicates summed), reward 1;  a1 -> s0 or s1 w.p. 1/2, reward 0.
    s1: a0 stays, reward 0;  a1 -> s0 w.p. 1/4, s1 w.p. 3/4, reward 2.

    Always a0: V(s0) = 1 / (1 - 0.5) = 2, V(s1) = 0.
    Always a1: V0 = 0.5 (V0/2 + V1/2) => V1 = 3 V0;  V1 = 2 + 0.5 (V0/4 + 3 V1/4)
               => 0.625 * 3 V0 = 2 + 0.125 V0 => V0 = 8/7, V1 = 24/7.
    """
    mdp = from_json(HAND_WRITTEN)
    assert mdp.shape == (2, 2) and mdp.gamma == 0.5 and not mdp.is_sparse
    np.testing.assert_array_equal(mdp.dense_P()[0, 0], [1.0, 0.0])
    ev0 = evaluate(mdp, np.array([[1.0, 0.0], [1.0, 0.0]]))
    np.testing.assert_allclose(ev0.V, [2.0, 0.0], rtol=1e-15, atol=1e-15)
    ev1 = evaluate(mdp, np.array([[0.0, 1.0], [0.0, 1.0]]))
    np.testing.assert_allclose(ev1.V, [8 / 7, 24 / 7], rtol=1e-14)
    assert ev1.eta == pytest.approx(8 / 7, rel=1e-14)


def test_hand_written_json_variants():
    d = json.loads(HAND_WRITTEN)
    sparse = from_dict({**d, "sparse": True})
    assert sparse.is_sparse
    np.testing.assert_array_equal(sparse.dense_P(), from_dict(d).dense_P())
    # "P" as a nested (S, A, S) list instead of "transitions"
    nested = {k: v for k, v in d.items() if k != "transitions"}
    nested["P"] = from_dict(d).dense_P().tolist()
    np.testing.assert_array_equal(from_dict(nested).dense_P(), from_dict(d).dense_P())
    # a state reward r(s) with n_actions given
    per_state = {**d, "R": [1.0, -1.0]}
    np.testing.assert_array_equal(from_dict(per_state).R, [[1.0, 1.0], [-1.0, -1.0]])


# ----------------------------------------------------------------------------- bad files
@pytest.mark.parametrize(
    "change, pattern",
    [
        ({"gamma": None}, "gamma"),
        ({"rho0": None}, "rho0"),
        ({"R": None}, "'R'"),
        ({"transitions": None}, "transitions"),
        ({"transitions": [[0, 0, 0, 1.0], [0, 1, 2, 1.0], [1, 0, 1, 1.0], [1, 1, 1, 1.0]]}, "next state"),
        ({"transitions": [[0, 0, 0, 1.0], [0, 5, 1, 1.0], [1, 0, 1, 1.0], [1, 1, 1, 1.0]]}, "action"),
        ({"transitions": [[0, 0, 0, 1.0], [0.5, 1, 1, 1.0], [1, 0, 1, 1.0], [1, 1, 1, 1.0]]}, "state"),
        ({"transitions": [[0, 0, 0, 1.0], [0, 1, 1, 0.9], [1, 0, 1, 1.0], [1, 1, 1, 1.0]]}, "sums to"),
        ({"transitions": []}, "transitions|sums to"),
        ({"gamma": 1.0}, "gamma"),
        ({"R": [1.0, 2.0], "n_actions": None}, "n_actions"),
        ({"rho0": [0.5, 0.4]}, "rho0"),
    ],
)
def test_bad_descriptions_raise_value_error(change, pattern):
    d = json.loads(HAND_WRITTEN)
    for key, value in change.items():
        if value is None:
            d.pop(key)
        else:
            d[key] = value
    with pytest.raises(ValueError, match=pattern):
        from_dict(d)
    with pytest.raises(ValueError, match=pattern):
        from_json(json.dumps(d))


@pytest.mark.parametrize("entries", [
    [[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0]],  # [s, a, next] without probabilities: 12 numbers
    [[0, 0, 0, 1.0], [0, 1, 1]],  # ragged
])
def test_transitions_of_the_wrong_width_are_rejected_by_name(entries):
    """Every transition must be [s, a, next, p]. The loader reshapes the flat list into rows of 4,
    so a list of triples is read with shifted columns (here, 12 numbers as 3 "transitions"), and a
    wrong width fails with numpy's "cannot reshape" message, which names no argument."""
    d = {"gamma": 0.5, "n_states": 2, "n_actions": 2, "rho0": [1.0, 0.0], "R": [[0, 0], [0, 0]],
         "transitions": entries}
    with pytest.raises(ValueError, match="transitions"):
        from_dict(d)


def test_transitions_of_the_wrong_width_are_not_silently_reinterpreted():
    """[[0, 0], [0, 1.0]] is two malformed entries, not the transition (0, 0) -> 0 w.p. 1."""
    d = {"gamma": 0.5, "rho0": [1.0], "R": [[0.0]], "transitions": [[0, 0], [0, 1.0]]}
    with pytest.raises(ValueError, match="transitions"):
        from_dict(d)


def test_malformed_json_text():
    with pytest.raises(ValueError):  # json.JSONDecodeError is a ValueError
        from_json('{"gamma": 0.5,')


def test_unknown_suffix(tmp_path):
    mdp = garnet(3, 2, 2, rng=0)
    with pytest.raises(ValueError, match="unknown MDP file type"):
        save(mdp, tmp_path / "m.pkl")
    (tmp_path / "m.txt").write_text("{}")
    with pytest.raises(ValueError, match="unknown MDP file type"):
        load(tmp_path / "m.txt")


def test_npz_without_a_transition_model(tmp_path):
    np.savez(tmp_path / "m.npz", R=np.zeros((2, 2)), rho0=np.array([1.0, 0.0]), gamma=0.9)
    with pytest.raises(ValueError, match="no transition model"):
        load_npz(tmp_path / "m.npz")


def test_npz_not_an_archive(tmp_path):
    (tmp_path / "m.npz").write_text("not an archive")
    with pytest.raises(ValueError):
        load(tmp_path / "m.npz")


def test_npz_with_invalid_contents(tmp_path):
    P = np.full((2, 2, 2), 0.6)  # rows sum to 1.2
    np.savez(tmp_path / "m.npz", P=P, R=np.zeros((2, 2)), rho0=np.array([1.0, 0.0]), gamma=0.9)
    with pytest.raises(ValueError, match="sums to"):
        load_npz(tmp_path / "m.npz")


@pytest.mark.parametrize("missing", ["gamma", "R", "rho0"])
def test_npz_missing_array_is_a_value_error(tmp_path, missing):
    """A bad file must raise ValueError naming what is missing (today: KeyError from numpy)."""
    arrays = dict(P=np.ones((1, 1, 1)), R=np.zeros((1, 1)), rho0=np.ones(1), gamma=0.5)
    arrays.pop(missing)
    np.savez(tmp_path / "m.npz", **arrays)
    with pytest.raises(ValueError, match=missing):
        load_npz(tmp_path / "m.npz")


def test_saved_files_validate_on_load(tmp_path):
    """A tampered JSON file is re-validated by MDP on load."""
    mdp = garnet(4, 2, 2, rng=3)
    d = to_dict(mdp)
    d["transitions"][0][3] += 0.5
    (tmp_path / "m.json").write_text(json.dumps(d))
    with pytest.raises(ValueError, match="sums to"):
        load(tmp_path / "m.json")


# ----------------------------------------------------------------------------- the documented format
def _docstring_example() -> str:
    """The example file in ``help(tabular.io)``: the indented block after "A complete, valid file"."""
    doc = tabular_io.__doc__
    lines = doc[doc.index("A complete, valid file"):].splitlines()[1:]
    start = next(i for i, ln in enumerate(lines) if ln.strip())
    indent = len(lines[start]) - len(lines[start].lstrip())
    block = []
    for ln in lines[start:]:
        if ln.strip() and len(ln) - len(ln.lstrip()) < indent:
            break
        block.append(ln)
    return textwrap.dedent("\n".join(block)).strip()


def test_the_module_docstring_documents_the_json_format():
    doc = tabular_io.__doc__
    for field in JSON_FIELDS:
        assert f'``"{field}"``' in doc, field
    assert "help(tabular.io)" in load.__doc__  # load points to it
    doc = load.__doc__
    assert "FileNotFoundError" in doc and "TypeError" in doc and "ValueError" in doc


def test_the_module_docstring_examples_run():
    result = doctest.testmod(tabular_io, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5 and result.failed == 0


def test_the_module_docstring_table_is_valid_restructuredtext():
    docutils_core = pytest.importorskip("docutils.core")
    errors = io.StringIO()
    # Sphinx roles (:func:) are unknown to plain docutils: only the structure (the table) is checked
    text = re.sub(r":(func|class|mod):`~?([^`]*)`", r"``\2``", tabular_io.__doc__)
    docutils_core.publish_string(text, writer_name="null",
                                 settings_overrides={"warning_stream": errors, "report_level": 2})
    assert errors.getvalue() == ""


def test_the_docstring_example_is_valid_json_and_loads(tmp_path):
    text = _docstring_example()
    d = json.loads(text)  # valid JSON: no comments, no trailing commas
    mdp = from_dict(d)
    # the README's two-state MDP
    P = np.zeros((2, 2, 2))
    P[0, 0] = [0.9, 0.1]
    P[0, 1] = [0.2, 0.8]
    P[1, 0] = [0.5, 0.5]
    P[1, 1] = [0.0, 1.0]
    np.testing.assert_array_equal(mdp.P, P)
    np.testing.assert_array_equal(mdp.R, [[0.0, 1.0], [2.0, 0.0]])
    np.testing.assert_array_equal(mdp.rho0, [1.0, 0.0])
    assert mdp.gamma == 0.9
    (tmp_path / "example.json").write_text(text)
    _assert_same(load(tmp_path / "example.json"), mdp)
    assert to_json(mdp) == text + "\n"  # and it is exactly what save writes


@pytest.mark.parametrize("sparse", [False, True])
def test_saved_json_has_one_row_per_line(tmp_path, sparse):
    mdp = garnet(6, 3, 2, rng=2, gamma=0.95, sparse=sparse, reward="signed")
    save(mdp, tmp_path / "m.json")
    text = (tmp_path / "m.json").read_text()
    lines = text.splitlines()
    assert len(lines) < 40 and max(len(ln) for ln in lines) < 200
    # each row of R on its own line
    for s in range(6):
        assert sum(json.dumps(mdp.R[s].tolist()) in ln for ln in lines) == 1
    # the entries of each P[s, a] row together on one line, one line per (s, a)
    body = lines[lines.index('  "transitions": [') + 1: -2]
    rows = [json.loads("[" + ln.strip().rstrip(",") + "]") for ln in body]
    assert len(rows) == 6 * 3
    P = mdp.dense_P()
    for row in rows:
        (s, a), = {(e[0], e[1]) for e in row}
        np.testing.assert_array_equal([e[3] for e in row], P[s, a][P[s, a] > 0])
    # round trip: exactly the same numbers
    _assert_same(load(tmp_path / "m.json"), mdp)


def test_saved_json_can_be_edited_by_hand(tmp_path):
    mdp = from_json(_docstring_example())
    save(mdp, tmp_path / "m.json")
    text = (tmp_path / "m.json").read_text()
    edited = text.replace("[1, 0, 0, 0.5], [1, 0, 1, 0.5]", "[1, 0, 0, 0.25], [1, 0, 1, 0.75]")
    assert edited != text
    (tmp_path / "m.json").write_text(edited)
    np.testing.assert_array_equal(load(tmp_path / "m.json").P[1, 0], [0.25, 0.75])


def test_compact_json():
    mdp = garnet(3, 2, 2, rng=0)
    text = to_json(mdp, indent=None)
    assert "\n" not in text
    _assert_same(from_json(text), mdp)


# ----------------------------------------------------------------------------- unreadable files
def _npz_bytes(tmp_path) -> bytes:
    save(garnet(5, 2, 2, rng=0), tmp_path / "good.npz")
    return (tmp_path / "good.npz").read_bytes()


@pytest.mark.parametrize("content", ["truncated", "garbage", "empty", "text"])
def test_unreadable_npz_is_a_value_error_naming_the_path(tmp_path, content):
    raw = _npz_bytes(tmp_path)
    data = {"truncated": raw[: len(raw) // 2], "garbage": bytes(range(256)) * 4, "empty": b"",
            "text": b"not an archive"}[content]
    path = tmp_path / "bad.npz"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=r"bad\.npz is not a readable \.npz archive of an MDP") as info:
        load(path)
    assert "allow_pickle" not in str(info.value) and "pickle" not in str(info.value)


def test_npy_renamed_npz_is_a_value_error_naming_the_path(tmp_path):
    with open(tmp_path / "arr.npz", "wb") as f:
        np.save(f, np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"arr\.npz holds a single array \(a \.npy file"):
        load(tmp_path / "arr.npz")


def test_npz_with_an_object_array_never_suggests_allow_pickle(tmp_path):
    np.savez(tmp_path / "m.npz", P=np.ones((1, 1, 1)), R=np.array([[None]], dtype=object), rho0=np.ones(1),
             gamma=0.5)
    with pytest.raises(ValueError, match=r"m\.npz: array 'R' holds Python objects") as info:
        load(tmp_path / "m.npz")
    assert "allow_pickle" not in str(info.value)


def test_sparse_npz_without_its_index_arrays_names_them(tmp_path):
    mdp = garnet(4, 2, 2, rng=0, sparse=True)
    save(mdp, tmp_path / "m.npz")
    arrays = dict(np.load(tmp_path / "m.npz"))
    del arrays["P_indices"]
    np.savez(tmp_path / "cut.npz", **arrays)
    with pytest.raises(ValueError, match=r"cut\.npz holds a sparse transition model without its array\(s\) "
                                         r"\['P_indices'\]"):
        load(tmp_path / "cut.npz")
    arrays = dict(np.load(tmp_path / "m.npz"))
    arrays["P_indptr"] = arrays["P_indptr"][:-2]
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=r"bad\.npz: the sparse arrays P_data, P_indices, P_indptr"):
        load(tmp_path / "bad.npz")


def test_npz_gamma_of_the_wrong_shape_names_gamma(tmp_path):
    np.savez(tmp_path / "m.npz", P=np.ones((1, 1, 1)), R=np.zeros((1, 1)), rho0=np.ones(1), gamma=[0.9, 0.5])
    with pytest.raises(ValueError, match=r"m\.npz: gamma must be a single number \(shape \(\)\), got an array "
                                         r"of shape \(2,\)"):
        load(tmp_path / "m.npz")


def test_npz_with_complex_arrays_is_a_type_error_naming_the_field(tmp_path):
    np.savez(tmp_path / "m.npz", P=np.ones((1, 1, 1)), R=np.zeros((1, 1)) + 1j, rho0=np.ones(1), gamma=0.5)
    with pytest.raises(TypeError, match=r"^R must be an array of real numbers, got a complex.*m\.npz"):
        load(tmp_path / "m.npz")


@pytest.mark.parametrize("name", ["nothing.npz", "nothing.json"])
def test_missing_file_names_the_path(tmp_path, name):
    with pytest.raises(FileNotFoundError, match=name) as info:
        load(tmp_path / name)
    assert info.value.filename == str(tmp_path / name)
    with pytest.raises(OSError, match=name):
        load(str(tmp_path / name))
    if name.endswith(".json"):
        with pytest.raises(FileNotFoundError, match=name):
            from_json(str(tmp_path / name))


# ----------------------------------------------------------------------------- bad JSON fields
def _good() -> dict:
    return json.loads(HAND_WRITTEN)


@pytest.mark.parametrize("change, error, pattern", [
    ({"n_actions": 2.7}, TypeError, r"^n_actions must be an integer, got 2.7"),
    ({"n_actions": 2.0}, TypeError, r"^n_actions must be an integer"),
    ({"n_states": "2"}, TypeError, r"^n_states must be an integer"),
    ({"sparse": "no"}, TypeError, r"^sparse must be a JSON boolean \(true or false\), got str 'no'"),
    ({"sparse": 0}, TypeError, r"^sparse must be a JSON boolean"),
    ({"rho0": "abc"}, TypeError, r"^rho0 must be an array of real numbers, got a string 'abc'"),
    ({"rho0": ["1", 0]}, TypeError, r"^rho0\[0\] must be a number, got str '1'"),
    ({"rho0": [True, False]}, TypeError, r"^rho0\[0\] must be a number, got bool True"),
    ({"R": [[1, 0], [0]]}, ValueError, r"^R is ragged"),
    ({"R": [[1, 0], [0, None]]}, TypeError, r"^R\[1\]\[1\] must be a number, got NoneType"),
    ({"gamma": "0.5"}, TypeError, r"^gamma must be a real number"),
    ({"n_states": 5}, ValueError, r"^n_states = 5 but rho0 has 2 entries; they must agree"),
    ({"n_actions": 3}, ValueError, r"^n_actions = 3 but R has 2 columns"),
    ({"transitions": [[0, 0, "0", 1.0]]}, TypeError, r"^transitions\[0\]\[2\] must be a number"),
    ({"transitions": "all"}, TypeError, r"^transitions must be a list of \[s, a, next, p\]"),
    ({"transitions": [[0, 0, 0, 1.0], [0, 1.0, 1, 1.0], [1, 0, 1, 1.0], [1, 1, 1, 1.0]]}, ValueError,
     r"^transitions\[1\]: the action index must be an integer, got 1.0"),
    ({"sparce": True}, ValueError, r"unknown field\(s\) \['sparce'\]"),
    ({"P": [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]]}, ValueError, r"both 'P' and 'transitions'"),
])
def test_bad_json_fields_are_named(tmp_path, change, error, pattern):
    d = {**_good(), **change}
    with pytest.raises(error, match=pattern):
        from_dict(d)
    with pytest.raises(error, match=pattern):
        from_json(json.dumps(d))
    (tmp_path / "m.json").write_text(json.dumps(d))
    with pytest.raises(error, match=pattern + r".*\(in .*m\.json\)"):
        load(tmp_path / "m.json")


@pytest.mark.parametrize("text", ["42", "[1, 2]", '"gamma"', "null"])
def test_json_top_level_must_be_an_object(tmp_path, text):
    with pytest.raises(TypeError, match=r"^the top level of an MDP description must be a JSON object"):
        from_json(text)
    (tmp_path / "m.json").write_text(text)
    with pytest.raises(TypeError, match=r"^the top level .*\(in .*m\.json\)"):
        load(tmp_path / "m.json")


def test_json_file_that_is_not_text_or_not_json(tmp_path):
    (tmp_path / "m.json").write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(ValueError, match=r"m\.json is not a JSON text file"):
        load(tmp_path / "m.json")
    (tmp_path / "m.json").write_text('{"gamma": 0.5,')
    with pytest.raises(ValueError, match=r"m\.json is not valid JSON"):
        load(tmp_path / "m.json")


def test_save_and_load_check_their_arguments(tmp_path):
    mdp = garnet(3, 2, 2, rng=0)
    with pytest.raises(TypeError, match=r"^mdp must be a tabular.MDP, got dict"):
        save({"P": mdp.P, "R": mdp.R}, tmp_path / "m.npz")
    for f in (save_npz, to_json, to_dict):
        with pytest.raises(TypeError, match=r"^mdp must be a tabular.MDP"):
            f(mdp.P) if f is to_dict else f(mdp.P, tmp_path / "m.npz")
    with pytest.raises(TypeError, match=r"^path must be a file path \(str or os.PathLike\), got int 42"):
        save(mdp, 42)
    with pytest.raises(TypeError, match=r"^path must be a file path"):
        load(None)
    with pytest.raises(TypeError, match=r"^text_or_path must be JSON text"):
        from_json(42)

"""Bad input to bounds/counterexamples/certificate.py: hand-written damaged certificate files are
refused naming the file and the field, a policy that is not a distribution is never renormalized into
another, and a certificate never imports the code it names unless the caller opts in."""

from __future__ import annotations

import json
import sys
import types

import numpy as np
import pytest

import tabular as T
from bounds.counterexamples import known_counterexamples
from bounds.counterexamples.certificate import (ROW_ATOL, exact_row, load_certificate, make_certificate,
                                                verify_certificate)

# A complete, valid certificate written by hand (two states, one action each way): every test below
# damages one field of it.
GOOD = {
    "format": "trpo-theory-certificate", "version": 1,
    "claim": {"name": "theorem1", "params": {}, "statement": "", "source": ""},
    "mdp": {"S": 2, "A": 2, "gamma": "1/2", "rho0": ["1", "0"],
            "R": [["1", "0"], ["0", "1"]],
            "P": [[["1", "0"], ["0", "1"]], [["1/2", "1/2"], ["0", "1"]]]},
    "pi": [["1/2", "1/2"], ["1/2", "1/2"]],
    "pi_new": [["1/3", "2/3"], ["1", "0"]],
    "claimed": {}, "provenance": {},
}


def _write(tmp_path, obj, name="c.json"):
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return path


def _with(path_in_dict: str, value):
    d = json.loads(json.dumps(GOOD))
    *keys, last = path_in_dict.split(".")
    node = d
    for k in keys:
        node = node[int(k)] if isinstance(node, list) else node[k]
    if value is KeyError:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return d


def test_the_hand_written_certificate_is_valid_and_verifies(tmp_path):
    cert = load_certificate(_write(tmp_path, GOOD))
    assert cert.mdp.shape == (2, 2) and cert.claim == "theorem1"
    v = verify_certificate(_write(tmp_path, GOOD))
    assert not v.proven and v.message.startswith("not violated")  # Theorem 1 is a theorem


@pytest.mark.parametrize("damage, field", [
    (("version", 99), "version"),
    (("version", "1"), "version"),
    (("version", True), "version"),
    (("version", KeyError), "version"),
    (("mdp", KeyError), "mdp"),
    (("mdp", [1, 2]), "mdp"),
    (("mdp.gamma", "1"), "mdp.gamma"),
    (("mdp.gamma", "3/2"), "mdp.gamma"),
    (("mdp.gamma", "-1/2"), "mdp.gamma"),
    (("mdp.gamma", "1/0"), "mdp.gamma"),
    (("mdp.gamma", "0.5.5"), "mdp.gamma"),
    (("mdp.gamma", "1e999999999"), "mdp.gamma"),
    (("mdp.gamma", None), "mdp.gamma"),
    (("mdp.S", 3), "mdp.rho0"),
    (("mdp.S", 0), "mdp.S"),
    (("mdp.S", "2"), "mdp.S"),
    (("mdp.A", -1), "mdp.A"),
    (("mdp.rho0", ["1/2", "1/2", "0"]), "mdp.rho0"),
    (("mdp.rho0", ["3/2", "-1/2"]), "mdp.rho0"),
    (("mdp.rho0", ["1/2", "1/3"]), "mdp.rho0"),
    (("mdp.rho0", "1,0"), "mdp.rho0"),
    (("mdp.R.0", ["1"]), "mdp.R[0]"),
    (("mdp.R.1", ["x", "1"]), "mdp.R[1][0]"),
    (("mdp.R.1", [True, "1"]), "mdp.R[1][0]"),
    (("mdp.P.1", [["1/2", "1/2"]]), "mdp.P[1]"),
    (("mdp.P.0", [["1", "0"], ["1/3", "1/3"]]), "mdp.P[0][1]"),
    (("mdp.P.0", [["2", "-1"], ["0", "1"]]), "mdp.P[0][0]"),
    (("mdp.P.0", [[[1], "0"], ["0", "1"]]), "mdp.P[0][0][0]"),
    (("pi", KeyError), "pi"),
    (("pi", [["1/2", "1/2"]]), "pi"),
    (("pi.0", ["7/10", "7/10"]), "pi[0]"),
    (("pi_new.1", ["3/2", "-1/2"]), "pi_new[1]"),
    (("pi_new.1", [0.5, 0.5]), "pi_new[1][0]"),
    (("claim", KeyError), "claim"),
    (("claim", "theorem1"), "claim"),
    (("claim.name", KeyError), "claim.name"),
    (("claim.name", 7), "claim.name"),
    (("claim.name", " "), "claim.name"),
    (("claim.params", [1]), "claim.params"),
    (("claimed", {"slack": "big"}), "claimed.slack"),
    (("provenance", "me"), "provenance"),
])
def test_a_damaged_field_is_refused_naming_the_file_and_the_field(tmp_path, damage, field):
    path = _write(tmp_path, _with(*damage))
    for fn in (load_certificate, verify_certificate):
        with pytest.raises(ValueError) as exc:
            fn(path)
        msg = str(exc.value)
        assert str(path) in msg and f"field {field!r}" in msg, msg


@pytest.mark.parametrize("text, what", [
    ("[1, 2, 3]", "expected a JSON object"),
    ('"trpo-theory-certificate"', "expected a JSON object"),
    ('{"format": "trpo-theory-certificate", "version": 1,', r"not JSON \(line 1"),
    ("", "not JSON"),
    ('{"format": "something else"}', "not a trpo-theory-certificate file"),
    ("{}", "not a trpo-theory-certificate file"),
])
def test_a_file_that_is_not_a_certificate_is_refused_naming_it(tmp_path, text, what):
    path = _write(tmp_path, text)
    with pytest.raises(ValueError, match=what) as exc:
        verify_certificate(path)
    assert str(path) in str(exc.value)


def test_unreadable_paths_and_wrong_types(tmp_path):
    with pytest.raises(ValueError, match="path: cannot read"):
        load_certificate(tmp_path / "missing.json")
    with pytest.raises(ValueError, match="path: cannot read"):
        load_certificate(tmp_path)  # a folder
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00{")
    with pytest.raises(ValueError, match="bin.json"):
        load_certificate(tmp_path / "bin.json")
    for bad in (3, None, ["a"]):
        with pytest.raises(TypeError, match="path must be"):
            load_certificate(bad)
    with pytest.raises(TypeError, match="bound must be a callable"):
        verify_certificate(GOOD, bound="theorem1")
    with pytest.raises(TypeError, match="allow_import"):
        verify_certificate(GOOD, allow_import="yes")


def test_a_user_claim_is_imported_only_when_the_caller_opts_in(tmp_path, monkeypatch):
    calls = []
    mod = types.ModuleType("cert_side_effect_probe")

    def claim(mdp, pi, pi_new):
        calls.append(1)
        return T.surrogate(mdp, pi, pi_new)

    mod.claim = claim
    monkeypatch.setitem(sys.modules, "cert_side_effect_probe", mod)
    d = _with("claim.name", "cert_side_effect_probe:claim")
    path = _write(tmp_path, d)
    with pytest.raises(ValueError, match=r"allow_import.*bound=.*allow_import=True"):
        verify_certificate(path)
    assert calls == []  # refused before anything named by the file was called
    # the caller passes the function: verified with it, nothing imported
    v = verify_certificate(path, bound=claim)
    assert not v.proven and v.method == "floating-point rhs" and calls == [1]
    v2 = verify_certificate(path, allow_import=True)
    assert v2.method == "floating-point rhs" and calls == [1, 1] and v2.slack_interval == v.slack_interval
    # os:system never runs without the opt-in
    with pytest.raises(ValueError, match="allow_import"):
        verify_certificate(_with("claim.name", "os:system"))


def test_a_policy_that_is_not_a_distribution_is_refused_naming_it_and_the_state():
    c = known_counterexamples()[0]
    S, A = c.pi.shape
    bad = c.pi_new.copy()
    bad[1] = bad[1] * 1.4  # rows sum to 1.4: once renormalized it would certify another policy
    with pytest.raises(ValueError, match=r"pi_new\[1\] \(state 1\) sums to 1\.4"):
        make_certificate(c.mdp, c.pi, bad, "mean_kl")
    neg = c.pi.copy()
    neg[0] = [1.5, -0.5] + [0.0] * (A - 2)
    with pytest.raises(ValueError, match=r"pi\[0\] \(state 0\) has a negative probability"):
        make_certificate(c.mdp, neg, c.pi_new, "mean_kl")
    with pytest.raises(ValueError, match=r"pi must have shape"):
        make_certificate(c.mdp, c.pi[:1], c.pi_new, "mean_kl")
    with pytest.raises(ValueError, match=r"pi_new.*finite"):
        make_certificate(c.mdp, c.pi, np.full((S, A), np.nan), "mean_kl")
    # round-off far below the tolerance is absorbed: the same certificate as the exact policy
    tiny = c.pi_new.copy()
    tiny[0, 0] += ROW_ATOL / 10
    assert make_certificate(c.mdp, c.pi, tiny, "mean_kl").pi_new[1:] == make_certificate(
        c.mdp, c.pi, c.pi_new, "mean_kl").pi_new[1:]
    assert sum(exact_row([0.1, 0.2, 0.7])) == 1
    with pytest.raises(ValueError, match="row sums to 1.2"):
        exact_row([0.5, 0.7])


def test_make_certificate_refuses_bad_claims_and_provenance():
    c = known_counterexamples()[0]
    with pytest.raises(ValueError, match="no_such_claim"):
        make_certificate(c.mdp, c.pi, c.pi_new, "no_such_claim")
    with pytest.raises(TypeError, match="claim must be"):
        make_certificate(c.mdp, c.pi, c.pi_new, 3)
    with pytest.raises(TypeError, match="provenance"):
        make_certificate(c.mdp, c.pi, c.pi_new, "mean_kl", provenance=["x"])
    with pytest.raises(ValueError, match="provenance"):
        make_certificate(c.mdp, c.pi, c.pi_new, "mean_kl", provenance={"x": object()})

    def raises(mdp, pi, pi_new):
        raise RuntimeError("boom")

    with pytest.raises(ValueError, match="raised RuntimeError.*boom"):
        make_certificate(c.mdp, c.pi, c.pi_new, raises)
    with pytest.raises(ValueError, match="NaN"):
        make_certificate(c.mdp, c.pi, c.pi_new, lambda m, p, q: float("nan"))


def test_save_names_a_bad_path(tmp_path):
    cert = load_certificate(GOOD)
    with pytest.raises(ValueError, match="path: cannot write"):
        cert.save(tmp_path / "no" / "such" / "folder" / "c.json")
    with pytest.raises(ValueError, match="path: cannot write"):
        cert.save(tmp_path)
    with pytest.raises(TypeError, match="path must be"):
        cert.save(None)
    assert load_certificate(cert.save(tmp_path / "c.json")).to_dict() == cert.to_dict()

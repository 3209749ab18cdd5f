"""Tests of ``tabular/validation.py``: every check raises the documented exception type with a
message naming the argument, what was wrong and what was expected."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tabular import MDP, garnet, uniform
from tabular.validation import (
    ModelTooLargeError,
    as_float_array,
    as_policy,
    as_policy_batch,
    check_bool,
    check_dense_size,
    check_mdp,
    check_path,
    check_real_dtype,
    check_tolerance,
    describe,
)


# ----------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("x, what", [
    (np.array([0.5 + 0j, 0.5]), "complex"),
    ([0.5, 0.5j], "complex"),
    (np.array(["0.5", "0.5"]), "strings"),
    (np.array([b"0.5", b"0.5"]), "bytes"),
    (np.array([0.5, 0.5], dtype=object), "Python objects"),
    ("0.5", "string"),
    (None, "NoneType"),
    (object(), "object"),
])
def test_non_real_arrays_are_type_errors_naming_the_argument(x, what):
    with pytest.raises(TypeError, match=rf"^rho0 must be an array of real numbers, got .*{what}"):
        as_float_array(x, "rho0")


def test_real_dtypes_pass():
    np.testing.assert_array_equal(as_float_array(np.array([True, False]), "x"), [1.0, 0.0])
    np.testing.assert_array_equal(as_float_array(np.arange(3, dtype=np.uint8), "x"), [0.0, 1.0, 2.0])
    assert as_float_array(np.float32([0.5]), "x").dtype == np.float64


def test_ragged_input_is_a_value_error_naming_the_argument():
    with pytest.raises(ValueError, match=r"^R is ragged: its rows have different lengths"):
        as_float_array([[1.0, 2.0], [3.0]], "R")


def test_check_real_dtype_on_sparse_matrices():
    check_real_dtype(sp.csr_array(np.eye(2)), "P")
    with pytest.raises(TypeError, match=r"^P must be an array of real numbers, got a complex"):
        check_real_dtype(sp.csr_array(np.eye(2) * (1 + 0j)), "P")


def test_as_policy_refuses_strings_and_objects():
    """np.array(['0.5', '0.5']) would be parsed as numbers by a plain float cast."""
    with pytest.raises(TypeError, match=r"^pi must be an array of real numbers.*strings"):
        as_policy(np.array([["0.5", "0.5"]]))
    with pytest.raises(TypeError, match=r"^pi must be an array of real numbers.*objects"):
        as_policy(np.array([[0.5, 0.5]], dtype=object))
    with pytest.raises(TypeError, match=r"^pi must be an array of real numbers.*complex"):
        as_policy(np.array([[0.5, 0.5]], dtype=complex))


# ----------------------------------------------------------------------------- scalars and kinds
@pytest.mark.parametrize("bad", [-1e-3, np.nan, np.inf, -np.inf])
def test_check_tolerance_rejects_negative_and_non_finite(bad):
    with pytest.raises(ValueError, match=r"^rtol must be a finite non-negative real number"):
        check_tolerance(bad, "rtol")


def test_check_tolerance_positive_rejects_zero():
    assert check_tolerance(0.0, "atol") == 0.0
    with pytest.raises(ValueError, match=r"^rtol must be a finite positive real number, got 0"):
        check_tolerance(0.0, "rtol", positive=True)
    for bad in ("1e-9", None, True, 1j):
        with pytest.raises(TypeError, match=r"^rtol must be a finite positive"):
            check_tolerance(bad, "rtol", positive=True)


@pytest.mark.parametrize("bad", ["no", "false", 0, 1, None, 0.0])
def test_check_bool_refuses_non_booleans(bad):
    with pytest.raises(TypeError, match=r"^sparse must be True or False, got"):
        check_bool(bad, "sparse")
    assert check_bool(np.bool_(True), "sparse") is True


def test_check_mdp_says_what_was_given():
    mdp = garnet(3, 2, 2, rng=0)
    assert check_mdp(mdp) is mdp
    with pytest.raises(TypeError, match=r"^mdp must be a tabular.MDP, got a numpy array of shape \(3, 2\).*"
                                        r"the MDP comes first"):
        check_mdp(uniform(mdp))
    with pytest.raises(TypeError, match=r"^mdp must be a tabular.MDP, got a numpy array of shape \(3, 2, 3\)"
                                        r".*tabular.MDP\(P, R, rho0, gamma\)"):
        check_mdp(mdp.dense_P())
    with pytest.raises(TypeError, match=r"^mdp must be a tabular.MDP, got dict"):
        check_mdp({"P": 1})
    with pytest.raises(TypeError, match=r"^model must be a tabular.MDP, got NoneType"):
        check_mdp(None, "model")


def test_check_path():
    assert check_path("a.npz") == "a.npz"
    with pytest.raises(TypeError, match=r"^path must be a file path \(str or os.PathLike\), got int 42"):
        check_path(42)


def test_describe_is_short():
    assert len(describe(list(range(1000)))) < 80
    assert describe(np.zeros((2, 3))) == "a numpy array of shape (2, 3) and dtype float64"


# ----------------------------------------------------------------------------- policy batches
def test_policy_batch_names_the_policy_and_the_state():
    pis = np.full((3, 4, 2), 0.5)
    pis[2, 1] = [0.7, 0.7]
    with pytest.raises(ValueError, match=r"^pis\[2\] \(policy 2\), state 1 row sums to 1.4"):
        as_policy_batch(pis, 4, 2)
    pis[2, 1] = [0.5, 0.5]
    pis[1, 3] = [1.5, -0.5]
    with pytest.raises(ValueError, match=r"^pis\[1\] \(policy 1\), state 3 has a negative probability"):
        as_policy_batch(pis, 4, 2)


def test_empty_policy_batch_says_k_is_zero():
    with pytest.raises(ValueError, match=r"^pis is an empty batch \(K = 0 policies"):
        as_policy_batch(np.zeros((0, 4, 2)), 4, 2)


# ----------------------------------------------------------------------------- memory
def test_check_dense_size_raises_before_allocating():
    check_dense_size(100, 4, "a gridworld")
    with pytest.raises(ModelTooLargeError, match=r"^a gridworld with S = 9,000,000 states .* would need "
                                                  r"2.6 PB .*pass sparse=True"):
        check_dense_size(9_000_000, 4, "a gridworld")
    assert issubclass(ModelTooLargeError, MemoryError) and issubclass(ModelTooLargeError, ValueError)


def test_mdp_refuses_complex_and_string_inputs():
    P = np.full((2, 2, 2), 0.5)
    R, rho0 = np.zeros((2, 2)), np.array([1.0, 0.0])
    for kw, name in (({"P": P + 0j}, "P"), ({"R": R + 0j}, "R"), ({"rho0": rho0 + 0j}, "rho0"),
                     ({"P": sp.csr_array(P.reshape(4, 2) + 0j)}, "P"),
                     ({"P": P.astype(str)}, "P"), ({"P": P.astype(object)}, "P"),
                     ({"rho0": np.array(["1", "0"])}, "rho0")):
        args = dict(P=P, R=R, rho0=rho0, gamma=0.9) | kw
        with pytest.raises(TypeError, match=rf"^{name} must be an array of real numbers"):
            MDP(**args)


# ----------------------------------------------------------------------------- mdp at every boundary
def _functions_taking_mdp():
    import inspect

    import tabular
    from tabular import estimators, evaluation, gradients, instances, io, parametric, planning, policies, sampling

    found = []
    for mod in (tabular, evaluation, planning, sampling, estimators, gradients, io, policies, instances):
        for name in getattr(mod, "__all__", dir(mod)):
            f = getattr(mod, name)
            if inspect.isfunction(f) and list(inspect.signature(f).parameters)[:1] == ["mdp"]:
                found.append((f"{f.__module__}.{f.__name__}", f))
    pol = parametric.TabularSoftmax(3, 2)
    for name in ("policy_gradient", "surrogate_gradient", "check_mdp"):
        found.append((f"TabularSoftmax.{name}", getattr(pol, name)))
    return sorted(dict(found).items())


FUNCTIONS_TAKING_MDP = _functions_taking_mdp()


def test_the_boundary_list_is_complete():
    names = {n.rsplit(".", 1)[1] for n, _ in FUNCTIONS_TAKING_MDP}
    for expected in ("evaluate", "evaluate_policies", "surrogate", "expected_advantage", "state_distribution",
                     "policy_transition", "policy_reward", "reachable_states", "resolve_evaluation",
                     "policy_iteration", "value_iteration", "optimal", "bellman_optimality_residual",
                     "sample_trajectories", "single_path", "vine", "surrogate_target", "surrogate_offset",
                     "gae_expected_gradient", "k_step_expected_gradient", "softmax_policy_gradient",
                     "softmax_surrogate_gradient", "save", "save_npz", "to_json", "to_dict", "sample_step"):
        assert expected in names, expected


@pytest.mark.parametrize("name, f", FUNCTIONS_TAKING_MDP, ids=[n for n, _ in FUNCTIONS_TAKING_MDP])
@pytest.mark.parametrize("wrong", ["policy", "P", "None"])
def test_every_public_function_taking_mdp_says_it_must_be_an_mdp(name, f, wrong):
    """e.g. evaluate(pi, mdp) or evaluate(P, pi): a TypeError naming mdp and saying what was given,
    before any other argument is looked at."""
    import inspect

    mdp = garnet(3, 2, 2, rng=0)
    given = {"policy": uniform(mdp), "P": mdp.dense_P(), "None": None}[wrong]
    params = list(inspect.signature(f).parameters.values())[1:]
    args = [uniform(mdp) if p.name in ("pi", "pi_old", "pi_new") else None
            for p in params if p.default is inspect.Parameter.empty and p.kind == p.POSITIONAL_OR_KEYWORD]
    what = {"policy": r"a numpy array of shape \(3, 2\)", "P": r"a numpy array of shape \(3, 2, 3\)",
            "None": "NoneType"}[wrong]
    with pytest.raises(TypeError, match=rf"^mdp must be a tabular.MDP, got {what}"):
        f(given, *args)

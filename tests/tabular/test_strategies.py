"""Tests of ``tabular/strategies.py``: the Hypothesis strategies produce what they promise, including
the edge cases of unreachable states and one-hot old policies, and reject contradictory options."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from tabular import (
    MDP,
    evaluate,
    evaluate_policies,
    kl,
    mean_kl,
    mean_tv,
    reachable_states,
    surrogate,
    tv,
    uniform,
)
from tabular.strategies import mdp_and_policies, mdps, policy_pairs, unreachable_mdp_and_policies

PROPS = settings(max_examples=40, deadline=None, derandomize=True)


def _one_hot(pi: np.ndarray) -> bool:
    return bool(np.all((pi == 0.0) | (pi == 1.0)) and np.all(pi.sum(axis=1) == 1.0))


def _check_unreached(mdp: MDP, pi: np.ndarray) -> np.ndarray:
    """Some state is unreachable under pi, rho is exactly 0 there (evaluate and evaluate_policies)."""
    reach = reachable_states(mdp, pi)
    assert not reach.all()
    ev = evaluate(mdp, pi)
    assert np.all(ev.rho[~reach] == 0.0) and np.all(ev.d[~reach] == 0.0)
    assert np.all(ev.rho >= 0.0)
    assert np.all(evaluate_policies(mdp, pi[None]).rho[0][~reach] == 0.0)
    return reach


@given(mdps(unreachable=True))
@PROPS
def test_unreachable_mdps_have_states_no_policy_reaches(mdp):
    assert mdp.n_states >= 2
    _check_unreached(mdp, uniform(mdp))  # even the uniform policy never gets there


@given(unreachable_mdp_and_policies(n_policies=2))
@PROPS
def test_unreachable_mdp_and_policies(mp):
    mdp, pis = mp
    for pi, other in zip(pis, pis[::-1]):
        reach = _check_unreached(mdp, pi)
        ev = evaluate(mdp, pi)
        w = ev.rho > 0
        expected = float(np.sum(ev.rho[w] * kl(pi, other)[w]))
        got = mean_kl(pi, other, ev.rho)
        assert got == expected if not np.isfinite(expected) else got == pytest.approx(expected, rel=1e-12)
        assert mean_tv(pi, other, ev.rho) == pytest.approx(float(ev.rho @ tv(pi, other)), rel=1e-12, abs=1e-15)
        if mdp.n_actions > 1:  # drop pi's actions at an unreached state only: KL = inf there, weight 0
            s = int(np.flatnonzero(~reach)[0])
            dropped = pi.copy()
            dropped[s] = np.eye(mdp.n_actions)[int(np.argmin(pi[s]))]
            assert kl(pi, dropped)[s] == np.inf
            assert mean_kl(pi, dropped, ev.rho) == 0.0


@given(unreachable_mdp_and_policies(n_policies=1, kind="deterministic"))
@PROPS
def test_unreachable_with_one_hot_policies(mp):
    mdp, (pi,) = mp
    assert _one_hot(pi)
    _check_unreached(mdp, pi)


@pytest.mark.parametrize("strategy", [unreachable_mdp_and_policies(n_policies=1, full_support=True),
                                      unreachable_mdp_and_policies(n_policies=1, kind="full_support")])
def test_unreachable_with_full_support_policies(strategy):
    @given(strategy)
    @PROPS
    def check(mp):
        mdp, (pi,) = mp
        assert np.all(pi > 0)
        _check_unreached(mdp, pi)

    check()


@given(policy_pairs(old_kind="deterministic"))
@PROPS
def test_policy_pairs_with_one_hot_old_policies(triple):
    mdp, pi, pi_new = triple
    assert _one_hot(pi)
    ev = evaluate(mdp, pi)
    assert np.all(ev.rho >= 0)
    assert surrogate(mdp, pi, pi, ev=ev) == pytest.approx(ev.eta, abs=1e-9 * (1 + abs(ev.eta)))
    assert not np.any(np.isnan(kl(pi, pi_new))) and np.all(tv(pi, pi_new) <= 1.0 + 1e-12)


@given(policy_pairs(unreachable=True))
@PROPS
def test_policy_pairs_with_unreachable_states(triple):
    mdp, pi, pi_new = triple
    _check_unreached(mdp, pi)
    ev = evaluate(mdp, pi)
    L = surrogate(mdp, pi, pi_new, ev=ev)
    assert np.isfinite(L)
    assert not np.isnan(mean_kl(pi, pi_new, ev.rho))


@given(mdp_and_policies(n_policies=2, kind="deterministic"))
@PROPS
def test_mdp_and_policies_of_a_kind(mp):
    mdp, pis = mp
    assert len(pis) == 2 and all(_one_hot(p) for p in pis)


def test_contradictory_options_raise_at_once():
    with pytest.raises(ValueError, match="kind"):
        mdp_and_policies(kind="bogus")
    with pytest.raises(ValueError, match=r"full_support=True contradicts kind='deterministic'"):
        mdp_and_policies(full_support=True, kind="deterministic")
    with pytest.raises(ValueError, match=r"full_support=True contradicts kind='deterministic'"):
        policy_pairs(full_support=True, old_kind="deterministic")
    with pytest.raises(ValueError, match="max_states >= 2"):
        mdps(max_states=1, unreachable=True)
    with pytest.raises(ValueError, match="max_states >= 2"):
        unreachable_mdp_and_policies(max_states=1)
    with pytest.raises(ValueError, match="kind"):
        unreachable_mdp_and_policies(kind="uniform")


def test_without_hypothesis_the_import_error_names_the_test_extra():
    """Hypothesis is a test extra: importing the strategies without it says how to install it
    (checked in a fresh interpreter where ``import hypothesis`` fails)."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "try:\n    import tabular.strategies\nexcept ImportError as e:\n    print('IMPORTERROR', e)\n"
            "import tabular; print('TABULAR OK')\n")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "IMPORTERROR" in out.stdout and "[test]" in out.stdout and "hypothesis" in out.stdout.lower()
    assert "TABULAR OK" in out.stdout  # the rest of tabular does not need Hypothesis

"""Regression tests of issue 12 ("every bad input answered") that cut across the bounds modules:
ordinary MDPs with unreachable states and deterministic policies must not crash any public step or
check, and CPI's step size is one clipped alpha*."""

import numpy as np
import pytest

import bounds
from bounds.updates.practical import trpo_step
from tabular import evaluate, greedy, gridworld, random_policy, uniform
from tabular.estimators import single_path
from tabular.instances import sample_instance
from tabular.parametric import TabularSoftmax

ACTIONS = [3, 3, 2, 0, 3, 0, 2, 1, 3, 0, 3, 0]  # the reported deterministic policy (about 2% of them)


def _grid():
    mdp = gridworld(3, 4, slip=0.0, gamma=0.99)
    pi = np.eye(mdp.n_actions)[ACTIONS]
    return mdp, pi


def test_unreached_states_have_zero_visitation_and_every_public_step_runs():
    mdp, pi = _grid()
    ev = evaluate(mdp, pi)
    assert np.all(ev.rho >= 0) and np.any(ev.rho == 0)  # some states are never reached
    pi_new = bounds.mm_step(mdp, uniform(mdp)).pi_new
    for step in (lambda: bounds.check_all(mdp, pi, pi_new),
                 lambda: bounds.mm_step(mdp, pi),
                 lambda: bounds.trust_region_step(mdp, pi, 0.1),
                 lambda: bounds.trust_region_step(mdp, pi, 0.1, constraint="mean"),
                 lambda: bounds.npg_step(mdp, pi, 1.0),
                 lambda: bounds.cpi_step(mdp, pi),
                 lambda: bounds.run("mm", mdp, pi, 2),
                 lambda: bounds.run("cpi", mdp, pi, 2)):
        step()
    table = bounds.check_all(mdp, pi, pi_new)
    assert table.all_hold


def test_the_practical_step_runs_from_a_policy_with_unreached_states():
    mdp, pi = _grid()
    pol = TabularSoftmax(mdp.n_states, mdp.n_actions)
    theta = np.log(np.clip(0.98 * pi + 0.02 / mdp.n_actions, 1e-12, None)).ravel()
    res = trpo_step(mdp, pol, theta, 0.01)
    assert np.isfinite(res.actual_kl)


def test_cpi_alpha_star_is_never_negative_when_pi_is_greedy_on_the_visited_states():
    """Greedy on every reached state, non-greedy on an unreached one: A' = 0 up to round-off while
    eps' is large. alpha* must be 0 (the step keeps pi) in cpi_step and in cpi_alpha_star alike."""
    mdp = gridworld(3, 4, slip=0.0, gamma=0.99)
    found = 0
    for seed in range(40):
        pi = random_policy(mdp, rng=seed, concentration=0.2)
        ev = evaluate(mdp, pi)
        opt = greedy(ev.Q)
        pi_g = np.where((ev.rho > 0)[:, None], opt, pi)  # greedy where visited
        ev_g = evaluate(mdp, pi_g)
        step = bounds.cpi_step(mdp, pi_g, ev=ev_g)
        a = bounds.cpi_alpha_star(mdp, pi_g, greedy(ev_g.Q), ev=ev_g)
        assert 0.0 <= step.multiplier <= 1.0 and step.info["alpha_star"] == a
        found += step.info["A_prime"] <= 1e-12
    assert found > 0  # the edge case really occurred


def test_samples_from_another_mdp_are_rejected():
    small = gridworld(2, 2, slip=0.1, gamma=0.9)
    big = gridworld(3, 3, slip=0.1, gamma=0.9)
    smp = single_path(big, uniform(big), 20, 30, rng=0)
    pol = TabularSoftmax(small.n_states, small.n_actions)
    with pytest.raises(ValueError, match="samples"):
        trpo_step(smp, pol, np.zeros(pol.n_params), 0.01)
    # and the reported case: samples of a smaller MDP for a larger policy
    smp_small = single_path(small, uniform(small), 20, 30, rng=0)
    pol_big = TabularSoftmax(big.n_states, big.n_actions)
    with pytest.raises(ValueError, match="samples"):
        trpo_step(smp_small, pol_big, np.zeros(pol_big.n_params), 0.01)


@pytest.mark.parametrize("family", ["unreachable", "deterministic"])
def test_edge_families_never_crash_check_all_or_the_steps(family):
    for i in range(15):
        inst = sample_instance(np.random.default_rng([5, i]), family=family)
        table = bounds.check_all(inst.mdp, inst.pi, inst.pi_new)
        assert table.all_hold, str(table)
        bounds.mm_step(inst.mdp, inst.pi)
        bounds.cpi_step(inst.mdp, inst.pi)
        bounds.trust_region_step(inst.mdp, inst.pi, 0.05, constraint="mean")


def test_result_objects_print_short():
    """Results print like numpy/scipy results: one short line with the key numbers, not arrays."""
    from bounds import lemmas
    from bounds.updates.practical import compare_with_exact
    from tabular import garnet

    mdp = garnet(200, 4, 3, rng=0, gamma=0.9)
    pi = uniform(mdp)
    step = bounds.mm_step(mdp, pi)
    table = bounds.check_all(mdp, pi, step.pi_new)
    pol = TabularSoftmax(mdp.n_states, mdp.n_actions)
    theta = np.zeros(pol.n_params)
    objs = [step, table, table[0], bounds.run("mm", mdp, pi, 1, record_bounds=False),
            trpo_step(mdp, pol, theta, 0.01), compare_with_exact(mdp, pol, theta, 0.01),
            lemmas.lemma2(mdp, pi, step.pi_new), lemmas.lemma3(mdp, pi, step.pi_new),
            lemmas.performance_difference(mdp, pi, step.pi_new)]
    for o in objs:
        r = repr(o)
        assert len(r) < 400 and "\n" not in r and r.startswith(type(o).__name__), r
    assert f"{step.eta:.10g}" in repr(step) and "all_hold=True" in repr(table)


def test_lemmas_and_solvers_name_the_bad_argument():
    from bounds import lemmas
    from bounds.updates import solvers as so
    from tabular import garnet

    mdp = garnet(4, 3, 2, rng=0, gamma=0.9)
    pi = uniform(mdp)
    pn = random_policy(mdp, rng=1)
    for f in (lemmas.performance_difference, lemmas.lemma2, lemmas.lemma3):
        with pytest.raises(TypeError, match="mdp"):
            f(None, pi, pn)
        with pytest.raises(TypeError, match="mdp"):
            f(pi, pi, pn)  # arguments in the wrong order
        with pytest.raises((TypeError, ValueError), match="atol"):
            f(mdp, pi, pn, atol=float("nan"))
    ev = evaluate(mdp, pi)
    for bad in (True, "1", 1 + 2j):
        with pytest.raises(TypeError, match="c"):
            so.solve_kl_penalty(ev.A, pi, bad)
        with pytest.raises(TypeError, match="t"):
            so.solve_tv_constraint(ev.A, pi, bad)
    with pytest.raises(TypeError, match="c"):
        so.solve_kl_penalty(ev.A, pi, np.array(["1"] * mdp.n_states))
    with pytest.raises(ValueError, match="corollary"):
        bounds.cpo_bound(mdp, pi, pn, corollary=True)

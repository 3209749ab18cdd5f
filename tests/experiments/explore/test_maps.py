"""Drawing functions run headless, write files, and draw exactly the values of tabular.evaluate."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import bounds as B  # noqa: E402
import tabular as T  # noqa: E402
from experiments.explore import layout as L  # noqa: E402
from experiments.explore.maps import draw_map, draw_policy, policy_figure, step_figure  # noqa: E402
from experiments.explore.quantities import policy_picture, step_terms  # noqa: E402


def test_heat_map_and_arrows_show_evaluated_values(tmp_path):
    mdp = T.gridworld(3, 4)
    lay = L.zoo_layout("gridworld", mdp, height=3, width=4)
    pi = T.random_policy(mdp, rng=1)
    ev = T.evaluate(mdp, pi)
    fig, ax = plt.subplots()
    d = draw_map(ax, lay, ev.V)
    np.testing.assert_array_equal(d.arrays["grid"], ev.V.reshape(3, 4))
    np.testing.assert_array_equal(d.artist.get_array(), ev.V.reshape(3, 4))  # what imshow holds
    a = draw_policy(ax, lay, pi)
    # arrow length is ARROW_LENGTH pi(a|s) along the move of action a (rows grow downwards)
    drawn = a.arrays["state"]
    assert 11 not in drawn and set(drawn) == set(range(11))  # no policy at the (absorbing) goal
    np.testing.assert_allclose(np.hypot(a.arrays["U"], a.arrays["V"]), 0.3 * pi[drawn, a.arrays["action"]])
    up = a.arrays["action"] == 0
    assert np.all(a.arrays["V"][up] <= 0) and np.all(a.arrays["U"][up] == 0)
    fig.savefig(tmp_path / "map.png")
    plt.close(fig)
    assert (tmp_path / "map.png").stat().st_size > 1000


def test_graph_edges_are_P_pi_and_bars_are_pi(tmp_path):
    mdp = T.mdp_x()
    lay = L.zoo_layout("mdp_x", mdp)
    pi = T.random_policy(mdp, rng=0)
    ev = T.evaluate(mdp, pi)
    fig, ax = plt.subplots()
    d = draw_map(ax, lay, ev.V, edges=ev.P_pi)
    np.testing.assert_array_equal(d.arrays["nodes"], ev.V)
    np.testing.assert_allclose(d.arrays["edge_width"], 6.0 * np.where(ev.P_pi >= 1e-3, ev.P_pi, 0))
    bars = draw_policy(ax, lay, pi)
    np.testing.assert_allclose(bars.arrays["segments"].sum(1), 0.8)
    np.testing.assert_allclose(bars.arrays["segments"], 0.8 * pi)
    fig.savefig(tmp_path / "graph.png")
    plt.close(fig)


def test_policy_and_step_figures_keep_infinite_kl(tmp_path):
    mdp = T.chain(5)
    lay = L.zoo_layout("chain", mdp)
    pi = T.uniform(mdp)
    st = step_terms(mdp, pi, B.pi_step(mdp, pi).pi_new)
    fig, drawn = step_figure(lay, st)
    assert np.all(np.isinf(drawn["kl"].arrays["grid"]))
    np.testing.assert_array_equal(drawn["terms"].arrays["grid"][0], st.terms)
    fig.savefig(tmp_path / "step.png")
    plt.close(fig)
    fig, drawn = policy_figure(lay, policy_picture(mdp, pi))
    np.testing.assert_array_equal(drawn["d"].arrays["grid"][0], T.evaluate(mdp, pi).d)
    fig.savefig(tmp_path / "policy.png")
    plt.close(fig)

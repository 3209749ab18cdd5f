"""The one-page report: the numbers it writes are those of tabular and bounds (byte-determinism of
the written files is tested through the command line, in test_cli.py)."""

from __future__ import annotations

import numpy as np

import bounds as B
import tabular as T
from experiments.explore import layout as L
from experiments.explore.report import explore, state_columns, summary


def test_report_numbers():
    mdp = T.two_state()
    lay = L.zoo_layout("two_state", mdp)
    pi = T.uniform(mdp)
    rep = explore(mdp, lay, pi, "trust_region", delta=0.05)
    pi_new = B.trust_region_step(mdp, pi, 0.05).pi_new
    cols = state_columns(rep)
    np.testing.assert_allclose(cols["V_new"], T.evaluate(mdp, pi_new).V, rtol=1e-12)
    np.testing.assert_allclose(cols["pi_new_1"], pi_new[:, 1], rtol=1e-12)
    assert rep.bounds.names == B.check_all(mdp, pi, pi_new).names and rep.bounds.all_hold
    s = summary(rep)
    assert s["eta_star"] == T.optimal(mdp).eta
    assert abs(s["sum_of_terms"] - s["eta_new_minus_L"]) < 1e-12


def test_report_figure_draws_every_panel():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from experiments.explore.report import report_figure

    mdp = T.chain(4)
    rep = explore(mdp, L.zoo_layout("chain", mdp), T.uniform(mdp), "pi")
    fig = report_figure(rep)
    titles = " ".join(ax.get_title() + ax.get_title(loc="left") for ax in fig.axes)
    for t in ("V_π", "d_π", "KL(π ‖ π_new)", "Ā(s)", "V_new − V", "(ρ_new − ρ)(s) Ā(s)", "check_all"):
        assert t in titles, t
    plt.close(fig)

"""The notebook explorer's callback driven programmatically: a JSON file, a Gymnasium id, every update,
bad input (shown, never raised), and "save" writing the same CSV files as ``python -m experiments explore``."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import bounds as B  # noqa: E402
import tabular as T  # noqa: E402
from experiments.__main__ import main  # noqa: E402
from experiments.explore import cli, widgets  # noqa: E402

pytest.importorskip("ipywidgets")


def _box(**kw):
    return widgets.explorer(**kw)


def _shown_png(box) -> bytes:
    (shown,) = box.output.outputs
    return shown["data"]["image/png"]


def test_json_file_in_the_boxes(tmp_path):
    mdp = T.gridworld(2, 3, gamma=0.8)
    path = tmp_path / "my_mdp.json"
    T.save(mdp, path)
    box = _box(mdp_name="MDP X", update="policy iteration")
    old = _shown_png(box)
    box.controls["source"].value = str(path)  # the boxes are read only with the menu's "(the boxes below)"
    assert _shown_png(box) == old and box.status.value == ""
    box.controls["mdp_name"].value = "(the boxes below)"
    assert box.status.value == "", box.status.value
    assert _shown_png(box) != old and "my_mdp (S=6, A=4" in box.numbers.value
    # independent check: policy iteration from uniform, at the widget's gamma (0.9 overrides the file's 0.8)
    m9 = mdp.with_gamma(0.9)
    pi_new = B.pi_step(m9, T.uniform(m9)).pi_new
    assert f"{T.evaluate(m9, pi_new).eta:.8g}" in box.numbers.value


def test_gymnasium_id_with_keywords():
    pytest.importorskip("gymnasium")
    rep = widgets.run(source="FrozenLake-v1", keywords="is_slippery=false", gamma=0.9, update="policy iteration")
    mdp = T.from_gymnasium("FrozenLake-v1", 0.9, is_slippery=False)
    assert rep.mdp.shape == mdp.shape == (17, 4) and rep.layout.shape == (4, 4)
    np.testing.assert_allclose(rep.mdp.R, mdp.R)
    assert rep.terms.eta_new == pytest.approx(T.evaluate(mdp, B.pi_step(mdp, T.uniform(mdp)).pi_new).eta, abs=1e-12)
    box = _box(mdp_name="CliffWalking", update="CPI (alpha*)", gamma=0.9)
    assert box.status.value == "" and "CliffWalking-v1 (S=49, A=4" in box.numbers.value


EXPECTED = {  # menu entry -> the keywords the bounds step must receive (sliders at their values below)
    "Algorithm 1 (mm)": ("mm", {"penalty": "kl", "C_scale": 0.1}),
    "Algorithm 1, TV² penalty (Eq. 8)": ("mm", {"penalty": "tv", "C_scale": 0.1}),
    "CPI (alpha*)": ("cpi", {}),
    "CPI (alpha)": ("cpi", {"alpha": 0.3}),
    "trust region, max KL": ("trust_region", {"delta": 0.05, "constraint": "max"}),
    "trust region, mean KL": ("trust_region", {"delta": 0.05, "constraint": "mean", "weights": "d"}),
    "trust region, mean KL (ρ weights)": ("trust_region", {"delta": 0.05, "constraint": "mean", "weights": "rho"}),
    "natural gradient (npg)": ("npg", {"step": 0.5}),
    "policy gradient (pg)": ("pg", {"step": 0.5}),
    "KL penalty (kl_penalty)": ("kl_penalty", {"c": 2.0}),
    "policy iteration": ("pi", {}),
}


FUNCTIONS = {"mm": B.mm_step, "cpi": B.cpi_step, "trust_region": B.trust_region_step, "npg": B.npg_step,
             "pg": B.pg_step, "kl_penalty": B.kl_penalty_step, "pi": B.pi_step}


def test_every_update_of_the_command_line():
    assert set(EXPECTED) == set(widgets.UPDATES)
    assert {s for s, _ in EXPECTED.values()} == set(cli.STEP_OPTIONS)  # every --step is offered
    mdp = T.make("mdp_x", gamma=0.9)
    pi = T.uniform(mdp)
    for update, (step, kw) in EXPECTED.items():
        rep = widgets.run("MDP X", gamma=0.9, update=update, C_scale=0.1, alpha=0.3, delta=0.05, step_size=0.5,
                          c=2.0)
        assert rep.step_name == step and dict(rep.step_kwargs) == kw, update
        direct = FUNCTIONS[step](mdp, pi, **kw).pi_new
        np.testing.assert_allclose(rep.terms.new.pi, direct, atol=1e-9, err_msg=update)
        assert rep.terms.eta_new == pytest.approx(T.evaluate(mdp, direct).eta, abs=1e-9)


def test_sliders_an_update_does_not_use_are_disabled():
    box = _box(mdp_name="MDP X", update="natural gradient (npg)")
    assert not box.controls["step_size"].disabled and box.controls["delta"].disabled
    box.controls["update"].value = "trust region, max KL"
    assert box.controls["step_size"].disabled and not box.controls["delta"].disabled
    for c in box.controls.values():
        assert c.description  # every control is identifiable (the browser test finds them by it)


@pytest.mark.parametrize("control, value, message", [
    ("source", "missing_file.json", "no such file"),
    ("source", "no_such_mdp", "is neither a zoo MDP"),
    ("keywords", "height=3, nonsense", "expected KEY=VALUE"),
    ("keywords", "no_such_keyword=1", "does not accept these keywords"),
])
def test_bad_input_is_shown_not_raised(control, value, message):
    box = _box(mdp_name="(the boxes below)", source="chain", keywords="", update="policy iteration")
    good = _shown_png(box)
    box.controls[control].value = value  # runs the callback: no exception may escape
    assert message in box.status.value and "color:red" in box.status.value
    assert _shown_png(box) == good  # the last good picture stays
    assert box.save() == () and "nothing to save" in box.status.value


def test_bad_step_parameter_is_shown():
    box = _box(mdp_name="MDP X", update="policy gradient (pg)")
    box.controls["step_size"].value = 10.0  # fine
    assert box.status.value == ""
    assert widgets.run("MDP X", update="policy iteration").bounds.all_hold
    with pytest.raises(ValueError, match="update must be one of"):
        widgets.run("MDP X", update="no such update")
    with pytest.raises(ValueError, match="n_steps"):
        widgets.run("MDP X", n_steps=0)


def _read(path):
    return path.read_text().splitlines()


def test_save_writes_what_explore_writes(tmp_path):
    box = _box(mdp_name="(the boxes below)", source="gridworld", keywords="height=3, width=4", gamma=0.8,
               update="trust region, mean KL", delta=0.1, policy="random", seed=3)
    box.folder.value = str(tmp_path / "from_widget")
    files = box.save()
    assert len(files) == 5 and all(f.exists() and f.stat().st_size > 0 for f in files)
    assert "saved into" in box.status.value and "explore_gridworld_states.csv" in box.status.value
    assert main(["explore", "gridworld", "--kw", "height=3", "--kw", "width=4", "--gamma", "0.8", "--step",
                 "trust_region", "--delta", "0.1", "--constraint", "mean", "--weights", "d", "--policy", "random",
                 "--seed", "3", "--out", str(tmp_path / "from_cli")]) == 0
    for suffix in ("_states.csv", "_bounds.csv", "_summary.csv"):
        name = f"explore_gridworld{suffix}"
        assert _read(tmp_path / "from_widget" / name) == _read(tmp_path / "from_cli" / name), name


def test_several_steps_and_old_names():
    fig, st = widgets.redraw("gridworld 4x4", gamma=0.9, update="policy iteration", n_steps=2, show=False)
    mdp, _ = widgets.build("gridworld 4x4", 0.9)
    pi1 = B.pi_step(mdp, T.uniform(mdp)).pi_new
    np.testing.assert_allclose(st.old.pi, pi1)  # the drawn step starts where the first one ended
    import matplotlib.pyplot as plt

    plt.close(fig)
    with pytest.raises(ValueError, match="mdp_name"):
        widgets.redraw("no such MDP", show=False)

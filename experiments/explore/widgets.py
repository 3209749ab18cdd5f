"""An interactive explorer for notebooks: choose an MDP, gamma, an update and its step size, and see
the maps of the policy before and after one exact step.

:func:`redraw` is the callback (plain Python, testable without a browser); :func:`explorer` wraps it
in ipywidgets controls (ipywidgets is imported only there; install the ``notebooks`` extra).
"""

from __future__ import annotations

import numpy as np

import tabular as T

from . import layout as Lay
from .quantities import step_terms
from .report import STEPS, start_policy

__all__ = ["MDPS", "UPDATES", "build", "redraw", "render_png", "explorer"]

#: Menu name -> function gamma -> (mdp, layout).
MDPS = {
    "gridworld 4x4": lambda g: _zoo("gridworld", gamma=g),
    "gridworld 5x7, slip 0.2": lambda g: _zoo("gridworld", height=5, width=7, slip=0.2, gamma=g),
    "Sutton & Barto 5x5": lambda g: _zoo("sutton_barto_gridworld", gamma=g),
    "chain (8 states)": lambda g: _zoo("chain", n=8, gamma=g),
    "MDP X": lambda g: _zoo("mdp_x", gamma=g),
    "FrozenLake 4x4": lambda g: _gym("FrozenLake-v1", g),
    "CliffWalking": lambda g: _gym("CliffWalking-v1", g),
}
#: Menu name -> (bounds step, which slider sets its parameter).
UPDATES = {
    "Algorithm 1 (mm)": "mm",
    "CPI (alpha*)": "cpi",
    "trust region, max KL": "trust_region_max",
    "trust region, mean KL": "trust_region_mean",
    "natural gradient (npg)": "npg",
    "policy iteration": "pi",
}


def _zoo(name, **kw):
    mdp = T.make(name, **kw)
    kw.pop("gamma")
    return mdp, Lay.zoo_layout(name, mdp, **kw)


def _gym(env_id, gamma):
    mdp = T.from_gymnasium(env_id, gamma)
    return mdp, Lay.gym_layout(env_id, mdp)


def build(mdp_name: str, gamma: float):
    """``(mdp, layout)`` of a menu entry of :data:`MDPS`."""
    if mdp_name not in MDPS:
        raise ValueError(f"mdp_name must be one of {list(MDPS)}, got {mdp_name!r}")
    return MDPS[mdp_name](float(gamma))


def _step_args(update: str, C_scale: float, delta: float, step_size: float):
    kind = UPDATES.get(update, update)
    if kind == "mm":
        return "mm", {"C_scale": C_scale}
    if kind == "trust_region_max":
        return "trust_region", {"delta": delta, "constraint": "max"}
    if kind == "trust_region_mean":
        return "trust_region", {"delta": delta, "constraint": "mean", "weights": "d"}
    if kind == "npg":
        return "npg", {"step": step_size}
    if kind in ("cpi", "pi"):
        return kind, {}
    raise ValueError(f"update must be one of {list(UPDATES)}, got {update!r}")


def redraw(mdp_name: str = "gridworld 4x4", gamma: float = 0.9, update: str = "Algorithm 1 (mm)",
           C_scale: float = 0.1, delta: float = 0.05, step_size: float = 0.5, policy: str = "uniform",
           n_steps: int = 1, show: bool = True):
    """Take ``n_steps`` exact steps of ``update`` from ``policy`` and draw the last one.

    Returns ``(fig, terms)``: the matplotlib figure (V and pi before and after, d, then TV, KL, Abar,
    V_new - V and the terms of eta - L) and the :class:`~experiments.explore.quantities.StepTerms`
    of the last step. ``show=True`` displays the figure (in a notebook) and closes it.
    """
    import matplotlib.pyplot as plt

    from .maps import draw_map, draw_policy, step_panels

    mdp, lay = build(mdp_name, gamma)
    name, kw = _step_args(update, C_scale, delta, step_size)
    pi = start_policy(mdp, policy)
    for _ in range(int(n_steps)):
        pi_old = pi
        pi = STEPS[name](mdp, pi_old, ev=T.evaluate(mdp, pi_old), **kw).pi_new
    st = step_terms(mdp, pi_old, pi)
    wide = lay.kind == "grid" and lay.shape[1] > 2 * lay.shape[0]
    fig, axes = plt.subplots(*((3, 3) if wide else (2, 4)), figsize=(16, 7.5) if wide else (15, 6.4))
    axes = list(np.ravel(axes))
    graph = lay.kind == "graph"
    draw_map(axes[0], lay, st.old.V, title="V before, with π", edges=st.old.ev.P_pi if graph else None)
    draw_policy(axes[0], lay, st.old.pi)
    draw_map(axes[1], lay, st.new.V, title="V after, with π_new", edges=st.new.ev.P_pi if graph else None)
    draw_policy(axes[1], lay, st.new.pi)
    draw_map(axes[2], lay, st.old.d, title="d_π (before)", cmap="magma", vmin=0.0,
             edges=st.old.ev.P_pi if graph else None)
    step_panels(axes[3:8], lay, st)
    for ax in axes[8:]:
        ax.axis("off")
    fig.suptitle(f"{mdp_name}, γ = {gamma:g}: {update}, step {n_steps}: η {st.eta:.5g} → {st.eta_new:.5g} "
                 f"(L = {st.surrogate:.5g}, η − L = {st.gap:.2g})", fontsize=10)
    fig.tight_layout()
    if show:
        plt.show()
        plt.close(fig)
    return fig, st


def render_png(dpi: int = 90, **kwargs) -> bytes:
    """The figure of :func:`redraw` (same keywords) as PNG bytes."""
    import io

    import matplotlib.pyplot as plt

    fig, _ = redraw(show=False, **kwargs)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def explorer(**defaults):
    """ipywidgets controls (MDP, gamma, update, C scale, delta, step size, number of steps) around
    :func:`redraw`; returns the widget box (display it as a notebook cell's last line).

    Every change of a control calls the box's ``update()`` (also callable directly), which redraws and
    puts the new picture into the box's output area. The picture is appended as display data rather
    than captured from a ``with output:`` block: output capture made headless notebook runs (nbclient)
    stall until their cell timeout, intermittently.
    """
    import ipywidgets as W
    from IPython.display import Image

    controls = {
        "mdp_name": W.Dropdown(options=list(MDPS), value=defaults.get("mdp_name", "gridworld 4x4"), description="MDP"),
        "gamma": W.FloatSlider(value=defaults.get("gamma", 0.9), min=0.0, max=0.99, step=0.01, description="γ"),
        "update": W.Dropdown(options=list(UPDATES), value=defaults.get("update", "Algorithm 1 (mm)"),
                             description="update"),
        "C_scale": W.FloatLogSlider(value=defaults.get("C_scale", 0.1), base=10, min=-4, max=0, step=0.25,
                                    description="C scale"),
        "delta": W.FloatLogSlider(value=defaults.get("delta", 0.05), base=10, min=-3, max=0.5, step=0.25,
                                  description="δ"),
        "step_size": W.FloatLogSlider(value=defaults.get("step_size", 0.5), base=10, min=-2, max=1, step=0.25,
                                      description="NPG step"),
        "n_steps": W.IntSlider(value=defaults.get("n_steps", 1), min=1, max=20, description="steps"),
    }
    out = W.Output()

    def update(_change=None):
        png = render_png(**{k: c.value for k, c in controls.items()})
        out.outputs = ()
        out.append_display_data(Image(data=png, format="png"))

    for c in controls.values():
        c.observe(update, names="value")
    box = W.VBox([W.HBox(list(controls.values())[:4]), W.HBox(list(controls.values())[4:]), out])
    box.update = update
    box.controls = controls
    box.output = out
    update()
    return box

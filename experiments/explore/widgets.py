"""An interactive explorer for notebooks: open any MDP ``explore`` opens, take one exact step of any of
its updates, and see the maps, the step's numbers and the bounds table; save them as ``explore`` does.

One code path with the command line: :func:`run` resolves the MDP with
:func:`experiments.explore.cli.resolve_mdp` (zoo names with keywords, Gymnasium ids, ``.json``/``.npz``
files), builds the step's keywords with :func:`experiments.explore.cli.step_kwargs`, and calls
:func:`experiments.explore.report.explore`; the picture is :func:`~experiments.explore.report.report_figure`
without its text strip, and "save" calls :func:`~experiments.explore.report.write_report` (the PNG, PDF and
three CSV files of ``python -m experiments explore``).

:func:`redraw` is the callback (plain Python, testable without a browser); :func:`explorer` wraps it
in ipywidgets controls (ipywidgets is imported only there; install the ``notebooks`` extra).
"""

from __future__ import annotations

import html
from pathlib import Path

import tabular as T

from . import cli
from .report import STEPS, ExploreReport, explore, report_figure, start_policy, summary, write_report

__all__ = ["MDPS", "UPDATES", "build", "run", "redraw", "render_png", "numbers_html", "save", "explorer"]

#: Menu name -> ``(NAME_OR_FILE, keywords)`` as ``explore`` takes them (``--kw`` text).
MDPS = {
    "gridworld 4x4": ("gridworld", ""),
    "gridworld 5x7, slip 0.2": ("gridworld", "height=5, width=7, slip=0.2"),
    "Sutton & Barto 5x5": ("sutton_barto_gridworld", ""),
    "chain (8 states)": ("chain", "n=8"),
    "MDP X": ("mdp_x", ""),
    "two-state (Puterman)": ("two_state", ""),
    "garnet (random)": ("garnet", ""),
    "FrozenLake 4x4": ("FrozenLake-v1", ""),
    "FrozenLake 4x4, not slippery": ("FrozenLake-v1", "is_slippery=false"),
    "FrozenLake 8x8": ("FrozenLake8x8-v1", ""),
    "CliffWalking": ("CliffWalking-v1", ""),
    "Taxi": ("Taxi-v4", ""),
    "(the boxes below)": (None, None),
}
#: Menu name -> ``(step, fixed options, options set by the sliders)``; options as in
#: :data:`experiments.explore.cli.STEP_OPTIONS` (the command line's ``--step`` and its options).
UPDATES = {
    "Algorithm 1 (mm)": ("mm", {"penalty": "kl"}, ("C_scale",)),
    "Algorithm 1, TV² penalty (Eq. 8)": ("mm", {"penalty": "tv"}, ("C_scale",)),
    "CPI (alpha*)": ("cpi", {}, ()),
    "CPI (alpha)": ("cpi", {}, ("alpha",)),
    "trust region, max KL": ("trust_region", {"constraint": "max"}, ("delta",)),
    "trust region, mean KL": ("trust_region", {"constraint": "mean", "weights": "d"}, ("delta",)),
    "trust region, mean KL (ρ weights)": ("trust_region", {"constraint": "mean", "weights": "rho"}, ("delta",)),
    "natural gradient (npg)": ("npg", {}, ("step_size",)),
    "policy gradient (pg)": ("pg", {}, ("step_size",)),
    "KL penalty (kl_penalty)": ("kl_penalty", {}, ("c",)),
    "policy iteration": ("pi", {}, ()),
}
_SLIDERS = ("C_scale", "alpha", "delta", "step_size", "c")


def _source(mdp_name: str, source, keywords):
    """``(NAME_OR_FILE, keywords dict)`` of a menu entry, or of the boxes when ``source`` is given."""
    if source is not None or mdp_name == "(the boxes below)":
        return (source or ""), cli.parse_keywords(keywords or "")
    if mdp_name in MDPS:
        src, kw = MDPS[mdp_name]
        return src, cli.parse_keywords(kw)
    raise ValueError(f"mdp_name must be one of {list(MDPS)} (or give source=NAME_OR_FILE), got {mdp_name!r}")


def build(mdp_name: str, gamma: float | None = None, *, source: str | None = None, keywords: str = "", seed: int = 0):
    """``(mdp, layout)`` of a menu entry of :data:`MDPS`, or of ``source`` (any NAME_OR_FILE of
    ``explore``) with ``keywords`` (``"key=value, ..."``, read like ``--kw``).

    Examples
    --------
    >>> from experiments.explore.widgets import build
    >>> mdp, lay = build("FrozenLake 4x4", 0.9)
    >>> print(mdp.shape, lay.shape, round(float(mdp.gamma), 2))
    (17, 4) (4, 4) 0.9
    >>> mdp, lay = build("", source="gridworld", keywords="height=2, width=3")
    >>> print(mdp.shape)
    (6, 4)
    """
    src, kw = _source(mdp_name, source, keywords)
    mdp, lay, _ = cli.resolve_mdp(src, kw, None if gamma is None else float(gamma), seed)
    return mdp, lay


def _update(update: str):
    if update in UPDATES:
        return UPDATES[update]
    for step, fixed, sliders in UPDATES.values():  # a step name of the command line: its first menu entry
        if step == update:
            return step, fixed, sliders
    raise ValueError(f"update must be one of {list(UPDATES)} (or a step name {sorted(STEPS)}), got {update!r}")


def run(mdp_name: str = "gridworld 4x4", gamma: float | None = 0.9, update: str = "Algorithm 1 (mm)", *,
        source: str | None = None, keywords: str = "", policy: str = "uniform", seed: int = 0, n_steps: int = 1,
        C_scale: float = 0.1, alpha: float = 0.1, delta: float = 0.05, step_size: float = 0.5,
        c: float = 1.0) -> ExploreReport:
    """Take ``n_steps`` exact steps of ``update`` from ``policy`` and return the
    :class:`~experiments.explore.report.ExploreReport` of the last one, exactly as
    ``python -m experiments explore`` computes it (same functions).

    Only the sliders an update uses (:data:`UPDATES`) are passed to it. ``gamma=None`` keeps the MDP's
    own discount (0.95 for Gymnasium), like omitting ``--gamma``. Bad input raises ``ValueError``.

    Examples
    --------
    >>> from experiments.explore.widgets import run
    >>> rep = run("MDP X", gamma=0.9, update="CPI (alpha)", alpha=0.2)
    >>> print(rep.step_name, dict(rep.step_kwargs), rep.bounds.all_hold)
    cpi {'alpha': 0.2} True
    >>> print(abs(rep.terms.gap - float(rep.terms.terms.sum())) < 1e-9)
    True
    """
    src, kw = _source(mdp_name, source, keywords)
    step, fixed, used = _update(update)
    sliders = {"C_scale": C_scale, "alpha": alpha, "delta": delta, "step_size": step_size, "c": c}
    options = dict(fixed, **{k: float(sliders[k]) for k in used})
    kwargs = cli.step_kwargs(step, **options)
    n_steps = int(n_steps)
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}")
    mdp, lay, name = cli.resolve_mdp(src, kw, None if gamma is None else float(gamma), int(seed))
    pi = start_policy(mdp, policy, int(seed))
    for _ in range(n_steps - 1):
        pi = STEPS[step](mdp, pi, ev=T.evaluate(mdp, pi), **kwargs).pi_new
    label = policy if n_steps == 1 else f"{policy}, after {n_steps - 1} steps"
    return explore(mdp, lay, pi, step, name=name, policy=label, **kwargs)


def redraw(mdp_name: str = "gridworld 4x4", gamma: float | None = 0.9, update: str = "Algorithm 1 (mm)",
           show: bool = True, **kwargs):
    """:func:`run` and draw its maps (:func:`~experiments.explore.report.report_figure` without the text).

    Returns ``(fig, terms)``: the matplotlib figure (V and pi before, d, the contributions to eta,
    V and pi after; TV, KL, Abar, V_new - V and the terms of eta - L) and the
    :class:`~experiments.explore.quantities.StepTerms` of the last step. ``show=True`` displays the
    figure (in a notebook) and closes it. Other keywords go to :func:`run`.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from experiments.explore.widgets import redraw
    >>> fig, st = redraw("chain (8 states)", gamma=0.9, update="policy iteration", show=False)
    >>> print(len(fig.axes) >= 9, bool(st.eta_new >= st.eta))
    True True
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    try:
        rep = run(mdp_name, gamma, update, **kwargs)
    except ValueError as exc:
        if mdp_name not in MDPS and kwargs.get("source") is None:
            raise ValueError(f"mdp_name: {exc}") from None
        raise
    fig = report_figure(rep, text=False)
    if show:
        plt.show()
        plt.close(fig)
    return fig, rep.terms


def render_png(dpi: int = 100, rep: ExploreReport | None = None, **kwargs) -> bytes:
    """The maps of ``rep`` (or of :func:`run` with ``kwargs``) as PNG bytes.

    Examples
    --------
    >>> from experiments.explore.widgets import render_png
    >>> png = render_png(mdp_name="MDP X", update="policy iteration")
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    import io

    import matplotlib.pyplot as plt

    rep = run(**kwargs) if rep is None else rep
    fig = report_figure(rep, text=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def numbers_html(rep: ExploreReport) -> str:
    """The step's numbers (eta before and after, eta*, L, KL max and mean, TV, C, the step's
    parameters) and the bounds table (:func:`bounds.check_all` on the pair) as an HTML fragment.

    Examples
    --------
    >>> from experiments.explore.widgets import numbers_html, run
    >>> text = numbers_html(run("MDP X", update="policy iteration"))
    >>> print("η(π_new)" in text, "<table" in text, "holds" in text)
    True True True
    """
    s = summary(rep)
    kw = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in rep.step_kwargs.items())
    rows = [("MDP", f"{rep.name} (S={s['S']}, A={s['A']}, γ={s['gamma']:g})"), ("start policy", rep.policy),
            ("step", f"{rep.step_name}({kw})"), ("η(π)", f"{s['eta']:.8g}"), ("η(π_new)", f"{s['eta_new']:.8g}"),
            ("η*", f"{s['eta_star']:.8g}"), ("L_π(π_new) (Eq. 3)", f"{s['surrogate']:.8g}"),
            ("η − L", f"{s['eta_new_minus_L']:.4g}"), ("max KL", f"{s['kl_max']:.4g}"),
            ("Σ_s ρ KL", f"{s['kl_mean_rho']:.4g}"), ("max TV", f"{s['tv_max']:.4g}"),
            ("theory C", f"{s['theory_C']:.4g}")]
    if "C_used" in s:
        rows.append(("C used", f"{s['C_used']:.4g}"))
    td = '<td style="padding:0 6px">'
    num = "".join(f"<tr>{td}{html.escape(a)}</td>{td}{html.escape(b)}</td></tr>" for a, b in rows)
    no = '<b style="color:red">NO</b>'
    bnd = "".join(f"<tr>{td}{html.escape(r.name)}</td>{td}{r.rhs:.6g}</td>{td}{r.slack:.3g}</td>"
                  f"{td}{'yes' if r.holds else no}</td></tr>" for r in rep.bounds)
    head = f"<tr>{td}<b>bound</b></td>{td}<b>lower bound</b></td>{td}<b>slack</b></td>{td}<b>holds</b></td></tr>"
    return (f'<div style="font-family:monospace;font-size:12px"><table>{num}</table>'
            f"<p><b>bounds.check_all(mdp, π, π_new)</b>: η(π_new) ≥ each lower bound?</p>"
            f"<table>{head}{bnd}</table></div>")


def save(rep: ExploreReport, folder="explore_out") -> tuple[Path, ...]:
    """Write what ``python -m experiments explore`` writes for ``rep`` into ``folder``: the page
    (PNG, PDF) and its three CSV files, named ``explore_<name>...``. Returns the paths.

    Examples
    --------
    >>> from experiments.explore.widgets import run, save
    >>> files = save(run("MDP X", update="policy iteration"), "explore_out")
    >>> print([f.name for f in files])  # doctest: +NORMALIZE_WHITESPACE
    ['explore_mdp_x.png', 'explore_mdp_x.pdf', 'explore_mdp_x_states.csv', 'explore_mdp_x_bounds.csv',
     'explore_mdp_x_summary.csv']
    """
    return write_report(rep, folder, cli.report_stem(rep.name))


def _controls(W, defaults):
    d = defaults.get
    text = dict(layout=W.Layout(width="330px"))
    return {
        "mdp_name": W.Dropdown(options=list(MDPS), value=d("mdp_name", "gridworld 4x4"), description="MDP"),
        "source": W.Text(value=d("source", ""), placeholder="zoo name, Gymnasium id or .json/.npz path",
                         description="name/file", **text),
        "keywords": W.Text(value=d("keywords", ""), placeholder="key=value, ...", description="keywords", **text),
        "gamma": W.FloatSlider(value=d("gamma", 0.9), min=0.0, max=0.99, step=0.01, description="γ"),
        "update": W.Dropdown(options=list(UPDATES), value=d("update", "Algorithm 1 (mm)"), description="update"),
        "policy": W.Dropdown(options=["uniform", "optimal", "random"], value=d("policy", "uniform"),
                             description="start π"),
        "seed": W.BoundedIntText(value=d("seed", 0), min=0, max=2**31 - 1, description="seed"),
        "n_steps": W.IntSlider(value=d("n_steps", 1), min=1, max=20, description="steps"),
        "C_scale": W.FloatLogSlider(value=d("C_scale", 0.1), base=10, min=-4, max=0, step=0.25, description="C scale"),
        "alpha": W.FloatSlider(value=d("alpha", 0.1), min=0.0, max=1.0, step=0.01, description="α (CPI)"),
        "delta": W.FloatLogSlider(value=d("delta", 0.05), base=10, min=-3, max=0.5, step=0.25, description="δ"),
        "step_size": W.FloatLogSlider(value=d("step_size", 0.5), base=10, min=-2, max=1, step=0.25,
                                      description="step size"),
        "c": W.FloatLogSlider(value=d("c", 1.0), base=10, min=-2, max=2, step=0.25, description="c (KL pen.)"),
    }


def explorer(**defaults):
    """ipywidgets controls around :func:`run`; returns the widget box (display it as a notebook cell's
    last line).

    Controls (each has a ``description``): the MDP menu, or (menu entry "(the boxes below)") any
    NAME_OR_FILE of ``explore`` in "name/file" with "keywords" ``key=value, ...``; γ, the update, the
    start policy and seed, the number of steps and the update's parameters (sliders the update does not
    use are disabled). Every change calls the box's ``update()`` (also callable directly), which puts
    the new picture into ``box.output`` and the step's numbers and bounds table into ``box.numbers``;
    an error (a missing file, a bad keyword) is shown in ``box.status`` and never raised. The "save"
    button (``box.save_button``, handler ``box.save()``) writes what ``explore`` writes into the
    folder of ``box.folder`` (default ``explore_out``) and says where.

    The picture is appended as display data rather than captured from a ``with output:`` block:
    output capture made headless notebook runs (nbclient) stall until their cell timeout, intermittently.

    Examples
    --------
    >>> from experiments.explore.widgets import explorer
    >>> box = explorer(mdp_name="MDP X", update="policy iteration")
    >>> box.controls["mdp_name"].value = "(the boxes below)"
    >>> box.controls["source"].value = "no_such_file.json"
    >>> print(box.status.value.startswith("<b style"), "no such file" in box.status.value)
    True True
    """
    import ipywidgets as W
    from IPython.display import Image

    controls = _controls(W, defaults)
    out, numbers, status = W.Output(), W.HTML(), W.HTML()
    folder = W.Text(value=defaults.get("folder", "explore_out"), description="folder")
    button = W.Button(description="save", tooltip="write the page (PNG, PDF) and the CSV files of explore")
    state = {"rep": None}

    def _args():
        a = {k: c.value for k, c in controls.items()}
        if a["mdp_name"] != "(the boxes below)":
            a.pop("source"), a.pop("keywords")
        return a

    def update(_change=None):
        _, _, used = _update(controls["update"].value)
        for k in _SLIDERS:
            controls[k].disabled = k not in used
        try:
            rep = run(**_args())
            png = render_png(rep=rep)
        except Exception as exc:  # shown in the widget, never raised into the notebook
            state["rep"] = None
            status.value = f'<b style="color:red">cannot draw: {html.escape(" ".join(str(exc).split()))}</b>'
            return
        state["rep"] = rep
        status.value = ""
        numbers.value = numbers_html(rep)
        out.outputs = ()
        out.append_display_data(Image(data=png, format="png"))

    def save_now(_button=None):
        if state["rep"] is None:
            status.value = '<b style="color:red">nothing to save: the last update failed</b>'
            return ()
        try:
            files = save(state["rep"], folder.value or "explore_out")
        except (OSError, ValueError) as exc:
            status.value = f'<b style="color:red">cannot save: {html.escape(str(exc))}</b>'
            return ()
        status.value = f"saved into {html.escape(str(Path(files[0]).parent.resolve()))}: " + ", ".join(
            html.escape(Path(f).name) for f in files)
        return files

    for c in controls.values():
        c.observe(update, names="value")
    button.on_click(save_now)
    cs = list(controls.values())
    box = W.VBox([W.VBox([W.HBox(cs[0:3]), W.HBox(cs[3:8]), W.HBox(cs[8:])]),
                  W.HBox([folder, button, status]), W.HBox([out, numbers])])
    box.update, box.save, box.controls, box.output = update, save_now, controls, out
    box.numbers, box.status, box.folder, box.save_button = numbers, status, folder, button
    update()
    return box

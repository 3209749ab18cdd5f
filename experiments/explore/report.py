"""The one-page report of one MDP and one step ``pi -> pi_new``: maps, values and the bounds table.

:func:`explore` computes everything (exactly: :func:`tabular.evaluate`, :func:`tabular.optimal`, the
step of :mod:`bounds` and :func:`bounds.check_all` on the pair); :func:`report_figure` draws the page;
:func:`write_report` writes ``<stem>.png``, ``<stem>.pdf`` (deterministic: no timestamps) and the
numbers behind them, ``<stem>_states.csv`` (one row per state), ``<stem>_bounds.csv`` (one row per
bound) and ``<stem>_summary.csv`` (eta, eta*, L, ...).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

import bounds as B
import tabular as T
from tabular.validation import check_int, check_mdp

from .layout import Layout
from .quantities import StepTerms, step_terms

__all__ = ["STEPS", "START_POLICIES", "ExploreReport", "start_policy", "explore", "report_figure", "write_report"]

#: Step name -> bounds function. Keyword arguments are passed through.
STEPS = MappingProxyType({
    "mm": B.mm_step, "cpi": B.cpi_step, "trust_region": B.trust_region_step, "npg": B.npg_step,
    "pg": B.pg_step, "pi": B.pi_step, "kl_penalty": B.kl_penalty_step,
})
START_POLICIES = ("uniform", "optimal", "random")


@dataclass(frozen=True, eq=False)
class ExploreReport:
    """Everything on the page. ``step`` is the :class:`bounds.StepResult`, ``bounds`` the
    :class:`bounds.BoundTable` of ``check_all(mdp, pi, pi_new)``, ``terms`` the per-state
    :class:`~experiments.explore.quantities.StepTerms`.

    Examples
    --------
    >>> import tabular as T
    >>> from experiments.explore import zoo_layout
    >>> from experiments.explore.report import explore
    >>> mdp = T.make("mdp_x", gamma=0.9)
    >>> rep = explore(mdp, zoo_layout("mdp_x", mdp), T.uniform(mdp), "pi", policy="uniform")
    >>> print(rep.name, rep.step_name, rep.bounds.all_hold, f"{rep.eta_star:.4f}" == f"{T.optimal(mdp).eta:.4f}")
    MDP X pi True True
    """

    mdp: T.MDP
    layout: Layout
    name: str
    policy: str
    step_name: str
    step_kwargs: MappingProxyType
    step: object
    terms: StepTerms
    bounds: object
    eta_star: float
    pi_star: np.ndarray
    notes: tuple = field(default_factory=tuple)


def start_policy(mdp: T.MDP, policy: str, seed: int = 0) -> np.ndarray:
    """``"uniform"``, ``"optimal"`` (policy iteration) or ``"random"`` (Dirichlet(1) rows, ``seed``).

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from experiments.explore.report import start_policy
    >>> mdp = T.make("gridworld", height=2, width=2)
    >>> print(np.round(start_policy(mdp, "uniform")[0], 2))
    [0.25 0.25 0.25 0.25]
    >>> pi = start_policy(mdp, "random", seed=1)
    >>> print(np.allclose(pi.sum(axis=1), 1.0), np.array_equal(pi, start_policy(mdp, "random", seed=1)))
    True True
    """
    mdp = check_mdp(mdp)
    seed = check_int(seed, "seed", lo=0)
    if policy == "uniform":
        return T.uniform(mdp)
    if policy == "optimal":
        return T.optimal(mdp).pi
    if policy == "random":
        return T.random_policy(mdp, rng=np.random.default_rng(seed))
    raise ValueError(f"policy must be one of {START_POLICIES}, got {policy!r}")


def _check_step_kwargs(update: str, step_kwargs: dict) -> None:
    """Every keyword is a parameter of ``STEPS[update]`` (``mdp``, ``pi`` and ``ev`` are given here)."""
    params = inspect.signature(STEPS[update]).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    bad = sorted(k for k in step_kwargs if k not in params or k in ("mdp", "pi", "ev"))
    if bad:
        allowed = sorted(k for k, p in params.items()
                         if k not in ("mdp", "pi", "ev") and p.kind is not p.VAR_POSITIONAL)
        raise ValueError(f"step_kwargs: {bad} are not parameters of the {update!r} update; it takes {allowed}")


def explore(mdp: T.MDP, layout: Layout, pi, update: str = "mm", name: str = "", policy: str = "",
            claims=(), **step_kwargs) -> ExploreReport:
    """Take one step of ``update`` (a key of :data:`STEPS`) from ``pi`` with ``step_kwargs`` (e.g.
    ``delta=0.01``, or ``step=0.1`` for npg) and collect what the report shows; ``claims`` are a user's
    bounds (``MODULE:FUNCTION`` names or functions, :func:`bounds.registry.bound_named`) shown in the
    bounds table with the registered ones.

    Bad input raises ``ValueError``/``TypeError`` naming the argument: ``mdp`` not an MDP, ``layout``
    not a :class:`Layout` of as many states, ``pi`` not a policy of the MDP, an unknown ``update`` or a
    keyword it does not take; a step that fails on its numbers (e.g. an astronomically large step
    size) raises ``ValueError`` naming ``update`` and the step's keywords.

    Examples
    --------
    >>> import tabular as T
    >>> from experiments.explore import zoo_layout
    >>> from experiments.explore.report import explore
    >>> mdp = T.make("gridworld", height=3, width=3, gamma=0.9)
    >>> rep = explore(mdp, zoo_layout("gridworld", mdp, height=3, width=3), T.uniform(mdp), "trust_region",
    ...               delta=0.01)
    >>> print(bool(rep.step.kl_max <= 0.01 + 1e-9), rep.bounds.all_hold)
    True True
    >>> print(abs(rep.terms.eta_new - T.evaluate(mdp, rep.step.pi_new).eta) < 1e-12)
    True
    """
    mdp = check_mdp(mdp)
    if not isinstance(layout, Layout):
        raise TypeError(f"layout must be an experiments.explore.Layout, got {type(layout).__name__}")
    if not isinstance(update, str) or update not in STEPS:
        raise ValueError(f"update must be one of {sorted(STEPS)}, got {update!r}")
    for arg, v in (("name", name), ("policy", policy)):
        if not isinstance(v, str):
            raise TypeError(f"{arg} must be a string, got {type(v).__name__}")
    step = update
    if layout.n_states != mdp.n_states:
        raise ValueError(f"layout: it has {layout.n_states} states but the MDP has {mdp.n_states}")
    pi = T.validate_policy(pi, mdp, "pi")
    _check_step_kwargs(step, step_kwargs)
    ev = T.evaluate(mdp, pi)  # rho >= 0 exactly: tabular zeroes the round-off at unreached states
    try:
        res = STEPS[step](mdp, ev.pi, ev=ev, **step_kwargs)
    except (B.SolverError, FloatingPointError, OverflowError, ZeroDivisionError) as exc:
        raise ValueError(f"update {step!r} with {dict(step_kwargs)} failed on this MDP: {type(exc).__name__}: "
                         f"{exc}") from exc
    terms = step_terms(mdp, ev.pi, res.pi_new)
    table = B.check_all(mdp, ev.pi, res.pi_new, ev=ev, extra=tuple(claims))
    opt = T.optimal(mdp)
    notes = []
    for s in layout.off_map:
        notes.append(f"off the map: state {s} ({layout.marks.get(s, 'state')}),")
        notes.append(f"  V = {terms.old.V[s]:.4g}, d = {terms.old.d[s]:.4g}, KL = {terms.kl[s]:.3g}")
    return ExploreReport(mdp=mdp, layout=layout, name=name or layout.title, policy=policy, step_name=step,
                         step_kwargs=MappingProxyType(dict(step_kwargs)), step=res, terms=terms, bounds=table,
                         eta_star=float(opt.eta), pi_star=opt.pi, notes=tuple(notes))


def _step_label(rep: ExploreReport) -> str:
    kw = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in rep.step_kwargs.items())
    return f"{rep.step_name}({kw})"


def summary(rep: ExploreReport) -> dict:
    """The scalar numbers of the page, name -> value."""
    st, res = rep.terms, rep.step
    out = {
        "S": rep.mdp.n_states, "A": rep.mdp.n_actions, "gamma": rep.mdp.gamma,
        "eta": st.eta, "eta_new": st.eta_new, "eta_star": rep.eta_star, "surrogate": st.surrogate,
        "eta_new_minus_L": st.gap, "sum_of_terms": float(np.sum(st.terms)),
        "kl_max": res.kl_max, "kl_mean_rho": res.kl_mean, "tv_max": res.tv_max,
        "theory_C": float(res.info["theory_C"]), "all_bounds_hold": rep.bounds.all_hold,
    }
    if "C" in res.info:
        out["C_used"] = float(res.info["C"])
    return out


def _table_rows(rep: ExploreReport):
    rows = []
    for r in rep.bounds:
        rows.append([r.name, f"{r.rhs:.6g}", f"{r.penalty:.4g}", f"{r.slack:.4g}", "yes" if r.holds else "NO",
                     r.source])
    return rows


def _page_layout(lay, text: bool = True):
    """The figure and its axes: 4 policy maps (top), 5 step maps (middle), a bottom strip (None
    without ``text``)."""
    import matplotlib.pyplot as plt

    strip = 4.2 if text else 0.0
    wide = lay.kind == "grid" and lay.shape[1] > 2 * lay.shape[0]
    if wide:  # long grids (CliffWalking, chains): 3 maps per row, 3 rows
        W = 18.0
        map_h = max(1.9, (W / 3 - 1.2) * lay.shape[0] / lay.shape[1] + 0.8)
        fig = plt.figure(figsize=(W, 3 * map_h + strip + 0.4))
        gs = fig.add_gridspec(4 if text else 3, 6, height_ratios=[map_h] * 3 + ([strip] if text else []),
                              hspace=0.45, wspace=0.35, top=1 - 0.6 / (3 * map_h + strip + 0.4))
        cells = [gs[r, 2 * c:2 * c + 2] for r in range(3) for c in range(3)]
        top, mid = [fig.add_subplot(g) for g in cells[:4]], [fig.add_subplot(g) for g in cells[4:]]
        return fig, top, mid, gs[3, :] if text else None
    map_h = 3.3
    fig = plt.figure(figsize=(17.0, 2 * map_h + strip + 0.4))
    gs = fig.add_gridspec(3 if text else 2, 20, height_ratios=[map_h, map_h] + ([strip] if text else []),
                          hspace=0.35, wspace=1.6, top=1 - 0.6 / (2 * map_h + strip + 0.4))
    top = [fig.add_subplot(gs[0, 5 * i:5 * i + 5]) for i in range(4)]
    mid = [fig.add_subplot(gs[1, 4 * i:4 * i + 4]) for i in range(5)]
    return fig, top, mid, gs[2, :] if text else None


def _policy_maps(top, lay, st) -> None:
    """Top row: V with pi, d, the eta contributions, V_new with pi_new (edges of P_pi on graphs)."""
    from .maps import draw_map, draw_policy

    graph = lay.kind == "graph"
    e_old = st.old.ev.P_pi if graph else None
    e_new = st.new.ev.P_pi if graph else None
    draw_map(top[0], lay, st.old.V, title="V_π with π" + (" (edges: P_π)" if graph else ""), edges=e_old)
    draw_policy(top[0], lay, st.old.pi)
    draw_map(top[1], lay, st.old.d, title="d_π = (1−γ) ρ_π (visitation)", cmap="magma", vmin=0.0, edges=e_old)
    draw_map(top[2], lay, st.old.eta_contribution, diverging=True, edges=e_old,
             title="ρ_π(s) r_π(s)  (Σ = η(π))")
    draw_map(top[3], lay, st.new.V, title="V_new with π_new" + (" (edges: P_new)" if graph else ""), edges=e_new)
    draw_policy(top[3], lay, st.new.pi)


def _numbers_text(ax, rep: ExploreReport, s: dict) -> None:
    """The numbers of the step as monospace text: eta, eta_new, eta*, L, divergences, C."""
    ax.axis("off")
    lines = [
        f"MDP: {rep.name}   S = {s['S']}, A = {s['A']}, γ = {s['gamma']:g}",
        f"start policy: {rep.policy or 'given'}",
        f"step: {_step_label(rep)}",
        "",
        f"η(π)          = {s['eta']:.8g}",
        f"η(π_new)      = {s['eta_new']:.8g}",
        f"η*            = {s['eta_star']:.8g}",
        f"L_π(π_new)    = {s['surrogate']:.8g}   (Eq. 3)",
        f"η − L         = {s['eta_new_minus_L']:.4g}",
        f"Σ (ρ_new−ρ)Ā  = {s['sum_of_terms']:.4g}",
        f"max KL = {s['kl_max']:.4g},  Σ_s ρ KL = {s['kl_mean_rho']:.4g}",
        f"max TV = {s['tv_max']:.4g}",
        f"theory C = 4εγ/(1−γ)² = {s['theory_C']:.4g}" + (f",  C used = {s['C_used']:.4g}" if "C_used" in s else ""),
    ]
    lines += list(rep.notes)
    ax.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", family="DejaVu Sans Mono", fontsize=8.5,
            transform=ax.transAxes)


def _bounds_text(ax, rep: ExploreReport, s: dict) -> None:
    """The bounds table of the step (``bounds.check_all``) as monospace text, violations in red."""
    ax.axis("off")
    head = ["bound", "lower bound", "penalty", "slack", "holds", "source"]
    rows = _table_rows(rep)
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(5)]
    fmt_row = lambda r: "  ".join(c.ljust(w) for c, w in zip(r[:5], widths)) + "  " + r[5]  # noqa: E731
    lines_t = [fmt_row(head), "─" * (sum(widths) + 10 + max(len(r[5]) for r in rows))] + [fmt_row(r) for r in rows]
    ax.text(0.0, 1.0, "\n".join(lines_t), va="top", ha="left", family="DejaVu Sans Mono", fontsize=8.5,
            transform=ax.transAxes)
    failed = [r[0] for r in rows if r[4] == "NO"]
    if failed:
        ax.text(0.0, 0.02, "VIOLATED: " + ", ".join(failed), color="red", fontsize=9, transform=ax.transAxes)
    ax.set_title(f"bounds.check_all(mdp, π, π_new): is η(π_new) = {s['eta_new']:.8g} ≥ each lower bound?",
                 fontsize=9, loc="left")


def report_figure(rep: ExploreReport, text: bool = True):
    """The one-page figure: policy maps (top), step maps (middle), numbers and bounds (bottom; left
    out with ``text=False``, as in the notebook explorer, which shows them beside the picture).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import tabular as T
    >>> from experiments.explore import zoo_layout
    >>> from experiments.explore.report import explore, report_figure
    >>> mdp = T.make("chain", n=4)
    >>> rep = explore(mdp, zoo_layout("chain", mdp), T.uniform(mdp), "pi")
    >>> fig = report_figure(rep)
    >>> print(sum(1 for ax in fig.axes if ax.images))  # 4 policy maps and 5 step maps
    9
    >>> plt.close(fig)
    """
    from .maps import step_panels

    lay, st = rep.layout, rep.terms
    fig, top, mid, bottom = _page_layout(lay, text)
    _policy_maps(top, lay, st)
    step_panels(mid, lay, st)
    if not text:
        fig.suptitle(f"{rep.name}: one step {_step_label(rep)} from the {rep.policy or 'given'} policy",
                     fontsize=12, y=0.995)
        return fig
    sub = bottom.subgridspec(1, 20)
    split = 6
    s = summary(rep)
    _numbers_text(fig.add_subplot(sub[0, :split]), rep, s)
    _bounds_text(fig.add_subplot(sub[0, split:]), rep, s)
    fig.suptitle(f"{rep.name}: one step {_step_label(rep)} from the {rep.policy or 'given'} policy", fontsize=12,
                 y=0.995)
    return fig


def state_columns(rep: ExploreReport) -> dict:
    """The per-state numbers drawn on the page, as CSV columns."""
    lay, st = rep.layout, rep.terms
    S, A = rep.mdp.shape
    cols = {"state": np.arange(S), "row": lay.cells[:, 0], "col": lay.cells[:, 1],
            "mark": np.array([lay.marks.get(s, "") for s in range(S)], dtype=object)}
    for a in range(A):
        cols[f"pi_{a}"] = st.old.pi[:, a]
    for a in range(A):
        cols[f"pi_new_{a}"] = st.new.pi[:, a]
    cols.update({"V": st.old.V, "V_new": st.new.V, "dV": st.dV, "rho": st.old.rho, "rho_new": st.new.rho,
                 "d": st.old.d, "eta_contribution": st.old.eta_contribution, "Abar": st.Abar, "tv": st.tv,
                 "kl": st.kl, "term_rho_diff_Abar": st.terms})
    return cols


def write_report(rep: ExploreReport, out, stem: str = "explore") -> tuple[Path, ...]:
    """Write the page (PNG 150 dpi + PDF, no timestamps) and its three CSV files into ``out``.

    Examples
    --------
    >>> import tabular as T
    >>> from experiments.explore import zoo_layout
    >>> from experiments.explore.report import explore, write_report
    >>> mdp = T.make("mdp_x")
    >>> rep = explore(mdp, zoo_layout("mdp_x", mdp), T.uniform(mdp), "cpi")
    >>> print([f.name for f in write_report(rep, "explore_out", "mdp_x")])  # doctest: +NORMALIZE_WHITESPACE
    ['mdp_x.png', 'mdp_x.pdf', 'mdp_x_states.csv', 'mdp_x_bounds.csv', 'mdp_x_summary.csv']
    """
    from .._cli import check_writable_dir
    from .._common import save_figure, style, write_csv

    if not isinstance(rep, ExploreReport):
        raise TypeError(f"rep must be an ExploreReport (from explore()), got {type(rep).__name__}")
    if not isinstance(stem, str) or not stem or "/" in stem or "\\" in stem or stem in (".", ".."):
        raise ValueError(f"stem must be a file name without folders, got {stem!r}")
    out = check_writable_dir(out, "out")
    out.mkdir(parents=True, exist_ok=True)
    style()
    png, pdf = save_figure(report_figure(rep), out, stem)
    states = out / f"{stem}_states.csv"
    write_csv(states, state_columns(rep))
    bnd = out / f"{stem}_bounds.csv"
    keys = ("name", "source", "eta", "eta_new", "surrogate", "penalty", "rhs", "slack", "holds", "two_sided")
    write_csv(bnd, {k: np.array([getattr(r, k) for r in rep.bounds], dtype=object) for k in keys})
    summ = out / f"{stem}_summary.csv"
    s = summary(rep)
    write_csv(summ, {"quantity": np.array(list(s), dtype=object), "value": np.array(list(s.values()), dtype=object)})
    return png, pdf, states, bnd, summ

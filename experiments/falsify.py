"""``python -m experiments falsify TARGET``: search for a violation of a claimed bound, shrink and certify it.

Usage::

    python -m experiments falsify mean_kl --out /tmp/f                 # a named claim
    python -m experiments falsify bounds:theorem1 --time 30 --out /tmp/f
    python -m experiments falsify mypkg.mymod:my_bound --gamma-range 0.5,0.99 --states 4 --actions 3 --out DIR

``TARGET`` is a named claim (``theorem1``, ``kl_max``, ``mean_kl``, ...; ``bounds:NAME`` also works)
or ``MODULE:FUNCTION`` for any function ``(mdp, pi, pi_new) -> lower bound on eta(pi_new)`` (or an
object with ``rhs``). Writes ``DIR/certificate.json`` (:mod:`bounds.counterexamples.certificate`),
``DIR/report.txt`` and a one-page ``DIR/report.png`` / ``report.pdf``: the instance as a table of
fractions, the slack, and the claim along the segment from ``pi`` to ``pi_new`` (as in figure 7).
For a true bound, the report gives the smallest slack found. Exit status 0 either way.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

import numpy as np

from bounds.counterexamples.claims import CLAIMS, claim_named
from bounds.counterexamples.falsify import Falsification, falsify
from bounds.counterexamples.search import rhs_of
from bounds.counterexamples.shrink import format_instance
from tabular.evaluation import evaluate, surrogate

__all__ = ["main", "resolve_target", "segment", "report_text", "plot_report"]


def resolve_target(target: str):
    """A named claim, or the function ``MODULE:FUNCTION``; raises ValueError naming what is wrong."""
    mod, sep, attr = target.partition(":")
    if not sep or mod in ("bounds", "bounds.inequalities", "bounds.counterexamples"):
        try:
            return claim_named(target)
        except ValueError:
            if not sep:
                raise ValueError(f"no claim named {target!r}; use MODULE:FUNCTION or one of {sorted(CLAIMS)}")
    try:
        obj = importlib.import_module(mod)
    except ImportError as exc:
        raise ValueError(f"cannot import module {mod!r}: {exc}") from exc
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"module {mod!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"{target!r} is not callable")
    return obj


def _gamma_range(text: str) -> tuple:
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two numbers 'a,b', got {text!r}")
    if not (0.0 <= lo < hi < 1.0):
        raise argparse.ArgumentTypeError(f"need 0 <= a < b < 1, got {text!r}")
    return lo, hi


def _positive(kind, lo):
    def conv(text):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}")
        if not v >= lo:
            raise argparse.ArgumentTypeError(f"must be >= {lo}, got {text!r}")
        return v
    return conv


def segment(candidate, mdp, pi, pi_new, n: int = 101) -> dict:
    """``eta``, ``L`` and the claimed bound along ``pi_t = (1-t) pi + t pi_new``, t in [0, 1] (figure 7's view)."""
    ts = np.linspace(0.0, 1.0, n)
    ev = evaluate(mdp, pi)
    cols = {"t": ts, "eta_new": [], "L": [], "rhs": []}
    for t in ts:
        pt = (1 - t) * pi + t * pi_new
        cols["eta_new"].append(evaluate(mdp, pt).eta)
        cols["L"].append(surrogate(mdp, pi, pt, ev=ev))
        try:
            cols["rhs"].append(rhs_of(candidate, mdp, pi, pt))
        except (ValueError, FloatingPointError):
            cols["rhs"].append(np.nan)
    return {k: np.asarray(v, dtype=float) for k, v in cols.items()}


def _instance(res: Falsification):
    cert = res.certificate
    return cert.float_instance(), cert


def report_text(res: Falsification, target: str) -> str:
    """The one-page report as text: verdict, slack, the instance as a table, the certificate's check."""
    (m, p, q), cert = _instance(res)
    head = [f"claim: {target}  ({res.claim})",
            f"result: {'VIOLATED' if res.found else 'no violation found'} after {res.seconds:.1f} s, "
            f"{res.n_rounds} search rounds, {res.search.n_evaluations} evaluations",
            f"effort: {res.effort_text()}"]
    if res.found:
        slack = cert.claimed.get("slack", res.search.slack)
        head.append(f"slack eta(pi_new) - rhs = {slack:.6g}  (eta_new = {cert.claimed.get('eta_new', np.nan):.6g}, "
                    f"rhs = {cert.claimed.get('rhs', np.nan):.6g})")
        if res.shrunk is not None:
            head.append(f"shrunk from {res.search.mdp.shape[0]} x {res.search.mdp.shape[1]} to "
                        f"{res.shrunk.shape[0]} x {res.shrunk.shape[1]}, max denominator {res.shrunk.max_denominator}")
    else:
        head.append(f"smallest slack found: {res.search.slack:.6g} (relative {res.search.rel_slack:.3g}) "
                    f"at gamma = {res.search.mdp.gamma:.4g}, S = {res.search.mdp.shape[0]}, A = {res.search.mdp.shape[1]}")
    import textwrap

    head += textwrap.wrap(f"certificate check: {res.verification}", 100, subsequent_indent="    ")
    title = "counterexample" if res.found else "closest instance found (no violation)"
    return "\n".join(head) + "\n\n" + format_instance(cert.mdp, cert.pi, cert.pi_new, title) + "\n"


def plot_report(res: Falsification, target: str, candidate):
    """One page: the report text on top, the claim along the segment from pi to pi_new below."""
    import matplotlib.pyplot as plt

    (m, p, q), _ = _instance(res)
    seg = segment(candidate, m, p, q)
    text = report_text(res, target)
    n_lines = text.count("\n") + 1
    fig = plt.figure(figsize=(8.27, 9.0))
    ax_t = fig.add_axes([0.06, 0.56, 0.9, 0.42])
    ax_t.axis("off")
    ax_t.text(0, 1, text, family="monospace", fontsize=min(8.5, 300 / max(n_lines, 1)), va="top")
    ax = fig.add_axes([0.12, 0.07, 0.82, 0.40])
    L = seg["L"]
    ax.plot(seg["t"], seg["eta_new"] - L, color="k", lw=2.4, label="η(π_t) (truth)")
    ax.plot(seg["t"], seg["rhs"] - L, color="tab:red", label=f"claimed bound ({res.claim})")
    ax.axhline(0.0, color="gray", ls=":", lw=1, label="L_π(π_t)")
    finite = np.isfinite(seg["rhs"] - L)
    vals = np.concatenate([(seg["eta_new"] - L), (seg["rhs"] - L)[finite]])
    lo, hi = float(vals.min()), float(vals.max())
    pad = 0.1 * (hi - lo) + 1e-15
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("t   (π_t = (1 − t)·π + t·π̃)")
    ax.set_ylabel("value − L_π(π_t)")
    ax.set_title("along the segment from π to π̃: a violation is where the red line is above the black")
    ax.legend(frameon=False, loc="best")
    return fig, seg


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments falsify", description=__doc__.split("\n")[0])
    parser.add_argument("target", help="a named claim (e.g. mean_kl, bounds:theorem1) or MODULE:FUNCTION")
    parser.add_argument("--gamma-range", type=_gamma_range, default=(1e-3, 0.99), help="discounts searched, 'a,b'")
    parser.add_argument("--states", type=_positive(int, 2), default=3, help="largest number of states (>= 2)")
    parser.add_argument("--actions", type=_positive(int, 2), default=2, help="largest number of actions (>= 2)")
    parser.add_argument("--time", type=_positive(float, 1.0), default=60.0, help="seconds (search + shrink)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--max-denominator", type=_positive(int, 1), default=100, help="shrinking's denominators")
    parser.add_argument("--out", type=Path, required=True, help="folder for certificate.json and the report")
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    try:
        candidate = resolve_target(args.target)
    except ValueError as exc:
        parser.error(f"argument target: {exc}")
    res = falsify(candidate, time_budget=args.time, n_states=args.states, n_actions=args.actions,
                  gamma_range=args.gamma_range, rng=args.seed, max_denominator=args.max_denominator)
    args.out.mkdir(parents=True, exist_ok=True)
    res.certificate.save(args.out / "certificate.json")
    text = report_text(res, args.target)
    (args.out / "report.txt").write_text(text)
    from ._common import save_figure, style

    style()
    fig, _ = plot_report(res, args.target, candidate)
    save_figure(fig, args.out, "report")
    print(text)
    print(f"files: {args.out / 'certificate.json'}, {args.out / 'report.txt'}, {args.out / 'report.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

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
import inspect
import sys
import textwrap
from fractions import Fraction

import numpy as np

from bounds.counterexamples.claims import CLAIMS, claim_named, claim_of
from bounds.registry import Bound, as_bound
from bounds.counterexamples.falsify import Falsification, falsify
from bounds.counterexamples.search import rhs_of, violation_atol
from tabular.evaluation import evaluate, surrogate

__all__ = ["main", "resolve_target", "segment", "report_text", "plot_report"]


def resolve_target(target: str):
    """A named claim, or the function ``MODULE:FUNCTION``; raises ValueError naming what is wrong.

    Examples
    --------
    >>> from experiments.falsify import resolve_target
    >>> print(resolve_target("mean_kl"), resolve_target("bounds:theorem1"))
    Claim('mean_kl', FALSE, THEORY.md §6 (false)) Claim('theorem1', theorem, [TRPO] Theorem 1, Eq. (8))
    >>> print(resolve_target("math:sqrt").__name__)
    sqrt
    >>> try:
    ...     resolve_target("no_such_claim")
    ... except ValueError as err:
    ...     print(str(err)[:38])
    no claim named 'no_such_claim'; use MO
    """
    mod, sep, attr = target.partition(":")
    if not sep or mod in ("bounds", "bounds.inequalities", "bounds.counterexamples"):
        try:
            return claim_named(target)
        except ValueError:
            if not sep:
                raise ValueError(f"no claim named {target!r}; use MODULE:FUNCTION or one of {sorted(CLAIMS)}")
    if not mod or not attr:
        raise ValueError(f"expected MODULE:FUNCTION or a named claim, got {target!r}")
    try:
        obj = importlib.import_module(mod)
    except Exception as exc:  # ImportError, or any error raised by the module's own code
        raise ValueError(f"cannot import module {mod!r}: {type(exc).__name__}: {exc}") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"module {mod!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if isinstance(obj, Bound) or isinstance(getattr(obj, "bound", None), Bound):
        return claim_of(obj)  # a registered record (``@register``), or a claim: searched like the theory's
    if not callable(obj):
        raise ValueError(f"{target!r} is not callable, not a Bound record")
    if _is_penalty(obj):  # a penalty (q, ops) -> number: the bound eta_new >= L - penalty
        return claim_of(as_bound(obj, ref=target))
    return obj


def _is_penalty(fn) -> bool:
    """Whether ``fn`` has the signature of a registry penalty ``(q, ops)``: exactly two required
    positional parameters (a claim ``(mdp, pi, pi_new)`` has three)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: left to check_claim
        return False
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty for p in params) == 2


def _gamma_range(text: str) -> tuple:
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two numbers 'a,b', got {text!r}") from None
    if not (0.0 <= lo < hi < 1.0):
        raise argparse.ArgumentTypeError(f"need 0 <= a < b < 1, got {text!r}")
    return lo, hi


def _bounded(kind, lo, hi):
    """An argparse ``type``: a finite ``kind`` (int or float) in ``[lo, hi]``."""
    def conv(text):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, "
                                             f"got {text!r}") from None
        if not (lo <= v <= hi):  # also refuses nan and inf
            raise argparse.ArgumentTypeError(f"must lie in [{lo:g}, {hi:g}], got {text!r}")
        return v
    return conv


#: The limits of the options: a budget of a day, instances small enough to certify exactly.
MAX_TIME, MAX_STATES, MAX_ACTIONS, MAX_DENOMINATOR = 86_400.0, 30, 10, 10**6


def check_claim(candidate, name: str) -> None:
    """Call ``candidate`` once on a tiny instance (two states, ``pi = pi_new`` uniform); a function that
    is not a claim ``(mdp, pi, pi_new) -> number`` (e.g. ``math:sqrt``) raises ``ValueError`` naming it."""
    from tabular.zoo import two_state

    m = two_state(0.5)
    p = np.full((m.n_states, m.n_actions), 1.0 / m.n_actions)
    try:
        out = rhs_of(candidate, m, p, p.copy())
    except Exception as exc:  # any error of the user's function: it is not a claim of this form
        raise ValueError(f"{name!r} is not a claim f(mdp, pi, pi_new) -> lower bound on eta(pi_new): calling it "
                         f"on a two-state MDP raised {type(exc).__name__}: {' '.join(str(exc).split())[:200]}") from None
    if np.isnan(out):
        raise ValueError(f"{name!r} returned NaN on a two-state MDP with pi = pi_new; a claim must return a number")


def segment(candidate, mdp, pi, pi_new, n: int = 101) -> dict:
    """``eta``, ``L`` and the claimed bound along ``pi_t = (1-t) pi + t pi_new``, t in [0, 1] (figure 7's view).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import two_state, uniform
    >>> from bounds.counterexamples import claim_named
    >>> from experiments.falsify import segment
    >>> m = two_state(gamma=0.9)
    >>> seg = segment(claim_named("theorem1"), m, uniform(m), np.array([[0.6, 0.4], [0.3, 0.7]]), n=5)
    >>> print(seg["t"], np.isclose(seg["L"][0], seg["eta_new"][0]))
    [0.   0.25 0.5  0.75 1.  ] True
    >>> print(bool(np.all(seg["rhs"] <= seg["eta_new"] + 1e-12)))  # a theorem: never above the truth
    True
    """
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


#: Fractions with a denominator up to this are shown as fractions; others as decimals of :data:`DIGITS`
#: significant digits (the certificate keeps every number exact).
DISPLAY_DENOMINATOR, DIGITS = 1000, 6
#: At most this many (state, action) rows of the instance are shown; report.txt and the PNG stay readable.
MAX_ROWS = 24


def _num(x) -> str:
    x = Fraction(x)
    if x.denominator == 1:
        return str(x.numerator)
    if x.denominator <= DISPLAY_DENOMINATOR:
        return f"{x.numerator}/{x.denominator}"
    return f"{float(x):.{DIGITS}g}"


def display_instance(cert, title: str) -> str:
    """The instance as a table for reading: small fractions exact, other numbers to :data:`DIGITS`
    significant digits, at most :data:`MAX_ROWS` rows (``certificate.json`` holds everything exactly)."""
    m = cert.mdp
    S, A = m.shape
    starts = [(s, p) for s, p in enumerate(m.rho0) if p]
    start = f"s{starts[0][0]}" if len(starts) == 1 else ", ".join(f"s{s}: {_num(p)}" for s, p in starts)
    rounded = any(Fraction(v).denominator > DISPLAY_DENOMINATOR for v in _numbers(cert))
    lines = [title, f"S = {S}, A = {A}, gamma = {_num(m.gamma)}, start {start}"]
    if rounded:
        lines.append(f"(fractions with denominators above {DISPLAY_DENOMINATOR} shown to {DIGITS} significant digits; "
                     "certificate.json is exact)")
    rows = []
    for s in range(S):
        for a in range(A):
            nz = [(t, p) for t, p in enumerate(m.P[s][a]) if p]
            P = f"-> s{nz[0][0]}" if len(nz) == 1 else ", ".join(f"s{t}: {_num(p)}" for t, p in nz)
            rows.append((f"s{s}", f"a{a}", P, _num(m.R[s][a]), _num(cert.pi[s][a]), _num(cert.pi_new[s][a])))
    head = ("state", "action", "P(. | s, a)", "r(s, a)", "pi(a|s)", "pi_new(a|s)")
    shown = rows[:MAX_ROWS]
    w = [max(len(r[i]) for r in shown + [head]) for i in range(len(head))]
    fmt = lambda r: "  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip()  # noqa: E731
    lines += [fmt(head), "  ".join("-" * x for x in w)] + [fmt(r) for r in shown]
    if len(rows) > MAX_ROWS:
        lines.append(f"... {len(rows) - MAX_ROWS} more (state, action) rows in certificate.json")
    return "\n".join(lines)


def _numbers(cert):
    m = cert.mdp
    yield m.gamma
    yield from m.rho0
    for s in range(m.shape[0]):
        yield from m.R[s]
        yield from cert.pi[s]
        yield from cert.pi_new[s]
        for row in m.P[s]:
            yield from row


def report_text(res: Falsification, target: str) -> str:
    """The one-page report as text: verdict, slack, the instance as a table, the certificate's check.

    Examples
    --------
    >>> from bounds.counterexamples import falsify
    >>> from experiments.falsify import report_text
    >>> res = falsify("theorem1", time_budget=0.3, rng=0)
    >>> text = report_text(res, "theorem1")
    >>> print(text.splitlines()[0])
    claim: theorem1  (theorem1)
    >>> print("closest instance found (no violation)" in text)
    True
    """
    (m, p, q), cert = _instance(res)
    head = [f"claim: {target}  ({res.claim})",
            f"result: {'VIOLATED' if res.found else 'no violation found'} after {res.seconds:.1f} s, "
            f"{res.n_rounds} search rounds, {res.search.n_evaluations} evaluations",
            *textwrap.wrap(f"effort: {res.effort_text()}", 110, subsequent_indent="        ")]
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
    head += textwrap.wrap(f"certificate check: {res.verification}", 100, subsequent_indent="    ")
    title = "counterexample" if res.found else "closest instance found (no violation)"
    return "\n".join(head) + "\n\n" + display_instance(cert, title) + "\n"


def segment_tolerance(mdp) -> float:
    """Round-off allowance of the segment plot: :func:`bounds.counterexamples.search.violation_atol`
    (``1e-12 * max(1, max|R| / (1 - gamma))``), the search's own threshold for a violation."""
    return violation_atol(mdp)


def plot_report(res: Falsification, target: str, candidate):
    """One A4 page: the report text on top, the claim along the segment from pi to pi_new below.

    Where ``rhs - eta(pi_t)`` is within :func:`segment_tolerance` the bound is drawn touching the
    truth (round-off is never drawn as a violation); only a larger excess shows red above black.
    The text is wrapped and the instance table capped (:data:`MAX_ROWS`), so the page keeps its size.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from bounds.counterexamples import claim_named, falsify
    >>> from experiments.falsify import plot_report
    >>> res = falsify("theorem1", time_budget=0.3, rng=0)
    >>> fig, seg = plot_report(res, "theorem1", claim_named("theorem1"))
    >>> print(len(fig.axes), len(seg["t"]))
    2 101
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    (m, p, q), _ = _instance(res)
    seg = segment(candidate, m, p, q)
    tol = segment_tolerance(m)
    lines = [ln for raw in report_text(res, target).splitlines()
             for ln in (textwrap.wrap(raw, 110, subsequent_indent="    ") or [""])]
    size = min(8.0, 880 / max(max(map(len, lines)), 1))  # the widest line fits 0.92 x 8.27 in
    text_h = min(len(lines) * size * 1.3 / 72 + 0.3, 6.5)  # inches; at most about half an A4 page
    height = text_h + 4.6
    fig = plt.figure(figsize=(8.27, height))
    ax_t = fig.add_axes([0.04, 1 - text_h / height, 0.92, text_h / height - 0.01])
    ax_t.axis("off")
    ax_t.text(0, 1, "\n".join(lines), family="monospace", fontsize=min(size, 72 * (text_h - 0.3) / (1.3 * len(lines))),
              va="top", clip_on=True)
    ax = fig.add_axes([0.12, 0.5 / height, 0.82, 3.5 / height])
    L, eta = seg["L"], seg["eta_new"]
    rhs = np.where(np.abs(seg["rhs"] - eta) <= tol, eta, seg["rhs"])  # within round-off: touches
    ax.plot(seg["t"], eta - L, color="k", lw=2.4, label="η(π_t) (truth)")
    ax.plot(seg["t"], rhs - L, color="tab:red", label=f"claimed bound ({res.claim})")
    bad = rhs - eta > tol
    if bad.any():
        ax.fill_between(seg["t"], eta - L, rhs - L, where=bad, color="tab:red", alpha=0.2, label="violation")
    ax.axhline(0.0, color="gray", ls=":", lw=1, label="L_π(π_t)")
    finite = np.isfinite(rhs - L)
    vals = np.concatenate([eta - L, (rhs - L)[finite]])
    lo, hi = float(vals.min()), float(vals.max())
    pad = max(0.1 * (hi - lo), tol)  # round-off below the allowance stays flat on this scale
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("t   (π_t = (1 − t)·π + t·π̃)")
    ax.set_ylabel("value − L_π(π_t)")
    ax.set_title("along the segment from π to π̃: a violation is where the red line is above the black\n"
                 f"(a gap within the round-off allowance {tol:.1g} is drawn as touching)", fontsize=9)
    ax.legend(frameon=False, loc="best")
    return fig, seg


def build_parser() -> argparse.ArgumentParser:
    from ._cli import add_version, writable_dir_arg
    from ._common import HelpFormatter, seed_arg

    parser = argparse.ArgumentParser(prog="python -m experiments falsify", description=__doc__.split("\n")[0],
                                     formatter_class=HelpFormatter)
    parser.add_argument("target", help="a named claim (e.g. mean_kl, bounds:theorem1) or MODULE:FUNCTION")
    parser.add_argument("--gamma-range", type=_gamma_range, default=(1e-3, 0.99), metavar="A,B",
                        help="discounts searched, 'a,b' with 0 <= a < b < 1")
    parser.add_argument("--states", type=_bounded(int, 2, MAX_STATES), default=3,
                        help=f"largest number of states, 2..{MAX_STATES}")
    parser.add_argument("--actions", type=_bounded(int, 2, MAX_ACTIONS), default=2,
                        help=f"largest number of actions, 2..{MAX_ACTIONS}")
    parser.add_argument("--time", type=_bounded(float, 1.0, MAX_TIME), default=60.0, metavar="SECONDS",
                        help="seconds for search + shrink, 1..86400")
    parser.add_argument("--rounds", type=_bounded(int, 1, 10_000), default=None,
                        help="search exactly this many rounds, with no clock: the same answer on every machine "
                             "(--time then bounds only the shrink); default: as many as --time allows")
    parser.add_argument("--seed", type=seed_arg, default=0, help="random seed, a non-negative integer")
    parser.add_argument("--max-denominator", type=_bounded(int, 1, MAX_DENOMINATOR), default=100,
                        help="shrinking's largest denominator")
    parser.add_argument("--out", type=writable_dir_arg, required=True,
                        help="folder for certificate.json and the report (checked before the search)")
    return add_version(parser)


def main(argv=None) -> int:
    """The command line (module docstring): search, shrink and certify, then write ``certificate.json``,
    ``report.txt`` and ``report.png``/``.pdf`` to ``--out``; returns the exit status (0 either way, 1 if the
    claim raised during the search). Bad arguments exit with status 2 and a message naming the argument.

    Examples
    --------
    >>> import contextlib, io
    >>> from experiments.falsify import main
    >>> main(["theorem1", "--time", "10", "--out", "falsify_out"])  # doctest: +SKIP
    claim: theorem1  (theorem1)
    result: no violation found after ...
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     try:
    ...         main(["no_such_claim", "--out", "falsify_out"])
    ...     except SystemExit as exc:
    ...         print(exc.code)
    2
    >>> print(err.getvalue().splitlines()[-1][:70])
    python -m experiments falsify: error: argument target: no claim named
    """
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    try:
        candidate = resolve_target(args.target)
        check_claim(candidate, args.target)
    except ValueError as exc:
        parser.error(f"argument target: {exc}")
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        parser.error(f"argument --out: cannot create {str(args.out)!r}: {exc.strerror or exc}")
    try:
        res = falsify(candidate, time_budget=args.time, n_states=args.states, n_actions=args.actions,
                      gamma_range=args.gamma_range, rng=args.seed, max_denominator=args.max_denominator,
                      rounds=args.rounds)
    except Exception as exc:  # the user's claim failed during the search: one line, no traceback
        print(f"{parser.prog}: error: the claim {args.target!r} failed during the search: {type(exc).__name__}: "
              f"{' '.join(str(exc).split())[:300]}", file=sys.stderr)
        return 1
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

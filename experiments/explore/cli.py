"""``python -m experiments explore``: a one-page report of one MDP and one exact policy step.

Usage::

    python -m experiments explore NAME_OR_FILE [--policy uniform|optimal|random]
        [--step mm|cpi|trust_region|npg|pg|pi|kl_penalty] [step parameters] [--gamma G] [--seed N]
        [--kw KEY=VALUE ...] [--grid ROWSxCOLS [--moves urdl]] --out DIR

``NAME_OR_FILE`` is a zoo name (``tabular.make``: gridworld, sutton_barto_gridworld, chain, garnet,
two_state, mdp_x), a Gymnasium id (FrozenLake-v1, FrozenLake8x8-v1, CliffWalking-v1, ...) or a saved
``.json`` / ``.npz`` MDP (``tabular.load``; a JSON file may carry a ``"layout"`` entry, see
``experiments.explore.layout.from_spec``). ``--kw`` passes keyword arguments to the zoo function or
to ``gymnasium.make`` (values are read as JSON when they parse, e.g. ``--kw is_slippery=false
--kw n=8``). Writes ``DIR/explore_<name>.png``, ``.pdf`` and three CSV files.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

import tabular as T
from tabular.zoo import ZOO

from . import layout as Lay
from .report import START_POLICIES, STEPS, explore, start_policy, write_report

#: step -> {option dest: step keyword}
STEP_OPTIONS = {
    "mm": {"C_scale": "C_scale", "C": "C", "penalty": "penalty"},
    "cpi": {"alpha": "alpha"},
    "trust_region": {"delta": "delta", "constraint": "constraint", "weights": "weights"},
    "npg": {"step_size": "step"},
    "pg": {"step_size": "step"},
    "kl_penalty": {"c": "c", "weights": "weights"},
    "pi": {},
}
DEFAULTS = {"delta": 0.01, "step_size": {"npg": 0.1, "pg": 1.0}, "c": 1.0}
_OPTION_NAMES = {"C_scale": "--C-scale", "C": "--C", "penalty": "--penalty", "alpha": "--alpha", "delta": "--delta",
                 "constraint": "--constraint", "weights": "--weights", "step_size": "--step-size", "c": "--c"}


def _nonneg(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(v) or v < 0:
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return v


def _positive(text: str) -> float:
    v = _nonneg(text)
    if v == 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return v


def _unit(text: str) -> float:
    v = _nonneg(text)
    if v > 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}")
    return v


def _gamma(text: str) -> float:
    v = _nonneg(text)
    if v >= 1:
        raise argparse.ArgumentTypeError(f"the discount must lie in [0, 1), got {text!r}")
    return v


def _kw(text: str):
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    k, v = text.split("=", 1)
    if not k.isidentifier():
        raise argparse.ArgumentTypeError(f"{k!r} is not a keyword name")
    try:
        return k, json.loads(v)
    except json.JSONDecodeError:
        return k, v


def _grid(text: str):
    m = re.fullmatch(r"\s*(\d+)\s*[x,]\s*(\d+)\s*", text)
    if not m or int(m.group(1)) < 1 or int(m.group(2)) < 1:
        raise argparse.ArgumentTypeError(f"expected ROWSxCOLS such as 4x4, got {text!r}")
    return int(m.group(1)), int(m.group(2))


def build_parser() -> argparse.ArgumentParser:
    from .._cli import add_version, writable_dir_arg
    from .._common import seed_arg

    p = argparse.ArgumentParser(prog="python -m experiments explore", description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mdp", metavar="NAME_OR_FILE", help="zoo name, Gymnasium id, or a .json/.npz MDP file")
    p.add_argument("--policy", choices=START_POLICIES, default="uniform", help="start policy (default uniform)")
    p.add_argument("--step", choices=sorted(STEPS), default="mm", help="the update (default mm = Algorithm 1)")
    g = p.add_argument_group("step parameters (each only for the steps named)")
    g.add_argument("--C-scale", dest="C_scale", type=_nonneg, help="mm: multiply C (default 1: the theory C)")
    g.add_argument("--C", dest="C", type=_nonneg, help="mm: penalty coefficient instead of the theory C")
    g.add_argument("--penalty", choices=("kl", "tv"), help="mm: max-KL (Eq. 9) or squared max-TV (Eq. 8)")
    g.add_argument("--alpha", type=_unit, help="cpi: mixture weight (default alpha* of Eq. 6)")
    g.add_argument("--delta", type=_positive, help="trust_region: KL radius (default 0.01)")
    g.add_argument("--constraint", choices=("max", "mean"), help="trust_region: Eq. (11) or Eq. (12)")
    g.add_argument("--weights", choices=("rho", "d"), help="trust_region mean / kl_penalty: state weights")
    g.add_argument("--step-size", dest="step_size", type=_nonneg, help="npg/pg: step size (0.1 / 1)")
    g.add_argument("--c", dest="c", type=_nonneg, help="kl_penalty: coefficient (default 1)")
    p.add_argument("--gamma", type=_gamma, help="discount (default: the zoo's; 0.95 for Gymnasium)")
    p.add_argument("--seed", type=seed_arg, default=0, help="seed of random MDPs and policies (default 0)")
    p.add_argument("--kw", type=_kw, action="append", default=[], metavar="KEY=VALUE",
                   help="keyword for the zoo function or gymnasium.make (repeatable)")
    p.add_argument("--grid", type=_grid, metavar="ROWSxCOLS", help="draw the MDP as a grid, states row-major")
    p.add_argument("--moves", help="with --grid: action moves as letters of 'urdl', one per action")
    p.add_argument("--out", type=writable_dir_arg, required=True, help="output folder (checked before any work)")
    p.add_argument("--claim", action="append", default=[], metavar="MODULE:FUNCTION",
                   help="also show this bound in the bounds table (a penalty (q, ops) over bounds.registry's "
                        "quantities, a bounds.registry.Bound, or a function (mdp, pi, pi_new) -> lower bound); "
                        "repeatable")
    return add_version(p)


def step_kwargs(step: str, **options) -> dict:
    """The keywords of ``STEPS[step]`` from the command line's step options (``None`` = not given).

    ``options`` are the option names of :data:`STEP_OPTIONS` (``C_scale``, ``delta``, ``step_size``,
    ...); defaults of :data:`DEFAULTS` are filled in. An option that ``step`` does not take, or
    ``weights`` with ``constraint="max"``, raises ``ValueError`` naming the option.

    Examples
    --------
    >>> from experiments.explore.cli import step_kwargs
    >>> step_kwargs("npg")
    {'step': 0.1}
    >>> step_kwargs("trust_region", delta=0.05, constraint="mean", weights="d")
    {'delta': 0.05, 'constraint': 'mean', 'weights': 'd'}
    >>> step_kwargs("cpi", delta=0.1)
    Traceback (most recent call last):
    ...
    ValueError: --delta is not a parameter of --step cpi (it is one of --step trust_region)
    """
    if step not in STEP_OPTIONS:
        raise ValueError(f"step must be one of {sorted(STEP_OPTIONS)}, got {step!r}")
    unknown = sorted(set(options) - set(_OPTION_NAMES))
    if unknown:
        raise ValueError(f"options {unknown} are not step options; they are {sorted(_OPTION_NAMES)}")
    allowed = STEP_OPTIONS[step]
    kwargs = {}
    for dest, flag in _OPTION_NAMES.items():
        v = options.get(dest)
        if v is None:
            continue
        if dest not in allowed:
            used = sorted(s for s, o in STEP_OPTIONS.items() if dest in o)
            raise ValueError(f"{flag} is not a parameter of --step {step} (it is one of --step {', '.join(used)})")
        kwargs[allowed[dest]] = v
    if step == "trust_region":
        kwargs.setdefault("delta", DEFAULTS["delta"])
        if kwargs.get("constraint", "max") == "max" and "weights" in kwargs:
            raise ValueError("--weights needs --constraint mean with --step trust_region")
    if step in ("npg", "pg"):
        kwargs.setdefault("step", DEFAULTS["step_size"][step])
    if step == "kl_penalty":
        kwargs.setdefault("c", DEFAULTS["c"])
    return kwargs


def _step_kwargs(parser, args) -> dict:
    try:
        return step_kwargs(args.step, **{dest: getattr(args, dest) for dest in _OPTION_NAMES})
    except ValueError as exc:
        parser.error(str(exc))


def parse_keywords(text: str) -> dict:
    """``"key=value, key=value"`` as a dict, each pair read like ``--kw`` (values as JSON when they parse).

    Commas inside brackets or quotes do not split (``goal=[0, 3]``). A pair without ``=`` or a key that
    is no identifier raises ``ValueError``.

    Examples
    --------
    >>> from experiments.explore.cli import parse_keywords
    >>> parse_keywords("height=3, width=5, goal=[0, 4], slip=0.1")
    {'height': 3, 'width': 5, 'goal': [0, 4], 'slip': 0.1}
    >>> parse_keywords("is_slippery=false, map_name=8x8")
    {'is_slippery': False, 'map_name': '8x8'}
    >>> parse_keywords("")
    {}
    """
    if not isinstance(text, str):
        raise TypeError(f"keywords must be a string 'key=value, ...', got {type(text).__name__}")
    parts, depth, quote, cur = [], 0, None, ""
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        cur += ch
    parts.append(cur)
    out = {}
    for part in (p.strip() for p in parts):
        if not part:
            continue
        try:
            k, v = _kw(part)
        except argparse.ArgumentTypeError as exc:
            raise ValueError(f"keywords: {exc}") from None
        out[k] = v
    return out


def resolve_mdp(src: str, kw: dict | None = None, gamma: float | None = None, seed: int = 0):
    """``(mdp, layout, name)`` of NAME_OR_FILE: a zoo name, a Gymnasium id or a ``.json``/``.npz`` file.

    ``kw`` are the ``--kw`` keywords, ``gamma`` the ``--gamma`` discount (None: the zoo's default, 0.95
    for Gymnasium), ``seed`` the ``--seed`` (garnet's ``rng``). Every failure raises ``ValueError``
    naming the argument (NAME_OR_FILE, ``--kw``), so that the command line and the notebook widget
    report the same message.

    Examples
    --------
    >>> from experiments.explore.cli import resolve_mdp
    >>> mdp, lay, name = resolve_mdp("gridworld", {"height": 3, "width": 5}, gamma=0.9)
    >>> print(name, mdp.shape, lay.shape)
    gridworld (15, 4) (3, 5)
    >>> resolve_mdp("no_such_mdp")
    Traceback (most recent call last):
    ...
    ValueError: NAME_OR_FILE: 'no_such_mdp' is neither a zoo MDP (...) nor an existing .json/.npz file
    """
    kw = dict(kw or {})
    if not isinstance(src, str) or not src.strip():
        raise ValueError(f"NAME_OR_FILE: expected a zoo name, a Gymnasium id or a file, got {src!r}")
    src = src.strip()
    path = Path(src)
    if path.suffix.lower() in (".json", ".npz") or path.exists():
        return _load_file(path, src, kw, gamma)
    if src in ZOO:
        if src == "garnet":
            kw.setdefault("rng", seed)
        if gamma is not None:
            kw["gamma"] = gamma
        try:
            mdp = T.make(src, **kw)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"--kw: {src} does not accept these keywords {kw}: {exc}") from None
        return mdp, Lay.zoo_layout(src, mdp, **kw), src
    if re.search(r"-v\d+$", src):
        g = 0.95 if gamma is None else gamma
        try:
            mdp = T.from_gymnasium(src, g, **kw)
            lay = Lay.gym_layout(src, mdp, **kw)
        except ImportError as exc:
            raise ValueError(f"NAME_OR_FILE: {src} needs gymnasium ({exc})") from None
        except Exception as exc:  # gymnasium raises its own error types for unknown ids and bad kwargs
            raise ValueError(f"NAME_OR_FILE: cannot build the Gymnasium environment {src!r}: {exc}") from None
        return mdp, lay, src
    raise ValueError(f"NAME_OR_FILE: {src!r} is neither a zoo MDP ({', '.join(sorted(ZOO))}), a Gymnasium id "
                     "(e.g. FrozenLake-v1) nor an existing .json/.npz file")


def _load_file(path: Path, src: str, kw: dict, gamma):
    if kw:
        raise ValueError("--kw applies to zoo names and Gymnasium ids, not to files")
    if not path.exists():
        raise ValueError(f"NAME_OR_FILE: no such file {src!r}")
    try:
        mdp = T.load(path)
    except (ValueError, TypeError, OSError, KeyError) as exc:
        raise ValueError(f"NAME_OR_FILE: cannot load {src!r}: {' '.join(str(exc).split())}") from None
    if gamma is not None:
        mdp = mdp.with_gamma(gamma)
    spec = None
    if path.suffix.lower() == ".json":
        spec = json.loads(path.read_text()).get("layout")  # a JSON object: tabular.load read it
    try:
        lay = Lay.from_spec(spec, mdp, title=path.stem) if spec is not None else Lay.auto_layout(mdp, path.stem)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"NAME_OR_FILE: the 'layout' entry of {src!r} is invalid: {exc}") from None
    return mdp, lay, path.stem


def load_mdp(parser, args):
    """``(mdp, layout, name)`` from NAME_OR_FILE; errors go through ``parser.error``."""
    try:
        return resolve_mdp(args.mdp, dict(args.kw), args.gamma, args.seed)
    except ValueError as exc:
        parser.error(str(exc))


def report_stem(name: str) -> str:
    """The file stem of the report of MDP ``name``: ``explore_`` and the name with unsafe characters
    replaced by ``_``.

    Examples
    --------
    >>> from experiments.explore.cli import report_stem
    >>> report_stem("FrozenLake8x8-v1"), report_stem("my mdp/1")
    ('explore_FrozenLake8x8-v1', 'explore_my_mdp_1')
    """
    return "explore_" + re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    if args.moves is not None and args.grid is None:
        parser.error("--moves needs --grid")
    kwargs = _step_kwargs(parser, args)
    mdp, lay, name = load_mdp(parser, args)
    if args.grid is not None:
        H, W = args.grid
        try:
            lay = Lay.grid_layout(H, W, mdp.n_states, moves=args.moves,
                                  action_names=None if args.moves else tuple(f"a{a}" for a in range(mdp.n_actions)),
                                  title=name)
        except ValueError as exc:
            parser.error(f"--grid/--moves: {exc}")
        if lay.n_actions != mdp.n_actions:
            parser.error(f"--moves names {lay.n_actions} actions but the MDP has {mdp.n_actions}")
    pi = start_policy(mdp, args.policy, args.seed)
    from bounds.registry import bound_named

    try:
        claims = [bound_named(c) for c in args.claim]
    except ValueError as exc:
        parser.error(f"--claim: {exc}")
    try:
        rep = explore(mdp, lay, pi, args.step, name=name, policy=args.policy, claims=claims, **kwargs)
    except (ValueError, TypeError) as exc:
        parser.error(f"--step {args.step}: {' '.join(str(exc).split())}")
    stem = report_stem(name)
    try:
        files = write_report(rep, args.out, stem)
    except (OSError, ValueError) as exc:
        parser.error(f"--out: cannot write the report into {str(args.out)!r}: {exc}")
    st = rep.terms
    print(f"{name}: eta {st.eta:.8g} -> {st.eta_new:.8g} (eta* = {rep.eta_star:.8g}), L = {st.surrogate:.8g}; "
          f"bounds hold: {rep.bounds.all_hold}")
    for f in files:
        print(f"  wrote {f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Demo: ``python -m tabular [zoo-name]`` prints the exact quantities of a zoo MDP."""

from __future__ import annotations

import argparse

import numpy as np

from . import evaluate, max_kl, max_tv, mixture, optimal, surrogate, uniform
from ._version import __version__
from .zoo import ZOO, make


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tabular", description=__doc__)
    parser.add_argument("name", nargs="?", default="sutton_barto_gridworld", choices=sorted(ZOO))
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                        help="print the version of the package and exit")
    args = parser.parse_args(argv)
    mdp = make(args.name)
    np.set_printoptions(precision=4, suppress=True, linewidth=110)
    pi = uniform(mdp)
    ev = evaluate(mdp, pi)
    opt = optimal(mdp)
    print(f"{args.name}: {mdp}")
    print(f"uniform policy: eta = {ev.eta:.6f}   (solver {ev.solver}, residual {ev.residual:.1e})")
    print(f"  V   = {ev.V}")
    print(f"  rho sums to {ev.rho.sum():.6f} = 1/(1-gamma) = {1 / (1 - mdp.gamma):.6f}")
    print(f"optimal policy (policy iteration, {opt.iterations} steps): eta* = {opt.eta:.6f}")
    print(f"  V*  = {opt.V}")
    for alpha in (0.01, 0.1, 0.5, 1.0):
        pi_new = mixture(pi, opt.pi, alpha)
        eta_new = evaluate(mdp, pi_new).eta
        L = surrogate(mdp, pi, pi_new, ev=ev)
        print(
            f"mixture alpha={alpha:<4}: eta = {eta_new: .6f}  L = {L: .6f}  |eta-L| = {abs(eta_new - L):.2e}"
            f"  max TV = {max_tv(pi, pi_new):.3f}  max KL = {max_kl(pi, pi_new):.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

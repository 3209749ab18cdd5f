"""Figure 13 -- the value-function polytope of 2-state MDPs (Dadashi, Taiga, Le Roux, Schuurmans,
Bellemare, "The Value Function Polytope in Reinforcement Learning", ICML 2019).

For an MDP with two states every policy ``pi`` has a value ``V_pi = (V(s0), V(s1))``, a point of the
plane. Dadashi et al. show that the set of all these points is a polytope, possibly non-convex,
whose vertices include the values of the deterministic policies, and (their *line theorem*) that
policies which agree everywhere except at one state ``s`` have values on one line: as ``pi(.|s)``
moves, ``V`` moves along a segment. (Reason, in our notation: changing row ``s`` of ``P_pi`` and
``r_pi`` is a rank-one change of ``I - gamma P_pi``, so ``V_pi' - V_pi`` is a multiple of
``(I - gamma P_pi)^{-1} e_s``.) Their boundary theorem puts the polytope's boundary inside the
values of policies that are deterministic at some state: the "one-state-varied families" drawn here.

Each panel shows one random 2-state MDP (2, 2 and 3 actions): values of sampled random policies
(grey), the one-state-varied families with the other state deterministic (black segments), the
deterministic policies (red), and, from one common start policy, the value paths of policy
iteration, CPI with alpha*, Algorithm 1 (theory C and C/10), max- and mean-KL trust regions, NPG and
softmax PG.

Checked claim: (i) the line theorem holds to round-off: for every state and every sampled pair of
policies differing only at that state, the values of the pair's mixtures at that state and of random
rows there lie on the line through the pair (distance to the line / max(1, max|V|) < 1e-10);
(ii) every update the theory calls monotone (policy iteration, CPI with alpha*, Algorithm 1 =
``bounds.mm_step``) improves V in both coordinates at every step (``V_{k+1} >= V_k - 1e-12 max(1,
max|V|)`` componentwise). The other updates' componentwise monotonicity is reported, not claimed.
"""

from __future__ import annotations

import itertools

import numpy as np

import tabular as T
from bounds import run

from ._common import Verdict

NAME = "fig13_value_polytope"
CLAIM = ("2-state MDPs: the line theorem of Dadashi et al. (2019) holds to round-off (collinearity residual "
         "< 1e-10), and PI, CPI (alpha*) and Algorithm 1 raise V in both states at every step")

LINE_TOL = 1e-10
MONO_TOL = 1e-12
#: label -> (update name, kwargs, claimed monotone (part of the claim), colour, marker)
UPDATES = {
    "policy iteration": ("pi", {}, True, "tab:red", "o"),
    "CPI, α*": ("cpi", {}, True, "tab:orange", "s"),
    "Alg. 1, theory C": ("mm", {}, True, "#08306b", "^"),
    "Alg. 1, C/10": ("mm", {"C_scale": 0.1}, True, "#4292c6", "v"),
    "TRPO max-KL δ=0.05": ("trust_region", {"delta": 0.05, "constraint": "max"}, False, "tab:green", "D"),
    "TRPO mean-KL δ=0.05": ("trust_region", {"delta": 0.05, "constraint": "mean", "weights": "d"}, False,
                            "#74c476", "d"),
    "NPG, step 0.2": ("npg", {"step": 0.2}, False, "tab:purple", "P"),
    "PG, step 1": ("pg", {"step": 1.0}, False, "tab:gray", "x"),
}
ACTIONS = (2, 2, 3)
GAMMA = 0.9


def two_state_mdp(n_actions: int, rng) -> T.MDP:
    """A random 2-state MDP: Dirichlet(0.5) transition rows (often nearly deterministic, which gives
    the polytope room in the plane), rewards U[-1, 1], uniform start."""
    rng = np.random.default_rng(rng)
    P = rng.dirichlet(np.full(2, 0.5), size=(2, n_actions))
    R = rng.uniform(-1.0, 1.0, size=(2, n_actions))
    return T.MDP(P, R, np.full(2, 0.5), GAMMA)


def _values(mdp, pis) -> np.ndarray:
    return np.asarray(T.evaluate_policies(mdp, np.asarray(pis)).V)


def _simplex_edges(A: int, n: int) -> np.ndarray:
    """Rows on the edges of the (A-1)-simplex, n points per edge, (E*n, A)."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    rows = [(1 - t) * np.eye(A)[i] + t * np.eye(A)[j] for i, j in itertools.combinations(range(A), 2)]
    return np.concatenate(rows)


def boundary_families(mdp, n: int = 41) -> list[np.ndarray]:
    """For each state s and each deterministic action b at the other state: V of the policies that
    take b there and any row on the simplex's edges at s (one (k, 2) array per family)."""
    A = mdp.n_actions
    rows = _simplex_edges(A, n)
    fams = []
    for s in range(2):
        for b in range(A):
            pis = np.empty((rows.shape[0], 2, A))
            pis[:, s] = rows
            pis[:, 1 - s] = np.eye(A)[b]
            fams.append(_values(mdp, pis))
    return fams


def line_theorem_residuals(mdp, n_pairs: int, rng) -> np.ndarray:
    """Distances of one-state-varied values to the line through a pair, / max(1, max|V|).

    For each state s and each of ``n_pairs`` random pairs (pi, pi') that differ only at s, evaluate
    the mixtures at s (11 weights) and 8 further random rows at s; return, per pair, the largest
    distance of their values to the line through V_pi and V_pi' (pairs whose values coincide to
    1e-8 are skipped: they define no line)."""
    rng = np.random.default_rng(rng)
    A = mdp.n_actions
    out = []
    for s in range(2):
        for _ in range(n_pairs):
            pi = rng.dirichlet(np.ones(A), size=2)
            row_b = rng.dirichlet(np.ones(A))
            t = np.linspace(0.0, 1.0, 11)[:, None]
            rows = np.concatenate([(1 - t) * pi[s] + t * row_b, rng.dirichlet(np.ones(A), size=8)])
            pis = np.repeat(pi[None], rows.shape[0], axis=0)
            pis[:, s] = rows
            V = _values(mdp, pis)
            u = V[10] - V[0]  # the pair: weight 0 is pi, weight 1 is pi with row s = row_b
            scale = max(1.0, float(np.max(np.abs(V))))
            if np.linalg.norm(u) < 1e-8 * scale:
                continue
            w = V - V[0]
            dist = np.abs(u[0] * w[:, 1] - u[1] * w[:, 0]) / np.linalg.norm(u)  # 2-D cross product
            out.append(float(dist.max()) / scale)
    return np.asarray(out)


def start_policy(mdp) -> np.ndarray:
    """The common start: 0.9 x the worst deterministic policy (lowest eta) + 0.1 x uniform."""
    A = mdp.n_actions
    dets = [T.deterministic(np.array(a), A) for a in itertools.product(range(A), repeat=2)]
    worst = min(dets, key=lambda p: T.evaluate(mdp, p).eta)
    return 0.9 * worst + 0.1 * T.uniform(mdp)


def compute(quick: bool = False, seed: int = 0) -> dict:
    n_samples, n_pairs, n_iter = (800, 15, 12) if quick else (6000, 100, 25)
    streams = np.random.SeedSequence(seed).spawn(2 * len(ACTIONS))
    cols = {k: [] for k in ("mdp", "kind", "label", "index", "V_s0", "V_s1", "value")}

    def add(m, kind, label, i, v, value=np.nan):
        for k, x in zip(cols, (m, kind, label, i, float(v[0]), float(v[1]), float(value))):
            cols[k].append(x)

    panels, worst_line, n_lines, mono_bad, mono_steps, other = [], 0.0, 0, 0, 0, {}
    for m, A in enumerate(ACTIONS):
        rng = np.random.default_rng(streams[2 * m])
        mdp = two_state_mdp(A, rng)
        conc = np.where(np.arange(n_samples) % 2 == 0, 1.0, 0.15)[:, None, None]
        g = rng.gamma(np.broadcast_to(conc, (n_samples, 2, A))) + 1e-300  # Dirichlet rows via Gamma draws
        samples = _values(mdp, g / g.sum(axis=2, keepdims=True))
        dets = list(itertools.product(range(A), repeat=2))
        V_det = _values(mdp, [T.deterministic(np.array(a), A) for a in dets])
        fams = boundary_families(mdp, 11 if quick else 41)
        res = line_theorem_residuals(mdp, n_pairs, streams[2 * m + 1])
        worst_line, n_lines = max(worst_line, float(res.max(initial=0.0))), n_lines + res.size
        pi0 = start_policy(mdp)
        paths = {}
        for label, (upd, kw, claimed, _, _) in UPDATES.items():
            hist = run(upd, mdp, pi0, n_iter, tol=-np.inf, record_bounds=False, **kw)
            V = _values(mdp, hist.policies)
            paths[label] = V
            scale = max(1.0, float(np.max(np.abs(V))))
            drops = int(np.sum(np.diff(V, axis=0) < -MONO_TOL * scale))
            if claimed:
                mono_bad += drops
                mono_steps += V.shape[0] - 1
            else:
                other[label] = other.get(label, 0) + drops
            for i, v in enumerate(V):
                add(m, "path", label, i, v)
        for i, (a, v) in enumerate(zip(dets, V_det)):
            add(m, "deterministic", "".join(map(str, a)), i, v)
        for j, F in enumerate(fams):
            add(m, "family_end", f"family {j}", 0, F[np.argmin(F[:, 0] + F[:, 1])])
            add(m, "family_end", f"family {j}", 1, F[np.argmax(F[:, 0] + F[:, 1])])
        add(m, "line_check", "max residual", res.size, [np.nan, np.nan], res.max(initial=0.0))
        panels.append(dict(A=A, samples=samples, dets=dets, V_det=V_det, fams=fams, paths=paths,
                           line_max=float(res.max(initial=0.0)), n_line=int(res.size)))
    passed = worst_line < LINE_TOL and mono_bad == 0
    others = ", ".join(f"{k}: {v}" for k, v in other.items())
    key = (f"line theorem: max residual {worst_line:.1e} over {n_lines} pairs (tol {LINE_TOL:g}); "
           f"PI/CPI/Alg. 1: {mono_bad} componentwise decreases of V in {mono_steps} steps")
    if others:
        key += f"\n(reported, not claimed: componentwise decreases {others})"
    table = {k: np.asarray(v, dtype=object if k in ("kind", "label") else None) for k, v in cols.items()}
    return dict(table=table, panels=panels, n_iter=n_iter, worst_line=worst_line, mono_bad=mono_bad,
                mono_steps=mono_steps, other=other, verdict=Verdict(passed, key))


def plot(data):
    import matplotlib.pyplot as plt

    panels = data["panels"]
    fig, grid = plt.subplots(2, len(panels), figsize=(5.4 * len(panels), 8.4), height_ratios=[5.0, 2.6])
    axes = grid[0]
    for ax, p in zip(grid[1], panels):  # the same paths as eta = mean of V (rho0 uniform) per iteration
        for label, V in p["paths"].items():
            _, _, _, color, marker = UPDATES[label]
            ax.plot(np.arange(V.shape[0]), V.mean(axis=1), color=color, lw=1.3, marker=marker, ms=3, mew=0.7,
                    alpha=0.85)
        ax.axhline(float(p["V_det"].mean(axis=1).max()), color="red", ls=":", lw=1.0)
        ax.set_xlabel("iteration")
        ax.set_ylabel("η = (V(s0) + V(s1)) / 2")
        ax.set_title("the same paths: η per iteration (dotted: η*)", fontsize=9)
    for m, (ax, p) in enumerate(zip(axes, panels)):
        ax.scatter(p["samples"][:, 0], p["samples"][:, 1], s=2, color="#bbbbbb", alpha=0.5, lw=0,
                   label="random policies", rasterized=True)
        for j, F in enumerate(p["fams"]):
            ax.plot(F[:, 0], F[:, 1], color="black", lw=0.7, alpha=0.8,
                    label="one state varied, other deterministic" if j == 0 else None)
        for label, V in p["paths"].items():
            _, _, _, color, marker = UPDATES[label]
            ax.plot(V[:, 0], V[:, 1], color=color, lw=1.3, marker=marker, ms=3, mew=0.7, label=label, alpha=0.85)
        ax.scatter(p["V_det"][:, 0], p["V_det"][:, 1], marker="*", s=110, color="red", edgecolors="darkred",
                   zorder=5, label="deterministic policies")
        for a, v in zip(p["dets"], p["V_det"]):
            ax.annotate("π=" + "".join(map(str, a)), v, textcoords="offset points", xytext=(4, 4), fontsize=7,
                        color="darkred")
        start = next(iter(p["paths"].values()))[0]
        ax.scatter([start[0]], [start[1]], s=60, facecolors="none", edgecolors="black", zorder=6, label="start")
        ax.set_xlabel("V(s0)")
        ax.set_ylabel("V(s1)")
        ax.set_title(f"MDP {m + 1}: 2 states, {p['A']} actions, γ = {GAMMA}\n"
                     f"line theorem residual ≤ {p['line_max']:.1e} ({p['n_line']} pairs)", fontsize=9.5)
    axes[-1].legend(fontsize=7.5, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle("The value-function polytope (Dadashi et al. 2019) and the paths of exact updates\n"
                 + data["verdict"].key_number, fontsize=10)
    fig.tight_layout()
    return fig

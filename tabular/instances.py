"""Random test instances ``(mdp, pi, pi_new)`` for checking bounds at scale.

An instance is drawn from a named family with a declared discount and step size, and depends only
on the ``rng`` it is given, so that instance ``i`` of a sweep can be rebuilt from ``(seed, i)``
through ``np.random.SeedSequence(seed).spawn`` (or ``SeedSequence([seed, i])``).

Families (:data:`FAMILIES`): ``garnet`` (dense, 2-12 states), ``sparse_garnet`` (CSR, branching 1-2,
up to 40 states), ``gridworld``, ``chain``, ``mdp_x`` (THEORY.md §6) and ``two_state``. Old policies
range from near-deterministic (Dirichlet concentration 0.05, or a one-hot row softened by 1e-6) to
uniform. New policies are small steps (mixtures with ``alpha`` log-uniform in [1e-4, 1], or softmax
perturbations of ``log pi``), large steps (independent random policies) and greedy steps.

Edge families (:data:`EDGE_FAMILIES`, drawn only when asked for by name; :data:`ALL_FAMILIES` lists
both kinds), where support and visitation bugs hide:

* ``unreachable``: an MDP from :func:`unreachable_mdp` and an old policy that never reaches some
  states (``rho_pi(s) = 0`` exactly there), while the new policy may reach them;
* ``deterministic``: a model of one of the base families with an exactly one-hot old policy.

The base families are drawn exactly as before the edge families existed: instance ``i`` of a sweep
over :data:`FAMILIES` is the same for the same ``(seed, i)``.

Machine independence: the only choices made from computed floats -- the target of a greedy step
(``greedy(Q_pi)``) and the optimal policy some old policies are mixed with (:func:`policy_iteration`)
-- follow the tie rule of :mod:`tabular.policies` ("Ties"), so exact ties in ``Q`` (walls, symmetric
actions) go to the lowest index whatever the LAPACK kernel, and an instance depends on ``(seed, i)``
only, on every CPU. (Before the rule, about 3 instances in 1,000 -- gridworlds with ties -- depended on
the CPU; they are now drawn with the lowest-index tied action.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import scipy.sparse as sp

from . import zoo
from .mdp import MDP
from .planning import policy_iteration
from .policies import deterministic, greedy, random_policy, softmax
from .evaluation import evaluate
from .validation import check_bool, check_gamma, check_int, check_mdp

__all__ = [
    "Instance", "FAMILIES", "EDGE_FAMILIES", "ALL_FAMILIES", "sample_instance", "sample_gamma",
    "sample_policy", "sample_step", "unreachable_mdp", "policy_avoiding",
]

#: The families a sweep draws from (unchanged: instance i depends only on (seed, i)).
FAMILIES = ("garnet", "sparse_garnet", "gridworld", "chain", "mdp_x", "two_state")
#: Edge cases, drawn only by name: states the old policy never reaches, one-hot old policies.
EDGE_FAMILIES = ("unreachable", "deterministic")
#: Every family :func:`sample_instance` knows.
ALL_FAMILIES = FAMILIES + EDGE_FAMILIES
STEPS = ("small", "medium", "large", "greedy", "any")


@dataclass(frozen=True, eq=False)
class Instance:
    """A random instance; ``meta`` records how it was drawn (family, gamma, step kind, ...).

    Examples
    --------
    >>> from tabular.instances import sample_instance
    >>> inst = sample_instance(0, family="mdp_x", gamma=0.9, step="large")
    >>> inst
    Instance(family='mdp_x', gamma=0.9, step='large', mdp=MDP(S=3, A=2, gamma=0.9, dense))
    >>> print(inst.pi.shape == inst.pi_new.shape, sorted(inst.meta)[:3])
    True ['A', 'S', 'family']
    """

    mdp: MDP
    pi: np.ndarray
    pi_new: np.ndarray
    meta: dict

    def __repr__(self) -> str:
        keys = ("family", "gamma", "step")
        info = ", ".join(f"{k}={self.meta[k]!r}" for k in keys if k in self.meta)
        return f"Instance({info}, mdp={self.mdp!r})"


def sample_gamma(rng) -> float:
    """A discount covering [0, 0.995]: the edges 0, 0.9, 0.99, 0.995 often, else uniform.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular.instances import sample_gamma
    >>> rng = np.random.default_rng(0)
    >>> gs = [sample_gamma(rng) for _ in range(1000)]
    >>> print(min(gs) >= 0.0, max(gs) <= 0.995, gs.count(0.0) > 50)  # the edge gamma = 0 is frequent
    True True True
    """
    rng = np.random.default_rng(rng)
    u = rng.random()
    if u < 0.1:
        return 0.0
    if u < 0.2:
        return float(rng.choice([0.9, 0.99, 0.995]))
    if u < 0.3:
        return float(rng.uniform(0.0, 0.05))
    return float(rng.uniform(0.0, 0.995))


def sample_policy(S: int, A: int, rng) -> np.ndarray:
    """An old policy: near-deterministic, softened one-hot, Dirichlet(1), or near-uniform.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular.instances import sample_policy
    >>> pi = sample_policy(4, 3, rng=0)
    >>> print(pi.shape, bool(np.allclose(pi.sum(axis=1), 1.0)), bool((pi >= 0).all()))
    (4, 3) True True
    """
    rng = np.random.default_rng(rng)
    u = rng.random()
    if u < 0.25:
        return random_policy(S, A, rng=rng, concentration=0.05)
    if u < 0.4:
        pi = np.full((S, A), 1e-6 / max(A - 1, 1))
        pi[np.arange(S), rng.integers(A, size=S)] = 1.0 - (1e-6 if A > 1 else 0.0)
        return pi / pi.sum(axis=1, keepdims=True)
    if u < 0.8:
        return random_policy(S, A, rng=rng, concentration=1.0)
    return random_policy(S, A, rng=rng, concentration=20.0)


def sample_step(mdp: MDP, pi: np.ndarray, rng, step: str = "any") -> tuple[np.ndarray, dict]:
    """A new policy at a ``small``, ``medium``, ``large`` or ``greedy`` distance from ``pi``.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import max_tv, two_state, uniform
    >>> from tabular.instances import sample_step
    >>> mdp, pi = two_state(), uniform(2, 2)
    >>> pi_new, meta = sample_step(mdp, pi, rng=0, step="small")
    >>> print(meta["step"], max_tv(pi, pi_new) < 0.1)
    small True
    """
    mdp = check_mdp(mdp)
    rng = np.random.default_rng(rng)
    S, A = pi.shape
    if step == "any":
        step = str(rng.choice(["small", "medium", "large", "greedy"], p=[0.35, 0.3, 0.2, 0.15]))
    if step not in STEPS:
        raise ValueError(f"step must be one of {STEPS}, got {step!r}")
    if step == "greedy":
        target = greedy(evaluate(mdp, pi).Q)  # ties: the rule of tabular.policies (machine-independent)
        alpha = float(10 ** rng.uniform(-3, 0))
        return (1 - alpha) * pi + alpha * target, dict(step=step, alpha=alpha)
    if step == "large":
        if rng.random() < 0.5:
            return sample_policy(S, A, rng), dict(step=step)
        return random_policy(S, A, rng=rng, concentration=0.3), dict(step=step)
    lo, hi = (-4, -1.5) if step == "small" else (-1.5, 0)
    if rng.random() < 0.5:  # mixture towards a random policy
        alpha = float(10 ** rng.uniform(lo, hi))
        target = random_policy(S, A, rng=rng, concentration=0.5)
        return (1 - alpha) * pi + alpha * target, dict(step=step, alpha=alpha)
    scale = float(10 ** rng.uniform(lo, hi)) * 5.0  # softmax perturbation keeps pi's support
    with np.errstate(divide="ignore"):
        logits = np.log(pi)
    logits = np.where(np.isfinite(logits), logits, -745.0)
    return softmax(logits + scale * rng.standard_normal((S, A))), dict(step=step, noise=scale)


def _family_mdp(family: str, gamma: float, rng) -> MDP:
    if family == "garnet":
        S = int(rng.integers(2, 13))
        A = int(rng.integers(2, 5))
        return zoo.garnet(S, A, int(rng.integers(1, S + 1)), rng=rng, gamma=gamma,
                          reward=str(rng.choice(["uniform", "signed"])))
    if family == "sparse_garnet":
        S = int(rng.integers(5, 41))
        return zoo.garnet(S, int(rng.integers(2, 4)), int(rng.integers(1, 3)), rng=rng, gamma=gamma,
                          sparse=True, reward="signed")
    if family == "gridworld":
        h, w = int(rng.integers(2, 5)), int(rng.integers(2, 5))
        return zoo.gridworld(h, w, slip=float(rng.uniform(0, 0.5)), gamma=gamma,
                             step_reward=float(rng.choice([0.0, -0.1])), sparse=bool(rng.random() < 0.5))
    if family == "chain":
        return zoo.chain(int(rng.integers(2, 8)), slip=float(rng.uniform(0, 0.5)), gamma=gamma)
    if family == "mdp_x":
        return zoo.mdp_x(gamma)
    if family == "two_state":
        return zoo.two_state(gamma)
    raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")


def sample_instance(rng=None, family: str | None = None, gamma: float | None = None, step: str = "any") -> Instance:
    """Draw one instance. ``family``/``gamma``/``step`` default to random choices.

    ``family=None`` draws one of :data:`FAMILIES`; the :data:`EDGE_FAMILIES` are drawn only by name.

    Examples
    --------
    An instance depends only on its ``rng``, so instance ``i`` of a sweep is rebuilt from ``(seed, i)``:

    >>> import numpy as np
    >>> from tabular.instances import sample_instance
    >>> a = sample_instance(np.random.default_rng([7, 3]))
    >>> b = sample_instance(np.random.default_rng([7, 3]))
    >>> bool(np.array_equal(a.pi_new, b.pi_new)) and a.meta == b.meta
    True
    >>> sample_instance(0, family="garnet", gamma=0.99, step="small").meta["step"]
    'small'
    """
    rng = np.random.default_rng(rng)
    if family is None:
        family = str(rng.choice(FAMILIES, p=[0.45, 0.2, 0.1, 0.1, 0.1, 0.05]))
    elif family not in ALL_FAMILIES:
        raise ValueError(f"family must be one of {ALL_FAMILIES} or None, got {family!r}")
    g = sample_gamma(rng) if gamma is None else check_gamma(gamma)
    if family in EDGE_FAMILIES:
        return _edge_instance(family, g, rng, step)
    mdp = _family_mdp(family, g, rng)
    S, A = mdp.shape
    pi = sample_policy(S, A, rng)
    if rng.random() < 0.1:  # start from an optimal policy sometimes: A <= 0 everywhere
        pi = 0.5 * pi + 0.5 * policy_iteration(mdp).pi
    pi_new, meta = sample_step(mdp, pi, rng, step)
    meta.update(family=family, gamma=g, S=S, A=A)
    return Instance(mdp, pi, pi_new, meta)


def _edge_instance(family: str, g: float, rng: np.random.Generator, step: str) -> Instance:
    """An instance of an edge family (never mixed with an optimal policy: that would restore the
    support the family is about)."""
    if family == "unreachable":
        S, A = int(rng.integers(2, 13)), int(rng.integers(2, 5))
        mdp, safe = unreachable_mdp(S, A, rng, gamma=g, closed=bool(rng.random() < 0.3),
                                    sparse=bool(rng.random() < 0.3))
        pi = policy_avoiding(safe, rng, kind=str(rng.choice(["deterministic", "dirichlet"])))
        extra = dict(n_unreachable=int(np.sum(~safe.any(axis=1))))
    else:  # deterministic: a base-family model, an exactly one-hot old policy
        base = str(rng.choice(FAMILIES, p=[0.45, 0.2, 0.1, 0.1, 0.1, 0.05]))
        mdp = _family_mdp(base, g, rng)
        S, A = mdp.shape
        pi = deterministic(rng.integers(A, size=S), A)
        extra = dict(base_family=base)
    pi_new, meta = sample_step(mdp, pi, rng, step)
    meta.update(family=family, gamma=g, S=mdp.n_states, A=mdp.n_actions, **extra)
    return Instance(mdp, pi, pi_new, meta)


# ---------------------------------------------------------------------------- unreachable states
def unreachable_mdp(n_states: int, n_actions: int, rng=None, *, gamma: float = 0.9, closed: bool = False,
                    sparse: bool = False) -> tuple[MDP, np.ndarray]:
    """A random MDP with states that a policy can be kept from ever reaching.

    The states are split at random into a reachable set ``K`` (at least one state) and an unreachable
    set ``U`` (at least one state). ``rho0`` is supported on ``K``. In each state of ``K`` a random
    non-empty set of *safe* actions moves only within ``K`` (random supports of 1-3 states,
    Dirichlet probabilities); the other actions may move anywhere, ``U`` included. With
    ``closed=True`` every action of ``K`` is safe, so ``U`` is unreachable under every policy. States
    of ``U`` move anywhere. Rewards are uniform on [-1, 1].

    Returns ``(mdp, safe)`` with ``safe[s, a]`` True for the safe actions of the states of ``K``
    and all False on the rows of ``U``: every policy that puts its mass on safe actions in ``K``
    (:func:`policy_avoiding`) reaches no state of ``U``, so ``rho_pi = 0`` there.

    Examples
    --------
    The states without a safe action are never reached by a policy that avoids the unsafe ones:

    >>> import numpy as np
    >>> from tabular import evaluate, reachable_states
    >>> from tabular.instances import policy_avoiding, unreachable_mdp
    >>> mdp, safe = unreachable_mdp(6, 3, rng=0)
    >>> pi = policy_avoiding(safe, rng=0)
    >>> U = ~safe.any(axis=1)
    >>> print(bool(U.any()), bool(np.all(evaluate(mdp, pi).rho[U] == 0)), bool(not reachable_states(mdp, pi)[U].any()))
    True True True
    """
    S = check_int(n_states, "n_states", lo=2)
    A = check_int(n_actions, "n_actions", lo=1)
    gamma = check_gamma(gamma)
    closed, sparse = check_bool(closed, "closed"), check_bool(sparse, "sparse")
    rng = np.random.default_rng(rng)
    perm = rng.permutation(S)
    n_unreach = int(rng.integers(1, S))
    U, K = np.sort(perm[:n_unreach]), np.sort(perm[n_unreach:])
    safe = np.zeros((S, A), dtype=bool)
    if closed:
        safe[K] = True
    else:
        safe[K] = rng.random((K.size, A)) < 0.5
        none = ~safe[K].any(axis=1)
        safe[K[none], rng.integers(A, size=int(none.sum()))] = True
    P = np.zeros((S, A, S))
    for s in range(S):
        for a in range(A):
            targets = K if safe[s, a] else np.arange(S)
            k = int(rng.integers(1, min(3, targets.size) + 1))
            support = rng.choice(targets, size=k, replace=False)
            P[s, a, support] = rng.dirichlet(np.ones(k))
    P /= P.sum(axis=2, keepdims=True)
    rho0 = np.zeros(S)
    if rng.random() < 0.5:
        rho0[K[rng.integers(K.size)]] = 1.0
    else:
        rho0[K] = rng.dirichlet(np.ones(K.size))
    R = rng.uniform(-1.0, 1.0, size=(S, A))
    mdp = MDP(sp.csr_array(P.reshape(S * A, S)) if sparse else P, R, rho0, gamma)
    return mdp, safe


def policy_avoiding(safe, rng=None, kind: str = "dirichlet") -> np.ndarray:
    """A random policy that uses only the ``safe`` actions in every state that has one.

    ``safe`` is a ``(S, A)`` bool array (as returned by :func:`unreachable_mdp`); in rows without a
    safe action the policy is unrestricted. ``kind="deterministic"`` gives one-hot rows (a random
    safe action), ``"dirichlet"`` Dirichlet(1) rows over the safe actions (exact zeros elsewhere).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular.instances import policy_avoiding
    >>> safe = np.array([[True, False, True], [False, False, False]])
    >>> pi = policy_avoiding(safe, rng=0, kind="deterministic")
    >>> print(pi.shape, bool(pi[0, 1] == 0.0), pi.sum(axis=1).tolist())  # no mass on the unsafe action
    (2, 3) True [1.0, 1.0]
    """
    safe = np.asarray(safe)
    if safe.dtype != bool or safe.ndim != 2 or min(safe.shape) < 1:
        raise ValueError(f"safe must be a non-empty (S, A) bool array, got dtype {safe.dtype} shape {safe.shape}")
    if kind not in ("deterministic", "dirichlet"):
        raise ValueError(f"kind must be 'deterministic' or 'dirichlet', got {kind!r}")
    rng = np.random.default_rng(rng)
    S, A = safe.shape
    allowed = np.where(safe.any(axis=1, keepdims=True), safe, True)
    if kind == "deterministic":
        keys = np.where(allowed, rng.random((S, A)), -1.0)
        return deterministic(np.argmax(keys, axis=1), A)
    pi = np.zeros((S, A))
    for s in range(S):
        idx = np.flatnonzero(allowed[s])
        pi[s, idx] = rng.dirichlet(np.ones(idx.size))
    return pi

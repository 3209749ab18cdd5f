"""Hypothesis strategies for random finite MDPs and policies (property-based tests).

These strategies generate the objects of THEORY.md §1 -- an :class:`~tabular.mdp.MDP` with
``P[s, a, t]``, ``R[s, a]``, ``rho0[s]``, ``0 <= gamma < 1``, and policies ``pi[s, a]`` -- with weight
on the edge cases where factor-of-(1-gamma) and support bugs hide: ``gamma = 0`` or tiny,
``gamma`` close to 1, deterministic transition rows and policies, transition rows with many exact
zeros, point-mass start distributions, constant or tiny rewards (ties in ``Q``), and policies with
zeros where another has mass (infinite KL). On request they also give the two edge cases where
visitation and support bugs hide: states the old policy never reaches from ``rho0`` (``rho = 0``
there; :func:`unreachable_mdp_and_policies`, or ``unreachable=True`` in :func:`mdps`,
:func:`mdp_and_policies` and :func:`policy_pairs`) and exactly one-hot old policies
(``old_kind="deterministic"`` in :func:`policy_pairs`, ``kind="deterministic"`` elsewhere).

Hypothesis is a test extra; nothing else in :mod:`tabular` imports this module. The strategies draw a
few structural choices (sizes, discount, storage, "kind" flags) from Hypothesis and one seed from which
``np.random.default_rng`` builds the arrays, which keeps generation fast and lets Hypothesis shrink
the sizes and the kinds.

Example
-------
>>> from hypothesis import given, settings
>>> from tabular import evaluate
>>> from tabular.strategies import mdp_and_policies
>>> @given(mdp_and_policies(n_policies=1))
... @settings(max_examples=20, deadline=None)
... def test_rho_sums(mp):
...     mdp, (pi,) = mp
...     assert abs(evaluate(mdp, pi).rho.sum() - 1 / (1 - mdp.gamma)) < 1e-8 / (1 - mdp.gamma)
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

try:
    from hypothesis import strategies as st
except ImportError as _exc:  # Hypothesis is a test extra, not a dependency of tabular
    raise ImportError(
        "tabular.strategies needs Hypothesis, which is part of the [test] extra: install it with "
        "pip install 'trpo-theory[test]' (or, in a clone, pip install '.[test]')"
    ) from _exc

from .instances import policy_avoiding, unreachable_mdp
from .mdp import MDP
from .policies import argmax_tol

__all__ = ["gammas", "mdps", "policies", "mdp_and_policies", "policy_pairs", "unreachable_mdp_and_policies"]

_SEEDS = st.integers(min_value=0, max_value=2**32 - 1)

#: Discounts the strategies favour: the edges 0 and tiny, and the usual 0.9, 0.99.
_EDGE_GAMMAS = (0.0, 1e-6, 0.01, 0.5, 0.9, 0.99)

#: Kinds of policy rows drawn by :func:`policies`.
_POLICY_KINDS = ("uniform", "dirichlet", "deterministic", "full_support")


# ------------------------------------------------------------------------- helpers (numpy)
def _normalize_rows(x: np.ndarray) -> np.ndarray:
    """Divide each row (last axis) by its sum, then put the rounding remainder ``1 - sum`` on the
    largest entry (near-ties: the lowest index, by the tie rule of :mod:`tabular.policies`), so every
    row sums to 1 up to one rounding of the final addition."""
    x = x / x.sum(axis=-1, keepdims=True)
    flat = x.reshape(-1, x.shape[-1])
    j = argmax_tol(flat, axis=1, atol=1e-12, rtol=0.0)
    rows = np.arange(flat.shape[0])
    flat[rows, j] += 1.0 - flat.sum(axis=1)
    return flat.reshape(x.shape)


def _dirichlet_rows(rng: np.random.Generator, n: int, k: int, concentration: float) -> np.ndarray:
    """``n`` rows drawn from ``Dirichlet(concentration * 1_k)``; a row that underflows to all zeros
    (tiny concentration) becomes a random one-hot row."""
    x = rng.dirichlet(np.full(k, float(concentration)), size=n)
    bad = ~np.all(np.isfinite(x), axis=1) | (x.sum(axis=1) <= 0)
    if np.any(bad):
        x[bad] = 0.0
        x[bad, rng.integers(k, size=int(bad.sum()))] = 1.0
    return _normalize_rows(x)


def _one_hot_rows(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    x = np.zeros((n, k))
    x[np.arange(n), rng.integers(k, size=n)] = 1.0
    return x


def _transition_rows(rng: np.random.Generator, n: int, S: int, mix: np.ndarray) -> np.ndarray:
    """``n`` probability rows over ``S`` next states. Each row is, with the probabilities ``mix``,
    a full-support Dirichlet row, a row supported on a few random states (exact zeros elsewhere),
    or a deterministic (one-hot) row."""
    kind = rng.choice(3, size=n, p=mix)
    out = np.empty((n, S))
    full = kind == 0
    if np.any(full):
        conc = rng.choice([0.1, 0.5, 1.0, 5.0])
        out[full] = _dirichlet_rows(rng, int(full.sum()), S, conc)
    for i in np.flatnonzero(kind == 1):
        k = int(rng.integers(1, S + 1))
        support = rng.choice(S, size=k, replace=False)
        row = np.zeros(S)
        row[support] = _dirichlet_rows(rng, 1, k, rng.choice([0.3, 1.0, 3.0]))[0]
        out[i] = row
    det = kind == 2
    if np.any(det):
        out[det] = _one_hot_rows(rng, int(det.sum()), S)
    return out


def _rewards(rng: np.random.Generator, S: int, A: int) -> np.ndarray:
    """Rewards in [-1, 1]: uniform, all equal, integer-valued (many ties), or uniform and scaled."""
    kind = rng.choice(4, p=[0.55, 0.1, 0.15, 0.2])
    if kind == 0:
        return rng.uniform(-1.0, 1.0, size=(S, A))
    if kind == 1:
        return np.full((S, A), float(rng.choice([0.0, 1.0, -1.0, rng.uniform(-1.0, 1.0)])))
    if kind == 2:
        return rng.integers(-1, 2, size=(S, A)).astype(np.float64)
    scale = float(rng.choice([1e-3, 1e-1, 0.5]))
    return scale * rng.uniform(-1.0, 1.0, size=(S, A))


def _start(rng: np.random.Generator, S: int) -> np.ndarray:
    """rho0: a point mass, uniform, or a Dirichlet draw (possibly with exact zeros)."""
    kind = rng.choice(3, p=[0.3, 0.2, 0.5])
    if kind == 0:
        rho0 = np.zeros(S)
        rho0[rng.integers(S)] = 1.0
        return rho0
    if kind == 1:
        return np.full(S, 1.0 / S)
    return _dirichlet_rows(rng, 1, S, rng.choice([0.1, 1.0, 10.0]))[0]


def _policy_rows(rng: np.random.Generator, S: int, A: int, kind: str, concentration: float) -> np.ndarray:
    if kind == "uniform":
        return np.full((S, A), 1.0 / A)
    if kind == "deterministic":
        return _one_hot_rows(rng, S, A)
    if kind == "dirichlet":
        return _dirichlet_rows(rng, S, A, concentration)
    if kind == "full_support":
        floor = min(1e-3, 0.5 / A)
        # every entry >= floor exactly; the rows sum to 1 up to a few roundings (no renormalization)
        return floor + (1.0 - A * floor) * _dirichlet_rows(rng, S, A, concentration)
    raise ValueError(f"kind must be one of {_POLICY_KINDS + ('any',)} or None, got {kind!r}")


def _softmax_rows(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax allowing ``-inf`` entries (a row keeps at least one finite entry)."""
    z = z - np.max(z, axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        e = np.exp(z)
    return _normalize_rows(e)


# ------------------------------------------------------------------------- strategies
def gammas(min_value: float = 0.0, max_value: float = 0.99) -> st.SearchStrategy[float]:
    """Discount factors in ``[min_value, max_value]`` with weight on the edges (0, tiny, 0.9, 0.99).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from tabular.strategies import gammas
    >>> @given(gammas(max_value=0.9))
    ... @settings(max_examples=5, deadline=None, database=None)
    ... def check(g):
    ...     assert 0.0 <= g <= 0.9
    >>> check()
    """
    edges = [g for g in _EDGE_GAMMAS if min_value <= g <= max_value]
    floats = st.floats(min_value=min_value, max_value=max_value, allow_nan=False, allow_infinity=False)
    return st.one_of(st.sampled_from(edges), floats) if edges else floats


def _gamma_strategy(gamma) -> st.SearchStrategy[float]:
    if gamma is None:
        return gammas()
    if isinstance(gamma, st.SearchStrategy):
        return gamma
    return st.just(float(gamma))


def mdps(
    min_states: int = 1,
    max_states: int = 8,
    min_actions: int = 1,
    max_actions: int = 4,
    gamma=None,
    sparse: bool | None = None,
    sparse_transitions: bool | None = None,
    unreachable: bool = False,
) -> st.SearchStrategy[MDP]:
    """Random finite MDPs.

    Parameters
    ----------
    min_states, max_states, min_actions, max_actions : int
        Bounds (inclusive) on S and A.
    gamma : None, float or strategy
        ``None``: a float in ``[0, 0.99]`` with weight on 0, 1e-6, 0.01, 0.5, 0.9, 0.99; a float: fixed;
        a strategy: used as is.
    sparse : None or bool
        Storage of ``P``: ``None`` draws dense ``(S, A, S)`` or CSR ``(S*A, S)``; ``True``/``False``
        forces it. (Only the storage: the same numbers can come in either form.)
    sparse_transitions : None or bool
        Whether the transition rows have sparse support. ``None`` draws a per-MDP mix of full-support
        Dirichlet rows, rows with a few random next states (exact zeros elsewhere) and deterministic
        rows; ``True`` uses only the last two kinds; ``False`` only full-support rows.
    unreachable : bool
        ``True``: MDPs (of at least 2 states) with states that no policy ever reaches from ``rho0``,
        built by :func:`tabular.instances.unreachable_mdp` with ``closed=True`` (then
        ``sparse_transitions`` is not used).

    Rows of ``P`` and ``rho0`` are exactly normalized (to the last rounding). Rewards lie in
    [-1, 1] (uniform; sometimes all equal, integer-valued, or scaled down to 1e-3).

    Raises
    ------
    ValueError
        At once (not at draw time) if the size bounds are empty or not positive.

    Examples
    --------
    Every drawn MDP has rows of ``P`` on the simplex and ``sum(rho) = 1 / (1 - gamma)``:

    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from tabular import evaluate, uniform
    >>> from tabular.strategies import mdps
    >>> @given(mdps(max_states=5, max_actions=3))
    ... @settings(max_examples=5, deadline=None, database=None)
    ... def check(mdp):
    ...     assert np.allclose(mdp.dense_P().sum(axis=-1), 1.0)
    ...     rho = evaluate(mdp, uniform(mdp)).rho
    ...     assert abs(rho.sum() * (1 - mdp.gamma) - 1.0) < 1e-8
    >>> check()
    """
    if not (1 <= min_states <= max_states and 1 <= min_actions <= max_actions):
        raise ValueError(
            f"need 1 <= min_states <= max_states and 1 <= min_actions <= max_actions, got "
            f"states [{min_states}, {max_states}], actions [{min_actions}, {max_actions}]"
        )
    if unreachable:
        if max_states < 2:
            raise ValueError(f"unreachable=True needs max_states >= 2, got {max_states}")
        return _unreachable(max(2, min_states), max_states, min_actions, max_actions, _gamma_strategy(gamma),
                            sparse, True).map(lambda ms: ms[0])
    return _mdps(min_states, max_states, min_actions, max_actions, _gamma_strategy(gamma), sparse,
                 sparse_transitions)


@st.composite
def _unreachable(draw, min_states, max_states, min_actions, max_actions, gamma, sparse, closed):
    """``(mdp, safe)`` from :func:`tabular.instances.unreachable_mdp`; ``closed=None`` draws it."""
    S = draw(st.integers(min_states, max_states))
    A = draw(st.integers(min_actions, max_actions))
    g = draw(gamma)
    is_sparse = draw(st.booleans()) if sparse is None else bool(sparse)
    is_closed = draw(st.booleans()) if closed is None else bool(closed)
    rng = np.random.default_rng(draw(_SEEDS))
    return unreachable_mdp(S, A, rng, gamma=g, closed=is_closed, sparse=is_sparse)


@st.composite
def _mdps(draw, min_states, max_states, min_actions, max_actions, gamma, sparse, sparse_transitions) -> MDP:
    S = draw(st.integers(min_states, max_states))
    A = draw(st.integers(min_actions, max_actions))
    g = draw(gamma)
    is_sparse = draw(st.booleans()) if sparse is None else bool(sparse)
    if sparse_transitions is None:
        mix = draw(st.sampled_from([(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (0.4, 0.3, 0.3)]))
    elif sparse_transitions:
        mix = draw(st.sampled_from([(0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (0.0, 0.5, 0.5)]))
    else:
        mix = (1.0, 0.0, 0.0)
    rng = np.random.default_rng(draw(_SEEDS))
    P = _transition_rows(rng, S * A, S, np.asarray(mix, dtype=np.float64))
    R = _rewards(rng, S, A)
    rho0 = _start(rng, S)
    if is_sparse:
        return MDP(sp.csr_array(P), R, rho0, g)
    return MDP(P.reshape(S, A, S), R, rho0, g)


def policies(n_states: int, n_actions: int, kind: str | None = None) -> st.SearchStrategy[np.ndarray]:
    """Random ``(n_states, n_actions)`` policies.

    ``kind=None`` or ``"any"`` mixes: uniform, Dirichlet rows with concentration in [0.05, 10]
    (near-deterministic at the low end, rows may hold exact zeros), deterministic one-hot rows, and
    full-support rows. ``kind="full_support"`` forces every probability to be at least
    ``min(1e-3, 0.5/n_actions)`` (strictly positive rows); ``"uniform"``, ``"dirichlet"`` and
    ``"deterministic"`` force that kind.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from tabular.strategies import policies
    >>> @given(policies(3, 2, kind="full_support"))
    ... @settings(max_examples=5, deadline=None, database=None)
    ... def check(pi):
    ...     assert pi.shape == (3, 2) and (pi > 0).all() and np.allclose(pi.sum(axis=1), 1.0)
    >>> check()
    """
    S, A = int(n_states), int(n_actions)
    if S < 1 or A < 1:
        raise ValueError(f"n_states and n_actions must be positive, got {n_states}, {n_actions}")
    if kind is not None and kind != "any" and kind not in _POLICY_KINDS:
        raise ValueError(f"kind must be one of {_POLICY_KINDS + ('any',)} or None, got {kind!r}")
    return _policies(S, A, None if kind == "any" else kind)


@st.composite
def _policies(draw, S: int, A: int, kind: str | None) -> np.ndarray:
    if kind is None:
        kind = draw(st.sampled_from(_POLICY_KINDS))
    concentration = draw(
        st.one_of(
            st.sampled_from([0.05, 0.1, 1.0, 10.0]),
            st.floats(min_value=0.05, max_value=10.0, allow_nan=False),
        )
    )
    rng = np.random.default_rng(draw(_SEEDS))
    return _policy_rows(rng, S, A, kind, concentration)


def mdp_and_policies(n_policies: int = 2, full_support: bool = False, kind: str | None = None,
                     unreachable: bool = False, **mdp_kwargs) -> st.SearchStrategy:
    """``(mdp, [pi_1, ..., pi_n])``: an MDP from :func:`mdps` (``mdp_kwargs`` passed on) and
    ``n_policies`` independent policies from :func:`policies` (full-support if asked, or of the
    given ``kind``, e.g. ``"deterministic"`` for one-hot policies).

    ``unreachable=True`` gives :func:`unreachable_mdp_and_policies` instead: every policy leaves
    some states unreachable (``kind`` None, ``"deterministic"`` or ``"dirichlet"``).

    Examples
    --------
    The surrogate of Eq. (3) of [TRPO] equals ``eta`` at the old policy, ``L_pi(pi) = eta(pi)``:

    >>> from hypothesis import given, settings
    >>> from tabular import evaluate, surrogate
    >>> from tabular.strategies import mdp_and_policies
    >>> @given(mdp_and_policies(n_policies=1, max_states=4))
    ... @settings(max_examples=5, deadline=None, database=None)
    ... def check(mp):
    ...     mdp, (pi,) = mp
    ...     ev = evaluate(mdp, pi)
    ...     assert abs(surrogate(mdp, pi, pi, ev=ev) - ev.eta) <= 1e-9 * (1 + abs(ev.eta))
    >>> check()
    """
    n = int(n_policies)
    if n < 0:
        raise ValueError(f"n_policies must be non-negative, got {n_policies}")
    if unreachable:
        return unreachable_mdp_and_policies(n, full_support=full_support, kind=kind, **mdp_kwargs)
    kind = _check_kind(kind, full_support)
    return _mdp_and_policies(mdps(**mdp_kwargs), n, kind)


def _check_kind(kind, full_support: bool):
    if kind is not None and kind != "any" and kind not in _POLICY_KINDS:
        raise ValueError(f"kind must be one of {_POLICY_KINDS + ('any',)} or None, got {kind!r}")
    if full_support:
        if kind not in (None, "any", "full_support"):
            raise ValueError(f"full_support=True contradicts kind={kind!r}")
        return "full_support"
    return None if kind == "any" else kind


def unreachable_mdp_and_policies(n_policies: int = 1, full_support: bool = False, kind: str | None = None,
                                 min_states: int = 2, max_states: int = 8, min_actions: int = 1,
                                 max_actions: int = 4, gamma=None, sparse: bool | None = None) -> st.SearchStrategy:
    """``(mdp, [pi_1, ..., pi_n])`` where every policy leaves at least one state unreachable from
    ``rho0`` (so ``rho_pi = 0`` there).

    The MDP comes from :func:`tabular.instances.unreachable_mdp`: either some actions lead into the
    unreachable set and the policies avoid them (:func:`tabular.instances.policy_avoiding`), or (drawn,
    and always with ``full_support=True``) no action does. ``kind``: ``"deterministic"`` (one-hot
    rows), ``"dirichlet"``, ``"full_support"`` (the same as ``full_support=True``), or None (either of
    the first two, per policy).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from tabular import evaluate, reachable_states
    >>> from tabular.strategies import unreachable_mdp_and_policies
    >>> @given(unreachable_mdp_and_policies(max_states=5))
    ... @settings(max_examples=5, deadline=None, database=None)
    ... def check(mp):
    ...     mdp, (pi,) = mp
    ...     unreached = ~reachable_states(mdp, pi)
    ...     assert unreached.any() and (evaluate(mdp, pi).rho[unreached] == 0).all()
    >>> check()
    """
    n = int(n_policies)
    if n < 0:
        raise ValueError(f"n_policies must be non-negative, got {n_policies}")
    if not (2 <= max_states and min_states <= max_states and 1 <= min_actions <= max_actions):
        raise ValueError(
            f"need min_states <= max_states with max_states >= 2 and 1 <= min_actions <= max_actions, got "
            f"states [{min_states}, {max_states}], actions [{min_actions}, {max_actions}]"
        )
    if kind not in (None, "deterministic", "dirichlet", "full_support"):
        raise ValueError(f"kind must be 'deterministic', 'dirichlet', 'full_support' or None, got {kind!r}")
    if full_support and kind not in (None, "full_support"):
        raise ValueError(f"full_support=True contradicts kind={kind!r}")
    full_support = full_support or kind == "full_support"  # then no action may lead to the unreached states
    return _unreachable_and_policies(
        _unreachable(max(2, min_states), max_states, min_actions, max_actions, _gamma_strategy(gamma), sparse,
                     True if full_support else None),
        n, "full_support" if full_support else kind)


@st.composite
def _unreachable_and_policies(draw, pair_strategy, n: int, kind):
    mdp, safe = draw(pair_strategy)
    S, A = mdp.shape
    pis = []
    for _ in range(n):
        rng = np.random.default_rng(draw(_SEEDS))
        if kind == "full_support":  # a closed model: any policy avoids the unreachable states
            pis.append(_policy_rows(rng, S, A, "full_support", draw(st.sampled_from([0.1, 1.0, 10.0]))))
        else:
            k = kind if kind is not None else draw(st.sampled_from(["deterministic", "dirichlet"]))
            pis.append(policy_avoiding(safe, rng, kind=k))
    return mdp, pis


@st.composite
def _mdp_and_policies(draw, mdp_strategy, n: int, kind: str | None):
    mdp = draw(mdp_strategy)
    return mdp, [draw(_policies(mdp.n_states, mdp.n_actions, kind)) for _ in range(n)]


def policy_pairs(full_support: bool = False, old_kind: str | None = None, unreachable: bool = False,
                 **mdp_kwargs) -> st.SearchStrategy:
    """``(mdp, pi, pi_new)`` with ``pi_new`` near ``pi`` or far from it.

    Near: the conservative mixture ``(1 - alpha) pi + alpha pi'`` of Eq. (5) of [TRPO] with
    ``alpha`` in [0, 0.1] (``alpha = 0`` included) and ``pi'`` random or deterministic, or
    ``softmax(log pi + noise)`` with noise of scale 1e-4..0.3 (zeros of ``pi`` stay zeros). Far: an
    independent random policy. With ``full_support=True`` both policies are strictly positive.

    ``old_kind`` forces the kind of ``pi`` (``"deterministic"``: exactly one-hot rows; or
    ``"uniform"``, ``"dirichlet"``, ``"full_support"``). ``unreachable=True``: ``pi`` leaves some
    states unreachable from ``rho0`` (:func:`unreachable_mdp_and_policies`; ``old_kind`` then
    ``"deterministic"``, ``"dirichlet"`` or None), while ``pi_new`` may reach them.
    ``mdp_kwargs`` are passed to :func:`mdps` (sizes, ``gamma`` and ``sparse`` only when
    ``unreachable``).

    Examples
    --------
    Pinsker's inequality ``D_TV <= sqrt(KL / 2)`` in every state of every drawn pair:

    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from tabular import kl, tv
    >>> from tabular.strategies import policy_pairs
    >>> @given(policy_pairs(max_states=4))
    ... @settings(max_examples=5, deadline=None, database=None)
    ... def check(triple):
    ...     mdp, pi, pi_new = triple
    ...     assert np.all(tv(pi, pi_new) <= np.sqrt(kl(pi, pi_new) / 2) + 1e-12)
    >>> check()
    """
    new_kind = "full_support" if full_support else None
    if unreachable:
        pairs = unreachable_mdp_and_policies(1, full_support=full_support, kind=old_kind, **mdp_kwargs)
        return _policy_pairs(pairs, new_kind)
    old = _check_kind(old_kind, full_support)
    return _policy_pairs(_mdp_and_policies(mdps(**mdp_kwargs), 1, old), new_kind)


@st.composite
def _policy_pairs(draw, mdp_and_pi_strategy, kind: str | None):
    mdp, (pi,) = draw(mdp_and_pi_strategy)
    S, A = mdp.shape
    how = draw(st.sampled_from(["mixture", "perturb", "far"]))
    if how == "far":
        return mdp, pi, draw(_policies(S, A, kind))
    if how == "mixture":
        alpha = draw(st.one_of(st.sampled_from([0.0, 1e-6, 1e-3, 0.1]), st.floats(0.0, 0.1)))
        pi_prime = draw(_policies(S, A, kind))
        return mdp, pi, (1.0 - alpha) * pi + alpha * pi_prime  # Eq. (5)
    scale = draw(st.sampled_from([1e-4, 1e-2, 0.3]))
    rng = np.random.default_rng(draw(_SEEDS))
    with np.errstate(divide="ignore"):
        logits = np.log(pi)
    pi_new = _softmax_rows(logits + scale * rng.standard_normal((S, A)))
    return mdp, pi, pi_new

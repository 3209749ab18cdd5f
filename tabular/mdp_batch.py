"""Exact evaluation of many small MDPs at once: the stacked form of :func:`tabular.evaluate`.

A sweep checks millions of small instances (``S <= ~40``); solving them one by one spends nearly
all of its time in Python, not in the flops. Here ``K`` MDPs with the same number of actions ``A``
(any numbers of states ``S_k``) are held as one :class:`MDPBatch`:

* every per-state quantity is a **row** of one array: the ``S_k`` states of instance ``k`` are the
  rows ``start[k]:start[k+1]`` (instance-major), so a policy of the whole batch is an ``(N, A)``
  array with ``N = sum_k S_k``, a value function an ``(N,)`` array;
* per-instance reductions (``max_s``, ``sum_s``) are segment reductions over those rows
  (:class:`Segments`);
* the linear algebra is stacked over **groups** of adjacent instances with the same ``S``: one
  batched LAPACK ``gesv`` (``np.linalg.solve`` on a ``(k, S, S)`` stack) solves the Bellman systems
  of a whole group, and one more the visitation systems. (Order the MDPs by ``S`` to get few groups;
  any order is correct.)

The quantities are those of :func:`tabular.evaluate` (THEORY.md §1): ``V = (I - gamma P_pi)^{-1} r_pi``,
``Q = R + gamma P V``, ``A = Q - V``, ``eta = rho0 . V``, ``rho = (I - gamma P_pi^T)^{-1} rho0`` (the
unnormalized visitation) and ``d = (1 - gamma) rho``, equal to a loop of :func:`tabular.evaluate` to
round-off. As there, ``rho`` is exactly 0 at the states a policy never reaches (decided combinatorially,
by reachability along the positive entries of ``P_pi``) and other negative round-off is clipped to 0.

Sparse models are densified (:meth:`tabular.MDP.dense_P`): this module is for small models, where a
dense ``(S, A, S)`` block costs nothing; large sparse models belong to :func:`tabular.evaluate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .evaluation import ROUND_OFF_REL
from .validation import as_float_array, as_policy, check_mdp, describe, readonly

__all__ = ["Segments", "MDPBatch", "MDPBatchEvaluation", "BatchEvaluation", "evaluate_batch", "MAX_BATCH_STATES",
           "check_batch", "check_batch_evaluation"]

#: Largest number of states :meth:`MDPBatch.from_mdps` accepts (the stacked LU is dense: S^3 flops).
MAX_BATCH_STATES = 200


class Segments:
    """Rows grouped into ``K`` consecutive, non-empty segments (the states of each instance).

    ``start`` has ``K + 1`` entries: segment ``k`` is rows ``start[k]:start[k+1]``; ``seg[n]`` is the
    segment of row ``n``. The reductions take an ``(N, ...)`` array and return ``(K, ...)``.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular.mdp_batch import Segments
    >>> seg = Segments([2, 3])  # rows 0-1 are instance 0, rows 2-4 instance 1
    >>> x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    >>> print(seg.start.tolist(), seg.sum(x).tolist(), seg.max(x).tolist())
    [0, 2, 5] [3.0, 12.0] [2.0, 5.0]
    >>> seg.weighted_sum(np.array([np.inf, 1.0, 1.0, 1.0, 1.0]), np.array([0.0, 1.0, 1.0, 1.0, 1.0])).tolist()
    [1.0, 3.0]
    """

    def __init__(self, lengths):
        raw = np.asarray(lengths)
        if raw.dtype.kind not in "iu":
            raise TypeError(f"segment lengths must be positive integers, got dtype {raw.dtype}")
        lengths = raw.astype(np.intp)
        if lengths.ndim != 1 or np.any(lengths < 1):
            raise ValueError(f"segment lengths must be positive integers, got {lengths!r}")
        self.lengths = lengths
        self.K = int(lengths.size)
        self.start = np.concatenate([[0], np.cumsum(lengths)]).astype(np.intp)
        self.N = int(self.start[-1])
        self.seg = np.repeat(np.arange(self.K), lengths)
        self._heads = self.start[:-1]

    def sum(self, x: np.ndarray) -> np.ndarray:
        return np.add.reduceat(x, self._heads, axis=0)

    def max(self, x: np.ndarray) -> np.ndarray:
        return np.maximum.reduceat(x, self._heads, axis=0)

    def min(self, x: np.ndarray) -> np.ndarray:
        return np.minimum.reduceat(x, self._heads, axis=0)

    def any(self, x: np.ndarray) -> np.ndarray:
        return np.logical_or.reduceat(x, self._heads, axis=0)

    def all(self, x: np.ndarray) -> np.ndarray:
        return np.logical_and.reduceat(x, self._heads, axis=0)

    def weighted_sum(self, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """``sum_s w(s) values(s)`` per segment with ``0 * inf = 0`` (an unvisited state contributes
        nothing, as in :func:`tabular.divergences.weighted_mean`)."""
        with np.errstate(invalid="ignore"):
            return self.sum(np.where(weights > 0, weights * values, 0.0))

    def rows_of(self, mask: np.ndarray) -> np.ndarray:
        """Bool ``(N,)``: the rows of the segments where ``mask`` (``(K,)`` bool) is True."""
        return np.asarray(mask, dtype=bool)[self.seg]

    def subset(self, mask: np.ndarray) -> tuple["Segments", np.ndarray]:
        """The segments where ``mask`` is True, as ``(Segments, row_mask)``."""
        mask = np.asarray(mask, dtype=bool)
        return Segments(self.lengths[mask]), self.rows_of(mask)


@dataclass(frozen=True, eq=False)
class _Group:
    """Adjacent instances ``k0:k1`` with the same ``S``: rows ``r0:r1``, transitions ``P`` of shape
    ``(k, S, A, S)``, discounts ``gamma`` ``(k,)``."""

    S: int
    k0: int
    k1: int
    r0: int
    r1: int
    P: np.ndarray
    gamma: np.ndarray


@dataclass(frozen=True, eq=False)
class MDPBatch:
    """``K`` MDPs with ``A`` actions each, rows concatenated (see the module docstring).

    Attributes
    ----------
    n_actions : int, ``A``.
    segments : :class:`Segments` of the states (``segments.lengths[k] = S_k``).
    R : (N, A) rewards. rho0 : (N,) start distributions. gamma : (K,) discounts.
    gamma_rows : (N,) the discount of each row's instance.
    groups : tuple of the stacked groups of equal ``S``.

    Examples
    --------
    >>> from tabular import chain, mdp_x, two_state
    >>> from tabular.mdp_batch import MDPBatch
    >>> batch = MDPBatch.from_mdps([two_state(), mdp_x(), chain(3)])
    >>> batch
    MDPBatch(K=3, A=2, S in [2, 3], 2 group(s))
    >>> print(batch.N, batch.segments.lengths.tolist(), batch.gamma.tolist())
    8 [2, 3, 3] [0.95, 0.9, 0.99]
    """

    n_actions: int
    segments: Segments
    R: np.ndarray
    rho0: np.ndarray
    gamma: np.ndarray
    gamma_rows: np.ndarray
    groups: tuple

    @property
    def K(self) -> int:
        return self.segments.K

    @property
    def N(self) -> int:
        return self.segments.N

    def __len__(self) -> int:
        return self.K

    def __repr__(self) -> str:
        S = self.segments.lengths
        return (f"MDPBatch(K={self.K}, A={self.n_actions}, S in [{S.min()}, {S.max()}], "
                f"{len(self.groups)} group(s))")

    @classmethod
    def from_mdps(cls, mdps) -> "MDPBatch":
        """Stack ``mdps`` (a non-empty sequence of :class:`tabular.MDP` with one number of actions and
        at most :data:`MAX_BATCH_STATES` states each; sparse ones are densified)."""
        from .mdp import MDP  # noqa: PLC0415

        if isinstance(mdps, MDP) or isinstance(mdps, (str, bytes)):
            raise TypeError(f"mdps must be a sequence of tabular.MDP, got {describe(mdps)}; wrap one MDP in a list")
        try:
            mdps = list(mdps)
        except TypeError:
            raise TypeError(f"mdps must be a sequence of tabular.MDP, got {describe(mdps)}") from None
        mdps = [check_mdp(m, f"mdps[{k}]") for k, m in enumerate(mdps)]
        if not mdps:
            raise ValueError("mdps is empty; expected at least one MDP")
        A = mdps[0].n_actions
        bad = [k for k, m in enumerate(mdps) if m.n_actions != A]
        if bad:
            raise ValueError(f"mdps must all have {A} actions; mdps[{bad[0]}] has {mdps[bad[0]].n_actions}")
        big = [k for k, m in enumerate(mdps) if m.n_states > MAX_BATCH_STATES]
        if big:
            raise ValueError(f"mdps[{big[0]}] has {mdps[big[0]].n_states} states; a batch holds at most "
                             f"{MAX_BATCH_STATES} (use tabular.evaluate for large models)")
        lengths = np.array([m.n_states for m in mdps])
        segs = Segments(lengths)
        gamma = np.array([m.gamma for m in mdps], dtype=np.float64)
        groups = []
        k0 = 0
        for k in range(1, len(mdps) + 1):
            if k == len(mdps) or lengths[k] != lengths[k0]:
                S = int(lengths[k0])
                P = np.stack([m.dense_P() for m in mdps[k0:k]])
                groups.append(_Group(S, k0, k, int(segs.start[k0]), int(segs.start[k]), readonly(P),
                                     readonly(gamma[k0:k].copy())))
                k0 = k
        R = np.concatenate([m.R for m in mdps])
        rho0 = np.concatenate([m.rho0 for m in mdps])
        return cls(A, segs, readonly(R), readonly(rho0), readonly(gamma), readonly(gamma[segs.seg]),
                   tuple(groups))

    def apply_P(self, x: np.ndarray) -> np.ndarray:
        """``(P x)(s, a) = sum_t P(t | s, a) x(t)`` for a per-state vector ``x`` ((N,) rows), instance by
        instance: an (N, A) array."""
        out = np.empty((self.N, self.n_actions))
        for g in self.groups:
            k = g.k1 - g.k0
            out[g.r0:g.r1] = np.einsum("ksat,kt->ksa", g.P, x[g.r0:g.r1].reshape(k, g.S)).reshape(k * g.S, -1)
        return out

    def policy_rows(self, pis) -> np.ndarray:
        """A sequence of ``K`` policies ``(S_k, A)`` as validated ``(N, A)`` rows."""
        if isinstance(pis, np.ndarray) and pis.ndim == 2:
            raise ValueError(f"pis must be a sequence of {self.K} per-instance policies; for (N, A) rows "
                             "use check_rows")
        try:
            pis = list(pis)
        except TypeError:
            raise TypeError(f"pis must be a sequence of {self.K} policies (S_k, A), got {describe(pis)}") from None
        if len(pis) != self.K:
            raise ValueError(f"pis must hold one policy per instance ({self.K}), got {len(pis)}")
        rows = []
        for k, p in enumerate(pis):
            S = int(self.segments.lengths[k])
            rows.append(as_policy(p, S, self.n_actions, name=f"pis[{k}]"))
        return self.check_rows(np.concatenate(rows))

    def check_rows(self, pi, name: str = "pi") -> np.ndarray:
        """Validate an ``(N, A)`` policy of the batch (:func:`tabular.validation.as_policy`)."""
        return as_policy(pi, self.N, self.n_actions, name=name)

    def split(self, x: np.ndarray) -> list:
        """Rows ``x`` as a list of the ``K`` per-instance arrays (views)."""
        return np.split(x, self.segments.start[1:-1])


@dataclass(frozen=True, eq=False)
class MDPBatchEvaluation:
    """:func:`tabular.evaluate` of one policy per instance of an :class:`MDPBatch` (rows as there): K MDPs,
    one policy each (named ``BatchEvaluation`` before 0.2.0; one MDP and K policies is
    :class:`tabular.evaluation.PolicyEvaluations`).

    pi, Q, A : (N, A). V, rho, d : (N,). eta : (K,). W : (N, m) or None, the solutions
    ``(I - gamma P_pi)^{-1} b`` of the extra right-hand sides ``b`` given to :func:`evaluate_batch`.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import mdp_x, two_state, uniform
    >>> from tabular.mdp_batch import MDPBatch, evaluate_batch
    >>> batch = MDPBatch.from_mdps([two_state(), mdp_x()])
    >>> ev = evaluate_batch(batch, uniform(batch.N, 2))
    >>> print(ev.V.shape, ev.eta.shape, [np.round(v, 4).tolist() for v in batch.split(ev.V)])
    (5,) (2,) [[-8.8525, -20.0], [0.0, 0.0, 0.0]]
    """

    pi: np.ndarray
    V: np.ndarray
    Q: np.ndarray
    A: np.ndarray
    eta: np.ndarray
    rho: np.ndarray
    d: np.ndarray
    W: np.ndarray | None = None


def _reachable(P_pi: np.ndarray, rho0: np.ndarray) -> np.ndarray:
    """``(k, S)`` bool: states reached with positive probability from ``rho0`` along the positive
    entries of each ``P_pi`` (``(k, S, S)``), by boolean frontier expansion (at most ``S - 1`` steps)."""
    adj = (P_pi > 0).astype(np.float64)
    reach = rho0 > 0
    for _ in range(P_pi.shape[1] - 1):
        nxt = reach | (np.matmul(reach[:, None, :].astype(np.float64), adj)[:, 0, :] > 0)
        if np.array_equal(nxt, reach):
            break
        reach = nxt
    return reach


def _clean_visitation(rho: np.ndarray, rho0: np.ndarray, P_pi: np.ndarray) -> None:
    """In place on a group's ``(k, S)`` visitation: 0 at unreachable states where the solve left
    round-off (entries at most ``ROUND_OFF_REL sum(rho)``), then negative round-off clipped to 0 --
    the rule of :func:`tabular.evaluate` (THEORY.md §1)."""
    tiny = ROUND_OFF_REL * np.abs(rho).sum(axis=1, keepdims=True)
    small = rho <= tiny
    sub = np.flatnonzero(small.any(axis=1))
    if sub.size:
        reach = _reachable(P_pi[sub], rho0[sub])
        rho[sub] = np.where(small[sub] & ~reach, 0.0, rho[sub])
    np.maximum(rho, 0.0, out=rho)


def check_batch(batch, name: str = "batch") -> MDPBatch:
    """Raise ``TypeError`` naming ``name`` unless ``batch`` is an :class:`MDPBatch`; return it.

    Examples
    --------
    >>> from tabular import two_state
    >>> from tabular.mdp_batch import MDPBatch, check_batch
    >>> batch = MDPBatch.from_mdps([two_state()])
    >>> check_batch(batch) is batch
    True
    >>> try:
    ...     check_batch(two_state())
    ... except TypeError:
    ...     print("an MDP is not a batch")
    an MDP is not a batch
    """
    if not isinstance(batch, MDPBatch):
        hint = "; build one with MDPBatch.from_mdps([mdp, ...])" if isinstance(batch, (list, tuple)) else ""
        raise TypeError(f"{name} must be a tabular.mdp_batch.MDPBatch, got {describe(batch)}{hint}")
    return batch


#: Relative tolerance of :func:`check_batch_evaluation` (that of :func:`tabular.evaluation.check_evaluation_of`).
BELONGS_RTOL = 1e-7


def check_batch_evaluation(batch: MDPBatch, ev, name: str = "ev") -> MDPBatchEvaluation:
    """Raise naming ``name`` unless ``ev`` is :func:`evaluate_batch` of some policy rows in ``batch``.

    ``TypeError`` if ``ev`` is not a :class:`MDPBatchEvaluation`; ``ValueError`` if its shapes are not
    those of the batch or if it does not satisfy the batch's equations (THEORY.md §1), to
    ``BELONGS_RTOL`` relative per instance: ``Q = R + gamma P V``, ``eta = rho0 . V`` and
    ``rho = rho0 + gamma P_pi^T rho`` -- an evaluation of another batch (or a stale one) is refused.
    The policy itself is ``ev.pi``: a caller that also receives a policy compares it with ``ev.pi``.

    Examples
    --------
    An evaluation of another batch of the same shapes is refused:

    >>> from tabular import two_state, uniform
    >>> from tabular.mdp_batch import MDPBatch, check_batch_evaluation, evaluate_batch
    >>> batch = MDPBatch.from_mdps([two_state()])
    >>> other = MDPBatch.from_mdps([two_state().with_rewards([[1.0, 0.0], [0.0, 0.0]])])
    >>> ev = evaluate_batch(batch, uniform(2, 2))
    >>> check_batch_evaluation(batch, ev) is ev
    True
    >>> try:
    ...     check_batch_evaluation(other, ev)
    ... except ValueError:
    ...     print("refused")
    refused
    """
    batch = check_batch(batch)
    if not isinstance(ev, MDPBatchEvaluation):
        raise TypeError(f"{name} must be a tabular.mdp_batch.MDPBatchEvaluation (evaluate_batch(batch, pi)), "
                        f"got {describe(ev)}")
    N, A, K = batch.N, batch.n_actions, batch.K
    want = {"pi": (N, A), "Q": (N, A), "A": (N, A), "V": (N,), "rho": (N,), "d": (N,), "eta": (K,)}
    for f, shape in want.items():
        if np.shape(getattr(ev, f)) != shape:
            raise ValueError(f"{name}.{f} has shape {np.shape(getattr(ev, f))}, but the batch needs {shape} "
                             f"(K={K} instances, N={N} states, A={A} actions); {name} evaluates another batch")
    seg = batch.segments
    V, rho, pi = np.asarray(ev.V), np.asarray(ev.rho), np.asarray(ev.pi)
    flow = np.empty(N)
    for g in batch.groups:
        k = g.k1 - g.k0
        flow[g.r0:g.r1] = np.einsum("ks,ksa,ksat->kt", rho[g.r0:g.r1].reshape(k, g.S),
                                    pi[g.r0:g.r1].reshape(k, g.S, A), g.P).ravel()
    with np.errstate(invalid="ignore", over="ignore"):
        dq = seg.max(np.max(np.abs(batch.R + batch.gamma_rows[:, None] * batch.apply_P(V) - ev.Q), axis=1))
        scale_q = seg.max(np.max(np.abs(batch.R), axis=1)) + batch.gamma * seg.max(np.abs(V))
        deta = np.abs(seg.sum(batch.rho0 * V) - ev.eta)
        drho = seg.max(np.abs(rho - batch.gamma_rows * flow - batch.rho0))
        ok = (dq <= BELONGS_RTOL * scale_q + 1e-300) & (deta <= BELONGS_RTOL * seg.max(np.abs(V)) + 1e-300) \
            & (drho <= BELONGS_RTOL * seg.sum(np.abs(rho)) + 1e-300)
    if not np.all(ok):
        k = int(np.flatnonzero(~ok)[0])
        raise ValueError(f"{name} is not an evaluation in this batch: instance {k} does not satisfy its "
                         f"equations (Q off by {dq[k]:.3g}, eta by {deta[k]:.3g}, rho by {drho[k]:.3g}); "
                         f"pass {name}=evaluate_batch(batch, pi)")
    return ev


def evaluate_batch(batch: MDPBatch, pi, extra=None) -> MDPBatchEvaluation:
    """Exact V, Q, A, eta, rho, d of the policy rows ``pi`` ((N, A), validated) in every instance.

    Per group of equal ``S``: ``P_pi = sum_a pi(a|s) P[s, a, :]`` and ``r_pi`` for the whole stack, one
    batched ``gesv`` for ``(I - gamma P_pi) [V, W] = [r_pi, extra]`` and one for
    ``(I - gamma P_pi)^T rho = rho0`` (THEORY.md §1), then ``Q = R + gamma P V``. ``extra`` ((N,) or
    (N, m) rows, optional) adds right-hand sides of the Bellman system (e.g. the span bound's ``w``).

    Examples
    --------
    The stacked solve equals a loop of :func:`tabular.evaluate`:

    >>> import numpy as np
    >>> from tabular import evaluate, garnet, random_policy
    >>> from tabular.mdp_batch import MDPBatch, evaluate_batch
    >>> mdps = [garnet(4, 2, rng=k) for k in range(3)] + [garnet(6, 2, rng=3)]
    >>> pis = [random_policy(m, rng=k) for k, m in enumerate(mdps)]
    >>> batch = MDPBatch.from_mdps(mdps)
    >>> ev = evaluate_batch(batch, batch.policy_rows(pis))
    >>> bool(np.allclose(ev.eta, [evaluate(m, p).eta for m, p in zip(mdps, pis)]))
    True
    """
    batch = check_batch(batch)
    pi = batch.check_rows(pi)
    N, A = pi.shape
    if extra is not None:
        extra = as_float_array(extra, "extra", ndim=(1, 2))
        extra = extra[:, None] if extra.ndim == 1 else extra
        if extra.shape[0] != N:
            raise ValueError(f"extra must have {N} rows (one per state of the batch), got shape {extra.shape}")
    V, rho, Q = np.empty(N), np.empty(N), np.empty((N, A))
    W = None if extra is None else np.empty(extra.shape)
    eta = np.empty(batch.K)
    for g in batch.groups:
        k, S = g.k1 - g.k0, g.S
        p = pi[g.r0:g.r1].reshape(k, S, A)
        P_pi = np.einsum("ksa,ksat->kst", p, g.P)
        r_pi = np.einsum("ksa,ksa->ks", p, batch.R[g.r0:g.r1].reshape(k, S, A))
        M = P_pi * (-g.gamma)[:, None, None]
        M.reshape(k, S * S)[:, :: S + 1] += 1.0  # M = I - gamma P_pi
        b = r_pi[:, :, None] if extra is None else np.concatenate(
            [r_pi[:, :, None], extra[g.r0:g.r1].reshape(k, S, -1)], axis=2)
        X = np.linalg.solve(M, b)
        rho0 = batch.rho0[g.r0:g.r1].reshape(k, S)
        r = np.linalg.solve(M.transpose(0, 2, 1), rho0[:, :, None])[:, :, 0]
        _clean_visitation(r, rho0, P_pi)
        v = X[:, :, 0]
        V[g.r0:g.r1] = v.ravel()
        rho[g.r0:g.r1] = r.ravel()
        if W is not None:
            W[g.r0:g.r1] = X[:, :, 1:].reshape(k * S, -1)
        Q[g.r0:g.r1] = (batch.R[g.r0:g.r1].reshape(k, S, A)
                        + g.gamma[:, None, None] * np.einsum("ksat,kt->ksa", g.P, v)).reshape(k * S, A)
        eta[g.k0:g.k1] = np.einsum("ks,ks->k", rho0, v)
    Adv = Q - V[:, None]
    d = (1.0 - batch.gamma_rows) * rho
    return MDPBatchEvaluation(pi=readonly(pi), V=readonly(V), Q=readonly(Q), A=readonly(Adv), eta=readonly(eta),
                           rho=readonly(rho), d=readonly(d), W=None if W is None else readonly(W))


#: The name before 0.2.0, kept for one release (CHANGELOG.md; it goes in 0.3.0).
BatchEvaluation = MDPBatchEvaluation

"""Exact evaluation of K policies of one MDP at once (:func:`evaluate_policies`): the batched LU solves of
Eq. (1)'s values and the visitation, in chunks held to a memory budget, on threads with BLAS held at one
thread. One policy: :func:`tabular.evaluation.evaluate`; K MDPs: :mod:`tabular.mdp_batch`.
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy.linalg import get_lapack_funcs

from .evaluation import ROUND_OFF_REL, _clean_visitation, evaluate
from .mdp import MDP
from .validation import as_policy_batch, check_int, check_mdp, readonly

__all__ = ["PolicyEvaluations", "evaluate_policies"]

_BLAS_CONTROLLER = None  # threadpoolctl's controller, made on first use


@dataclass(frozen=True, eq=False)
class PolicyEvaluations:
    """Exact quantities of K policies of one MDP at once (:func:`evaluate_policies`); each array has a
    leading axis of length K. (K MDPs, one policy each: :class:`tabular.mdp_batch.MDPBatchEvaluation`.)

    ``rho`` and ``d`` are non-negative, exactly 0 at states a policy never reaches (as in
    :class:`Evaluation`).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import deterministic, evaluate, evaluate_policies, two_state, uniform
    >>> mdp = two_state()
    >>> pes = evaluate_policies(mdp, np.stack([uniform(mdp), deterministic(np.array([1, 0]), 2)]))
    >>> pes
    PolicyEvaluations(K=2, S=2, A=2, gamma=0.95, eta in [-14.5, -14.4262])
    >>> print(len(pes), bool(np.allclose(pes[1]["V"], evaluate(mdp, pes.pi[1]).V)))
    2 True
    """

    pi: np.ndarray  # (K, S, A)
    V: np.ndarray  # (K, S)
    Q: np.ndarray  # (K, S, A)
    A: np.ndarray  # (K, S, A)
    eta: np.ndarray  # (K,)
    rho: np.ndarray  # (K, S)
    d: np.ndarray  # (K, S)
    gamma: float

    def __len__(self) -> int:
        return int(self.eta.shape[0])

    def __getitem__(self, k: int) -> dict:
        """The quantities of policy ``k`` as a dict of arrays."""
        return {f: getattr(self, f)[k] for f in ("pi", "V", "Q", "A", "eta", "rho", "d")}

    def __repr__(self) -> str:
        K, S, A = self.pi.shape
        eta = f"eta={self.eta[0]:.10g}" if K == 1 else \
            f"eta in [{self.eta.min():.6g}, {self.eta.max():.6g}]"
        return f"PolicyEvaluations(K={K}, S={S}, A={A}, gamma={self.gamma:g}, {eta})"


def _single_threaded_blas():
    """Context manager holding the BLAS libraries (numpy's and scipy's OpenBLAS) at one thread."""
    global _BLAS_CONTROLLER
    if _BLAS_CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _BLAS_CONTROLLER = ThreadpoolController()
    return _BLAS_CONTROLLER.limit(limits=1, user_api="blas")


def _default_workers(K: int) -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4, K // 64))  # threads only pay off for a few dozen policies each


def _lu_solves(M: np.ndarray, r: np.ndarray, rho0: np.ndarray, V: np.ndarray, rho: np.ndarray) -> None:
    """``V[k]``, ``rho[k]`` for every ``k`` from one LU of each ``M[k] = I - gamma P_pi``.

    LAPACK ``getrf`` factors ``M_k^T`` (the C-ordered ``M_k`` read as a Fortran array, no copy) and
    ``getrs`` solves ``M_k V = r`` (``trans=1``) and ``M_k^T rho = rho0`` (``trans=0``). (scipy's
    ``getrf``/``getrs`` wrappers release the GIL; its ``gesv`` does not, measured.)
    """
    getrf, getrs = get_lapack_funcs(("getrf", "getrs"), dtype=np.float64)
    V[:] = r  # the right-hand sides, solved in place (overwrite_b: no copies)
    rho[:] = rho0
    for k in range(M.shape[0]):
        lu, piv, info = getrf(M[k].T, overwrite_a=True)
        if info != 0:  # cannot happen for gamma < 1 (M is strictly diagonally dominant)
            raise np.linalg.LinAlgError(f"I - gamma P_pi is singular (getrf info={info})")
        # in place when f2py can (contiguous rows); the assignment keeps it right if it copied
        V[k] = getrs(lu, piv, V[k], trans=1, overwrite_b=True)[0]
        rho[k] = getrs(lu, piv, rho[k], trans=0, overwrite_b=True)[0]


def _dense_batch(mdp: MDP, pis: np.ndarray, V: np.ndarray, rho: np.ndarray, lo: int, hi: int, chunk: int) -> None:
    """Fill ``V[lo:hi]`` and ``rho[lo:hi]`` of a dense model, ``chunk`` policies at a time: the chunk's
    ``P_pi`` by batched BLAS products into buffers allocated once (fresh large arrays cost page
    faults), then one LU per policy (:func:`_lu_solves`)."""
    S = mdp.n_states
    n = min(chunk, hi - lo)
    Xbuf, Mbuf = np.empty((S, n, S)), np.empty((n, S, S))
    for c0 in range(lo, hi, n):
        c1 = min(c0 + n, hi)
        p = pis[c0:c1]
        X = Xbuf if c1 - c0 == n else np.empty((S, c1 - c0, S))
        M = Mbuf[: c1 - c0]
        # P_pi[k] = sum_a pi_k(a|s) P[s, a, :], as S batched (k x A) @ (A x S) BLAS products
        np.matmul(p.transpose(1, 0, 2), mdp.P, out=X)
        np.multiply(X.transpose(1, 0, 2), -mdp.gamma, out=M)
        M.reshape(c1 - c0, S * S)[:, :: S + 1] += 1.0  # M_k = I - gamma P_pi_k
        r = np.einsum("ksa,sa->ks", p, mdp.R)
        _lu_solves(M, r, mdp.rho0, V[c0:c1], rho[c0:c1])


def evaluate_policies(mdp: MDP, pis, *, max_bytes: int = 2**20, workers: int | None = None) -> PolicyEvaluations:
    """Evaluate K policies ``pis`` of shape ``(K, S, A)`` of one MDP (named ``evaluate_many`` before 0.2.0).

    Dense models: the ``P_pi`` of a chunk of policies (at most ``max_bytes`` of ``(S, S)`` matrices,
    at least one) are built by batched BLAS products, and each policy's ``I - gamma P_pi`` is
    factored once by LAPACK for both ``V`` and ``rho`` (as :func:`evaluate` does). ``workers`` threads
    share the policies (default: the available cores, at most 4, and one thread per 64 policies;
    LAPACK releases the GIL). Sparse models are evaluated one by one with :func:`evaluate`.
    The results equal a loop of :func:`evaluate` to round-off, whatever ``workers`` and ``max_bytes``.
    Returns a :class:`PolicyEvaluations` with the same quantities as :func:`evaluate` (``rho`` and
    ``d`` non-negative, exactly 0 at unreachable states).

    Raises ``ValueError`` for an empty batch (``K = 0``) and names the first invalid policy as
    ``pis[k] (policy k), state s``.

    Examples
    --------
    The batch equals a loop of :func:`evaluate`:

    >>> import numpy as np
    >>> from tabular import evaluate, evaluate_policies, garnet, random_policy
    >>> mdp = garnet(8, 3, rng=0)
    >>> pis = np.stack([random_policy(mdp, rng=k) for k in range(5)])
    >>> pes = evaluate_policies(mdp, pis)
    >>> bool(np.allclose(pes.eta, [evaluate(mdp, p).eta for p in pis]))
    True
    """
    mdp = check_mdp(mdp)
    S, A = mdp.shape
    # a copy: the batch is frozen, the caller's array is not
    pis = as_policy_batch(pis, S, A, name="pis")
    K = pis.shape[0]
    max_bytes = check_int(max_bytes, "max_bytes", lo=1)
    if workers is None:
        workers = _default_workers(K)
    elif isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"workers must be a positive integer or None, got {workers!r}")
    g = mdp.gamma
    V = np.empty((K, S))
    rho = np.empty((K, S))
    chunk = max(1, int(max_bytes // (8 * S * S)))
    workers = min(int(workers), max(K, 1))
    # with threads, BLAS's own threads are held at one: idle OpenBLAS threads busy-wait and would
    # take the cores from ours (measured: no gain from 2 threads without the limit)
    threaded = not mdp.is_sparse and workers > 1
    with _single_threaded_blas() if threaded else contextlib.nullcontext():
        if mdp.is_sparse:
            for k in range(K):
                ev = evaluate(mdp, pis[k])
                V[k], rho[k] = ev.V, ev.rho
        elif not threaded:
            _dense_batch(mdp, pis, V, rho, 0, K, chunk)
        else:  # each thread its own range of policies (LAPACK releases the GIL)
            cuts = np.linspace(0, K, workers + 1).astype(int)
            with ThreadPoolExecutor(workers) as pool:
                for f in [pool.submit(_dense_batch, mdp, pis, V, rho, int(cuts[i]), int(cuts[i + 1]), chunk)
                          for i in range(workers)]:
                    f.result()
        Q = mdp.R[None] + g * (V @ mdp.P_flat.T).reshape(K, S, A)
    if not mdp.is_sparse:  # (the sparse path's evaluate has cleaned rho already)
        tiny = ROUND_OFF_REL * np.abs(rho).sum(axis=1)
        for k in np.flatnonzero(np.any(rho <= tiny[:, None], axis=1)):
            _clean_visitation(rho[k], mdp.rho0, 0.0, lambda k=k: np.einsum("sa,sat->st", pis[k], mdp.P))
        np.maximum(rho, 0.0, out=rho)
    Adv = Q - V[..., None]
    eta = V @ mdp.rho0
    return PolicyEvaluations(
        pi=readonly(pis), V=readonly(V), Q=readonly(Q), A=readonly(Adv), eta=readonly(eta),
        rho=readonly(rho), d=readonly((1.0 - g) * rho), gamma=g,
    )

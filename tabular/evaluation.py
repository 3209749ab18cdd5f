"""Exact policy evaluation: V, Q, A, eta, the visitation rho, and the surrogate L.

All formulas follow THEORY.md §1-2 and [TRPO] (Schulman et al. 2015, arXiv:1502.05477 v5):

* ``V = (I - gamma P_pi)^{-1} r_pi`` (Bellman equation), ``Q = R + gamma P V``, ``A = Q - V``.
* ``eta(pi) = rho0 . V``.
* ``rho_pi = (I - gamma P_pi^T)^{-1} rho0`` -- the **unnormalized** discounted visitation of [TRPO],
  summing to ``1/(1-gamma)``; ``d_pi = (1-gamma) rho_pi`` is the normalized one of [CPO]/[KL02].

``rho`` and ``d`` are non-negative by definition and are returned so: a state the policy never
reaches gets exactly ``rho(s) = 0`` (the solve leaves round-off of about ``1e-16 sum(rho)`` there,
of either sign; see :func:`reachable_states`), and any other negative round-off is clipped to 0.

Linear systems are solved, never inverted. Dense models use one LU factorization for both
``V`` and ``rho`` (the second solve uses the transpose). Sparse models use a sparse LU where the
fill-in stays small (small S, or banded in the natural state order: chains, gridworlds)
and a preconditioned Krylov solver (BiCGSTAB, then GMRES) otherwise (random graphs such as
Garnet MDPs, where LU fills in catastrophically).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from scipy.linalg.blas import dgemv
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
import scipy.sparse.linalg as spla

from .validation import (
    as_policy,
    check_dense_size,
    check_mdp,
    check_tolerance,
    readonly,
)
from .mdp import MDP

__all__ = [
    "Evaluation",
    "PolicyEvaluations",
    "EvaluationBatch",
    "evaluate",
    "evaluate_policies",
    "evaluate_many",
    "policy_transition",
    "policy_reward",
    "surrogate",
    "expected_advantage",
    "surrogate_of",
    "expected_advantage_of",
    "state_distribution",
    "reachable_states",
    "resolve_evaluation",
    "check_evaluation_of",
    "KRYLOV_RTOL",
]

#: Relative residual the Krylov solvers are run to.
KRYLOV_RTOL = 1e-12
#: Iteration cap of BiCGSTAB, and of GMRES restart cycles (of 100 inner iterations; scipy's GMRES is
#: slow per iteration, so a stalled GMRES hands over to sparse LU quickly).
KRYLOV_MAXITER = 3000
GMRES_CYCLES = 3
#: Sparse systems whose estimated LU fill (S x bandwidth after RCM) exceeds this use Krylov.
DIRECT_FILL_LIMIT = 2e7
#: Sparse systems this small always use sparse LU (fill at most S^2 = 4e6).
DIRECT_ALWAYS = 2000
#: A computed visitation at most this fraction of ``sum(rho)`` (or ``1e4`` times the solver's relative
#: residual, if larger) may be round-off: such states are checked for reachability (exactly 0 if
#: unreachable). Far above LU round-off (~1e-16), far below any visitation that matters.
ROUND_OFF_REL = 1e-9

_METHODS = ("auto", "dense", "direct", "krylov")


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Exact quantities of a policy ``pi`` in an MDP (arrays are read-only).

    Attributes
    ----------
    pi : (S, A) the evaluated policy.
    V : (S,) state values ``V_pi``.
    Q : (S, A) action values ``Q_pi = R + gamma P V_pi``.
    A : (S, A) advantages ``A_pi = Q_pi - V_pi``; ``sum_a pi(a|s) A_pi(s, a) = 0``.
    eta : float, ``eta(pi) = rho0 . V_pi``.
    rho : (S,) unnormalized discounted visitation of [TRPO], ``sum(rho) = 1/(1-gamma)``.
    d : (S,) normalized visitation ``(1-gamma) rho`` of [CPO], [KL02], [AKLM].
    P_pi : (S, S) state transitions under ``pi`` (a CSR array when the MDP is sparse).
    r_pi : (S,) expected one-step reward under ``pi``.
    gamma : float, the discount.
    residual : float, the larger relative residual ``||b - M x|| / ||b||`` of the two solves.
    solver : str, ``"dense-lu"``, ``"sparse-lu"``, ``"bicgstab"`` or ``"gmres"``.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import evaluate, two_state, uniform
    >>> ev = evaluate(two_state(), uniform(2, 2))
    >>> ev
    Evaluation(S=2, A=2, gamma=0.95, eta=-14.42622951, residual=..., solver='dense-lu')
    >>> print(np.round(ev.V, 4), round(float(ev.rho.sum()), 6))  # sum(rho) = 1 / (1 - gamma)
    [ -8.8525 -20.    ] 20.0
    >>> bool(np.allclose((ev.pi * ev.A).sum(axis=1), 0.0))
    True
    """

    pi: np.ndarray
    V: np.ndarray
    Q: np.ndarray
    A: np.ndarray
    eta: float
    rho: np.ndarray
    d: np.ndarray
    P_pi: object
    r_pi: np.ndarray
    gamma: float
    residual: float
    solver: str

    def __repr__(self) -> str:
        S, A = self.pi.shape
        return (f"Evaluation(S={S}, A={A}, gamma={self.gamma:g}, eta={self.eta:.10g}, "
                f"residual={self.residual:.2e}, solver={self.solver!r})")


# ---------------------------------------------------------------------------- building blocks
def policy_transition(mdp: MDP, pi):
    """``P_pi[s, t] = sum_a pi(a|s) P[s, a, t]``; a CSR array when the MDP is sparse.

    Examples
    --------
    >>> from tabular import policy_transition, two_state, uniform
    >>> policy_transition(two_state(), uniform(2, 2)).tolist()
    [[0.25, 0.75], [0.0, 1.0]]
    """
    mdp = check_mdp(mdp)
    return _policy_transition(mdp, as_policy(pi, mdp.n_states, mdp.n_actions, name="pi"))


def policy_reward(mdp: MDP, pi) -> np.ndarray:
    """``r_pi[s] = sum_a pi(a|s) R[s, a]``.

    Examples
    --------
    >>> from tabular import policy_reward, two_state, uniform
    >>> policy_reward(two_state(), uniform(2, 2)).tolist()  # (5 + 10) / 2 and -1
    [7.5, -1.0]
    """
    mdp = check_mdp(mdp)
    return _policy_reward(mdp, as_policy(pi, mdp.n_states, mdp.n_actions, name="pi"))


def _policy_transition(mdp: MDP, pi: np.ndarray):
    """:func:`policy_transition` for a validated ``pi`` (no checks)."""
    S, A = mdp.shape
    if not mdp.is_sparse:
        return np.einsum("sa,sat->st", pi, mdp.P)
    P = mdp.P
    counts = np.diff(P.indptr)
    rows = np.repeat(np.arange(S * A), counts)
    data = P.data * pi.ravel()[rows]
    return sp.csr_array((data, (rows // A, P.indices)), shape=(S, S))


def _policy_reward(mdp: MDP, pi: np.ndarray) -> np.ndarray:
    """:func:`policy_reward` for a validated ``pi`` (no checks)."""
    return np.einsum("sa,sa->s", pi, mdp.R)


def _reachable(P_pi, rho0: np.ndarray) -> np.ndarray:
    """States reached with positive probability from ``rho0`` along the positive entries of
    ``P_pi`` (dense or CSR), by one breadth-first search from a virtual source joined to every start
    state: O(S + nnz)."""
    S = rho0.shape[0]
    if sp.issparse(P_pi):
        coo = P_pi.tocoo()
        keep = coo.data > 0  # a sparse P_pi stores explicit zeros where pi(a|s) = 0
        r, c = coo.row[keep], coo.col[keep]
    else:
        r, c = np.nonzero(P_pi > 0)
    starts = np.flatnonzero(rho0 > 0)
    rows = np.concatenate([r, np.full(starts.size, S)])
    cols = np.concatenate([c, starts])
    G = sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(S + 1, S + 1))
    order = csgraph.breadth_first_order(G, S, directed=True, return_predecessors=False)
    out = np.zeros(S + 1, dtype=bool)
    out[order] = True
    return out[:S]


def _clean_visitation(rho: np.ndarray, rho0: np.ndarray, residual: float, P_pi) -> np.ndarray:
    """Make the computed visitation ``rho`` (modified in place) what it is by definition, non-negative:
    states the policy cannot reach get exactly 0 (the solve leaves round-off of either sign there),
    and other negative round-off (true value 0 or tiny) is clipped to 0. ``P_pi`` may be a callable
    returning it, called only when some entry is small enough to be round-off."""
    tiny = max(ROUND_OFF_REL, 1e4 * residual) * float(np.sum(np.abs(rho)))
    small = rho <= tiny
    if np.any(small):
        reach = _reachable(P_pi() if callable(P_pi) else P_pi, rho0)
        rho[small & ~reach] = 0.0
        np.maximum(rho, 0.0, out=rho)
    return rho


def reachable_states(mdp: MDP, pi) -> np.ndarray:
    """Which states policy ``pi`` ever reaches from ``s_0 ~ rho0``: a bool array of shape (S,).

    ``s`` is reachable iff ``Pr(s_t = s) > 0`` for some ``t >= 0``, i.e. iff ``rho_pi(s) > 0``
    (all terms of ``rho = sum_t gamma^t rho0^T P_pi^t`` are non-negative; for ``gamma = 0`` only the
    start states have ``rho > 0``, but reachability is a property of ``P_pi`` alone). Computed
    combinatorially (a breadth-first search on the positive entries of ``P_pi``), so the answer is
    exact; :func:`evaluate` sets ``rho`` to exactly 0 on the unreachable states.

    Examples
    --------
    Always taking a0 in MDP X never reaches s2, and :func:`evaluate` puts exactly 0 visitation there:

    >>> import numpy as np
    >>> from tabular import deterministic, evaluate, mdp_x, reachable_states
    >>> mdp, pi = mdp_x(), deterministic(np.array([0, 0, 0]), 2)
    >>> reachable_states(mdp, pi).tolist()
    [True, True, False]
    >>> float(evaluate(mdp, pi).rho[2])
    0.0
    """
    mdp = check_mdp(mdp)
    pi = as_policy(pi, mdp.n_states, mdp.n_actions, name="pi")
    return _reachable(_policy_transition(mdp, pi), mdp.rho0)


def _matvec(M, x: np.ndarray, transpose: bool = False) -> np.ndarray:
    """``M @ x`` (or ``M.T @ x``); a dense C-ordered ``M`` goes through scipy's BLAS ``dgemv`` -- the
    library of the LU factorizations -- so that numpy's separate OpenBLAS thread pool stays idle."""
    if isinstance(M, np.ndarray) and M.flags.c_contiguous and M.dtype == np.float64 and M.size >= 2**16:
        return dgemv(1.0, M.T, x, trans=0 if transpose else 1)  # M.T is M's Fortran view: no copy
    return (M.T if transpose else M) @ x


def q_from_v(mdp: MDP, V: np.ndarray) -> np.ndarray:
    """``Q = R + gamma P V`` (one-step lookahead).

    Examples
    --------
    ``Q = R + gamma P V``; with the values of a policy, ``sum_a pi(a|s) Q(s, a) = V(s)``:

    >>> import numpy as np
    >>> from tabular import evaluate, two_state, uniform
    >>> from tabular.evaluation import q_from_v
    >>> mdp, pi = two_state(), uniform(2, 2)
    >>> V = evaluate(mdp, pi).V
    >>> bool(np.allclose((pi * q_from_v(mdp, V)).sum(axis=1), V))
    True
    """
    S, A = mdp.shape
    return mdp.R + mdp.gamma * _matvec(mdp.P_flat, V).reshape(S, A)


def _rel_error(b, Mx) -> float:
    """``||b - M x|| / ||b||`` (absolute when ``b = 0``) given ``M x``."""
    nb = np.linalg.norm(b)
    r = np.linalg.norm(b - Mx)
    return float(r / nb) if nb > 0 else float(r)


def _rel_residual(M, x, b) -> float:
    return _rel_error(b, M @ x)


def _estimated_fill(M) -> float:
    """``S x bandwidth`` of ``M`` in its natural state order: an upper bound on the LU fill-in of a
    banded matrix. Chains and row-major gridworlds are banded in their natural order; random graphs
    (Garnet) have bandwidth ~ S. O(nnz), unlike a reordering such as reverse Cuthill-McKee, which
    costs more than the Krylov solve it would decide against."""
    S = M.shape[0]
    if S <= DIRECT_ALWAYS:
        return 0.0
    Mc = M.tocoo()
    bandwidth = int(np.max(np.abs(Mc.row - Mc.col))) + 1 if Mc.nnz else 1
    return float(S) * bandwidth


def _krylov(M, b, rtol):
    """Solve ``M x = b`` with Jacobi-preconditioned BiCGSTAB, then GMRES; None if both fail."""
    diag = M.diagonal()
    Minv = spla.LinearOperator(M.shape, matvec=lambda v: v / diag, dtype=np.float64)
    for name, solve in (("bicgstab", spla.bicgstab), ("gmres", spla.gmres)):
        # Bounded work: a Krylov method that stalls hands over to the exact sparse LU fallback.
        kwargs = dict(rtol=rtol, atol=0.0, M=Minv, maxiter=KRYLOV_MAXITER)
        if name == "gmres":
            kwargs.update(restart=min(100, M.shape[0]), maxiter=GMRES_CYCLES)
        x, info = solve(M, b, **kwargs)
        if info == 0 and np.all(np.isfinite(x)) and _rel_residual(M, x, b) <= 100 * rtol:
            return x, name
    return None, None


def _solve_pair(mdp: MDP, P_pi, r_pi, method: str, rtol: float):
    """Solve ``(I - gamma P_pi) V = r_pi`` and ``(I - gamma P_pi)^T rho = rho0``."""
    S = mdp.n_states
    g = mdp.gamma
    if not mdp.is_sparse or method == "dense":
        if sp.issparse(P_pi):
            check_dense_size(S, None, "method='dense' on this sparse MDP", copies=2,
                             sparse_hint="use method='auto', 'direct' or 'krylov'")
        Pd = P_pi.toarray() if sp.issparse(P_pi) else P_pi
        M = np.empty((S, S), order="F")  # LAPACK's layout: lu_factor then works in place, no copy
        np.multiply(Pd, -g, out=M)
        M.reshape(-1, order="F")[:: S + 1] += 1.0  # M = I - gamma P_pi
        lu = sla.lu_factor(M, overwrite_a=True, check_finite=False)  # M is not needed again
        V = sla.lu_solve(lu, r_pi, check_finite=False)
        rho = sla.lu_solve(lu, mdp.rho0, trans=1, check_finite=False)
        # residuals of the two systems through P_pi (M now holds the LU factors), with the BLAS of
        # the LU (scipy's OpenBLAS): numpy's BLAS has its own threads, whose busy-waiting after a
        # product slowed the next LU by up to 1.6x on 2 cores (measured)
        res = max(_rel_error(r_pi, V - g * _matvec(Pd, V)), _rel_error(mdp.rho0, rho - g * _matvec(Pd, rho, True)))
        return V, rho, res, "dense-lu"
    M = (sp.eye_array(S, format="csr") - g * P_pi).tocsr()
    if method == "auto":
        method = "direct" if _estimated_fill(M) <= DIRECT_FILL_LIMIT else "krylov"
    if method == "krylov":
        V, name_v = _krylov(M, r_pi, rtol)
        MT = M.T  # CSC view of the transpose; no copy
        rho, name_r = (None, None) if V is None else _krylov(MT, mdp.rho0, rtol)
        if V is not None and rho is not None:
            res = max(_rel_residual(M, V, r_pi), _rel_residual(MT, rho, mdp.rho0))
            return V, rho, res, name_v if name_v == name_r else f"{name_v}+{name_r}"
        # Krylov failed to reach the tolerance: fall back to the exact direct factorization.
    lu = spla.splu(M.tocsc())
    V = lu.solve(r_pi)
    rho = lu.solve(mdp.rho0, trans="T")
    res = max(_rel_residual(M, V, r_pi), _rel_residual(M.T, rho, mdp.rho0))
    return V, rho, res, "sparse-lu"


# ---------------------------------------------------------------------------- public API
def evaluate(mdp: MDP, pi, *, method: str = "auto", rtol: float = KRYLOV_RTOL) -> Evaluation:
    """Exactly evaluate policy ``pi`` in ``mdp``.

    Solves the Bellman equation ``(I - gamma P_pi) V = r_pi`` and the visitation equation
    ``(I - gamma P_pi^T) rho = rho0`` (THEORY.md §1), then ``Q = R + gamma P V``, ``A = Q - V``
    and ``eta = rho0 . V``.

    Parameters
    ----------
    mdp : MDP
        A :class:`tabular.MDP` (anything else raises ``TypeError``).
    pi : (S, A) array_like, a stochastic policy (validated).
    method : {"auto", "dense", "direct", "krylov"}
        ``"auto"``: dense LU for dense models; for sparse models sparse LU when the estimated
        fill-in (S x bandwidth, natural order) is below 2e7 or S <= 2000, else Krylov. A Krylov solve that fails to
        reach ``rtol`` falls back to sparse LU, so the result is never silently inexact.
    rtol : float
        Relative residual target of the Krylov solvers (default 1e-12): finite and positive.

    Returns
    -------
    Evaluation
        With ``residual`` reporting the relative residual actually reached. ``rho`` and ``d`` are
        non-negative: exactly 0 at the states ``pi`` never reaches (:func:`reachable_states`), where
        the solve leaves round-off of about ``1e-16 sum(rho)``, and negative round-off elsewhere is
        clipped to 0.

    Examples
    --------
    The exact ``eta`` agrees with a truncated sum ``sum_t gamma^t E[r_pi(s_t)]`` over 600 steps
    (``0.95^600 ~ 4e-14``):

    >>> import numpy as np
    >>> from tabular import evaluate, policy_reward, state_distribution, two_state, uniform
    >>> mdp, pi = two_state(), uniform(2, 2)
    >>> ev = evaluate(mdp, pi)
    >>> t = np.arange(600)
    >>> series = (mdp.gamma ** t) @ state_distribution(mdp, pi, t) @ policy_reward(mdp, pi)
    >>> print(f"{ev.eta:.6f} {series:.6f}")
    -14.426230 -14.426230
    """
    mdp = check_mdp(mdp)
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    rtol = check_tolerance(rtol, "rtol", positive=True)
    pi = as_policy(pi, mdp.n_states, mdp.n_actions, name="pi")
    P_pi = _policy_transition(mdp, pi)
    r_pi = _policy_reward(mdp, pi)
    V, rho, res, solver = _solve_pair(mdp, P_pi, r_pi, method, rtol)
    _clean_visitation(rho, mdp.rho0, res, P_pi)
    Q = q_from_v(mdp, V)
    A = Q - V[:, None]
    eta = float(mdp.rho0 @ V)
    d = (1.0 - mdp.gamma) * rho
    if not sp.issparse(P_pi):
        readonly(P_pi)
    return Evaluation(
        pi=readonly(pi), V=readonly(V), Q=readonly(Q), A=readonly(A), eta=eta,
        rho=readonly(rho), d=readonly(d), P_pi=P_pi, r_pi=readonly(r_pi),
        gamma=mdp.gamma, residual=res, solver=solver,
    )



def resolve_evaluation(mdp: MDP, pi, ev: Evaluation | None, name: str = "ev") -> Evaluation:
    """``evaluate(mdp, pi)``, or the precomputed ``ev`` after checking that it evaluates ``pi``.

    Raises ``TypeError`` if ``ev`` is not an :class:`Evaluation` and ``ValueError`` if it belongs to
    another policy or discount (a stale evaluation would silently give wrong surrogates).

    Examples
    --------
    >>> from tabular import evaluate, two_state, uniform
    >>> from tabular.evaluation import resolve_evaluation
    >>> mdp, pi = two_state(), uniform(2, 2)
    >>> ev = evaluate(mdp, pi)
    >>> resolve_evaluation(mdp, pi, ev) is ev  # a precomputed evaluation of pi is reused
    True
    >>> resolve_evaluation(mdp, pi, None).solver  # None evaluates
    'dense-lu'
    >>> try:
    ...     resolve_evaluation(mdp, [[1.0, 0.0], [1.0, 0.0]], ev)
    ... except ValueError as err:
    ...     print(str(err)[:44])
    ev evaluates a different policy than pi; ...
    """
    mdp = check_mdp(mdp)
    if ev is None:
        return evaluate(mdp, pi)
    if not isinstance(ev, Evaluation):
        raise TypeError(f"{name} must be a tabular.Evaluation, got {type(ev).__name__}")
    if ev.gamma == mdp.gamma and isinstance(pi, np.ndarray) and pi.shape == ev.pi.shape \
            and np.array_equal(pi, ev.pi):
        return check_evaluation_of(mdp, ev, name)  # the very policy ev evaluated (and validated)
    pi = as_policy(pi, mdp.n_states, mdp.n_actions, name="pi")
    if ev.pi.shape != pi.shape or not np.allclose(ev.pi, pi, rtol=0.0, atol=1e-12):
        raise ValueError(f"{name} evaluates a different policy than pi; pass {name}=evaluate(mdp, pi) or None")
    if ev.gamma != mdp.gamma:
        raise ValueError(f"{name} was computed with gamma={ev.gamma}, but the MDP has gamma={mdp.gamma}")
    return check_evaluation_of(mdp, ev, name)


#: Relative tolerance of :func:`check_evaluation_of` (the solves reach about 1e-12).
BELONGS_RTOL = 1e-7


def check_evaluation_of(mdp: MDP, ev: Evaluation, name: str = "ev") -> Evaluation:
    """Raise ``ValueError`` naming ``name`` unless ``ev`` is an evaluation in ``mdp`` (of ``ev.pi``).

    Checks the shape and discount, and then the three defining equations of THEORY.md §1 against
    ``mdp`` itself, to ``BELONGS_RTOL`` relative: ``Q = R + gamma P V``, ``eta = rho0 . V`` and
    ``rho = rho0 + gamma P_pi^T rho``. So an evaluation of another MDP of the same shape and discount
    (other rewards, transitions or start distribution) is refused, in ``O(S^2 A)`` (``O(nnz)`` sparse),
    less than the evaluation it saves.

    Examples
    --------
    An evaluation made in another MDP of the same shape is refused:

    >>> from tabular import evaluate, two_state, uniform
    >>> from tabular.evaluation import check_evaluation_of
    >>> mdp, pi = two_state(), uniform(2, 2)
    >>> ev = evaluate(mdp, pi)
    >>> check_evaluation_of(mdp, ev) is ev
    True
    >>> try:
    ...     check_evaluation_of(mdp.with_rewards(2 * mdp.R), ev)
    ... except ValueError:
    ...     print("refused")
    refused
    """
    mdp = check_mdp(mdp)
    if not isinstance(ev, Evaluation):
        raise TypeError(f"{name} must be a tabular.Evaluation, got {type(ev).__name__}")
    S, A = mdp.shape
    if ev.pi.shape != (S, A):
        raise ValueError(f"{name} evaluates a policy of shape {ev.pi.shape}, but the MDP has shape {(S, A)}; "
                         f"pass {name}=evaluate(mdp, pi) or None")
    if ev.gamma != mdp.gamma:
        raise ValueError(f"{name} was computed with gamma={ev.gamma}, but the MDP has gamma={mdp.gamma}")
    V, rho = np.asarray(ev.V), np.asarray(ev.rho)
    scale_q = float(np.max(np.abs(mdp.R))) + mdp.gamma * float(np.max(np.abs(V)))
    dq = float(np.max(np.abs(q_from_v(mdp, V) - ev.Q)))
    deta = abs(float(mdp.rho0 @ V) - float(ev.eta))
    flow = (mdp.P_flat.T @ (rho[:, None] * np.asarray(ev.pi)).ravel())  # Eq. rho = rho0 + g P_pi^T rho
    drho = float(np.max(np.abs(rho - mdp.gamma * flow - mdp.rho0)))
    tol = BELONGS_RTOL
    if not (dq <= tol * scale_q + 1e-300 and deta <= tol * float(np.max(np.abs(V))) + 1e-300
            and drho <= tol * float(np.sum(rho)) + 1e-300):
        raise ValueError(f"{name} is not an evaluation in this MDP (its Q, eta or rho do not satisfy the "
                         f"MDP's equations: off by {dq:.3g}, {deta:.3g}, {drho:.3g}); it evaluates another MDP; "
                         f"pass {name}=evaluate(mdp, pi) or None")
    return ev


def expected_advantage(mdp: MDP, pi, pi_new, *, ev: Evaluation | None = None) -> np.ndarray:
    """Expected advantage ``Abar(s) = sum_a pi_new(a|s) A_pi(s, a)`` (THEORY.md §2), shape (S,).

    ``ev`` may pass a precomputed ``evaluate(mdp, pi)`` to avoid solving again.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import deterministic, expected_advantage, two_state, uniform
    >>> mdp, pi = two_state(), uniform(2, 2)
    >>> print(np.round(expected_advantage(mdp, pi, deterministic(np.array([1, 0]), 2)), 4))
    [-0.1475  0.    ]
    >>> print(np.round(expected_advantage(mdp, pi, pi), 12))  # zero for pi itself
    [0. 0.]
    """
    mdp = check_mdp(mdp)
    pi_new = as_policy(pi_new, mdp.n_states, mdp.n_actions, name="pi_new")
    ev = resolve_evaluation(mdp, pi, ev)
    return expected_advantage_of(ev, pi_new)


def surrogate(mdp: MDP, pi, pi_new, *, ev: Evaluation | None = None) -> float:
    """The local approximation ``L_pi(pi_new)``, Eq. (3) of [TRPO]::

        L_pi(pi_new) = eta(pi) + sum_s rho_pi(s) sum_a pi_new(a|s) A_pi(s, a)

    with the **unnormalized** visitation ``rho_pi`` of the old policy. ``L_pi(pi) = eta(pi)``.
    ``ev`` may pass a precomputed ``evaluate(mdp, pi)``.

    Examples
    --------
    ``L_pi(pi) = eta(pi)``, and the surrogate of another policy is a first-order estimate of its return:

    >>> import numpy as np
    >>> from tabular import deterministic, evaluate, surrogate, two_state, uniform
    >>> mdp, pi = two_state(), uniform(2, 2)
    >>> print(f"{surrogate(mdp, pi, pi):.6f} {evaluate(mdp, pi).eta:.6f}")
    -14.426230 -14.426230
    >>> pi_new = deterministic(np.array([1, 0]), 2)
    >>> print(f"{surrogate(mdp, pi, pi_new):.4f} {evaluate(mdp, pi_new).eta:.4f}")
    -14.5230 -14.5000
    """
    mdp = check_mdp(mdp)
    ev = resolve_evaluation(mdp, pi, ev)
    pi_new = as_policy(pi_new, mdp.n_states, mdp.n_actions, name="pi_new")
    return surrogate_of(ev, pi_new)


def expected_advantage_of(ev: Evaluation, pi_new: np.ndarray) -> np.ndarray:
    """:func:`expected_advantage` from an evaluation of ``pi`` and a validated ``pi_new`` (no checks;
    the one home of ``Abar(s) = sum_a pi_new(a|s) A_pi(s, a)``, THEORY.md §2).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import deterministic, evaluate, expected_advantage, two_state, uniform
    >>> from tabular.evaluation import expected_advantage_of
    >>> mdp, pi, pi_new = two_state(), uniform(2, 2), deterministic(np.array([1, 0]), 2)
    >>> ev = evaluate(mdp, pi)
    >>> bool(np.allclose(expected_advantage_of(ev, pi_new), expected_advantage(mdp, pi, pi_new)))
    True
    """
    return np.einsum("sa,sa->s", pi_new, ev.A)


def surrogate_of(ev: Evaluation, pi_new: np.ndarray) -> float:
    """:func:`surrogate` from an evaluation of ``pi`` and a validated ``pi_new`` (no checks; the one
    home of Eq. (3) of [TRPO]: ``L_pi(pi_new) = eta(pi) + sum_s rho_pi(s) Abar(s)``).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import deterministic, evaluate, surrogate, two_state, uniform
    >>> from tabular.evaluation import surrogate_of
    >>> mdp, pi, pi_new = two_state(), uniform(2, 2), deterministic(np.array([1, 0]), 2)
    >>> ev = evaluate(mdp, pi)  # evaluate once, then score many candidate policies
    >>> bool(np.isclose(surrogate_of(ev, pi_new), surrogate(mdp, pi, pi_new)))
    True
    """
    return float(ev.eta + ev.rho @ expected_advantage_of(ev, pi_new))  # Eq. (3)


def state_distribution(mdp: MDP, pi, t):
    """Exact distribution of ``s_t`` under ``pi`` from ``s_0 ~ rho0``: ``rho0^T P_pi^t``.

    ``t`` may be an int (returns shape (S,)) or a sequence of ints (returns shape (len(t), S)).
    Used by Lemma 3 of [TRPO] (Appendix A), and ``rho = sum_t gamma^t state_distribution(t)``.
    Every entry is non-negative by construction (products and sums of non-negative numbers: no
    round-off can make one negative) and exactly 0 at states not reachable in ``t`` steps.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import state_distribution, two_state, uniform
    >>> print(state_distribution(two_state(), uniform(2, 2), [0, 1, 2]).tolist())
    [[0.5, 0.5], [0.125, 0.875], [0.03125, 0.96875]]
    """
    mdp = check_mdp(mdp)
    pi = as_policy(pi, mdp.n_states, mdp.n_actions, name="pi")
    scalar = np.ndim(t) == 0
    ts = np.atleast_1d(np.asarray(t))
    if not np.issubdtype(ts.dtype, np.integer) or np.any(ts < 0):
        raise ValueError(f"t must be a non-negative integer or a sequence of them, got {t!r}")
    PT = _policy_transition(mdp, pi).T
    out = np.empty((ts.size, mdp.n_states))
    order = np.argsort(ts)
    mu, now = mdp.rho0.copy(), 0
    for i in order:
        for _ in range(int(ts[i]) - now):
            mu = PT @ mu
        now = int(ts[i])
        out[i] = mu
    return out[0] if scalar else out


#: The names before 0.2.0, kept for one release (CHANGELOG.md; they go in 0.3.0): one MDP, K policies.
from .policy_batch import PolicyEvaluations, evaluate_policies  # noqa: E402 (re-exported; imports this module)

EvaluationBatch = PolicyEvaluations
evaluate_many = evaluate_policies

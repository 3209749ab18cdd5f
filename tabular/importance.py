"""Importance sampling over whole trajectories, per decision and per state, with exact moments.

Episodes of length ``H`` are drawn from a *behaviour* policy ``mu`` (``s_0 ~ rho0``, expected rewards
``r_t = R[s_t, a_t]`` as in :mod:`tabular.sampling`). Write ``c_t = gamma^t r_t``, ``G = sum_{t<H} c_t``,
``G_t = sum_{t<=u<H} gamma^(u-t) r_u`` (return-to-go), and for a target policy ``p`` the ratios
``w_t = p(a_t|s_t) / mu(a_t|s_t)`` and their running products ``W_t = prod_{u<=t} w_u``.

**Family 1: the difference** ``eta(pi_new) - eta(mu)`` from ``mu``'s episodes (``p = pi_new``;
seed notes 003: "the trajectory weight vanishes or explodes"):

* ``"full"`` -- full-trajectory (ordinary) importance sampling, ``X = (W_{H-1} - 1) G``;
* ``"per_decision"`` -- per-decision importance sampling (Precup, Sutton & Singh 2000, "Eligibility
  traces for off-policy policy evaluation", ICML), ``X = sum_t c_t (W_t - 1)``: the reward at ``t``
  only needs the ratios of the actions before it;
* ``"per_state"`` -- the single-step ratio of Eq. (14) of [TRPO] (the "marginal" approximation),
  ``X = sum_t gamma^t (w_t - 1) G_t``. This is exactly ``Lhat(pi_new) - Lhat(mu)`` of
  :func:`tabular.estimators.surrogate_estimate` on :func:`tabular.estimators.single_path` samples.

The first two are unbiased for ``eta_H(pi_new) - eta_H(mu)`` (the discounted return truncated at
``H``; ``-> eta(pi_new) - eta(mu)`` as ``H -> inf``). The per-state ratio is **not**: its expectation
is ``sum_{t<H} gamma^t E_mu[(w_t - 1) G_t]``, which tends to ``sum_s rho_mu(s) sum_a (pi_new - mu)(a|s)
Q_mu(s, a) = L_mu(pi_new) - eta(mu)`` (Eq. (3) of [TRPO], since ``sum_a (pi_new - mu) V_mu = 0``).
Its bias for the improvement is therefore exactly ``L_mu(pi_new) - eta(pi_new)``, the surrogate's
error that Theorem 1 bounds. Why it is the "marginal" approximation: rewriting
``X = sum_t c_t sum_{u<=t} (w_u - 1)`` shows it replaces the product ``W_t = prod_{u<=t} (1 + (w_u - 1))``
by its first-order expansion ``1 + sum_{u<=t} (w_u - 1)``, which is why ``L`` matches ``eta`` to first
order (Eq. (4)) and why its variance does not grow geometrically with the horizon.

**Family 2: reusing old samples** (seed notes 000: "resample every 4 iterations"). The surrogate
improvement ``L_pi(pi_new) - eta(pi) = E_pi[sum_t gamma^t (pi_new/pi - 1)(a_t|s_t) G_t]`` of a *current*
policy ``pi``, estimated from episodes of an older ``mu``:

* ``"per_decision"`` -- unbiased (up to truncation): ``X = sum_t c_t W_t D_t`` with ``W_t`` the
  products of ``pi/mu`` and ``D_t = sum_{u<=t} (pi_new/pi - 1)(a_u|s_u)``;
* ``"per_state"`` -- what reusing the samples with the per-state ratio does:
  ``X = sum_t gamma^t ((pi_new - pi)/mu)(a_t|s_t) G_t``, whose expectation tends to
  ``sum_s rho_mu sum_a (pi_new - pi) Q_mu = L_mu(pi_new) - L_mu(pi)`` (:func:`stale_surrogate_target`),
  the *old* surrogate's difference; biased unless ``mu = pi``, where both estimators coincide.

**Gradients** are with respect to the tabular softmax logits ``theta_new`` of ``pi_new`` (the score
``psi(s, a) = e_{s,a} - pi_new(.|s)`` on row ``s``, as in :mod:`tabular.estimators`); they need a
full-support ``pi_new``. Family 1's estimate ``grad eta_H(pi_new)`` (full, per decision) and
``grad L_mu(pi_new)`` (per state); family 2's ``grad L_pi(pi_new)`` (per decision, at ``pi_new = pi``
the policy gradient ``grad eta(pi)`` by Eq. (4)) and ``grad L_mu(pi_new)`` (per state).

**Exact moments.** Every estimator above is the last entry of (or a fixed linear function of) an
accumulator ``u_t in R^k`` with an affine recursion ``u_{t+1} = M_t(s_t, a_t) u_t + b_t(s_t, a_t)``
along the episode. With ``m0_t(s) = P(s_t = s)``, ``m1_t(s) = E[u_t 1{s_t = s}]`` and
``m2_t(s) = E[u_t u_t^T 1{s_t = s}]`` the Markov property gives the exact forward recursion::

    T1(s, a) = M m1(s) + b m0(s)
    T2(s, a) = M m2(s) M^T + M m1(s) b^T + b m1(s)^T M^T + b b^T m0(s)
    m_{t+1}(s') = sum_{s, a} mu(a|s) P(s'|s, a) T(s, a)

so ``E[u_h]`` and ``E[u_h u_h^T]`` for every horizon ``h <= H`` cost ``O(H S A (S + k) k^2)`` per
coordinate (derived here; a standard moment recursion for additive functionals of a Markov chain).
:func:`is_moments` and :func:`reuse_moments` return them; :func:`is_estimates` and
:func:`reuse_estimates` compute the same estimators on sampled episodes by direct formulas (cumulative
products and sums), an independent implementation the tests compare against.

The growth of the products: ``E_mu[W_h^2] = rho0^T K^(h-1) q`` with ``K(s, s') = sum_a
(p^2/mu)(a|s) P(s'|s, a)`` and ``q(s) = sum_a (p^2/mu)(a|s)`` (:func:`weight_second_moment`), so it
grows like ``r(K)^h``, the spectral radius of ``K`` (:func:`weight_growth_rate`; ``r(K) >= 1`` with
equality iff ``p = mu`` on the states reached). Kong's effective sample size of ``N`` weights is
``(sum W)^2 / sum W^2`` (:func:`effective_sample_size`; Kong 1992, "A note on importance sampling
using standardized weights", Tech. Rep. 348, U. Chicago; ``~ N / E[W^2]``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .evaluation import Evaluation, resolve_evaluation, surrogate_of
from .mdp import MDP
from .sampling import Trajectories
from .validation import (as_float_array, as_policy, as_policy_batch, check_alloc, check_bool,
                         check_int, check_mdp, describe, readonly)

__all__ = [
    "ESTIMATORS",
    "REUSE_ESTIMATORS",
    "ISMoments",
    "is_moments",
    "reuse_moments",
    "is_estimates",
    "reuse_estimates",
    "stale_surrogate_target",
    "weight_second_moment",
    "weight_growth_rate",
    "effective_sample_size",
]

#: Estimators of ``eta(pi_new) - eta(mu)`` (family 1 of the module docstring).
ESTIMATORS = ("full", "per_decision", "per_state")
#: Estimators of ``L_pi(pi_new) - eta(pi)`` from an older ``mu`` (family 2).
REUSE_ESTIMATORS = ("per_decision", "per_state")


@dataclass(frozen=True, eq=False)
class ISMoments:
    """Exact first and second moments of one estimator, for every horizon ``h = 1..H``.

    Attributes
    ----------
    estimator : str, the estimator's name. family : ``"difference"`` or ``"reuse"``.
    gradient : bool, whether the estimate is a gradient (then arrays carry trailing ``(S, A)``).
    mean : (H,) or (H, S, A), ``E_mu[X_h]`` for the estimator computed on episodes of length ``h``
        (:func:`reuse_moments` of a batch of ``B`` behaviour policies: (H, B) or (H, B, S, A)).
    second_moment : same shape, ``E_mu[X_h^2]`` (per coordinate).
    variance : same shape, ``second_moment - mean^2``, clipped at 0 (round-off).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import two_state, uniform
    >>> from tabular.importance import is_moments
    >>> mdp, mu, pi_new = two_state(0.9), uniform(2, 2), np.array([[0.8, 0.2], [0.5, 0.5]])
    >>> mom = is_moments(mdp, mu, pi_new, horizon=40, estimator="full")
    >>> mom
    ISMoments(estimator='full', family='difference', gradient=False, H=40, total_variance[H]=79.02)
    >>> print(mom.horizon, mom.mean.shape, bool(np.all(mom.variance >= 0)))
    40 (40,) True
    """

    estimator: str
    family: str
    gradient: bool
    mean: np.ndarray
    second_moment: np.ndarray
    variance: np.ndarray

    def __repr__(self) -> str:
        H = self.mean.shape[0]
        return (f"ISMoments(estimator={self.estimator!r}, family={self.family!r}, gradient={self.gradient}, "
                f"H={H}, total_variance[H]={float(self.total_variance[-1]):.4g})")

    @property
    def horizon(self) -> int:
        """The longest horizon ``H``."""
        return int(self.mean.shape[0])

    @property
    def total_variance(self) -> np.ndarray:
        """(H,) (or (H, B) for a batch of behaviour policies) the variance, summed over the ``(S, A)``
        coordinates for a gradient (``tr Cov``)."""
        v = self.variance
        return v.sum(axis=(-2, -1)) if self.gradient else v


# ----------------------------------------------------------------------------- validation
def _choice(x, name: str, options: tuple) -> str:
    if not isinstance(x, str) or x not in options:
        raise ValueError(f"{name} must be one of {options}, got {x!r}")
    return x


def _ratio(p: np.ndarray, mu: np.ndarray, p_name: str, mu_name: str) -> np.ndarray:
    """``p / mu`` where ``mu > 0`` (0 elsewhere, never sampled); ``p`` must be absolutely continuous
    with respect to ``mu``, else importance sampling cannot represent it."""
    p, mu = np.broadcast_arrays(p, mu)
    bad = (mu <= 0) & (p > 0)
    if np.any(bad):
        i = tuple(int(x) for x in np.argwhere(bad)[0])
        where = ", ".join(map(str, i))
        raise ValueError(f"{p_name}[{where}] = {p[i]:.3g} > 0 where {mu_name}[{where}] = 0: importance "
                         f"weights need {mu_name} > 0 wherever {p_name} > 0")
    out = np.zeros(p.shape)
    np.divide(p, mu, out=out, where=mu > 0)
    return out


def _full_support(pi_new: np.ndarray, gradient: bool) -> None:
    if gradient and np.any(pi_new <= 0):
        where = ", ".join(str(int(i)) for i in np.argwhere(pi_new <= 0)[0])
        raise ValueError(f"gradients are with respect to softmax logits: pi_new needs full support, "
                         f"got pi_new[{where}] = 0")


def _policies(mdp, names_values):
    S, A = mdp.shape
    return [as_policy(v, S, A, name=n) for n, v in names_values]


def _horizon(horizon, per_step: float = 8.0) -> int:
    """``horizon`` as an int >= 1, refused before allocating if the ``per_step`` bytes of moments
    each step keeps would not fit in memory."""
    H = check_int(horizon, "horizon", lo=1)
    check_alloc(per_step * H, "horizon", horizon, "the moments of every step up to the horizon")
    return H


def _check_work(mdp: MDP, B: int, gradient: bool) -> None:
    """Refuse, before allocating, a recursion whose working arrays (about 100 numbers per state-action
    pair and coordinate: up to 5 x 5 moment templates, 4 of them, per ``(J, S, A)``) would not fit;
    with ``gradient=True`` there are ``J = B S A`` coordinates."""
    SA = mdp.n_states * mdp.n_actions
    J = B * (SA if gradient else 1)
    check_alloc(8.0 * 100 * J * SA, "gradient" if gradient else "mdp", gradient if gradient else mdp,
                f"the exact moment recursion ({J:,} coordinates x S*A = {SA:,} state-action pairs)")


# ----------------------------------------------------------------------------- the moment recursion
def _affine_moments(mdp: MDP, mu: np.ndarray, H: int, u0: np.ndarray, M0, M1, b0, b1):
    """``E[u_h]`` (H, J, k) and ``E[u_h u_h^T]`` (H, J, k, k) for ``h = 1..H`` of the recursion
    ``u_{t+1} = (M0 + gamma^t M1)(s_t, a_t) u_t + (b0 + gamma^t b1)(s_t, a_t)`` along episodes of
    ``mu`` (module docstring). ``M0, M1``: (J, S, A, k, k); ``b0, b1``: (J, S, A, k); ``u0``: (J, k)."""
    S, A = mdp.shape
    J, k = u0.shape
    PT = (mdp.P if mdp.is_sparse else mdp.P.reshape(S * A, S)).T  # push-forward: m' = P^T m
    m0 = np.asarray(mdp.rho0, dtype=np.float64)
    m1 = m0[None, :, None] * u0[:, None, :]
    m2 = m0[None, :, None, None] * (u0[:, :, None] * u0[:, None, :])[:, None]
    mean, second = np.empty((H, J, k)), np.empty((H, J, k, k))
    wmu1, wmu2 = mu[None, :, :, None], mu[None, :, :, None, None]
    for t in range(H):
        gt = mdp.gamma**t
        M, b = M0 + gt * M1, b0 + gt * b1
        Mm1 = np.einsum("jsaik,jsk->jsai", M, m1)
        T1 = Mm1 + b * m0[None, :, None, None]
        cross = Mm1[..., :, None] * b[..., None, :]
        T2 = (M @ m2[:, :, None] @ np.swapaxes(M, -1, -2) + cross + np.swapaxes(cross, -1, -2)
              + b[..., :, None] * b[..., None, :] * m0[None, :, None, None, None])
        T1, T2 = T1 * wmu1, T2 * wmu2  # joint with a_t ~ mu(.|s_t)
        mean[t], second[t] = T1.sum(axis=(1, 2)), T2.sum(axis=(1, 2))
        if t < H - 1:
            m0 = PT @ (mu * m0[:, None]).ravel()
            m1 = (PT @ T1.transpose(1, 2, 0, 3).reshape(S * A, J * k)).reshape(S, J, k).transpose(1, 0, 2)
            m2 = (PT @ T2.transpose(1, 2, 0, 3, 4).reshape(S * A, J * k * k)).reshape(S, J, k, k).transpose(
                1, 0, 2, 3)
    return mean, second


def _templates(J: int, S: int, A: int, k: int):
    z = np.zeros
    return z((J, S, A, k, k)), z((J, S, A, k, k)), z((J, S, A, k)), z((J, S, A, k))


def _scores(pi_new: np.ndarray) -> np.ndarray:
    """``psi_j(s, a) = d log pi_new(a|s) / d theta_new[j]`` for ``j = (s_j, a_j)``: (S*A, S, A),
    ``1{s = s_j} (1{a = a_j} - pi_new(a_j|s_j))`` (tabular softmax); a batch (B, S, A) of policies gives
    (B, S*A, S, A)."""
    *lead, S, A = pi_new.shape
    psi = np.zeros((*lead, S * A, S, A))
    for s in range(S):
        for a in range(A):
            psi[..., s * A + a, s, :] = -pi_new[..., s, a, None]
            psi[..., s * A + a, s, a] += 1.0
    return psi


def _cumulative_score_reference(mdp: MDP, mu, w, g, H: int):
    """:func:`_cumulative_score` through the general recursion :func:`_affine_moments` (the tests'
    reference). Accumulator ``u = (W, W D, X)``::

        W' = w W,   (W D)' = w (W D) + w g W,   X' = X + c (W D)'."""
    S, A = mdp.shape
    J = g.shape[0]
    M0, M1, b0, b1 = _templates(J, S, A, 3)
    R = mdp.R[None]
    M0[..., 0, 0] = w
    M0[..., 1, 0] = w * g
    M0[..., 1, 1] = w
    M0[..., 2, 2] = 1.0
    M1[..., 2, 0] = R * w * g  # c = gamma^t R
    M1[..., 2, 1] = R * w
    u0 = np.tile([1.0, 0.0, 0.0], (J, 1))
    mean, second = _affine_moments(mdp, mu, H, u0, M0, M1, b0, b1)
    return mean[..., 2], second[..., 2, 2]


def _cumulative_score(mdp: MDP, mu, w, g, H: int):
    """Moments (H, J) of ``X = sum_t c_t W_t sum_{u<=t} g(s_u, a_u)`` (``W_t`` products of ``w``;
    ``w = 1`` allowed) for coordinates ``g``: (J, S, A).

    The recursion of :func:`_affine_moments` for ``u = (W, V, X)``, ``V = W D``, written out entry by
    entry (it is the hot loop of the figures): with ``Y = V + g W`` the update is ``W' = w W``,
    ``V' = w Y``, ``X' = X + c w Y``, so ``W'W' = w^2 WW``, ``W'V' = w^2 WY``, ``W'X' = w WX + c w^2 WY``,
    ``V'V' = w^2 YY``, ``V'X' = w XY + c w^2 YY``, ``X'X' = XX + 2 c w XY + c^2 w^2 YY``, where
    ``WY = WV + g WW``, ``XY = VX + g WX``, ``YY = VV + 2 g WV + g^2 WW``."""
    S, A = mdp.shape
    J = g.shape[0]
    Pf = mdp.P if mdp.is_sparse else mdp.P.reshape(S * A, S)
    # moments joint with s_t, each (J, S): m0, W, V, X, WW, WV, WX, VV, VX, XX
    m = np.zeros((10, J, S))
    m[0] = m[1] = m[4] = mdp.rho0[None, :]
    mean, second = np.empty((H, J)), np.empty((H, J))
    w2 = w * w
    for t in range(H):
        c = mdp.gamma**t * mdp.R  # (S, A)
        m0, W, V, X, WW, WV, WX, VV, VX, XX = (x[:, :, None] for x in m)
        Y = V + g * W
        WY = WV + g * WW
        XY = VX + g * WX
        YY = VV + 2.0 * g * WV + g * g * WW
        cw2 = c * w2
        T = np.stack(np.broadcast_arrays(m0, w * W, w * Y, X + c * w * Y, w2 * WW, w2 * WY,
                                         w * WX + cw2 * WY, w2 * YY, w * XY + cw2 * YY,
                                         XX + 2.0 * c * w * XY + c * cw2 * YY)) * mu  # (10, J, S, A)
        mean[t], second[t] = T[3].sum(axis=(1, 2)), T[9].sum(axis=(1, 2))
        if t < H - 1:
            flat = T.reshape(10 * J, S * A)
            m = (Pf.T @ flat.T).T.reshape(10, J, S) if mdp.is_sparse else (flat @ Pf).reshape(10, J, S)
    return mean, second


def _full_value(mdp: MDP, mu, w, H: int):
    """``X = W G - G``: ``u = (W, G, W G)``, ``W' = w W``, ``G' = G + c``, ``(W G)' = w (W G) + c w W``."""
    S, A = mdp.shape
    M0, M1, b0, b1 = _templates(1, S, A, 3)
    M0[..., 0, 0] = w
    M0[..., 1, 1] = 1.0
    M0[..., 2, 2] = w
    M1[..., 2, 0] = mdp.R * w
    b1[..., 1] = mdp.R
    mean, second = _affine_moments(mdp, mu, H, np.array([[1.0, 0.0, 0.0]]), M0, M1, b0, b1)
    ell = np.array([0.0, -1.0, 1.0])
    return mean @ ell, np.einsum("hjkl,k,l->hj", second, ell, ell)


def _full_gradient(mdp: MDP, mu, w, psi, H: int):
    """``X = W G Psi`` (``Psi = sum_u psi_u``): ``u = (W, G, W G, W Psi, W G Psi)`` with
    ``(W Psi)' = w (W Psi) + w psi W`` and ``(W G Psi)' = w [W G Psi + psi W G + c W Psi + c psi W]``."""
    S, A = mdp.shape
    J = psi.shape[0]
    M0, M1, b0, b1 = _templates(J, S, A, 5)
    R = mdp.R[None]
    M0[..., 0, 0] = w
    M0[..., 1, 1] = 1.0
    M0[..., 2, 2] = w
    M1[..., 2, 0] = R * w
    M0[..., 3, 0] = w * psi
    M0[..., 3, 3] = w
    M0[..., 4, 4] = w
    M0[..., 4, 2] = w * psi
    M1[..., 4, 3] = R * w
    M1[..., 4, 0] = R * w * psi
    b1[..., 1] = R
    u0 = np.tile([1.0, 0.0, 0.0, 0.0, 0.0], (J, 1))
    mean, second = _affine_moments(mdp, mu, H, u0, M0, M1, b0, b1)
    return mean[..., 4], second[..., 4, 4]


def _per_decision_value(mdp: MDP, mu, w, H: int):
    """``X = sum_t c_t (W_t - 1)``: ``u = (W, X)``, ``W' = w W``, ``X' = X + c w W - c``."""
    S, A = mdp.shape
    M0, M1, b0, b1 = _templates(1, S, A, 2)
    M0[..., 0, 0] = w
    M0[..., 1, 1] = 1.0
    M1[..., 1, 0] = mdp.R * w
    b1[..., 1] = -mdp.R
    mean, second = _affine_moments(mdp, mu, H, np.array([[1.0, 0.0]]), M0, M1, b0, b1)
    return mean[..., 1], second[..., 1, 1]


def _moments_result(estimator, family, gradient, mean, second, shape, batch=None) -> ISMoments:
    """Reshape (H, [B *] J) moments to (H, [B,] [S, A])."""
    H = mean.shape[0]
    lead = (H,) if batch is None else (H, batch)
    tail = tuple(shape) if gradient else ()
    mean, second = mean.reshape(*lead, *tail), second.reshape(*lead, *tail)
    var = np.maximum(second - mean**2, 0.0)
    return ISMoments(estimator, family, bool(gradient), readonly(mean), readonly(second), readonly(var))


def is_moments(mdp: MDP, mu, pi_new, horizon: int, estimator: str = "per_decision",
               gradient: bool = False) -> ISMoments:
    """Exact mean and variance of an estimator of ``eta(pi_new) - eta(mu)`` from episodes of ``mu``.

    ``estimator`` is ``"full"`` (full-trajectory IS), ``"per_decision"`` (Precup et al. 2000) or
    ``"per_state"`` (the single-step ratio of Eq. (14) of [TRPO]); formulas in the module docstring.
    The first two have mean ``eta_h(pi_new) - eta_h(mu)`` (truncated at ``h``); the per-state ratio's
    mean tends to ``L_mu(pi_new) - eta(mu)`` (Eq. (3)). With ``gradient=True`` the estimate is the
    gradient with respect to the softmax logits of ``pi_new`` (means ``grad eta_h(pi_new)`` resp.
    ``-> grad L_mu(pi_new)``).

    Parameters
    ----------
    mdp : MDP (dense or sparse). mu : (S, A) behaviour policy. pi_new : (S, A) target policy, with
        ``mu > 0`` wherever ``pi_new > 0`` (full support for ``gradient=True``).
    horizon : int >= 1, the longest episode length ``H``. estimator : str. gradient : bool.

    Returns
    -------
    ISMoments with moments for every horizon ``h = 1..H``.

    Examples
    --------
    Full-trajectory and per-decision IS are unbiased for ``eta_H(pi_new) - eta_H(mu)`` (here ``H = 40``
    and the difference is already that of the infinite horizon to 1e-11), per decision with a
    smaller variance; the per-state ratio of Eq. (14) of [TRPO] estimates ``L_mu(pi_new) - eta(mu)``
    instead:

    >>> import numpy as np
    >>> from tabular import evaluate, surrogate, two_state, uniform
    >>> from tabular.importance import is_moments
    >>> mdp, mu, pi_new = two_state(0.9), uniform(2, 2), np.array([[0.8, 0.2], [0.5, 0.5]])
    >>> eta_mu = evaluate(mdp, mu).eta
    >>> print(f"eta(pi_new) - eta(mu) = {evaluate(mdp, pi_new).eta - eta_mu:.6f}, "
    ...       f"L_mu(pi_new) - eta(mu) = {surrogate(mdp, mu, pi_new) - eta_mu:.6f}")
    eta(pi_new) - eta(mu) = -0.015121, L_mu(pi_new) - eta(mu) = -0.012487
    >>> for est in ("full", "per_decision", "per_state"):
    ...     m = is_moments(mdp, mu, pi_new, horizon=40, estimator=est)
    ...     print(f"{est:>12}: mean {m.mean[-1]:.6f}, variance {m.variance[-1]:.2f}")
            full: mean -0.015121, variance 79.02
    per_decision: mean -0.015121, variance 11.54
       per_state: mean -0.012487, variance 5.45
    """
    mdp = check_mdp(mdp)
    mu, pi_new = _policies(mdp, (("mu", mu), ("pi_new", pi_new)))
    estimator = _choice(estimator, "estimator", ESTIMATORS)
    gradient = check_bool(gradient, "gradient")
    H = _horizon(horizon, 8.0 * 3 * (mdp.n_states * mdp.n_actions if gradient else 1))  # mean, second, var
    _check_work(mdp, 1, gradient)
    _full_support(pi_new, gradient)
    w = _ratio(pi_new, mu, "pi_new", "mu")
    if estimator == "per_state":
        g = (w * _scores(pi_new)) if gradient else (w - 1.0)[None]  # d/dtheta_new of (w - 1) = w psi
        mean, second = _cumulative_score(mdp, mu, np.ones_like(w), g, H)
    elif estimator == "per_decision":
        mean, second = (_cumulative_score(mdp, mu, w, _scores(pi_new), H) if gradient
                        else _per_decision_value(mdp, mu, w, H))
    else:
        mean, second = _full_gradient(mdp, mu, w, _scores(pi_new), H) if gradient else _full_value(mdp, mu, w, H)
    return _moments_result(estimator, "difference", gradient, mean, second, mdp.shape)


def _policy_or_batch(mdp: MDP, x, name: str) -> np.ndarray:
    S, A = mdp.shape
    return as_policy_batch(x, S, A, name=name) if np.ndim(x) == 3 else as_policy(x, S, A, name=name)[None]


def reuse_moments(mdp: MDP, mu, pi, pi_new, horizon: int, estimator: str = "per_decision",
                  gradient: bool = False) -> ISMoments:
    """Exact mean and variance of an estimate of ``L_pi(pi_new) - eta(pi)`` from episodes of an older ``mu``.

    ``"per_decision"``: ``sum_t c_t W_t sum_{u<=t} (pi_new/pi - 1)_u`` with ``W_t`` the products of
    ``pi/mu``, unbiased up to truncation for ``L_pi(pi_new) - eta(pi)`` (Eq. (3) of [TRPO]).
    ``"per_state"``: ``sum_t gamma^t ((pi_new - pi)/mu)_t G_t``, the per-state ratio of Eq. (14) applied
    to the old samples, whose mean tends to ``L_mu(pi_new) - L_mu(pi)`` (:func:`stale_surrogate_target`).
    ``gradient=True``: the gradient with respect to the softmax logits of ``pi_new`` (means
    ``grad L_pi(pi_new)`` resp. ``grad L_mu(pi_new)``; at ``pi_new = pi`` the former is ``grad eta(pi)``,
    Eq. (4)). ``mu = pi`` makes both estimators the on-policy Eq. (14) estimate.

    Parameters
    ----------
    mdp : MDP. mu : (S, A) the policy that sampled the episodes. pi : (S, A) the current policy.
    pi_new : (S, A) the candidate. ``mu > 0`` wherever ``pi`` or ``pi_new`` is, and ``pi > 0`` wherever
        ``pi_new`` is (per decision). Any of the three may instead be a batch (B, S, A); they are
        broadcast together and computed in one pass of the recursion, and the results gain a batch
        axis after the horizon.
    horizon : int >= 1. estimator : str. gradient : bool.

    Examples
    --------
    Per-decision reuse of ``mu``'s episodes is unbiased for the current surrogate
    ``L_pi(pi_new) - eta(pi)``; the per-state ratio estimates the stale ``L_mu(pi_new) - L_mu(pi)``:

    >>> import numpy as np
    >>> from tabular import evaluate, surrogate, two_state, uniform
    >>> from tabular.importance import reuse_moments, stale_surrogate_target
    >>> mdp, mu = two_state(0.9), uniform(2, 2)
    >>> pi, pi_new = np.array([[0.6, 0.4], [0.5, 0.5]]), np.array([[0.8, 0.2], [0.5, 0.5]])
    >>> pd = reuse_moments(mdp, mu, pi, pi_new, horizon=40, estimator="per_decision")
    >>> ps = reuse_moments(mdp, mu, pi, pi_new, horizon=40, estimator="per_state")
    >>> print(f"{pd.mean[-1]:.6f} {surrogate(mdp, pi, pi_new) - evaluate(mdp, pi).eta:.6f}")
    -0.009383 -0.009383
    >>> print(f"{ps.mean[-1]:.6f} {stale_surrogate_target(mdp, mu, pi, pi_new):.6f}")
    -0.008325 -0.008325
    """
    mdp = check_mdp(mdp)
    S, A = mdp.shape
    batched = any(np.ndim(x) == 3 for x in (mu, pi, pi_new))
    mus, pis, news = (_policy_or_batch(mdp, x, n) for x, n in ((mu, "mu"), (pi, "pi"), (pi_new, "pi_new")))
    try:
        B = np.broadcast_shapes(mus.shape, pis.shape, news.shape)[0]
    except ValueError:
        raise ValueError(f"batches of mu, pi and pi_new must have one length (or 1), got "
                         f"{mus.shape[0]}, {pis.shape[0]}, {news.shape[0]}") from None
    mus, pis, news = (np.broadcast_to(x, (B, S, A)) for x in (mus, pis, news))
    estimator = _choice(estimator, "estimator", REUSE_ESTIMATORS)
    gradient = check_bool(gradient, "gradient")
    H = _horizon(horizon, 8.0 * 3 * B * (S * A if gradient else 1))  # mean, second, var
    _check_work(mdp, B, gradient)
    # errors name (s, a) for single policies and (b, s, a) for batches
    ratio = _ratio if batched else (lambda p, q, pn, qn: _ratio(p[0], q[0], pn, qn)[None])
    _full_support(news if batched else news[0], gradient)
    w_pi = ratio(pis, mus, "pi", "mu")  # (B, S, A)
    if estimator == "per_decision":
        e = ratio(news, pis, "pi_new", "pi")
        g = e[:, None] * _scores(news) if gradient else (e - 1.0)[:, None]  # (B, J, S, A)
        w = w_pi
    else:
        f = ratio(news, mus, "pi_new", "mu")
        g = f[:, None] * _scores(news) if gradient else (f - w_pi)[:, None]
        w = np.ones_like(w_pi)
    J = g.shape[1]
    rep = lambda x: np.repeat(x, J, axis=0)  # noqa: E731  (one row per (batch element, coordinate))
    mean, second = _cumulative_score(mdp, rep(mus), rep(w), g.reshape(B * J, S, A), H)
    return _moments_result(estimator, "reuse", gradient, mean, second, mdp.shape, B if batched else None)


def stale_surrogate_target(mdp: MDP, mu, pi, pi_new, ev_mu: Evaluation | None = None) -> float:
    """``L_mu(pi_new) - L_mu(pi) = sum_s rho_mu(s) sum_a (pi_new - pi)(a|s) A_mu(s, a)`` (Eq. (3) of
    [TRPO] twice): the infinite-horizon mean of the ``"per_state"`` reuse estimator.

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import surrogate, two_state, uniform
    >>> from tabular.importance import stale_surrogate_target
    >>> mdp, mu = two_state(0.9), uniform(2, 2)
    >>> pi, pi_new = np.array([[0.6, 0.4], [0.5, 0.5]]), np.array([[0.8, 0.2], [0.5, 0.5]])
    >>> t = stale_surrogate_target(mdp, mu, pi, pi_new)
    >>> bool(np.isclose(t, surrogate(mdp, mu, pi_new) - surrogate(mdp, mu, pi)))
    True
    """
    mdp = check_mdp(mdp)
    mu, pi, pi_new = _policies(mdp, (("mu", mu), ("pi", pi), ("pi_new", pi_new)))
    ev = resolve_evaluation(mdp, mu, ev_mu, "ev_mu")
    return surrogate_of(ev, pi_new) - surrogate_of(ev, pi)  # Eq. (3)


# ----------------------------------------------------------------------------- sampled estimates
def _episode_arrays(traj, mdp_shape_from: np.ndarray):
    if not isinstance(traj, Trajectories):
        raise TypeError(f"traj must be a tabular.sampling.Trajectories, got {type(traj).__name__}")
    S, A = mdp_shape_from.shape
    traj.check_indices(S, A)  # the states and actions index policies of shape (S, A)
    s, a = traj.states, traj.actions
    disc = traj.discounts()[None, :]
    return s, a, disc * traj.rewards, disc


def _score_sum(pi_new: np.ndarray, s: np.ndarray, a: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """``sum_t coef[i, t] psi(s_t, a_t)`` per episode, (N, S, A), ``psi = e_{s,a} - pi_new(.|s)``."""
    N, H = s.shape
    S, A = pi_new.shape
    ep = np.repeat(np.arange(N), H)
    out = np.bincount(ep * S * A + (s * A + a).ravel(), weights=coef.ravel(), minlength=N * S * A)
    W = np.bincount(ep * S + s.ravel(), weights=coef.ravel(), minlength=N * S)
    return out.reshape(N, S, A) - W.reshape(N, S)[:, :, None] * pi_new[None]


def _rev_cumsum(x: np.ndarray) -> np.ndarray:
    return np.cumsum(x[:, ::-1], axis=1)[:, ::-1]


def is_estimates(traj: Trajectories, mu, pi_new, estimator: str = "per_decision",
                 gradient: bool = False) -> np.ndarray:
    """Per-episode estimates of ``eta(pi_new) - eta(mu)`` (or its gradient) from episodes of ``mu``.

    The estimators of :func:`is_moments`, by direct formulas: ``(W_{H-1} - 1) G`` (full),
    ``sum_t c_t (W_t - 1)`` (per decision), ``sum_t gamma^t (w_t - 1) G_t`` (per state, Eq. (14));
    gradients ``W_{H-1} G sum_t psi_t``, ``sum_u psi_u sum_{t>=u} c_t W_t`` and
    ``sum_t gamma^t w_t G_t psi_t``. Returns (N,) or (N, S, A).

    Examples
    --------
    The sample mean of the per-decision estimates agrees with the exact mean of :func:`is_moments`:

    >>> import numpy as np
    >>> from tabular import two_state, uniform
    >>> from tabular.importance import is_estimates, is_moments
    >>> from tabular.sampling import sample_trajectories
    >>> mdp, mu, pi_new = two_state(0.9), uniform(2, 2), np.array([[0.8, 0.2], [0.5, 0.5]])
    >>> traj = sample_trajectories(mdp, mu, n_episodes=4000, horizon=40, rng=0)
    >>> X = is_estimates(traj, mu, pi_new, "per_decision")
    >>> exact = is_moments(mdp, mu, pi_new, 40, "per_decision").mean[-1]
    >>> print(X.shape, bool(abs(X.mean() - exact) < 3 * X.std() / np.sqrt(X.size)))
    (4000,) True
    """
    pi_new = as_policy(pi_new, name="pi_new")
    mu = as_policy(mu, *pi_new.shape, name="mu")
    estimator = _choice(estimator, "estimator", ESTIMATORS)
    gradient = check_bool(gradient, "gradient")
    _full_support(pi_new, gradient)
    s, a, c, disc = _episode_arrays(traj, mu)
    if gradient:
        check_alloc(8.0 * s.shape[0] * mu.size, "traj", traj, "one (S, A) gradient estimate per episode")
    w = _ratio(pi_new, mu, "pi_new", "mu")[s, a]
    if estimator == "full":
        WH, G = np.prod(w, axis=1), c.sum(axis=1)
        if not gradient:
            return (WH - 1.0) * G
        return _score_sum(pi_new, s, a, np.broadcast_to((WH * G)[:, None], s.shape))
    if estimator == "per_decision":
        W = np.cumprod(w, axis=1)
        if not gradient:
            return np.sum(c * (W - 1.0), axis=1)
        return _score_sum(pi_new, s, a, _rev_cumsum(c * W))
    Gt = traj.returns_to_go()
    if not gradient:
        return np.sum(disc * (w - 1.0) * Gt, axis=1)
    return _score_sum(pi_new, s, a, disc * w * Gt)


def reuse_estimates(traj: Trajectories, mu, pi, pi_new, estimator: str = "per_decision",
                    gradient: bool = False) -> np.ndarray:
    """Per-episode estimates of ``L_pi(pi_new) - eta(pi)`` (or its gradient) from episodes of ``mu``.

    The estimators of :func:`reuse_moments`, by direct formulas: per decision
    ``sum_t c_t W_t D_t`` (``W`` products of ``pi/mu``, ``D_t = sum_{u<=t} (pi_new/pi - 1)_u``), gradient
    ``sum_u (pi_new/pi)_u psi_u sum_{t>=u} c_t W_t``; per state ``sum_t gamma^t ((pi_new - pi)/mu)_t G_t``,
    gradient ``sum_t gamma^t (pi_new/mu)_t G_t psi_t``. Returns (N,) or (N, S, A).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import two_state, uniform
    >>> from tabular.importance import reuse_estimates, reuse_moments
    >>> from tabular.sampling import sample_trajectories
    >>> mdp, mu = two_state(0.9), uniform(2, 2)
    >>> pi, pi_new = np.array([[0.6, 0.4], [0.5, 0.5]]), np.array([[0.8, 0.2], [0.5, 0.5]])
    >>> traj = sample_trajectories(mdp, mu, n_episodes=4000, horizon=40, rng=0)
    >>> X = reuse_estimates(traj, mu, pi, pi_new, "per_decision")
    >>> exact = reuse_moments(mdp, mu, pi, pi_new, 40, "per_decision").mean[-1]
    >>> bool(abs(X.mean() - exact) < 3 * X.std() / np.sqrt(X.size))
    True
    """
    pi_new = as_policy(pi_new, name="pi_new")
    mu = as_policy(mu, *pi_new.shape, name="mu")
    pi = as_policy(pi, *pi_new.shape, name="pi")
    estimator = _choice(estimator, "estimator", REUSE_ESTIMATORS)
    gradient = check_bool(gradient, "gradient")
    _full_support(pi_new, gradient)
    s, a, c, disc = _episode_arrays(traj, mu)
    if gradient:
        check_alloc(8.0 * s.shape[0] * mu.size, "traj", traj, "one (S, A) gradient estimate per episode")
    w_pi = _ratio(pi, mu, "pi", "mu")
    if estimator == "per_decision":
        e = _ratio(pi_new, pi, "pi_new", "pi")[s, a]
        W = np.cumprod(w_pi[s, a], axis=1)
        if not gradient:
            return np.sum(c * W * np.cumsum(e - 1.0, axis=1), axis=1)
        return _score_sum(pi_new, s, a, e * _rev_cumsum(c * W))
    f = _ratio(pi_new, mu, "pi_new", "mu")
    Gt = traj.returns_to_go()
    if not gradient:
        return np.sum(disc * (f - w_pi)[s, a] * Gt, axis=1)
    return _score_sum(pi_new, s, a, disc * f[s, a] * Gt)


# ----------------------------------------------------------------------------- the weights
def _weight_matrix(mdp: MDP, mu: np.ndarray, p: np.ndarray):
    """``K(s, s') = sum_a (p^2/mu)(a|s) P(s'|s, a)`` (dense (S, S) or CSR) and ``q(s) = sum_a p^2/mu``."""
    S, A = mdp.shape
    x = _ratio(p, mu, "pi", "mu") * p  # p^2 / mu
    if mdp.is_sparse:
        agg = sp.csr_array((x.ravel(), (np.repeat(np.arange(S), A), np.arange(S * A))), shape=(S, S * A))
        K = agg @ mdp.P
    else:
        K = np.einsum("sa,sat->st", x, mdp.P)
    return K, x.sum(axis=1)


def weight_second_moment(mdp: MDP, mu, pi, horizon: int) -> np.ndarray:
    """``E_mu[W_h^2]`` for ``h = 1..H``, ``W_h = prod_{t<h} pi(a_t|s_t)/mu(a_t|s_t)`` (module docstring):
    ``rho0^T K^(h-1) q``. ``E_mu[W_h] = 1``, so ``Var W_h = E[W_h^2] - 1`` and Kong's effective sample
    size of ``N`` episodes is about ``N / E[W_h^2]``. Returns (H,).

    Examples
    --------
    >>> import numpy as np
    >>> from tabular import two_state, uniform
    >>> from tabular.importance import weight_second_moment
    >>> m2 = weight_second_moment(two_state(0.9), uniform(2, 2), np.array([[0.8, 0.2], [0.5, 0.5]]), horizon=3)
    >>> print(np.round(m2, 6))  # E[W_1^2] = 0.5 * (0.8^2 + 0.2^2) / 0.5 + 0.5 * 1 = 1.18
    [1.18     1.2952   1.368928]
    """
    mdp = check_mdp(mdp)
    mu, pi = _policies(mdp, (("mu", mu), ("pi", pi)))
    H = _horizon(horizon)
    K, q = _weight_matrix(mdp, mu, pi)
    out, v = np.empty(H), np.asarray(mdp.rho0, dtype=np.float64)
    for h in range(H):
        out[h] = v @ q
        v = K.T @ v
    return out


def weight_growth_rate(mdp: MDP, mu, pi) -> float:
    """The spectral radius ``r(K)`` of ``K(s, s') = sum_a (pi^2/mu)(a|s) P(s'|s, a)``: ``E_mu[W_h^2]``
    grows like ``r(K)^h`` (Perron-Frobenius; ``K`` is non-negative). For a sparse model with more than
    2,000 states ARPACK finds the largest-magnitude eigenvalue.

    Examples
    --------
    ``E_mu[W_h^2]`` grows like ``r^h`` for the spectral radius ``r``:

    >>> import numpy as np
    >>> from tabular import garnet, softmax, uniform
    >>> from tabular.importance import weight_growth_rate, weight_second_moment
    >>> mdp = garnet(6, 2, rng=0)
    >>> mu, pi = uniform(mdp), softmax(np.random.default_rng(1).standard_normal((6, 2)))
    >>> r = weight_growth_rate(mdp, mu, pi)
    >>> m2 = weight_second_moment(mdp, mu, pi, horizon=60)
    >>> print(f"{r:.4f} {m2[-1] / m2[-2]:.4f}")
    1.2262 1.2262
    """
    mdp = check_mdp(mdp)
    mu, pi = _policies(mdp, (("mu", mu), ("pi", pi)))
    K, _ = _weight_matrix(mdp, mu, pi)
    if sp.issparse(K):
        if K.shape[0] <= 2000:
            K = K.toarray()
        else:
            from scipy.sparse.linalg import eigs

            return float(np.abs(eigs(K, k=1, which="LM", return_eigenvectors=False)[0]))
    return float(np.max(np.abs(np.linalg.eigvals(K))))


def effective_sample_size(weights) -> float:
    """Kong's effective sample size ``(sum_i W_i)^2 / sum_i W_i^2`` of non-negative importance weights
    (Kong 1992; Liu 1996, "Metropolized independent sampling"), between 1 and ``N``.

    Examples
    --------
    >>> from tabular.importance import effective_sample_size
    >>> print(effective_sample_size([1.0, 1.0, 1.0, 1.0]), effective_sample_size([4.0, 0.0, 0.0, 0.0]))
    4.0 1.0
    """
    w = as_float_array(weights, "weights", ndim=1)
    if w.size == 0 or np.any(w < 0) or not np.any(w > 0):
        raise ValueError(f"weights must be a non-empty 1-D array of non-negative numbers, not all zero; "
                         f"got {describe(weights)}")
    w = w / w.max()  # scale-free: (sum w)^2 / sum w^2 is unchanged, and no overflow or underflow to 0
    return float(w.sum() ** 2 / np.sum(w * w))

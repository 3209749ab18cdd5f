"""The bounds of THEORY.md §3 and the non-theorems of §6, each ONE record with its penalty written once
over the named quantities (:mod:`.quantities`); registered in this order when :mod:`bounds.registry`
is imported. Adding a bound of the theory: a record here, its row in THEORY.md and its independent
transcription in ``tests/reference.py`` (docs/guide/adding_a_bound.md; a test fails if either is missing)."""

from __future__ import annotations

from .records import Bound

__all__ = ["THEORY_BOUNDS", "NON_THEOREMS"]

NOTE_TRPO = "rho unnormalized (sums to 1/(1-gamma)); L by Eq. (3)"


def theorem1(q, ops):
    """Theorem 1 of [TRPO], Eq. (8): ``C alpha^2``, ``alpha = D_TV^max``, ``C = 4 eps gamma / (1-gamma)^2``."""
    return q.C * q.alpha ** 2  # Eq. (8)


def theorem1_tight(q, ops):
    """The proof of Theorem 1 ([TRPO] Appendix A, Eq. (44)): ``4 alpha^2 gamma eps / ((1-gamma)(1-gamma(1-alpha)))``."""
    g, a = q.gamma, q.alpha
    return 4 * a ** 2 * g * q.eps / ((1 - g) * (1 - g * (1 - a)))  # Eq. (44)


def kl_max(q, ops):
    """Eq. (9) of [TRPO]: ``C D_KL^max(pi, pi_new)`` (``D_TV^2 <= D_KL``, Pollard), ``0·inf = 0``."""
    return ops.times(q.C, q.kl_max)  # Eq. (9)


def kl_max_pinsker(q, ops):
    """Eq. (9) with Pinsker's constant (``D_TV^2 <= D_KL / 2``): ``(C/2) D_KL^max``."""
    return ops.times(q.C / 2, q.kl_max)  # Eq. (9), Pinsker


def cpi(q, ops):
    """Eq. (6) of [TRPO] through the smallest mixture ``pi_new = (1-alpha) pi + alpha pi'``:
    ``2 eps' gamma alpha^2 / (1-gamma)^2``."""
    g = q.gamma
    return 2 * q.eps_prime * g * q.cpi_alpha ** 2 / (1 - g) ** 2  # Eq. (6)


def kl02(q, ops):
    """[KL02] Theorem 4.1 in [TRPO] units: ``2 alpha^2 gamma eps' / ((1-gamma)(1-gamma(1-alpha)))``."""
    g, a = q.gamma, q.cpi_alpha
    return 2 * a ** 2 * g * q.eps_prime / ((1 - g) * (1 - g * (1 - a)))  # [KL02] Thm 4.1


def _cpo_coef(q):
    return 2 * q.gamma * q.eps_new / (1 - q.gamma) ** 2  # [CPO] Cor. 1, 3


def cpo_tv(q, ops):
    """[CPO] Corollary 1: ``(2 gamma eps^new / (1-gamma)^2) sum_s d(s) D_TV(s)``."""
    return ops.times(_cpo_coef(q), q.mean_tv)  # [CPO] Cor. 1


def cpo_kl(q, ops):
    """[CPO] Corollary 3: ``(2 gamma eps^new / (1-gamma)^2) sqrt(1/2 sum_s d(s) KL(pi_new || pi)(s))``."""
    return ops.times(_cpo_coef(q), ops.sqrt(ops.weighted_sum(q.d, q.kl_rev) / 2))  # [CPO] Cor. 3


def spi(q, ops):
    """[SPI] Theorem 3.5 in [TRPO] units: ``(gamma/(1-gamma)^2) ||pi_new - pi||_inf (max Abar - min Abar) / 2``
    with ``||pi_new - pi||_inf = max_s sum_a |pi_new - pi| = 2 alpha``."""
    g = q.gamma
    return g / (1 - g) ** 2 * (2 * q.alpha) * (ops.max(q.Abar) - ops.min(q.Abar)) / 2  # [SPI] Thm 3.5


def span(q, ops):
    """The resolvent-span bound (THEORY.md §3): ``(gamma/(1-gamma)) sum_s d(s) D_TV(s) (max w - min w)``."""
    return q.gamma / (1 - q.gamma) * q.mean_tv * q.span_w  # THEORY.md §3


def cpo_general(q, ops):
    """[CPO] Theorem 1, half-width: ``(2 gamma eps_f / (1-gamma)^2) sum_s d(s) D_TV(s)``."""
    return ops.times(2 * q.gamma * q.eps_f / (1 - q.gamma) ** 2, q.mean_tv)  # [CPO] Thm 1


def cpo_general_centre(q, ops):
    """[CPO] Theorem 1, centre: ``eta(pi) + L_f / (1-gamma)``."""
    return q.cpo_centre


def mean_kl(q, ops):
    """FALSE (THEORY.md §6): Eq. (9) with the max replaced by the rho-weighted sum of Eq. (12)."""
    return ops.times(q.C, ops.weighted_sum(q.rho, q.kl))


def mean_kl_d(q, ops):
    """FALSE (THEORY.md §6): the same with the normalized ``d``."""
    return ops.times(q.C, ops.weighted_sum(q.d, q.kl))


def mean_tv_squared(q, ops):
    """FALSE (THEORY.md §6): ``C E_d[D_TV^2]``."""
    return q.C * ops.weighted_sum(q.d, q.tv ** 2)


def squared_mean_tv(q, ops):
    """FALSE (THEORY.md §6): ``C (E_d D_TV)^2``."""
    return q.C * q.mean_tv ** 2


def surrogate_monotone(q, ops):
    """FALSE (THEORY.md §6): "``L > eta(pi)`` implies ``eta(pi_new) >= eta(pi)``" as the lower bound
    ``eta(pi) = L - (L - eta)``, claimed only where ``L > eta + atol`` (penalty ``inf`` elsewhere)."""
    return ops.where(q.L > q.eta + q.atol, q.L - q.eta, ops.inf)


_TV = "two-sided; TV averaged over normalized d_pi"
THEORY_BOUNDS = (
    Bound("theorem1", theorem1, "eta_new >= L - C maxTV^2", "[TRPO] Theorem 1, Eq. (8)", "Thm 1, Eq. (8)",
          constants=("eps", "alpha", "C", "gamma"), notes="alpha = max-TV; " + NOTE_TRPO),
    Bound("theorem1_tight", theorem1_tight, "|eta_new - L| <= 4 a^2 g eps/((1-g)(1-g(1-a)))",
          "[TRPO] proof of Theorem 1, Eq. (44)", "Thm 1 proof, Eq. (44)", two_sided=True,
          constants=("eps", "alpha", "gamma"), notes="two-sided; alpha = max-TV; " + NOTE_TRPO),
    Bound("kl_max", kl_max, "eta_new >= L - C maxKL", "[TRPO] Eq. (9)", "max-KL, Eq. (9)",
          constants=("eps", "kl_max", "C", "gamma"), notes="KL(pi || pi_new), max over states; " + NOTE_TRPO,
          aliases=("kl_bound",)),
    Bound("kl_max_pinsker", kl_max_pinsker, "eta_new >= L - (C/2) maxKL", "[TRPO] Eq. (9) with Pinsker (C/2)",
          "max-KL, Pinsker", constants=("eps", "kl_max", "C", "gamma"),
          notes="KL(pi || pi_new), max over states; C/2; " + NOTE_TRPO),
    Bound("cpi", cpi, "Eq. (6) through the smallest mixture decomposition", "[TRPO] Eq. (6) ([KL02] in TRPO units)",
          "CPI, Eq. (6)", constants=("alpha=cpi_alpha", "eps_prime", "A_prime", "gamma"),
          notes="mixture (1-alpha) pi + alpha pi'; " + NOTE_TRPO, aliases=("cpi_bound",)),
    Bound("kl02", kl02, "[KL02] Thm 4.1 through the smallest mixture decomposition", "[KL02] Theorem 4.1 (TRPO units)",
          "KL02 Thm 4.1", constants=("alpha=cpi_alpha", "eps_prime", "A_prime", "gamma"),
          notes="mixture (1-alpha) pi + alpha pi'; values unnormalized; " + NOTE_TRPO, aliases=("kl02_bound",)),
    Bound("cpo_tv", cpo_tv, "|eta_new - L| <= 2 g eps_new/(1-g)^2 E_d TV", "[CPO] Corollary 1", "CPO Cor. 1",
          two_sided=True, constants=("eps_new", "mean_tv_d=mean_tv", "gamma"), notes=_TV, aliases=("cpo_bound",)),
    Bound("cpo_kl", cpo_kl, "|eta_new - L| <= 2 g eps_new/(1-g)^2 sqrt(E_d KL(new||old)/2)", "[CPO] Corollary 3",
          "CPO Cor. 3", two_sided=True, constants=("eps_new", "gamma"),
          notes="two-sided; KL(pi_new || pi) averaged over normalized d_pi"),
    Bound("spi", spi, "eta_new - eta >= rho.Abar - g/(1-g)^2 |pi_new - pi|_inf dAbar/2", "[SPI] Theorem 3.5",
          "SPI Thm 3.5", constants=("alpha", "gamma"), notes="rho unnormalized; " + NOTE_TRPO, aliases=("spi_bound",)),
    Bound("span", span, "|eta_new - L| <= g/(1-g) E_d TV (max w - min w)", "THEORY.md §3 resolvent-span bound",
          "resolvent span", two_sided=True, constants=("span_w", "mean_tv_d=mean_tv", "gamma"), notes=_TV,
          aliases=("span_bound",)),
    Bound("cpo_general", cpo_general, "|eta_new - eta - L_f/(1-g)| <= 2 g eps_f/(1-g)^2 E_d TV", "[CPO] Theorem 1",
          "CPO Thm 1, f = T V", two_sided=True, centre=cpo_general_centre,
          centred_on="eta(pi) + L_f/(1-gamma) with f = T_{pi_new} V_pi ([CPO] Theorem 1), not L",
          constants=("eps_f", "L_f", "mean_tv_d=mean_tv", "gamma"),
          notes="f = T_{pi_new} V_pi; lower bound = rhs, upper bound = constants['upper'] (both in holds); "
                "TV averaged over normalized d_pi", aliases=("cpo_general_bound",)),
)

_FALSE = "THEORY.md §6 (false)"
NON_THEOREMS = (
    Bound("mean_kl", mean_kl, "eta_new >= L - C sum_s rho(s) KL(s)", _FALSE, "mean-KL (rho)", theorem=False,
          aliases=("mean_kl_rho", "mean_kl_candidate")),
    Bound("mean_kl_d", mean_kl_d, "eta_new >= L - C sum_s d(s) KL(s)", _FALSE, "mean-KL (d)", theorem=False),
    Bound("mean_tv_squared", mean_tv_squared, "eta_new >= L - C E_d[TV^2]", _FALSE, "mean TV^2", theorem=False,
          aliases=("mean_tv_squared_candidate",)),
    Bound("squared_mean_tv", squared_mean_tv, "eta_new >= L - C (E_d TV)^2", _FALSE, "(mean TV)^2", theorem=False,
          aliases=("squared_mean_tv_candidate",)),
    Bound("surrogate_monotone", surrogate_monotone, "L > eta implies eta_new >= eta", _FALSE, "L up => eta up",
          theorem=False, aliases=("surrogate_monotone_candidate",)),
)

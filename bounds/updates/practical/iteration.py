"""Sample-based TRPO iterated: fresh single-path or vine samples of every policy, one practical step
each ([TRPO] §5-6; THEORY.md §5)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tabular.evaluation import evaluate
from tabular.mdp import MDP
from tabular.parametric import TabularSoftmax
from tabular.validation import check_int, summary_repr

from .step import trpo_step_samples

__all__ = ["SampleTRPOHistory", "sample_trpo"]


@dataclass(frozen=True, eq=False)
class SampleTRPOHistory:
    """Sample-based TRPO: exact ``eta`` of each iterate, environment steps used, and the steps taken.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds.updates.practical.iteration import sample_trpo
    >>> h = sample_trpo(T.garnet(4, 2, rng=0), np.zeros(8), 0.01, 2, budget=500, rng=0)
    >>> h.eta.shape, h.steps_used.shape, len(h.thetas), len(h.results)
    ((3,), (3,), 3, 2)
    """

    eta: np.ndarray  # (n_iter + 1,)
    steps_used: np.ndarray  # (n_iter + 1,) cumulative environment steps
    thetas: tuple
    results: tuple

    def __repr__(self) -> str:
        return summary_repr(self, ('eta', 'steps_used', 'thetas'))


def sample_trpo(mdp: MDP, theta0, delta: float, n_iter: int, estimator: str = "single_path",
                budget: int = 5000, rng=None, horizon: int | None = None, **step_kwargs) -> SampleTRPOHistory:
    """Iterate :func:`trpo_step_samples` with fresh samples of each policy (tabular softmax).

    Each iteration draws about ``budget`` environment steps: single path uses
    ``budget // horizon`` episodes of length ``horizon`` (default: the smallest ``H`` with
    ``gamma^H <= 1e-3``, at least 10); the vine spends them on rollout states of ``A`` rollouts each
    (common random numbers). The exact ``eta`` of every iterate is recorded for evaluation only.

    Examples
    --------
    >>> import numpy as np
    >>> import tabular as T
    >>> from bounds.updates.practical.iteration import sample_trpo
    >>> m = T.garnet(4, 2, rng=0)
    >>> h = sample_trpo(m, np.zeros(8), 0.01, 3, budget=1000, rng=0)
    >>> bool(h.eta[-1] > h.eta[0]), bool(np.all(np.diff(h.steps_used) > 0))
    (True, True)
    """
    from tabular.estimators import single_path, vine
    from tabular.sampling import horizon_for

    if estimator not in ("single_path", "vine"):
        raise ValueError(f"estimator must be 'single_path' or 'vine', got {estimator!r}")
    n_iter = check_int(n_iter, "n_iter", lo=0)
    budget = check_int(budget, "budget", lo=1)
    rng = np.random.default_rng(rng)
    S, A = mdp.shape
    policy = TabularSoftmax(S, A)
    theta = policy.check_theta(theta0)
    H = int(horizon) if horizon is not None else max(10, horizon_for(mdp.gamma, 1e-3))
    etas, used, thetas, results = [evaluate(mdp, policy.probs(theta)).eta], [0], [theta], []
    for _ in range(n_iter):
        pi = policy.probs(theta)
        if estimator == "single_path":
            smp = single_path(mdp, pi, max(2, budget // H), H, rng=rng)
        else:
            per_state = (1.0 / (1.0 - mdp.gamma)) + A * H  # trunk + A rollouts of length H
            smp = vine(mdp, pi, n_states=max(2, int(budget // per_state)), rollout_horizon=H, rng=rng)
        res = trpo_step_samples(smp, policy, theta, delta, mdp=mdp, **step_kwargs)
        theta = res.theta_new
        thetas.append(theta)
        results.append(res)
        etas.append(res.eta_new if res.accepted else etas[-1])
        used.append(used[-1] + int(smp.steps))
    return SampleTRPOHistory(np.array(etas), np.array(used), tuple(thetas), tuple(results))

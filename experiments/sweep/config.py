"""What determines instance ``i`` of a sweep: the settings (:class:`SweepConfig`), the round robin
over families and discounts (:func:`instance_spec`) and the instance itself (:func:`make_instance`),
rebuilt from ``(seed, i)`` alone."""

from __future__ import annotations

import functools
import importlib.util
import sys
from dataclasses import asdict, dataclass

import numpy as np

from tabular.instances import EDGE_FAMILIES
from tabular.instances import FAMILIES as BASE_FAMILIES
from tabular.instances import Instance, sample_instance, sample_policy, sample_step
from tabular.mdp import MDP
from tabular.planning import policy_iteration
from tabular.validation import check_bool, check_int, check_real

#: Every family a sweep can draw from: those of :mod:`tabular.instances` and Gymnasium's FrozenLake.
FAMILIES = tuple(BASE_FAMILIES) + tuple(EDGE_FAMILIES) + ("frozenlake",)
#: Updates iterated from ``pi``; ``theorem`` says whether monotonicity is proven (a failure if broken).
UPDATES = {"mm": True, "cpi": True, "trust_region": False}
#: Non-theorems of THEORY.md §6 evaluated with ``--candidates`` (violations expected).
CANDIDATES = ("mean_kl_rho", "mean_kl_d", "mean_tv_squared", "squared_mean_tv", "surrogate_monotone")
#: Quantiles reported for penalty, gap and penalty/gap.
QUANTILES = (0.05, 0.5, 0.95)
#: At most this many instances are saved per non-theorem (candidate or trust region); theorem
#: violations are always all saved.
MAX_SAVED_EXPECTED = 20
CSV_NAME = "results.csv"
CONFIG_NAME = "sweep_config.json"
FIGURE_NAME = "sweep_tightness"
_STR_COLS = ("family", "step", "error")


def check_families(families, name: str = "families") -> tuple:
    """``families`` as a tuple of names: at least one, each of :data:`FAMILIES`, none repeated."""
    if isinstance(families, (str, bytes)) or not hasattr(families, "__iter__"):
        raise TypeError(f"{name} must be a list of family names such as ('garnet', 'chain'), got "
                        f"{type(families).__name__} {families!r}")
    if not all(isinstance(f, str) for f in families):
        raise TypeError(f"{name} must hold family names (strings), got {list(families)!r}")
    fams = tuple(families)
    if not fams:
        raise ValueError(f"{name} must name at least one family")
    bad = [f for f in fams if f not in FAMILIES]
    if bad:
        raise ValueError(f"{name}: unknown family {bad}; choose from {FAMILIES}")
    if len(set(fams)) != len(fams):
        raise ValueError(f"{name} must not repeat a family, got {fams}")
    return fams


def check_gammas(gammas, name: str = "gammas") -> tuple:
    """``gammas`` as a tuple of floats: at least one, each in [0, 1)."""
    if isinstance(gammas, (str, bytes)) or not hasattr(gammas, "__iter__"):
        raise TypeError(f"{name} must be a list of discounts such as (0.5, 0.9), got {type(gammas).__name__} "
                        f"{gammas!r}")
    gams = tuple(check_real(g, name, lo=0.0, hi=1.0, open_hi=True) for g in gammas)
    if not gams:
        raise ValueError(f"{name} must list at least one discount")
    return gams


@dataclass(frozen=True)
class SweepConfig:
    """What determines instance ``i`` and what is computed on it (everything except ``n``).

    Attributes
    ----------
    seed : int, the root of every stream (``SeedSequence([seed, i])``).
    families : tuple of family names (see :data:`FAMILIES`), round robin over ``i``.
    gammas : tuple of discounts in [0, 1), round robin over ``i // len(families)``.
    candidates : bool, also evaluate the non-theorems of THEORY.md §6.
    update_steps : int >= 0, exact steps of each update of :data:`UPDATES` from ``pi``.
    tr_delta : float > 0, the KL radius of the max-KL trust region (Eq. (11) of [TRPO]).
    claims : tuple of bound names (``MODULE:FUNCTION`` or registered names, :func:`bounds.registry.bound_named`)
        swept as theorems besides the registered ones (``--claim``); a failure of one is a failure.

    Examples
    --------
    >>> from experiments.sweep.config import SweepConfig
    >>> config = SweepConfig(seed=0, families=("garnet", "chain"), gammas=(0.9, 0.99))
    >>> print(config.update_steps, config.tr_delta, config.to_json()["families"])
    3 0.01 ['garnet', 'chain']
    >>> try:
    ...     SweepConfig(seed=0, families=("garnett",), gammas=(0.9,))
    ... except ValueError as err:
    ...     print(str(err)[:36])
    families: unknown family ['garnett']
    """

    seed: int
    families: tuple
    gammas: tuple
    candidates: bool = False
    update_steps: int = 3
    tr_delta: float = 0.01
    claims: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "seed", check_int(self.seed, "seed", lo=0))
        object.__setattr__(self, "families", check_families(self.families))
        object.__setattr__(self, "gammas", check_gammas(self.gammas))
        object.__setattr__(self, "candidates", check_bool(self.candidates, "candidates"))
        object.__setattr__(self, "update_steps", check_int(self.update_steps, "update_steps", lo=0))
        object.__setattr__(self, "tr_delta", check_real(self.tr_delta, "tr_delta", positive=True))
        object.__setattr__(self, "claims", check_claims(self.claims))

    def to_json(self) -> dict:
        d = asdict(self)
        d["families"], d["gammas"] = list(self.families), list(self.gammas)
        if self.claims:
            d["claims"] = list(self.claims)
        else:
            del d["claims"]  # sweeps without --claim keep the settings file they always had
        return d


def check_claims(claims, name: str = "claims") -> tuple:
    """``claims`` as a tuple of names each :func:`bounds.registry.bound_named` resolves (importing
    ``MODULE:FUNCTION``), none repeated and none a theorem of THEORY.md §3 (those are always swept)."""
    from bounds.registry import THEORY_BOUNDS, bound_named

    if isinstance(claims, str):
        claims = (claims,)
    out = tuple(str(c) for c in claims)
    names = [bound_named(c).name for c in out]  # ValueError naming what cannot be imported
    taken = {b.name for b in THEORY_BOUNDS}
    if len(set(names)) != len(names) or taken & set(names):
        raise ValueError(f"{name}: bound names must be new and distinct, got {names} (the registered theorems "
                         "of THEORY.md §3 are swept anyway)")
    return out


def instance_spec(i: int, config: SweepConfig) -> tuple[str, float]:
    """Family and discount of instance ``i``: ``families[i % F]``, ``gammas[(i // F) % G]``.

    Examples
    --------
    Families round robin over ``i``, discounts over ``i // len(families)``:

    >>> from experiments.sweep.config import SweepConfig, instance_spec
    >>> config = SweepConfig(seed=0, families=("garnet", "chain"), gammas=(0.9, 0.99))
    >>> [instance_spec(i, config) for i in range(4)]
    [('garnet', 0.9), ('chain', 0.9), ('garnet', 0.99), ('chain', 0.99)]
    """
    F = len(config.families)
    return config.families[i % F], config.gammas[(i // F) % len(config.gammas)]


@functools.lru_cache(maxsize=None)
def _frozenlake(gamma: float) -> MDP:
    """FrozenLake-v1 (4x4, slippery) as an exact MDP, built once per process and discount."""
    from tabular.gym import from_gymnasium

    return from_gymnasium("FrozenLake-v1", gamma)


def has_gymnasium() -> bool:
    return importlib.util.find_spec("gymnasium") is not None


def make_instance(seed: int, i: int, family: str, gamma: float) -> Instance:
    """Instance ``i`` of a sweep with root ``seed``: a function of ``(seed, i, family, gamma)`` only.

    Families of :mod:`tabular.instances` go through :func:`tabular.instances.sample_instance`;
    ``"frozenlake"`` uses the exact FrozenLake-v1 model with a random old policy
    (:func:`tabular.instances.sample_policy`, sometimes mixed half-half with an optimal one) and a
    random step (:func:`tabular.instances.sample_step`).

    Examples
    --------
    >>> import numpy as np
    >>> from experiments.sweep.config import make_instance
    >>> a, b = make_instance(0, 7, "garnet", 0.9), make_instance(0, 7, "garnet", 0.9)
    >>> bool(np.array_equal(a.pi_new, b.pi_new)), a.meta["family"], a.mdp.gamma
    (True, 'garnet', 0.9)
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(i)]))
    if family != "frozenlake":
        return sample_instance(rng, family=family, gamma=gamma)
    mdp = _frozenlake(float(gamma))
    S, A = mdp.shape
    pi = sample_policy(S, A, rng)
    if rng.random() < 0.1:  # as sample_instance: sometimes start near an optimal policy
        pi = 0.5 * pi + 0.5 * policy_iteration(mdp).pi
    pi_new, meta = sample_step(mdp, pi, rng)
    meta.update(family=family, gamma=float(gamma), S=S, A=A)
    return Instance(mdp, pi, pi_new, meta)


def resolve_families(families) -> tuple:
    """``families`` checked (:func:`check_families`), without ``"frozenlake"`` if gymnasium is missing."""
    fams = check_families(families)
    if "frozenlake" in fams and not has_gymnasium():
        print("sweep: skipping family 'frozenlake': gymnasium is not installed "
              "(pip install 'trpo-theory[gymnasium]')", file=sys.stderr)
        fams = tuple(f for f in fams if f != "frozenlake")
        if not fams:
            raise ValueError("families: only 'frozenlake' was requested and gymnasium is not installed")
    return fams


"""The bound as the toolkit's central object: one record per bound, one ordered registry.

* :mod:`.records` -- :class:`Bound` (name, statement, source, label, two-sided, centre, theorem or not,
  and the penalty written once over the named quantities), :func:`register`, :func:`bound_named`.
* :mod:`.quantities` -- the named quantities (eta, L, eps, C, alpha, tv, kl, rho, d, Abar, ...) of K
  instances on floats, or of one instance exactly; :mod:`.ops` -- what a penalty may call on them.
* :mod:`.evaluation` -- a bound evaluated on quantities (float tables; exact slack for certificates).
* :mod:`.theory` -- the records of THEORY.md §3 (theorems) and §6 (non-theorems), registered here.

Every consumer reads this registry: :func:`bounds.inequalities.check_all`, :func:`bounds.check_batch.check_all_batch`,
the claims of falsify and their certificates, both sweep engines, explore, the figures' labels and the
documentation's tables. A user's bound::

    from bounds.registry import register

    @register(statement="eta_new >= L - (C/2) maxTV^2", source="my note, Eq. (1)")
    def half_theorem1(q, ops):
        return q.C * q.alpha ** 2 / 2

is then checked by ``check_all``, swept (``python -m experiments sweep --claim mymodule:half_theorem1``)
and certified exactly by falsify, like the theory's bounds.
"""

from .evaluation import BoundArrays, NotExact, evaluate_bounds, exact_slack
from .ops import Interval, Undecided
from .quantities import QUANTITIES, ExactQuantities, FloatQuantities, Quantities, theory_C_from
from .records import Bound, as_bound, bound_named, register, registered, registry_names, unregister
from .theory import NON_THEOREMS, THEORY_BOUNDS

for _b in THEORY_BOUNDS + NON_THEOREMS:
    register(_b)

__all__ = ["Bound", "register", "unregister", "registered", "registry_names", "bound_named", "as_bound",
           "QUANTITIES", "Quantities", "FloatQuantities", "ExactQuantities", "theory_C_from", "Interval",
           "Undecided", "BoundArrays", "evaluate_bounds", "exact_slack", "NotExact", "THEORY_BOUNDS",
           "NON_THEOREMS", "labels", "off_centre_names"]


def labels() -> dict:
    """``{name: label}`` of every registered bound, in registry order (the figures' axis labels).

    Examples
    --------
    >>> from bounds.registry import labels, registry_names
    >>> lab = labels()
    >>> lab["theorem1"]
    'Thm 1, Eq. (8)'
    >>> list(lab)[:3] == list(registry_names())[:3]
    True
    """
    return {b.name: b.label for b in registered()}


def off_centre_names() -> tuple:
    """Names of the registered bounds whose band is not centred on L (measured about their own centre).

    Examples
    --------
    >>> from bounds.registry import bound_named, off_centre_names
    >>> off_centre_names()
    ('cpo_general',)
    >>> bound_named("cpo_general").centre is not None
    True
    """
    return tuple(b.name for b in registered() if b.off_centre)

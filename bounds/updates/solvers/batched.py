"""Renamed to :mod:`bounds.updates.solvers.algorithm1_batch` in 0.2.0; this path goes in 0.3.0 (CHANGELOG.md).

A thin re-export so that ``from bounds.updates.solvers.batched import ...`` keeps working
for one release: the public names (``__all__``) of :mod:`bounds.updates.solvers.algorithm1_batch`, the same objects.
"""

from .algorithm1_batch import *  # noqa: F401,F403
from .algorithm1_batch import __all__  # noqa: F401

"""Renamed to :mod:`experiments.sweep.engine_batched` in 0.2.0; this path goes in 0.3.0 (CHANGELOG.md).

A thin re-export so that ``from experiments.sweep.batched import ...`` keeps working
for one release: the public names (``__all__``) of :mod:`experiments.sweep.engine_batched`, the same objects.
"""

from .engine_batched import *  # noqa: F401,F403
from .engine_batched import __all__  # noqa: F401

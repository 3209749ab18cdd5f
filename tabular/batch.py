"""Renamed to :mod:`tabular.mdp_batch` in 0.2.0; this path goes in 0.3.0 (CHANGELOG.md).

A thin re-export so that ``from tabular.batch import ...`` keeps working
for one release: the public names (``__all__``) of :mod:`tabular.mdp_batch`, the same objects.
"""

from .mdp_batch import *  # noqa: F401,F403
from .mdp_batch import __all__  # noqa: F401

"""Deprecated location: the solvers live in :mod:`bounds.updates.solvers` (split by problem).

This thin re-export keeps ``from bounds.solvers import ...`` working for one release.
"""

from .updates.solvers import *  # noqa: F401,F403
from .updates.solvers import __all__  # noqa: F401

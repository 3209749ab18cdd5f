"""Deprecated location: the practical TRPO step lives in :mod:`bounds.updates.practical`.

This thin re-export keeps ``from bounds.practical import ...`` working for one release.
"""

from .updates.practical import *  # noqa: F401,F403
from .updates.practical import __all__  # noqa: F401

"""Deprecated location: the bounds live in :mod:`bounds.inequalities`.

This thin re-export keeps ``from bounds.core import ...`` working for one release.
"""

from .inequalities import *  # noqa: F401,F403
from .inequalities import __all__  # noqa: F401

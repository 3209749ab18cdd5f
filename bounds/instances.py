"""Deprecated location: the random instance families live in :mod:`tabular.instances`.

This thin re-export keeps ``from bounds.instances import ...`` working for one release.
"""

from tabular.instances import *  # noqa: F401,F403
from tabular.instances import __all__  # noqa: F401

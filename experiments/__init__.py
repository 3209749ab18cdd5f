"""Experiments that regenerate the figures; each checks a claim of the theory.

Every figure module follows one contract (``NAME``, ``CLAIM``, ``compute``, ``plot``, the verdict),
stated in :mod:`experiments._common`.
"""

from tabular._version import __version__

__all__ = ["__version__"]

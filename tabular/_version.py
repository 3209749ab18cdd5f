"""The one version of the three packages (``tabular``, ``bounds``, ``experiments``).

``pyproject.toml`` reads it (``[tool.setuptools.dynamic] version = {attr = "tabular._version.__version__"}``)
and ``bounds.__version__`` / ``experiments.__version__`` import it, so there is one place to change.
"""

__version__ = "0.2.0"

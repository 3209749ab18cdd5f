"""The public API, as the documentation tests see it.

A *public module* is every module of ``tabular``, ``bounds`` and ``experiments`` whose own name does not
start with an underscore (``__main__`` modules are skipped: importing one runs it). A *public name* is a
function or class listed in a module's ``__all__`` and defined in that module (a re-export is counted where
it is defined, once).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

PACKAGES = ("tabular", "bounds", "experiments")


def public_modules() -> list[str]:
    names = []
    for pkg in PACKAGES:
        names.append(pkg)
        package = importlib.import_module(pkg)
        for info in pkgutil.walk_packages(package.__path__, pkg + "."):
            leaf = info.name.rsplit(".", 1)[-1]
            if leaf == "__main__" or any(part.startswith("_") for part in info.name.split(".")):
                continue
            names.append(info.name)
    return sorted(names)


def public_names(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    out = []
    for name in getattr(module, "__all__", ()):
        obj = getattr(module, name, None)
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module_name:
            out.append(name)
    return out

"""The version matrix (issue 21): the test suite on the oldest and on the newest supported versions.

``python -m pip install nox uv``, then from the repository root::

    python -m nox                   # both sessions below
    python -m nox -s oldest         # one of them
    python -m nox -s tests          # the suite on the Python running nox, newest versions

- ``oldest``: Python 3.10 (``requires-python``) with every dependency, runtime and of every extra, at
  the minimum ``pyproject.toml`` declares. The pins are in ``constraints-oldest.txt``, which
  ``tests/test_packaging.py`` holds equal to ``pyproject.toml``; uv's ``--resolution lowest-direct``
  takes the oldest release of each direct dependency and the constraints make a minimum that cannot be
  installed an error instead of a silent step up.
- ``newest``: Python 3.13 with the newest release of everything that the resolver picks.

Both sessions install with uv (nox's ``uv`` backend), which finds the interpreters on ``PATH`` or in
pyenv.  Extra arguments after ``--`` go to pytest: ``python -m nox -s oldest -- tests/tabular -x``.
"""
from __future__ import annotations

import os
import pathlib

import nox

ROOT = pathlib.Path(__file__).resolve().parent
EXTRAS = "test,gymnasium,notebooks"
OLDEST_PYTHON = "3.10"
NEWEST_PYTHON = "3.13"
CONSTRAINTS = ROOT / "constraints-oldest.txt"


def pyenv_bin_dirs(versions, root=None):
    """The ``bin`` folders of pyenv's newest installed patch release of each ``X.Y`` in ``versions``.

    pyenv's shims answer only for its active version, so ``python3.10`` on ``PATH`` may be a shim that
    refuses to run while pyenv has a 3.10 installed; nox then would not find it (and try a download).
    Returns the folders that exist, in the order of ``versions``; none without pyenv.
    """
    root = pathlib.Path(root or os.environ.get("PYENV_ROOT") or pathlib.Path.home() / ".pyenv")
    found = []
    for xy in versions:
        candidates = [p for p in (root / "versions").glob(f"{xy}.*") if p.name[len(xy) + 1:].isdigit()
                      and (p / "bin" / f"python{xy}").is_file()]
        if candidates:
            found.append(str(max(candidates, key=lambda p: int(p.name[len(xy) + 1:])) / "bin"))
    return found


os.environ["PATH"] = os.pathsep.join([*pyenv_bin_dirs([OLDEST_PYTHON, NEWEST_PYTHON]), os.environ.get("PATH", "")])
nox.needs_version = ">=2024.10.9"  # the oldest nox this file was run with
nox.options.default_venv_backend = "uv"
nox.options.sessions = ["oldest", "newest"]
nox.options.error_on_missing_interpreters = True


def _pytest(session: nox.Session, name: str) -> None:
    """Print the main versions installed, then run the suite (``-p no:cacheprovider``: no writes).

    ``TRPO_MATRIX_SESSION`` tells tests/test_packaging.py which session it runs in: it then checks that
    every dependency imports and, in ``oldest``, that the installed versions are the pinned minima.
    """
    session.run("python", "-c", "import numpy, scipy, sympy, cvxpy, matplotlib, gymnasium, sys; "
                "print('python', sys.version.split()[0], '| numpy', numpy.__version__, '| scipy', "
                "scipy.__version__, '| sympy', sympy.__version__, '| cvxpy', cvxpy.__version__, "
                "'| matplotlib', matplotlib.__version__, '| gymnasium', gymnasium.__version__)")
    args = session.posargs or ["-q"]
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", *args,
                env={"TRPO_MATRIX_SESSION": name})


@nox.session(python=OLDEST_PYTHON)
def oldest(session: nox.Session) -> None:
    """Python 3.10 and the oldest declared version of every dependency, then the test suite."""
    session.install("--resolution", "lowest-direct", "-c", str(CONSTRAINTS), f".[{EXTRAS}]")
    _pytest(session, "oldest")


@nox.session(python=NEWEST_PYTHON)
def newest(session: nox.Session) -> None:
    """Python 3.13 and the newest release of every dependency, then the test suite."""
    session.install("--upgrade", f".[{EXTRAS}]")
    _pytest(session, "newest")


@nox.session(name="tests", default=False)
def tests_current(session: nox.Session) -> None:
    """The suite on the Python that runs nox, with the newest versions the resolver picks."""
    session.install(f".[{EXTRAS}]")
    _pytest(session, "tests")

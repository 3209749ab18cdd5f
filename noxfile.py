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

Two more sessions, not in the default run (issue 24):

- ``docs``: installs ``.[docs]`` and builds the documentation with warnings as errors, the command of
  ``docs/index.rst``: ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
- ``wheel``: ``python -m build`` makes a wheel and an sdist; each is installed in a fresh venv and checked
  from outside the source tree (imports, one ``__version__``, ``--version`` of the command lines), and
  the archives must hold ``bounds/THEORY.md``, the ``py.typed`` markers and the release files.

Both sessions install with uv (nox's ``uv`` backend), which finds the interpreters on ``PATH`` or in
pyenv.  Extra arguments after ``--`` go to pytest: ``python -m nox -s oldest -- tests/tabular -x``.
"""
from __future__ import annotations

import os
import pathlib
import tarfile
import tempfile
import zipfile

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


DOCS_COMMAND = ("python", "-m", "sphinx", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html")
PACKAGES = ("tabular", "bounds", "experiments")
WHEEL_FILES = ("bounds/THEORY.md", "tabular/py.typed", "bounds/py.typed", "experiments/py.typed")
SDIST_FILES = ("LICENSE", "README.md", "CHANGELOG.md", "CITATION.cff", "pyproject.toml", "bounds/THEORY.md")
INSTALLED_CHECK = """
import pathlib, sys
import tabular, bounds, experiments
root = pathlib.Path(sys.argv[1]).resolve()
for module in (tabular, bounds, experiments):
    where = pathlib.Path(module.__file__).resolve()
    assert root not in where.parents, f"{module.__name__} imported from the source tree: {where}"
assert tabular.__version__ == bounds.__version__ == experiments.__version__, "three versions"
print("installed", tabular.__version__, "from", pathlib.Path(tabular.__file__).parent.parent)
"""


@nox.session(default=False)
def docs(session: nox.Session) -> None:
    """The documentation, warnings as errors (``docs/_build/html``)."""
    session.install(".[docs]")
    session.run(*DOCS_COMMAND)


def _archive_names(path: pathlib.Path) -> set[str]:
    """The file names in a wheel (as stored) or an sdist (without its top folder ``name-version/``)."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as z:
            return set(z.namelist())
    with tarfile.open(path) as t:
        return {name.split("/", 1)[1] for name in t.getnames() if "/" in name}


def _check_installed(session: nox.Session, artifact: pathlib.Path, workdir: pathlib.Path) -> None:
    """Install ``artifact`` into a fresh venv and run the checks from ``workdir`` with ``python -I``."""
    venv = workdir / ("venv-wheel" if artifact.suffix == ".whl" else "venv-sdist")
    session.run("uv", "venv", "--quiet", "--python", str(pathlib.Path(session.bin) / "python"), str(venv),
                external=True)
    python = str(venv / "bin" / "python")
    session.run("uv", "pip", "install", "--quiet", "--python", python, str(artifact), external=True)
    with session.chdir(workdir):  # -I: neither the current folder nor PYTHONPATH on sys.path
        session.run(python, "-I", "-c", INSTALLED_CHECK, str(ROOT), external=True)
        version = session.run(python, "-I", "-c", "import tabular; print(tabular.__version__)",
                              external=True, silent=True).strip()
        for cli in PACKAGES:
            out = session.run(python, "-I", "-m", cli, "--version", external=True, silent=True).strip()
            if out != f"python -m {cli} {version}":
                session.error(f"python -m {cli} --version printed {out!r}, expected 'python -m {cli} {version}'")


@nox.session(default=False)
def wheel(session: nox.Session) -> None:
    """Build a wheel and an sdist; install each in a fresh venv and check it from outside the source."""
    session.install("build")
    with tempfile.TemporaryDirectory(prefix="trpo-wheel-") as tmp:
        work = pathlib.Path(tmp)
        session.run("python", "-m", "build", "--outdir", str(work / "dist"), str(ROOT))
        wheels, sdists = sorted((work / "dist").glob("*.whl")), sorted((work / "dist").glob("*.tar.gz"))
        if len(wheels) != 1 or len(sdists) != 1:
            session.error(f"expected one wheel and one sdist, built {wheels + sdists}")
        for artifact, required in ((wheels[0], WHEEL_FILES), (sdists[0], SDIST_FILES)):
            missing = sorted(set(required) - _archive_names(artifact))
            if missing:
                session.error(f"{artifact.name} lacks {missing}")
            session.log(f"{artifact.name}: {artifact.stat().st_size / 1e6:.2f} MB, holds {', '.join(required)}")
            _check_installed(session, artifact, work)

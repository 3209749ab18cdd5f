"""The README runs as written: every ```python block of README.md runs in a fresh interpreter from an
empty temporary folder (the repository root on ``PYTHONPATH``, as for an installed package), and every
shell command it shows is either run here (the fast ones, some with a smaller budget, each named in
:data:`COMMANDS`) or listed there as not run, with the reason. A command added to the README without an
entry fails :func:`test_every_readme_command_is_classified`. Also: every relative link and image in
README.md and docs/**/*.md points to a file that exists, and the README stays on two screens.

About 35 CPU seconds in all (two falsify searches of 2 s, two explore pages, a 20-instance sweep).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
TEST_COMMAND = 'python -m pip install ".[test]" && python -m pytest -q'

#: Every shell command of the README (fenced ```bash lines and inline `python -m ...` spans), exactly as
#: written: either ("run", the command actually run, with its reason if it differs) or ("not run", why).
COMMANDS = {
    'python -m pip install ".[gymnasium]" && python -m experiments':
        ("not run", "installs into the environment; the main job regenerates all 20 figures (about 3.5 "
                    "minutes): tests/experiments test each figure, and test_check.py its numbers"),
    TEST_COMMAND: ("not run", "it is the whole test suite, this test included (.ci/run runs it)"),
    'python -m pip install ".[docs]" && python -m sphinx -W --keep-going -b html docs docs/_build/html':
        ("not run", "installs the docs extra into the environment; the Sphinx build is tested where docs/conf.py is"),
    "python -m pip install .": ("not run", "installs into the environment"),
    'python -m pip install ".[notebooks]"': ("not run", "installs into the environment; the notebooks are "
                                                        "run by their own test"),
    "jupyter lab": ("not run", "an interactive server"),
    "python -m experiments": ("not run", "the main job (about 3.5 minutes), as in the first command"),
    "python -m experiments check": ("not run", "regenerates every figure (minutes); test_check.py runs "
                                               "its code on single figures"),
    "python -m experiments --version": ("run", "python -m experiments --version"),
    "python -m experiments --help": ("run", "python -m experiments --help"),
    "python -m bounds theory": ("run", "python -m bounds theory"),
    "python -m experiments falsify mean_kl --time 60 --out falsify_mean_kl":
        ("run", "python -m experiments falsify mean_kl --time 2 --out falsify_mean_kl"),
    "python -m experiments falsify my_bounds:half_theorem1_rhs --time 60 --out falsify_mine":
        ("run", "python -m experiments falsify my_bounds:half_theorem1_rhs --time 2 --out falsify_mine"),
    "python -m experiments sweep --n 10000 --claim my_bounds:half_theorem1 --out sweep_mine":
        ("run", "python -m experiments sweep --n 20 --claim my_bounds:half_theorem1 --out sweep_mine"),
    "python -m experiments explore gridworld --step mm --C-scale 0.01 --out explore":
        ("run", "python -m experiments explore gridworld --step mm --C-scale 0.01 --out explore"),
    "python -m experiments explore FrozenLake-v1 --policy random --step trust_region --delta 0.05 --out explore":
        ("run", "python -m experiments explore FrozenLake-v1 --policy random --step trust_region --delta 0.05 "
                "--out explore"),
}

#: What a run command must leave in its ``--out`` folder, so that "ran" means "did its job".
PRODUCES = {
    "falsify": ["certificate.json", "report.txt", "report.png"],
    "sweep": ["report.txt", "results.csv"],
    "explore": ["explore_{name}.png", "explore_{name}.pdf", "explore_{name}_summary.csv"],
}


def _readme() -> str:
    return README.read_text(encoding="utf-8")


def _blocks(text: str, lang: str) -> list:
    return re.findall(rf"^```{lang}\n(.*?)^```", text, flags=re.S | re.M)


def readme_commands(text: str) -> list:
    """The shell commands of ``text``: each line of a ```bash block, and each inline code span that starts
    with ``python -m`` or is ``jupyter lab`` (whitespace, including a line break, read as one space)."""
    cmds = [line.strip() for block in _blocks(text, "bash") for line in block.splitlines() if line.strip()]
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    for span in re.findall(r"`([^`]+)`", prose):
        span = " ".join(span.split())
        if span.startswith("python -m ") or span == "jupyter lab":
            cmds.append(span)
    return list(dict.fromkeys(cmds))


def _my_bounds_source() -> str:
    """The file ``my_bounds.py`` that the README's commands import, as docs/guide/own_bound.md writes it."""
    page = (DOCS / "guide" / "own_bound.md").read_text(encoding="utf-8")
    return next(b for b in _blocks(page, "python") if "def half_theorem1_rhs" in b)


def _env(folder: Path) -> dict:
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(folder)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH")
                                                                     else []))
    return env


def _run(argv: list, folder: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=folder, env=_env(folder), input=stdin, capture_output=True, text=True,
                          timeout=600)


# ----------------------------------------------------------------------------- the README's shape
def test_the_readme_fits_on_two_screens_and_keeps_the_ci_test_command():
    text = _readme()
    assert len(text.splitlines()) <= 200
    assert TEST_COMMAND in readme_commands(text)
    assert TEST_COMMAND in (ROOT / ".ci" / "run").read_text(), ".ci/run runs the README's test command"


def test_readme_commands_finds_fenced_and_inline_commands():
    text = ("Run `python -m experiments\n--version` or `ls`.\n\n```bash\npython -m a --x 1\n\n"
            "python -m b\n```\n\n```python\nprint(1)\n```\n")
    assert readme_commands(text) == ["python -m a --x 1", "python -m b", "python -m experiments --version"]


def test_every_readme_command_is_classified():
    found = readme_commands(_readme())
    assert found, "the README shows no command"
    assert [c for c in found if c not in COMMANDS] == [], "classify each new command in COMMANDS"
    assert [c for c in COMMANDS if c not in found] == [], "COMMANDS lists a command the README no longer shows"
    for command, (what, detail) in COMMANDS.items():
        assert what in ("run", "not run") and detail, command
        if what == "run":  # run as written, or with a smaller --time / --n only
            assert re.sub(r"--(time|n) \d+", "", detail) == re.sub(r"--(time|n) \d+", "", command), command


# ----------------------------------------------------------------------------- python snippets
SNIPPETS = _blocks(README.read_text(encoding="utf-8"), "python")


@pytest.mark.parametrize("index", range(len(SNIPPETS)))
def test_every_python_snippet_runs_as_written(index, tmp_path):
    """Each snippet runs; the two tours' snippets also print what the README says they print."""
    snippet = SNIPPETS[index]
    done = _run([sys.executable, "-"], tmp_path, stdin=snippet)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout.splitlines()
    assert out, "a README snippet prints what it shows"
    if "check_bound" in snippet:  # tour 1: the numbers quoted in the README's text and comment
        assert out[0] == "eta = 7.7740, L = 9.3499, eta_new = 9.3508" and f"`{out[0]}`" in _readme()
        assert out[-1] == "True 1.5236" and f"# {out[-1]}" in snippet
        assert sum(bool(re.search(r"\byes\b", x)) for x in out) == 11  # the table: eleven bounds, each holds
    if "find_violation" in snippet:  # tour 2: the mean-KL form of Eq. (9) is violated
        assert done.stdout.split() == ["True", "True"]


def test_the_tours_snippets_are_checked():
    assert any("check_bound" in s for s in SNIPPETS) and any("find_violation" in s for s in SNIPPETS)


# ----------------------------------------------------------------------------- shell commands
RUN = [(c, detail) for c, (what, detail) in COMMANDS.items() if what == "run"]


@pytest.mark.parametrize("command,run", RUN, ids=[r.split(" --out")[0][len("python -m "):] for _, r in RUN])
def test_every_fast_readme_command_runs(command, run, tmp_path):
    if "FrozenLake" in run:
        pytest.importorskip("gymnasium")
    (tmp_path / "my_bounds.py").write_text(_my_bounds_source())
    argv = shlex.split(run)
    done = _run([sys.executable] + argv[1:], tmp_path)
    assert done.returncode == 0, f"{run}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert done.stdout.strip()
    if "--out" in argv:
        out = tmp_path / argv[argv.index("--out") + 1]
        assert out.is_dir() and any(out.iterdir()), f"{run} wrote nothing into {out}"
        for name in PRODUCES[argv[3]]:
            assert (out / name.format(name=argv[4])).is_file(), f"{run} did not write {name}"
    if argv[3] == "sweep":  # the user's bound is in the report
        assert "half_theorem1" in (tmp_path / "sweep_mine" / "report.txt").read_text()
    if run.endswith("--version"):
        assert re.fullmatch(r"python -m experiments \d+\.\d+\.\d+\S*", done.stdout.strip())


# ----------------------------------------------------------------------------- links
def relative_links(text: str) -> list:
    """The targets of the Markdown links and images of ``text`` outside code blocks that are neither URLs
    nor in-page anchors, without their ``#anchor``."""
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    prose = re.sub(r"`[^`]*`", "", prose)
    targets = re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", prose)
    return [t.split("#")[0] for t in targets if not re.match(r"[a-zA-Z][a-zA-Z+.-]*:", t) and not t.startswith("#")]


def test_relative_links_finds_links_and_images_but_not_code_or_urls():
    text = ("[a](docs/x.md#sec) ![i](../figures/f.png) [u](https://x.org/y) [p](#here) `[c](no.md)`\n"
            "```python\n[d](nope.md)\n```\n")
    assert relative_links(text) == ["docs/x.md", "../figures/f.png"]


PAGES = [README] + sorted(DOCS.rglob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_relative_link_points_to_a_file_that_exists(page):
    links = relative_links(page.read_text(encoding="utf-8"))
    missing = [t for t in links if not (page.parent / t).exists()]
    assert missing == [], f"{page.relative_to(ROOT)} links to files that do not exist"

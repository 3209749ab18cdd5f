"""The theory page: shipped as package data, reachable from Python and the command line, with every
section that docstrings cite and every bound and update the code implements."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import bounds
from bounds.__main__ import main
from bounds.theory_page import SECTIONS, theory, theory_path

REPO = Path(__file__).resolve().parents[2]


def test_text_and_sections():
    text = bounds.theory()
    assert theory_path().name == "THEORY.md" and theory_path().read_text(encoding="utf-8") == text
    heads = [int(n) for n in re.findall(r"^## (\d+)\. ", text, flags=re.M)]
    assert heads == list(SECTIONS)
    for n in SECTIONS:
        sec = theory(n)
        assert sec.startswith(f"## {n}. ") and sec in text
        assert f"## {n + 1}. " not in sec
    with pytest.raises(ValueError, match="section"):
        theory(10)


def test_every_citation_in_the_code_points_to_a_section():
    cited = set()
    for pkg in ("tabular", "bounds", "experiments"):
        for f in (REPO / pkg).rglob("*.py"):
            cited |= {int(n) for n in re.findall(r"THEORY\.md §(\d+)", f.read_text(encoding="utf-8"))}
    assert cited and cited <= set(SECTIONS)


def test_page_names_every_bound_and_update_and_its_constants():
    text = theory()
    import numpy as np
    import tabular as T

    mdp = T.garnet(3, 2, 2, rng=0)
    for name in bounds.check_all(mdp, T.uniform(mdp), T.random_policy(mdp, rng=1)).names:
        assert f"`{name}`" in text, name
    for step in ("mm_step", "cpi_step", "trust_region_step", "kl_penalty_step", "npg_step", "pg_step", "pi_step"):
        assert f"`{step}`" in text, step
    for s in ("C = 4εγ / (1−γ)²", "1/(1−γ)", "KL(π_old ‖ π_new)", "[TRPO]", "[KL02]", "[CPO]", "[SPI]", "[AKLM]",
              "[DTLSB]", "0·∞"):
        assert s in text, s
    assert np.isfinite(bounds.theory_C(mdp, T.uniform(mdp)))


def test_help_and_command_line(capsys):
    assert "bounds.theory()" in bounds.__doc__ and "python -m bounds theory" in bounds.__doc__
    assert main(["theory", "3"]) == 0
    assert capsys.readouterr().out.startswith("## 3. ")
    assert main(["theory", "--path"]) == 0
    assert capsys.readouterr().out.strip().endswith("THEORY.md")
    out = subprocess.run([sys.executable, "-m", "bounds", "theory"], capture_output=True, text=True, cwd=REPO,
                         check=True).stdout
    assert out == theory()


def test_shipped_as_package_data():
    text = (REPO / "pyproject.toml").read_text()  # (tomllib needs Python 3.11; the project supports 3.10)
    m = re.search(r"^\[tool\.setuptools\.package-data\]\s*\n((?:[^\[].*\n?)*)", text, flags=re.M)
    assert m and re.search(r'^bounds\s*=\s*\[[^\]]*"THEORY\.md"', m.group(1), flags=re.M)

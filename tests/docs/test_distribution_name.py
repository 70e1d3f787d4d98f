"""The distribution name installs this project, and no docs line installs another one."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest

from neuromodels.interop.optional import DISTRIBUTION, MissingExtra

ROOT = Path(__file__).resolve().parents[2]

#: ``neuromodels`` on PyPI is an unrelated project (0.0.2, 2021): any of these installs it.
FOREIGN_INSTALL = re.compile(r"pip install\s+['\"]?neuromodels(\[|['\"\s]|$)", re.MULTILINE)


def _text_files() -> list[Path]:
    files = [ROOT / "README.rst", *sorted((ROOT / "docs").rglob("*.rst"))]
    files += sorted((ROOT / "neuromodels").rglob("*.py")) + sorted((ROOT / "benchmarks").glob("*.py"))
    return files


def test_setup_cfg_name_is_the_distribution_name():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert cfg["metadata"]["name"] == DISTRIBUTION == "neuromodels-client"


@pytest.mark.parametrize("path", _text_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_line_installs_the_unrelated_pypi_project(path):
    hits = [line for line in path.read_text(encoding="utf-8").splitlines() if FOREIGN_INSTALL.search(line)]
    assert hits == []


def test_missing_extra_names_the_distribution():
    message = str(MissingExtra("navis"))
    assert "pip install 'neuromodels-client[navis]'" in message
    assert "pip install '.[navis]'" in message
    assert not FOREIGN_INSTALL.search(message)


def test_readme_names_the_distribution():
    text = (ROOT / "README.rst").read_text(encoding="utf-8")
    assert "``neuromodels-client``" in text

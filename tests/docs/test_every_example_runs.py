"""Every example in the docs runs in CI: each ``>>>`` page is run as a doctest by a test, each
Python block that starts its own bundled server runs as a script (a file run by ``python``, the
way a reader runs it: dask's and multiprocessing's re-import of ``__main__`` included), and the
blocks that stand for a real server (``example.org``, ``"..."``) at least compile."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.rst") if "_build" not in p.parts)
#: Blocks for a peer client and the reader's own files (tests/peers runs pymaid where it is there).
PEER_ONLY = "pymaid"


def python_blocks(page: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return [textwrap.dedent(m.group(1)).strip("\n") + "\n"
            for m in re.finditer(r"^\.\. code-block:: python\n((?:\n|[ \t]+.*\n)+)", text, re.M)]


def standalone(block: str) -> bool:
    return "serve(" in block and PEER_ONLY not in block


SCRIPTS = [(page, i) for page in PAGES for i, block in enumerate(python_blocks(page)) if standalone(block)]


@pytest.mark.parametrize("page", [p for p in PAGES if ">>> " in (DOCS / p).read_text(encoding="utf-8")])
def test_every_doctest_page_is_run_by_a_test(page):
    tests = [p for p in (ROOT / "tests").rglob("test_*.py") if p.name != Path(__file__).name]
    name = Path(page).name
    runners = [p for p in tests if name in p.read_text(encoding="utf-8") or
               (page.startswith("backends/") and "WORKED" in p.read_text(encoding="utf-8"))]
    assert runners, f"no test runs the examples of docs/{page}"


@pytest.mark.parametrize("page,index", SCRIPTS, ids=[f"{p}#{i}" for p, i in SCRIPTS])
def test_a_block_with_its_own_server_runs_as_a_script(page, index, tmp_path):
    if "dask" in python_blocks(page)[index]:
        pytest.importorskip("distributed.client")  # (a tests/distributed folder on the path is not it)
    script = tmp_path / "example.py"
    script.write_text(python_blocks(page)[index], encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("page", PAGES)
def test_every_other_block_compiles(page):
    for i, block in enumerate(python_blocks(page)):
        compile(block, f"{page} block {i}", "exec")


def test_there_are_scripts():
    assert ("dask.rst", 0) in SCRIPTS and len(SCRIPTS) >= 4

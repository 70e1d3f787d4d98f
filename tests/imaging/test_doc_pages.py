"""The Python blocks of docs/images.rst and docs/dask.rst run as written (bundled servers only)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


def blocks(page: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return [textwrap.dedent(m.group(1)) for m in re.finditer(r"^\.\. code-block:: python\n((?:\n|[ \t]+.*\n)+)", text, re.M)]


@pytest.mark.parametrize("index", range(2))
def test_images_page_examples_run(index):
    code = blocks("images.rst")[index]
    scope: dict = {}
    exec(compile(code, f"images.rst block {index}", "exec"), scope)
    if "patch" in scope:
        assert scope["patch"].shape == (300, 600) and scope["overview"].shape == (512, 512)
    else:
        assert scope["window"].shape == (512, 512, 3) and scope["mask"].shape == scope["crop"].shape[:2]


def test_dask_page_example_runs_as_a_script(tmp_path):
    """As a script, the way users run it: the worker processes import it again (spawn), which
    failed with "Nanny failed to start" before the ``__main__`` guard."""
    import os
    import subprocess
    import sys

    pytest.importorskip("dask.dataframe")
    pytest.importorskip("distributed")
    script = tmp_path / "dask_example.py"
    script.write_text(blocks("dask.rst")[0], encoding="utf-8")
    root = str(DOCS.parent)
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split("\n")[-2] == "100 50 ['PN']"


def test_the_pages_have_their_examples():
    assert len(blocks("images.rst")) == 2 and len(blocks("dask.rst")) == 1

"""The documentation's examples are real code: the worked examples run as doctests against the
bundled servers, every other Python block at least compiles, and Sphinx builds without warnings."""

import doctest
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
#: The pages whose examples are written here (other pages are tested by their authors).
PAGES = ["index.rst", "quickstart.rst", "cli.rst", "supported.rst", "api.rst", "design.rst",
         "backends/catmaid.rst", "backends/cytomine.rst", "backends/neuromorpho.rst", "backends/clio.rst",
         "backends/cave.rst"]
WORKED = [p for p in PAGES if p.startswith("backends/")]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def python_blocks(text):
    """The bodies of the ``.. code-block:: python`` directives in reStructuredText."""
    blocks = []
    for match in re.finditer(r"^\.\. code-block:: python\n((?:\n|[ \t]+.*\n)+)", text, re.M):
        blocks.append(textwrap.dedent(match.group(1)).strip("\n"))
    return blocks


def test_every_page_is_listed_here():
    on_disk = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.rst") if "_build" not in p.parts and "_generated" not in p.parts}
    others = {"interop.rst", "copying.rst", "howto-pymaid-offline.rst", "images.rst", "dask.rst", "resuming.rst",
              "cache.rst", "scaling.rst"}
    assert on_disk - others == set(PAGES)


@pytest.mark.parametrize("page", WORKED)
def test_worked_example_runs(page):
    parser = doctest.DocTestParser()
    text = (DOCS / page).read_text(encoding="utf-8")
    test = parser.get_doctest(text, {}, page, str(DOCS / page), 0)
    assert len(test.examples) >= 10, "a worked example per backend page"
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    output = []
    runner.run(test, out=output.append)
    assert runner.failures == 0, "".join(output)


@pytest.mark.parametrize("page", PAGES)
def test_python_blocks_compile(page):
    for block in python_blocks((DOCS / page).read_text(encoding="utf-8")):
        compile(block, page, "exec")


def test_readme_python_blocks_compile():
    blocks = python_blocks((ROOT / "README.rst").read_text(encoding="utf-8"))
    assert len(blocks) >= 2
    for block in blocks:
        compile(block, "README.rst", "exec")


def test_readme_first_commands():
    text = (ROOT / "README.rst").read_text(encoding="utf-8")
    assert "pip install . && neuromodels demo" in text
    assert "pip install '.[test]' && pytest" in text


def test_sphinx_builds_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    build = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                            str(DOCS), str(tmp_path / "html")], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-3000:]
    assert (tmp_path / "html" / "backends" / "clio.html").exists()


def test_readme_renders_without_warnings():
    core = pytest.importorskip("docutils.core")
    from docutils.writers.html4css1 import Writer

    text = (ROOT / "README.rst").read_text(encoding="utf-8")
    html = core.publish_string(text, writer=Writer(),
                               settings_overrides={"halt_level": 2, "report_level": 2, "output_encoding": "unicode"})
    assert "neuromodels demo" in html


def test_design_page_examples_run():
    text = (DOCS / "design.rst").read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {}, "design.rst", str(DOCS / "design.rst"), 0)
    assert test.examples
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    output: list[str] = []
    runner.run(test, out=output.append)
    assert runner.failures == 0, "".join(output)

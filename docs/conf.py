project = "neuromodels"
author = "the neuromodels developers"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"]
autodoc_member_order = "bysource"
autodoc_typehints = "none"
html_theme = "alabaster"
exclude_patterns = ["_build"]
nitpicky = False
suppress_warnings = ["ref.python"]


# The capability tables of the backend pages are generated from the backends' declarations.
def _generate_backend_tables() -> None:
    import os

    from neuromodels.backends.describe import rst

    folder = os.path.join(os.path.dirname(__file__), "backends", "_generated")
    os.makedirs(folder, exist_ok=True)
    for name in ("catmaid", "cytomine", "neuromorpho", "clio", "cave"):
        with open(os.path.join(folder, f"{name}.rst"), "w", encoding="utf-8") as fh:
            fh.write(rst(name))


# The tables of each peer client's operations -> neuromodels come from the rows that
# tests/<backend>/test_coverage.py runs against the bundled servers.
def _generate_coverage_tables() -> None:
    import importlib
    import os
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if root not in sys.path:
        sys.path.insert(0, root)
    folder = os.path.join(os.path.dirname(__file__), "backends", "_generated")
    for name in ("neuromorpho", "clio"):
        rows = importlib.import_module(f"tests.{name}.coverage_rows").ROWS
        lines = [".. list-table::", "   :header-rows: 1", "   :widths: 30 45 25", "",
                 "   * - peer operation", "     - neuromodels", "     - note"]
        for row in rows:
            lines += [f"   * - ``{row['peer']}``", f"     - ``{row['neuromodels']}``", f"     - {row['note'] or ''}"]
        with open(os.path.join(folder, f"{name}-coverage.rst"), "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")


_generate_backend_tables()
_generate_coverage_tables()


# The Cytomine client -> neuromodels table comes from the rows tests/cytomine/test_coverage.py runs.
def _generate_cytomine_coverage() -> None:
    import os
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, root)
    try:
        from tests.cytomine.coverage_rows import ROWS
    finally:
        sys.path.remove(root)

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("`", "'").replace("*", "\\*")

    lines = [".. list-table::", "   :header-rows: 1", "   :widths: 30 45 25", "",
             "   * - Cytomine client", "     - neuromodels", "     - note"]
    for row in ROWS:
        code = " ".join(row["neuromodels"].split())
        lines += [f"   * - ``{row['client']}``", f"     - ``{code}``", f"     - {cell(row.get('note', ''))}"]
    folder = os.path.join(os.path.dirname(__file__), "backends", "_generated")
    with open(os.path.join(folder, "cytomine-coverage.rst"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


_generate_cytomine_coverage()
exclude_patterns.append("backends/_generated")


# The pymaid -> neuromodels table of the CATMAID page: from tests/catmaid/coverage/rows_*.py, the
# rows a test runs against the bundled server.
def _generate_pymaid_coverage() -> None:
    import os
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if root not in sys.path:
        sys.path.insert(0, root)
    from tests.catmaid.coverage.generate import write

    write(os.path.join(os.path.dirname(__file__), "backends", "_generated", "pymaid_coverage.rst"))


_generate_pymaid_coverage()

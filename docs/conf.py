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
    for name in ("catmaid", "cytomine", "neuromorpho", "clio"):
        with open(os.path.join(folder, f"{name}.rst"), "w", encoding="utf-8") as fh:
            fh.write(rst(name))


_generate_backend_tables()


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
exclude_patterns.append("backends/_generated")

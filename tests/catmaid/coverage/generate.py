"""The pymaid -> neuromodels table, from every ``rows_*.py`` of this folder.

``python -m tests.catmaid.coverage.generate [path]`` writes the reStructuredText table (docs/conf.py
calls :func:`write` at every docs build, into docs/backends/_generated/pymaid_coverage.rst).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
FIELDS = ("pymaid", "call", "run")


def modules() -> list[ModuleType]:
    """Every ``rows_*.py`` of this folder, in name order."""
    found = []
    for path in sorted(HERE.glob("rows_*.py")):
        spec = importlib.util.spec_from_file_location(f"neuromodels_coverage_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found.append(module)
    return found


def rows() -> list[dict[str, Any]]:
    """All rows, each with ``source`` (its file), sorted by the pymaid function."""
    result = []
    for module in modules():
        for row in getattr(module, "ROWS", []):
            missing = [f for f in FIELDS if not row.get(f)]
            if missing:
                raise ValueError(f"{module.__name__}: row {row.get('pymaid')!r} lacks {missing}")
            result.append({**row, "source": Path(module.__file__ or "").name})
    return sorted(result, key=lambda r: (r["pymaid"].replace("pymaid.", "").lower(), r["source"]))


def _cell(text: str) -> str:
    return text.replace("\n", " ").strip()


def rst() -> str:
    """The table as a reStructuredText list-table."""
    table = rows()
    lines = [".. list-table::", "   :header-rows: 1", "   :widths: 30 45 25", "",
             "   * - pymaid", "     - neuromodels", "     - note"]
    for row in table:
        lines += [f"   * - ``{_cell(row['pymaid'])}``", f"     - ``{_cell(row['call'])}``",
                  f"     - {_cell(row.get('note', '')) or ' '}"]
    lines += ["", f"{len(table)} rows; each row's call is run against the bundled CATMAID by "
              "``tests/catmaid/coverage/test_coverage.py``.", ""]
    return "\n".join(lines)


def write(path: str | Path) -> None:
    Path(path).write_text(rst(), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        write(sys.argv[1])
    else:
        print(rst())

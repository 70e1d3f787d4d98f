"""How much of each backend's client side is declarations, and how loosely it is typed.

    python tests/tools/declarations.py [ROOT]

Per backend (its ``neuromodels/backends/<name>/`` modules): lines of declarations (class-level
assignments: capabilities' settings, filters, paging, reasons, endpoints, converter hooks
registered at module level) against lines of method and function bodies; and the number of
parameters typed ``Any`` and of ``type: ignore`` comments. Counted the same way for every backend.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def count(folder: Path) -> dict[str, int]:
    declarations = bodies = any_params = ignores = 0
    for path in sorted(folder.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        ignores += source.count("type: ignore")
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                bodies += node.end_lineno - node.body[0].lineno + 1  # type: ignore[operator]
                args = node.args.args + node.args.kwonlyargs + node.args.posonlyargs
                any_params += sum(1 for a in args if a.annotation is not None and ast.unparse(a.annotation) == "Any")
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, (ast.Assign, ast.AnnAssign)):
                        declarations += item.end_lineno - item.lineno + 1  # type: ignore[operator]
    return {"declarations": declarations, "bodies": bodies, "any_params": any_params, "type_ignores": ignores}


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])
    backends = root / "neuromodels" / "backends"
    print(f"{'backend':<12} {'declarations':>12} {'bodies':>7} {'Any params':>10} {'type: ignore':>12}")
    for folder in sorted(p for p in backends.iterdir() if p.is_dir() and (p / "__init__.py").exists()):
        c = count(folder)
        print(f"{folder.name:<12} {c['declarations']:>12} {c['bodies']:>7} {c['any_params']:>10} {c['type_ignores']:>12}")


if __name__ == "__main__":
    main()

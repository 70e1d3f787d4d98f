"""How much of each backend's client side is declarations and how much method bodies.

    python -m tests.tools.declarations

Every ``neuromodels/backends/<name>/*.py`` file is read with :mod:`ast`, counting code lines only
(no blank lines, comments or docstrings): a line inside the body of a ``def`` (or a ``lambda``
spanning lines) is a method-body line; every other code line — imports, class lines, tables,
constants, signatures — a declaration line. The same rule for every backend.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "neuromodels" / "backends"


def code_lines(source: str) -> set[int]:
    """Lines holding code: neither blank, nor only a comment, nor part of a docstring."""
    lines = {tok.start[0] for tok in tokenize.generate_tokens(io.StringIO(source).readline)
             if tok.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                                 tokenize.ENDMARKER)}
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                lines -= set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return lines


def body_lines(source: str) -> set[int]:
    """Lines inside the bodies of functions (after the signature)."""
    inside: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside |= set(range(node.body[0].lineno, (node.end_lineno or node.lineno) + 1))
    return inside


def count(backend: str) -> tuple[int, int]:
    declarations = bodies = 0
    for path in sorted((ROOT / backend).glob("*.py")):
        source = path.read_text(encoding="utf-8")
        code = code_lines(source)
        inside = code & body_lines(source)
        bodies += len(inside)
        declarations += len(code - inside)
    return declarations, bodies


def main() -> None:
    print(f"{'backend':<12} {'declarations':>12} {'method bodies':>14} {'declared share':>15}")
    for backend in sorted(p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()):
        declarations, bodies = count(backend)
        print(f"{backend:<12} {declarations:>12} {bodies:>14} {declarations / (declarations + bodies):>14.0%}")


if __name__ == "__main__":
    main()

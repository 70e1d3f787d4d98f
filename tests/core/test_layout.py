"""The architecture, checked: the core imports no feature and names no backend, its modules
import each other without a circle, and a backend is small (the toy's client side)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "neuromodels" / "core"
FEATURES = ("transfer", "interop", "imaging", "distributed", "models", "backends", "testing", "cache")
BACKEND_NAMES = re.compile(r"\b(catmaid|cytomine|neuromorpho|clio|cave)\b", re.I)


def runtime_imports(path: Path) -> set[str]:
    """Modules imported when ``path`` runs (TYPE_CHECKING blocks left out), as absolute names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ["neuromodels", "core"]
    found: set[str] = set()

    def visit(node: ast.AST, typing_only: bool) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child, typing_only)
            return
        if isinstance(node, ast.ImportFrom) and not typing_only:
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if node.module is None:
                found.update(f"{module}.{alias.name}" for alias in node.names)
            else:
                found.add(module)
        elif isinstance(node, ast.Import) and not typing_only:
            found.update(alias.name for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child, typing_only)

    visit(tree, False)
    return found


def test_the_core_imports_no_feature():
    for path in CORE.glob("*.py"):
        for module in runtime_imports(path):
            if module.startswith("neuromodels."):
                top = module.split(".")[1]
                assert top not in FEATURES, f"{path.name} imports {module}"


def test_the_core_imports_nothing_of_the_package_outside_it():
    """Not even the connection module (and through it the transport and the backend registry):
    which connection a call uses is the core's own rule (core/context.py)."""
    for path in CORE.glob("*.py"):
        outside = [m for m in runtime_imports(path) if m.startswith("neuromodels.") and not m.startswith("neuromodels.core")]
        assert not outside, f"{path.name} imports {outside} when it runs"


def test_the_core_names_no_backend():
    for path in CORE.glob("*.py"):
        code = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                         if not line.lstrip().startswith(("#", ">>>", "...")))
        tree = ast.parse(code)
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef)) and n.body
                      and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                   and id(n) not in docstrings]  # prose may give a backend as an example
        for text in strings:
            assert not BACKEND_NAMES.search(text), f"{path.name} names a backend: {text[:80]!r}"


#: Modules outside ``backends/`` that may import a backend's own modules: the package's top level
#: re-exports the models only Cytomine has (``from neuromodels import Term``, the public surface).
REEXPORTS = {"__init__.py"}


def test_nothing_outside_the_backends_decides_by_a_backend_name():
    """A feature outside ``backends/`` (copying, navis, pictures, credentials ...) reads what a
    backend declares: it never compares a backend's name, and never imports a backend's modules,
    so a backend added through an entry point joins every feature."""
    package = ROOT / "neuromodels"
    for path in package.rglob("*.py"):
        rel = path.relative_to(package)
        if rel.parts[0] in ("backends", "testing"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
                named = [o.value for o in operands if isinstance(o, ast.Constant) and isinstance(o.value, str)
                         and BACKEND_NAMES.fullmatch(o.value)]
                assert not named, f"{rel}:{node.lineno} decides by the backend name {named[0]!r}"
            if isinstance(node, ast.ImportFrom) and node.module and str(rel) not in REEXPORTS:
                parts = node.module.split(".")
                assert not ("backends" in parts and any(BACKEND_NAMES.fullmatch(p) for p in parts)), (
                    f"{rel}:{node.lineno} imports {node.module}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                module = re.search(r"neuromodels\.backends\.(\w+)", node.value)
                assert not (module and BACKEND_NAMES.fullmatch(module[1])), (
                    f"{rel}:{node.lineno} names a backend's module: {node.value[:80]!r}")


def test_no_import_circle_inside_the_core():
    graph = {p.stem: {m.split(".")[2] for m in runtime_imports(p) if m.startswith("neuromodels.core.")}
             for p in CORE.glob("*.py") if p.stem != "__init__"}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    circles = [name for name in graph if reaches(name, name, {name})]
    assert circles == [], f"import circles through {circles}"


def test_no_module_over_400_lines():
    """Modules are split by meaning before they grow past what a reader holds at once."""
    long = {str(path.relative_to(ROOT)): n for path in (ROOT / "neuromodels").rglob("*.py")
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400}
    assert long == {}


def test_a_whole_backend_is_small_the_toy_in_under_200_lines_of_client_code():
    source = (ROOT / "tests" / "toy.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    client = [n for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))
              and not n.name.startswith("Toy" + "App") and n.name != "ToyServer"]
    lines = sum(n.end_lineno - n.lineno + 1 for n in client)
    assert 0 < lines < 200, lines

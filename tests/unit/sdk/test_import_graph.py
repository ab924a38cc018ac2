"""vibes_sdk's modules import each other without a circle: the context variables live in
_internal/current.py, which the public modules and the processors both import."""

from __future__ import annotations

import ast
from pathlib import Path

import vibes_sdk

ROOT = Path(vibes_sdk.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST, *, top_level: bool) -> set[str]:
    nodes = tree.body if top_level else [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    found: set[str] = set()
    for node in nodes if top_level else [i for f in nodes for i in ast.walk(f)]:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("vibes_sdk"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("vibes_sdk"))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        graph[name] = {m for m in _imports(tree, top_level=True) if m in modules and m != name}
    return graph


def test_no_import_circle():
    graph = _graph()
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in graph[node]:
            if dep == "vibes_sdk":  # the package itself: its public names load lazily (PEP 562)
                continue
            assert state.get(dep) != 1, "import circle: " + " → ".join([*path, node, dep])
            if dep not in state:
                visit(dep, [*path, node])
        state[node] = 2

    for module in graph:
        if module not in state:
            visit(module, [])


def test_no_function_level_imports_of_the_sdk_inside_the_sdk():
    """A function-level import is how a circle hides; the package's lazy loader is the exception."""
    offenders = {}
    for path in ROOT.rglob("*.py"):
        if path == ROOT / "__init__.py" or path.name == "demo.py":
            continue
        inner = _imports(ast.parse(path.read_text()), top_level=False)
        if inner:
            offenders[_module_name(path)] = sorted(inner)
    assert not offenders, offenders

"""The import graph of ``connectors/`` is a DAG that follows the layers of docs/ARCHITECTURE.md.

A static check (``ast``, nothing is imported): every ``import`` / ``from ... import`` of a
``connectors`` module anywhere in a file — module level or inside a function — is an edge. The
test fails when

(a) the edges form a cycle (two modules that import each other, directly or through others), or
(b) a module imports from a layer above its own (the order is :data:`LAYERS`, lowest first, as
    ARCHITECTURE.md states it; modules of one layer may import each other, without cycles).

``from package import name`` is an edge to ``package.name`` when that is a module, else to the
package (its ``__init__``). :data:`ALLOWED` lists the known violations left to fix, each with a
TODO; an entry that no longer occurs fails the test too, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "connectors"

#: lowest first; a module belongs to the layer of the longest prefix that names it
LAYERS: list[tuple[str, ...]] = [
    (
        "connectors",  # the package itself (empty)
        "connectors.errors",
        "connectors.utils",
        "connectors.logger",
        "connectors.secrets",
        "connectors.worker_liveness",
    ),
    ("connectors.extraction",),  # text extraction for any source, light where workers go
    (
        "connectors.configuration",
        "connectors.source",
        "connectors.access_control",
        "connectors.index_view",
        "connectors.registry",
        "connectors.config",
        "connectors.config_schema",
        "connectors.config_validation",
    ),
    ("connectors.es",),
    ("connectors.protocol",),
    ("connectors.filtering",),
    ("connectors.sources",),
    ("connectors.sync",),
    ("connectors.services",),
    ("connectors.ui",),
    ("connectors.cli", "connectors.__main__", "connectors.console"),
]

#: (importer, imported) pairs known to break a rule, each to be fixed; see the TODO beside it
ALLOWED: dict[tuple[str, str], str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def imports_in(source: str, importer: str, is_package: bool, modules) -> set[str]:
    """The ``connectors`` modules ``importer`` imports, wherever the statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "connectors")
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(importer, is_package, node)
            if base.split(".")[0] != "connectors":
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in modules else base)
    found.discard(importer)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    return {
        name: imports_in(path.read_text(encoding="utf-8"), name, path.name == "__init__.py", modules)
        for name, path in modules.items()
    }


def layer_of(module: str) -> int:
    best, best_len = None, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    assert best is not None, f"{module} is in no layer: add it to LAYERS (and to ARCHITECTURE.md)"
    return best


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan), as sorted lists."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def upward_imports(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {
        (importer, imported)
        for importer, targets in graph.items()
        for imported in targets
        if imported in graph and layer_of(imported) > layer_of(importer)
    }


def test_every_module_has_a_layer():
    for module in all_modules():
        layer_of(module)


def test_no_import_cycles():
    graph = import_graph()
    allowed = {pair for pair in ALLOWED}
    pruned = {m: {t for t in targets if (m, t) not in allowed} for m, targets in graph.items()}
    assert find_cycles(pruned) == []


def test_imports_point_down_the_layers():
    found = upward_imports(import_graph())
    assert sorted(found - set(ALLOWED)) == []
    assert sorted(set(ALLOWED) - found) == [], "fixed: remove these from ALLOWED"


def test_the_checks_can_fail():
    """The checks see function-level and relative imports, and cycles of any length."""
    graph = {
        "connectors.a": {"connectors.b"},
        "connectors.b": {"connectors.c"},
        "connectors.c": {"connectors.a"},
    }
    assert find_cycles(graph) == [["connectors.a", "connectors.b", "connectors.c"]]
    source = "import os\ndef f():\n    from connectors.ui.app import SETTINGS\n    from . import render\n"
    modules = {"connectors.ui.app", "connectors.ui.views.render"}
    assert imports_in(source, "connectors.ui.views.x", False, modules) == modules
    graph = {
        "connectors.es.mappings": {"connectors.protocol.constants"},
        "connectors.protocol.constants": set(),
    }
    assert upward_imports(graph) == {("connectors.es.mappings", "connectors.protocol.constants")}

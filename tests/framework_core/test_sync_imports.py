"""The sync layer imports nothing from the layers above it (issue 12: the one-shot sync used
``services.base``; the scheduling service took ``error_message`` from the runner)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "connectors"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):  # function-level imports included
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_sync_imports_no_service_or_ui_module():
    above = ("connectors.services", "connectors.ui", "connectors.cli")
    found = {
        f"{path.relative_to(ROOT.parent)}: {name}"
        for path in (ROOT / "sync").glob("*.py")
        for name in _imports(path)
        if name.startswith(above)
    }
    assert found == set()


def test_services_take_error_message_from_the_errors_module():
    found = {
        f"{path.name}: {name}"
        for path in (ROOT / "services").glob("*.py")
        for name in _imports(path)
        if name == "connectors.sync.runner" and "error_message" in path.read_text()
    }
    assert found == set()

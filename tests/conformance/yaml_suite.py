"""Load Elasticsearch YAML REST test files into runnable test cases.

A file is a stream of YAML documents. A document keyed ``setup`` or ``teardown`` holds the steps
run before / after every test of the file; a document keyed ``requires`` alone (clients-tests
style) declares which deployment types the file targets; every other key is one named test.

Test ids are ``<path relative to the suite root>::<test name>``, the form used by
``expected_pass.txt`` and ``skips.yml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SUITE_ROOT = Path("/work/shared/es-rest-tests")
SUITE_FOLDERS = ("clients-tests", "entsearch-connector", "rest-api-spec")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SuiteFormatError(Exception):
    """A YAML test file does not have the documented shape."""


@dataclass(frozen=True)
class YamlTest:
    """One named test of a YAML file, with the file's setup and teardown steps."""

    file: str  # path relative to the suite root, e.g. "clients-tests/bulk/10_basic.yml"
    name: str
    steps: list[dict[str, Any]]
    setup: list[dict[str, Any]] = field(default_factory=list)
    teardown: list[dict[str, Any]] = field(default_factory=list)
    file_requires: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.file}::{self.name}"

    @property
    def folder(self) -> str:
        """The folder used for per-folder counts: the file's directory (or the suite folder)."""
        parent = str(Path(self.file).parent)
        return parent


def _steps(value: Any, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(step, dict) for step in value):
        raise SuiteFormatError(f"{where}: expected a list of steps (maps), got {type(value).__name__}")
    return value


def load_file(path: Path, root: Path = SUITE_ROOT) -> list[YamlTest]:
    """Parse one YAML test file into its tests (in file order)."""
    rel = str(path.relative_to(root))
    try:
        loaded = yaml.load_all(path.read_text(encoding="utf-8"), Loader=_LOADER)
        documents = [doc for doc in loaded if doc]
    except yaml.YAMLError as exc:
        raise SuiteFormatError(f"{rel}: invalid YAML: {exc}") from exc
    setup: list[dict[str, Any]] = []
    teardown: list[dict[str, Any]] = []
    requires: dict[str, Any] = {}
    named: list[tuple[str, Any]] = []
    for index, document in enumerate(documents):
        if not isinstance(document, dict):
            raise SuiteFormatError(f"{rel}: document {index} is not a map")
        for key, value in document.items():
            if key == "setup":
                setup = _steps(value, f"{rel}: setup")
            elif key == "teardown":
                teardown = _steps(value, f"{rel}: teardown")
            elif key == "requires" and isinstance(value, dict) and len(document) == 1:
                requires = value
            else:
                named.append((str(key), value))
    return [
        YamlTest(
            file=rel,
            name=name,
            steps=_steps(value, f"{rel}: test {name!r}"),
            setup=setup,
            teardown=teardown,
            file_requires=requires,
        )
        for name, value in named
    ]


def discover(root: Path = SUITE_ROOT, folders: tuple[str, ...] = SUITE_FOLDERS) -> list[YamlTest]:
    """Every test of every ``*.yml`` file under the given suite folders, sorted by file."""
    tests: list[YamlTest] = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*.yml")):
            tests.extend(load_file(path, root))
    return tests

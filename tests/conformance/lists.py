"""The checked-in lists that decide how each YAML test counts in ``make test``.

* ``expected_pass.txt``: one test id per line (``#`` comments allowed). These must pass.
* ``skips.yml``: ``skip:`` maps test id -> reason for tests that are out of scope (not run);
  ``xfail:`` maps test id -> reason for known failures (run; a failure is expected, a pass is
  reported as XPASS so the test can be promoted to ``expected_pass.txt``).

A test on neither list fails with a message asking for it to be listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).parent
EXPECTED_PASS = HERE / "expected_pass.txt"
SKIPS = HERE / "skips.yml"


class ListFormatError(Exception):
    """A checked-in list is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class Lists:
    expected_pass: frozenset[str]
    skip: dict[str, str]
    xfail: dict[str, str]


def read_expected(path: Path = EXPECTED_PASS) -> frozenset[str]:
    if not path.exists():
        return frozenset()
    ids = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            ids.append(line)
    return frozenset(ids)


def read_skips(path: Path = SKIPS) -> tuple[dict[str, str], dict[str, str]]:
    if not path.exists():
        return {}, {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or set(data) - {"skip", "xfail"}:
        raise ListFormatError(f"{path}: expected top-level keys 'skip' and 'xfail' only, got {sorted(data)}")
    sections = []
    for key in ("skip", "xfail"):
        section = data.get(key) or {}
        if not isinstance(section, dict):
            raise ListFormatError(f"{path}: '{key}' must map test id -> reason")
        for test_id, reason in section.items():
            if not isinstance(reason, str) or not reason.strip():
                raise ListFormatError(f"{path}: {key} entry {test_id!r} needs a reason")
        sections.append({str(k): v for k, v in section.items()})
    return sections[0], sections[1]


def load() -> Lists:
    skip, xfail = read_skips()
    expected = read_expected()
    both = expected & (set(skip) | set(xfail))
    if both:
        raise ListFormatError(f"tests both expected to pass and skipped/xfailed: {sorted(both)[:5]}")
    return Lists(expected_pass=expected, skip=skip, xfail=xfail)

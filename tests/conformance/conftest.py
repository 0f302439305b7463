"""Per-folder counts of the conformance run, and the outcome recorder used by refresh_lists."""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict

_MARK = "test_yaml_suite.py::test_yaml["
_outcomes: dict[str, dict[str, str]] = {}


def _test_id(nodeid: str) -> str | None:
    if _MARK not in nodeid or not nodeid.endswith("]"):
        return None
    return nodeid.split(_MARK, 1)[1][:-1]


def _folder(test_id: str) -> str:
    return test_id.split("::", 1)[0].rsplit("/", 1)[0]


def pytest_runtest_logreport(report):
    test_id = _test_id(report.nodeid)
    if test_id is None:
        return
    if report.when == "call" or report.outcome != "passed":
        if report.when != "call" and test_id in _outcomes:
            return
        outcome = "xfailed" if hasattr(report, "wasxfail") and report.skipped else report.outcome
        message = ""
        if report.failed and report.longrepr is not None:
            message = getattr(report.longrepr, "reprcrash", None)
            message = message.message if message is not None else str(report.longrepr)
        elif report.skipped and isinstance(report.longrepr, tuple):
            message = report.longrepr[2]
        _outcomes[test_id] = {"outcome": outcome, "message": message}


def pytest_sessionfinish(session):
    path = os.environ.get("CONFORMANCE_RECORD")
    if path and _outcomes:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(_outcomes, handle, indent=1, sort_keys=True)


def pytest_terminal_summary(terminalreporter):
    counts: dict[str, Counter] = defaultdict(Counter)
    for category in ("passed", "failed", "skipped", "xfailed", "xpassed", "error"):
        for report in terminalreporter.stats.get(category, []):
            test_id = _test_id(getattr(report, "nodeid", ""))
            if test_id is None:
                continue
            if category == "passed" and report.when != "call":
                continue
            counts[_folder(test_id)][category] += 1
    if not counts:
        return
    terminalreporter.write_sep("=", "Elasticsearch YAML conformance per folder")
    header = f"{'folder':45} {'passed':>7} {'failed':>7} {'skipped':>8} {'xfailed':>8} {'xpassed':>8}"
    terminalreporter.write_line(header)
    total: Counter = Counter()
    for folder in sorted(counts):
        c = counts[folder]
        total.update(c)
        terminalreporter.write_line(
            f"{folder:45} {c['passed']:>7} {c['failed'] + c['error']:>7} {c['skipped']:>8} "
            f"{c['xfailed']:>8} {c['xpassed']:>8}"
        )
    terminalreporter.write_line(
        f"{'TOTAL':45} {total['passed']:>7} {total['failed'] + total['error']:>7} {total['skipped']:>8} "
        f"{total['xfailed']:>8} {total['xpassed']:>8}"
    )

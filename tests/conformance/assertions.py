"""Stash, object paths and the assertions of the YAML REST test format.

Semantics follow Elasticsearch's own YAML runner (``rest-api-spec/README.asciidoc``):

* ``$name`` as a whole value, and ``${name}`` inside a longer string, read the stash;
* a path is split on unescaped dots (``\\.`` is a literal dot), numeric parts index lists,
  ``''`` is the whole body and ``$body`` the raw body text;
* ``is_true`` fails on null, false, 0 and the empty string; ``is_false`` is its negation;
* a ``match`` value written ``/.../`` is a regular expression with whitespace and ``#``
  comments ignored (Java's COMMENTS flag, Python's VERBOSE), searched in the actual value.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

_EMBEDDED = re.compile(r"\$\{([^}]+)\}")
MISSING = object()


class AssertionFailure(AssertionError):
    """A YAML assertion did not hold; the message names the step, path, expected and actual."""


class Stash:
    """Values saved by ``set`` steps, substituted into later requests and assertions."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self.raw_body: str | None = None

    def set(self, name: str, value: Any) -> None:
        self._values[name] = value

    def get(self, name: str) -> Any:
        if name == "body":
            return self.raw_body
        if name not in self._values:
            raise AssertionFailure(f"stash has no value named {name!r} (known: {sorted(self._values)})")
        return self._values[name]

    def resolve(self, value: Any) -> Any:
        """Replace stash references anywhere inside ``value`` (keys, lists, nested maps)."""
        if isinstance(value, str):
            if value.startswith("$") and not value.startswith("${") and _is_name(value[1:]):
                return self.get(value[1:])
            if "${" in value:
                return _EMBEDDED.sub(lambda m: _text(self.get(m.group(1))), value)
            return value
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, dict):
            return {self.resolve(key): self.resolve(item) for key, item in value.items()}
        return value


def _is_name(text: str) -> bool:
    return bool(text) and re.fullmatch(r"[A-Za-z0-9_.\-]+", text) is not None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def split_path(path: str) -> list[str]:
    """Split on dots not preceded by a backslash; drop trailing empty parts (Java split)."""
    if path in ("", "$body"):
        return []
    parts = [part.replace("\\.", ".") for part in re.split(r"(?<!\\)\.", path)]
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def lookup(body: Any, path: str, stash: Stash) -> Any:
    """Value at ``path`` in ``body``; ``MISSING`` when any step of the path is absent."""
    if path == "$body":
        return stash.raw_body
    current = body
    for raw_part in split_path(path):
        part = stash.resolve(raw_part) if raw_part.startswith("$") else raw_part
        if isinstance(current, dict):
            if part in current:
                current = current[part]
                continue
            return MISSING
        if isinstance(current, list):
            try:
                index = int(part)
            except (TypeError, ValueError):
                return MISSING
            if -len(current) <= index < len(current):
                current = current[index]
                continue
            return MISSING
        return MISSING
    return current


def _describe(value: Any) -> str:
    return "<missing>" if value is MISSING else repr(value)


def is_regex(value: Any) -> bool:
    return isinstance(value, str) and len(value) >= 2 and value.startswith("/") and value.endswith("/")


def regex_matches(pattern: str, actual: Any, *, verbose: bool = True) -> bool:
    """``match`` regexes ignore whitespace and comments (Java's COMMENTS flag); ``catch`` ones don't."""
    text = actual if isinstance(actual, str) else _text(actual)
    return re.search(pattern.strip()[1:-1], text, re.VERBOSE if verbose else 0) is not None


def values_equal(expected: Any, actual: Any) -> bool:
    """Deep equality; numbers compare by value (1 == 1.0), never bool against number."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return expected == actual
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            values_equal(v, actual[k]) for k, v in expected.items()
        )
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            values_equal(e, a) for e, a in zip(expected, actual, strict=True)
        )
    return type(expected) is type(actual) and expected == actual


def _truthy(value: Any) -> bool:
    if value is MISSING or value is None or value is False:
        return False
    if isinstance(value, int | float) and not isinstance(value, bool) and value == 0:
        return False
    if isinstance(value, str) and value in ("", "false", "0"):
        return False
    return True


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise AssertionFailure(f"{what}: {value!r} is not a number")
    try:
        return float(value)
    except ValueError as exc:
        raise AssertionFailure(f"{what}: {value!r} is not a number") from exc


def _parse_time(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise AssertionFailure(f"{what}: {value!r} is not a date-time string")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise AssertionFailure(f"{what}: {value!r} is not an ISO-8601 date-time") from exc


def _contains(container: Any, item: Any) -> bool:
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    if isinstance(container, list):
        return any(_subset(item, element) for element in container)
    if isinstance(container, dict) and isinstance(item, dict):
        return _subset(item, container)
    return False


def _subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(key in actual and _subset(value, actual[key]) for key, value in expected.items())
    return values_equal(expected, actual)


def check(kind: str, spec: Any, body: Any, stash: Stash) -> None:
    """Run one assertion step of type ``kind`` against the last response body."""
    if kind in ("is_true", "is_false", "exists", "not_exists"):
        path = stash.resolve(spec) if isinstance(spec, str) else str(spec)
        actual = lookup(body, path, stash)
        ok = {
            "is_true": _truthy(actual),
            "is_false": not _truthy(actual),
            "exists": actual is not MISSING and actual is not None,
            "not_exists": actual is MISSING or actual is None,
        }[kind]
        if not ok:
            raise AssertionFailure(f"{kind} {path!r}: actual value {_describe(actual)}")
        return
    if not isinstance(spec, dict) or not spec:
        raise AssertionFailure(f"{kind}: expected a map of path -> value, got {spec!r}")
    for raw_path, raw_expected in spec.items():
        path = str(raw_path)
        actual = lookup(body, path, stash)
        expected = stash.resolve(raw_expected)
        _check_one(kind, path, expected, actual)


def _check_one(kind: str, path: str, expected: Any, actual: Any) -> None:
    where = f"{kind} {path!r}"
    if kind == "match":
        if expected is None:
            ok = actual is MISSING or actual is None  # Elasticsearch's runner: null matches absent
        elif is_regex(expected):
            ok = actual is not MISSING and regex_matches(expected, actual)
        else:
            ok = actual is not MISSING and values_equal(expected, actual)
        if not ok:
            raise AssertionFailure(f"{where}: expected {expected!r}, actual {_describe(actual)}")
    elif kind == "length":
        if actual is MISSING or not isinstance(actual, list | dict | str):
            raise AssertionFailure(f"{where}: no list, map or string there (actual {_describe(actual)})")
        if len(actual) != int(expected):
            raise AssertionFailure(f"{where}: expected length {expected}, actual {len(actual)} ({actual!r})")
    elif kind in ("gt", "gte", "lt", "lte"):
        if actual is MISSING:
            raise AssertionFailure(f"{where}: value is missing")
        a, e = _number(actual, where), _number(expected, where)
        ok = {"gt": a > e, "gte": a >= e, "lt": a < e, "lte": a <= e}[kind]
        if not ok:
            raise AssertionFailure(f"{where}: {actual!r} is not {kind} {expected!r}")
    elif kind == "contains":
        if actual is MISSING or not _contains(actual, expected):
            raise AssertionFailure(f"{where}: {_describe(actual)} does not contain {expected!r}")
    elif kind == "close_to":
        if not isinstance(expected, dict) or "value" not in expected:
            raise AssertionFailure(f"{where}: expected {{value: .., error: ..}}, got {expected!r}")
        error = float(expected.get("error", 0))
        if actual is MISSING or abs(_number(actual, where) - float(expected["value"])) > error:
            raise AssertionFailure(f"{where}: {_describe(actual)} not within {error} of {expected['value']}")
    elif kind == "is_after":
        if actual is MISSING:
            raise AssertionFailure(f"{where}: value is missing")
        if not _parse_time(actual, where) > _parse_time(expected, where):
            raise AssertionFailure(f"{where}: {actual!r} is not after {expected!r}")
    else:
        raise AssertionFailure(f"unknown assertion {kind!r}")

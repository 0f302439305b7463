"""A source's configuration: field specs, value coercion, ``depends_on`` and validations.

The connector document's ``configuration`` is a map ``key -> field spec``::

    {"label": "Confluence URL", "display": "textbox", "type": "str", "value": "https://...",
     "default_value": None, "order": 1, "required": True, "sensitive": False,
     "depends_on": [{"field": "data_source", "value": "confluence_server"}],
     "tooltip": None, "ui_restrictions": [], "options": [],
     "validations": [{"type": "less_than", "constraint": 100}]}

Rules (the same as Elastic's connectors framework):

* ``type`` is ``str``, ``int``, ``bool`` or ``list``; a ``list`` is edited as comma-separated text,
  so ``"a, b,,c"`` reads as ``["a", "b", "c"]``; ``int`` accepts ``"12"``; ``bool`` accepts
  ``true/false/yes/no/on/off/1/0``;
* a field whose value is empty reads as its ``default_value`` when it is not required;
* a required field must not be empty — unless its ``depends_on`` is not satisfied (every
  ``{field, value}`` pair must equal the other field's value), in which case the field is hidden
  and not validated at all;
* ``validations``: ``less_than`` / ``greater_than`` (numbers), ``list_type`` (``str`` / ``int``
  items), ``included_in`` (value, or each list item, in the constraint list), ``regex`` (full
  match of the value, or of each list item); a ``dropdown`` value must be one of its ``options``;
* text limits are ``regex`` validations too, because Elasticsearch stores only those five
  validation types (and drops unknown spec keys): :func:`plain_text` builds the one that allows at
  most N characters and no control characters (line breaks, NUL, ...), and its failure is worded
  as a length or control-character problem that never quotes the value (it may be a secret);
  no failed validation of a ``sensitive`` field quotes its value;
* the source's declared spec is the one that counts: :meth:`DataSourceConfiguration.set_defaults`
  keeps only the connector's *value* of a stored field (as :func:`merge_configuration` writes it).

:meth:`DataSourceConfiguration.problems` gives every problem by key, each message naming the
field by its label; :meth:`~DataSourceConfiguration.check_valid` raises them as one
:class:`ConfigurationError`. The UI checks a submitted form with the same code, so a limit stated
in a field spec is applied by both.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from typing import Any

from connectors.errors import ConfigurationError
from connectors.logger import remember_secrets
from connectors.secrets import MASK
from connectors.utils import clipped, quoted

FIELD_TYPES = ("str", "int", "bool", "list")
DISPLAYS = ("textbox", "textarea", "numeric", "toggle", "dropdown")
VALIDATION_TYPES = ("less_than", "greater_than", "list_type", "included_in", "regex")

_DEFAULT_DISPLAY = {"str": "textbox", "int": "numeric", "bool": "toggle", "list": "textarea"}
# the words a boolean field accepts (case and surrounding spaces ignored); the UI's form and the
# sync rules read booleans with :func:`parse_bool` too, so every part agrees on them
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "on", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "off", "0"})


def parse_bool(text: str) -> bool | None:
    """``True``/``False`` for a word of :data:`TRUE_WORDS`/:data:`FALSE_WORDS`, else ``None``."""
    word = str(text).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


SPEC_DEFAULTS: dict[str, Any] = {
    "label": "",
    "display": "textbox",
    "type": "str",
    "value": "",
    "default_value": None,
    "order": 1,
    "required": True,
    "sensitive": False,
    "depends_on": [],
    "tooltip": None,
    "ui_restrictions": [],
    "validations": [],
    "options": [],
}


def plain_text(max_chars: int) -> dict[str, Any]:
    """The validation of a one-line text of at most ``max_chars`` characters (no control characters).

    A ``regex`` (the protocol has no length validation), recognised by :func:`_check`, which words
    its failure as a length or control-character problem; list items are checked one by one.
    """
    return {"type": "regex", "constraint": _PLAIN_TEXT.format(max_chars)}


_PLAIN_TEXT = r"[^\x00-\x1f\x7f]{{0,{}}}"
_PLAIN_TEXT_SHAPE = re.compile(r"\[\^\\x00-\\x1f\\x7f\]\{0,(\d+)\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# -- building specs -------------------------------------------------------------------------
def field(
    label: str,
    *,
    type: str = "str",  # noqa: A002 - the protocol's name
    display: str | None = None,
    value: Any = None,
    default_value: Any = None,
    order: int | None = None,
    required: bool = True,
    sensitive: bool = False,
    depends_on: list[dict] | dict | None = None,
    tooltip: str | None = None,
    ui_restrictions: list[str] | None = None,
    validations: list[dict] | None = None,
    options: list | None = None,
) -> dict[str, Any]:
    """Build one complete field spec with the protocol's defaults filled in.

    ``display`` defaults from ``type`` (``numeric`` for int, ``toggle`` for bool, ``textarea`` for
    list, ``dropdown`` when ``options`` are given, else ``textbox``). ``value`` defaults to
    ``default_value`` (or ``""``). ``depends_on`` may be a plain ``{field: value}`` mapping.
    ``options`` may be plain values (label = value) or ``{label, value}`` dicts. ``order`` is
    filled by :func:`schema` from the position when not given.
    """
    if type not in FIELD_TYPES:
        raise ValueError(f"field {label!r}: type must be one of {', '.join(FIELD_TYPES)}, got {type!r}")
    if display is None:
        display = "dropdown" if options else _DEFAULT_DISPLAY[type]
    if display not in DISPLAYS:
        raise ValueError(f"field {label!r}: display must be one of {', '.join(DISPLAYS)}, got {display!r}")
    if isinstance(depends_on, Mapping) and "field" not in depends_on:
        depends_on = [{"field": k, "value": v} for k, v in depends_on.items()]
    elif isinstance(depends_on, Mapping):
        depends_on = [dict(depends_on)]
    norm_options = []
    for option in options or []:
        if isinstance(option, Mapping):
            norm_options.append(
                {"label": str(option.get("label", option.get("value"))), "value": option["value"]}
            )
        else:
            norm_options.append({"label": str(option), "value": option})
    for validation in validations or []:
        if validation.get("type") not in VALIDATION_TYPES:
            raise ValueError(f"field {label!r}: unknown validation type {validation.get('type')!r}")
    if value is None:
        value = default_value if default_value is not None else ""
    return {
        "label": label,
        "display": display,
        "type": type,
        "value": value,
        "default_value": default_value,
        "order": order,
        "required": required,
        "sensitive": sensitive,
        "depends_on": list(depends_on or []),
        "tooltip": tooltip,
        "ui_restrictions": list(ui_restrictions or []),
        "validations": [dict(v) for v in validations or []],
        "options": norm_options,
    }


def schema(fields: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Complete a ``key -> spec`` map: fill defaults and number ``order`` by position (1-based)."""
    out: dict[str, dict[str, Any]] = {}
    for position, (key, spec) in enumerate(fields.items(), start=1):
        full = copy.deepcopy(SPEC_DEFAULTS)
        full["label"] = key
        full.update(copy.deepcopy(dict(spec)))
        if full.get("order") is None:
            full["order"] = position
        out[key] = full
    return out


def merge_configuration(
    defaults: Mapping[str, Mapping[str, Any]], existing: Mapping[str, Any] | None
) -> dict[str, dict[str, Any]]:
    """The connector's configuration after (re)registering a source's default configuration.

    Every key of ``defaults`` is present with the source's current spec (label, tooltip,
    validations, ... can change between versions), but a value the user already set (the existing
    ``value``, when not ``None``) is kept. Keys the source no longer declares are dropped, so that
    an obsolete required field cannot block the connector. Neither input is modified.
    """
    merged: dict[str, dict[str, Any]] = {}
    for key, spec in schema(defaults).items():
        merged[key] = spec
        previous = (existing or {}).get(key)
        if isinstance(previous, Mapping):
            if previous.get("value") is not None:
                merged[key]["value"] = copy.deepcopy(previous["value"])
        elif previous is not None:
            merged[key]["value"] = copy.deepcopy(previous)
    return merged


def missing_fields(defaults: Mapping[str, Any], existing: Mapping[str, Any] | None) -> list[str]:
    """Keys of ``defaults`` absent from ``existing`` (the connector needs a configuration update)."""
    return [key for key in defaults if key not in (existing or {})]


# -- coercion -------------------------------------------------------------------------------
class CoercionError(ValueError):
    """A value cannot be read as the field's type (the message names the field)."""


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, list | tuple | set):
        return all(is_empty(item) for item in value)
    return False


def coerce(value: Any, field_type: str, label: str = "value") -> Any:
    """Read ``value`` as ``field_type``; empty reads as ``""`` / ``None`` / ``[]``.

    Raises :class:`CoercionError` naming ``label`` when the value cannot be read.
    """
    if field_type == "list":
        if value is None:
            return []
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(value, list | tuple | set):
            return [item.strip() if isinstance(item, str) else item for item in value if not is_empty(item)]
        return [value]
    if field_type == "int":
        if is_empty(value):
            return None
        if isinstance(value, bool):
            raise CoercionError(f"'{label}' must be an integer, got {quoted(value)}.")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            text = value.strip()
            try:
                return int(text)
            except ValueError:
                try:
                    as_float = float(text)
                except ValueError:
                    as_float = None
                if as_float is not None and as_float.is_integer():
                    return int(as_float)
        raise CoercionError(f"'{label}' must be an integer, got {quoted(value)}.")
    if field_type == "bool":
        if is_empty(value):
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and parse_bool(value) is not None:
            return parse_bool(value)
        raise CoercionError(f"'{label}' must be true or false, got {quoted(value)}.")
    # str (and unknown types: kept as text)
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return value if isinstance(value, str) else str(value)


# -- one field ------------------------------------------------------------------------------
class Field:
    """One configuration field: its spec and its value read as the field's type."""

    def __init__(self, key: str, spec: Mapping[str, Any]):
        self.key = key
        self.label: str = spec.get("label") or key
        self.type: str = spec.get("type") or "str"
        self.display: str = spec.get("display") or _DEFAULT_DISPLAY.get(self.type, "textbox")
        self.required: bool = bool(spec.get("required", True))
        self.sensitive: bool = bool(spec.get("sensitive", False))
        self.raw_value: Any = spec.get("value")
        self.raw_default: Any = spec.get("default_value")
        self.depends_on: list[dict] = list(spec.get("depends_on") or [])
        self.validations: list[dict] = list(spec.get("validations") or [])
        self.options: list = list(spec.get("options") or [])
        self.order = spec.get("order")

    def is_value_empty(self) -> bool:
        return is_empty(self.raw_value)

    def __repr__(self) -> str:  # never shows a sensitive value
        shown = MASK if self.sensitive and not self.is_value_empty() else repr(self.raw_value)
        return f"Field({self.key!r}, label={self.label!r}, type={self.type!r}, value={shown})"

    @property
    def value(self) -> Any:
        """The value read as the field's type; the default when empty and not required.

        Raises :class:`ConfigurationError` when the value cannot be read as the type.
        """
        try:
            if self.is_value_empty() and not self.required and self.raw_default is not None:
                return coerce(self.raw_default, self.type, self.label)
            return coerce(self.raw_value, self.type, self.label)
        except CoercionError as exc:
            raise ConfigurationError(str(exc)) from None

    def validate(self) -> list[str]:
        """Messages for each failed validation of a non-empty value (coercion errors included)."""
        try:
            value = self.value
        except ConfigurationError as exc:
            return list(exc.messages)
        if is_empty(value):
            return []
        errors = []
        for validation in self.validations:
            kind, constraint = validation.get("type"), validation.get("constraint")
            message = _check(self.label, value, kind, constraint)
            if message and self.sensitive and not _is_plain_text(kind, constraint):
                message = f"'{self.label}' fails its {kind} check {clipped(str(constraint), 80)}."  # unquoted
            if message:
                errors.append(message)
        if self.display == "dropdown" and self.options:
            allowed = [
                option.get("value") if isinstance(option, Mapping) else option for option in self.options
            ]
            items = value if isinstance(value, list) else [value]
            for item in items:
                if item not in allowed and str(item) not in [str(a) for a in allowed]:
                    errors.append(
                        f"'{self.label}' value '{clipped(str(item))}' should be one of {_join(allowed)}."
                    )
        return errors


def _is_plain_text(kind: Any, constraint: Any) -> bool:
    """Whether a validation is :func:`plain_text`'s (its messages never quote a value)."""
    return kind == "regex" and _PLAIN_TEXT_SHAPE.fullmatch(str(constraint)) is not None


def _join(items) -> str:
    return ", ".join(str(x) for x in items)


def _some(items: list, shown: int = 5) -> str:
    """The first few ``items`` quoted (capped), and how many more there are."""
    text = ", ".join(quoted(item, 80) for item in items[:shown])
    return text + (f" and {len(items) - shown:,} more" if len(items) > shown else "")


def _check(label: str, value: Any, kind: str | None, constraint: Any) -> str | None:
    if kind in ("less_than", "greater_than"):
        if not isinstance(value, int | float) or isinstance(value, bool):
            return (
                f"Cannot {kind} validate '{label}' because its value '{clipped(str(value))}' is not a number."
            )
        if kind == "less_than" and not value < constraint:
            return f"'{label}' must be less than {constraint}, got {clipped(str(value))}."
        if kind == "greater_than" and not value > constraint:
            return f"'{label}' must be greater than {constraint}, got {clipped(str(value))}."
        return None
    if kind == "list_type":
        if not isinstance(value, list):
            return f"Cannot list_type validate '{label}' because its value '{clipped(str(value))}' is not a list."
        bad = [item for item in value if not _is_type(item, constraint)]
        if bad:
            return f"'{label}' list values {_some(bad)} should be of type {constraint}."
        return None
    if kind == "included_in":
        items = value if isinstance(value, list) else [value]
        bad = [item for item in items if item not in constraint]
        if bad:
            return f"'{label}' value {_some(bad)} should be one of {_join(constraint)}."
        return None
    if kind == "regex":
        items = value if isinstance(value, list) else [value]
        if _is_plain_text(kind, constraint):
            max_chars = int(_PLAIN_TEXT_SHAPE.fullmatch(str(constraint)).group(1))
            return _plain_text_problem(label, items, max_chars, in_list=isinstance(value, list))
        if any(not isinstance(item, str) for item in items):
            return f"Cannot regex validate '{label}' because '{clipped(str(value))}' is not a string."
        try:
            pattern = re.compile(constraint)
        except re.error as exc:
            return f"'{label}' has an invalid regex validation {constraint!r}: {exc}."
        bad = [item for item in items if not pattern.fullmatch(item)]
        if bad:
            return f"'{label}' value {_some(bad)} failed regex check {constraint}."
        return None
    return f"'{label}' has an unknown validation type {kind!r}."


def _plain_text_problem(label: str, items: list, max_chars: int, *, in_list: bool) -> str | None:
    """The first item longer than ``max_chars`` or holding a control character, worded without
    quoting a whole value (list items, never secret, are quoted capped)."""
    for item in items:
        text = str(item)
        where = f"'{label}': {quoted(text, 40)}" if in_list else f"'{label}'"
        if len(text) > max_chars:
            return f"{where} is {len(text):,} characters long; at most {max_chars:,} are allowed."
        if _CONTROL.search(text):
            return f"{where} must not contain line breaks or other control characters."
    return None


def _is_type(item: Any, constraint: str) -> bool:
    if constraint == "int":
        if isinstance(item, int) and not isinstance(item, bool):
            return True
        return isinstance(item, str) and re.fullmatch(r"[+-]?\d+", item.strip()) is not None
    if constraint == "str":
        return isinstance(item, str)
    return True


# -- the whole configuration ----------------------------------------------------------------
class DataSourceConfiguration:
    """The configuration a source reads: ``config["key"]`` is the value coerced to its type.

    Built from the connector document's ``configuration`` map. A plain (non-dict) entry is taken
    as a ``str`` value labelled by its key. :meth:`set_defaults` lets a source supply its default
    configuration so that keys absent from the connector read as their default value.
    """

    def __init__(self, config_map: Mapping[str, Any] | None):
        self._raw: dict[str, Any] = copy.deepcopy(dict(config_map or {}))
        remember_secrets(self._raw)  # masked in every log line from now on (connectors/logger.py)
        self._fields: dict[str, Field] = {}
        for key, spec in self._raw.items():
            if isinstance(spec, Mapping):
                self._fields[key] = Field(key, spec)
            else:
                self._fields[key] = Field(key, {"label": key.capitalize(), "value": spec})
        self._defaults: dict[str, Field] = {}

    # reading -------------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        if key in self._fields:
            return self._fields[key].value
        if key in self._defaults:
            return self._defaults[key].value
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return key in self._fields or key in self._defaults

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def keys(self) -> list[str]:
        return list(self._fields) + [k for k in self._defaults if k not in self._fields]

    def has_field(self, key: str) -> bool:
        return key in self._fields

    def get_field(self, key: str) -> Field:
        return self._fields[key] if key in self._fields else self._defaults[key]

    def get_fields(self) -> list[Field]:
        return [self.get_field(k) for k in self.keys()]

    def is_empty(self) -> bool:
        return not self._fields

    def is_sensitive(self, key: str) -> bool:
        return key in self and self.get_field(key).sensitive

    def to_dict(self) -> dict[str, Any]:
        """The raw ``configuration`` map this was built from (a copy)."""
        return copy.deepcopy(self._raw)

    def values(self) -> dict[str, Any]:
        """``key -> coerced value`` of every field (raises on a value that cannot be read)."""
        return {key: self[key] for key in self.keys()}

    def __repr__(self) -> str:  # never shows sensitive values
        return f"DataSourceConfiguration({self.redacted()!r})"

    def redacted(self) -> dict[str, Any]:
        """``key -> raw value`` with sensitive values masked: safe to log."""
        out = {}
        for key in self.keys():
            f = self.get_field(key)
            out[key] = MASK if f.sensitive and not is_empty(f.raw_value) else f.raw_value
        return out

    def set_defaults(self, default_config: Mapping[str, Mapping[str, Any]]) -> None:
        """Use a source's default configuration for keys the connector does not have.

        For a key the connector has, the source's declared spec wins over the stored one (a
        stored spec may predate a change of type, label, validations, ...) and only the stored
        *value* is kept, as :func:`merge_configuration` writes it: values are read and checked
        the way the source declares today.
        """
        for key, spec in default_config.items():
            self._defaults[key] = Field(key, spec)
            if key in self._fields:
                declared = {**SPEC_DEFAULTS, "label": key, **spec, "value": self._fields[key].raw_value}
                self._fields[key] = Field(key, declared)

    # validating ----------------------------------------------------------------------------
    def dependencies_satisfied(self, f: Field) -> bool:
        """Whether every ``depends_on`` pair of ``f`` holds (raises if a referenced key is absent)."""
        for dependency in f.depends_on:
            other_key = dependency.get("field")
            if other_key not in self:
                raise ConfigurationError(
                    f"'{f.label}' depends on configuration '{other_key}', but it does not exist."
                )
            other = self.get_field(other_key)
            try:
                actual = other.value
                expected = coerce(dependency.get("value"), other.type, other.label)
            except (ConfigurationError, CoercionError):
                return False
            if actual != expected:
                return False
        return True

    def problems(self) -> dict[str, list[str]]:
        """``key -> messages`` of every field that fails its spec (keys without problems absent).

        A field whose ``depends_on`` does not hold is not checked; a shown one must not be empty
        when required, must read as its type and pass its validations and options. Keys the
        connector lacks are checked with the source's default spec and value.
        """
        found: dict[str, list[str]] = {}
        for key in self.keys():
            f = self.get_field(key)
            try:
                if not self.dependencies_satisfied(f):
                    continue
            except ConfigurationError as exc:
                found[key] = list(exc.messages)
                continue
            if f.required and f.is_value_empty():
                found[key] = [f"'{f.label}' cannot be empty."]
                continue
            messages = f.validate()
            if messages:
                found[key] = messages
        return found

    def check_valid(self) -> None:
        """Raise :class:`ConfigurationError` listing every problem at once (by field label)."""
        errors = [message for messages in self.problems().values() for message in messages]
        if errors:
            raise ConfigurationError(errors, title="Invalid configuration:")

"""The configuration form, built from a connector's configuration schema with Kibana's rules.

Selection and order (see /work/shared/reference/kibana-ui.md §1): ``category`` entries become
sections; entries with ``ui_restrictions`` are hidden, except ``advanced`` ones which go to the
"Advanced configurations" panel of non-native connectors; entries are sorted by ``order`` (those
with an order first), then by key; ``extract_full_html`` is skipped. An entry is visible only when
every ``depends_on`` pair equals the current value of its field.

Beyond Kibana, a submission is checked here (required, type, validations) before anything is
written; the page runs the same checks in the browser. Sensitive values never leave the server:
``display_value`` masks them and an empty submitted sensitive field means "keep the current value".
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from connectors.configuration import DataSourceConfiguration, parse_bool
from connectors.errors import ConfigurationError
from connectors.protocol.constants import DLS_FIELD
from connectors.secrets import MASK

EMPTY = "--"
MAX_SAFE_INTEGER = 2**53 - 1
SKIPPED_KEYS = {"extract_full_html"}
DLS_KEY = DLS_FIELD


@dataclass
class FormField:
    key: str
    spec: dict[str, Any]
    label: str
    display: str
    type: str
    widget: str  # text · password · textarea · toggle · select · radio
    sensitive: bool
    has_value: bool
    value: Any
    edit_value: str  # what the input shows (never a secret)
    display_value: str  # what view mode shows
    tooltip: str
    default_value: Any
    depends_on: list[dict[str, Any]]
    required: bool
    options: list[dict[str, Any]]
    placeholder: str
    validations: list[dict[str, Any]]
    category: str | None
    advanced: bool
    visible: bool = True
    error: str | None = None

    @property
    def default_help(self) -> str | None:
        if self.default_value in (None, "") or self.required or self.widget == "toggle":
            return None
        return f"If left empty, the default value {_as_text(self.default_value)} will be used."


@dataclass
class Section:
    key: str | None
    label: str
    fields: list[FormField] = field(default_factory=list)


@dataclass
class ConfigForm:
    sections: list[Section]
    advanced: list[FormField]

    @property
    def fields(self) -> list[FormField]:
        return [f for section in self.sections for f in section.fields] + self.advanced

    @property
    def is_empty(self) -> bool:
        return not self.fields

    def by_key(self) -> dict[str, FormField]:
        return {f.key: f for f in self.fields}


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _display_text(spec: dict[str, Any], value: Any) -> str:
    """View mode: option labels for dropdowns, On/Off for switches, integers with thousands
    separators, text otherwise."""
    for option in spec.get("options") or []:
        if isinstance(option, dict) and _as_text(option.get("value")) == _as_text(value):
            return str(option.get("label") or option.get("value"))
    if isinstance(value, bool):
        return "On" if value else "Off"
    if spec.get("type") == "int" and isinstance(value, int | str) and str(value).lstrip("-").isdigit():
        return f"{int(value):,}"  # 1,000,000 reads at a glance; the form's input keeps the digits
    return _as_text(value)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _widget(spec: dict[str, Any]) -> str:
    display = spec.get("display") or "textbox"
    if display == "dropdown":
        return "select" if len(spec.get("options") or []) > 3 else "radio"
    if display == "toggle":
        return "toggle"
    if display == "textarea":
        return "textarea"
    return "password" if spec.get("sensitive") else "text"


def _sort_key(item: tuple[str, dict]) -> tuple:
    key, spec = item
    order = spec.get("order")
    if isinstance(order, int | float) and not isinstance(order, bool):
        return (0, order, key)
    return (1, 0, key)


def current_values(configuration: dict[str, dict]) -> dict[str, Any]:
    """Each key's value, falling back to its default (used to evaluate ``depends_on``)."""
    values = {}
    for key, spec in (configuration or {}).items():
        if not isinstance(spec, dict):
            continue
        value = spec.get("value")
        values[key] = spec.get("default_value") if _is_empty(value) else value
    return values


def is_visible(spec: dict[str, Any], values: dict[str, Any]) -> bool:
    """Kibana's rule: every ``depends_on`` pair equals the current value (strictly)."""
    for dependency in spec.get("depends_on") or []:
        actual = values.get(dependency.get("field"))
        expected = dependency.get("value")
        if type(actual) is not type(expected) or actual != expected:
            return False
    return True


def build_form(
    configuration: dict[str, dict],
    is_native: bool = False,
    values: dict | None = None,
    dls_feature: bool = True,
) -> ConfigForm:
    configuration = configuration or {}
    values = values if values is not None else current_values(configuration)
    categories = sorted(
        ((k, s) for k, s in configuration.items() if isinstance(s, dict) and s.get("type") == "category"),
        key=_sort_key,
    )
    sections = {key: Section(key, spec.get("label") or key) for key, spec in categories}
    uncategorized = Section(None, "")
    advanced: list[FormField] = []
    for key, spec in sorted(configuration.items(), key=_sort_key):
        if not isinstance(spec, dict) or spec.get("type") == "category" or key in SKIPPED_KEYS:
            continue
        if key == DLS_KEY and not dls_feature:
            continue  # Kibana shows it only when the connector has the document_level_security feature
        restrictions = spec.get("ui_restrictions") or []
        is_advanced = "advanced" in restrictions
        if restrictions and not (is_advanced and not is_native):
            continue
        form_field = make_field(key, spec, values, is_advanced)
        if is_advanced:
            advanced.append(form_field)
        else:
            sections.get(spec.get("category"), uncategorized).fields.append(form_field)
    ordered = ([uncategorized] if uncategorized.fields else []) + [s for s in sections.values() if s.fields]
    return ConfigForm(sections=ordered, advanced=advanced)


def make_field(
    key: str, spec: dict[str, Any], values: dict[str, Any], is_advanced: bool = False
) -> FormField:
    value = spec.get("value")
    sensitive = bool(spec.get("sensitive"))
    has_value = not _is_empty(value)
    if sensitive:
        display_value = MASK if has_value else EMPTY
        edit_value = ""
    else:
        display_value = _display_text(spec, value) if has_value else EMPTY
        edit_value = _as_text(value) if has_value else ""
    return FormField(
        key=key,
        spec=spec,
        label=str(spec.get("label") or key),
        display=spec.get("display") or "textbox",
        type=spec.get("type") or "str",
        widget=_widget(spec),
        sensitive=sensitive,
        has_value=has_value,
        value=None if sensitive else value,
        edit_value=edit_value,
        display_value=display_value,
        tooltip=str(spec.get("tooltip") or ""),
        default_value=spec.get("default_value"),
        depends_on=list(spec.get("depends_on") or []),
        required=bool(spec.get("required", True)) and spec.get("display") != "toggle",
        options=list(spec.get("options") or []),
        placeholder=str(spec.get("placeholder") or ""),
        validations=list(spec.get("validations") or []),
        category=spec.get("category"),
        advanced=is_advanced,
        visible=is_visible(spec, values),
    )


# -- checking a submission -----------------------------------------------------------------


def coerce(spec: dict[str, Any], raw: str) -> Any:
    """Kibana's typing: int → integer when it is a safe integer string, bool → boolean (the
    service's words, :func:`connectors.configuration.parse_bool`; anything else is false), else text."""
    kind = spec.get("type") or "str"
    text = raw.strip() if isinstance(raw, str) else raw
    if kind == "int":
        if isinstance(text, str) and re.fullmatch(r"[+-]?\d+", text) and abs(int(text)) <= MAX_SAFE_INTEGER:
            return int(text)
        return text
    if kind == "bool" or spec.get("display") == "toggle":
        return parse_bool(str(text)) is True
    return text


@dataclass
class Submission:
    values: dict[str, Any]  # what to send as ``values`` (sensitive fields left empty are absent)
    errors: dict[str, str]  # key → message
    form_values: dict[str, str]  # what to show again in the inputs (never secrets)


def check_submission(
    configuration: dict[str, dict], form: dict[str, str], is_native: bool = False, dls_feature: bool = True
) -> Submission:
    """Check the posted form against the schema. Nothing is to be written when ``errors`` is set.

    ``form`` maps keys to the submitted text (the last value of each name). The checks are the
    connector service's own (:mod:`connectors.configuration`: required, type, validations, options),
    run on the stored configuration with the submitted values in place; fields whose
    ``depends_on`` does not hold are saved as submitted but not checked.
    """
    configuration = configuration or {}
    editable = build_form(configuration, is_native, dls_feature=dls_feature).by_key()
    submitted: dict[str, Any] = {}
    form_values: dict[str, str] = {}
    for key, form_field in editable.items():
        if key not in form and form_field.widget != "toggle":
            continue
        raw = form.get(key, "false")
        if form_field.sensitive:
            if raw == "" and not form.get(f"{key}__clear"):
                continue  # keep the stored secret
        else:
            form_values[key] = raw
        submitted[key] = coerce(form_field.spec, raw)
    merged = copy.deepcopy(configuration)
    for key, value in submitted.items():
        merged[key]["value"] = value
    checked = DataSourceConfiguration(merged)
    errors: dict[str, str] = {}
    for key, form_field in editable.items():
        spec_field = checked.get_field(key)
        try:
            if not checked.dependencies_satisfied(spec_field):
                continue
        except ConfigurationError as exc:
            errors[key] = " ".join(exc.messages)
            continue
        if spec_field.required and spec_field.is_value_empty():
            errors[key] = f"{form_field.label} is required"
            continue
        messages = spec_field.validate()
        if messages:
            errors[key] = messages[0]
    return Submission(values=submitted, errors=errors, form_values=form_values)

"""The Confluence configuration read into typed :class:`Settings`, with the checks only
Confluence knows; :mod:`.config` holds the form itself.

Rules:

* every limit is stated once, in the form's field specs (required, type, ``validations``,
  options, ``depends_on``; text lengths and control characters via
  :func:`connectors.configuration.plain_text`), and checked by
  :meth:`connectors.configuration.DataSourceConfiguration.problems` — the code the UI runs on a
  submitted form too. A value that fails its spec is reported once and read as the form's
  default, so that the typed settings can still be built;
* this module adds what a field spec cannot say: the URL's shape, content IDs as Confluence's
  64-bit integers, dates between :data:`EARLIEST` and :data:`LATEST`, a PEM certificate, and the
  cross-field checks (a space both included and excluded, an empty date window, every content
  type off, a custom CA on an http:// URL);
* every problem is a message naming the field by its label, collected in ``Settings.problems``
  (never an exception from deeper down, such as ``OverflowError`` or aiohttp's ``ValueError``).
  Values are quoted capped (:func:`connectors.utils.quoted`) and secrets never (a URL is shown
  with its user info masked).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any
from urllib.parse import urlsplit

from connectors.configuration import DataSourceConfiguration, coerce
from connectors.sources.confluence.auth import Auth, BasicAuth, BearerAuth
from connectors.sources.confluence.config import (
    CLOUD,
    CLOUD_API_TOKEN,
    DATA_CENTER,
    DC_BASIC,
    DC_PAT,
    DEFAULT_BODY_CHARS,
    DEFAULT_EXTRACTION_TIMEOUT,
    DEFAULT_RECONCILE_MINUTES,
    TOGGLES,
    default_configuration,
)
from connectors.utils import MIB, http_url_fault, quoted

#: Content IDs are Confluence's 64-bit integers.
MAX_CONTENT_ID = 2**63 - 1
#: The dates a window may use: wide enough for any content, narrow enough that the day of
#: margin around CQL date clauses never leaves Python's calendar (years 1 to 9999).
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9998, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)
#: The date-window fields and their labels (``*_before`` bounds include their whole day).
DATE_FIELDS = {
    "created_after": "Created after",
    "created_before": "Created before",
    "modified_after": "Modified after",
    "modified_before": "Modified before",
}
#: The credential fields of each (flavour, authentication method): (user field, secret field).
CREDENTIALS = {
    (CLOUD, CLOUD_API_TOKEN): ("account_email", "api_token"),
    (DATA_CENTER, DC_BASIC): ("data_center_username", "data_center_password"),
    (DATA_CENTER, DC_PAT): (None, "data_center_token"),
}
SERVER_CREDENTIALS = ("username", "password")


@dataclass(frozen=True)
class Settings:
    """The configuration read into Python types (see :func:`read_settings`)."""

    flavour: str
    url: str  # as entered, stripped
    auth_mode: str
    user: str
    secret: str
    spaces: tuple[str, ...]  # () means every space
    exclude_spaces: frozenset[str]
    include_page_ids: tuple[str, ...]
    exclude_page_ids: tuple[str, ...]
    include_blogpost_ids: tuple[str, ...]
    exclude_blogpost_ids: tuple[str, ...]
    created_after: dt.datetime | None
    created_before: dt.datetime | None
    modified_after: dt.datetime | None
    modified_before: dt.datetime | None
    max_spaces: int | None
    max_docs_per_space: int | None
    toggles: Mapping[str, bool]
    max_attachment_bytes: int
    index_inline_images: bool
    ssl_ca: str | None
    retry_count: int
    concurrency: int
    extraction_timeout: float = float(DEFAULT_EXTRACTION_TIMEOUT)
    max_body_chars: int = DEFAULT_BODY_CHARS
    reconcile_interval_minutes: int = DEFAULT_RECONCILE_MINUTES
    problems: tuple[str, ...] = dc_field(default=())

    @property
    def is_cloud(self) -> bool:
        return self.flavour == CLOUD

    @property
    def base_url(self) -> str:
        """REST root: ``{site}/wiki`` on Cloud, the URL as given (with context path) otherwise."""
        url = self.url.rstrip("/")
        if self.is_cloud:
            if url.endswith("/wiki"):
                url = url[: -len("/wiki")]
            return url + "/wiki"
        return url

    def on(self, toggle: str) -> bool:
        return bool(self.toggles.get(toggle, True))

    def build_auth(self) -> Auth:
        if self.flavour == CLOUD:
            return BasicAuth(self.user, self.secret, "the Cloud account email and API token")
        if self.flavour == DATA_CENTER and self.auth_mode == DC_PAT:
            return BearerAuth(self.secret, "the Data Center personal access token")
        if self.flavour == DATA_CENTER:
            return BasicAuth(self.user, self.secret, "the Data Center username and password")
        return BasicAuth(self.user, self.secret, "the Server username and password")


def shown_url(url: str) -> str:
    """``url`` quoted for a message, its user info (a password) masked."""
    return quoted(re.sub(r"(?<=//)[^/?#]*@", "***@", url))


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a usable 'Confluence URL' (its shape; the length is the form's), or ``None``."""
    fault = http_url_fault(url)
    if fault is None:
        return None
    kind, detail = fault
    if kind == "parse":
        return f"'Confluence URL' {shown_url(url)} is not a valid URL ({detail})."
    if kind == "credentials":
        return (
            "'Confluence URL' must not contain a user name or password: enter them in the "
            "credential fields of the chosen authentication."
        )
    if kind == "query":
        return f"'Confluence URL' {shown_url(url)} must not contain a query or fragment."
    return f"'Confluence URL' {shown_url(url)} is not a valid http(s) URL (expected e.g. https://example.atlassian.net)."


# -- reading the form ---------------------------------------------------------------------------
class _Form:
    """The configuration's values after the generic checks of its field specs.

    ``problems`` starts with every message of those checks; :meth:`get` reads a value, or the
    form's default for a field that failed them (already reported) or is absent or empty.
    """

    def __init__(self, config):
        self._declared = default_configuration()
        if not isinstance(config, DataSourceConfiguration):
            config = DataSourceConfiguration(config if isinstance(config, Mapping) else {})
            config.set_defaults(self._declared)
        self._config = config
        found = config.problems()
        self.failed = set(found)
        self.problems: list[str] = [message for messages in found.values() for message in messages]

    def get(self, key: str) -> Any:
        spec = self._declared[key]
        default = coerce(spec["default_value"], spec["type"], spec["label"])
        if key in self.failed:
            return default
        try:
            value = self._config[key]
        except KeyError:
            return default
        return default if value is None else value

    def text(self, key: str) -> str:
        return str(self.get(key) or "").strip()

    def items(self, key: str) -> list[str]:
        """A list field's items as stripped text, empty ones dropped."""
        return [text for text in (str(item).strip() for item in self.get(key) or []) if text]

    def label(self, key: str) -> str:
        return self._declared[key]["label"]


def _connection(form: _Form) -> tuple[str, str, str, str, str, str]:
    """(flavour, url, URL scheme or "" when the URL is bad, auth mode, user, secret)."""
    flavour = form.get("data_source")
    url, scheme = form.text("confluence_url"), ""
    if url and "confluence_url" not in form.failed:  # not empty, not too long: its shape
        problem = url_problem(url)
        if problem:
            form.problems.append(problem)
        else:
            scheme = urlsplit(url).scheme
    if flavour == CLOUD:
        auth_mode = form.get("cloud_auth_method")
    elif flavour == DATA_CENTER:
        auth_mode = form.get("data_center_auth_method")
    else:
        auth_mode = DC_BASIC
    user_key, secret_key = CREDENTIALS.get((flavour, auth_mode), SERVER_CREDENTIALS)
    user = form.text(user_key) if user_key else ""
    return flavour, url, scheme, auth_mode, user, form.text(secret_key)


def _spaces(form: _Form) -> tuple[tuple[str, ...], frozenset[str]]:
    """(space keys, () for every space; excluded keys), and their contradictions reported."""
    spaces = form.items("spaces")
    excluded = frozenset(form.items("exclude_spaces"))
    every = not spaces or "*" in spaces
    if "*" in spaces and len(spaces) > 1:
        form.problems.append("'Confluence space keys': use either * or a list of keys, not both.")
    if not every:
        both = sorted(set(spaces) & excluded)
        if both:
            form.problems.append(f"Space keys both included and excluded: {', '.join(both)}.")
        if set(spaces) <= excluded:
            form.problems.append(
                "Every space in 'Confluence space keys' is also excluded: nothing would be synced."
            )
    return () if every else tuple(dict.fromkeys(spaces)), excluded


def _ids(form: _Form, key: str) -> tuple[str, ...]:
    """A list of content IDs (the form checked they are integers): positive and 64-bit."""
    label, out = form.label(key), []
    for text in form.items(key):
        if not text.isascii() or not text.isdigit():
            form.problems.append(f"'{label}': {quoted(text)} is not a numeric Confluence ID.")
        elif len(text) > 19 or int(text) > MAX_CONTENT_ID:
            form.problems.append(f"'{label}': {quoted(text)} is too large for a Confluence ID.")
        else:
            out.append(str(int(text)))
    return tuple(dict.fromkeys(out))


def _id_filters(form: _Form) -> dict[str, tuple[str, ...]]:
    """The four ID filters by key; an ID both included and excluded is reported."""
    ids = {key: _ids(form, key) for key in ("include_page_ids", "exclude_page_ids")}
    ids.update({key: _ids(form, key) for key in ("include_blogpost_ids", "exclude_blogpost_ids")})
    for what, kind in (("Page", "page"), ("Blog post", "blogpost")):
        both = sorted(set(ids[f"include_{kind}_ids"]) & set(ids[f"exclude_{kind}_ids"]), key=int)
        if both:
            form.problems.append(f"{what} IDs both included and excluded: {', '.join(both)}.")
    return ids


def parse_when(text: str, *, end_of_day: bool = False) -> dt.datetime:
    """``YYYY-MM-DD`` or ISO-8601 time (naive = UTC) to an aware UTC datetime; ``ValueError`` otherwise.

    A bare date as an upper bound (``end_of_day``) means the end of that day.
    """
    text = text.strip()
    if len(text) == 10:
        day = dt.date.fromisoformat(text)
        start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        return start + dt.timedelta(days=1) - dt.timedelta(microseconds=1) if end_of_day else start
    when = dt.datetime.fromisoformat(text)
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def _date(text: str, label: str, *, upper: bool, problems: list[str]) -> dt.datetime | None:
    """One date-window bound, or ``None`` (empty, or a problem recorded for ``label``)."""
    if not text:
        return None
    if len(text) > 64:
        problems.append(f"'{label}' {quoted(text, 40)} is not a date (YYYY-MM-DD) or ISO-8601 time.")
        return None
    try:
        when = parse_when(text, end_of_day=upper)
    except OverflowError:  # a valid time whose UTC equivalent leaves the calendar
        when = None
    except ValueError:
        problems.append(f"'{label}' {quoted(text)} is not a date (YYYY-MM-DD) or ISO-8601 time.")
        return None
    if when is None or not EARLIEST <= when <= LATEST:
        problems.append(
            f"'{label}' {quoted(text)} is outside the supported range {EARLIEST:%Y-%m-%d} to "
            f"{LATEST:%Y-%m-%d}; leave it empty for no bound."
        )
        return None
    return when


def _window(form: _Form) -> dict[str, dt.datetime | None]:
    """The date bounds by key; a window no content could match is reported."""
    dates = {
        key: _date(form.text(key), label, upper=key.endswith("before"), problems=form.problems)
        for key, label in DATE_FIELDS.items()
    }
    for what in ("Created", "Modified"):
        after, before = dates[f"{what.lower()}_after"], dates[f"{what.lower()}_before"]
        if after and before and after >= before:
            form.problems.append(
                f"'{what} after' must be earlier than '{what} before': no content could match."
            )
    if (
        dates["created_after"]
        and dates["modified_before"]
        and dates["modified_before"] < dates["created_after"]
    ):
        form.problems.append("'Modified before' is earlier than 'Created after': no content could match.")
    return dates


def _toggles(form: _Form) -> dict[str, bool]:
    toggles = {key: bool(form.get(key)) for key in TOGGLES}
    if not any(on for key, on in toggles.items() if key != "index_labels"):
        form.problems.append("Every content type is switched off: nothing would be synced.")
    return toggles


def _ssl_ca(form: _Form, scheme: str) -> str | None:
    """The custom CA's PEM when 'Enable SSL with a custom CA' is on (the form requires it then)."""
    if not form.get("ssl_enabled"):
        return None
    pem = form.text("ssl_ca")
    if pem and "-----BEGIN CERTIFICATE-----" not in pem:
        form.problems.append("'SSL certificate' must be a PEM certificate (-----BEGIN CERTIFICATE----- ...).")
    if scheme == "http":
        form.problems.append("'Enable SSL with a custom CA' is on but 'Confluence URL' uses http://.")
    return pem or None


def read_settings(config) -> Settings:
    """Read ``config`` (a :class:`DataSourceConfiguration` with the form as defaults, or a plain
    ``key -> value`` map) into :class:`Settings`.

    Problems are collected in ``Settings.problems`` rather than raised, so that
    ``validate_config`` can report all of them at once.
    """
    form = _Form(config)
    flavour, url, scheme, auth_mode, user, secret = _connection(form)
    spaces, exclude_spaces = _spaces(form)
    ids = _id_filters(form)
    dates = _window(form)
    return Settings(
        flavour=flavour,
        url=url,
        auth_mode=auth_mode,
        user=user,
        secret=secret,
        spaces=spaces,
        exclude_spaces=exclude_spaces,
        include_page_ids=ids["include_page_ids"],
        exclude_page_ids=ids["exclude_page_ids"],
        include_blogpost_ids=ids["include_blogpost_ids"],
        exclude_blogpost_ids=ids["exclude_blogpost_ids"],
        created_after=dates["created_after"],
        created_before=dates["created_before"],
        modified_after=dates["modified_after"],
        modified_before=dates["modified_before"],
        max_spaces=form.get("max_num_of_spaces"),
        max_docs_per_space=form.get("max_num_of_docs_from_each_space"),
        toggles=_toggles(form),
        max_attachment_bytes=form.get("max_attachment_size_mb") * MIB,
        index_inline_images=bool(form.get("index_inline_images")),
        ssl_ca=_ssl_ca(form, scheme),
        retry_count=form.get("retry_count"),
        concurrency=form.get("concurrent_downloads"),
        extraction_timeout=float(form.get("extraction_timeout_seconds")),
        max_body_chars=form.get("max_body_chars"),
        reconcile_interval_minutes=form.get("reconcile_interval_minutes"),
        problems=tuple(dict.fromkeys(form.problems)),
    )

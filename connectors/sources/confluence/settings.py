"""The Confluence configuration read into typed :class:`Settings`, with the local checks (URL,
credentials per flavour, contradictory filters); :mod:`.config` holds the form itself.

Rules: every problem is a message naming the field by its label, collected in
``Settings.problems`` (never an exception from deeper down, such as ``OverflowError`` or
aiohttp's ``ValueError``). Values are quoted capped (:func:`connectors.utils.quoted`) and secrets
never (a URL is shown with its user info masked). Per-field bounds: text lengths in
:data:`MAX_CHARS`, dates between :data:`EARLIEST` and :data:`LATEST`, content IDs as Confluence's
64-bit integers, space keys of at most :data:`MAX_SPACE_KEY_CHARS` characters.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from urllib.parse import urlsplit

from connectors.sources.confluence.auth import Auth, BasicAuth, BearerAuth
from connectors.sources.confluence.config import (
    CLOUD,
    CLOUD_API_TOKEN,
    DATA_CENTER,
    DC_BASIC,
    DC_PAT,
    DEFAULT_ATTACHMENT_MB,
    DEFAULT_BODY_CHARS,
    DEFAULT_EXTRACTION_TIMEOUT,
    FLAVOURS,
    MAX_CONCURRENT_DOWNLOADS,
    TOGGLES,
)
from connectors.utils import http_url_fault, quoted

#: Characters a text field holds at most: a longer value is a paste error, and it would end up
#: in a request line or header that Confluence's web server refuses (8 KB is a common limit).
MAX_CHARS = {
    "confluence_url": 2048,
    "username": 1024,
    "password": 1024,
    "data_center_username": 1024,
    "data_center_password": 1024,
    "data_center_token": 1024,
    "account_email": 1024,
    "api_token": 1024,
}
#: Space keys are at most 255 characters in Confluence.
MAX_SPACE_KEY_CHARS = 255
#: Content IDs are Confluence's 64-bit integers.
MAX_CONTENT_ID = 2**63 - 1
#: The dates a window may use: wide enough for any content, narrow enough that the day of
#: margin around CQL date clauses never leaves Python's calendar (years 1 to 9999).
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9998, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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


def _ids(values: list, label: str, problems: list[str]) -> tuple[str, ...]:
    out = []
    for value in values or []:
        text = str(value).strip()
        if not text.isascii() or not text.isdigit():
            problems.append(f"'{label}': {quoted(text)} is not a numeric Confluence ID.")
            continue
        if len(text) > 19 or int(text) > MAX_CONTENT_ID:
            problems.append(f"'{label}': {quoted(text)} is too large for a Confluence ID.")
            continue
        out.append(str(int(text)))
    return tuple(dict.fromkeys(out))


def shown_url(url: str) -> str:
    """``url`` quoted for a message, its user info (a password) masked."""
    return quoted(re.sub(r"(?<=//)[^/?#]*@", "***@", url))


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a usable 'Confluence URL', or ``None``."""
    if len(url) > MAX_CHARS["confluence_url"]:
        return f"'Confluence URL' is {len(url):,} characters long; at most {MAX_CHARS['confluence_url']:,} are allowed."
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


def read_settings(config) -> Settings:
    """Read ``config`` (``config[key]`` → coerced value) into :class:`Settings`.

    Local problems (malformed URL, missing credential of the chosen mode, bad dates, contradictory
    filters) are collected in ``Settings.problems`` rather than raised, so that
    ``validate_config`` can report all of them at once.
    """

    def get(key, default=None):
        try:
            value = config[key]
        except KeyError:
            return default
        return default if value is None else value

    problems: list[str] = []
    flavour = get("data_source", CLOUD)
    if flavour not in FLAVOURS:
        problems.append(
            f"'Confluence data source' must be one of {', '.join(FLAVOURS)}, got {quoted(flavour)}."
        )
        flavour = CLOUD
    url = str(get("confluence_url", "")).strip()
    url_bad = url_problem(url) if url else "'Confluence URL' cannot be empty."
    if url_bad:
        problems.append(url_bad)
    scheme = "" if url_bad else urlsplit(url).scheme

    if flavour == CLOUD:
        auth_mode = get("cloud_auth_method", CLOUD_API_TOKEN) or CLOUD_API_TOKEN
        user, secret = str(get("account_email", "")), str(get("api_token", ""))
        needed = [
            ("account_email", "Confluence Cloud account email"),
            ("api_token", "Confluence Cloud API token"),
        ]
        if auth_mode != CLOUD_API_TOKEN:
            problems.append(
                f"'Cloud authentication' {quoted(auth_mode)} is not supported yet; use {CLOUD_API_TOKEN!r}."
            )
    elif flavour == DATA_CENTER:
        auth_mode = get("data_center_auth_method", DC_BASIC) or DC_BASIC
        if auth_mode == DC_PAT:
            user, secret = "", str(get("data_center_token", ""))
            needed = [("data_center_token", "Data Center personal access token")]
        else:
            user, secret = str(get("data_center_username", "")), str(get("data_center_password", ""))
            needed = [
                ("data_center_username", "Data Center username"),
                ("data_center_password", "Data Center password"),
            ]
    else:
        auth_mode = DC_BASIC
        user, secret = str(get("username", "")), str(get("password", ""))
        needed = [("username", "Confluence Server username"), ("password", "Confluence Server password")]
    for key, label in needed:
        text = str(get(key, "")).strip()
        if not text:
            problems.append(f"'{label}' cannot be empty for {FLAVOURS[flavour]}.")
        elif len(text) > MAX_CHARS[key]:
            problems.append(
                f"'{label}' is {len(text):,} characters long; at most {MAX_CHARS[key]:,} are allowed."
            )
        elif _CONTROL.search(text):  # never quoted: it may be a secret
            problems.append(f"'{label}' must not contain line breaks or other control characters.")

    spaces = [str(s).strip() for s in get("spaces", []) or [] if str(s).strip()]
    for key, label in (("spaces", "Confluence space keys"), ("exclude_spaces", "Space keys to exclude")):
        for space in get(key, []) or []:
            if len(str(space).strip()) > MAX_SPACE_KEY_CHARS or _CONTROL.search(str(space)):
                problems.append(
                    f"'{label}': {quoted(str(space).strip(), 40)} is not a space key (at most "
                    f"{MAX_SPACE_KEY_CHARS} characters, no control characters)."
                )
    all_spaces = not spaces or "*" in spaces
    if "*" in spaces and len(spaces) > 1:
        problems.append("'Confluence space keys': use either * or a list of keys, not both.")
    exclude_spaces = frozenset(str(s).strip() for s in get("exclude_spaces", []) or [] if str(s).strip())
    if not all_spaces:
        both = sorted(set(spaces) & exclude_spaces)
        if both:
            problems.append(f"Space keys both included and excluded: {', '.join(both)}.")
        if set(spaces) <= exclude_spaces:
            problems.append(
                "Every space in 'Confluence space keys' is also excluded: nothing would be synced."
            )

    include_pages = _ids(get("include_page_ids", []), "Page IDs to include", problems)
    exclude_pages = _ids(get("exclude_page_ids", []), "Page IDs to exclude", problems)
    include_blogs = _ids(get("include_blogpost_ids", []), "Blog post IDs to include", problems)
    exclude_blogs = _ids(get("exclude_blogpost_ids", []), "Blog post IDs to exclude", problems)
    for inc, exc, what in (
        (include_pages, exclude_pages, "Page"),
        (include_blogs, exclude_blogs, "Blog post"),
    ):
        both = sorted(set(inc) & set(exc), key=int)
        if both:
            problems.append(f"{what} IDs both included and excluded: {', '.join(both)}.")

    dates: dict[str, dt.datetime | None] = {}
    for key, label in (
        ("created_after", "Created after"),
        ("created_before", "Created before"),
        ("modified_after", "Modified after"),
        ("modified_before", "Modified before"),
    ):
        text = str(get(key, "") or "").strip()
        dates[key] = _date(text, label, upper=key.endswith("before"), problems=problems)
    for after, before, what in (
        ("created_after", "created_before", "Created"),
        ("modified_after", "modified_before", "Modified"),
    ):
        if dates[after] and dates[before] and dates[after] >= dates[before]:
            problems.append(f"'{what} after' must be earlier than '{what} before': no content could match.")
    if (
        dates["created_after"]
        and dates["modified_before"]
        and dates["modified_before"] < dates["created_after"]
    ):
        problems.append("'Modified before' is earlier than 'Created after': no content could match.")

    toggles = {key: bool(get(key, True)) for key in TOGGLES}
    if not any(toggles[k] for k in TOGGLES if k != "index_labels"):
        problems.append("Every content type is switched off: nothing would be synced.")

    max_mb = get("max_attachment_size_mb", DEFAULT_ATTACHMENT_MB)
    if max_mb is not None and (isinstance(max_mb, bool) or not isinstance(max_mb, int) or max_mb < 1):
        problems.append(f"'Maximum attachment size (MB)' must be 1 or more, got {quoted(max_mb)}.")
        max_mb = DEFAULT_ATTACHMENT_MB
    limits = {}
    for key, label in (
        ("max_num_of_spaces", "Maximum number of spaces"),
        ("max_num_of_docs_from_each_space", "Maximum number of documents from each space"),
    ):
        limits[key] = get(key)
        if limits[key] is not None and (not isinstance(limits[key], int) or limits[key] < 1):
            problems.append(f"'{label}' must be 1 or more (empty: no limit), got {quoted(limits[key])}.")
            limits[key] = None
    concurrency = get("concurrent_downloads", MAX_CONCURRENT_DOWNLOADS)
    if not isinstance(concurrency, int) or not 1 <= concurrency <= MAX_CONCURRENT_DOWNLOADS:
        problems.append(
            f"'Maximum concurrent requests' must be between 1 and {MAX_CONCURRENT_DOWNLOADS}, got {quoted(concurrency)}."
        )
        concurrency = MAX_CONCURRENT_DOWNLOADS
    retry_count = get("retry_count", 3)
    if not isinstance(retry_count, int) or not 0 <= retry_count <= 10:
        problems.append(f"'Retries per request' must be between 0 and 10, got {quoted(retry_count)}.")
        retry_count = 3

    extraction_timeout = get("extraction_timeout_seconds", DEFAULT_EXTRACTION_TIMEOUT)
    if extraction_timeout in (None, ""):
        extraction_timeout = DEFAULT_EXTRACTION_TIMEOUT
    if (
        isinstance(extraction_timeout, bool)
        or not isinstance(extraction_timeout, int | float)
        or extraction_timeout <= 0
    ):
        problems.append(
            f"'Time limit per attachment file (seconds)' must be a positive number, got {quoted(extraction_timeout)}."
        )
        extraction_timeout = DEFAULT_EXTRACTION_TIMEOUT
    max_body_chars = get("max_body_chars", DEFAULT_BODY_CHARS)
    if max_body_chars in (None, ""):
        max_body_chars = DEFAULT_BODY_CHARS
    if isinstance(max_body_chars, bool) or not isinstance(max_body_chars, int) or max_body_chars < 1:
        problems.append(
            f"'Maximum body text per document (characters)' must be a positive whole number, got {max_body_chars!r}."
        )
        max_body_chars = DEFAULT_BODY_CHARS

    ssl_ca = None
    if get("ssl_enabled", False):
        ssl_ca = str(get("ssl_ca", "") or "").strip()
        if not ssl_ca:
            problems.append("'SSL certificate' cannot be empty when 'Enable SSL with a custom CA' is on.")
        elif "-----BEGIN CERTIFICATE-----" not in ssl_ca:
            problems.append("'SSL certificate' must be a PEM certificate (-----BEGIN CERTIFICATE----- ...).")
        if scheme == "http":
            problems.append("'Enable SSL with a custom CA' is on but 'Confluence URL' uses http://.")
    return Settings(
        flavour=flavour,
        url=url,
        auth_mode=auth_mode,
        user=user.strip(),
        secret=secret.strip(),
        spaces=() if all_spaces else tuple(dict.fromkeys(spaces)),
        exclude_spaces=exclude_spaces,
        include_page_ids=include_pages,
        exclude_page_ids=exclude_pages,
        include_blogpost_ids=include_blogs,
        exclude_blogpost_ids=exclude_blogs,
        created_after=dates["created_after"],
        created_before=dates["created_before"],
        modified_after=dates["modified_after"],
        modified_before=dates["modified_before"],
        max_spaces=limits["max_num_of_spaces"],
        max_docs_per_space=limits["max_num_of_docs_from_each_space"],
        toggles=toggles,
        max_attachment_bytes=int(max_mb or DEFAULT_ATTACHMENT_MB) * 1024 * 1024,
        index_inline_images=bool(get("index_inline_images", True)),
        ssl_ca=ssl_ca or None,
        retry_count=retry_count,
        concurrency=concurrency,
        extraction_timeout=float(extraction_timeout),
        max_body_chars=max_body_chars,
        problems=tuple(problems),
    )

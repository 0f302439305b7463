"""The Confluence configuration read into typed :class:`Settings`, with the local checks (URL,
credentials per flavour, contradictory filters); :mod:`.config` holds the form itself."""

from __future__ import annotations

import datetime as dt
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
        if not text.isdigit():
            problems.append(f"'{label}': {text!r} is not a numeric Confluence ID.")
            continue
        out.append(str(int(text)))
    return tuple(dict.fromkeys(out))


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
        problems.append(f"'Confluence data source' must be one of {', '.join(FLAVOURS)}, got {flavour!r}.")
        flavour = CLOUD
    url = str(get("confluence_url", "")).strip()
    parts = urlsplit(url)
    if not url:
        problems.append("'Confluence URL' cannot be empty.")
    elif parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(
            f"'Confluence URL' {url!r} is not a valid http(s) URL (expected e.g. https://example.atlassian.net)."
        )
    elif parts.query or parts.fragment:
        problems.append(f"'Confluence URL' {url!r} must not contain a query or fragment.")

    if flavour == CLOUD:
        auth_mode = get("cloud_auth_method", CLOUD_API_TOKEN) or CLOUD_API_TOKEN
        user, secret = str(get("account_email", "")), str(get("api_token", ""))
        needed = [
            ("account_email", "Confluence Cloud account email"),
            ("api_token", "Confluence Cloud API token"),
        ]
        if auth_mode != CLOUD_API_TOKEN:
            problems.append(
                f"'Cloud authentication' {auth_mode!r} is not supported yet; use {CLOUD_API_TOKEN!r}."
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
        if not str(get(key, "")).strip():
            problems.append(f"'{label}' cannot be empty for {FLAVOURS[flavour]}.")

    spaces = [str(s).strip() for s in get("spaces", []) or [] if str(s).strip()]
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
        if not text:
            dates[key] = None
            continue
        try:
            dates[key] = parse_when(text, end_of_day=key.endswith("before"))
        except ValueError:
            problems.append(f"'{label}' {text!r} is not a date (YYYY-MM-DD) or ISO-8601 time.")
            dates[key] = None
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
    concurrency = get("concurrent_downloads", MAX_CONCURRENT_DOWNLOADS)
    if not isinstance(concurrency, int) or not 1 <= concurrency <= MAX_CONCURRENT_DOWNLOADS:
        problems.append(
            f"'Maximum concurrent requests' must be between 1 and {MAX_CONCURRENT_DOWNLOADS}, got {concurrency!r}."
        )
        concurrency = MAX_CONCURRENT_DOWNLOADS
    retry_count = get("retry_count", 3)
    if not isinstance(retry_count, int) or retry_count < 0:
        problems.append(f"'Retries per request' must be 0 or more, got {retry_count!r}.")
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
            f"'Time limit per attachment file (seconds)' must be a positive number, got {extraction_timeout!r}."
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
        if url and parts.scheme == "http":
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
        max_spaces=get("max_num_of_spaces"),
        max_docs_per_space=get("max_num_of_docs_from_each_space"),
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

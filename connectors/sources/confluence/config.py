"""The Confluence connector's configuration: the form (field specs) and the typed settings
read from it, with the local checks (URL, credentials per flavour, contradictory filters)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any
from urllib.parse import urlsplit

from connectors.configuration import field, schema
from connectors.sources.confluence.auth import Auth, BasicAuth, BearerAuth

CLOUD = "confluence_cloud"
SERVER = "confluence_server"
DATA_CENTER = "confluence_data_center"
FLAVOURS = {CLOUD: "Confluence Cloud", SERVER: "Confluence Server", DATA_CENTER: "Confluence Data Center"}

DC_BASIC = "basic"
DC_PAT = "personal_access_token"
CLOUD_API_TOKEN = "api_token"

MAX_CONCURRENT_DOWNLOADS = 50
DEFAULT_ATTACHMENT_MB = 10
DEFAULT_EXTRACTION_TIMEOUT = 60

#: The content toggles, by setting name, with the form label.
TOGGLES = {
    "index_spaces": "Index spaces",
    "index_pages": "Index pages",
    "index_blogposts": "Index blog posts",
    "index_page_attachments": "Index page attachments",
    "index_blogpost_attachments": "Index blog post attachments",
    "index_page_comments": "Index page comments",
    "index_blogpost_comments": "Index blog post comments",
    "index_labels": "Index labels",
    "index_folders": "Index folders",
}

_ON_CLOUD = [{"field": "data_source", "value": CLOUD}]
_ON_SERVER = [{"field": "data_source", "value": SERVER}]
_ON_DC = [{"field": "data_source", "value": DATA_CENTER}]

_DATE_TIP = "A date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDTHH:MM:SSZ). Empty: no bound."


def _id_list(label: str, **extra) -> dict:
    """An optional comma-separated list of content ids (integers)."""
    return field(
        label, type="list", required=False, validations=[{"type": "list_type", "constraint": "int"}], **extra
    )


def _auth_method(label: str, methods: list[tuple[str, str]], on_flavour: list[dict], **extra) -> dict:
    """The dropdown of one flavour's authentication methods; the first is the default."""
    first = methods[0][1]
    options = [{"label": text, "value": value} for text, value in methods]
    return field(label, options=options, default_value=first, value=first, depends_on=on_flavour, **extra)


def _credential(
    label: str, on_flavour: list[dict], method_field: str, method: str, *, sensitive: bool = False, **extra
) -> dict:
    """A credential shown only for one flavour and one of its authentication methods."""
    depends_on = on_flavour + [{"field": method_field, "value": method}]
    return field(label, sensitive=sensitive, depends_on=depends_on, **extra)


def default_configuration() -> dict[str, dict[str, Any]]:
    """The connector's configuration form (protocol field specs, in display order)."""
    fields: dict[str, dict[str, Any]] = {
        "data_source": field(
            "Confluence data source",
            options=[{"label": label, "value": value} for value, label in FLAVOURS.items()],
            default_value=CLOUD,
            value=CLOUD,
        ),
        "confluence_url": field(
            "Confluence URL",
            tooltip="Cloud: https://<site>.atlassian.net. Server/Data Center: the base URL including "
            "any context path, e.g. https://wiki.example.com/confluence.",
        ),
        # -- Server -------------------------------------------------------------------------
        "username": field("Confluence Server username", depends_on=_ON_SERVER),
        "password": field("Confluence Server password", sensitive=True, depends_on=_ON_SERVER),
        # -- Data Center ----------------------------------------------------------------------
        "data_center_auth_method": _auth_method(
            "Data Center authentication",
            [("Username and password", DC_BASIC), ("Personal access token", DC_PAT)],
            _ON_DC,
        ),
        "data_center_username": _credential(
            "Data Center username", _ON_DC, "data_center_auth_method", DC_BASIC
        ),
        "data_center_password": _credential(
            "Data Center password", _ON_DC, "data_center_auth_method", DC_BASIC, sensitive=True
        ),
        "data_center_token": _credential(
            "Data Center personal access token",
            _ON_DC,
            "data_center_auth_method",
            DC_PAT,
            sensitive=True,
            tooltip="Create one under Profile > Personal Access Tokens (Confluence 7.9 or later).",
        ),  # fmt: skip
        # -- Cloud ----------------------------------------------------------------------------
        "cloud_auth_method": _auth_method(
            "Cloud authentication",
            [("Account email and API token", CLOUD_API_TOKEN)],
            _ON_CLOUD,
            tooltip="OAuth 2.0 will be offered here later.",
        ),
        "account_email": _credential(
            "Confluence Cloud account email", _ON_CLOUD, "cloud_auth_method", CLOUD_API_TOKEN
        ),
        "api_token": _credential(
            "Confluence Cloud API token",
            _ON_CLOUD,
            "cloud_auth_method",
            CLOUD_API_TOKEN,
            sensitive=True,
            tooltip="Create one at https://id.atlassian.com/manage-profile/security/api-tokens.",
        ),  # fmt: skip
        # -- scope ----------------------------------------------------------------------------
        "spaces": field(
            "Confluence space keys",
            type="list",
            default_value="*",
            value="*",
            tooltip="Comma-separated space keys, or * for every space the account can see.",
        ),
        "exclude_spaces": field("Space keys to exclude", type="list", required=False),
        "include_page_ids": _id_list(
            "Page IDs to include",
            tooltip="Only these pages and their whole subtree (children, grandchildren, ...).",
        ),
        "exclude_page_ids": _id_list(
            "Page IDs to exclude", tooltip="These pages and their whole subtree are left out."
        ),
        "include_blogpost_ids": _id_list("Blog post IDs to include"),
        "exclude_blogpost_ids": _id_list("Blog post IDs to exclude"),
        "created_after": field("Created after", required=False, tooltip=_DATE_TIP),
        "created_before": field("Created before", required=False, tooltip=_DATE_TIP),
        "modified_after": field("Modified after", required=False, tooltip=_DATE_TIP),
        "modified_before": field("Modified before", required=False, tooltip=_DATE_TIP),
        "max_num_of_spaces": field(
            "Maximum number of spaces",
            type="int",
            required=False,
            validations=[{"type": "greater_than", "constraint": 0}],
            tooltip="Empty: no limit.",
        ),
        "max_num_of_docs_from_each_space": field(
            "Maximum number of documents from each space",
            type="int",
            required=False,
            validations=[{"type": "greater_than", "constraint": 0}],
            tooltip="Counts pages, blog posts, folders, comments and attachments of a space. Empty: no limit.",
        ),
    }
    for key, label in TOGGLES.items():
        fields[key] = field(label, type="bool", default_value=True, value=True, required=False)
    fields.update(
        {
            "max_attachment_size_mb": field(
                "Maximum attachment size (MB)",
                type="int",
                default_value=DEFAULT_ATTACHMENT_MB,
                value=DEFAULT_ATTACHMENT_MB,
                required=False,
                validations=[{"type": "greater_than", "constraint": 0}],
                tooltip="Bigger attachments are indexed without their content; the reason is recorded.",
            ),
            "index_inline_images": field(
                "Index inline images",
                type="bool",
                default_value=True,
                value=True,
                required=False,
                tooltip="Index image attachments (metadata only) and keep [image: name] markers in bodies.",
            ),
            "ssl_enabled": field(
                "Enable SSL with a custom CA", type="bool", default_value=False, value=False
            ),
            "ssl_ca": field(
                "SSL certificate",
                display="textarea",
                depends_on=[{"field": "ssl_enabled", "value": True}],
                tooltip="PEM of the CA that signed the server certificate; added to the system CAs. "
                "TLS is always verified.",
            ),
            "retry_count": field(
                "Retries per request",
                type="int",
                default_value=3,
                value=3,
                required=False,
                ui_restrictions=["advanced"],
                validations=[
                    {"type": "greater_than", "constraint": -1},
                    {"type": "less_than", "constraint": 11},
                ],
            ),
            "concurrent_downloads": field(
                "Maximum concurrent requests",
                type="int",
                default_value=MAX_CONCURRENT_DOWNLOADS,
                value=MAX_CONCURRENT_DOWNLOADS,
                required=False,
                ui_restrictions=["advanced"],
                validations=[
                    {"type": "greater_than", "constraint": 0},
                    {"type": "less_than", "constraint": MAX_CONCURRENT_DOWNLOADS + 1},
                ],
            ),
            "extraction_timeout_seconds": field(
                "Time limit per attachment file (seconds)",
                type="int",
                default_value=DEFAULT_EXTRACTION_TIMEOUT,
                value=DEFAULT_EXTRACTION_TIMEOUT,
                required=False,
                ui_restrictions=["advanced"],
                validations=[{"type": "greater_than", "constraint": 0}],
                tooltip="Reading the text of one attachment may take this long; a slower file is "
                "indexed without content and the reason is recorded.",
            ),
            "use_document_level_security": field(
                "Enable document level security",
                type="bool",
                default_value=False,
                value=False,
                required=False,
                tooltip="Not implemented yet: documents are indexed without access control lists.",
            ),
        }
    )
    return schema(fields)


# -- typed settings -----------------------------------------------------------------------------
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
        problems=tuple(problems),
    )

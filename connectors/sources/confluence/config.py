"""The Confluence connector's configuration form (field specs) and its constants; the typed
settings read from it, with the local checks, are in :mod:`.settings`."""

from __future__ import annotations

from typing import Any

from connectors.configuration import field, plain_text, schema

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
#: characters of body text kept per document: Elasticsearch's default
#: ``index.highlight.max_analyzed_offset``, so every indexed body can still be highlighted
DEFAULT_BODY_CHARS = 1_000_000
#: Text limits (characters): a longer value is a paste error, and it would end up in a request
#: line or header that Confluence's web server refuses (8 KB is a common limit). Space keys are
#: at most 255 characters in Confluence.
#: Minutes between two id reconciliations of an incremental sync (0: every incremental), at
#: most a year (a bigger value is a typo: deletes would then wait for a full sync).
DEFAULT_RECONCILE_MINUTES = 1440
MAX_RECONCILE_MINUTES = 525_600
MAX_URL_CHARS = 2048
MAX_CREDENTIAL_CHARS = 1024
MAX_SPACE_KEY_CHARS = 255

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
    return field(label, sensitive=sensitive, depends_on=depends_on, validations=_ONE_LINE, **extra)


#: a user name, password or token: one line of at most MAX_CREDENTIAL_CHARS characters
_ONE_LINE = [plain_text(MAX_CREDENTIAL_CHARS)]


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
            validations=[plain_text(MAX_URL_CHARS)],
            tooltip="Cloud: https://<site>.atlassian.net. Server/Data Center: the base URL including "
            "any context path, e.g. https://wiki.example.com/confluence.",
        ),
        # -- Server -------------------------------------------------------------------------
        "username": field("Confluence Server username", depends_on=_ON_SERVER, validations=_ONE_LINE),
        "password": field(
            "Confluence Server password", sensitive=True, depends_on=_ON_SERVER, validations=_ONE_LINE
        ),
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
            validations=[plain_text(MAX_SPACE_KEY_CHARS)],
            tooltip="Comma-separated space keys, or * for every space the account can see.",
        ),
        "exclude_spaces": field(
            "Space keys to exclude",
            type="list",
            required=False,
            validations=[plain_text(MAX_SPACE_KEY_CHARS)],
        ),
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
            "max_body_chars": field(
                "Maximum body text per document (characters)",
                type="int",
                default_value=DEFAULT_BODY_CHARS,
                value=DEFAULT_BODY_CHARS,
                required=False,
                ui_restrictions=["advanced"],
                validations=[{"type": "greater_than", "constraint": 0}],
                tooltip="Text of a page, blog post, comment or attachment beyond this is not indexed; "
                "the document records why (body_truncated_reason).",
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
            "reconcile_interval_minutes": field(
                "Reconciliation interval (minutes)",
                type="int",
                default_value=DEFAULT_RECONCILE_MINUTES,
                value=DEFAULT_RECONCILE_MINUTES,
                required=False,
                ui_restrictions=["advanced"],
                validations=[
                    {"type": "greater_than", "constraint": -1},
                    {"type": "less_than", "constraint": MAX_RECONCILE_MINUTES + 1},
                ],
                tooltip="How often an incremental sync also compares every ID in scope with the index, "
                "to remove deleted comments, purged content and attachments and to catch label "
                "changes (0: every incremental sync). Trashed and restored content is found on "
                "every incremental sync regardless.",
            ),
            "use_document_level_security": field(
                "Enable document level security",
                type="bool",
                default_value=False,
                value=False,
                required=False,
                tooltip="Access-control syncs write one identity per active Confluence user; a document "
                "is shown only to the users its access list names (without one, to nobody).",
            ),
        }
    )
    return schema(fields)

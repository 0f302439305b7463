"""Mapping of Confluence objects to the connector's one document schema (docs/confluence.md).

Every document, whatever the flavour, has the same fields; a field that does not apply to a
type is absent. ``_id`` is ``"<type>-<confluence id>"`` (e.g. ``page-123``, ``space-98304``),
stable across renames and moves; ``_timestamp`` is the last modification in UTC.
"""

from __future__ import annotations

from typing import Any

from connectors.utils import iso_utc, parse_utc

SPACE = "space"
PAGE = "page"
BLOGPOST = "blogpost"
COMMENT = "comment"
ATTACHMENT = "attachment"
FOLDER = "folder"
TYPES = (SPACE, PAGE, BLOGPOST, COMMENT, ATTACHMENT, FOLDER)
#: Bump when a document's fields or values change for the same content: it is part of the
#: incremental cursor's scope (:mod:`.cursor`), so the next sync after an upgrade is a full one.
DOCUMENTS_VERSION = 1

#: Fields Confluence changes without a new version of the item (so with the same ``_timestamp``):
#: a moved or re-parented page changes its sub-tree's ``ancestors`` and its children's
#: ``parent_id``; a renamed page its children's ``container_title`` and (Cloud) ``url``; labels
#: are set without a version; a page moved to another space takes its descendants' ``space_id``,
#: ``space_key``, ``space_name`` and ``url`` along; a renamed space changes every document's
#: ``space_name`` and its own document's ``title``; an archived space its ``status``. The sink's
#: skip-unchanged compares them too (``BaseDataSource.unversioned_fields``) and writes a change
#: as a partial update, without downloading the body again. All come from the listing.
UNVERSIONED_FIELDS = (
    "ancestors",
    "parent_id",
    "container_title",
    "url",
    "labels",
    "space_id",
    "space_key",
    "space_name",
    "title",
    "status",
)

#: Additions to the content index mapping (``properties``), merged by the framework's
#: ``ensure_content_index`` (which already maps ``id``, ``type``, ``url`` as keyword and
#: ``title``, ``body`` as text): identifiers and facets are ``keyword``, prose is ``text``.
MAPPING_PROPERTIES: dict[str, Any] = {
    "status": {"type": "keyword"},
    "space_id": {"type": "keyword"},
    "space_key": {"type": "keyword"},
    "space_name": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}}},
    "ancestors": {
        "properties": {"id": {"type": "keyword"}, "title": {"type": "text"}, "type": {"type": "keyword"}}
    },
    "parent_id": {"type": "keyword"},
    "author": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
    "author_id": {"type": "keyword"},
    "last_modifier": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
    "last_modifier_id": {"type": "keyword"},
    "created_at": {"type": "date"},
    "updated_at": {"type": "date"},
    "version": {"type": "integer"},
    "labels": {"type": "keyword"},
    "container_id": {"type": "keyword"},
    "container_type": {"type": "keyword"},
    "container_title": {"type": "text"},
    "comment_location": {"type": "keyword"},
    "parent_comment_id": {"type": "keyword"},
    "filename": {"type": "keyword"},
    "media_type": {"type": "keyword"},
    "size": {"type": "long"},
    "content_skipped_reason": {"type": "keyword"},
    "body_truncated_reason": {"type": "keyword"},
    "space_type": {"type": "keyword"},
}


def utc_iso(value: Any) -> str | None:
    """ISO-8601 UTC with milliseconds (``2024-05-01T10:22:33.123Z``) from any ISO string or epoch ms."""
    when = parse_utc(value)
    return iso_utc(when) if when is not None else None


def _person(user: Any) -> tuple[str | None, str | None]:
    """(display name, stable id) of a v1 user object: accountId on Cloud, userKey/username on DC."""
    if not isinstance(user, dict):
        return None, None
    name = user.get("displayName") or user.get("publicName") or user.get("username")
    ident = user.get("accountId") or user.get("userKey") or user.get("username")
    return name, ident


def web_url(base_url: str, webui: str | None) -> str | None:
    """Absolute web UI link: ``webui`` paths are relative to the site base (``…/wiki`` on Cloud)."""
    if not webui:
        return None
    if webui.startswith(("http://", "https://")):
        return webui
    return base_url.rstrip("/") + "/" + webui.lstrip("/")


def _drop_empty(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if v is not None}


# -- spaces -------------------------------------------------------------------------------------
def space_document(space: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A space from Cloud v2 ``/spaces`` or v1/DC ``/space`` (``description.plain`` expanded)."""
    description = space.get("description") or {}
    plain = description.get("plain") if isinstance(description, dict) else None
    text = plain.get("value") if isinstance(plain, dict) else None
    history = space.get("history") or {}
    created = space.get("createdAt") or history.get("createdDate")
    author, author_id = _person(history.get("createdBy"))
    if author_id is None and space.get("authorId"):
        author_id = space["authorId"]
    timestamp = utc_iso(created) or "1970-01-01T00:00:00.000Z"
    return _drop_empty(
        {
            "_id": f"{SPACE}-{space['id']}",
            "_timestamp": timestamp,
            "type": SPACE,
            "id": str(space["id"]),
            "title": space.get("name") or space.get("key"),
            "body": text or "",
            "url": web_url(base_url, (space.get("_links") or {}).get("webui")),
            "status": space.get("status"),
            "space_id": str(space["id"]),
            "space_key": space.get("key"),
            "space_name": space.get("name"),
            "space_type": space.get("type"),
            "author": author,
            "author_id": author_id,
            "created_at": utc_iso(created),
            "updated_at": timestamp,
            "labels": [],
            "ancestors": [],
        }
    )


# -- content ------------------------------------------------------------------------------------
def content_document(item: dict[str, Any], base_url: str, *, body: str, labels_on: bool) -> dict[str, Any]:
    """A page, blog post, comment, attachment or folder from a v1 content object.

    The object comes from ``/rest/api/content/search`` (or ``/child/...``) with ``version``,
    ``history``, ``space``, ``ancestors``, ``container`` and ``metadata.labels`` expanded as
    available; ``body`` is the already-converted text. The fields common to every kind come
    first, then the container's, then the kind's own (comment location, attachment file).
    """
    kind = item.get("type") or PAGE
    container = item.get("container") if isinstance(item.get("container"), dict) else None
    ancestors = _ancestors(item, container)
    doc = _common_fields(item, kind, base_url, body, ancestors, container, labels_on)
    if container:
        doc.update(_container_fields(container))
    if kind == COMMENT:
        doc.update(_comment_fields(item, ancestors))
    if kind == ATTACHMENT:
        doc.update(_attachment_fields(item))
    return _drop_empty(doc)


def _common_fields(
    item: dict[str, Any],
    kind: str,
    base_url: str,
    body: str,
    ancestors: list[dict[str, Any]],
    container: dict[str, Any] | None,
    labels_on: bool,
) -> dict[str, Any]:
    """The fields every content document has: identity, place, people, times, version, labels."""
    space = item.get("space") or {}
    created, updated = _times(item)
    (author, author_id), (modifier, modifier_id) = _people(item)
    parent_id = _parent_id(kind, ancestors, container)
    return {
        "_id": f"{kind}-{item['id']}",
        "_timestamp": utc_iso(updated) or "1970-01-01T00:00:00.000Z",
        "type": kind,
        "id": str(item["id"]),
        "title": item.get("title"),
        "body": body,
        "url": web_url(base_url, (item.get("_links") or {}).get("webui")),
        "status": item.get("status"),
        "space_id": str(space["id"]) if space.get("id") is not None else None,
        "space_key": space.get("key"),
        "space_name": space.get("name"),
        "ancestors": ancestors,
        "parent_id": str(parent_id) if parent_id is not None else None,
        "author": author,
        "author_id": author_id,
        "last_modifier": modifier or author,
        "last_modifier_id": modifier_id or author_id,
        "created_at": utc_iso(created),
        "updated_at": utc_iso(updated),
        "version": (item.get("version") or {}).get("number"),
        "labels": labels_of(item) if labels_on else [],
    }


def _times(item: dict[str, Any]) -> tuple[Any, Any]:
    """(created, last updated) as listed: the version's time, else the history's, else created."""
    history = item.get("history") or {}
    created = history.get("createdDate")
    updated = (
        (item.get("version") or {}).get("when") or (history.get("lastUpdated") or {}).get("when") or created
    )
    return created, updated


def _people(item: dict[str, Any]) -> tuple[tuple[str | None, str | None], tuple[str | None, str | None]]:
    """((author, id), (last modifier, id)): the creator, and whoever made the current version."""
    history = item.get("history") or {}
    by = (item.get("version") or {}).get("by") or (history.get("lastUpdated") or {}).get("by")
    return _person(history.get("createdBy")), _person(by)


def _ancestors(item: dict[str, Any], container: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The listed ancestors (root first), then the container when it is not one of them."""
    ancestors = [
        {"id": str(a.get("id")), "title": a.get("title"), "type": a.get("type")}
        for a in item.get("ancestors") or []
        if isinstance(a, dict) and a.get("id") is not None
    ]
    if container and container.get("id") is not None:
        cid = str(container["id"])
        if not any(a["id"] == cid for a in ancestors):
            ancestors.append({"id": cid, "title": container.get("title"), "type": container.get("type")})
    return ancestors


def _parent_id(kind: str, ancestors: list[dict[str, Any]], container: dict[str, Any] | None) -> Any:
    """A page's or folder's nearest ancestor; a comment's parent comment, else its container;
    an attachment's or blog post's container."""
    if kind in (PAGE, FOLDER):
        return ancestors[-1]["id"] if ancestors else None
    if kind == COMMENT:
        parents = _comment_ancestors(ancestors)
        return parents[-1] if parents else (container or {}).get("id")
    return (container or {}).get("id")


def _comment_ancestors(ancestors: list[dict[str, Any]]) -> list[str]:
    return [a["id"] for a in ancestors if a.get("type") == COMMENT]


def labels_of(item: dict[str, Any]) -> list[str]:
    """The label names of a v1 content object listed with ``metadata.labels``, in its order."""
    results = ((item.get("metadata") or {}).get("labels") or {}).get("results") or []
    labels = [label.get("name") or label.get("label") for label in results if isinstance(label, dict)]
    return [label for label in labels if label]


def _container_fields(container: dict[str, Any]) -> dict[str, Any]:
    return {
        "container_id": str(container.get("id")) if container.get("id") is not None else None,
        "container_type": container.get("type"),
        "container_title": container.get("title"),
    }


def _comment_fields(item: dict[str, Any], ancestors: list[dict[str, Any]]) -> dict[str, Any]:
    parents = _comment_ancestors(ancestors)
    return {
        "comment_location": (item.get("extensions") or {}).get("location"),
        "parent_comment_id": parents[-1] if parents else None,
    }


def _attachment_fields(item: dict[str, Any]) -> dict[str, Any]:
    extensions = item.get("extensions") or {}
    size = extensions.get("fileSize")
    return {
        "filename": item.get("title"),
        "media_type": extensions.get("mediaType") or (item.get("metadata") or {}).get("mediaType"),
        "size": int(size) if isinstance(size, int | float | str) and str(size).isdigit() else None,
    }


def attachment_download_path(item: dict[str, Any]) -> str | None:
    """The attachment's download link (relative to the REST base), as listed."""
    return (item.get("_links") or {}).get("download")

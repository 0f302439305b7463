"""Default mappings and settings of content indices, and creating them when absent.

Content documents carry ``_timestamp`` (date of the item's last change), ``id`` (the document's
``_id`` as a keyword), ``_allow_access_control`` (identities allowed to see it; keyword, with a
``keyword`` sub-field for Elastic's DLS template — added to an existing index that lacks it) and
whatever the source adds. Text fields get ``text`` with a ``keyword`` subfield (first 2048
characters) through a dynamic template, so exact filters and aggregations work on any field;
fields named ``*_id``, ``id`` or ``*_key`` map as keywords, ``*_at`` as dates. Sources may add
properties (``BaseDataSource.mappings_extra()``), passed here as ``mappings_extra``.

Access-control indices (``.search-acl-filter-<index>``) get their own small mapping.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from elasticsearch import BadRequestError, NotFoundError

# where access-control documents of a content index go (``<prefix><index>``; the protocol
# re-exports it: it is one of the names Kibana shares)
ACCESS_CONTROL_INDEX_PREFIX = ".search-acl-filter-"

KEYWORD = {"type": "keyword"}
DATE = {"type": "date"}
TEXT_WITH_KEYWORD = {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 2048}}}
# exact principals under both names: Elastic's DLS template asks ``_allow_access_control.keyword``
# (on indices Kibana creates the field is text + keyword); a keyword sub-field of a keyword field
# keeps the match exact here too (connectors/access_control.py, rule 1)
ACL = {"type": "keyword", "fields": {"keyword": KEYWORD}}

DEFAULT_SETTINGS: dict[str, Any] = {"index": {"number_of_replicas": 0, "refresh_interval": "1s"}}

DEFAULT_MAPPINGS: dict[str, Any] = {
    "dynamic": True,
    "dynamic_templates": [
        {"ids": {"match_mapping_type": "string", "match": "*_id", "mapping": KEYWORD}},
        {"keys": {"match_mapping_type": "string", "match": "*_key", "mapping": KEYWORD}},
        {"dates": {"match_mapping_type": "string", "match": "*_at", "mapping": DATE}},
        {"all_text_fields": {"match_mapping_type": "string", "mapping": TEXT_WITH_KEYWORD}},
    ],
    "properties": {
        "id": KEYWORD,
        "_timestamp": DATE,
        "_allow_access_control": ACL,
        "title": TEXT_WITH_KEYWORD,
        "body": {"type": "text"},
        "url": KEYWORD,
        "type": KEYWORD,
        "content_skipped_reason": KEYWORD,  # set by the sink when a document's download failed
    },
}

ACCESS_CONTROL_MAPPINGS: dict[str, Any] = {
    "dynamic": True,
    "properties": {
        "id": KEYWORD,
        "_timestamp": DATE,
        "created_at": DATE,
        "identity": {
            "properties": {
                "username": KEYWORD,
                "email": KEYWORD,
                "email_address": KEYWORD,
                "account_id": KEYWORD,
                "display_name": TEXT_WITH_KEYWORD,
                "user_id": KEYWORD,
                "name": TEXT_WITH_KEYWORD,
            }
        },
        "query": {"type": "object", "enabled": False},
    },
}


def content_mappings(
    mappings_extra: Mapping[str, Any] | None = None, *, access_control: bool = False
) -> dict:
    """The mappings to create an index with; ``mappings_extra`` is ``properties`` (or ``{properties}``)."""
    mappings = copy.deepcopy(ACCESS_CONTROL_MAPPINGS if access_control else DEFAULT_MAPPINGS)
    extra = dict(mappings_extra or {})
    if "properties" in extra and isinstance(extra["properties"], Mapping):
        extra = dict(extra["properties"])
    mappings["properties"].update(copy.deepcopy(extra))
    return mappings


def is_access_control_index(index_name: str) -> bool:
    return index_name.startswith(ACCESS_CONTROL_INDEX_PREFIX)


async def ensure_content_index(
    client, index_name: str, mappings_extra: Mapping[str, Any] | None = None, *, logger=None
) -> bool:
    """Create ``index_name`` with the default mappings and settings if it does not exist.

    Returns ``True`` if the index was created. For an existing index, properties it lacks (from
    the defaults and ``mappings_extra``) are added with ``PUT _mapping``; a mapping conflict is
    logged, not raised (the index keeps working with what it has).
    """
    mappings = content_mappings(mappings_extra, access_control=is_access_control_index(index_name))
    if not await client.indices.exists(index=index_name):
        try:
            await client.indices.create(index=index_name, mappings=mappings, settings=DEFAULT_SETTINGS)
            return True
        except BadRequestError as exc:
            if _error_type(exc) != "resource_already_exists_exception":
                raise
            # created by someone else meanwhile: fall through to the update
    try:
        current = await client.indices.get_mapping(index=index_name)
        existing = _properties_of(getattr(current, "body", current), index_name)
        missing = {k: v for k, v in mappings["properties"].items() if k not in existing}
        acl = existing.get("_allow_access_control")
        if (
            isinstance(acl, dict)
            and acl.get("type") == "keyword"
            and "keyword" not in (acl.get("fields") or {})
        ):
            missing["_allow_access_control"] = ACL  # adding a multi-field is an allowed mapping update
        if missing:
            await client.indices.put_mapping(index=index_name, properties=missing)
    except (BadRequestError, NotFoundError) as exc:
        if logger is not None:
            logger.warning(f"could not add mappings to index {index_name}: {_error_type(exc)}")
    return False


def _properties_of(body: Mapping[str, Any], index_name: str) -> dict:
    for name, entry in body.items():
        if name == index_name or len(body) == 1:
            return dict(((entry or {}).get("mappings") or {}).get("properties") or {})
    return {}


def _error_type(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            return str(error.get("type"))
    return type(exc).__name__

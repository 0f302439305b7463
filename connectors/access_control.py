"""Document-level security (DLS), framework side: principals on documents, identity documents,
and the one filter a search as a user goes through.

The shapes are Elastic's connectors framework's (``connectors/access_control.py`` there), so
Elasticsearch's DLS role templates and search applications read our indices unchanged:

* a content document carries ``_allow_access_control``: the principals (strings such as
  ``account_id:557058:ab`` or ``group_id:0f3c…``) any of which lets a user see it;
* ``.search-acl-filter-<content index>`` holds one *identity document* per user::

      {"_id": "<user id>", "identity": {...}, "created_at": "<ISO UTC>",
       "query": {"template": {"source": DLS_QUERY, "params": {"access_control": [<principals>]}}}}

  and Elasticsearch applies ``query.template`` (a mustache template) as the user's role query.

Rules:

1. :data:`DLS_QUERY` is Elastic's template, character for character: a document matches when
   ``_allow_access_control.keyword`` holds one of the user's principals, **or when the document
   has no ``_allow_access_control`` at all** (Elastic's choice: such documents are public). Our
   content mapping gives ``_allow_access_control`` a ``keyword`` sub-field
   (:mod:`connectors.es.mappings`), so the template matches exact principals on our indices as
   on indices Kibana created.
2. Because of rule 1, a document must never reach the index without principals when DLS is on:
   :func:`acl_or_deny` turns an empty list into ``[DENY_PRINCIPAL]``, a principal no identity
   holds (:func:`identity_document` refuses to put it in one). A document nobody may read is
   then invisible to everyone, never public.
3. Identity documents carry no ``_timestamp``: the sink's skip-unchanged rule then never skips
   them, so every access-control sync rewrites every identity (memberships change with no
   timestamp), and the sync's stale deletion removes users no longer listed.
4. :func:`user_filter` renders an identity document's template exactly as Elasticsearch does
   for the ``{{#toJson}}…{{/toJson}}`` tags Elastic's template uses (any other mustache tag is
   refused rather than guessed). No identity document (an unknown or deactivated user) gives
   :data:`MATCH_NONE`: no identity, no documents.
5. With DLS on for a connector (:func:`dls_on`), the runner passes every content document
   through :func:`guard_document` before the sink: a document whose source gave it no
   principals is written with ``[DENY_PRINCIPAL]`` — a source path that forgets its ACLs hides
   documents instead of publishing them.
6. Principals are ``<prefix>:<value>`` (:func:`prefixed`); ``None`` or empty values are dropped,
   never turned into a principal (an empty value would be shared by every user lacking it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from connectors.utils import iso_utc

ACCESS_CONTROL_FIELD = "_allow_access_control"
#: the configuration field that turns document level security on (with the source's feature)
DLS_FIELD = "use_document_level_security"
#: a principal nobody holds: the whole list of a document nobody may read (rule 2)
DENY_PRINCIPAL = "deny:nobody"
#: what a search as a user without an identity document matches (rule 4)
MATCH_NONE: dict[str, Any] = {"match_none": {}}

# Elastic's connectors framework, connectors/access_control.py (rule 1): kept byte for byte.
DLS_QUERY = """{
                    "bool": {
                        "should": [
                            {
                                "bool": {
                                    "must_not": {
                                        "exists": {
                                            "field": "_allow_access_control"
                                        }
                                    }
                                }
                            },
                            {
                                "terms": {
                                    "_allow_access_control.keyword": {{#toJson}}access_control{{/toJson}}
                                }
                            }
                        ]
                    }
                }"""

_TO_JSON = re.compile(r"\{\{#toJson\}\}\s*([A-Za-z0-9_.]+)\s*\{\{/toJson\}\}")
_ANY_TAG = re.compile(r"\{\{.*?\}\}", re.DOTALL)


class TemplateError(ValueError):
    """An identity document whose query template cannot be rendered faithfully."""


def dls_on(source: Any) -> bool:
    """Document level security is on for this source's connector: the source supports it
    (``dls_enabled``) and its configuration's ``use_document_level_security`` is true."""
    if not getattr(source, "dls_enabled", False):
        return False
    configuration = getattr(source, "configuration", None)
    try:
        return configuration is not None and configuration.get(DLS_FIELD) is True
    except Exception:  # an unreadable value is not "on"; the form check reports it
        return False


def guard_document(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with a never-empty ``_allow_access_control`` (rule 5)."""
    current = doc.get(ACCESS_CONTROL_FIELD)
    values = [current] if isinstance(current, str) else list(current or [])
    doc[ACCESS_CONTROL_FIELD] = acl_or_deny(v for v in values if isinstance(v, str))
    return doc


def prefixed(prefix: str, value: Any) -> str | None:
    """``"<prefix>:<value>"``, or ``None`` for a missing or empty value (rule 5)."""
    if value is None:
        return None
    text = str(value)
    if not text:
        return None
    return f"{prefix}:{text}"


def acl_or_deny(principals: Iterable[str | None]) -> list[str]:
    """The sorted, de-duplicated principals, or ``[DENY_PRINCIPAL]`` when there are none (rule 2)."""
    found = sorted({p for p in principals if p})
    return found or [DENY_PRINCIPAL]


def access_control_query(access_control: Iterable[str | None]) -> dict[str, Any]:
    """``{"query": {"template": ...}}`` of an identity document (Elastic's shape)."""
    values = sorted({p for p in access_control if p})
    if DENY_PRINCIPAL in values:
        raise ValueError(f"the deny principal {DENY_PRINCIPAL!r} must never be given to an identity")
    return {"query": {"template": {"params": {"access_control": values}, "source": DLS_QUERY}}}


def identity_document(
    doc_id: str,
    identity: Mapping[str, Any],
    access_control: Iterable[str | None],
    *,
    created_at: str | None = None,
) -> dict[str, Any]:
    """One identity document for ``.search-acl-filter-<index>`` (no ``_timestamp``: rule 3)."""
    if not doc_id:
        raise ValueError("an identity document needs an _id")
    doc: dict[str, Any] = {
        "_id": str(doc_id),
        "identity": {k: v for k, v in identity.items() if v not in (None, "")},
        "created_at": created_at or iso_utc(),
    }
    doc.update(access_control_query(access_control))
    return doc


def render_template(source: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The query a mustache ``source`` gives with ``params`` (``{{#toJson}}name{{/toJson}}`` only)."""

    def to_json(match: re.Match) -> str:
        value: Any = params
        for part in match.group(1).split("."):
            if not isinstance(value, Mapping) or part not in value:
                raise TemplateError(f"the DLS template names {match.group(1)!r}, which its params lack")
            value = value[part]
        return json.dumps(value)

    rendered = _TO_JSON.sub(to_json, source)
    leftover = _ANY_TAG.search(rendered)
    if leftover:
        raise TemplateError(f"unsupported mustache tag {leftover.group(0)[:60]!r} in the DLS template")
    try:
        query = json.loads(rendered)
    except json.JSONDecodeError as exc:
        raise TemplateError(f"the DLS template does not render to JSON: {exc}") from None
    if not isinstance(query, dict):
        raise TemplateError("the DLS template does not render to a query object")
    return query


def user_filter(identity_doc: Mapping[str, Any] | None) -> dict[str, Any]:
    """The filter Elasticsearch applies to a search as the user of ``identity_doc`` (rule 4).

    ``identity_doc`` is the stored identity document (its ``_source``, or a search hit / get
    response holding one); ``None`` gives :data:`MATCH_NONE`.
    """
    if identity_doc is None:
        return dict(MATCH_NONE)
    source = identity_doc.get("_source", identity_doc)
    template = ((source.get("query") or {}).get("template")) if isinstance(source, Mapping) else None
    if not isinstance(template, Mapping) or not isinstance(template.get("source"), str | dict):
        raise TemplateError("the identity document has no query.template.source")
    body = template["source"]
    params = template.get("params") or {}
    if isinstance(body, dict):  # a template stored as an object is sent as is
        body = json.dumps(body)
    return render_template(body, params)

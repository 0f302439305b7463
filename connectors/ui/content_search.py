"""The content browser's searches and what its page shows of them, as pure functions.

One page makes two searches of the connector's content index: the *page search*
(:func:`page_search`: the text query, facet filters as a ``post_filter`` so each facet still
counts the other values, facet aggregations, one page of hits with a highlight of the body) and,
when the index has a type field, the *type totals* (:func:`type_totals_search`: documents per
type over the whole index, whatever the query). Facet fields are found in the index mapping
(:func:`facet_fields`): the keyword form of the first candidate field that exists. Everything
here takes and returns plain data; the view (``views/content.py``) only runs the searches.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode, urlsplit

PAGE_SIZE = 10
MAX_HITS = 10_000  # from + size beyond this is refused by Elasticsearch
FACETS = {"type": "Type", "space": "Space"}
# candidate document fields for each facet, first match wins (the keyword form is aggregated)
FACET_FIELDS = {"type": ["type"], "space": ["space", "space_name", "space_key"]}
FACET_SIZE = 20
SEARCH_FIELDS = ["title^3", "body", "space^2", "space_name^2", "type"]
SNIPPET_CHARS = 200
# the body is never fetched (it can be megabytes of extracted text): the snippet is a highlight
SOURCE_FIELDS = ["title", "type", "space", "url", "ancestors", "_timestamp", "breadcrumbs", "space_name"]
MARK_START, MARK_END = "\u0002", "\u0003"
HIGHLIGHT = {
    "pre_tags": [MARK_START],
    "post_tags": [MARK_END],
    "fields": {
        "body": {"fragment_size": SNIPPET_CHARS, "number_of_fragments": 1, "no_match_size": SNIPPET_CHARS}
    },
}


# -- the mapping -------------------------------------------------------------------------------
def keyword_field(properties: dict, name: str) -> str | None:
    """The aggregatable form of a field: itself if keyword, else a keyword sub-field."""
    spec = properties.get(name)
    if not isinstance(spec, dict):
        return None
    if spec.get("type") in ("keyword", "constant_keyword"):
        return name
    for sub, sub_spec in (spec.get("fields") or {}).items():
        if isinstance(sub_spec, dict) and sub_spec.get("type") == "keyword":
            return f"{name}.{sub}"
    return None


def facet_fields(mapping: dict) -> dict[str, str]:
    """Facet name → the keyword field to aggregate, from a ``GET <index>/_mapping`` body."""
    properties: dict = {}
    for entry in mapping.values():
        properties.update(((entry or {}).get("mappings") or {}).get("properties") or {})
    found = {}
    for name, candidates in FACET_FIELDS.items():
        for candidate in candidates:
            if field := keyword_field(properties, candidate):
                found[name] = field
                break
    return found


# -- the searches ------------------------------------------------------------------------------
def text_query(query: str) -> dict:
    """All words of ``query`` (Elasticsearch's simple syntax, leniently), or every document."""
    if not query:
        return {"match_all": {}}
    return {
        "simple_query_string": {
            "query": query,
            "fields": SEARCH_FIELDS,
            "default_operator": "and",
            "lenient": True,
        }
    }


def facet_filters(selected: dict[str, str], fields: dict[str, str]) -> list[dict]:
    """A term filter per selected facet value (facets the index lacks are ignored)."""
    return [{"term": {fields[name]: value}} for name, value in selected.items() if value and name in fields]


def page_search(query: str, selected: dict[str, str], fields: dict[str, str], page: int) -> dict:
    """The keyword arguments of the page search (``client.search(index=..., **these)``)."""
    filters = facet_filters(selected, fields)
    aggs = {name: {"terms": {"field": field, "size": FACET_SIZE}} for name, field in fields.items()}
    return {
        "query": text_query(query),
        "post_filter": {"bool": {"filter": filters}} if filters else None,
        "aggs": aggs or None,
        "from_": (page - 1) * PAGE_SIZE,
        "size": PAGE_SIZE,
        "source_includes": SOURCE_FIELDS,
        "highlight": HIGHLIGHT if query else None,
        "track_total_hits": True,
    }


def type_totals_search(fields: dict[str, str]) -> dict | None:
    """The keyword arguments of the documents-per-type search, ``None`` without a type field."""
    if "type" not in fields:
        return None
    return {"size": 0, "aggs": {"type": {"terms": {"field": fields["type"], "size": FACET_SIZE}}}}


# -- what the page shows -----------------------------------------------------------------------
def hits_total(body: dict) -> int:
    total = (body.get("hits") or {}).get("total")
    if isinstance(total, dict):
        return int(total.get("value") or 0)
    return int(total or 0)


def buckets(body: dict, name: str) -> list[dict]:
    return ((body.get("aggregations") or {}).get(name) or {}).get("buckets") or []


def safe_url(value) -> str | None:
    """Only http(s) links to the item in Confluence (content is untrusted)."""
    if not isinstance(value, str):
        return None
    parts = urlsplit(value.strip())
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def breadcrumb(source: dict) -> list[dict]:
    crumbs = []
    space = source.get("space_name") or source.get("space")
    if isinstance(space, str) and space:
        crumbs.append({"title": space, "url": None})
    for ancestor in source.get("ancestors") or source.get("breadcrumbs") or []:
        if isinstance(ancestor, dict):
            crumbs.append({"title": str(ancestor.get("title") or ""), "url": safe_url(ancestor.get("url"))})
        elif ancestor:
            crumbs.append({"title": str(ancestor), "url": None})
    return [c for c in crumbs if c["title"]]


def snippet(fragments) -> list[tuple[str, bool]]:
    """A highlight fragment as (text, is_match) pieces; the template escapes each piece."""
    if not fragments or not isinstance(fragments[0], str):
        return []
    text = re.sub(r"\s+", " ", fragments[0]).strip()
    pieces: list[tuple[str, bool]] = []
    for index, part in enumerate(re.split(f"[{MARK_START}{MARK_END}]", text)):
        if part:
            pieces.append((part, index % 2 == 1))
    return pieces


def results(body: dict) -> list[dict]:
    """One row per hit: title, type, safe link, breadcrumb, highlighted snippet, last update."""
    rows = []
    for hit in (body.get("hits") or {}).get("hits") or []:
        source = hit.get("_source") or {}
        rows.append(
            {
                "id": hit.get("_id"),
                "title": str(source.get("title") or hit.get("_id")),
                "type": source.get("type"),
                "url": safe_url(source.get("url")),
                "breadcrumb": breadcrumb(source),
                "snippet": snippet((hit.get("highlight") or {}).get("body")),
                "updated": source.get("_timestamp"),
            }
        )
    return rows


def _link(selected: dict[str, str], query: str, **change: Any) -> str:
    return "?" + urlencode({**{k: v for k, v in selected.items() if v}, "q": query, **change})


def facets(body: dict, fields: dict[str, str], selected: dict[str, str], query: str) -> dict[str, list[dict]]:
    """Per facet, its values with counts and the link that selects each."""
    return {
        name: [
            {
                "key": str(b.get("key")),
                "count": b.get("doc_count", 0),
                "url": _link(selected, query, **{name: b.get("key")}),
                "selected": selected.get(name) == str(b.get("key")),
            }
            for b in buckets(body, name)
        ]
        for name in fields
    }


def clear_links(selected: dict[str, str], query: str) -> dict[str, str]:
    """Per facet, the link that drops its selection (keeping the query and the other facets)."""
    return {name: _link({k: v for k, v in selected.items() if k != name}, query) for name in FACETS}


def per_type(body: dict | None) -> dict[str, int]:
    return {b["key"]: b["doc_count"] for b in buckets(body or {}, "type")}

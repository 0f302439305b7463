"""Content browser: search the connector's index, facets by type and space, counts per type."""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from elasticsearch import NotFoundError

from connectors.ui.render import render
from connectors.ui.views.common import Pager, es, load_connector, page_number, total_of

PAGE_SIZE = 10
FACETS = {"type": "Type", "space": "Space"}
# candidate document fields for each facet, first match wins (the keyword form is aggregated)
FACET_FIELDS = {"type": ["type"], "space": ["space", "space_name", "space_key"]}
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


async def _facet_fields(client, index: str) -> dict[str, str]:
    mapping = (await client.indices.get_mapping(index=index)).body
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


async def content_page(request: web.Request) -> web.Response:
    connector = await load_connector(request)
    index = connector.get("index_name")
    query = request.query.get("q", "").strip()[:500]
    selected = {name: request.query.get(name, "")[:300] for name in FACETS}
    page = page_number(request)
    context = {
        "connector": connector,
        "tab": "content",
        "query": query,
        "selected": selected,
        "facet_labels": FACETS,
    }
    client = es(request)
    try:
        facet_fields = await _facet_fields(client, index) if index else {}
    except NotFoundError:
        return render(request, "content.html", missing=True, **context)
    if not index:
        return render(request, "content.html", missing=True, **context)
    text_query = (
        {
            "simple_query_string": {
                "query": query,
                "fields": SEARCH_FIELDS,
                "default_operator": "and",
                "lenient": True,
            }
        }
        if query
        else {"match_all": {}}
    )
    filters = [{"term": {facet_fields[n]: v}} for n, v in selected.items() if v and n in facet_fields]
    aggs = {name: {"terms": {"field": field, "size": 20}} for name, field in facet_fields.items()}
    body = (
        await client.search(
            index=index,
            query=text_query,
            post_filter={"bool": {"filter": filters}} if filters else None,
            aggs=aggs or None,
            from_=(page - 1) * PAGE_SIZE,
            size=PAGE_SIZE,
            source_includes=SOURCE_FIELDS,
            highlight=HIGHLIGHT if query else None,
            track_total_hits=True,
        )
    ).body
    per_type = {}
    if "type" in facet_fields:
        totals = (
            await client.search(
                index=index, size=0, aggs={"type": {"terms": {"field": facet_fields["type"], "size": 20}}}
            )
        ).body
        per_type = {
            b["key"]: b["doc_count"]
            for b in (totals.get("aggregations") or {}).get("type", {}).get("buckets", [])
        }
    results = []
    for hit in (body.get("hits") or {}).get("hits") or []:
        source = hit.get("_source") or {}
        results.append(
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
    facets = {}
    for name in facet_fields:
        buckets = ((body.get("aggregations") or {}).get(name) or {}).get("buckets") or []
        facets[name] = [
            {
                "key": str(b.get("key")),
                "count": b.get("doc_count", 0),
                "url": "?"
                + urlencode({**{k: v for k, v in selected.items() if v}, "q": query, name: b.get("key")}),
                "selected": selected.get(name) == str(b.get("key")),
            }
            for b in buckets
        ]
    clear = {
        name: "?" + urlencode({**{k: v for k, v in selected.items() if v and k != name}, "q": query})
        for name in FACETS
    }
    pager = Pager(min(total_of(body), 10_000), page, PAGE_SIZE, "page", {"q": query, **selected})
    return render(
        request,
        "content.html",
        missing=False,
        results=results,
        facets=facets,
        clear=clear,
        per_type=per_type,
        pager=pager,
        total=total_of(body),
        **context,
    )

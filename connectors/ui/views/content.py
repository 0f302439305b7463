"""Content browser: search the connector's index, facets by type and space, counts per type.

The searches and the shaping of their answers are :mod:`connectors.ui.content_search`; this
view reads the request, runs them as the signed-in user and renders.
"""

from __future__ import annotations

from aiohttp import web
from elasticsearch import NotFoundError

from connectors.ui import content_search as cs
from connectors.ui.render import render
from connectors.ui.views.common import Pager, es, load_connector, page_number

MAX_QUERY = 500
MAX_FACET_VALUE = 300


async def content_page(request: web.Request) -> web.Response:
    connector = await load_connector(request)
    index = connector.index_name
    query = request.query.get("q", "").strip()[:MAX_QUERY]
    selected = {name: request.query.get(name, "")[:MAX_FACET_VALUE] for name in cs.FACETS}
    page = page_number(request)
    context = {
        "connector": connector.view(),
        "tab": "content",
        "query": query,
        "selected": selected,
        "facet_labels": cs.FACETS,
    }
    client = es(request)
    if not index:
        return render(request, "content.html", missing=True, **context)
    try:
        fields = cs.facet_fields((await client.indices.get_mapping(index=index)).body)
    except NotFoundError:
        return render(request, "content.html", missing=True, **context)
    body = (await client.search(index=index, **cs.page_search(query, selected, fields, page))).body
    totals_search = cs.type_totals_search(fields)
    totals = (await client.search(index=index, **totals_search)).body if totals_search else None
    total = cs.hits_total(body)
    return render(
        request,
        "content.html",
        missing=False,
        results=cs.results(body),
        facets=cs.facets(body, fields, selected, query),
        clear=cs.clear_links(selected, query),
        per_type=cs.per_type(totals),
        pager=Pager(min(total, cs.MAX_HITS), page, cs.PAGE_SIZE, "page", {"q": query, **selected}),
        total=total,
        **context,
    )

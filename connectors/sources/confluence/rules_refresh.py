"""Reading ids again in advanced-rules mode: in scope exactly when the full sync would list them.

The full sync in rules mode (``ConfluenceDataSource._docs_from_cql``) indexes what a rule
returns — pages, blog posts and folders whose type is switched on, comments and attachments
unless their (type, container type) toggle is off — plus every comment and attachment of a page
or blog post a rule returns (toggle on), and the space document of every space a rule reaches.
No date windows or space settings apply. Rules for one batch of ids of one kind:

1. **Items**: ``type = <kind> and id in (...)`` expanded as a full listing: 1 request per
   :data:`~connectors.sources.confluence.refresh.BATCH` ids; an id not returned is gone.
2. **Direct match**: each rule ANDed with ``id in (<the found ids>)`` (ids only): 1 request per
   rule.
3. **Container match** (comments, attachments not matched directly): each rule ANDed with
   ``type in (page, blogpost) and id in (<their containers>)``: 1 request per rule, only when
   such children are in the batch. A child is in scope when its container is current and
   matched and the child's toggle is on.
4. A child in scope through its container is built as the full sync builds it from the
   container's child list (:func:`as_child_listing`), one matched directly as a rule result.
5. In scope → built by the full sync's builders and yielded ``OP_INDEX`` (with its space
   document once per run when ``index_spaces`` and the space document was not yielded yet);
   otherwise ``OP_DELETE``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from connectors.source import OP_DELETE, OP_INDEX
from connectors.sources.confluence import documents as D
from connectors.sources.confluence.api import expand_for
from connectors.sources.confluence.scope import CHILD_TOGGLES, KIND_TOGGLES


def as_child_listing(item: dict) -> dict:
    """A comment or attachment read with the mixed expansion (``expand_for("any")``) as the
    full sync reads it from its container's child list (``expand_for(<kind>)``): an attachment
    without ``ancestors``, a comment without labels — so the two build the same document."""
    item = dict(item)
    if item.get("type") == "attachment":
        item.pop("ancestors", None)
    elif isinstance(item.get("metadata"), dict):
        item["metadata"] = {k: v for k, v in item["metadata"].items() if k != "labels"}
    return item


async def _matched(source, rules: list[str], clause: str, what: str) -> dict[str, int]:
    """id -> the first rule (index) that returns it, for ``clause`` ANDed with each rule."""
    first: dict[str, int] = {}
    for index, rule in enumerate(rules):
        stream = source.api.search(f"({rule}) and {clause}", expand="space", what=what)
        async for item in source._guarded(f"{what} (advanced rule {index})", stream):
            first.setdefault(str(item.get("id")), index)
    return first


async def relist_batch_by_rules(
    source, rules: list[str], kind: str, raw_ids: list[str], refresh
) -> AsyncIterator[tuple[dict, Any, str]]:
    s = source.settings
    found: dict[str, dict] = {}
    cql = f"type = {kind} and id in ({', '.join(raw_ids)})"
    expand = expand_for("any", labels=s.on("index_labels"))
    stream = source.api.search(cql, expand=expand, what=f"{kind}s to read again")
    async for item in source._guarded(f"{kind}s to read again", stream):
        found[str(item.get("id"))] = item
    direct = await _matched(source, rules, f"id in ({', '.join(found)})", "matched ids") if found else {}
    containers: set[str] = set()
    if kind not in KIND_TOGGLES:
        containers = {
            str((item.get("container") or {}).get("id"))
            for item in found.values()
            if (item.get("container") or {}).get("id") is not None
        }
    clause = f"type in (page, blogpost) and id in ({', '.join(sorted(containers))})"
    by_container = await _matched(source, rules, clause, "matched containers") if containers else {}
    for raw in raw_ids:
        item = found.get(raw)
        pair = None
        through_container = False
        if item is not None and kind in KIND_TOGGLES:
            if raw in direct and s.on(KIND_TOGGLES[kind]):
                pair = source._content_pair(item)
        elif item is not None:
            container = item.get("container") or {}
            toggle = CHILD_TOGGLES.get((kind, container.get("type")), "")
            rule_of_container = by_container.get(str(container.get("id")))
            # the full sync lists a matched container's children right after the container
            through_container = rule_of_container is not None and (
                raw not in direct or rule_of_container <= direct[raw]
            )
            if through_container:
                keep = bool(toggle) and s.on(toggle) and container.get("status", "current") == "current"
            else:
                keep = raw in direct and s.on(toggle) is not False
            if keep:
                pair = await source._child_pair(as_child_listing(item) if through_container else item)
        if pair is None:
            yield {"_id": f"{kind}-{raw}"}, None, OP_DELETE
            continue
        if raw in direct and not through_container and s.on("index_spaces"):
            async for triple in _space_doc_once(source, item, refresh):
                yield triple
        yield pair[0], pair[1], OP_INDEX


async def _space_doc_once(source, item: dict, refresh) -> AsyncIterator[tuple[dict, Any, str]]:
    space = item.get("space") or {}
    if space.get("id") is None or refresh.was_yielded(f"space-{space['id']}"):
        return
    async for listed in source._guarded(f"space {space.get('key')}", source.api.spaces((space.get("key"),))):
        doc = D.space_document(listed, source.client.base_url)
        refresh.yielded(doc["_id"])
        yield doc, None, OP_INDEX

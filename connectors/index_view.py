"""A read-only view of the content index, for a source that must know what the index holds.

An incremental sync lists what *changed*; some consequences of a change are only visible by
comparing with what was indexed before (a page moved: which documents still carry it in their
``ancestors``; a space renamed: which documents carry its old name; content purged between two
runs: which ids the index holds that Confluence no longer has). The runner hands the source an
:class:`IndexView` of the content index it writes (``BaseDataSource.set_index_view``) before the
sync starts. Rules:

1. **Read only**. A source never writes through the view; every write goes through the yielded
   operations and the sink (one writer per document kind).
2. **What it sees**: the index as it was refreshed when the view was first read, plus whatever
   the sink has flushed since (``stored`` is a real-time get; ``matching``/``ids`` search the last
   refresh). A source compares a document with its stored copy *before* it yields that document.
3. **Bounded**: ``stored`` takes at most :data:`STORED_BATCH` ids a call; ``matching`` and ``ids``
   are streams (point in time + ``search_after`` on Elasticsearch), never a whole index in memory.
4. **Failure**: a read that fails after the Elasticsearch outage policy raises; the source lets it
   propagate, so the sync fails and its cursor does not move.

:class:`MemoryIndexView` is the same contract over a dict, for unit tests of sources.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any, Protocol

#: The most ids one ``stored`` call takes (one ``_mget`` on Elasticsearch).
STORED_BATCH = 500


class IndexView(Protocol):
    async def stored(self, ids: Sequence[str], fields: Sequence[str]) -> dict[str, dict[str, Any]]:
        """``_id -> {field: value}`` (only ``fields``) for each of ``ids`` in the index; ids not
        in the index are absent from the answer. At most :data:`STORED_BATCH` ids."""
        ...

    def matching(
        self, field: str, values: Sequence[str], fields: Sequence[str] = ()
    ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """``(_id, {field: value})`` of every document whose keyword ``field`` (dotted paths
        allowed, e.g. ``ancestors.id``) holds one of ``values``."""
        ...

    def ids(self, types: Sequence[str] | None = None) -> AsyncIterator[str]:
        """Every ``_id`` in the index, or of the documents whose ``type`` is one of ``types``."""
        ...


def _values_at(source: Mapping[str, Any], path: str) -> list[Any]:
    """The values at dotted ``path`` in a stored source (lists are walked, as Elasticsearch does)."""
    current: list[Any] = [source]
    for part in path.split("."):
        nxt: list[Any] = []
        for value in current:
            if isinstance(value, list):
                value_items = value
            else:
                value_items = [value]
            for item in value_items:
                if isinstance(item, Mapping) and part in item:
                    got = item[part]
                    nxt.extend(got if isinstance(got, list) else [got])
        current = nxt
    return current


def _pick(source: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    return {f: source[f] for f in fields if f in source}


class MemoryIndexView:
    """:class:`IndexView` over ``{_id: source}`` (the dict is read live, never copied)."""

    def __init__(self, docs: Mapping[str, Mapping[str, Any]] | None = None):
        self.docs: Mapping[str, Mapping[str, Any]] = docs if docs is not None else {}
        self.calls: list[tuple[str, Any]] = []  # (method, argument) of every read, for cost tests

    async def stored(self, ids: Sequence[str], fields: Sequence[str]) -> dict[str, dict[str, Any]]:
        if len(ids) > STORED_BATCH:
            raise ValueError(f"stored() takes at most {STORED_BATCH} ids, got {len(ids)}")
        self.calls.append(("stored", tuple(ids)))
        return {i: _pick(self.docs[i], fields) for i in ids if i in self.docs}

    async def matching(
        self, field: str, values: Sequence[str], fields: Sequence[str] = ()
    ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        self.calls.append(("matching", (field, tuple(values))))
        wanted = {str(v) for v in values}
        for doc_id, source in list(self.docs.items()):
            if wanted & {str(v) for v in _values_at(source, field)}:
                yield doc_id, _pick(source, fields)

    async def ids(self, types: Sequence[str] | None = None) -> AsyncIterator[str]:
        self.calls.append(("ids", tuple(types) if types else None))
        for doc_id, source in list(self.docs.items()):
            if types is None or source.get("type") in types:
                yield doc_id

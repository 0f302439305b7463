"""A test-only data source serving documents from a JSON file (or an in-memory store).

The file (``docs_file`` configuration field) holds::

    {"docs": [{"_id": "1", "_timestamp": "...", "title": "...", "body": "..."}, ...],
     "changes": [{"op": "index"|"update"|"delete", "doc": {...}}, ...],   # incremental syncs
     "identities": [{"_id": "alice", "identity": {...}, ...}],            # access control syncs
     "unreachable": false,          # ping raises SourceUnreachable
     "ping_delay": 0,               # seconds ping takes (a hanging remote)
     "fail_after": null,            # raise after yielding this many docs (listing failure)
     "delay": 0.0,                  # seconds between documents (a slow source)
     "require_cursor": false,       # incremental: no cursor -> FullSyncRequired (as a real source)
     "scope": null,                 # cursors carry it; incremental with another -> FullSyncRequired
     "ledger": null}                # a file: "start"/"end" lines appended around each content listing

In memory only, ``"pause": (position, asyncio.Event)`` holds the listing before that document
until the event is set (a test acts at a known point of the sync).

Tests rewrite the file between syncs (also from another process). ``docs_file`` may be
``memory:<name>`` to read :data:`MEMORY[name]` instead. The body is served through the lazy
download, and every call to a lazy download is counted in :data:`DOWNLOADS` (per process), every
ping in :data:`PINGS`, every listing (and the index view it had) in :data:`LISTINGS`.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from connectors.configuration import field
from connectors.errors import FullSyncRequired, SourceUnreachable, SyncError
from connectors.source import OP_DELETE, OP_INDEX, BaseDataSource

MEMORY: dict[str, dict] = {}
DOWNLOADS: list[str] = []
LISTINGS: list[tuple[str, object]] = []  # ("full"|"incremental", the source's index_view) per listing
PINGS: list[str] = []  # the docs_file of every ping (per process)


def write_fixture(path: Path, docs: list[dict], **extra) -> None:
    """Atomically (rename) write the fixture file, so a reader never sees half a file."""
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(json.dumps({"docs": docs, **extra}))
    tmp.replace(path)


def make_docs(count: int, stamp: str = "2026-01-01T00:00:00Z", prefix: str = "doc") -> list[dict]:
    return [
        {"_id": f"{prefix}-{i}", "_timestamp": stamp, "title": f"Title {i}", "body": f"body of {i}", "n": i}
        for i in range(count)
    ]


class FakeDataSource(BaseDataSource):
    name = "Fake (tests)"
    service_type = "fake"
    incremental_sync_enabled = True
    dls_enabled = True
    advanced_rules_enabled = False

    @classmethod
    def get_default_configuration(cls):
        return {
            "docs_file": field("Documents file", required=True, order=1),
            "api_token": field("API token", required=False, sensitive=True, order=2),
        }

    async def _load(self) -> dict:
        where = str(self.configuration["docs_file"])
        if where.startswith("memory:"):
            return MEMORY.get(where.removeprefix("memory:"), {"docs": []})
        text = await asyncio.to_thread(Path(where).read_text)
        return json.loads(text)

    async def ping(self) -> None:
        PINGS.append(str(self.configuration["docs_file"]))
        data = await self._load()
        if data.get("ping_delay"):
            await asyncio.sleep(float(data["ping_delay"]))  # simulates a remote that hangs
        if data.get("unreachable"):
            raise SourceUnreachable("the fake source is unreachable (fixture says so)")

    async def _paced(self, items, data):
        fail_after = data.get("fail_after")
        pause = data.get("pause")
        for position, item in enumerate(items):
            if pause is not None and position == pause[0]:
                await pause[1].wait()
            if fail_after is not None and position >= fail_after:
                raise SyncError(f"listing failed after {fail_after} documents (fixture says so)")
            delay = float(data.get("delay") or 0)  # read per document: a test may speed it up
            if delay:
                await asyncio.sleep(delay)  # simulates a slow remote listing
            yield item

    @staticmethod
    def _split(doc: dict):
        doc = dict(doc)
        body = doc.pop("body", None)
        if body is None:
            return doc, None

        async def download(doit=True, timestamp=None):
            if not doit:
                return None
            DOWNLOADS.append(doc["_id"])
            return {"_id": doc["_id"], "_timestamp": doc["_timestamp"], "body": body}

        return doc, download

    @staticmethod
    async def _note(data: dict, line: str) -> None:
        if data.get("ledger"):

            def append():
                with open(data["ledger"], "a") as ledger:
                    ledger.write(f"{line}\n")

            await asyncio.to_thread(append)

    async def get_docs(self, filtering=None):
        LISTINGS.append(("full", self.index_view))
        data = await self._load()
        await self._note(data, "start")
        try:
            async for doc in self._paced(data.get("docs") or [], data):
                yield self._split(doc)
        finally:
            await self._note(data, "end")
        self._sync_cursor = self._cursor_at(len(data.get("changes") or []), data)

    @staticmethod
    def _cursor_at(position: int, data: dict) -> dict:
        cursor = {"position": position}
        if data.get("scope") is not None:
            cursor["scope"] = data["scope"]
        return cursor

    async def get_docs_incrementally(self, sync_cursor, filtering=None):
        LISTINGS.append(("incremental", self.index_view))
        data = await self._load()
        if data.get("require_cursor") and not sync_cursor:
            raise FullSyncRequired("no sync cursor yet (fixture requires one)")
        if data.get("scope") is not None and (sync_cursor or {}).get("scope") != data["scope"]:
            raise FullSyncRequired(f"the cursor was written under another scope than {data['scope']!r}")
        start = int((sync_cursor or {}).get("position", 0))
        changes = (data.get("changes") or [])[start:]
        await self._note(data, "start")
        try:
            async for change in self._paced(changes, data):
                doc, download = self._split(change["doc"])
                yield doc, download, change.get("op", OP_INDEX)
        finally:
            await self._note(data, "end")
        self._sync_cursor = self._cursor_at(start + len(changes), data)

    async def get_access_control(self):
        LISTINGS.append(("access_control", self.index_view))
        data = await self._load()
        async for identity in self._paced(data.get("identities") or [], data):
            yield identity


__all__ = [
    "DOWNLOADS",
    "LISTINGS",
    "MEMORY",
    "PINGS",
    "OP_DELETE",
    "FakeDataSource",
    "make_docs",
    "write_fixture",
]

"""``ConfluenceDataSource``: Confluence Cloud, Server and Data Center, composed of the client,
the API streams, the scope (filters), the document mapping, storage-to-text and extraction.

Body sizes: every body (page, blog post, comment, attachment text) is cut at ``max_body_chars``
characters, and a document whose body was cut says so in ``body_truncated_reason``. The
conversion stops at the cap (storage text is parsed piece by piece past 256 KiB; attachment text
is cut in the extraction worker), and at most :data:`BIG_BODIES_AT_ONCE` big bodies (storage
over 256 KiB, attachments over 1 MiB or of unknown size) are converted or downloaded at a time.
A big storage body is not kept from the listing to its conversion (documents wait in the merge
buffer and the sink's queue): its lazy conversion fetches it again, alone, when its turn comes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator
from typing import Any

from connectors.access_control import dls_on
from connectors.errors import ConfigurationError, SourceUnreachable, SyncError
from connectors.extraction.extractor import TextExtractor
from connectors.extraction.file_text import UnsupportedFileType, kind_of
from connectors.source import BaseDataSource
from connectors.sources.confluence import cursor as C
from connectors.sources.confluence import documents as D
from connectors.sources.confluence.api import ConfluenceApi, expand_for
from connectors.sources.confluence.changes import ChangeListing
from connectors.sources.confluence.client import (
    AttachmentTooLarge,
    ConfluenceAuthError,
    ConfluenceClient,
    ConfluenceError,
    ConfluenceForbidden,
    ConfluenceHTTPError,
    ConfluenceNotFound,
    ConfluenceTLSError,
    ConfluenceUnreachable,
)
from connectors.sources.confluence.config import FLAVOURS, default_configuration
from connectors.sources.confluence.directory import Directory
from connectors.sources.confluence.identities import identity_documents
from connectors.sources.confluence.merge import bounded_merge
from connectors.sources.confluence.reconcile import full_sync_marks
from connectors.sources.confluence.rules import (
    RemoteCqlValidator,
    advanced_rules_of,
    queries,
    schema_validator,
)
from connectors.sources.confluence.scope import CHILD_TOGGLES as _CHILD_TOGGLES
from connectors.sources.confluence.scope import KIND_TOGGLES as _KIND_TOGGLES
from connectors.sources.confluence.scope import Scope
from connectors.sources.confluence.settings import Settings, read_settings
from connectors.sources.confluence.space_changes import configured_spaces
from connectors.sources.confluence.space_changes import digest_of as space_digest_of
from connectors.sources.confluence.storage_text import STREAM_ABOVE, storage_to_text
from connectors.utils import MIB, utcnow

logger = logging.getLogger(__name__)

#: spaces listed at the same time (never more than the configured concurrent requests)
SPACES_AT_ONCE = 4
#: documents listed ahead of the sink, across those spaces
MERGE_BUFFER = 100
#: big bodies (storage over STREAM_ABOVE characters, attachments over BIG_FILE_BYTES) in work at once
BIG_BODIES_AT_ONCE = 2
BIG_FILE_BYTES = MIB


_advanced_rules = advanced_rules_of


class ConfluenceDataSource(BaseDataSource):
    """Full sync of a Confluence site (see docs/confluence.md for the documents and the filters)."""

    name = "Confluence"
    service_type = "confluence"
    advanced_rules_enabled = True
    incremental_sync_enabled = True
    #: Not advertised until content documents carry their ACLs (issue 14, next slice): the
    #: identities (:mod:`.identities`) and the ACL model (:mod:`.acl`) are built, but a connector
    #: with DLS on would index every document with the deny principal only (fail closed).
    dls_enabled = False
    unversioned_fields = D.UNVERSIONED_FIELDS

    def __init__(self, configuration, *, extractor: TextExtractor | None = None, client_options=None):
        super().__init__(configuration)
        self._settings: Settings | None = None
        self._client: ConfluenceClient | None = None
        self._api: ConfluenceApi | None = None
        self._extractor = extractor
        self._own_extractor = extractor is None
        self._client_options = dict(client_options or {})
        self._big_bodies: asyncio.Semaphore | None = None
        self._now = utcnow  # the clock of the cursor's marks (a test may replace it)
        self._spaces_seen: dict[str, str] = {}  # space id -> digest, for the cursor (:mod:`.cursor`)

    @classmethod
    def get_default_configuration(cls) -> dict[str, dict[str, Any]]:
        return default_configuration()

    def mappings_extra(self) -> dict[str, Any]:
        """Content-index ``properties`` for the Confluence document fields (docs/confluence.md)."""
        return dict(D.MAPPING_PROPERTIES)

    # -- composition -----------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = read_settings(self.configuration)
        return self._settings

    @property
    def client(self) -> ConfluenceClient:
        if self._client is None:
            s = self.settings
            if s.problems:
                raise ConfigurationError(list(s.problems), title="Invalid Confluence configuration:")
            try:
                self._client = ConfluenceClient(
                    s.base_url,
                    s.build_auth(),
                    ssl_ca=s.ssl_ca,
                    retry_count=s.retry_count,
                    concurrency=s.concurrency,
                    **self._client_options,
                )
            except ValueError as exc:
                raise ConfigurationError(f"'SSL certificate': {exc}") from None
        return self._client

    @property
    def api(self) -> ConfluenceApi:
        if self._api is None:
            self._api = ConfluenceApi(self.client, cloud=self.settings.is_cloud)
        return self._api

    @property
    def extractor(self) -> TextExtractor:
        if self._extractor is None:
            self._extractor = TextExtractor(timeout=self.settings.extraction_timeout)
        return self._extractor

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._own_extractor and self._extractor is not None:
            self._extractor.close()
            self._extractor = None

    # -- validation and ping ---------------------------------------------------------------
    async def validate_config(self) -> None:
        """Every problem of the form's specs and of the Confluence checks (:mod:`.settings`) at
        once; then ``ping`` and the listed space keys."""
        self._settings = None
        if self.settings.problems:
            raise ConfigurationError(list(self.settings.problems), title="Invalid Confluence configuration:")
        await self.ping()
        if self.settings.spaces:
            found = set()
            try:
                async for space in self.api.spaces(self.settings.spaces):
                    found.add(space.get("key"))
            except ConfluenceError as exc:
                raise ConfigurationError(
                    f"Could not check 'Confluence space keys': {self._explain(exc)}"
                ) from None
            missing = [key for key in self.settings.spaces if key not in found]
            if missing:
                raise ConfigurationError(
                    f"Unknown space keys in 'Confluence space keys': {', '.join(missing)} "
                    "(they do not exist or the account cannot see them)."
                )

    async def ping(self) -> None:
        try:
            await self.api.probe()
        except ConfluenceError as exc:
            raise SourceUnreachable(self._explain(exc)) from None

    def _explain(self, exc: ConfluenceError) -> str:
        s = self.settings
        where = f"{FLAVOURS[s.flavour]} at {s.url}"
        if isinstance(exc, ConfluenceAuthError):
            return f"{where} refused {self.client.auth.description} (HTTP 401). Check them and try again."
        if isinstance(exc, ConfluenceForbidden):
            return (
                f"{where} denied access with {self.client.auth.description} (HTTP 403: {exc.detail or 'Forbidden'}). "
                "The account may lack the 'Can use' permission or be locked (CAPTCHA)."
            )
        if isinstance(exc, ConfluenceNotFound):
            hint = "https://<site>.atlassian.net" if s.is_cloud else "the base URL with its context path"
            return f"No Confluence REST API found at {s.base_url}/rest/api (HTTP 404). Check 'Confluence URL' ({hint})."
        if isinstance(exc, ConfluenceTLSError):
            return f"TLS failure talking to {where}: {exc}"
        if isinstance(exc, ConfluenceUnreachable):
            return f"Cannot reach {where}: {exc}"
        if isinstance(exc, ConfluenceHTTPError):
            return f"{where} answered with an error: {exc}"
        return f"{where}: {exc}"

    def advanced_rules_validators(self) -> list:
        return [schema_validator(), RemoteCqlValidator(self.api.check_cql)]

    # -- reading ---------------------------------------------------------------------------
    async def _guarded(self, what: str, stream: AsyncIterator[dict]) -> AsyncIterator[dict]:
        """Re-raise any listing failure as a ``SyncError`` naming what could not be read."""
        try:
            async for item in stream:
                yield item
        except ConfluenceError as exc:
            raise SyncError(f"Could not read {what}: {self._explain(exc)}") from None

    async def get_docs(self, filtering=None) -> AsyncIterator[tuple[dict, Any]]:
        """Every document of the scope. When the listing completes, :meth:`sync_cursor` holds the
        time it *started* as every content type's mark (:mod:`.cursor`, rule 2)."""
        self._sync_cursor = None
        rules = _advanced_rules(filtering)
        cql_queries = queries(rules) if rules else None
        started = self._now()
        self._spaces_seen = {}
        deletes = await full_sync_marks(self, started, whole_site=bool(cql_queries))  # before the content
        if cql_queries:
            stream = self._docs_from_cql(cql_queries)
        else:
            stream = self._docs_from_spaces()
        async for pair in stream:
            yield pair
        if cql_queries:  # the rules reach any space: the next incremental diffs them all
            async for space in configured_spaces(self, rules_mode=True):
                self._spaces_seen[str(space["id"])] = space_digest_of(self, space)
        self._sync_cursor = C.build(
            C.ScopeFingerprint.of(self.settings, cql_queries, filtering),
            dict.fromkeys(C.content_types(self.settings), started),
            await self._account_id(),
            spaces=self._spaces_seen,
        )
        self._sync_cursor.update(deletes)

    async def _account_id(self) -> str | None:
        """The syncing account's stable id (a cursor belongs to the account that listed it), or
        ``None`` when it cannot be read: the listing is complete, so that is not worth failing."""
        try:
            return C.account_of(await self.api.current_user())
        except ConfluenceError as exc:
            logger.info("could not read the current user for the sync cursor: %s", exc)
            return None

    async def get_access_control(self) -> AsyncIterator[dict]:
        """One identity document per active user (:mod:`.identities`); fails, writing nothing,
        when document level security is off or a listing fails."""
        if not dls_on(self):
            raise SyncError("Document level security is off: turn on 'Enable document level security' first.")
        directory = Directory(self.client, cloud=self.settings.is_cloud)
        async for doc in identity_documents(directory, explain=self._explain):
            yield doc

    async def get_docs_incrementally(self, sync_cursor, filtering=None):
        """What changed since ``sync_cursor``, as ``(doc, lazy, operation)``; see :mod:`.changes`.
        Raises ``FullSyncRequired`` before yielding anything when the cursor cannot be used."""
        self._sync_cursor = None
        listing = ChangeListing(self, filtering)
        async for triple in listing.run(sync_cursor):
            yield triple
        self._sync_cursor = listing.new_cursor

    async def _docs_from_spaces(self) -> AsyncIterator[tuple[dict, Any]]:
        """Several spaces listed at once (each space's requests stay one after another), so the
        round trips of one space overlap with those of others; see :mod:`.merge`."""
        concurrency = max(1, min(SPACES_AT_ONCE, self.settings.concurrency))
        merged = bounded_merge(self._space_streams(), concurrency=concurrency, buffer=MERGE_BUFFER)
        async for pair in merged:
            yield pair

    async def _space_streams(self) -> AsyncIterator[AsyncIterator[tuple[dict, Any]]]:
        async for space in configured_spaces(self, rules_mode=False):  # excluded skipped, max spaces
            self._spaces_seen[str(space["id"])] = space_digest_of(self, space)  # the cursor's map
            yield self._space_docs(space)

    async def _space_docs(self, space: dict) -> AsyncIterator[tuple[dict, Any]]:
        if self.settings.on("index_spaces"):
            yield D.space_document(space, self.client.base_url), None
        async for pair in self._space_content(space):
            yield pair

    async def _space_content(self, space: dict) -> AsyncIterator[tuple[dict, Any]]:
        s = self.settings
        scope = Scope(s)
        key = space["key"]
        budget = s.max_docs_per_space
        emitted = 0

        def remaining() -> int | None:
            return None if budget is None else budget - emitted

        for kind in ("page", "blogpost", "folder"):
            if not s.on(_KIND_TOGGLES[kind]) or (kind == "folder" and not s.is_cloud):
                continue
            if remaining() is not None and remaining() <= 0:
                return
            stream = self.api.search(
                scope.cql(key, kind),
                expand=expand_for(kind, labels=s.on("index_labels")),
                # ask for no more than the budget, unless the exact date check may drop some
                max_items=None if scope.has_date_window() else remaining(),
                what=f"{kind}s",
            )
            async for item in self._guarded(f"{kind}s of space {key}", stream):
                if not scope.in_date_window(item):
                    continue
                if remaining() is not None and remaining() <= 0:
                    return
                yield self._content_pair(item)
                emitted += 1
        for kind in ("attachment", "comment"):
            wanted = {ctype for (k, ctype), toggle in _CHILD_TOGGLES.items() if k == kind and s.on(toggle)}
            if not wanted:
                continue
            allowed = await self._container_scope(key, wanted, scope)
            stream = self.api.search(
                scope.cql(key, kind), expand=expand_for(kind, labels=s.on("index_labels")), what=f"{kind}s"
            )
            async for item in self._guarded(f"{kind}s of space {key}", stream):
                if remaining() is not None and remaining() <= 0:
                    return
                if not self._child_in_scope(item, wanted, allowed, scope):
                    continue
                pair = await self._child_pair(item)
                if pair is None:
                    continue
                yield pair
                emitted += 1

    @staticmethod
    def _child_in_scope(item: dict, wanted: set[str], allowed: dict[str, set | None], scope: Scope) -> bool:
        """Whether a listed comment or attachment belongs in the index: its container is of a
        type switched on, current (archived or trashed containers are not synced, nor their
        children), kept by the ID filters (``allowed``), and the item is in the date window."""
        container = item.get("container") or {}
        ctype = container.get("type")
        if ctype not in wanted or container.get("status", "current") != "current":
            return False
        if allowed.get(ctype) is not None and str(container.get("id")) not in allowed[ctype]:
            return False
        return scope.in_date_window(item)

    async def _container_scope(
        self, space_key: str | None, wanted: set[str], scope: Scope, space_keys: tuple[str, ...] | None = None
    ) -> dict[str, set | None]:
        """Ids of the pages / blog posts the ID filters keep (``None``: no ID filter, all kept),
        in one space or (``space_key`` None) in the whole scope."""
        allowed: dict[str, set | None] = {"page": None, "blogpost": None}
        where = f"space {space_key}" if space_key is not None else "the configured spaces"
        for ctype, tracked in (("page", scope.tracks_pages()), ("blogpost", scope.tracks_blogposts())):
            if ctype in wanted and tracked:
                ids = set()
                stream = self.api.search(
                    scope.id_scope_cql(space_key, ctype, space_keys), expand="space", what=f"{ctype} ids"
                )
                async for item in self._guarded(f"{ctype}s of {where}", stream):
                    ids.add(str(item["id"]))
                allowed[ctype] = ids
        return allowed

    def _content_pair(self, item: dict) -> tuple[dict, Any]:
        """A page, blog post, comment or folder and the lazy conversion of its body.

        The storage-format body came with the listing; turning it into text is deferred to the
        lazy download, which the sink calls only for new or changed documents, so a resync of
        unchanged content costs no parsing. (Basic sync rules therefore see ``body`` empty.)
        """
        doc = D.content_document(
            item, self.client.base_url, body="", labels_on=self.settings.on("index_labels")
        )
        storage = ((item.get("body") or {}).get("storage") or {}).get("value")
        if not storage:
            return doc, None
        if len(storage) > STREAM_ABOVE:  # never held while the document waits: fetched again
            return doc, functools.partial(
                self._convert_big_body, doc["_id"], doc["_timestamp"], str(item["id"])
            )
        return doc, functools.partial(self._convert_body, doc["_id"], doc["_timestamp"], storage)

    async def _convert_big_body(self, doc_id, doc_timestamp, content_id, doit=True, timestamp=None, **_):
        if not doit:
            return None
        async with self._big_body_slot():
            try:
                storage = await self.api.storage_body(content_id)
            except ConfluenceError as exc:
                raise SyncError(f"Could not read the body of {doc_id}: {self._explain(exc)}") from None
            text = await self._to_text(storage, slot_held=True)
        return self._with_body({"_id": doc_id, "_timestamp": doc_timestamp}, text)

    async def _convert_body(self, doc_id, doc_timestamp, storage, doit=True, timestamp=None, **_):
        if not doit:
            return None
        return self._with_body({"_id": doc_id, "_timestamp": doc_timestamp}, await self._to_text(storage))

    async def _to_text(self, storage: str | None, slot_held: bool = False) -> str:
        """The body's text, at most ``max_body_chars + 1`` characters (more: it was cut)."""
        if not storage:
            return ""
        convert = functools.partial(
            storage_to_text,
            storage,
            inline_images=self.settings.index_inline_images,
            max_chars=self.settings.max_body_chars,
        )
        if len(storage) < 2048:
            return convert()  # cheaper than a thread hop
        if len(storage) <= STREAM_ABOVE or slot_held:
            return await asyncio.get_running_loop().run_in_executor(None, convert)
        async with self._big_body_slot():
            return await asyncio.get_running_loop().run_in_executor(None, convert)

    def _big_body_slot(self) -> asyncio.Semaphore:
        if self._big_bodies is None:
            self._big_bodies = asyncio.Semaphore(BIG_BODIES_AT_ONCE)
        return self._big_bodies

    def _with_body(self, result: dict[str, Any], text: str) -> dict[str, Any]:
        """``result`` with ``body`` = ``text`` cut at ``max_body_chars``, and why when it was cut."""
        cap = self.settings.max_body_chars
        if len(text) > cap:
            text = text[:cap]
            result["body_truncated_reason"] = f"body text cut at {cap:,} characters (max_body_chars)"
        result["body"] = text
        return result

    async def _child_pair(self, item: dict) -> tuple[dict, Any] | None:
        """The document (and lazy download, for attachments) of a comment or attachment."""
        if item.get("type") == "comment":
            return self._content_pair(item)
        doc = D.content_document(
            item, self.client.base_url, body="", labels_on=self.settings.on("index_labels")
        )
        media = (doc.get("media_type") or "").lower()
        if media.startswith("image/") and not self.settings.index_inline_images:
            return None
        size = doc.get("size")
        cap = self.settings.max_attachment_bytes
        if size is not None and size > cap:
            doc["content_skipped_reason"] = f"size {size} bytes exceeds the {cap // MIB} MB attachment limit"
            return doc, None
        if kind_of(doc.get("filename") or "", media) is None:
            doc["content_skipped_reason"] = f"no text extractor for {media or 'this file type'}"
            return doc, None
        link = D.attachment_download_path(item)
        if not link:
            doc["content_skipped_reason"] = "no download link listed"
            return doc, None
        return doc, functools.partial(self._download_attachment, doc["_id"], doc["_timestamp"], link, doc)

    async def _download_attachment(self, doc_id, doc_timestamp, link, doc, doit=True, timestamp=None, **_):
        """The lazy download: ``download(doit, timestamp=None)`` as the sink calls it."""
        if not doit:
            return None
        size = doc.get("size")
        if size is None or size > BIG_FILE_BYTES:
            async with self._big_body_slot():
                return await self._read_attachment(doc_id, doc_timestamp, link, doc)
        return await self._read_attachment(doc_id, doc_timestamp, link, doc)

    async def _read_attachment(self, doc_id, doc_timestamp, link, doc) -> dict[str, Any]:
        result: dict[str, Any] = {"_id": doc_id, "_timestamp": doc_timestamp}
        try:
            data = await self.client.download(self.client.link_url(link), self.settings.max_attachment_bytes)
        except AttachmentTooLarge as exc:
            result["body"] = ""
            result["content_skipped_reason"] = f"download stopped: {exc}"
            return result
        except ConfluenceError as exc:
            raise SyncError(
                f"Could not download attachment {doc.get('filename')!r} ({doc_id}): {self._explain(exc)}"
            ) from None
        try:
            text = await self.extractor.extract(
                data, doc.get("filename") or "", doc.get("media_type"), self.settings.max_body_chars
            )
            del data
            self._with_body(result, text)
        except UnsupportedFileType as exc:
            result["body"] = ""
            result["content_skipped_reason"] = str(exc)
        except Exception as exc:  # a damaged file must not stop the sync
            logger.warning("text extraction failed for %s (%s): %s", doc_id, doc.get("filename"), exc)
            result["body"] = ""
            result["content_skipped_reason"] = f"text extraction failed: {type(exc).__name__}: {exc}"
        return result

    # -- advanced rules --------------------------------------------------------------------
    async def _docs_from_cql(self, cql_queries: list[str]) -> AsyncIterator[tuple[dict, Any]]:
        s = self.settings
        seen: set[str] = set()
        spaces_done: set[str] = set()
        labels = s.on("index_labels")
        for index, cql in enumerate(cql_queries):
            stream = self.api.search(cql, expand=expand_for("any", labels=labels), what="CQL results")
            async for item in self._guarded(f"the results of advanced rule {index} ({cql})", stream):
                kind = item.get("type")
                space_key = (item.get("space") or {}).get("key")
                if space_key and space_key not in spaces_done and s.on("index_spaces"):
                    spaces_done.add(space_key)
                    async for space in self._guarded(f"space {space_key}", self.api.spaces((space_key,))):
                        yield D.space_document(space, self.client.base_url), None
                if kind in _KIND_TOGGLES:
                    if s.on(_KIND_TOGGLES[kind]) and self._first_time(seen, kind, item):
                        yield self._content_pair(item)
                    if kind in ("page", "blogpost"):
                        async for pair in self._children_of(item, seen):
                            yield pair
                elif kind in ("attachment", "comment"):
                    ctype = (item.get("container") or {}).get("type")
                    if s.on(_CHILD_TOGGLES.get((kind, ctype), "")) is False:
                        continue
                    if self._first_time(seen, kind, item):
                        pair = await self._child_pair(item)
                        if pair is not None:
                            yield pair

    @staticmethod
    def _first_time(seen: set[str], kind: str, item: dict) -> bool:
        key = f"{kind}-{item.get('id')}"
        if key in seen:
            return False
        seen.add(key)
        return True

    async def _children_of(self, container: dict, seen: set[str]) -> AsyncIterator[tuple[dict, Any]]:
        s = self.settings
        ctype = container.get("type")
        for kind in ("attachment", "comment"):
            if not s.on(_CHILD_TOGGLES[(kind, ctype)]):
                continue
            stream = self.api.children(
                str(container["id"]), kind, expand=expand_for(kind, labels=s.on("index_labels"))
            )
            async for item in self._guarded(f"{kind}s of {ctype} {container['id']}", stream):
                item.setdefault(
                    "container", {"id": container["id"], "type": ctype, "title": container.get("title")}
                )
                if self._first_time(seen, kind, item):
                    pair = await self._child_pair(item)
                    if pair is not None:
                        yield pair

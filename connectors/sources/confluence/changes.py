"""The incremental change listing: what changed since a cursor, as the full sync would build it.

:class:`ChangeListing` reads a cursor (:mod:`.cursor`) and lists, per content type, the content
whose CQL ``lastmodified`` falls in that type's window. Rules:

1. **Before anything is yielded** the cursor is checked (format, scope, a mark per type) and the
   calling user is read (``/rest/api/user/current``: its id and, on Cloud, its ``timeZone``);
   an unusable cursor, or one written by another account, raises ``FullSyncRequired``. Where
   Confluence names no zone (Data Center) the offset of CQL literals is measured
   (:meth:`ChangeListing._measured_offset`: 3 requests when the cursor's offset still holds).
2. **Whole scope at once**: one CQL listing per content type for every configured space (``space
   in``/``space not in`` clauses, never one listing per space), so an idle incremental costs
   ``1 + ceil(spaces / 250) + types`` requests whatever the number of spaces (the space listing
   is :mod:`.space_changes`'; ``+ 1`` for the exits listing of :mod:`.hierarchy` when the scope
   has clauses). In advanced-rules mode: one listing per
   rule (the rule's CQL, its own ``ORDER BY`` dropped, ANDed with the window) plus one listing of
   changed comments and attachments, whose containers are matched against the rules in batches
   (a child is built as the full sync builds it: through its matched container first).
3. **Windows**: each type's ``[through - OVERLAP, started)``, ``started`` frozen when the run
   began, literals in the user's time zone (:func:`.cursor.window_clause`), oldest change first
   (``lastmodified asc, created asc``). Pages, blog posts, folders (Cloud), comments and
   attachments each have their own clock: a new comment does not bump its page and a new
   attachment version keeps its id, so each is found by its own ``lastmodified``.
4. **Same documents**: every changed item goes through the full sync's own builders
   (``_content_pair``, ``_child_pair``: :mod:`.documents`, the lazy body conversion and download)
   and the full sync's scope checks (:class:`.scope.Scope`: ID filters, date windows, toggles,
   container status). Under a per-space cap the full sync's choice of the first N items of a
   space cannot be judged item by item, so each *changed* space is listed again by the full
   path (at most the cap's worth of items).
5. **Failure**: a listing that fails after its retries raises ``SyncError``; the new cursor
   (:attr:`ChangeListing.new_cursor`) exists only once every listing completed.
6. **Keyset paging**: every window listing is paged by ``lastmodified`` key (:mod:`.keyset`),
   so an item edited during the listing cannot shift another one out of it.
7. **Deletes**: after the windows, the trash diff (:mod:`.trash`, every run) and, when due, the
   id reconciliation (:mod:`.reconcile`) list first — every listing a delete rests on ends
   before the run's first delete — then yield their deletes and add what they must read again
   to :attr:`refresh`; their cursor entries (``trash``, ``reconciled_at``) join the new cursor.
8. **Stages after the windows** (each in its own module, hooked here in a few lines): the
   sub-tree stage (:mod:`.hierarchy`: moves, renames, exits; it compares listed items with
   their stored copies before they are yielded), the deletes of rule 7, the space stage
   (:mod:`.space_changes`: renamed, archived, deleted, new spaces, space documents), then every
   id a stage asked to read again (:func:`.refresh.relist`; under a per-space cap whole spaces,
   :mod:`.capped`).

Known limits (each found by the reconciliation instead, at its period): a page, folder or blog
post moved *without* a new version (the mock's ``new_version: false``; Confluence's behaviour is
unverified: no window lists it; the reconciliation's place check, :mod:`.reconcile` rule 6,
compares listed space and ancestor ids with the stored ones and reads the sub-tree again),
content that became invisible to the account (moved under a parent with read restrictions: its
id is no longer listed), spaces that vanished before the first run that kept a space map. In
rules mode a space document whose space no rule reaches any more is not deleted.
Document-level security is not listed yet.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from typing import Any

from connectors.errors import FullSyncRequired, SyncError
from connectors.source import OP_INDEX
from connectors.sources.confluence import cursor as C
from connectors.sources.confluence import documents as D
from connectors.sources.confluence.api import expand_for
from connectors.sources.confluence.capped import CappedSpaces
from connectors.sources.confluence.client import ConfluenceError
from connectors.sources.confluence.hierarchy import Hierarchy
from connectors.sources.confluence.keyset import Window, window_items
from connectors.sources.confluence.reconcile import Reconciliation
from connectors.sources.confluence.refresh import Refresh, relist
from connectors.sources.confluence.rules import advanced_rules_of, queries, without_order_by
from connectors.sources.confluence.rules_refresh import as_child_listing
from connectors.sources.confluence.scope import CHANGES_ORDER, CHILD_TOGGLES, KIND_TOGGLES, Scope
from connectors.sources.confluence.space_changes import SpaceChanges
from connectors.sources.confluence.trash import TrashDiff
from connectors.utils import parse_utc

logger = logging.getLogger(__name__)

#: Containers checked against the advanced rules per request (``id in (...)``).
CONTAINER_BATCH = 50
_HIERARCHY = ("page", "blogpost", "folder")
_CHILDREN = ("attachment", "comment")


async def _nothing() -> AsyncIterator[tuple[dict, Any]]:
    return
    yield  # pragma: no cover


class ChangeListing:
    """One incremental run over ``source`` (a ``ConfluenceDataSource``); see the module rules."""

    def __init__(self, source, filtering: Any = None):
        self.source = source
        self.settings = source.settings
        self.filtering = filtering
        rules = advanced_rules_of(filtering)
        self.rules: list[str] | None = queries(rules) if rules else None
        self.new_cursor: dict | None = None
        self.refresh = Refresh()  # ids to read again before the run ends (:mod:`.refresh`)
        self.capped: CappedSpaces | None = None
        self.space_keys: tuple[str, ...] | None = None

    # -- the run ---------------------------------------------------------------------------
    async def run(self, raw_cursor: Any) -> AsyncIterator[tuple[dict, Any, str]]:
        """``(doc, lazy, operation)`` of every change since ``raw_cursor`` (module rules)."""
        s = self.settings
        fingerprint = C.ScopeFingerprint.of(s, self.rules, self.filtering)
        kinds = C.content_types(s)
        state = C.parse(raw_cursor, fingerprint, kinds)
        if self.source.index_view is None:
            raise FullSyncRequired("An incremental sync needs a view of the content index; none was given.")
        started = self.source._now()
        user = await self._current_user()
        account = C.account_of(user)
        if state.account and account and state.account != account:
            raise FullSyncRequired(
                "The stored cursor was written by another Confluence account: what it can see may differ."
            )
        zone: Any = C.zone_of(user.get("timeZone"))
        widen, steps = dt.timedelta(0), None
        if zone is None:
            steps = await self._measured_offset(state.zone_steps)
            if steps is not None:
                zone, widen = C.measured_zone(steps), C.MEASURED_ZONE_MARGIN
            else:
                logger.info(
                    "The time zone of CQL dates is unknown: change windows widened by %s each side",
                    C.ANY_ZONE,
                )
        windows = {kind: Window(state.marks[kind], started, zone, widen) for kind in kinds}
        widest = Window(min(state.marks.values()), started, zone, widen) if windows else None
        await self._stages(state, kinds)  # spaces listed; sub-tree and per-space cap stages ready
        if self.rules and windows:
            stream = self._rule_changes(windows, widest)
        elif windows:
            stream = self._scope_changes(windows)
        else:  # only spaces are indexed: the space stage below finds their changes
            stream = _nothing()
        async for doc, lazy in self.hierarchy.watch(stream):
            self.refresh.yielded(doc["_id"])
            yield doc, lazy, OP_INDEX
        # the stages that find changes without a version add the ids they touch to self.refresh
        if windows:
            await self.hierarchy.settle(self._exits_cql(windows, widest))
        trash = TrashDiff(self.source, self.refresh, whole_site=bool(self.rules))  # :mod:`.trash`
        reconciliation = Reconciliation(self, raw_cursor, started)  # :mod:`.reconcile`, when due
        await trash.list(raw_cursor)  # every listing a delete rests on ends before any delete
        await reconciliation.list()
        for stage in (trash, reconciliation):
            async for triple in stage.run():
                yield triple
        async for triple in self._after_windows():
            yield triple
        self.new_cursor = C.build(
            fingerprint, dict.fromkeys(kinds, started), account or state.account, steps, self.spaces.seen
        )
        self.new_cursor.update({**trash.entry(), **reconciliation.entry()})

    async def _stages(self, state: C.Cursor, kinds: tuple[str, ...]) -> None:
        """The space stage (:mod:`.space_changes`, its listing read now), the sub-tree stage
        (:mod:`.hierarchy`) and, under a per-space cap, :mod:`.capped`."""
        s = self.settings
        self.spaces = SpaceChanges(self.source, self.refresh, state.spaces, rules=self.rules)
        await self.spaces.read()
        self.space_keys = self.spaces.keys if s.max_spaces is not None and not self.rules else None
        if s.max_docs_per_space is not None and not self.rules:
            self.capped = CappedSpaces(self.source, self.refresh, Scope(s), self.space_keys)
            self.spaces.capped = self.capped
        born_after = max(state.marks.values()) - C.OVERLAP if state.marks else None
        self.hierarchy = Hierarchy(self.source, self.refresh, kinds=kinds, born_after=born_after)

    async def _after_windows(self) -> AsyncIterator[tuple[dict, Any, str]]:
        """Space changes, then every id another stage asked to read again (:mod:`.refresh`)."""
        async for triple in self.spaces.apply():
            yield triple
        if self.capped is not None:
            async for triple in self.capped.relist_spaces(self.hierarchy.old_spaces.values()):
                yield triple
        stream = relist(
            self.source,
            Scope(self.settings),
            self.refresh,
            rules=self.rules,
            capped=self.capped,
            space_keys=self.space_keys,
        )
        async for triple in stream:
            yield triple
        if self.capped is not None:
            async for triple in self.capped.diff():
                yield triple

    def _exits_cql(self, windows: dict[str, Window], widest: Window) -> str | None:
        """The exits listing of :mod:`.hierarchy` (rule 3) over the types with a window."""
        if self.rules:
            kinds = [k for k in _HIERARCHY if k in windows]
            if not kinds:
                return None
            matched = " or ".join(f"({without_order_by(rule)})" for rule in self.rules)
            return f"type in ({', '.join(kinds)}) and {widest} and not ({matched}) {CHANGES_ORDER}"
        if self.space_keys == ():
            return None
        return Scope(self.settings).exits_cql(tuple(windows), widest, self.space_keys)

    async def _measured_offset(self, known: int | None) -> int | None:
        """The UTC offset (quarter hours) Confluence reads CQL literals in, measured on the most
        recently modified page or blog post (:func:`.cursor.probe_literal`): 2 requests to confirm
        ``known``, else a binary search of at most 7; ``None`` when there is nothing to measure on."""
        latest = None
        stream = self.source.api.search(
            "type in (page, blogpost) order by lastmodified desc",
            expand="version",
            max_items=1,
            what="latest change",
        )
        async for item in self.source._guarded("the latest change (to measure the time zone)", stream):
            latest = item
        when = parse_utc(((latest or {}).get("version") or {}).get("when"))
        if latest is None or when is None:
            return None

        async def holds(steps: int) -> bool:
            cql = f'id = {latest["id"]} and lastmodified >= "{C.probe_literal(when, steps)}"'
            stream = self.source.api.search(cql, expand="version", max_items=1, what="time zone probe")
            async for _ in self.source._guarded("a time zone probe", stream):
                return True
            return False

        lo, hi = C.OFFSET_STEPS[0], C.OFFSET_STEPS[-1]
        if known is not None and await holds(known) and (known == hi or not await holds(known + 1)):
            return known
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if await holds(mid):
                lo = mid
            else:
                hi = mid - 1
        if lo == C.OFFSET_STEPS[0] and not await holds(lo):
            return None
        return lo

    async def _current_user(self) -> dict:
        try:
            return await self.source.api.current_user()
        except ConfluenceError as exc:
            raise SyncError(f"Could not read the current user: {self.source._explain(exc)}") from None

    def _search(self, cql: str, kind: str, what: str, window: Window) -> AsyncIterator[dict]:
        """The items of a change listing ``cql`` (holding ``window``), paged by key (:mod:`.keyset`)."""
        expand = expand_for(kind, labels=self.settings.on("index_labels"))
        return window_items(self.source, cql, window, expand=expand, what=what)

    # -- the configured scope --------------------------------------------------------------
    async def _scope_changes(self, windows: dict[str, Window]) -> AsyncIterator[tuple[dict, Any]]:
        s = self.settings
        scope = Scope(s)
        space_keys = await self._capped_spaces()
        if space_keys == ():
            return
        if s.max_docs_per_space is not None:
            async for pair in self._changed_spaces_again(windows, scope, space_keys):
                yield pair
            return
        seen: set[str] = set()
        for kind in _HIERARCHY:
            if kind not in windows:
                continue
            cql = scope.changes_cql(kind, str(windows[kind]), space_keys)
            async for item in self._search(cql, kind, f"changed {kind}s", windows[kind]):
                if not scope.in_date_window(item):
                    self.hierarchy.dropped(kind, item)  # a candidate exit (edited out of the window)
                elif self.source._first_time(seen, kind, item):
                    yield self.source._content_pair(item)
        allowed: dict[str, set | None] | None = None
        for kind in _CHILDREN:
            if kind not in windows:
                continue
            wanted = scope.wanted_containers(kind)
            cql = scope.changes_cql(kind, str(windows[kind]), space_keys)
            async for item in self._search(cql, kind, f"changed {kind}s", windows[kind]):
                if allowed is None:  # the ID filters' containers, read once and only if needed
                    allowed = await self.source._container_scope(
                        None, {"page", "blogpost"}, scope, space_keys
                    )
                if not self.source._child_in_scope(item, wanted, allowed, scope):
                    self.hierarchy.dropped(kind, item)
                    continue
                if not self.source._first_time(seen, kind, item):
                    continue
                pair = await self.source._child_pair(item)
                if pair is not None:
                    yield pair

    async def _capped_spaces(self) -> tuple[str, ...] | None:
        """The spaces a full sync reads when 'max spaces' caps them (the first N, in the API's
        order, excluded ones skipped: the space stage's listing); ``None`` without a cap (the
        CQL names the scope itself)."""
        return self.space_keys

    async def _changed_spaces_again(
        self, windows: dict[str, Window], scope: Scope, space_keys: tuple[str, ...] | None
    ) -> AsyncIterator[tuple[dict, Any]]:
        """Per-space cap: the spaces with a change in any window, each listed by the full path."""
        changed: dict[str, dict] = {}
        for kind, window in windows.items():
            cql = scope.changes_cql(kind, str(window), space_keys)
            stream = window_items(self.source, cql, window, expand="space,version", what=f"changed {kind}s")
            async for item in stream:
                self.hierarchy.listed(kind, item)  # stored in another space: that one too
                space = item.get("space") or {}
                if space.get("key"):
                    changed.setdefault(space["key"], space)
        for space in changed.values():  # listed again and diffed with the index (:mod:`.capped`)
            async for doc, lazy, _ in self.capped.relist_space(space):
                yield doc, lazy

    # -- advanced rules --------------------------------------------------------------------
    async def _rule_changes(
        self, windows: dict[str, Window], window: Window
    ) -> AsyncIterator[tuple[dict, Any]]:
        """Each rule ANDed with the widest window of the types (one listing per rule), then the
        changed comments and attachments of containers a rule matches (as the full sync lists
        the children of every page and blog post a rule matches)."""
        s = self.settings
        seen: set[str] = set()
        spaces_done: set[str] = set()
        rules = [without_order_by(rule) for rule in self.rules or []]
        direct: dict[str, int] = {}  # comment/attachment id -> the first rule that returns it
        for index, rule in enumerate(rules):
            cql = f"({rule}) and {window} {CHANGES_ORDER}"
            what = f"the changes of advanced rule {index} ({rule})"
            async for item in self._search(cql, "any", what, window):
                kind = item.get("type")
                async for pair in self._space_doc_once(item, spaces_done):
                    yield pair
                if kind in KIND_TOGGLES:
                    if s.on(KIND_TOGGLES[kind]) and self.source._first_time(seen, kind, item):
                        yield self.source._content_pair(item)
                elif kind in _CHILDREN:  # judged with the changed children below (container first)
                    direct.setdefault(f"{kind}-{item.get('id')}", index)
        children = [k for k in _CHILDREN if k in windows]
        if not children:
            return
        batch: list[dict] = []
        cql = f"type in ({', '.join(children)}) and {window} {CHANGES_ORDER}"
        async for item in self._search(cql, "any", "changed comments and attachments", window):
            if f"{item.get('type')}-{item.get('id')}" in seen:
                continue
            batch.append(item)
            if len(batch) >= CONTAINER_BATCH:
                async for pair in self._children_of_matches(batch, rules, seen, spaces_done, direct):
                    yield pair
                batch = []
        if batch:
            async for pair in self._children_of_matches(batch, rules, seen, spaces_done, direct):
                yield pair

    async def _children_of_matches(
        self, batch, rules, seen, spaces_done, direct
    ) -> AsyncIterator[tuple[dict, Any]]:
        """Changed children kept as the full sync keeps them: through a container a rule returns
        (built as its child list builds them), else as a rule's own result (``direct``)."""
        s = self.settings
        ids = sorted(
            {str((i.get("container") or {}).get("id")) for i in batch if (i.get("container") or {}).get("id")}
        )
        matched: dict[str, tuple[int, dict]] = {}
        for index, rule in enumerate(rules if ids else []):
            cql = f"({rule}) and type in (page, blogpost) and id in ({', '.join(ids)})"
            stream = self.source.api.search(cql, expand="space", what="matched containers")
            async for container in self.source._guarded(
                f"the containers matched by advanced rule {index}", stream
            ):
                matched.setdefault(str(container.get("id")), (index, container))
        for item in batch:
            kind, container = item.get("type"), item.get("container") or {}
            toggle = CHILD_TOGGLES.get((kind, container.get("type")), "")
            first = direct.get(f"{kind}-{item.get('id')}")
            via = matched.get(str(container.get("id")))
            if via is not None and (first is None or via[0] <= first):
                if not s.on(toggle):
                    continue
                source_item, built = via[1], as_child_listing(item)  # as the container's child list
            elif first is not None:
                if s.on(toggle) is False:
                    continue
                source_item, built = item, item
            else:
                self.hierarchy.dropped(kind, item)
                continue
            async for pair in self._space_doc_once(source_item, spaces_done):
                yield pair
            if self.source._first_time(seen, kind, item):
                pair = await self.source._child_pair(built)
                if pair is not None:
                    yield pair

    async def _space_doc_once(self, item: dict, spaces_done: set[str]) -> AsyncIterator[tuple[dict, Any]]:
        """The space document of a matched item's space, once per run (the full sync yields it
        for every space a rule reaches)."""
        key = (item.get("space") or {}).get("key")
        if not key or key in spaces_done or not self.settings.on("index_spaces"):
            return
        spaces_done.add(key)
        async for space in self.source._guarded(f"space {key}", self.source.api.spaces((key,))):
            yield D.space_document(space, self.source.client.base_url), None

"""What to read from a space: the CQL per content type, and the exact checks CQL cannot do.

CQL date literals are read in the site's time zone with minute precision, so the CQL date
clauses are widened by a day and every item is then checked exactly against the UTC bounds.
Page (blog post) ID filters select whole subtrees with ``id``/``ancestor`` clauses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from connectors.sources.confluence.api import cql_quote
from connectors.sources.confluence.settings import Settings
from connectors.utils import parse_utc

_MARGIN = dt.timedelta(days=1)
#: toggle name for (content kind, container type)
CHILD_TOGGLES = {
    ("attachment", "page"): "index_page_attachments",
    ("attachment", "blogpost"): "index_blogpost_attachments",
    ("comment", "page"): "index_page_comments",
    ("comment", "blogpost"): "index_blogpost_comments",
}
KIND_TOGGLES = {"page": "index_pages", "blogpost": "index_blogposts", "folder": "index_folders"}
#: The order of an incremental listing: oldest change first, ties by creation time.
CHANGES_ORDER = "order by lastmodified asc, created asc"


def _id_list(ids: tuple[str, ...]) -> str:
    return ", ".join(ids)


@dataclass(frozen=True)
class Scope:
    settings: Settings

    # -- CQL -------------------------------------------------------------------------------
    def cql(self, space_key: str, kind: str) -> str:
        """``type=<kind> and space="KEY"`` plus date and (pages, blog posts) ID clauses."""
        clauses = [f"type = {kind}", f"space = {cql_quote(space_key)}", *self._kind_clauses(kind)]
        return " and ".join(clauses) + " order by created asc"

    def changes_cql(self, kind: str, window: str, space_keys: tuple[str, ...] | None = None) -> str:
        """The incremental listing of ``kind`` over the whole scope: the clauses of :meth:`cql`
        for every configured space at once (``space_keys`` when the spaces were resolved, e.g.
        under a space cap), ANDed with ``window``, oldest change first; the creation time
        (milliseconds) breaks ties, as both are documented sort fields (``id`` is not)."""
        clauses = [f"type = {kind}", *self._space_clauses(space_keys), *self._kind_clauses(kind), window]
        return " and ".join(clauses) + " " + CHANGES_ORDER

    def ids_cql(self, kind: str, raw_ids: list[str], space_keys: tuple[str, ...] | None = None) -> str:
        """The items ``raw_ids`` of ``kind`` that are in the configured scope (spaces, ID filters,
        date clauses): what :mod:`.refresh` reads again; an id not returned is out of scope or gone."""
        clauses = [
            f"type = {kind}",
            f"id in ({_id_list(tuple(raw_ids))})",
            *self._space_clauses(space_keys),
            *self._kind_clauses(kind),
        ]
        return " and ".join(clauses)

    def exits_cql(
        self, kinds: tuple[str, ...], window: str, space_keys: tuple[str, ...] | None = None
    ) -> str | None:
        """The items of ``kinds`` changed in ``window`` that are *not* in the configured scope
        (:mod:`.hierarchy`, rule 3); ``None`` when nothing can be outside it (no clause)."""
        space = self._space_clauses(space_keys)
        dates = self._date_clauses()
        terms = []
        for kind in kinds:
            if kind in ("comment", "attachment"):
                if dates:  # they leave on their own only by their dates (else with their container)
                    outside = "not (" + " and ".join(dates) + ")"
                    terms.append(f"(type = {kind} and {' and '.join([*space, outside])})")
                continue
            clauses = space + self._kind_clauses(kind)
            if clauses:
                terms.append(f"(type = {kind} and not ({' and '.join(clauses)}))")
        if not terms:
            return None
        return f"({' or '.join(terms)}) and {window} {CHANGES_ORDER}"

    def trash_cql(self, kinds: list[str], *, whole_site: bool) -> str:
        """The trash of ``kinds`` in the configured spaces (or the whole site: advanced rules),
        searched with :data:`.api.TRASHED_ONLY`; no ID or date clauses (a trashed item's place
        and dates are not what decided whether it was indexed)."""
        spaces = [] if whole_site else self._space_clauses(None)
        return " and ".join([f"type in ({', '.join(kinds)})", *spaces])

    def listing_cql(self, kind: str, space_keys: tuple[str, ...] | None = None) -> str:
        """Every ``kind`` of the scope at once (the clauses of :meth:`cql` for every configured
        space, or ``space_keys``), oldest first: what the reconciliation lists, ids only."""
        clauses = [f"type = {kind}", *self._space_clauses(space_keys), *self._kind_clauses(kind)]
        return " and ".join(clauses) + " order by created asc"

    def _space_clauses(self, space_keys: tuple[str, ...] | None) -> list[str]:
        """``space in (...)`` for a list of spaces, else ``space not in (<excluded>)`` if any."""
        s = self.settings
        keys = space_keys if space_keys is not None else s.spaces
        if keys:
            kept = [k for k in keys if k not in s.exclude_spaces]
            return [f"space in ({', '.join(cql_quote(k) for k in kept)})"]
        if s.exclude_spaces:
            return [f"space not in ({', '.join(cql_quote(k) for k in sorted(s.exclude_spaces))})"]
        return []

    def _kind_clauses(self, kind: str) -> list[str]:
        s = self.settings
        clauses = []
        if kind == "page":
            clauses += self._subtree_clauses(s.include_page_ids, s.exclude_page_ids)
        elif kind == "blogpost":
            if s.include_blogpost_ids:
                clauses.append(f"id in ({_id_list(s.include_blogpost_ids)})")
            if s.exclude_blogpost_ids:
                clauses.append(f"id not in ({_id_list(s.exclude_blogpost_ids)})")
        return clauses + self._date_clauses()

    @staticmethod
    def _subtree_clauses(include: tuple[str, ...], exclude: tuple[str, ...]) -> list[str]:
        out = []
        if include:
            ids = _id_list(include)
            out.append(f"(id in ({ids}) or ancestor in ({ids}))")
        if exclude:
            ids = _id_list(exclude)
            out.append(f"id not in ({ids}) and ancestor not in ({ids})")
        return out

    def _date_clauses(self) -> list[str]:
        s = self.settings
        out = []
        for field, after, before in (
            ("created", s.created_after, s.created_before),
            ("lastmodified", s.modified_after, s.modified_before),
        ):
            if after:
                out.append(f'{field} >= "{(after - _MARGIN):%Y-%m-%d}"')
            if before:
                out.append(f'{field} < "{(before + _MARGIN + _MARGIN):%Y-%m-%d}"')
        return out

    # -- exact checks ----------------------------------------------------------------------
    def has_date_window(self) -> bool:
        s = self.settings
        return bool(s.created_after or s.created_before or s.modified_after or s.modified_before)

    def in_date_window(self, item: dict) -> bool:
        """Whether a v1 content object's created/modified times are inside the configured window."""
        s = self.settings
        if not self.has_date_window():
            return True
        history = item.get("history") or {}
        created = parse_utc(history.get("createdDate"))
        modified = parse_utc((item.get("version") or {}).get("when")) or created
        for when, after, before in (
            (created, s.created_after, s.created_before),
            (modified, s.modified_after, s.modified_before),
        ):
            if (after or before) and when is None:
                return False
            if after and when < after:
                return False
            if before and when > before:
                return False
        return True

    def wanted_containers(self, kind: str) -> set[str]:
        """The container types whose ``kind`` children (comments, attachments) are switched on."""
        return {
            ctype for (k, ctype), toggle in CHILD_TOGGLES.items() if k == kind and self.settings.on(toggle)
        }

    def tracks_pages(self) -> bool:
        """Page ID filters: comments/attachments must follow the selected pages only."""
        return bool(self.settings.include_page_ids or self.settings.exclude_page_ids)

    def tracks_blogposts(self) -> bool:
        return bool(self.settings.include_blogpost_ids or self.settings.exclude_blogpost_ids)

    def id_scope_cql(
        self, space_key: str | None, kind: str, space_keys: tuple[str, ...] | None = None
    ) -> str:
        """CQL for the ids in scope of the ID filters alone (no dates), to scope children: of
        one space, or (``space_key`` None) of every configured space (or ``space_keys``)."""
        s = self.settings
        if space_key is not None:
            clauses = [f"type = {kind}", f"space = {cql_quote(space_key)}"]
        else:
            clauses = [f"type = {kind}", *self._space_clauses(space_keys)]
        if kind == "page":
            clauses += self._subtree_clauses(s.include_page_ids, s.exclude_page_ids)
        else:
            if s.include_blogpost_ids:
                clauses.append(f"id in ({_id_list(s.include_blogpost_ids)})")
            if s.exclude_blogpost_ids:
                clauses.append(f"id not in ({_id_list(s.exclude_blogpost_ids)})")
        return " and ".join(clauses)

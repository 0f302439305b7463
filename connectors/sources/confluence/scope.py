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


def _id_list(ids: tuple[str, ...]) -> str:
    return ", ".join(ids)


@dataclass(frozen=True)
class Scope:
    settings: Settings

    # -- CQL -------------------------------------------------------------------------------
    def cql(self, space_key: str, kind: str) -> str:
        """``type=<kind> and space="KEY"`` plus date and (pages, blog posts) ID clauses."""
        s = self.settings
        clauses = [f"type = {kind}", f"space = {cql_quote(space_key)}"]
        if kind == "page":
            clauses += self._subtree_clauses(s.include_page_ids, s.exclude_page_ids)
        elif kind == "blogpost":
            if s.include_blogpost_ids:
                clauses.append(f"id in ({_id_list(s.include_blogpost_ids)})")
            if s.exclude_blogpost_ids:
                clauses.append(f"id not in ({_id_list(s.exclude_blogpost_ids)})")
        clauses += self._date_clauses()
        return " and ".join(clauses) + " order by created asc"

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

    def tracks_pages(self) -> bool:
        """Page ID filters: comments/attachments must follow the selected pages only."""
        return bool(self.settings.include_page_ids or self.settings.exclude_page_ids)

    def tracks_blogposts(self) -> bool:
        return bool(self.settings.include_blogpost_ids or self.settings.exclude_blogpost_ids)

    def id_scope_cql(self, space_key: str, kind: str) -> str:
        """CQL for the ids in scope of the ID filters alone (no dates), to scope children."""
        s = self.settings
        clauses = [f"type = {kind}", f"space = {cql_quote(space_key)}"]
        if kind == "page":
            clauses += self._subtree_clauses(s.include_page_ids, s.exclude_page_ids)
        else:
            if s.include_blogpost_ids:
                clauses.append(f"id in ({_id_list(s.include_blogpost_ids)})")
            if s.exclude_blogpost_ids:
                clauses.append(f"id not in ({_id_list(s.exclude_blogpost_ids)})")
        return " and ".join(clauses)

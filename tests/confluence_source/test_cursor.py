"""The incremental cursor: scope fingerprint, parsing, and CQL window literals (time zones, DST)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from connectors.configuration import DataSourceConfiguration
from connectors.errors import FullSyncRequired
from connectors.filtering import Filter
from connectors.sources.confluence import cursor as C
from connectors.sources.confluence.settings import read_settings

BASE = {
    "data_source": "confluence_cloud",
    "confluence_url": "https://example.atlassian.net",
    "account_email": "admin@example.com",
    "api_token": "secret-1",
}

#: every setting that decides which documents a full sync produces, and a value it can take
SCOPE_CHANGES = {
    "confluence_url": "https://other.atlassian.net",
    "account_email": "bob@example.com",
    "spaces": ["ENG"],
    "exclude_spaces": ["HR"],
    "include_page_ids": ["123"],
    "exclude_page_ids": ["456"],
    "include_blogpost_ids": ["789"],
    "exclude_blogpost_ids": ["790"],
    "created_after": "2024-01-01",
    "created_before": "2025-01-01",
    "modified_after": "2024-02-01",
    "modified_before": "2025-02-01",
    "max_num_of_spaces": 3,
    "max_num_of_docs_from_each_space": 10,
    "index_comments_off": None,  # placeholder replaced below by each toggle
    "max_attachment_size_mb": 1,
    "max_body_chars": 1000,
}
#: settings that only decide how fast a sync runs (or which secret it sends)
IRRELEVANT = {
    "concurrent_downloads": 3,
    "retry_count": 7,
    "extraction_timeout_seconds": 5,
    "api_token": "secret-2",
}


def settings(**values):
    config = DataSourceConfiguration({k: {"value": v} for k, v in (BASE | values).items()})
    from connectors.sources.confluence.config import default_configuration

    config.set_defaults(default_configuration())
    s = read_settings(config)
    assert not s.problems, s.problems
    return s


def fp(**values) -> C.ScopeFingerprint:
    return C.ScopeFingerprint.of(settings(**values))


def _scope_changes():
    from connectors.sources.confluence.config import TOGGLES

    out = {k: v for k, v in SCOPE_CHANGES.items() if k != "index_comments_off"}
    for toggle in TOGGLES:
        out[toggle] = not settings().on(toggle)
    out["index_inline_images"] = not settings().index_inline_images
    return out


@pytest.mark.parametrize("key,value", sorted(_scope_changes().items()))
def test_every_scope_setting_changes_the_fingerprint(key, value):
    assert fp(**{key: value}).whole != fp().whole


@pytest.mark.parametrize("key,value", sorted(IRRELEVANT.items()))
def test_speed_settings_and_the_secret_keep_the_fingerprint(key, value):
    assert fp(**{key: value}) == fp()


def test_sync_rules_are_part_of_the_scope():
    s = settings()
    plain = C.ScopeFingerprint.of(s)
    advanced = C.ScopeFingerprint.of(s, ["type = page"])
    rule = {"id": "r1", "order": 0, "policy": "exclude", "field": "title", "rule": "contains", "value": "x"}
    basic = C.ScopeFingerprint.of(s, None, Filter({"rules": [rule]}))
    renamed = C.ScopeFingerprint.of(
        s, None, Filter({"rules": [{**rule, "id": "other", "created_at": "now"}]})
    )
    assert len({plain.whole, advanced.whole, basic.whole}) == 3
    assert basic == renamed  # a rule's id and timestamps do not decide documents


def cursor_for(scope, when=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), kinds=("page", "comment")):
    return C.build(scope, dict.fromkeys(kinds, when), "acc-1")


def test_a_cursor_reads_back():
    scope = fp()
    state = C.parse(cursor_for(scope), scope, ("page", "comment"))
    assert state.marks == {k: dt.datetime(2026, 1, 1, tzinfo=dt.UTC) for k in ("page", "comment")}
    assert state.account == "acc-1"


@pytest.mark.parametrize(
    "raw,reason",
    [
        (None, "no incremental cursor yet"),
        ({}, "no incremental cursor yet"),
        ([1], "not a JSON object"),
        ({"format": "elastic/1"}, "has format 'elastic/1'"),
    ],
)
def test_unusable_cursors_ask_for_a_full_sync(raw, reason):
    with pytest.raises(FullSyncRequired, match=reason):
        C.parse(raw, fp(), ("page",))


def test_a_cursor_of_another_scope_names_what_changed():
    old = cursor_for(fp())
    with pytest.raises(FullSyncRequired, match=r"configuration changed .*spaces to sync") as info:
        C.parse(old, fp(spaces=["ENG"]), ("page",))
    assert "content types" not in str(info.value)


def test_a_cursor_missing_a_type_or_with_a_bad_time_asks_for_a_full_sync():
    scope = fp()
    with pytest.raises(FullSyncRequired, match="no valid time for attachments"):
        C.parse(cursor_for(scope), scope, ("page", "attachment"))
    bad = cursor_for(scope)
    bad["types"]["page"]["through"] = "yesterday"
    with pytest.raises(FullSyncRequired, match="no valid time for pages"):
        C.parse(bad, scope, ("page",))


# -- literals -------------------------------------------------------------------------------------
def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


def readings(literal: str, zone) -> list[dt.datetime]:
    wall = dt.datetime.strptime(literal, C.LITERAL)
    return [wall.replace(tzinfo=zone, fold=f).astimezone(dt.UTC) for f in (0, 1)]


def test_literals_are_written_in_the_users_zone_rounded_outwards():
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    when = utc(2026, 7, 1, 10, 30, 45)
    assert C.lower_literal(when, berlin) == "2026-07-01 12:30"
    assert C.upper_literal(when, berlin) == "2026-07-01 12:31"
    assert C.lower_literal(when, None) == "2026-06-30 20:30"  # unknown zone: 14 h wider
    assert C.upper_literal(when, None) == "2026-07-02 00:31"


@pytest.mark.parametrize(
    "zone_name,when",
    [
        ("Europe/Berlin", utc(2026, 10, 25, 0, 30)),  # 02:30 local happens twice (fall back)
        ("Europe/Berlin", utc(2026, 10, 25, 1, 15)),
        ("Europe/Berlin", utc(2026, 3, 29, 1, 0)),  # 02:00-03:00 local never happens (spring forward)
        ("America/New_York", utc(2026, 11, 1, 5, 30)),
        ("America/New_York", utc(2026, 3, 8, 7, 0)),
        ("Australia/Lord_Howe", utc(2026, 4, 4, 14, 45)),  # a 30-minute DST shift
    ],
)
def test_no_reading_of_a_literal_around_a_dst_change_loses_an_edit(zone_name, when):
    zone = zoneinfo.ZoneInfo(zone_name)
    for offset in range(-90, 91, 5):
        moment = when + dt.timedelta(minutes=offset)
        assert all(r <= moment for r in readings(C.lower_literal(moment, zone), zone)), moment
        assert all(r > moment for r in readings(C.upper_literal(moment, zone), zone)), moment
        # and the window is not widened by more than the DST shift and a minute
        assert moment - min(readings(C.lower_literal(moment, zone), zone)) <= dt.timedelta(hours=2)


def test_zone_names():
    assert C.zone_of("Europe/Berlin") == zoneinfo.ZoneInfo("Europe/Berlin")
    assert C.zone_of("Mars/Olympus") is None
    assert C.zone_of("") is None and C.zone_of(None) is None


def test_window_clause_overlaps_the_mark():
    zone = zoneinfo.ZoneInfo("UTC")
    clause = C.window_clause(utc(2026, 1, 1, 10, 0), utc(2026, 1, 1, 11, 0, 5), zone)
    assert clause == 'lastmodified >= "2026-01-01 09:50" and lastmodified < "2026-01-01 11:01"'


@pytest.mark.parametrize(
    "rule,kept",
    [
        ("type = page order by title", "type = page"),
        (
            'title = "order by me" and type = page ORDER  BY created desc',
            'title = "order by me" and type = page',
        ),
        ("type = page", "type = page"),
        ("space = BORDER", "space = BORDER"),
        ("reorder = 1", "reorder = 1"),
    ],
)
def test_a_rules_own_order_by_is_dropped_before_the_window_is_added(rule, kept):
    from connectors.sources.confluence.changes import without_order_by

    assert without_order_by(rule) == kept

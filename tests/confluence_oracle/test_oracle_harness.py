"""The oracle's own tools, which the incremental campaign, ftest and the benches rely on:
configuration values given by ``--set`` (typed, unknown keys refused by name), the
reconciliation-only cases and their exclusion from a round, scripted mutations, request counts
by kind, and ftest's incremental phase (the mock's expected ids, the skip message)."""

from __future__ import annotations

import aiohttp
import pytest

from connectors.sources.confluence.datasource import ConfluenceDataSource
from fixtures.ftest_checks import MockHandle, expected_doc_ids
from fixtures.ftest_incremental import mock_expected_ids, run_incremental_phase
from fixtures.mock_stats import RequestCounts, RequestMeter
from fixtures.oracle import parse_args, skip_reconciliation_only
from fixtures.oracle_campaign import Campaign, reconciliation_only
from fixtures.oracle_config import ConfigKeyError, fallback_of, parse_settings


def test_set_values_are_typed_and_unknown_keys_refused_by_name():
    assert parse_settings(["retry_count=5", "index_labels=false", "spaces=ENG,OPS"]) == {
        "retry_count": 5,
        "index_labels": False,
        "spaces": "ENG,OPS",
    }
    with pytest.raises(ConfigKeyError, match=r"no configuration key 'retry_cuont' \(known: .*retry_count"):
        parse_settings(["retry_cuont=5"])
    with pytest.raises(ConfigKeyError, match="expected KEY=VALUE"):
        parse_settings(["retry_count"])


def test_the_cli_refuses_an_unknown_key_and_decides_what_to_leave_out(capsys):
    with pytest.raises(SystemExit):
        parse_args(["--set", "no_such_key=1"])
    assert "no configuration key 'no_such_key'" in capsys.readouterr().err
    assert skip_reconciliation_only(parse_args(["--mode", "incremental"])) is True
    assert skip_reconciliation_only(parse_args(["--mode", "full"])) is False
    forced = parse_args(["--mode", "incremental", "--reconciliation-only", "include"])
    assert skip_reconciliation_only(forced) is False


def test_reconciliation_only_cases():
    trashed = {"7"}
    assert reconciliation_only({"op": "remove_comment", "id": "1"}, trashed)
    assert reconciliation_only({"op": "set_labels", "id": "1", "labels": []}, trashed)
    assert reconciliation_only({"op": "add_labels", "id": "1", "labels": ["x"]}, trashed)
    assert reconciliation_only({"op": "remove_attachment", "id": "1", "purge_now": True}, trashed)
    assert not reconciliation_only({"op": "remove_attachment", "id": "1", "purge_now": False}, trashed)
    assert reconciliation_only({"op": "purge", "id": "8"}, trashed)  # trashed this round
    assert not reconciliation_only({"op": "purge", "id": "7"}, trashed)  # a sync saw it trashed
    assert not reconciliation_only({"op": "update", "id": "1"}, trashed)
    assert reconciliation_only({"op": "move", "id": "1", "parent_id": "2", "new_version": False}, trashed)
    assert not reconciliation_only({"op": "move", "id": "1", "parent_id": "2"}, trashed)  # versioned


def test_fallback_is_read_from_the_job_metadata():
    assert fallback_of({"metadata": {"incremental_fallback": "There is no cursor yet."}}) == (
        "There is no cursor yet."
    )
    assert fallback_of({"metadata": {}}) is None and fallback_of({}) is None


async def test_a_round_can_leave_out_what_only_a_reconciliation_catches(confluence_cloud):
    ops = ["remove_comment", "set_labels", "remove_attachment", "trash", "purge", "update"]
    campaign = Campaign(
        confluence_cloud.url, confluence_cloud.site, seed=3, own_copy=False, ops=ops,
        skip_reconciliation_only=True, log=lambda line: None,
    )  # fmt: skip
    sent: list[dict] = []
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            trashed = {
                c
                for c in confluence_cloud.site.contents
                if confluence_cloud.site.contents[c].status == "trashed"
            }
            done = await campaign.round(session, 15)
            assert not [p for p in done if reconciliation_only(p, trashed)], done
            sent += done
    names = {p["op"] for p in sent}
    assert {"trash", "update", "remove_attachment"} <= names and not names & {"remove_comment", "set_labels"}


async def test_scripted_mutations_are_sent_in_order(confluence_cloud):
    site = confluence_cloud.site
    post = next(c for c in site.content_ids("blogpost") if site.contents[c].status == "current")
    campaign = Campaign(confluence_cloud.url, site, seed=1, own_copy=False, log=lambda line: None)
    async with aiohttp.ClientSession() as session:
        done = await campaign.send(session, [{"op": "trash", "id": post}, {"op": "purge", "id": post}])
    assert [p["op"] for p in done] == ["trash", "purge"] and "when" in done[0]
    assert post not in site.contents and campaign.applied == {"trash": 1, "purge": 1}


def test_request_counts_between_two_reads():
    before = {"total": 3, "endpoints": {"GET /a": 3}, "kinds": {"change_listing": 1, "other": 2}}
    after = {
        "total": 10,
        "endpoints": {"GET /a": 3, "GET /b": 7},
        "kinds": {"change_listing": 6, "other": 2, "download": 2},
    }
    counts = RequestCounts.between(before, after)
    assert counts.total == 7 and counts.endpoints == {"GET /b": 7}
    assert counts.kinds == {"change_listing": 5, "download": 2, "other": 0}
    assert counts.summary() == "7 requests (change_listing 5, download 2)"


async def test_the_meter_counts_the_connector_requests_not_the_admin_api(confluence_cloud):
    headers = confluence_cloud.auth_headers("admin")
    async with RequestMeter(confluence_cloud.url) as meter, aiohttp.ClientSession(headers=headers) as http:
        for _ in range(2):
            async with http.get(confluence_cloud.url + "/wiki/rest/api/space", params={"limit": 1}) as resp:
                assert resp.status == 200
        async with http.get(confluence_cloud.url + "/__admin/expected") as resp:
            assert resp.status == 200
    assert meter.counts.total == 2
    assert meter.counts.kinds["other_listing"] == 2 and sum(meter.counts.kinds.values()) == 2


async def test_ftest_reads_the_mock_expected_ids_as_document_ids(confluence_dc):
    handle = MockHandle(url=confluence_dc.url, site=confluence_dc.site)
    served = await mock_expected_ids(handle)
    assert served == expected_doc_ids(handle) and served["space"] and served["comment"]


async def test_the_ftest_incremental_phase_says_why_it_is_skipped(capsys, monkeypatch):
    monkeypatch.setattr(ConfluenceDataSource, "incremental_sync_enabled", False)
    assert await run_incremental_phase(None, None, None, None, None) is None
    assert "incremental phase skipped: ConfluenceDataSource.incremental_sync_enabled is False" in (
        capsys.readouterr().out
    )

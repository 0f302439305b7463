"""The oracle campaign at small size (issue 13, "Proof: an oracle, not a hope"), mode full today:
after seeded rounds of every mutation the mock has, connector A's index (re-synced in full:
skip unchanged, delete stale) must equal a fresh full sync into B, field by field — except the
known stale-metadata defect, pinned by a strict xfail below so its fix cannot go unnoticed."""

from __future__ import annotations

import pytest

from connectors.sources.confluence.datasource import ConfluenceDataSource
from fixtures.oracle import INDEX_A, run_campaign
from fixtures.oracle_campaign import GENERATORS
from fixtures.oracle_compare import read_index

ROUNDS, BATCH, SEED = 2, 24, 12
#: ops a 48-mutation campaign must have applied (the others may lack a target, e.g. purge)
CORE_OPS = {"update", "trash", "move_within", "move_across", "add_attachment", "add_comment", "create_page"}


INCREMENTAL = pytest.param(
    "incremental",
    marks=pytest.mark.skipif(
        not ConfluenceDataSource.incremental_sync_enabled,
        reason="incremental_sync_enabled is False on main until this oracle proves it (issue 13 slice 1)",
    ),
)


@pytest.mark.parametrize("mode", ["full", INCREMENTAL])
@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
async def test_resync_equals_a_fresh_full_sync(oracle_stack, es_client, flavor, mode):
    """Mode full: the known defect is tolerated (pinned below); mode incremental: nothing is."""
    mock, driver = await oracle_stack(flavor)
    lines: list[str] = []
    result = await run_campaign(
        es_client, driver, mock.url, mock.site, rounds=ROUNDS, seed=SEED, batch=BATCH, mode=mode,
        own_copy=False, stop_at_first=False, log=lines.append,
    )  # fmt: skip
    report = "\n".join(lines)
    assert len(result.rounds) == ROUNDS, report
    assert all(r.mutations == BATCH for r in result.rounds), report
    assert CORE_OPS <= set(result.applied), (result.applied, report)
    assert not result.rejected, (result.rejected, report)
    assert set(result.unsupported) <= set(GENERATORS) - CORE_OPS, result.unsupported
    for done in result.rounds:
        failing = done.comparison.total if mode == "incremental" else done.comparison.unknown_total
        assert failing == 0, done.comparison.report(unknown_only=mode == "full")
        assert done.comparison.docs_a == done.comparison.docs_b == done.job_b["indexed_document_count"]
        assert done.job_a["job_type"] == mode and done.job_b["deleted_document_count"] == 0


async def test_the_harness_catches_a_corrupted_document_in_a(oracle_stack, es_client):
    """A document of A changed behind the sync's back is reported with its id, field and values."""
    mock, driver = await oracle_stack("cloud")
    victim = {}

    async def corrupt(es, number):
        docs = await read_index(es, INDEX_A)
        victim["id"] = doc_id = sorted(i for i in docs if i.startswith("page-"))[0]
        victim["title"] = docs[doc_id]["title"]
        await es.update(index=INDEX_A, id=doc_id, doc={"title": "planted by the test"}, refresh=True)

    lines: list[str] = []
    result = await run_campaign(
        es_client, driver, mock.url, mock.site, rounds=1, seed=SEED, batch=1, own_copy=False,
        after_sync_a=corrupt, log=lines.append, ops=["create_blogpost"],
    )  # fmt: skip
    comparison = result.rounds[0].comparison
    planted = [d for d in comparison.unknown if d.doc_id == victim["id"]]
    assert [(d.field, d.a, d.b) for d in planted] == [("title", "planted by the test", victim["title"])]
    assert comparison.unknown_total == 1 and result.unknown == 1
    assert f'{victim["id"]} title: A="planted by the test"' in "\n".join(lines)


class StaleMetadata(AssertionError):
    """Only the known defect: fields changed without a version, left stale by skip-unchanged."""


@pytest.mark.xfail(
    raises=StaleMetadata,
    strict=True,
    reason="TODO(issue 13, stale unversioned metadata): a full re-sync skips documents whose own "
    "_timestamp did not change, so moved/re-parented sub-trees keep old ancestors/parent_id, a "
    "renamed container's comments and attachments keep old container_title/url, and labels set "
    "without a version stay old (docs/confluence.md, 'The oracle'). Remove this mark with the fix.",
)
@pytest.mark.parametrize("flavor", ["cloud"])
async def test_known_defect_full_resync_leaves_unversioned_metadata_stale(oracle_stack, es_client, flavor):
    mock, driver = await oracle_stack(flavor)
    result = await run_campaign(
        es_client, driver, mock.url, mock.site, rounds=1, seed=SEED, batch=12, own_copy=False,
        ops=["move_within", "update", "set_labels"], log=lambda line: None,
    )  # fmt: skip
    comparison = result.rounds[0].comparison
    assert comparison.unknown_total == 0, comparison.report(unknown_only=True)
    if comparison.total:
        raise StaleMetadata(comparison.report())

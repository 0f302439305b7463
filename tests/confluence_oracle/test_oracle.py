"""The oracle campaign at small size (issue 13, "Proof: an oracle, not a hope"), mode full (the
incremental variants, with and without reconciliation, are in ``test_oracle_incremental``):
after seeded rounds of every mutation the mock has, connector A's index (re-synced in full:
skip unchanged, delete stale) must equal a fresh full sync into B, field by field, with no
difference tolerated — also for what Confluence changes without a new version (moves, renames,
labels: the sink's skip-unchanged compares the source's unversioned fields)."""

from __future__ import annotations

from collections import Counter

import aiohttp
import pytest

from fixtures.oracle import CONNECTOR_A, INDEX_A, run_campaign
from fixtures.oracle_campaign import GENERATORS
from fixtures.oracle_compare import read_index

ROUNDS, BATCH, SEED = 2, 24, 12
#: ops a 48-mutation campaign must have applied (the others may lack a target, e.g. purge)
CORE_OPS = {"update", "trash", "move_within", "move_across", "add_attachment", "add_comment", "create_page"}


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
async def test_resync_equals_a_fresh_full_sync(oracle_stack, es_client, flavor):
    """No difference."""
    mode = "full"
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
        assert done.comparison.total == 0, done.comparison.report()
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
    planted = [d for d in comparison.differences if d.doc_id == victim["id"]]
    assert [(d.field, d.a, d.b) for d in planted] == [("title", "planted by the test", victim["title"])]
    assert comparison.total == 1 and result.differences == 1
    assert f'{victim["id"]} title: A="planted by the test"' in "\n".join(lines)


#: what Confluence changes without a new version of the items it affects (docs/confluence.md)
UNVERSIONED_OPS = ["move_within", "update", "set_labels", "move_across", "rename_space"]


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
async def test_a_full_resync_writes_what_changed_without_a_version(oracle_stack, es_client, flavor):
    """Moved sub-trees (ancestors, parent_id, space fields), renamed containers (container_title,
    url), labels and a renamed space (space_name, the space's title): zero differences, and
    written as partial updates, not as re-downloads of every affected document."""
    mock, driver = await oracle_stack(flavor)
    result = await run_campaign(
        es_client, driver, mock.url, mock.site, rounds=1, seed=SEED, batch=15, own_copy=False,
        ops=UNVERSIONED_OPS, stop_at_first=False, log=lambda line: None,
    )  # fmt: skip
    moves_without_a_version = {"move_unversioned"}  # counted beside their generator
    assert set(result.applied) - moves_without_a_version == set(UNVERSIONED_OPS), result.applied
    (done,) = result.rounds
    assert done.comparison.total == 0, done.comparison.report()
    assert done.comparison.docs_a == done.comparison.docs_b
    # the re-sync wrote fewer documents than the fresh one (most were skipped or updated in place)
    assert 0 < done.job_a["indexed_document_count"] < done.job_b["indexed_document_count"]
    assert done.job_a["metadata"]["metadata_updated_document_count"] > 0


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
async def test_a_space_rename_is_written_in_place_without_downloading_anything(
    oracle_stack, es_client, flavor
):
    """Every document of a renamed space gets its new ``space_name`` (the space its new title) by a
    partial update: no attachment is downloaded again, no other document is written."""
    mock, driver = await oracle_stack(flavor)
    await driver.sync(CONNECTOR_A, "full")
    docs = await read_index(es_client, INDEX_A)
    attachments = Counter(d["space_key"] for d in docs.values() if d["type"] == "attachment")
    key = attachments.most_common(1)[0][0]
    in_space = sorted(i for i, d in docs.items() if d.get("space_key") == key)
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{mock.url}/__admin/mutate", json={"op": "rename_space", "space_key": key, "name": "Renamed"}
        ) as resp:
            assert resp.status == 200, await resp.text()

        async def downloads():
            async with http.get(f"{mock.url}/__admin/stats") as resp:
                return (await resp.json())["kinds"]["download"]

        before = await downloads()
        job = await driver.sync(CONNECTOR_A, "full")
        assert await downloads() == before and attachments[key] > 0
    assert job["status"] == "completed" and job["indexed_document_count"] == len(in_space)
    assert job["metadata"]["metadata_updated_document_count"] == len(in_space)  # all in place
    after = await read_index(es_client, INDEX_A)
    assert {after[i]["space_name"] for i in in_space} == {"Renamed"}
    assert [after[i]["title"] for i in in_space if after[i]["type"] == "space"] == ["Renamed"]
    assert {
        i: {k: v for k, v in d.items() if k not in ("space_name", "title")} for i, d in after.items()
    } == {
        i: {k: v for k, v in d.items() if k not in ("space_name", "title")} for i, d in docs.items()
    }  # nothing else changed, bodies included

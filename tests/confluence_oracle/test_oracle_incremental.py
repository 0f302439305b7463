"""The oracle campaign for incremental syncs (issue 13, "Proof"), at small size, strict.

Three claims, each against a fresh full sync into B, field by field:

(a) every incremental reconciles (``reconcile_interval_minutes: 0``): after each round of the
    whole campaign — every op the mock has — A equals B, and A's job ran incrementally (not as
    the full-sync fallback) from round 1 on;
(b) the default period (no reconciliation during the campaign): the same, with the ops only a
    reconciliation catches (``oracle_campaign.reconciliation_only``) left out;
(c) the period is real: those ops, applied once, leave differences after an incremental that
    does not reconcile — on exactly the documents they touched — and none after one that does.

Skipped while ``ConfluenceDataSource.incremental_sync_enabled`` is False (on main until this
campaign passes), as the incremental case of ``test_oracle.py`` is.
"""

from __future__ import annotations

import aiohttp
import pytest

from connectors.sources.confluence.datasource import ConfluenceDataSource
from fixtures.oracle import CONNECTOR_A, CONNECTOR_B, INDEX_A, INDEX_B, run_campaign
from fixtures.oracle_campaign import RECONCILIATION_ONLY_OPS, Campaign
from fixtures.oracle_compare import compare_docs, read_index
from fixtures.oracle_config import fallback_of, set_values

pytestmark = pytest.mark.skipif(
    not ConfluenceDataSource.incremental_sync_enabled,
    reason="incremental_sync_enabled is False on main until this oracle proves it (issue 13)",
)

ROUNDS, BATCH = 2, 24
#: ops a 48-mutation campaign must have applied (the others may lack a target, e.g. purge)
CORE_OPS = {"update", "trash", "move_within", "move_across", "add_attachment", "add_comment", "create_page"}
EVERY_RUN = {"reconcile_interval_minutes": 0}


def _check_rounds(result, report: str) -> None:
    assert len(result.rounds) == ROUNDS, report
    assert CORE_OPS <= set(result.applied), (result.applied, report)
    assert not result.rejected, (result.rejected, report)
    for done in result.rounds:
        assert done.job_a["job_type"] == "incremental", report
        assert done.fallback is None, f"round {done.number}: A ran as a full sync: {done.fallback}"
        assert done.comparison.total == 0, done.comparison.report()
        assert done.comparison.docs_a == done.comparison.docs_b == done.job_b["indexed_document_count"]
        assert done.requests_a.kinds.get("change_listing", 0) > 0, done.requests_a.as_dict()


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
async def test_every_incremental_reconciling_equals_a_fresh_full_sync(oracle_stack, es_client, flavor):
    mock, driver = await oracle_stack(flavor)
    for connector_id in (CONNECTOR_A, CONNECTOR_B):
        await set_values(es_client, connector_id, EVERY_RUN)
    lines: list[str] = []
    result = await run_campaign(
        es_client, driver, mock.url, mock.site, rounds=ROUNDS, seed=25, batch=BATCH, mode="incremental",
        own_copy=False, stop_at_first=False, log=lines.append,
    )  # fmt: skip
    report = "\n".join(lines)
    _check_rounds(result, report)
    assert all(r.mutations == BATCH for r in result.rounds), report
    assert RECONCILIATION_ONLY_OPS & set(result.applied), (result.applied, report)
    assert result.applied.get("move_unversioned"), result.applied  # moves without a version too


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
async def test_incrementals_between_reconciliations_equal_a_fresh_full_sync(oracle_stack, es_client, flavor):
    """The default period: no reconciliation runs during the campaign."""
    mock, driver = await oracle_stack(flavor)
    lines: list[str] = []
    result = await run_campaign(
        es_client, driver, mock.url, mock.site, rounds=ROUNDS, seed=25, batch=BATCH, mode="incremental",
        own_copy=False, stop_at_first=False, skip_reconciliation_only=True, log=lines.append,
    )  # fmt: skip
    report = "\n".join(lines)
    _check_rounds(result, report)
    assert not RECONCILIATION_ONLY_OPS & set(result.applied), result.applied


def _targets(docs: dict[str, dict]) -> dict[str, str]:
    """One target per reconciliation-only case, in distinct containers: op -> document id."""
    by_type: dict[str, list[dict]] = {}
    for doc in sorted(docs.values(), key=lambda d: (d["type"], int(d["id"]))):
        by_type.setdefault(doc["type"], []).append(doc)
    post = next(
        d for d in by_type["blogpost"] if any(c.get("container_id") == d["id"] for c in docs.values())
    )
    page = next(d for d in by_type["page"] if d.get("labels") != ["oracle-reconcile"])
    taken = {post["id"], page["id"]}
    replied = {d.get("parent_comment_id") for d in by_type["comment"]}
    comment = next(d for d in by_type["comment"] if d["container_id"] not in taken and d["id"] not in replied)
    taken.add(comment["container_id"])
    attachment = next(d for d in by_type["attachment"] if d["container_id"] not in taken)
    return {
        "remove_comment": f"comment-{comment['id']}",
        "set_labels": f"page-{page['id']}",
        "remove_attachment": f"attachment-{attachment['id']}",
        "trash+purge": f"blogpost-{post['id']}",
    }


async def test_reconciliation_only_changes_wait_for_the_reconciliation(oracle_stack, es_client):
    """Default period: the changes only a reconciliation sees are missed by an incremental
    (so the period is real), then caught by one that reconciles (period 0)."""
    mock, driver = await oracle_stack("cloud")
    first = await driver.sync(CONNECTOR_A, "full")
    assert first["status"] == "completed", first
    docs = await read_index(es_client, INDEX_A)
    targets = _targets(docs)
    ids = {op: doc_id.split("-", 1)[1] for op, doc_id in targets.items()}
    post = ids["trash+purge"]
    # the post's comments and attachments go with it
    touched = set(targets.values()) | {i for i, d in docs.items() if d.get("container_id") == post}
    campaign = Campaign(mock.url, mock.site, seed=23, own_copy=False, log=lambda line: None)
    async with aiohttp.ClientSession() as session:
        applied = await campaign.send(
            session,
            [
                {"op": "remove_comment", "id": ids["remove_comment"]},
                {"op": "set_labels", "id": ids["set_labels"], "labels": ["oracle-reconcile"]},
                {"op": "remove_attachment", "id": ids["remove_attachment"], "purge_now": True},
                {"op": "trash", "id": post},
                {"op": "purge", "id": post},
            ],
        )
    assert len(applied) == 5, campaign.rejected

    async def compare():
        job = await driver.sync(CONNECTOR_A, "incremental")
        assert job["status"] == "completed" and fallback_of(job) is None, job
        await es_client.options(ignore_status=404).indices.delete(index=INDEX_B)
        assert (await driver.sync(CONNECTOR_B, "full"))["status"] == "completed"
        return compare_docs(
            await read_index(es_client, INDEX_A), await read_index(es_client, INDEX_B), limit=500
        )

    missed = await compare()
    differing = {d.doc_id for d in missed.differences}
    for op, doc_id in targets.items():
        assert doc_id in differing, (
            f"{op} on {doc_id} was caught without a reconciliation: then it is not reconciliation-only; "
            f"update oracle_campaign.reconciliation_only and this test\n{missed.report()}"
        )
    assert differing <= touched, missed.report()
    labels = [d for d in missed.differences if d.doc_id == targets["set_labels"]]
    assert [d.base_field for d in labels] == ["labels"], missed.report()

    await set_values(es_client, CONNECTOR_A, EVERY_RUN)
    caught = await compare()
    assert caught.equal, caught.report()

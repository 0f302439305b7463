"""End to end: `connectors run` subprocesses against the Elasticsearch stand-in, test-only source.

connector created through the protocol → configuration filled → configured → sync_now → job
completed with the right counts → second sync skips unchanged documents → removed documents
deleted → cancellation stops a job → two processes never run the same job → kill -9 mid-sync,
restart: the orphaned job is marked error and the next sync converges to exactly the source.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.framework.e2e_support import (
    CONNECTORS,
    JOBS,
    WAIT,
    ServiceProcess,
    all_ended,
    connector_when,
    get_source,
    ids_in,
    job_status,
    until,
    write_config,
)
from tests.framework.fake_source import make_docs, write_fixture

pytestmark = pytest.mark.slow

INDEX = "search-e2e"


async def create_and_configure(client, connector_id, docs_file, index=INDEX):
    """Create through the protocol, wait for the service to fill it, configure like Kibana."""
    await client.connector.put(
        connector_id=connector_id, index_name=index, service_type="fake", name=connector_id
    )

    async def filled():
        doc = await get_source(client, CONNECTORS, connector_id)
        return doc if doc.get("status") == "needs_configuration" else None

    doc = await until(filled, what="default configuration filled")
    assert set(doc["configuration"]) == {"docs_file", "api_token"}
    assert doc["features"]["incremental_sync"]["enabled"] is True
    await client.connector.update_configuration(
        connector_id=connector_id, values={"docs_file": str(docs_file)}
    )

    async def connected():
        doc = await get_source(client, CONNECTORS, connector_id)
        return doc if doc.get("status") == "connected" else None

    await until(connected, what="connector connected")


async def sync_and_wait(client, connector_id, deadline=WAIT):
    job_id = (
        await client.connector.sync_job_post(id=connector_id, job_type="full", trigger_method="on_demand")
    )["id"]
    return job_id, await until(
        lambda: job_status(client, job_id, "completed", "error", "canceled"),
        deadline,
        what=f"job {job_id} done",
    )


async def test_lifecycle(es_standin, es_client, tmp_path):
    docs_file = tmp_path / "docs.json"
    write_fixture(docs_file, make_docs(20))
    config = write_config(tmp_path / "config.yml", es_standin.url, ["c1"])
    service = await ServiceProcess(config, tmp_path / "service.log").start()
    try:
        await create_and_configure(es_client, "c1", docs_file)

        # 1. legacy sync_now flag → one on-demand job, completed with the right counts
        await es_client.update(index=CONNECTORS, id="c1", doc={"sync_now": True})

        async def first_job():
            await es_client.indices.refresh(index=JOBS)
            hits = (await es_client.search(index=JOBS, query={"term": {"connector.id": "c1"}}))["hits"][
                "hits"
            ]
            done = [h for h in hits if h["_source"]["status"] == "completed"]
            return done[0]["_source"] if done else None

        job = await until(first_job, what="first job completed")
        assert job["trigger_method"] == "on_demand" and job["job_type"] == "full"
        assert job["indexed_document_count"] == 20
        assert job["total_document_count"] == 20
        assert (await get_source(es_client, CONNECTORS, "c1"))["sync_now"] is False
        assert await ids_in(es_client, INDEX) == {f"doc-{i}" for i in range(20)}

        # 2. unchanged documents are skipped
        _, job = await sync_and_wait(es_client, "c1")
        assert job["status"] == "completed"
        assert job["indexed_document_count"] == 0
        assert job["total_document_count"] == 20

        # 3. documents removed from the source are deleted, a changed one re-indexed
        docs = make_docs(15)
        docs[0]["_timestamp"] = "2026-05-05T00:00:00Z"
        write_fixture(docs_file, docs)
        _, job = await sync_and_wait(es_client, "c1")
        assert (job["indexed_document_count"], job["deleted_document_count"]) == (1, 5)
        assert await ids_in(es_client, INDEX) == {f"doc-{i}" for i in range(15)}
        connector = await connector_when(
            es_client, "c1", last_sync_status="completed", last_deleted_document_count=5
        )
        assert connector["last_indexed_document_count"] == 1

        # 4. cancellation stops a running job (which would need 3000 × 0.05 s = 150 s to finish)
        write_fixture(docs_file, make_docs(3000, stamp="2026-06-01T00:00:00Z"), delay=0.05)
        job_id = (await es_client.connector.sync_job_post(id="c1", job_type="full"))["id"]
        await until(lambda: job_status(es_client, job_id, "in_progress"), what="job in progress")
        await es_client.connector.sync_job_cancel(connector_sync_job_id=job_id)
        job = await until(lambda: job_status(es_client, job_id, "canceled"), deadline=90, what="job canceled")
        assert job["canceled_at"] and job["completed_at"]
        assert job["indexed_document_count"] < 3000  # stopped, not run to the end
        await connector_when(es_client, "c1", last_sync_status="canceled")

        # 5. SIGTERM: clean exit
        assert await service.terminate() == 0
        assert "Traceback" not in service.text
    finally:
        await service.ensure_stopped()


async def test_two_processes_never_run_the_same_job(es_standin, es_client, tmp_path):
    docs_file = tmp_path / "docs.json"
    write_fixture(docs_file, make_docs(30), delay=0.002)
    config = write_config(tmp_path / "config.yml", es_standin.url, ["c1"], max_concurrent_content_syncs=2)
    first = await ServiceProcess(config, tmp_path / "a.log").start()
    second = await ServiceProcess(config, tmp_path / "b.log").start()
    try:
        await create_and_configure(es_client, "c1", docs_file)
        job_ids = [
            (await es_client.connector.sync_job_post(id="c1", job_type="full"))["id"] for _ in range(6)
        ]

        await until(lambda: all_ended(es_client, job_ids), what="six jobs done")
        assert await first.terminate() == 0 and await second.terminate() == 0
        claims = Counter(re.findall(r"claimed full sync .*job_id=(\S+)", first.text + second.text))
        assert sorted(claims) == sorted(job_ids)
        assert set(claims.values()) == {1}, claims
        for job_id in job_ids:
            assert (await job_status(es_client, job_id, "completed"))["total_document_count"] == 30
    finally:
        await first.ensure_stopped()
        await second.ensure_stopped()


@pytest.mark.parametrize(
    ("claim_record", "threshold", "reason"),
    [
        # the claim says which process of this host ran it: a new service sees it is gone and
        # fails the job at start; the threshold is far beyond the wait, so only that path passes
        pytest.param("kept", 3600, "is no longer running", id="dead-worker-recognised-at-start"),
        # a claim without that record (an older service's) waits for the heartbeat threshold
        pytest.param("removed", 6, "stopped responding", id="unrecorded-claim-waits-for-threshold"),
    ],
)
async def test_kill_9_orphaned_job_marked_error_then_converges(
    es_standin, es_client, tmp_path, claim_record, threshold, reason
):
    docs_file = tmp_path / "docs.json"
    write_fixture(docs_file, make_docs(3000), delay=0.02)  # 60 s of work: stopped long before
    # small bulk requests: the first documents are indexed (and counted) after 1 s, not 500 × 0.02 s
    config = write_config(
        tmp_path / "config.yml", es_standin.url, ["c1"], bulk={"chunk_size": 20}, job_idle_threshold=threshold
    )
    victim = await ServiceProcess(config, tmp_path / "victim.log").start()
    try:
        await create_and_configure(es_client, "c1", docs_file)
        job_id = (await es_client.connector.sync_job_post(id="c1", job_type="full"))["id"]

        async def indexing():
            job = await job_status(es_client, job_id, "in_progress")
            return job if job and job.get("indexed_document_count", 0) > 0 else None

        claimed = await until(indexing, what="job heartbeating with counts")
        await victim.kill9()
    finally:
        await victim.ensure_stopped()
    assert claimed["metadata"]["worker"] == f"{claimed['worker_hostname']}:{victim.proc.pid}"
    assert claimed["metadata"]["worker_process"]["pid"] == victim.proc.pid
    if claim_record == "removed":
        await es_client.update(
            index=JOBS,
            id=job_id,
            script={"source": "ctx._source.metadata.remove('worker_process')"},
            refresh=True,
        )

    # the source changes while nobody runs: some documents gone, some new
    final_docs = make_docs(40) + make_docs(5, prefix="new")
    write_fixture(docs_file, final_docs)
    restarted = await ServiceProcess(config, tmp_path / "restarted.log").start()
    try:
        job = await until(lambda: job_status(es_client, job_id, "error"), what="orphan marked error")
        assert reason in job["error"]
        if claim_record == "kept":
            assert f"{claimed['metadata']['worker']} is no longer running" in job["error"]

        connector = await connector_when(es_client, "c1", last_sync_status="error")
        assert reason in connector["last_sync_error"]
        _, job = await sync_and_wait(es_client, "c1")
        assert job["status"] == "completed"
        assert await ids_in(es_client, INDEX) == {d["_id"] for d in final_docs}
        assert job["total_document_count"] == len(final_docs)
        assert await restarted.terminate() == 0
    finally:
        await restarted.ensure_stopped()


async def test_sigterm_mid_sync_suspends_the_job(es_standin, es_client, tmp_path):
    docs_file = tmp_path / "docs.json"
    write_fixture(docs_file, make_docs(3000), delay=0.02)  # 60 s of work: stopped long before
    config = write_config(tmp_path / "config.yml", es_standin.url, ["c1"])
    service = await ServiceProcess(config, tmp_path / "service.log").start()
    try:
        await create_and_configure(es_client, "c1", docs_file)
        job_id = (await es_client.connector.sync_job_post(id="c1", job_type="full"))["id"]
        await until(lambda: job_status(es_client, job_id, "in_progress"), what="job in progress")
        assert await service.terminate() == 0
        job = await job_status(es_client, job_id, "suspended")
        assert job is not None, "a running job must end suspended on SIGTERM"
        assert (await get_source(es_client, CONNECTORS, "c1"))["last_sync_status"] == "suspended"
        assert "Traceback" not in service.text
    finally:
        await service.ensure_stopped()


async def test_cron_schedule_creates_one_job_per_due_time_across_processes(es_standin, es_client, tmp_path):
    docs_file = tmp_path / "docs.json"
    write_fixture(docs_file, make_docs(3))
    config = write_config(tmp_path / "config.yml", es_standin.url, ["c1"], idling=0.1)
    first = await ServiceProcess(config, tmp_path / "a.log").start()
    second = await ServiceProcess(config, tmp_path / "b.log").start()
    try:
        await create_and_configure(es_client, "c1", docs_file)
        # Quartz, as Kibana writes it: every 2 seconds
        await es_client.connector.update_scheduling(
            connector_id="c1",
            scheduling={
                "full": {"enabled": True, "interval": "*/2 * * * * ?"},
                "incremental": {"enabled": False, "interval": "0 0 0 * * ?"},
                "access_control": {"enabled": False, "interval": "0 0 0 * * ?"},
            },
        )
        pattern = r"created a scheduled full sync due at (\S+)"

        def due_times():
            return re.findall(pattern, first.text) + re.findall(pattern, second.text)

        await until(lambda: len(set(due_times())) >= 3, what="three scheduled due times")
        await es_client.connector.update_scheduling(
            connector_id="c1", scheduling={"full": {"enabled": False, "interval": "*/2 * * * * ?"}}
        )
        assert await first.terminate() == 0 and await second.terminate() == 0
        counts = Counter(due_times())
        assert set(counts.values()) == {1}, counts  # never two jobs for one due time
        for due in counts:  # every due time is a fire time of the Quartz expression
            assert int(due[17:19]) % 2 == 0 and due.endswith(".000Z"), due
        await es_client.indices.refresh(index=JOBS)
        scheduled = (
            await es_client.search(index=JOBS, size=100, query={"term": {"trigger_method": "scheduled"}})
        )["hits"]["hits"]
        assert len(scheduled) == len(counts)
    finally:
        await first.ensure_stopped()
        await second.ensure_stopped()


async def test_cli_connector_create_list_and_one_shot_sync(es_standin, es_client, tmp_path, capsys):
    import asyncio
    import os
    import sys

    from connectors.cli import main
    from connectors.configuration import merge_configuration
    from tests.framework.e2e_support import REPO
    from tests.framework.fake_source import FakeDataSource

    docs_file = tmp_path / "docs.json"
    write_fixture(docs_file, make_docs(5))
    config = write_config(tmp_path / "config.yml", es_standin.url, ["cli1"])

    async def cli(*argv):
        """The command in this process (its own event loop, in a thread): fast."""
        code = await asyncio.to_thread(main, [*argv, "-c", str(config)])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    async def cli_subprocess(*argv):
        """The real ``python -m connectors`` entry point."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "connectors", *argv, "-c", str(config),
            cwd=str(REPO), env=dict(os.environ, PYTHONPATH=str(REPO)),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), WAIT)
        return proc.returncode, out.decode(), err.decode()

    code, out, err = await cli(
        "connector", "create", "--id", "cli1", "--service-type", "fake", "--index-name", "search-cli"
    )
    assert code == 0, err
    assert "created connector cli1" in out and "connector_id: cli1" in out
    doc = await get_source(es_client, CONNECTORS, "cli1")
    assert (doc["service_type"], doc["index_name"], doc["status"]) == ("fake", "search-cli", "created")

    code, out, err = await cli("sync", "--connector-id", "cli1")
    assert code == 1 and "not configured yet" in err and "Traceback" not in err

    schema = merge_configuration(FakeDataSource.get_default_configuration(), {})
    schema["docs_file"]["value"] = str(docs_file)
    await es_client.connector.update_configuration(connector_id="cli1", configuration=schema)
    code, out, err = await cli_subprocess("sync", "--connector-id", "cli1", "--timeout", "100")
    assert code == 0, err
    assert ": completed; indexed_document_count=5" in out
    assert await ids_in(es_client, "search-cli") == {f"doc-{i}" for i in range(5)}

    code, out, err = await cli("connector", "list")
    assert code == 0, err
    row = next(line for line in out.splitlines() if line.startswith("cli1"))
    assert "fake" in row and "search-cli" in row and "completed" in row

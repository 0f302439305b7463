"""End to end: two `connectors run` processes against the Elasticsearch stand-in never run two
content syncs (full or incremental) of one connector at once, though each has slots to spare."""

from __future__ import annotations

import pytest

from tests.framework.e2e_support import ServiceProcess, all_ended, job_status, until, write_config
from tests.framework.fake_source import make_docs, write_fixture
from tests.framework.test_e2e import create_and_configure

pytestmark = pytest.mark.slow


async def test_two_processes_never_run_full_and_incremental_of_one_connector_at_once(
    es_standin, es_client, tmp_path
):
    docs_file, ledger = tmp_path / "docs.json", tmp_path / "ledger.txt"
    changes = [
        {"op": "index", "doc": {"_id": f"n{i}", "_timestamp": "2026-03-01T00:00:00Z"}} for i in range(20)
    ]
    write_fixture(docs_file, make_docs(20), changes=changes, delay=0.02, ledger=str(ledger))
    config = write_config(tmp_path / "config.yml", es_standin.url, ["c1"], max_concurrent_content_syncs=2)
    first = await ServiceProcess(config, tmp_path / "a.log").start()
    second = await ServiceProcess(config, tmp_path / "b.log").start()
    try:
        await create_and_configure(es_client, "c1", docs_file)
        job_ids = [
            (await es_client.connector.sync_job_post(id="c1", job_type=kind))["id"]
            for kind in ("full", "incremental", "full", "incremental")
        ]

        await until(lambda: all_ended(es_client, job_ids), what="four jobs done")
        assert await first.terminate() == 0 and await second.terminate() == 0
        for job_id in job_ids:
            assert await job_status(es_client, job_id, "completed"), job_id
        # every listing ended before the next began, whichever process ran it
        assert ledger.read_text().split() == ["start", "end"] * 4
        # (whether a job had to wait for another process's listing depends on timing; the ledger
        # above is the proof that none overlapped)
    finally:
        await first.ensure_stopped()
        await second.ensure_stopped()

"""--data-dir: data survives a clean restart and a kill -9; torn journal tails are cut off."""

import asyncio
import os
import re
import signal
import socket
import sys
import time

import pytest
from elasticsearch import AsyncElasticsearch

from fixtures.elasticsearch import EsStandin
from fixtures.elasticsearch.journal import JOURNAL, Journal, encode

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


async def test_clean_restart_keeps_everything(tmp_path):
    async with EsStandin(port=0, data_dir=str(tmp_path)) as es, AsyncElasticsearch(es.url) as client:
        await client.indices.create(
            index="keep", mappings={"properties": {"k": {"type": "keyword"}}}, aliases={"keep-alias": {}}
        )
        await client.index(index="keep", id="1", document={"k": "a", "n": 1})
        await client.index(index="keep", id="2", document={"k": "b"})
        await client.delete(index="keep", id="2")
        await client.update(index="keep", id="1", doc={"n": 2})
        await client.ingest.put_pipeline(id="pp", processors=[{"lowercase": {"field": "k"}}])
        uuid = (await client.info())["cluster_uuid"]
    async with EsStandin(port=0, data_dir=str(tmp_path)) as es, AsyncElasticsearch(es.url) as client:
        doc = await client.get(index="keep-alias", id="1")
        assert doc["_source"] == {"k": "a", "n": 2} and doc["_version"] == 2 and doc["_seq_no"] == 3
        assert not await client.exists(index="keep", id="2")
        assert (await client.count(index="keep"))["count"] == 1  # searchable after recovery
        mapping = (await client.indices.get_mapping(index="keep"))["keep"]["mappings"]["properties"]
        assert mapping["k"] == {"type": "keyword"} and mapping["n"] == {"type": "long"}
        assert "pp" in await client.ingest.get_pipeline()
        assert (await client.info())["cluster_uuid"] == uuid
        again = await client.index(index="keep", id="2", document={"k": "c"})
        assert again["_version"] == 3 and again["_seq_no"] == 4  # tombstone and seq_no survived


async def test_torn_and_corrupt_tail_is_cut_off(tmp_path):
    journal = Journal(tmp_path)
    good = encode({"t": "index_meta", "meta": {"name": "t", "uuid": "u1", "settings": {}, "mappings": {}}})
    doc = encode({"t": "doc", "i": "t", "id": "1", "src": {"a": 1}, "v": 1, "s": 0})
    corrupt = bytearray(encode({"t": "doc", "i": "t", "id": "2", "src": {"a": 2}, "v": 1, "s": 1}))
    corrupt[-2] ^= 0xFF
    (tmp_path / JOURNAL).write_bytes(good + doc + bytes(corrupt) + b"\x00\x00")
    records = journal.read()
    assert [r["t"] for r in records] == ["index_meta", "doc"]
    assert journal.torn_bytes == len(corrupt) + 2
    assert (tmp_path / JOURNAL).read_bytes() == good + doc
    async with EsStandin(port=0, data_dir=str(tmp_path)) as es, AsyncElasticsearch(es.url) as client:
        assert (await client.get(index="t", id="1"))["_source"] == {"a": 1}
        assert not await client.exists(index="t", id="2")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _wait_until_up(url: str, proc, deadline: float) -> None:
    async with AsyncElasticsearch(url, request_timeout=2) as client:
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                raise AssertionError(f"stand-in exited early with {proc.returncode}")
            try:
                if await client.ping():
                    return
            except Exception:  # noqa: BLE001 - not listening yet
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("stand-in did not come up in time")


async def _spawn(data_dir, port):
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fixtures.elasticsearch",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await _wait_until_up(f"http://127.0.0.1:{port}", proc, time.monotonic() + 30)
    return proc


@pytest.mark.slow
async def test_kill_9_loses_nothing_acknowledged(tmp_path):
    port = _free_port()
    proc = await _spawn(tmp_path, port)
    url = f"http://127.0.0.1:{port}"
    acknowledged = []
    try:
        async with AsyncElasticsearch(url) as client:
            for batch in range(5):
                ops = []
                for n in range(50):
                    doc_id = f"{batch}-{n}"
                    ops += [
                        {"index": {"_index": "crash", "_id": doc_id}},
                        {"batch": batch, "n": n, "pad": "x" * 200},
                    ]
                r = await client.bulk(operations=ops)
                assert not r["errors"]
                acknowledged += [i["index"]["_id"] for i in r["items"]]
            await client.index(index="crash", id="single", document={"last": True})
            acknowledged.append("single")
            await client.delete(index="crash", id="0-0")
            acknowledged.remove("0-0")
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    proc = await _spawn(tmp_path, port)
    try:
        async with AsyncElasticsearch(url) as client:
            r = await client.search(index="crash", size=1000, source=False, track_total_hits=True)
            found = sorted(h["_id"] for h in r["hits"]["hits"])
            assert found == sorted(acknowledged)
            assert (await client.get(index="crash", id="single"))["_source"] == {"last": True}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0


async def test_deletions_and_metadata_changes_survive_restart(tmp_path):
    async with EsStandin(port=0, data_dir=str(tmp_path)) as es, AsyncElasticsearch(es.url) as client:
        await client.indices.create(index="a", aliases={"al": {}})
        await client.indices.create(index="b")
        await client.index(index="b", id="1", document={"x": 1})
        await client.indices.delete(index="b")
        await client.indices.update_aliases(
            actions=[{"remove": {"index": "a", "alias": "al"}}, {"add": {"index": "a", "alias": "al2"}}]
        )
        await client.indices.put_settings(index="a", settings={"refresh_interval": "-1"})
        await client.ingest.put_pipeline(id="gone", processors=[])
        await client.ingest.delete_pipeline(id="gone")
        # many concurrent writes share fsyncs (group commit) and are all durable
        await asyncio.gather(*(client.index(index="a", id=str(i), document={"i": i}) for i in range(60)))
    async with EsStandin(port=0, data_dir=str(tmp_path)) as es, AsyncElasticsearch(es.url) as client:
        assert not await client.indices.exists(index="b")
        assert list((await client.indices.get_alias(index="a"))["a"]["aliases"]) == ["al2"]
        assert (await client.indices.get_settings(index="a"))["a"]["settings"]["index"][
            "refresh_interval"
        ] == "-1"
        assert "gone" not in await client.ingest.get_pipeline()
        assert (await client.count(index="a"))["count"] == 60
    journal = (tmp_path / JOURNAL).read_bytes()
    assert b'"t":"drop_index"' not in journal  # compacted: only the current state is kept


async def test_unwritable_data_dir_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(NotADirectoryError, match=re.escape(str(blocker / "sub"))):  # names the path
        async with EsStandin(port=0, data_dir=str(blocker / "sub")):
            pass


def test_raw_source_is_spliced_into_the_record_verbatim():
    from fixtures.elasticsearch.journal import decode_all

    raw = '{"title": "caf\u00e9 \\"quoted\\"", "n": [1, 2.5, null]}'.encode()
    framed = encode({"t": "doc", "id": "1"}, {"src": raw})
    records, good = decode_all(framed)
    assert good == len(framed)
    assert records == [{"t": "doc", "id": "1", "src": {"title": 'caf\u00e9 "quoted"', "n": [1, 2.5, None]}}]

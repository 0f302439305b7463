"""Attachment extraction in worker processes: concurrency-safe office parsing, a crashing
worker survived, a per-file time limit, bounded jobs in flight, clean shutdown."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from multiprocessing.connection import wait as wait_for_exit

import pytest

from connectors.extraction.extractor import TextExtractor
from connectors.extraction.file_text import extract_text
from connectors.extraction.worker_pool import ProcessRunner, WorkerCrashed, WorkerTimedOut, default_workers
from fixtures.confluence.attachments import MEDIA_TYPES, attachment_bytes, size_limits
from fixtures.confluence.model import Attachment, Version
from tests.extraction import extract_hooks

WHEN = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def make_attachment(n: int, kind: str) -> Attachment:
    lo, _ = size_limits(kind)
    return Attachment(
        id=str(72000 + n),
        title=f"minutes-{n}.{kind}",
        space_key="ENG",
        created=WHEN,
        created_by="u1",
        version=Version(number=1, when=WHEN, by="u1"),
        container_id="p1",
        media_type=MEDIA_TYPES[kind],
        file_size=lo + 500 + n,
        kind=kind,
        seed=n,
        expected_text=f"token{n:04d}x quarterly minutes number {n}",
    )


@pytest.fixture(scope="module")
def office_files():
    files = []
    for n in range(40):
        att = make_attachment(n, "docx" if n % 2 == 0 else "pptx")
        files.append((att, attachment_bytes(att)))
    return files


async def test_many_concurrent_docx_and_pptx_extractions_are_all_right(office_files):
    extractor = TextExtractor(workers=2, max_jobs=40)
    try:
        texts = await asyncio.gather(
            *(extractor.extract(data, att.title, att.media_type) for att, data in office_files)
        )
    finally:
        extractor.close()
    for (att, data), text in zip(office_files, texts, strict=True):
        assert att.expected_text in text, att.title
        assert text == extract_text(data, att.title, att.media_type)  # identical to in-process
        others = [a.expected_text for a, _ in office_files if a is not att]
        assert not any(other in text for other in others), f"{att.title} got another file's text"
    assert extractor.runner.crashes == 0 and extractor.runner.pool_restarts == 0


async def test_extraction_runs_in_another_process():
    extractor = TextExtractor(workers=2, function=extract_hooks.where)
    try:
        results = await asyncio.gather(*(extractor.extract(b"x", "a.txt", "text/plain") for _ in range(6)))
    finally:
        extractor.close()
    pids = {int(r.split()[0]) for r in results}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


async def test_a_crashing_worker_fails_only_its_own_file_and_is_replaced():
    extractor = TextExtractor(workers=2, max_jobs=8, function=extract_hooks.crash_on_marker)
    good = [(f"note {i} alpha{i}beta".encode(), f"n{i}.txt") for i in range(12)]
    bad = (b"doomed " + extract_hooks.CRASH, "doomed.txt")
    jobs = good[:6] + [bad] + good[6:]
    try:
        results = await asyncio.gather(
            *(extractor.extract(data, name, "text/plain") for data, name in jobs), return_exceptions=True
        )
        # the extractor still works afterwards, in a fresh pool
        after = await extractor.extract(b"after the crash", "z.txt", "text/plain")
    finally:
        extractor.close()
    crashed = results.pop(6)
    assert isinstance(crashed, WorkerCrashed) and "died while reading this file" in str(crashed)
    assert results == [data.decode() for data, _ in good]
    assert after == "after the crash"
    assert extractor.runner.crashes == 1
    assert extractor.runner.pool_restarts == 2  # the shared pool once, then the quarantine pool once


async def test_a_file_over_the_time_limit_fails_and_the_pool_is_recycled():
    extractor = TextExtractor(workers=1, max_jobs=2, timeout=4, function=extract_hooks.hang_on_marker)
    try:
        await extractor.extract(b"warm up", "w.txt", "text/plain")  # worker started: the limit is the file's
        results = await asyncio.gather(
            extractor.extract(b"stuck " + extract_hooks.HANG, "stuck.txt", "text/plain"),
            extractor.extract(b"fine file", "fine.txt", "text/plain"),
            return_exceptions=True,
        )
        after = await extractor.extract(b"still going", "s.txt", "text/plain")
    finally:
        extractor.close()
    assert isinstance(results[0], WorkerTimedOut) and "4 s" in str(results[0])
    assert results[1] == "fine file"
    assert after == "still going"
    assert extractor.runner.timeouts == 1


async def test_jobs_in_flight_are_bounded():
    runner = ProcessRunner(workers=1, max_jobs=3)
    try:
        waiting = [asyncio.create_task(runner.run(extract_text, b"t", "a.txt", None)) for _ in range(10)]
        await asyncio.sleep(0)  # let every task reach the semaphore
        assert runner._jobs._value == 0 and sum(not t.done() for t in waiting) == 10
        assert sorted(await asyncio.gather(*waiting)) == ["t"] * 10
    finally:
        runner.close()


async def test_pool_is_lazy_and_close_stops_the_workers():
    runner = ProcessRunner(workers=2)
    assert not runner.started
    try:
        assert await runner.run(extract_text, b"hello", "a.txt", None) == "hello"
        assert runner.started
        processes = list(runner._main.current._processes.values())
        assert processes and all(p.is_alive() for p in processes)
        # a process's sentinel becomes ready when it exits, whichever thread reaps it; is_alive()
        # can answer True for a moment while the pool's own thread is reaping the same child
        running = [p.sentinel for p in processes]
    finally:
        runner.close()
    assert not runner.started
    while running:
        exited = wait_for_exit(running, timeout=30)
        assert exited, f"{len(running)} worker(s) still running 30 s after close()"
        running = [s for s in running if s not in exited]


async def test_pool_is_recycled_after_a_number_of_files_without_losing_any():
    runner = ProcessRunner(workers=1, max_jobs=4, recycle_after=3)
    try:
        results = await asyncio.gather(
            *(runner.run(extract_hooks.where, b"", "a.txt", None) for _ in range(9))
        )
    finally:
        runner.close()
    pids = [int(r.split()[0]) for r in results]
    assert len(pids) == 9 and len(set(pids)) == 3  # three pools of one worker, three files each
    assert runner._main.generation == 3


@pytest.mark.parametrize("cores, workers", [(1, 1), (2, 1), (3, 2), (4, 3), (5, 4), (64, 4)])
def test_default_worker_count_leaves_a_core_to_the_service(cores, workers):
    assert default_workers(cores) == workers


def test_bad_runner_arguments_are_named():
    with pytest.raises(ValueError, match="workers"):
        ProcessRunner(workers=-1)
    with pytest.raises(ValueError, match="timeout"):
        ProcessRunner(timeout=0)


async def test_a_retired_pool_is_gone_before_its_successor_starts():
    """Old and new workers never run side by side (the memory peak is one pool, not two)."""
    import psutil

    runner = ProcessRunner(workers=1, max_jobs=2, recycle_after=2)
    try:
        first = [await runner.run(extract_hooks.where, b"", "a.txt", None) for _ in range(2)]
        old_pid = int(first[0].split()[0])
        assert int(first[1].split()[0]) == old_pid
        new_pid = int((await runner.run(extract_hooks.where, b"", "a.txt", None)).split()[0])
    finally:
        runner.close()
    assert new_pid != old_pid
    assert not psutil.pid_exists(old_pid)  # exited and reaped before the new pool took the file


async def test_a_worker_loads_only_the_light_modules_of_the_extraction_package():
    """A worker imports the package, its initializer's module and the text module: no source, no
    service module (the Confluence package cost +23 MB per worker when a worker imported it)."""
    runner = ProcessRunner(workers=1)
    try:
        await runner.run(extract_text, b"warm", "a.txt", None)
        loaded = await runner.run(extract_hooks.service_modules)
    finally:
        runner.close()
    assert loaded == [
        "connectors",
        "connectors.extraction",
        "connectors.extraction.file_text",
        "connectors.extraction.worker_lifetime",
    ]


def slow_start(tmp_path, monkeypatch, seconds: float) -> None:
    """Every interpreter started from now on (the pool's workers) sleeps ``seconds`` first: a
    loaded machine, simulated by a ``sitecustomize`` on ``PYTHONPATH``."""
    folder = tmp_path / "slow_start"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(f"import time\n\ntime.sleep({seconds})\n")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    )


def spawned_workers() -> set[int]:
    """Pids of this process's ``spawn``-started children (the resource tracker is not one)."""
    import psutil

    pids = set()
    for child in psutil.Process().children():
        try:
            if "--multiprocessing-fork" in child.cmdline() and child.status() != psutil.STATUS_ZOMBIE:
                pids.add(child.pid)
        except psutil.NoSuchProcess:
            pass
    return pids


async def poll(check, what: str, deadline: float = 30.0):
    end = asyncio.get_running_loop().time() + deadline
    while not (value := check()):
        assert asyncio.get_running_loop().time() < end, f"{what} not reached within {deadline:g} s"
        await asyncio.sleep(0.05)
    return value


async def test_every_worker_starts_before_a_file_so_no_start_up_is_charged_to_a_file(tmp_path, monkeypatch):
    """Two workers whose start-up takes longer than the time limit: two files that must run at
    the same time both finish. Before, only the first worker was awaited and the second one was
    started for the second file, whose time limit then counted that start-up."""
    slow_start(tmp_path, monkeypatch, 4)
    meeting = tmp_path / "meeting"
    meeting.mkdir()
    runner = ProcessRunner(workers=2, timeout=3)
    try:
        pids = await asyncio.gather(
            runner.run(extract_hooks.meet, str(meeting), "first", "second"),
            runner.run(extract_hooks.meet, str(meeting), "second", "first"),
            return_exceptions=True,
        )
        current = runner._main.current
        processes = list(current._processes) if current is not None else []
    finally:
        runner.close()
    assert runner.timeouts == 0, pids
    assert len(set(pids)) == 2 and set(pids) == set(processes)


async def test_a_run_cancelled_while_its_pool_starts_leaves_no_worker_behind(tmp_path, monkeypatch):
    before = spawned_workers()
    slow_start(tmp_path, monkeypatch, 60)
    runner = ProcessRunner(workers=2)
    job = asyncio.create_task(runner.run(int))
    try:
        starting = await poll(lambda: spawned_workers() - before, "a worker starting")
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        await poll(lambda: not (spawned_workers() & starting), "the starting workers gone")
    finally:
        runner.close()
    assert not runner.started


CONSOLE_SCRIPT = """\
import sys
from {module} import main  # the generated `connectors` script's whole top level

if __name__ == "__main__":
    import asyncio, json
    from connectors.extraction.worker_pool import ProcessRunner
    from tests.extraction import extract_hooks

    async def loaded():
        runner = ProcessRunner(workers=1)
        try:
            return await runner.run(extract_hooks.service_modules)
        finally:
            runner.close()

    print(json.dumps(asyncio.run(loaded())))
"""


def test_a_worker_of_the_console_script_loads_no_cli_module(tmp_path):
    """Spawn re-imports the parent's main script in each worker: started as the ``connectors``
    console script (setup.py's entry point), a worker must still load only the light modules."""
    import json
    import re
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    entry = re.search(r'"connectors = ([\w.]+):main"', (root / "setup.py").read_text())
    assert entry is not None, "setup.py names no `connectors` console script"
    script = tmp_path / "connectors"
    script.write_text(CONSOLE_SCRIPT.format(module=entry.group(1)))
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert [name for name in loaded if not name.startswith("connectors.extraction")] == [
        "connectors",
        "connectors.console",
    ]

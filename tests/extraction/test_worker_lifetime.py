"""Extraction workers die with their service, whatever kills it (``kill -9`` included), and so
does the multiprocessing resource tracker: nothing is left re-parented to PID 1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parents[2]
DEADLINE = 60.0  # seconds: generous for a loaded machine; a healthy run takes well under one


def poll(check, deadline: float = DEADLINE, what: str = "condition"):
    """``check()``'s first truthy value, polled every 50 ms, or fail at the deadline."""
    end = time.monotonic() + deadline
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"{what} not reached within {deadline:g} s")
        time.sleep(0.05)


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    out = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                out.append(process)
        except psutil.NoSuchProcess:
            pass
    return out


def start_service(*args: str) -> tuple[subprocess.Popen, dict]:
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.extraction.worker_service", *args],
        cwd=str(REPO),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # the resource tracker reports the killed service's semaphores
        text=True,
    )
    line = proc.stdout.readline()  # blocks until the worker runs its endless job (or the script dies)
    assert line, f"the service script exited early with {proc.wait()}"
    return proc, json.loads(line)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param((), id="default"),
        pytest.param(("--pipe-only",), id="parent-watch-only"),
        pytest.param(
            ("--stuck",),
            id="worker-stuck-in-C-kernel-signal",
            marks=pytest.mark.skipif(
                not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's"
            ),
        ),
    ],
)
def test_kill_9_of_the_service_ends_its_worker_and_the_resource_tracker(args):
    proc, pids = start_service(*args)
    try:
        children = psutil.Process(pids["service"]).children(recursive=True)
        names = [" ".join(child.cmdline()) for child in children]
        assert pids["worker"] in {child.pid for child in children}
        assert any("resource_tracker" in name for name in names), names
        os.kill(pids["service"], signal.SIGKILL)
        proc.wait(timeout=DEADLINE)
        poll(lambda: not alive(children), what="the worker and the resource tracker gone")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for child in alive(children if "children" in locals() else []):
            child.kill()  # do not leave the old code's orphans behind

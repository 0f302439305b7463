"""The rule that lets a service fail its dead predecessor's job at once: a claimer is dead only
when it was on this host, boot and pid namespace and no process with its pid and start runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from connectors import worker_liveness
from connectors.worker_liveness import identify, is_dead

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check reads Linux's /proc")

HOST = "svc-host"
DEADLINE = 30.0


def poll(check, what: str):
    end = time.monotonic() + DEADLINE
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"{what} not reached within {DEADLINE:g} s")
        time.sleep(0.02)


def child() -> subprocess.Popen:
    """A process that runs until its stdin closes (or it is killed)."""
    return subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)


@pytest.fixture
def dead_record():
    """The claim record of a process that has exited and been reaped."""
    proc = child()
    record = identify(HOST, proc.pid)
    proc.kill()
    proc.wait()
    return record


def test_a_claim_records_host_pid_boot_namespace_and_start():
    record = identify(HOST, os.getpid())
    assert record["host"] == HOST and record["pid"] == os.getpid()
    with open("/proc/sys/kernel/random/boot_id") as handle:
        assert record["boot_id"] == handle.read().strip()
    assert record["pid_namespace"] == os.readlink("/proc/self/ns/pid")
    assert isinstance(record["start_ticks"], int) and record["start_ticks"] > 0
    assert identify(HOST, os.getpid()) == record  # stable: a start time does not move


def test_a_running_process_is_not_dead():
    assert is_dead(identify(HOST, os.getpid()), HOST) is False
    proc = child()
    try:
        assert is_dead(identify(HOST, proc.pid), HOST) is False
    finally:
        proc.kill()
        proc.wait()


def test_an_exited_process_is_dead(dead_record):
    assert is_dead(dead_record, HOST) is True


def test_a_zombie_is_dead():
    proc = child()
    record = identify(HOST, proc.pid)
    try:
        proc.kill()  # not reaped yet: its pid still exists, in state Z
        poll(lambda: worker_liveness._stat(proc.pid)[0] == "Z", "zombie state")
        assert is_dead(record, HOST) is True
    finally:
        proc.wait()


def test_a_reused_pid_with_another_start_time_is_dead():
    record = identify(HOST, os.getpid())  # our pid is taken, but not by the recorded process
    assert is_dead({**record, "start_ticks": record["start_ticks"] - 1}, HOST) is True
    assert is_dead({**record, "start_ticks": record["start_ticks"] + 1}, HOST) is True


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"host": "other-host"}, id="another host"),
        pytest.param({"boot_id": "00000000-0000-0000-0000-000000000000"}, id="another boot"),
        pytest.param({"pid_namespace": "pid:[1]"}, id="another pid namespace (container)"),
    ],
)
def test_a_dead_pid_elsewhere_is_not_known_dead(dead_record, change):
    assert is_dead({**dead_record, **change}, HOST) is False


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(None, id="no record"),
        pytest.param({}, id="empty"),
        pytest.param("svc-host:123", id="not an object"),
        pytest.param({"pid": 0}, id="pid zero"),
        pytest.param({"pid": "123"}, id="pid as text"),
        pytest.param({"pid": True}, id="pid as bool"),
        pytest.param({"start_ticks": None}, id="no start"),
        pytest.param({"boot_id": ""}, id="empty boot id"),
    ]
    + [pytest.param(field, id=f"missing {field}") for field in worker_liveness.FIELDS],
)
def test_a_missing_or_malformed_record_is_not_known_dead(dead_record, broken):
    if isinstance(broken, str) and broken in worker_liveness.FIELDS:
        record = {key: value for key, value in dead_record.items() if key != broken}
    elif isinstance(broken, dict) and broken:
        record = {**dead_record, **broken}
    else:
        record = broken
    assert is_dead(record, HOST) is False


def test_without_proc_nothing_is_recorded_or_known_dead(dead_record, tmp_path, monkeypatch):
    monkeypatch.setattr(worker_liveness, "PROC", tmp_path / "no-proc")
    assert identify(HOST, os.getpid()) is None
    assert is_dead(dead_record, HOST) is False


def test_a_proc_of_another_pid_namespace_is_not_trusted(dead_record, tmp_path, monkeypatch):
    """A /proc mounted for another pid namespace shows other pids: its "self" is not our pid."""
    proc = tmp_path / "proc"
    (proc / "sys/kernel/random").mkdir(parents=True)
    (proc / "sys/kernel/random/boot_id").write_text(dead_record["boot_id"] + "\n")
    (proc / "4242/ns").mkdir(parents=True)
    (proc / "4242/ns/pid").symlink_to(dead_record["pid_namespace"])
    (proc / "self").symlink_to("4242")
    monkeypatch.setattr(worker_liveness, "PROC", proc)
    assert identify(HOST, os.getpid()) is None
    assert is_dead(dead_record, HOST) is False

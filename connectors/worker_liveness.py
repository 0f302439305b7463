"""Is the service process that claimed a sync job known to be dead? Answered only where sure.

A service killed with ``kill -9`` leaves its job ``in_progress``. Any process fails it once its
heartbeat is older than ``service.job_idle_threshold``; a process that can *see* that the claimer
is gone fails it at once (:class:`~connectors.services.cleanup.JobCleanupService`, at start and
on each pass). To make that possible, a claim records beside ``metadata.worker`` (``host:pid``)
what the claiming process is (``metadata.worker_process``, from :func:`identify`):

* ``host``, ``pid`` — the service's hostname and process id;
* ``boot_id`` — ``/proc/sys/kernel/random/boot_id``, new at every boot (pids repeat across boots);
* ``pid_namespace`` — ``/proc/self/ns/pid`` (``pid:[inode]``): containers on one kernel share the
  boot id and often a hostname, but each numbers its processes itself;
* ``start_ticks`` — when the process started, in clock ticks since boot (``/proc/<pid>/stat``):
  an ended process's pid is reused, its start time never is within one boot. Ticks since boot,
  not a wall-clock time, which moves whenever the clock is set.

**The rule** (:func:`is_dead`): a recorded process is dead only when its host, boot id and pid
namespace all equal ours, our ``/proc`` shows our own pid namespace, and no process with that pid
and that start is running: the kernel knows no such pid (``kill(pid, 0)``, which ``/proc``
mounted with ``hidepid`` cannot fool), or it is a zombie, or a process that started at another
tick holds the pid now. Anything else — another host, boot or namespace, missing or malformed fields, a
system without ``/proc`` — is *not known*: the heartbeat threshold decides, as before.

Reads of ``/proc`` are in-memory (procfs), a few per call; callers on an event loop still batch
them into one thread hop.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

PROC = Path("/proc")
FIELDS = ("host", "pid", "boot_id", "pid_namespace", "start_ticks")
_GONE_STATES = ("Z", "X")  # zombie, dead: the process runs nothing any more


def identify(host: str, pid: int) -> dict | None:
    """``metadata.worker_process`` for the process ``pid`` of this host; ``None`` where a later
    check could not be sure (no ``/proc``, that pid not visible)."""
    machine = _machine()
    stat = _stat(pid)
    if machine is None or stat is None:
        return None
    boot_id, pid_namespace = machine
    return {
        "host": host,
        "pid": pid,
        "boot_id": boot_id,
        "pid_namespace": pid_namespace,
        "start_ticks": stat[1],
    }


def is_dead(recorded: Any, host: str) -> bool:
    """True when ``recorded`` (a ``metadata.worker_process``) names a process of this host, boot
    and pid namespace that is no longer running; False when alive *or not known*."""
    if not isinstance(recorded, dict) or not _well_formed(recorded):
        return False
    machine = _machine()
    if machine is None or (recorded["host"], recorded["boot_id"], recorded["pid_namespace"]) != (
        host,
        *machine,
    ):
        return False
    try:
        os.kill(recorded["pid"], 0)  # signal 0: only asks whether the pid exists
    except ProcessLookupError:
        return True  # no process has that pid
    except PermissionError:
        pass  # it exists, run by another user: its start time tells whether it is ours
    except OSError:
        return False
    stat = _stat(recorded["pid"])
    if stat is None:
        return False  # unreadable, or ended just now: the next pass will know
    state, start_ticks = stat
    return start_ticks != recorded["start_ticks"] or state in _GONE_STATES


def describe(recorded: dict) -> str:
    """``host:pid`` of a recorded process, for messages."""
    return f"{recorded.get('host')}:{recorded.get('pid')}"


def _well_formed(recorded: dict) -> bool:
    if any(key not in recorded for key in FIELDS):
        return False
    texts = (recorded["host"], recorded["boot_id"], recorded["pid_namespace"])
    numbers = (recorded["pid"], recorded["start_ticks"])
    return all(isinstance(value, str) and value for value in texts) and all(
        isinstance(value, int) and not isinstance(value, bool) and value > 0 for value in numbers
    )


def _machine() -> tuple[str, str] | None:
    """(boot id, pid namespace) of this process, or ``None`` when either cannot be read or our
    ``/proc`` is not our pid namespace's (then its pids are not ours)."""
    return _machine_of(str(PROC), os.getpid())


@functools.lru_cache(maxsize=4)
def _machine_of(proc: str, pid: int) -> tuple[str, str] | None:
    if os.name != "posix":  # the checks below (and kill(pid, 0)) mean what they say on POSIX only
        return None
    root = Path(proc)
    try:
        boot_id = (root / "sys/kernel/random/boot_id").read_text().strip()
        pid_namespace = os.readlink(root / "self/ns/pid")
        own = os.readlink(root / "self")
    except OSError:
        return None
    if not boot_id or not pid_namespace or own != str(pid):
        return None
    return boot_id, pid_namespace


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, start ticks) of process ``pid`` from ``/proc/<pid>/stat``; ``None`` if none runs."""
    try:
        text = (PROC / str(int(pid)) / "stat").read_text()
    except (OSError, ValueError):
        return None
    # "pid (comm) state ppid ..." — comm may hold spaces and parentheses: split after the last ")"
    fields = text[text.rfind(")") + 2 :].split()
    try:
        return fields[0], int(fields[19])  # field 3 (state) and field 22 (starttime) of proc(5)
    except (IndexError, ValueError):
        return None

"""Test-only extractor functions for the worker-process tests. They live in an importable
module (not a test file) because a spawned worker process imports them by name."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from connectors.extraction.file_text import extract_text

CRASH = b"@@CRASH-THE-WORKER@@"
HANG = b"@@HANG-THE-WORKER@@"


def crash_on_marker(data: bytes, filename: str, media_type: str | None, max_chars: int | None = None) -> str:
    """Kill the worker process outright (like a SIGSEGV in a parser) when the marker is there."""
    if CRASH in data:
        os._exit(11)
    return extract_text(data, filename, media_type, max_chars)


def hang_on_marker(data: bytes, filename: str, media_type: str | None, max_chars: int | None = None) -> str:
    """Never return for a file with the marker (a pathological file)."""
    if HANG in data:
        threading.Event().wait()
    return extract_text(data, filename, media_type, max_chars)


def where(data: bytes, filename: str, media_type: str | None, max_chars: int | None = None) -> str:
    """The worker's process id and thread id, to show the work is done elsewhere."""
    return f"{os.getpid()} {threading.get_ident()}"


def service_modules(*_args) -> list[str]:
    """The ``connectors`` modules loaded in this worker process."""
    return sorted(name for name in sys.modules if name == "connectors" or name.startswith("connectors."))


def meet(directory: str, me: str, peer: str) -> int:
    """Run until the job named ``peer`` runs too (at the same time, so in another worker): this
    job's marker file is written, then the peer's is awaited (30 s at most). The worker's pid."""
    Path(directory, me).touch()
    deadline = time.monotonic() + 30
    while not Path(directory, peer).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {peer!r} did not run beside job {me!r}")
        time.sleep(0.01)
    return os.getpid()

"""Progress of one sync job: counters, and a periodic progress line while it runs."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class Progress:
    """Counters the runner keeps itself (the sink keeps indexed/deleted/unchanged)."""

    seen: int = 0
    filtered_out: int = 0
    started: float = field(default_factory=time.monotonic)

    def rate(self, now: float | None = None) -> float:
        elapsed = (now or time.monotonic()) - self.started
        return self.seen / elapsed if elapsed > 0 else 0.0


def progress_line(progress: Progress, counts: dict) -> str:
    skipped = progress.filtered_out + int(counts.get("skipped", 0) or 0)
    return (
        f"progress: seen={progress.seen} indexed={counts.get('indexed_document_count', 0)} "
        f"skipped={skipped} deleted={counts.get('deleted_document_count', 0)} "
        f"docs/s={progress.rate():.1f}"
    )


class ProgressReporter:
    """Logs a progress line every ``interval`` seconds until stopped (and once at the end)."""

    def __init__(self, progress: Progress, counts_fn, logger, interval: float):
        self.progress = progress
        self.counts_fn = counts_fn
        self.logger = logger
        self.interval = interval
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self.interval and self.interval > 0:
            self._task = asyncio.create_task(self._loop(), name="sync-progress")

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=self.interval)
            except TimeoutError:
                self.logger.info(progress_line(self.progress, self.counts_fn()))

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None
        self.logger.info(progress_line(self.progress, self.counts_fn()))

"""The async front of text extraction: :class:`TextExtractor`, which a data source holds.

It runs :func:`~connectors.extraction.file_text.extract_text_in_worker` (or another picklable
module-level function with the same signature) off the event loop in worker processes
(:class:`~connectors.extraction.worker_pool.ProcessRunner`), a bounded number of files at a
time. Which files to read and how much of their text to keep are the source's policy: it passes
``max_chars`` per file, and the time limit per file and the worker count when it builds one.
"""

from __future__ import annotations

from collections.abc import Callable

from connectors.extraction.file_text import extract_text_in_worker
from connectors.extraction.worker_pool import DEFAULT_TIMEOUT, ProcessRunner


class TextExtractor:
    """Runs :func:`~.file_text.extract_text_in_worker` (or ``function``, a picklable module-level
    function with the same signature, ``max_chars`` included) in worker processes; see
    :class:`~.worker_pool.ProcessRunner` for the pool size, the bound on jobs in flight, the
    per-file ``timeout`` and crash handling.

    A file that crashes its worker raises :class:`~.worker_pool.WorkerCrashed`, one over the
    time limit :class:`~.worker_pool.WorkerTimedOut`; the caller records either as an extraction
    failure of that one file. :meth:`close` stops the workers.
    """

    def __init__(
        self,
        *,
        workers: int | None = None,
        max_jobs: int | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        function: Callable[..., str] = extract_text_in_worker,
    ):
        self._runner = ProcessRunner(workers=workers, max_jobs=max_jobs, timeout=timeout)
        self._function = function

    @property
    def runner(self) -> ProcessRunner:
        return self._runner

    async def extract(
        self, data: bytes, filename: str, media_type: str | None, max_chars: int | None = None
    ) -> str:
        """The file's text; with ``max_chars``, cut in the worker at ``max_chars + 1`` characters
        (more than ``max_chars``: the text was cut), so a huge text never crosses back whole."""
        if max_chars is None:
            return await self._runner.run(self._function, data, filename, media_type)
        return await self._runner.run(self._function, data, filename, media_type, max_chars)

    def close(self) -> None:
        self._runner.close()

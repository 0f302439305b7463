"""Text of attachment files (PDF, Word, Excel, PowerPoint, HTML, plain text), extracted off the
event loop in worker processes (:mod:`.worker_pool`), a bounded number of jobs at a time.

:func:`extract_text` is synchronous and pure (bytes in, text out);
:class:`TextExtractor` is the async front the data source uses. Never run the office parsers
in threads: python-docx and python-pptx share one module-global lxml parser that is not
thread-safe (concurrent use crashes the interpreter).
"""

from __future__ import annotations

from collections.abc import Callable

# The pure functions live in a light module so that worker processes import only them.
from connectors.file_text import (
    UnsupportedFileType,
    decode_text,
    extract_text,
    extract_text_in_worker,
    kind_of,
)
from connectors.sources.confluence.worker_pool import DEFAULT_TIMEOUT, ProcessRunner

__all__ = [
    "TextExtractor",
    "UnsupportedFileType",
    "decode_text",
    "extract_text",
    "kind_of",
]


class TextExtractor:
    """Runs :func:`extract_text` (or ``function``, a picklable module-level function with the
    same signature, ``max_chars`` included) in worker processes; see :class:`~.worker_pool.ProcessRunner` for the pool
    size, the bound on jobs in flight, the per-file ``timeout`` and crash handling.

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

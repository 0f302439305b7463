"""Text of files (PDF, Word, Excel, PowerPoint, HTML, plain text), extracted in worker processes.

The framework's extraction package; any source uses it. Four modules, each name in one of them
only (this file imports and re-exports nothing):

* :mod:`.file_text` — the pure parsers: bytes in, text out, bounded by the caller's
  ``max_chars``; what a worker process runs;
* :mod:`.worker_lifetime` — what every worker runs first: it dies with its parent;
* :mod:`.worker_pool` — :class:`~.worker_pool.ProcessRunner`, spawned worker processes driven
  from asyncio (crash isolation, a per-file time limit, bounded jobs in flight, recycling);
* :mod:`.extractor` — :class:`~.extractor.TextExtractor`, the async front a data source holds.

Rules:

1. **Light where workers go.** A worker process imports this package, :mod:`.worker_lifetime`
   (its initializer) and :mod:`.file_text` (the function it runs), so these three import only
   the standard library; each parser library is imported when a file of its type arrives.
   Nothing here imports a source or the service's other modules (importing the Confluence
   package in a worker cost +23 MB of RSS each).
2. **Policy stays with the source.** Which files to read, how big, and the time limit per file
   are the caller's settings, passed in (``max_chars``, ``timeout``, ``workers``); this package
   holds no source's configuration.
3. **Never threads.** python-docx and python-pptx share one module-global lxml parser that is
   not thread-safe: the parsers run only in worker processes.
"""

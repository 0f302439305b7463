"""Run CPU-bound parsers in separate worker processes, from asyncio, with crash isolation.

Why processes and not threads: python-docx and python-pptx parse XML with one module-global
lxml parser object, which is not safe to use from two threads at once (two concurrent DOCX
files can corrupt its state and crash the interpreter with SIGSEGV). A worker process owns its
parser; if a parser crashes, only that worker dies.

:class:`ProcessRunner` gives:

* a lazily created pool (``spawn`` start method: an asyncio process with threads is never
  forked), :func:`default_workers` workers by default (one on a 2-core machine), **every one of
  them started when the pool is created** and its start-up awaited before the pool takes a file
  (``concurrent.futures`` would otherwise start a worker on demand, for the file that finds none
  idle, and that file's time limit would count the start-up), the whole pool retired gracefully after
  ``recycle_after`` files — and joined before its successor starts, so old and new workers never
  run side by side — so a leaky parser cannot grow a worker without bound (not
  ``max_tasks_per_child``: on Python 3.11-3.13 it can deadlock the pool, CPython gh-115634);
* a bounded number of jobs in flight (``max_jobs``): callers beyond it wait, so the file bytes
  held in memory stay bounded;
* a per-file time limit: a file that takes longer than ``timeout`` seconds (counted from its
  hand-over to a free, started worker: jobs never queue inside the pool, and all of a new pool's
  workers have started before its first file) fails with
  :class:`WorkerTimedOut` and its pool is killed and replaced (a running parser cannot be
  interrupted any other way);
* crash isolation: when a worker dies (``BrokenProcessPool``), every job that was in that pool
  is retried once, alone, in a separate single-worker pool. A job that kills that worker too is
  the culprit and fails with :class:`WorkerCrashed`; the others succeed. The sync goes on;
* workers that die with the service, whatever kills it (``kill -9`` included): each worker runs
  :func:`.worker_lifetime.die_with_parent` before its first job — it watches the pipe
  its parent alone holds open and, on Linux when the pool is started from the main thread, asks
  the kernel for SIGKILL at its parent's death. The multiprocessing resource tracker then ends
  too (the workers were what kept its pipe open). That module is separate only because workers
  import it: this one (asyncio, the pool's machinery) stays in the service.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from connectors.extraction import worker_lifetime

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60.0
DEFAULT_RECYCLE_AFTER = 1000
#: how long a new pool's workers may take to start (generous: a loaded 2-core machine)
STARTUP_LIMIT_S = 120.0
#: how often the wait for a new pool's workers looks for one that died while starting (seconds)
_START_CHECK_S = 0.25


class WorkerCrashed(RuntimeError):
    """The worker process died while handling this job (parser crash, out of memory, ...)."""


class WorkerTimedOut(RuntimeError):
    """The job took longer than the time limit; its worker was killed."""


def default_workers(cpu_count: int | None = None) -> int:
    """One worker per core beyond the first (the service's own loop needs one), 1 to 4.

    On a 2-core machine that is one worker: extraction keeps it busy a fraction of the sync
    (the listing and the writes are what take time), and each worker costs its own interpreter
    with the parser libraries in memory.
    """
    cores = cpu_count if cpu_count is not None else (os.cpu_count() or 1)
    return max(1, min(4, cores - 1))


def kernel_signal_allowed() -> bool:
    """Whether new workers ask the kernel to kill them at their parent's death (one place, so a
    test can turn it off and see the parent watch alone at work)."""
    return worker_lifetime.kernel_signal_allowed()


def _kill(executor: ProcessPoolExecutor) -> None:
    """Stop a pool now, running jobs included; its pending futures fail with BrokenProcessPool."""
    processes = getattr(executor, "_processes", None) or {}
    for process in list(processes.values()):
        try:
            if process.is_alive():
                process.kill()
        except (OSError, ValueError):  # already reaped or closed
            pass
    executor.shutdown(wait=False)


def _launch(workers: int, context) -> tuple[ProcessPoolExecutor, Any]:
    """A new pool with all its ``workers`` processes started now, and the semaphore each of them
    releases once started (:func:`.worker_lifetime.start_worker`)."""
    ready = context.Semaphore(0)
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=worker_lifetime.start_worker,
        # the workers are started from this thread, here
        initargs=(kernel_signal_allowed(), ready),
    )
    # Every worker now, not one per submit() that finds none idle (CPython's spawn behaviour).
    # Private, but present and unchanged from 3.9 to 3.14: fork-started pools use it.
    executor._launch_processes()
    return executor, ready


async def _started(executor: ProcessPoolExecutor, ready, workers: int) -> ProcessPoolExecutor:
    """``executor`` once each of its ``workers`` has said it started: start-up (an interpreter,
    imports) on a busy machine is not charged to any file's time limit. A pool one of whose
    workers exits while starting, or that does not start within ``STARTUP_LIMIT_S``, is killed
    and reported as a broken pool; a cancelled wait kills it too (nothing is left running)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_LIMIT_S
    started = 0
    try:
        while started < workers:
            if any(not process.is_alive() for process in list(executor._processes.values())):
                raise BrokenProcessPool("a worker exited while starting")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError
            # a blocking wait in a thread, in short slices so a dead worker is seen soon
            if await asyncio.to_thread(ready.acquire, True, min(_START_CHECK_S, remaining)):
                started += 1
    except (TimeoutError, BrokenProcessPool, OSError) as exc:
        _kill(executor)
        raise BrokenProcessPool(f"the extraction workers did not start ({type(exc).__name__})") from None
    except BaseException:  # cancelled: do not leave a half-started pool behind
        _kill(executor)
        raise
    return executor


class _Pool:
    """One lazily created process pool that can be thrown away and replaced."""

    def __init__(self, workers: int, context, recycle_after: int | None):
        self.workers = workers
        self._context = context
        self._recycle_after = recycle_after
        self._executor: ProcessPoolExecutor | None = None
        self._submitted = 0  # jobs given to the current executor
        self.generation = 0
        # one job per worker at a time, so a job's time limit counts its own work, not a queue
        self.slots = asyncio.Semaphore(workers)
        self._lock = asyncio.Lock()

    @property
    def started(self) -> bool:
        return self._executor is not None

    @property
    def current(self) -> ProcessPoolExecutor | None:
        return self._executor

    async def get(self) -> ProcessPoolExecutor:
        """The executor for one more job (a fresh one after ``recycle_after`` jobs).

        A retired pool is joined (in a thread) before its successor starts, so the old and new
        workers never run side by side: memory peaks at ``workers`` processes, not twice that.
        """
        async with self._lock:
            if self._executor is not None and self._recycle_after and self._submitted >= self._recycle_after:
                retired, self._executor = self._executor, None
                await asyncio.to_thread(retired.shutdown, True)  # running jobs finish, workers exit
            if self._executor is None:
                self._executor = await _started(*_launch(self.workers, self._context), self.workers)
                self._submitted = 0
                self.generation += 1
            self._submitted += 1
            return self._executor

    def discard(self, executor: ProcessPoolExecutor) -> None:
        if self._executor is executor:
            self._executor = None
        _kill(executor)

    def close(self) -> None:
        if self._executor is not None:
            executor, self._executor = self._executor, None
            _kill(executor)


class ProcessRunner:
    """``await runner.run(fn, *args)`` runs a picklable module-level ``fn`` in a worker process."""

    def __init__(
        self,
        *,
        workers: int | None = None,
        max_jobs: int | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        recycle_after: int | None = DEFAULT_RECYCLE_AFTER,
        start_method: str = "spawn",
    ):
        workers = workers or default_workers()
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be positive seconds, got {timeout}")
        context = multiprocessing.get_context(start_method)
        self._main = _Pool(workers, context, recycle_after)
        self._quarantine = _Pool(1, context, recycle_after)
        self._quarantine_lock = asyncio.Lock()
        self._jobs = asyncio.Semaphore(max_jobs or 2 * workers)
        self.timeout = timeout
        self.workers = workers
        self.crashes = 0  # jobs that killed their worker
        self.timeouts = 0  # jobs over the time limit
        self.pool_restarts = 0

    @property
    def started(self) -> bool:
        return self._main.started or self._quarantine.started

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        async with self._jobs:
            try:
                return await self._attempt(self._main, fn, args)
            except BrokenProcessPool:
                pass  # this job or one next to it killed a worker: retry it alone to tell which
            async with self._quarantine_lock:
                try:
                    return await self._attempt(self._quarantine, fn, args)
                except BrokenProcessPool:
                    self.crashes += 1
                    raise WorkerCrashed(
                        "the worker process died while reading this file (parser crash or out of memory)"
                    ) from None

    async def _attempt(self, pool: _Pool, fn: Callable[..., Any], args: tuple) -> Any:
        async with pool.slots:
            return await self._attempt_in_slot(pool, fn, args)

    async def _attempt_in_slot(self, pool: _Pool, fn: Callable[..., Any], args: tuple) -> Any:
        executor = await pool.get()
        try:
            future = executor.submit(fn, *args)
        except (BrokenProcessPool, RuntimeError):  # broken or shut down under us: a fresh pool
            self._replace(pool, executor)
            executor = await pool.get()
            future = executor.submit(fn, *args)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout)
        except TimeoutError:
            self.timeouts += 1
            logger.warning("a file took over %g s to read: restarting the extraction workers", self.timeout)
            self._replace(pool, executor)  # a running parser cannot be interrupted: kill its pool
            raise WorkerTimedOut(f"gave up after {self.timeout:g} s (time limit per file)") from None
        except BrokenProcessPool:
            self._replace(pool, executor)
            raise

    def _replace(self, pool: _Pool, executor: ProcessPoolExecutor) -> None:
        if pool.current is executor:
            self.pool_restarts += 1
            logger.warning("an extraction worker died or was stopped; starting a new one")
        pool.discard(executor)

    def close(self) -> None:
        """Stop the workers now (running jobs are abandoned)."""
        self._main.close()
        self._quarantine.close()

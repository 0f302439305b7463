"""A worker process dies with the process that started it, whatever ends that one (``kill -9``
included). Light to import: worker processes import it first (:mod:`connectors.extraction.worker_pool`
passes :func:`start_worker` as its pools' initializer), and it must not pull the service's
modules into them (the standard library only).

:func:`start_worker` sets up the two guards (:func:`die_with_parent`) and then tells the pool the
worker is ready, so the pool can await every worker's start-up before it hands over a file.

Two guards, both set up by :func:`die_with_parent` in the worker before its first job:

1. **The parent's pipe** (every platform): a ``spawn``-started worker holds the read end of a pipe
   whose write end only its parent holds (``multiprocessing.parent_process().sentinel``; a process
   handle on Windows). The kernel closes it when the parent dies, however it dies; a daemon
   thread waiting on it then ends the worker with ``os._exit``. Needed because a pool worker
   waiting for work never notices on its own: it holds the write end of its job queue itself.
2. **The kernel's signal** (Linux, when ``kernel_signal`` is true): ``prctl(PR_SET_PDEATHSIG,
   SIGKILL)``, so a worker stuck in a long C call that holds the GIL (the watch thread could not
   run) is killed all the same. The kernel sends it when the *thread* that started the worker
   ends, so the caller asks for it only when that thread is the main thread, whose end is the
   process's end (:func:`kernel_signal_allowed`).

The multiprocessing resource tracker then ends by itself: it exits when every holder of its pipe
is gone, and the workers were the holders that outlived the service.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import sys
import threading

#: exit status of a worker whose parent is gone
ORPHANED_EXIT = 70
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def kernel_signal_allowed() -> bool:
    """True where workers started from the calling thread may ask the kernel to kill them when it
    ends: Linux, and the main thread (any other thread may end while the process goes on)."""
    return sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread()


def start_worker(kernel_signal: bool = False, ready=None) -> None:
    """Initializer of a pool's worker process: :func:`die_with_parent`, then one ``release()`` of
    ``ready`` (a ``multiprocessing`` semaphore of the pool's, when given): this worker is started."""
    die_with_parent(kernel_signal)
    if ready is not None:
        ready.release()


def die_with_parent(kernel_signal: bool = False) -> None:
    """Initializer of a worker process: from now on the worker ends when its parent does."""
    parent = multiprocessing.parent_process()
    if parent is None:  # not a multiprocessing child: nothing to watch
        return
    if kernel_signal and _ask_kernel_for_sigkill() and os.getppid() != parent.pid:
        os._exit(ORPHANED_EXIT)  # the parent died before the signal was asked for
    threading.Thread(
        target=_exit_when_gone, args=(parent.sentinel,), name="parent-watch", daemon=True
    ).start()


def _exit_when_gone(sentinel) -> None:
    multiprocessing.connection.wait([sentinel])  # ready only once the parent's end is closed
    os._exit(ORPHANED_EXIT)


def _ask_kernel_for_sigkill() -> bool:
    """``prctl(PR_SET_PDEATHSIG, SIGKILL)``; False when it cannot be had (the pipe still guards)."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False

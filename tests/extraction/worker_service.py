"""A stand-in "service" for the worker-lifetime tests: ``python -m tests.extraction.worker_service``.

It starts a :class:`ProcessRunner`, runs one job to learn its worker's pid, hands the worker a
second job that never ends on its own, prints one JSON line (its pid, the worker's pid) and
waits to be killed. ``--pipe-only`` turns off the kernel's parent-death signal, so the worker's
own watch of its parent is what has to end it. ``--stuck`` makes the endless job one C call that
never releases the GIL (a runaway regular expression, like a parser stuck in C): the watch thread
cannot run, so only the kernel's signal can end that worker.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time


async def main(argv: list[str]) -> None:
    # imported here, not at the top: a spawned worker re-imports this module as its __mp_main__,
    # and should load no more than the service's own workers do
    from connectors.extraction import worker_pool

    if "--pipe-only" in argv:
        worker_pool.kernel_signal_allowed = lambda: False
    runner = worker_pool.ProcessRunner(workers=1, timeout=None)
    worker_pid = await runner.run(os.getpid)
    if "--stuck" in argv:
        busy = asyncio.ensure_future(runner.run(re.fullmatch, "(a*)*b", "a" * 64))
    else:
        busy = asyncio.ensure_future(runner.run(time.sleep, 3600))  # a job the worker is running
    print(json.dumps({"service": os.getpid(), "worker": worker_pid}), flush=True)
    await busy


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))

"""A loopback TCP proxy in front of the Elasticsearch stand-in that can fail like a real node.

* ``freeze()`` — what ``kill -STOP`` does to Elasticsearch: connections are still accepted (the
  kernel does that), requests are read but never answered; ``thaw()`` (``kill -CONT``) forwards
  whatever was held and answers again;
* ``reset()`` — what a dying or restarting node does: every open connection is cut, and each new
  one is accepted, its request line recorded (``refused``), then cut;
* ``refuse()`` — what a killed node does: the port is closed (connection refused);
* ``up()`` — back to forwarding (listening again on the same port after ``refuse()``).

Only loopback; the stand-in's own state is untouched, so an outage loses nothing it stored.
"""

from __future__ import annotations

import asyncio
import contextlib


class OutageProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = 0
        self.mode = "up"
        self.refused: list[str] = []  # request lines of the requests cut while in reset mode
        self.forwarded: list[str] = []  # request lines seen while up (best effort, for tests)
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> OutageProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        await self._close_listener()
        self._cut_all()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> OutageProxy:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    # -- failure modes ------------------------------------------------------------------------
    def freeze(self) -> None:
        self.mode = "frozen"
        self._flowing.clear()

    def thaw(self) -> None:
        self.up_sync()

    def reset(self) -> None:
        self.mode = "reset"
        self._cut_all()

    async def refuse(self) -> None:
        self.mode = "refused"
        await self._close_listener()
        self._cut_all()

    async def up(self) -> None:
        if self._server is None:
            await self.start()
        self.up_sync()

    def up_sync(self) -> None:
        self.mode = "up"
        self._flowing.set()

    # -- plumbing -----------------------------------------------------------------------------
    async def _close_listener(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    def _cut_all(self) -> None:
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._open.add(writer)
        if self.mode == "reset":
            with contextlib.suppress(Exception):
                line = await reader.readline()
                self.refused.append(line.decode("latin-1").strip())
            writer.transport.abort()
            self._open.discard(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            self._open.discard(writer)
            return
        self._open.add(up_writer)
        self._spawn(self._pump(reader, up_writer, record=True))
        self._spawn(self._pump(up_reader, writer))

    async def _pump(self, reader, writer, record: bool = False) -> None:
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                await self._flowing.wait()  # frozen: held here, never answered until thawed
                if record and data[:1].isalpha():
                    self.forwarded.append(data.split(b"\r\n", 1)[0].decode("latin-1"))
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._open.discard(writer)
            if self.mode == "up":
                writer.close()
            else:
                writer.transport.abort()

"""A TCP proxy on loopback that adds WAN latency and faults, for tests and benchmarks (netem is not
available on these machines, research/data.md section 5).

Per connection and direction, a reader stamps each chunk with `due = now + delay/2` and a writer sleeps
until then before forwarding: delay without a throughput cap, pipelined data overlaps as on a long link.
The first byte of each new connection waits one more round trip, to model TCP (and TLS) set-up.

Faults, for retry tests: `fail_every=N` answers every Nth request line (counted over all connections)
with HTTP 503 SlowDown and an S3 XML body instead of forwarding it; `reset_every=N` closes every Nth
connection abruptly after the first chunk of its response.

    with LatencyProxy("127.0.0.1", 9000, delay_s=0.05) as proxy:
        endpoint = f"http://127.0.0.1:{proxy.port}"
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time

_REQUEST_LINE = re.compile(rb"(?:^|\r\n)(GET|PUT|POST|HEAD|DELETE|OPTIONS|PATCH) \S+ HTTP/1\.[01]\r\n")
_SLOWDOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate (injected by homeport's LatencyProxy).</Message></Error>"
)


class LatencyProxy:
    def __init__(self, target_host: str, target_port: int, delay_s: float = 0.1, first_byte: bool = True,
                 fail_every: int | None = None, reset_every: int | None = None, host: str = "127.0.0.1"):
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError(f"LatencyProxy binds to loopback only, got host {host!r}")
        self.target = (target_host, target_port)
        self.delay_s, self.first_byte = delay_s, first_byte
        self.fail_every, self.reset_every = fail_every, reset_every
        self.host, self.port = host, 0
        self.connections = self.requests = self.failed = self.resets = 0  # counters, for tests
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._writers: set = set()

    # -- life cycle ---------------------------------------------------------------------------------

    def start(self) -> "LatencyProxy":
        self._thread = threading.Thread(target=self._run, name="latency-proxy", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error:
            raise self._error
        return self

    def stop(self) -> None:
        if self._loop and self._thread:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
        self._loop = self._thread = None

    def __enter__(self) -> "LatencyProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        try:
            self._server = loop.run_until_complete(asyncio.start_server(self._handle, self.host, 0))
            self.port = self._server.sockets[0].getsockname()[1]
        except BaseException as e:  # noqa: BLE001 - handed to start()
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            self._server.close()
            for w in list(self._writers):
                w.transport.abort()
            tasks = asyncio.all_tasks(loop)
            for t in tasks:
                t.cancel()
            # let every cancelled task finish, or asyncio warns "Task was destroyed but it is pending"
            if tasks:
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()

    # -- one connection -----------------------------------------------------------------------------

    async def _handle(self, client_r, client_w) -> None:
        try:
            await self._connection(client_r, client_w)
        except asyncio.CancelledError:  # stop() while a connection was open
            client_w.transport.abort()

    async def _connection(self, client_r, client_w) -> None:
        self.connections += 1
        n = self.connections
        reset = bool(self.reset_every) and n % self.reset_every == 0
        try:
            up_r, up_w = await asyncio.open_connection(*self.target)
        except OSError:
            client_w.transport.abort()
            return
        self._writers.update((client_w, up_w))
        start = time.monotonic() + (self.delay_s if self.first_byte else 0.0)
        done = asyncio.Event()

        def abort_both() -> None:
            self.resets += 1
            client_w.transport.abort()
            up_w.transport.abort()
            done.set()

        tasks = [
            asyncio.ensure_future(self._pipe(client_r, up_w, start, client_w, None)),
            asyncio.ensure_future(self._pipe(up_r, client_w, start, None, abort_both if reset else None)),
        ]
        waiter = asyncio.ensure_future(done.wait())
        await asyncio.wait(tasks + [waiter], return_when=asyncio.FIRST_COMPLETED)
        await asyncio.wait(tasks, timeout=0.5)
        for t in tasks + [waiter]:  # the waiter too, or asyncio warns that a pending task was destroyed
            t.cancel()
        for w in (client_w, up_w):
            self._writers.discard(w)
            w.transport.abort()

    async def _pipe(self, reader, writer, start, reply_to, reset) -> None:
        """Forward reader -> writer, each chunk held until its due time. `reply_to`: the client's writer,
        set on the request direction, where 503s are injected. `reset`: called after the first chunk."""
        half = self.delay_s / 2
        queue: asyncio.Queue = asyncio.Queue()

        async def pump() -> None:
            while True:
                data = await reader.read(65536)
                due = max(time.monotonic(), start) + half
                if data and reply_to is not None and self.fail_every:
                    for _ in _REQUEST_LINE.finditer(data):
                        self.requests += 1
                        if self.requests % self.fail_every == 0:
                            self.failed += 1
                            await queue.put((due, None))  # answer with 503 instead of forwarding
                            return
                await queue.put((due, data))
                if not data:
                    return

        pumper = asyncio.ensure_future(pump())
        try:
            while True:
                due, data = await queue.get()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if data is None:
                    body = _SLOWDOWN
                    reply_to.write(b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n"
                                   b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                    await reply_to.drain()
                    reply_to.close()
                    return
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
                if reset:
                    reset()
                    return
        except (ConnectionError, OSError):
            return
        finally:
            pumper.cancel()


def free_port() -> int:
    """A free TCP port on loopback (for servers the tests start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

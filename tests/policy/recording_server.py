"""A TCP server that records what arrives (connections, bytes): the server side of the fence tests.

It listens on one address of its own (127.0.0.2, 127.0.0.3, this machine's LAN address), so that a connection
can only have come through the name or address under test. It answers HTTP with 200 "ok", or forwards every
connection to `upstream` (a counting proxy in front of moto). `settle()` makes sure that every connection
made before it has been accepted and counted: it connects from 127.0.0.254, which the accept loop sees only
after the connections queued before it.
"""

from __future__ import annotations

import socket
import threading

SYNC_SOURCE = "127.0.0.254"
REPLY = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


class RecordingServer:
    def __init__(self, host: str, upstream: tuple[str, int] | None = None):
        self.host, self.upstream = host, upstream
        self._sock = socket.create_server((host, 0))
        self.port = self._sock.getsockname()[1]
        self.connections = 0
        self.bytes = 0
        self._lock = threading.Lock()
        self._synced = threading.Event()
        threading.Thread(target=self._accept_loop, daemon=True).start()

    @property
    def received(self) -> tuple[int, int]:
        """(connections, bytes) so far."""
        with self._lock:
            return self.connections, self.bytes

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, peer = self._sock.accept()
            except OSError:
                return  # closed
            if peer[0] == SYNC_SOURCE:
                conn.close()
                self._synced.set()
                continue
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._forward if self.upstream else self._answer, args=(conn,),
                             daemon=True).start()

    def _count(self, data: bytes) -> None:
        with self._lock:
            self.bytes += len(data)

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                self._count(chunk)
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                self._count(chunk)
                body += chunk
            conn.sendall(REPLY)

    def _forward(self, conn: socket.socket) -> None:
        with conn, socket.create_connection(self.upstream) as up:
            def pump(src, dst, count):
                try:
                    while chunk := src.recv(65536):
                        if count:
                            self._count(chunk)
                        dst.sendall(chunk)
                except OSError:
                    pass
                finally:
                    try:
                        dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass

            back = threading.Thread(target=pump, args=(up, conn, False), daemon=True)
            back.start()
            pump(conn, up, True)
            back.join(10)

    def settle(self) -> tuple[int, int]:
        """(connections, bytes) once everything sent before this call has been counted. Call it with no fence
        active, or with loopback allowed."""
        self._synced.clear()
        with socket.create_connection((self.host, self.port), timeout=5, source_address=(SYNC_SOURCE, 0)):
            pass
        assert self._synced.wait(5), "the recording server did not see the sync connection"
        return self.received

    def close(self) -> None:
        self._sock.close()


def lan_address() -> str:
    """This machine's own non-loopback IPv4 address (the one a default route would use): a direct-IP
    destination that is neither loopback nor somewhere else."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 9))  # UDP connect sends nothing; it only picks the source address
        address = probe.getsockname()[0]
    finally:
        probe.close()
    assert not address.startswith("127."), "the fence's direct-IP tests need a non-loopback interface"
    return address

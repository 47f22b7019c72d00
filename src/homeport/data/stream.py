"""Read many objects from a far-away store while keeping `in_flight` requests outstanding.

Little's law (research/data.md s2.1): throughput = requests in flight / time per request. At 100 ms
round trip one request at a time cannot feed a GPU; 16-64 at once can. `stream` is the iterator that
does that with a thread pool (boto3 releases the GIL on sockets), bounded memory (at most 2 x `in_flight`
objects or parts held: in_flight being fetched, in_flight done and waiting for a slower one ahead of them
in order) and a clean stop when the consumer stops early.
"""

from __future__ import annotations

import io
import random
import threading
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from homeport.data.store import ObjectInfo, Store, StoreError, Transient

THREAD_PREFIX = "homeport-stream"  # tests look for leftover threads by this name


@dataclass(frozen=True)
class Part:
    """Bytes [start, end) of `key`; `last` marks the object's final part."""

    key: str
    start: int
    end: int | None
    last: bool = True


class Stopped(Exception):
    """Raised inside a worker when the consumer went away; never reaches the caller."""


def resolve(location_or_store) -> Store:
    if isinstance(location_or_store, str):
        from homeport.data.locations import open_store, parse_location

        return open_store(parse_location(location_or_store))
    return location_or_store


def fetch(store: Store, part: Part, *, retries: int = 5, backoff: float = 0.2,
          stop: threading.Event | None = None) -> bytes:
    """One ranged GET, retried on Transient errors with exponential backoff and jitter."""
    for attempt in range(retries + 1):
        try:
            buf = bytearray()
            chunks = store.get(part.key, part.start, part.end)
            try:
                for chunk in chunks:
                    if stop is not None and stop.is_set():  # the consumer left: stop reading mid-object
                        raise Stopped()
                    buf += chunk
            finally:
                getattr(chunks, "close", lambda: None)()  # give the connection back now, not at GC
            return bytes(buf)
        except Transient as exc:
            if attempt == retries:
                raise Transient(f"reading {part.key!r} failed {retries + 1} times", got=str(exc),
                                hint="check the endpoint's health, or lower in_flight if it throttles (503 SlowDown)") from exc
            # full jitter: many workers retrying in step would throttle the store again
            delay = random.uniform(0, min(10.0, backoff * 2 ** attempt))
            if stop is not None and stop.wait(delay):
                raise Stopped() from exc
            if stop is None:
                time.sleep(delay)
        except StoreError as exc:
            if part.key in str(exc):
                raise
            raise type(exc)(f"reading {part.key!r} failed", got=str(exc)) from exc
    raise AssertionError("unreachable")


def window(tasks: Iterable[Callable[[threading.Event], object]], in_flight: int, *, ordered: bool = True,
           buffered: int | None = None) -> Iterator:
    """Run `tasks` on `in_flight` threads and yield their results; closing the generator cancels what
    has not started and stops what is running.

    Ordered: results in task order. A slow head does not idle the other threads: they go on fetching
    while at most `buffered` (default in_flight) finished results wait behind it, so memory holds at most
    in_flight + buffered results. Unordered: as they complete, at most in_flight held.
    """
    if in_flight < 1:
        raise ValueError(f"in_flight must be at least 1, got {in_flight}")
    limit = in_flight + (in_flight if buffered is None else max(0, buffered)) if ordered else in_flight
    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix=THREAD_PREFIX)
    pending: deque[Future] = deque()
    it = iter(tasks)
    exhausted = False
    try:
        while True:
            running = sum(not f.done() for f in pending)
            while not exhausted and running < in_flight and len(pending) < limit:
                task = next(it, None)
                if task is None:
                    exhausted = True
                    break
                pending.append(pool.submit(task, stop))
                running += 1
            if not pending:
                return
            if ordered:
                if pending[0].done() or exhausted or len(pending) >= limit:
                    yield pending.popleft().result()
                else:  # wake on any completion: its thread can take the next task
                    wait([f for f in pending if not f.done()], return_when=FIRST_COMPLETED)
            else:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    pending.remove(fut)
                for fut in done:
                    yield fut.result()
    finally:
        stop.set()
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def _infos(store: Store, keys, prefix: str, in_flight: int, need_size: bool) -> Iterator[ObjectInfo]:
    if keys is None:
        yield from store.list(prefix)
        return
    keys = iter(keys)

    def head(key: str):
        def task(stop):
            info = store.head(key)
            if info is None:
                raise StoreError(f"object {key!r} does not exist", hint="list the location to see its keys")
            return info
        return task

    def plain():
        for k in keys:
            yield k if isinstance(k, ObjectInfo) else ObjectInfo(key=k, size=-1)

    if not need_size:
        yield from plain()
        return
    # sizes are needed to split into parts: HEAD the unknown ones, in flight too (a HEAD is a round trip)
    yield from window(((lambda s, i=i: i) if i.size >= 0 else head(i.key) for i in plain()), in_flight)


def parts(infos: Iterable[ObjectInfo], chunk: int | None) -> Iterator[Part]:
    for info in infos:
        if not chunk or info.size < 0 or info.size <= chunk:
            yield Part(info.key, 0, None)
            continue
        for start in range(0, info.size, chunk):
            end = min(start + chunk, info.size)
            yield Part(info.key, start, end, last=end == info.size)


def stream_parts(location_or_store, keys=None, *, prefix: str = "", in_flight: int = 16, chunk: int | None = None,
                 ordered: bool = True, retries: int = 5) -> Iterator[tuple[Part, bytes]]:
    """(part, bytes) for every part of every object; a large object never has to fit in memory."""
    store = resolve(location_or_store)
    infos = _infos(store, keys, prefix, in_flight, need_size=bool(chunk))
    tasks = ((lambda stop, p=p: (p, fetch(store, p, retries=retries, stop=stop))) for p in parts(infos, chunk))
    yield from window(tasks, in_flight, ordered=ordered)


def stream(location_or_store, keys=None, *, prefix: str = "", in_flight: int = 16, chunk: int | None = None,
           ordered: bool = True, retries: int = 5) -> Iterator[tuple[str, bytes]]:
    """(key, bytes) for every object, with `in_flight` GETs outstanding.

    keys: str keys or ObjectInfo (None: list `prefix`, streamed). chunk: split objects larger than this
    into ranged GETs that run in parallel too (one large shard is then fetched `in_flight` ways);
    objects are still yielded whole. ordered=False yields objects as they complete (whole objects only).
    """
    if chunk and not ordered:
        raise ValueError("chunk needs ordered=True: the parts of an object are joined in order")
    pending: list[bytes] = []
    for part, data in stream_parts(location_or_store, keys, prefix=prefix, in_flight=in_flight, chunk=chunk,
                                   ordered=ordered, retries=retries):
        if part.last and not pending:
            yield part.key, data
            continue
        pending.append(data)
        if part.last:
            yield part.key, b"".join(pending)
            pending = []


class _PartReader(io.RawIOBase):
    def __init__(self, gen: Iterator[tuple[Part, bytes]]):
        self._gen, self._buf = gen, memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._buf:
            nxt = next(self._gen, None)
            if nxt is None:
                return 0
            self._buf = memoryview(nxt[1])
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def close(self) -> None:
        if not self.closed:
            self._gen.close()  # stops the window: pending parts cancelled, threads joined
        super().close()


def open_object(location_or_store, key: str, *, in_flight: int = 8, chunk: int = 8 * 1024 * 1024,
                size: int | None = None) -> io.BufferedReader:
    """A read-only file for one large object (a tar shard, say), read ahead by `in_flight` ranged GETs."""
    info = ObjectInfo(key=key, size=-1 if size is None else size)
    gen = stream_parts(location_or_store, [info], in_flight=in_flight, chunk=chunk)
    return io.BufferedReader(_PartReader(gen), buffer_size=chunk)

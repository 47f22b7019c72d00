"""homeport.data.stream against real stores: local files, and moto_server behind the latency proxy.

No timings here (benchmarks/data_stream.py has them): concurrency is asserted by counting the GETs
that are open at once, and the proxy's connections.
"""

from __future__ import annotations

import io
import os
import tarfile
import threading

import pytest
from servers import REGION

from homeport.data import stream
from homeport.data.latency import LatencyProxy
from homeport.data.locations import Location, open_store, parse_location
from homeport.data.store import StoreError, Transient
from homeport.data.stream import THREAD_PREFIX, open_object, stream_parts

KiB = 1024


class Counting:
    """A real store, with the GETs open at the same moment counted (from the call to the last byte)."""

    def __init__(self, store):
        self.store, self.location = store, store.location
        self.lock = threading.Lock()
        self.active = self.peak = self.started = 0

    def __getattr__(self, name):
        return getattr(self.store, name)

    def get(self, key, start=0, end=None):
        with self.lock:
            self.active += 1
            self.started += 1
            self.peak = max(self.peak, self.active)
        try:
            yield from self.store.get(key, start, end)
        finally:
            with self.lock:
                self.active -= 1


def s3_location(server, bucket: str, endpoint: str) -> Location:
    return Location("s3", f"proxy:{bucket}", bucket=bucket, remote="proxy", endpoint_url=endpoint,
                    access_key_id=server.key, secret_access_key=server.secret, region=REGION, path_style=True)


def fill(store, n: int, size_of) -> dict[str, bytes]:
    objs = {}
    for i in range(n):
        key = f"shard-{i:04d}.bin"
        objs[key] = os.urandom(size_of(i))
        store.put(key, [objs[key]])
    return objs


def stream_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(THREAD_PREFIX)]


@pytest.fixture
def moto_bucket(moto_server):
    return moto_server.make_bucket()


@pytest.fixture(params=[0.0, 0.1], ids=["0ms", "100ms"])
def proxied(request, moto_server, moto_bucket):
    """(Counting store, proxy) for a fresh moto bucket behind the proxy with that added round trip.
    Fill it through `store.direct` (no proxy): the tests are about reading."""
    host, port = moto_server.endpoint.rsplit("//", 1)[1].split(":")
    with LatencyProxy(host, int(port), delay_s=request.param) as proxy:
        store = Counting(open_store(s3_location(moto_server, moto_bucket, proxy.url)))
        store.direct = open_store(s3_location(moto_server, moto_bucket, moto_server.endpoint))
        yield store, proxy


# --- correctness ---------------------------------------------------------------------------------

def test_local_every_object_once_in_order(tmp_path):
    store = open_store(parse_location(str(tmp_path / "s"), config={}))
    objs = fill(store, 40, lambda i: (i * 7919) % (300 * KiB))
    got = list(stream(store, in_flight=8))
    assert [k for k, _ in got] == sorted(objs)
    assert dict(got) == objs


def test_location_string_and_unordered(tmp_path):
    loc = str(tmp_path / "s")
    objs = fill(open_store(parse_location(loc, config={})), 25, lambda i: 1000 + i)
    got = list(stream(loc, in_flight=4, ordered=False))
    assert len(got) == 25 and dict(got) == objs


def test_s3_ranged_parts_and_given_keys(proxied):
    store, _ = proxied
    objs = fill(store.direct, 6, lambda i: [0, 1, 64 * KiB, 64 * KiB + 1, 300 * KiB, 17][i])
    keys = list(reversed(sorted(objs)))  # str keys: sizes come from HEADs, order is the caller's
    got = list(stream(store, keys, in_flight=8, chunk=64 * KiB))
    assert [k for k, _ in got] == keys
    assert dict(got) == objs
    parts = [p for p, _ in stream_parts(store, keys, in_flight=8, chunk=64 * KiB)]
    assert sum(p.last for p in parts) == 6 and len(parts) == 1 + 1 + 1 + 2 + 5 + 1


def test_open_object_reads_a_tar_shard(tmp_path, moto_server, moto_bucket):
    buf = io.BytesIO()
    members = {f"sample-{i:03d}.bin": os.urandom(20 * KiB + i) for i in range(30)}
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    store = open_store(s3_location(moto_server, moto_bucket, moto_server.endpoint))
    store.put("train-000000.tar", [buf.getvalue()])
    with open_object(store, "train-000000.tar", in_flight=4, chunk=64 * KiB) as fh:
        with tarfile.open(fileobj=fh, mode="r|") as tar:  # streaming mode: sequential reads only
            seen = {m.name: tar.extractfile(m).read() for m in tar}
    assert seen == members
    assert not stream_threads()


# --- concurrency, memory, stop -------------------------------------------------------------------

@pytest.mark.parametrize("in_flight", [1, 16])
def test_keeps_in_flight_requests_open(proxied, in_flight):
    store, proxy = proxied
    n = 3 * in_flight + 1  # a partial last round too
    fill(store.direct, n, lambda i: 32 * KiB)
    assert len(list(stream(store, in_flight=in_flight))) == n
    if proxy.delay_s:  # at 100 ms each GET is open long enough for the others to start
        assert store.peak == in_flight
    assert store.peak <= in_flight
    if in_flight > 1 and proxy.delay_s:
        assert proxy.connections >= in_flight  # the server saw that many connections, not one


def test_memory_bounded_by_in_flight(proxied):
    store, _ = proxied
    fill(store.direct, 20, lambda i: 4 * KiB)
    for i, _ in enumerate(stream(store, in_flight=5)):
        # GETs started before the consumer took object i: i + 1 yielded, 5 running, 5 done and waiting
        assert store.started <= i + 1 + 2 * 5


def test_early_stop_cancels_and_joins(proxied):
    store, proxy = proxied
    fill(store.direct, 40, lambda i: 8 * KiB)
    it = stream(store, in_flight=8)
    next(it), next(it)
    it.close()
    assert not stream_threads()
    assert store.active == 0
    assert store.started <= 2 + 2 * 8  # nothing submitted after the stop

    for n, _ in enumerate(stream(store, in_flight=8)):  # a `break` closes it the same way
        if n == 3:
            break
    assert not stream_threads()


# --- errors --------------------------------------------------------------------------------------

def test_transient_errors_are_retried(moto_server, moto_bucket):
    host, port = moto_server.endpoint.rsplit("//", 1)[1].split(":")
    objs = fill(open_store(s3_location(moto_server, moto_bucket, moto_server.endpoint)), 12, lambda i: 5 * KiB)
    with LatencyProxy(host, int(port), delay_s=0.0, fail_every=4) as proxy:
        store = open_store(s3_location(moto_server, moto_bucket, proxy.url))
        assert dict(stream(store, list(objs), in_flight=4)) == objs
        assert proxy.failed >= 3


def test_transient_until_giving_up_names_the_key(moto_server, moto_bucket):
    host, port = moto_server.endpoint.rsplit("//", 1)[1].split(":")
    open_store(s3_location(moto_server, moto_bucket, moto_server.endpoint)).put("always-503.bin", [b"x" * 10])
    with LatencyProxy(host, int(port), delay_s=0.0, fail_every=1) as proxy:
        store = open_store(s3_location(moto_server, moto_bucket, proxy.url))
        with pytest.raises(Transient, match="always-503.bin"):
            list(stream(store, ["always-503.bin"], in_flight=2, retries=1))
    assert not stream_threads()


def test_missing_object_is_named(tmp_path):
    store = open_store(parse_location(str(tmp_path / "s"), config={}))
    store.put("present.bin", [b"abc"])
    with pytest.raises(StoreError, match="absent.bin"):
        list(stream(store, ["present.bin", "absent.bin"], in_flight=2))
    with pytest.raises(StoreError, match="absent.bin"):
        list(stream(store, ["absent.bin"], chunk=1024))  # the HEAD path names it too
    assert not stream_threads()


def test_bad_arguments():
    with pytest.raises(ValueError, match="in_flight"):
        list(stream(object(), [], in_flight=0))
    with pytest.raises(ValueError, match="ordered"):
        list(stream(object(), [], chunk=10, ordered=False))

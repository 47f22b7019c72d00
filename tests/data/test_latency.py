"""The latency proxy: adds at least the configured delay, passes bytes unchanged, binds loopback only.
Timing is asserted as a lower bound only (machines are noisy)."""

from __future__ import annotations

import hashlib
import time
import urllib.request

import pytest
from servers import remote_env

from homeport.data.latency import LatencyProxy
from homeport.data.locations import open_store, parse_location


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as r:  # a new connection each time
        return r.read()


def test_a_request_takes_at_least_the_round_trip_plus_set_up(moto_server):
    port = int(moto_server.endpoint.rsplit(":", 1)[1])
    with LatencyProxy("127.0.0.1", port, delay_s=0.1, first_byte=True) as proxy:
        t = time.monotonic()
        _get(proxy.url + "/moto-api/")
        # request half + response half + one more round trip for the new connection
        assert time.monotonic() - t >= 0.2 - 0.005
    with LatencyProxy("127.0.0.1", port, delay_s=0.1, first_byte=False) as proxy:
        t = time.monotonic()
        _get(proxy.url + "/moto-api/")
        assert time.monotonic() - t >= 0.1 - 0.005
        assert proxy.connections == 1


def test_bytes_pass_unchanged_through_a_store(rclone_server, monkeypatch):
    bucket = rclone_server.make_bucket()
    data = bytes(range(256)) * 12_000  # 3 MB: many chunks in flight at once
    port = int(rclone_server.endpoint.rsplit(":", 1)[1])
    with LatencyProxy("127.0.0.1", port, delay_s=0.02) as proxy:
        remote_env(monkeypatch, "far", rclone_server, endpoint=proxy.url)
        store = open_store(parse_location(f"far:{bucket}/x", config={}))
        store.put("blob.bin", [data])
        got = b"".join(store.get("blob.bin"))
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest()


def test_loopback_only():
    with pytest.raises(ValueError, match="loopback"):
        LatencyProxy("127.0.0.1", 1, host="0.0.0.0")

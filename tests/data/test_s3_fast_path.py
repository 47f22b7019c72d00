"""GETs and small PUTs are signed and sent without the botocore client's per-request machinery; the client
is only the fallback for a response that is not 2xx. Here the fallback is forbidden, so a key this path
spells differently from botocore (and the server refuses) fails the test instead of passing silently."""

from __future__ import annotations

import pytest
from servers import remote_env

from homeport.data.locations import open_store, parse_location
from homeport.data.stores.s3 import S3Store

KEYS = ["plain.bin", "dir/with space.bin", "plus+and=equals.bin", "tilde~and(parens).bin", "ünïcode/日本.bin"]


@pytest.mark.parametrize("server", ["moto", "rclone"])
def test_get_and_put_take_the_fast_path_for_awkward_keys(server, request, monkeypatch):
    srv = request.getfixturevalue(f"{server}_server")
    bucket = srv.make_bucket()
    remote_env(monkeypatch, "fast", srv)
    store = open_store(parse_location(f"fast:{bucket}/prefix", config={}))

    def no_fallback(self, op, key=None, **kw):
        if op in ("get_object", "put_object"):
            raise AssertionError(f"{op} of {key!r} fell back to the botocore client")
        return original(self, op, key, **kw)

    original = S3Store._call
    monkeypatch.setattr(S3Store, "_call", no_fallback)
    for i, key in enumerate(KEYS):
        body = bytes([i]) * (1000 + i)
        store.put(key, iter([body]), metadata={"sha256": f"{i:064d}"})
        assert b"".join(store.get(key)) == body
        assert b"".join(store.get(key, 10, 20)) == body[10:20]
        assert store.head(key).metadata.get("sha256") == f"{i:064d}"  # the signed metadata header arrived
    monkeypatch.setattr(S3Store, "_call", original)
    assert sorted(o.key for o in store.list()) == sorted(KEYS)

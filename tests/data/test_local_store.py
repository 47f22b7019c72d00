"""LocalStore specifics the conformance suite (test_store_conformance.py) does not reach: its hidden
bookkeeping folders, atomic writes, the key order across '-' and '/', and keys that cannot be files."""

from __future__ import annotations

import pytest

from homeport.data.store import NotFound, StoreError
from homeport.data.stores.local import LocalStore


def put(store, key, data=b"x", metadata=None):
    return store.put(key, [data], metadata)


def keys(store, prefix=""):
    return [o.key for o in store.list(prefix)]


def test_key_order_holds_across_directories(tmp_path):
    store = LocalStore(tmp_path)
    for k in ["a/b", "a-b", "a0", "a/a/z", "ab"]:
        put(store, k)
    assert keys(store) == sorted(["a/b", "a-b", "a0", "a/a/z", "ab"])  # '-' < '/' < '0' < 'b'
    assert keys(store, "a/") == ["a/a/z", "a/b"]


def test_bookkeeping_is_hidden_and_metadata_round_trips(tmp_path):
    store = LocalStore(tmp_path)
    put(store, "data/x.bin", b"abc", {"SHA256": "f00"})
    upload = store.start_multipart("data/big.bin", {"sha256": "beef"})
    store.put_part("data/big.bin", upload, 1, b"part")
    assert keys(store) == ["data/x.bin"]
    assert store.head("data/x.bin").metadata == {"sha256": "f00"}  # keys lower-cased, like S3 stores
    store.set_metadata("data/x.bin", {"sha256": "ba5e"})
    assert store.head("data/x.bin").metadata == {"sha256": "ba5e"}
    put(store, "data/x.bin", b"new")  # a write without metadata drops the old metadata
    assert store.head("data/x.bin").metadata == {}


def test_a_failed_put_leaves_nothing_under_the_key(tmp_path):
    store = LocalStore(tmp_path)
    put(store, "k/old.bin", b"old")

    def broken():
        yield b"half"
        raise OSError("source went away")

    with pytest.raises(OSError):
        store.put("k/old.bin", broken())
    assert b"".join(store.get("k/old.bin")) == b"old"
    assert not any((tmp_path / ".homeport-tmp").iterdir())


def test_multipart_resumes_from_its_parts(tmp_path):
    store = LocalStore(tmp_path)
    upload = store.start_multipart("m/big.bin", {"sha256": "x"})
    e1 = store.put_part("m/big.bin", upload, 1, b"aa")
    store.put_part("m/big.bin", upload, 2, b"zz")
    e2 = store.put_part("m/big.bin", upload, 2, b"bb")  # again: replaces the first try
    again = LocalStore(tmp_path)  # another process, the same directory
    assert again.list_parts("m/big.bin", upload) == {1: e1, 2: e2}
    info = again.complete_multipart("m/big.bin", upload, [(2, e2), (1, e1)])
    assert (info.size, info.metadata) == (4, {"sha256": "x"})
    assert b"".join(again.get("m/big.bin")) == b"aabb"
    with pytest.raises(NotFound):
        again.list_parts("m/big.bin", upload)  # done: the parts are gone


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", ".homeport-meta/x", "./a"])
def test_keys_that_cannot_be_files_are_refused(tmp_path, key):
    with pytest.raises(StoreError, match="cannot name a file"):
        put(LocalStore(tmp_path), key)


def test_a_missing_directory_is_not_found(tmp_path):
    with pytest.raises(NotFound, match="does not exist"):
        keys(LocalStore(tmp_path / "nope"))
    assert not (tmp_path / "nope").exists()

"""One suite every Store backend passes (rclone's fstests model): local directory, moto (AWS-like),
rclone serve s3 (S3-compatible, real files). A backend that fails one of these is not a backend."""

from __future__ import annotations

import pytest
from servers import aws_env, remote_env

from homeport.data.latency import LatencyProxy
from homeport.data.locations import open_store, parse_location
from homeport.data.store import AccessDenied, NotFound, Transient

MIB = 1024 * 1024
PART = 5 * MIB  # the smallest part AWS (and moto) accept, except the last


@pytest.fixture(params=["local", "moto", "rclone"])
def store(request):
    location = request.getfixturevalue(f"{request.param}_location")
    return open_store(location)


def put(store, key, data=b"x", metadata=None):
    return store.put(key, [data[i:i + MIB] for i in range(0, len(data), MIB)] or [b""], metadata)


def read(store, key, start=0, end=None):
    return b"".join(store.get(key, start, end))


def keys(store, prefix=""):
    return [o.key for o in store.list(prefix)]


def test_list_is_in_key_order_and_relative_to_the_prefix(store):
    for k in ["b/2.txt", "a.txt", "ba.txt", "b/1.txt", "c/d/e.bin"]:
        put(store, k, k.encode())
    assert keys(store) == ["a.txt", "b/1.txt", "b/2.txt", "ba.txt", "c/d/e.bin"]  # "/" sorts before "a"
    assert keys(store, "b/") == ["b/1.txt", "b/2.txt"]
    assert keys(store, "b") == ["b/1.txt", "b/2.txt", "ba.txt"]
    assert keys(store, "c/d/") == ["c/d/e.bin"]
    assert keys(store, "zzz") == []
    sizes = {o.key: o.size for o in store.list()}
    assert sizes["c/d/e.bin"] == len(b"c/d/e.bin")


def test_head_of_a_missing_object_is_none(store):
    put(store, "present.bin")
    assert store.head("absent.bin") is None
    info = store.head("present.bin")
    assert (info.key, info.size) == ("present.bin", 1)


def test_get_ranges(store):
    data = bytes(range(256)) * 1000
    put(store, "ranges.bin", data)
    assert read(store, "ranges.bin") == data
    assert read(store, "ranges.bin", 10, 20) == data[10:20]
    assert read(store, "ranges.bin", 0, 1) == data[:1]
    assert read(store, "ranges.bin", 1000) == data[1000:]  # to the end
    assert read(store, "ranges.bin", len(data) - 1) == data[-1:]
    assert read(store, "ranges.bin", 5, 5) == b""
    put(store, "empty.bin", b"")
    assert store.head("empty.bin").size == 0
    assert read(store, "empty.bin") == b""


def test_put_metadata_round_trips_with_lower_case_keys(store):
    info = put(store, "meta.bin", b"hello", {"sha256": "ab" * 32, "Homeport-Source": "s3://src/x"})
    assert info.size == 5
    head = store.head("meta.bin")
    assert head.metadata == {"sha256": "ab" * 32, "homeport-source": "s3://src/x"}


def test_multipart_of_three_parts_resumes_from_list_parts(store):
    parts = [bytes([i]) * PART for i in (1, 2)] + [b"tail" * 1000]
    upload = store.start_multipart("big/model.bin", {"sha256": "cd" * 32})
    etags = {n: store.put_part("big/model.bin", upload, n, parts[n - 1]) for n in (1, 2)}
    # an interrupted copy comes back and asks what is already there
    assert store.list_parts("big/model.bin", upload) == etags
    etags[3] = store.put_part("big/model.bin", upload, 3, parts[2])
    info = store.complete_multipart("big/model.bin", upload, list(etags.items()))
    whole = b"".join(parts)
    assert info.size == len(whole)
    assert store.head("big/model.bin").metadata.get("sha256") == "cd" * 32
    assert read(store, "big/model.bin", PART - 3, PART + 3) == whole[PART - 3:PART + 3]  # across a part boundary
    assert read(store, "big/model.bin") == whole


def test_abort_multipart_leaves_nothing(store):
    upload = store.start_multipart("aborted.bin")
    store.put_part("aborted.bin", upload, 1, b"a" * PART)
    store.abort_multipart("aborted.bin", upload)
    assert store.head("aborted.bin") is None
    assert keys(store) == []


def test_delete_is_idempotent(store):
    put(store, "gone.bin")
    store.delete("gone.bin")
    assert store.head("gone.bin") is None
    store.delete("gone.bin")
    store.delete("never-was.bin")


@pytest.mark.parametrize("backend", ["local", "moto", "rclone"])
def test_a_missing_bucket_is_not_found_and_named(backend, request, tmp_path):
    location = request.getfixturevalue(f"{backend}_location")
    if backend == "local":
        missing = parse_location(str(tmp_path / "no-such-dir"), config={})
        name = "no-such-dir"
    else:
        name = "no-such-bucket-hp"
        missing = parse_location(str(location).replace(location.bucket, name), config={})
    with pytest.raises(NotFound, match=name):
        list(open_store(missing).list())


def test_wrong_credentials_are_access_denied_with_a_hint(rclone_server, monkeypatch):
    bucket = rclone_server.make_bucket()
    remote_env(monkeypatch, "sov", rclone_server, secret="not-the-secret")
    store = open_store(parse_location(f"sov:{bucket}/data", config={}))
    with pytest.raises(AccessDenied) as err:
        list(store.list())
    assert "'sov'" in str(err.value) and "HOMEPORT_REMOTE_SOV_SECRET_ACCESS_KEY" in str(err.value)


@pytest.mark.parametrize("server", ["moto", "rclone"])
def test_503_slowdown_is_transient(server, request, monkeypatch):
    srv = request.getfixturevalue(f"{server}_server")
    bucket = srv.make_bucket()
    port = int(srv.endpoint.rsplit(":", 1)[1])
    with LatencyProxy("127.0.0.1", port, delay_s=0.0, fail_every=1) as proxy:
        remote_env(monkeypatch, "flaky", srv, endpoint=proxy.url)
        store = open_store(parse_location(f"flaky:{bucket}", config={}))
        with pytest.raises(Transient, match="SlowDown"):
            list(store.list())
        assert proxy.failed >= 1


@pytest.mark.parametrize("server", ["moto", "rclone"])
def test_a_connection_reset_mid_response_is_transient(server, request, monkeypatch):
    srv = request.getfixturevalue(f"{server}_server")
    bucket = srv.make_bucket()
    srv.client().put_object(Bucket=bucket, Key="reset.bin", Body=b"r" * (2 * MIB))
    port = int(srv.endpoint.rsplit(":", 1)[1])
    with LatencyProxy("127.0.0.1", port, delay_s=0.0, reset_every=1) as proxy:
        remote_env(monkeypatch, "flaky", srv, endpoint=proxy.url)
        store = open_store(parse_location(f"flaky:{bucket}", config={}))
        with pytest.raises(Transient):
            read(store, "reset.bin")
        assert proxy.resets >= 1


def test_a_listing_cut_off_is_asked_again_then_transient(rclone_server, monkeypatch):
    """Every connection is reset after the first chunk of its answer: the fast listing's attempt is not the
    end, the client asks again (more than one reset), and what finally fails is a Transient sentence.
    (rclone only: moto writes an answer in one piece, which a reset after the first chunk may not cut.)"""
    srv = rclone_server
    bucket = srv.make_bucket()
    long_name = "/".join(["a-rather-long-directory-name-" + "x" * 170] * 4)  # an answer of ~200 KB: many chunks
    for i in range(250):
        srv.client().put_object(Bucket=bucket, Key=f"{long_name}/name-{i:05d}.bin", Body=b"")
    port = int(srv.endpoint.rsplit(":", 1)[1])
    with LatencyProxy("127.0.0.1", port, delay_s=0.0, reset_every=1) as proxy:
        remote_env(monkeypatch, "flaky", srv, endpoint=proxy.url)
        store = open_store(parse_location(f"flaky:{bucket}", config={}))
        with pytest.raises(Transient):
            list(store.list())
        assert proxy.resets >= 2


def test_no_credentials_at_all_is_access_denied_with_a_hint(moto_server, monkeypatch, tmp_path):
    aws_env(monkeypatch, moto_server, tmp_path)
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance metadata lookup on this machine
    store = open_store(parse_location(f"s3://{moto_server.make_bucket()}/data", config={}))
    with pytest.raises(AccessDenied, match="No credentials were found") as err:
        list(store.list())
    assert "AWS_ACCESS_KEY_ID" in str(err.value)

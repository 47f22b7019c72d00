"""Azure Blob and GCS as sources, against real emulators (no mocks): Azurite (npm, on Node) and
gcp-storage-emulator (PyPI). The objects are uploaded with each cloud's own SDK, then read through
homeport's Store: listing order and prefix, head, ranges, a missing container/bucket, the write
methods refused, and a copy to a local directory that verifies clean against the source."""

from __future__ import annotations

import shutil
import uuid

import pytest
from servers import azurite_binary, start_azurite, start_gcs_emulator

from homeport.data.copy import copy
from homeport.data.locations import open_store, parse_location
from homeport.data.store import NotFound, StoreError
from homeport.data.store import SOURCE_ONLY
from homeport.data.verify import verify

BIG = bytes(range(256)) * 40_000  # 10 MB: more than one GCS read piece and one Azure download chunk
OBJECTS = {
    "data/b/2.txt": b"two",
    "data/a.txt": b"a",
    "data/ba.txt": b"ba",
    "data/b/1.txt": b"one",
    "data/c/d/big.bin": BIG,
    "data/empty.bin": b"",
    "other/x.txt": b"outside the prefix",
}
KEYS = ["a.txt", "b/1.txt", "b/2.txt", "ba.txt", "c/d/big.bin", "empty.bin"]  # "/" sorts before "a"


# -- the emulators, once per session; a fresh container/bucket per test ----------------------------------

@pytest.fixture(scope="session")
def azurite(tmp_path_factory):
    if azurite_binary() is None:
        if shutil.which("node") is None:
            pytest.skip("Azurite needs Node.js, which this machine lacks (no PyPI Azurite exists)")
        pytest.fail("azurite is not installed: run `make setup` (npm install --prefix .venv/npm azurite)")
    pytest.importorskip("azure.storage.blob", reason="pip install -e '.[test]' installs azure-storage-blob")
    server, stop = start_azurite(tmp_path_factory.mktemp("azurite"))
    yield server
    stop()


@pytest.fixture(scope="session")
def gcs_emulator(tmp_path_factory):
    pytest.importorskip("google.cloud.storage", reason="pip install -e '.[test]' installs google-cloud-storage")
    server, stop = start_gcs_emulator(tmp_path_factory.mktemp("gcs"))
    yield server
    stop()


def _azure_upload(emulator, monkeypatch) -> str:
    from azure.storage.blob import BlobServiceClient

    for var, value in emulator.env.items():
        monkeypatch.setenv(var, value)
    service = BlobServiceClient.from_connection_string(emulator.env["AZURE_STORAGE_CONNECTION_STRING"])
    name = f"hp-{uuid.uuid4().hex[:12]}"
    container = service.create_container(name)
    for key, data in OBJECTS.items():
        container.upload_blob(key, data, metadata={"Origin": "sdk"})
    return name


def _gcs_upload(emulator, monkeypatch) -> str:
    from google.cloud import storage

    for var, value in emulator.env.items():
        monkeypatch.setenv(var, value)
    client = storage.Client(project=emulator.env["GOOGLE_CLOUD_PROJECT"])
    name = f"hp-{uuid.uuid4().hex[:12]}"
    bucket = client.create_bucket(name)
    for key, data in OBJECTS.items():
        blob = bucket.blob(key)
        blob.metadata = {"Origin": "sdk"}
        blob.upload_from_string(data)
    return name


@pytest.fixture(params=["azure", "gcs"])
def source(request, monkeypatch):
    """(location text, missing-container location text, emulator) with OBJECTS uploaded by the SDK."""
    if request.param == "azure":
        emulator = request.getfixturevalue("azurite")
        name = _azure_upload(emulator, monkeypatch)
        return f"az://{name}/data", f"az://hp-missing-{uuid.uuid4().hex[:8]}/data", emulator
    emulator = request.getfixturevalue("gcs_emulator")
    name = _gcs_upload(emulator, monkeypatch)
    return f"gs://{name}/data", f"gs://hp-missing-{uuid.uuid4().hex[:8]}/data", emulator


def _store(text):
    return open_store(parse_location(text, config={}))


def _read(store, key, start=0, end=None):
    return b"".join(store.get(key, start, end))


# -- the read side --------------------------------------------------------------------------------------

def test_list_is_in_key_order_relative_to_the_prefix(source):
    store = _store(source[0])
    infos = list(store.list())
    assert [i.key for i in infos] == KEYS
    assert {i.key: i.size for i in infos}["c/d/big.bin"] == len(BIG)
    assert [i.key for i in store.list("b/")] == ["b/1.txt", "b/2.txt"]
    assert [i.key for i in store.list("b")] == ["b/1.txt", "b/2.txt", "ba.txt"]
    assert list(store.list("zzz")) == []


def test_head(source):
    store = _store(source[0])
    info = store.head("b/1.txt")
    assert (info.key, info.size, info.metadata) == ("b/1.txt", 3, {"origin": "sdk"})
    assert info.mtime and info.etag
    assert store.head("absent.bin") is None
    assert store.head("empty.bin").size == 0


def test_get_ranges(source):
    store = _store(source[0])
    assert _read(store, "c/d/big.bin") == BIG
    assert all(len(c) <= 1024 * 1024 for c in store.get("c/d/big.bin"))  # chunks of about CHUNK
    assert _read(store, "c/d/big.bin", 10, 20) == BIG[10:20]
    assert _read(store, "c/d/big.bin", 0, 1) == BIG[:1]
    assert _read(store, "c/d/big.bin", 9_000_000) == BIG[9_000_000:]  # across a piece boundary, to the end
    assert _read(store, "c/d/big.bin", 1000, 9_500_000) == BIG[1000:9_500_000]
    assert _read(store, "c/d/big.bin", len(BIG) - 1) == BIG[-1:]
    assert _read(store, "c/d/big.bin", 5, 5) == b""
    assert _read(store, "empty.bin") == b""
    with pytest.raises(NotFound):
        _read(store, "absent.bin")


def test_a_missing_container_or_bucket_is_named(source):
    store = _store(source[1])
    bucket = parse_location(source[1], config={}).bucket
    for action in (lambda: list(store.list()), lambda: store.head("a.txt"), lambda: _read(store, "a.txt")):
        with pytest.raises(NotFound, match=bucket) as e:
            action()
        assert getattr(e.value, "bucket_missing", False)


def test_the_write_methods_are_refused(source):
    store = _store(source[0])
    for action in (lambda: store.put("new.txt", [b"x"]), lambda: store.start_multipart("new.bin"),
                   lambda: store.put_part("new.bin", "u", 1, b"x"), lambda: store.list_parts("new.bin", "u"),
                   lambda: store.complete_multipart("new.bin", "u", [(1, "e")]),
                   lambda: store.abort_multipart("new.bin", "u"), lambda: store.delete("a.txt")):
        with pytest.raises(StoreError) as e:
            action()
        assert SOURCE_ONLY in str(e.value)
    assert [i.key for i in store.list()] == KEYS  # nothing was touched


def test_copy_to_a_local_directory_verifies_clean(source, tmp_path):
    src = _store(source[0])
    dst = _store(str(tmp_path / "copy"))
    result = copy(src, dst, journal=tmp_path / "journal.sqlite", workers=4, part_size=4 * 1024 * 1024,
                  multipart_threshold=8 * 1024 * 1024)  # big.bin goes through the ranged, multipart path
    assert result.ok, result.failed
    assert (tmp_path / "copy" / "c" / "d" / "big.bin").read_bytes() == BIG
    assert not (tmp_path / "copy" / "x.txt").exists()  # other/ is outside the prefix
    check = verify(dst, source=src)
    assert check.clean, check


def test_locations_parse(monkeypatch):
    loc = parse_location("abfss://box@acct.dfs.core.windows.net/p/q", config={})
    assert (loc.kind, loc.bucket, loc.prefix, loc.endpoint_url) == ("azure", "box", "p/q",
                                                                    "https://acct.blob.core.windows.net")
    assert parse_location("az://box", config={}).kind == "azure"
    assert parse_location("gs://b/x/", config={}).prefix == "x"
    with pytest.raises(Exception, match="account host"):
        parse_location("abfs://box@example.com/p", config={})


def test_a_source_only_store_is_refused_as_a_destination_before_anything_is_listed(tmp_path):
    from homeport.core.errors import UsageError
    from homeport.data.copy import copy
    from homeport.data.locations import parse_location
    from homeport.data.stores.gcs import GCSStore
    from homeport.data.stores.local import LocalStore

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.bin").write_bytes(b"x")
    with pytest.raises(UsageError, match="cannot be a destination"):
        copy(LocalStore(tmp_path / "src"), GCSStore(parse_location("gs://bucket/x", config={})),
             journal=tmp_path / "j.sqlite")
    assert not (tmp_path / "j.sqlite").exists()

"""homeport data probe: Little's law (research/data.md s2.1 examples), loader snippets, and the probe
itself against moto_server (empty bucket: probe objects written then deleted; else existing objects)."""

from __future__ import annotations

import argparse
import ast
import json

import pytest
from servers import remote_env

from homeport.core.errors import UsageError
from homeport.data.locations import open_store, parse_location
from homeport.data.probe import (GiB, KiB, MiB, PROBE_PREFIX, add_parser, advise, in_flight_needed, parse_size,
                                 probe, render, run)
from homeport.data.stream import THREAD_PREFIX

LOADERS = {"pytorch", "webdataset", "litdata", "mosaicml-streaming"}


def test_littles_law_first_example():
    # 1 GiB/s from 8 MiB ranged GETs at 100 ms and 100 MiB/s per connection: W = 0.18 s, N ~ 23
    a = advise(None, GiB, 8 * MiB, rtt_s=0.1, stream_bytes_per_s=100 * MiB)
    assert a.seconds_per_request == pytest.approx(0.18)
    assert a.in_flight_exact == pytest.approx(23.04)
    assert a.in_flight == 24  # rounded up: 23 in flight give 1,000 MiB/s, short of the target
    assert not any("per-sample" in w for w in a.warnings)


def test_littles_law_per_sample_objects():
    # 2,000 samples/s of 115 KB JPEGs at 150 ms: ~300 in flight, and the advice is to shard
    a = advise(None, 2000 * 115_000, 115_000, rtt_s=0.150, stream_bytes_per_s=100 * MiB)
    assert 290 <= a.in_flight <= 310
    assert any(w.startswith("per-sample objects") and "shards" in w for w in a.warnings)
    assert a.shard_bytes == 64 * MiB and a.shard_in_flight < 10


def test_in_flight_is_linear_in_target_and_rtt():
    base = in_flight_needed(GiB, 0.1, 8 * MiB, 100 * MiB)
    assert in_flight_needed(2 * GiB, 0.1, 8 * MiB, 100 * MiB) == pytest.approx(2 * base)
    assert in_flight_needed(GiB, 0.0, 8 * MiB, 100 * MiB) == pytest.approx(GiB / (100 * MiB))  # bandwidth-bound


def test_warnings_and_snippets_for_every_loader():
    a = advise(None, GiB, 128 * MiB, rtt_s=0.1, stream_bytes_per_s=100 * MiB)
    text = " ".join(a.warnings)
    assert "litdata" in text and "dataset path" in text
    assert "numpy<2.2" in text and "streaming-community" in text
    assert set(a.configs) == LOADERS
    for name, code in a.configs.items():
        ast.parse(code)  # each snippet is valid Python
    assert "num_workers=" in a.configs["pytorch"] and "prefetch_factor=" in a.configs["pytorch"]
    assert "from homeport.data import stream" in a.configs["pytorch"]
    assert "pipe:" in a.configs["webdataset"] and "--endpoint-url" in a.configs["webdataset"]
    assert "max_pre_download=" in a.configs["litdata"] and '"endpoint_url"' in a.configs["litdata"]
    assert "predownload=" in a.configs["mosaicml-streaming"] and "S3_ENDPOINT_URL" in a.configs["mosaicml-streaming"]


def test_parse_size():
    assert parse_size("1GiB/s") == GiB
    assert parse_size("64MiB") == 64 * MiB
    assert parse_size("800 MB/s") == 800 * 10**6
    assert parse_size("512") == 512
    with pytest.raises(UsageError, match="cannot read the size"):
        parse_size("fast")


def _objects_under(store, prefix):
    return [i.key for i in store.list("") if i.key.startswith(prefix)]


def test_probe_writes_then_deletes_probe_objects(moto_location):
    store = open_store(moto_location)
    r = probe(store, sizes=(256 * KiB,), concurrencies=(1, 4), rtt_samples=3, seconds_per_level=0.2)
    assert r.objects == "written" and PROBE_PREFIX in r.objects_note
    assert _objects_under(store, "") == []  # nothing left behind
    assert r.rtt_s["samples"] == 3 and 0 < r.rtt_s["median"] <= r.rtt_s["p90"]
    assert r.stream_bytes_per_s > 0 and [s.in_flight for s in r.sweep] == [1, 4]
    assert all(s.requests >= 4 and s.bytes_per_s > 0 for s in r.sweep)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["schema_version"] == 1 and d["objects"] == "written" and d["url"].startswith("s3://")
    assert not [t for t in __import__("threading").enumerate() if t.name.startswith(THREAD_PREFIX)]


def test_probe_reads_existing_objects(moto_location):
    store = open_store(moto_location)
    for i in range(3):
        store.put(f"shard-{i}.bin", [b"\x01" * (512 * KiB)])
    r = probe(store, sizes=(128 * KiB,), concurrencies=(2,), rtt_samples=2, seconds_per_level=0.1)
    assert r.objects == "existing"
    assert sorted(_objects_under(store, "")) == [f"shard-{i}.bin" for i in range(3)]


def test_cli_json_and_text(moto_server, monkeypatch, capsys):
    remote_env(monkeypatch, "far", moto_server)
    bucket = moto_server.make_bucket()
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="data_command"))
    common = ["probe", f"far:{bucket}/ds", "--request-size", "128KiB", "--concurrency", "1,2", "--seconds", "0.1",
              "--target-throughput", "500MB/s", "--object-size", "64MiB"]
    args = parser.parse_args([*common, "-f", "json"])
    assert args.run(args) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["schema_version"] == 1 and d["location"] == f"far:{bucket}/ds"
    assert d["endpoint_url"] == moto_server.endpoint
    assert set(d["advice"]["configs"]) == LOADERS and d["advice"]["in_flight"] >= 1
    assert moto_server.endpoint in d["advice"]["configs"]["litdata"]

    args = parser.parse_args(common)
    assert run(args) == 0
    out = capsys.readouterr().out
    for name in LOADERS:
        assert name in out
    assert "requests in flight" in out and "Little's law" in out


def test_cli_rejects_bad_concurrency(moto_server, monkeypatch):
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["probe", "/nowhere", "--concurrency", "0,x"])
    with pytest.raises(UsageError, match="concurrency"):
        run(args)


def test_render_without_advice(moto_location):
    from rich.console import Console

    r = probe(open_store(moto_location), sizes=(64 * KiB,), concurrencies=(1,), rtt_samples=1, seconds_per_level=0.05)
    console = Console(record=True, width=120)
    render(r, None, console)
    assert "throughput against requests in flight" in console.export_text()

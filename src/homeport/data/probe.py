"""`homeport data probe LOCATION`: measure a store from where the training runs, then size the loader.

Measures round-trip time (HEAD requests), one stream's throughput (one ranged GET) and throughput
against requests in flight (parallel ranged GETs through homeport.data.stream), then applies
Little's law (research/data.md s2.1): in flight N = X * (RTT + size / per-stream bandwidth) / size.
"""

from __future__ import annotations

import math
import re
import statistics
import time
import uuid
from dataclasses import asdict, dataclass, field

from homeport.data.store import ObjectInfo, Store, StoreError
from homeport.data.stream import Part, fetch, resolve, window

KiB, MiB, GiB = 1024, 1024**2, 1024**3
PROBE_PREFIX = "homeport-probe/"
SHARD_MIN, SHARD_MAX = 64 * MiB, 128 * MiB  # what MDS, litdata and webdataset recommend (s2.2)
SCAN_LIMIT = 1000  # objects listed to find probe targets: the probe must not list a whole bucket


@dataclass
class Sweep:
    in_flight: int
    request_bytes: int
    requests: int
    seconds: float
    bytes_per_s: float


@dataclass
class ProbeResult:
    location: str
    rtt_s: dict  # median, p90, samples
    stream_bytes_per_s: float  # one connection, first byte excluded
    stream_request_bytes: int
    sweep: list[Sweep]
    objects: str  # "existing" or "written": where the GETs went
    objects_note: str
    endpoint_url: str | None = None
    url: str | None = None  # s3://bucket/prefix as loaders spell it
    schema_version: int = 1

    @property
    def peak_bytes_per_s(self) -> float:
        return max((s.bytes_per_s for s in self.sweep), default=self.stream_bytes_per_s)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["peak_bytes_per_s"] = self.peak_bytes_per_s
        return {"schema_version": 1, **{k: v for k, v in d.items() if k != "schema_version"}}


@dataclass
class Advice:
    target_bytes_per_s: float
    object_bytes: int
    rtt_s: float
    stream_bytes_per_s: float
    seconds_per_request: float  # W = RTT + size / bandwidth
    in_flight_exact: float  # N = X * W / size
    in_flight: int
    shard_bytes: int  # recommended shard size
    shard_in_flight: int  # N again, for requests of shard_bytes
    workers: int
    per_worker: int
    warnings: list[str] = field(default_factory=list)
    configs: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


# --- Little's law (pure) -------------------------------------------------------------------------

def seconds_per_request(rtt_s: float, size: int, stream_bytes_per_s: float) -> float:
    return rtt_s + size / stream_bytes_per_s


def in_flight_needed(target_bytes_per_s: float, rtt_s: float, size: int, stream_bytes_per_s: float) -> float:
    """Little's law: requests in flight = arrivals per second (X / size) * time each one takes."""
    return target_bytes_per_s / size * seconds_per_request(rtt_s, size, stream_bytes_per_s)


def advise(result: ProbeResult | None, target_bytes_per_s: float, object_size: int, *, rtt_s: float | None = None,
           stream_bytes_per_s: float | None = None, workers: int = 8) -> Advice:
    """The concurrency, shard size and loader settings that reach `target_bytes_per_s`.

    rtt_s / stream_bytes_per_s override (or replace, with result=None) the measured values.
    """
    rtt = rtt_s if rtt_s is not None else result.rtt_s["median"]
    bw = stream_bytes_per_s if stream_bytes_per_s is not None else result.stream_bytes_per_s
    if target_bytes_per_s <= 0 or object_size <= 0 or bw <= 0:
        raise ValueError("target throughput, object size and stream bandwidth must be positive")
    w = seconds_per_request(rtt, object_size, bw)
    n_exact = in_flight_needed(target_bytes_per_s, rtt, object_size, bw)
    n = max(1, math.ceil(n_exact - 1e-9))
    shard = SHARD_MAX if target_bytes_per_s >= GiB else SHARD_MIN
    shard = max(shard, object_size) if object_size >= SHARD_MIN else shard
    n_shard = max(1, math.ceil(in_flight_needed(target_bytes_per_s, rtt, shard, bw) - 1e-9))
    workers = max(1, min(workers, n))
    per_worker = math.ceil(n / workers)
    warnings = []
    if object_size < SHARD_MIN:
        small = "per-sample objects" if object_size < MiB else "objects smaller than 64 MB"
        warnings.append(
            f"{small} ({_size(object_size)}): {n} requests in flight are needed, and each pays a round trip "
            f"of {rtt * 1000:.0f} ms; pack samples into {_size(SHARD_MIN)}-{_size(SHARD_MAX)} shards (webdataset tar, "
            f"litdata optimize, MDS), which need {n_shard} in flight.")
    if result is not None and result.sweep and target_bytes_per_s > 1.1 * result.peak_bytes_per_s:
        warnings.append(
            f"the target {_rate(target_bytes_per_s)} is above the best measured {_rate(result.peak_bytes_per_s)}; "
            "more requests in flight help only until the link or the store saturates: probe with higher "
            "--concurrency, or expect the measured peak.")
    warnings.append("litdata: resume state (StreamingDataLoader.state_dict) stores the dataset path, so a moved "
                    "dataset breaks resume unless the path is overridden (Lightning-AI/litData PR 497).")
    warnings.append("MosaicML streaming 0.13.0 pins numpy<2.2; with a newer numpy pip silently installs 0.10.0. "
                    "Pin numpy<2.2 or use the community fork streaming-community 0.14.2.")
    adv = Advice(target_bytes_per_s, object_size, rtt, bw, w, n_exact, n, shard, n_shard, workers, per_worker, warnings)
    adv.configs = configs(adv, result.url if result else None, result.endpoint_url if result else None)
    return adv


# --- loader configuration ------------------------------------------------------------------------

def configs(adv: Advice, url: str | None, endpoint: str | None) -> dict[str, str]:
    """Ready-to-paste settings per loader; each keeps about adv.in_flight (or shard_in_flight) requests out."""
    url = url or "s3://BUCKET/PREFIX"
    ep = endpoint or "https://S3_ENDPOINT"
    n, w, pw = adv.in_flight, adv.workers, adv.per_worker
    ns = adv.shard_in_flight
    sw = max(1, min(adv.workers, ns))
    sp = math.ceil(ns / sw)
    mb = adv.shard_bytes // 10**6
    return {
        "pytorch": f'''import torch
from homeport.data import stream

LOCATION = "{url}"  # or REMOTE:bucket/prefix from homeport.toml
IN_FLIGHT = {n}  # Little's law: {_rate(adv.target_bytes_per_s)} x {adv.seconds_per_request:.3f} s / {_size(adv.object_bytes)}


class Objects(torch.utils.data.IterableDataset):
    def __init__(self, keys):
        self.keys = keys

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid, nw = (info.id, info.num_workers) if info else (0, 1)
        mine = self.keys[wid::nw]  # each worker its own keys, {pw} requests in flight each
        for key, data in stream(LOCATION, keys=mine, in_flight=max(1, IN_FLIGHT // nw)):
            yield decode(key, data)  # your decoding


loader = torch.utils.data.DataLoader(Objects(keys), batch_size=BATCH, num_workers={w},
                                     prefetch_factor=2, persistent_workers=True)
''',
        "webdataset": f'''import webdataset as wds

# your shard names; one shard stream per worker: {ns} shards of {_size(adv.shard_bytes)} in flight -> {sw} workers
urls = "pipe:aws s3 cp --endpoint-url {ep} {url}/shard-{{000000..000999}}.tar -"
ds = wds.WebDataset(urls, shardshuffle=1000, nodesplitter=wds.split_by_node).decode()
loader = wds.WebLoader(ds, batch_size=BATCH, num_workers={sw}, prefetch_factor=2)
# multi-node: resampled=True plus .with_epoch(n) avoids DDP hangs on unequal shard counts
''',
        "litdata": f'''import litdata as ld

# write shards with ld.optimize(..., chunk_bytes="{mb}MB"); {ns} chunks in flight = {sw} workers x {sp}
ds = ld.StreamingDataset("{url}", max_pre_download={sp},
                         storage_options={{"endpoint_url": "{ep}"}})
loader = ld.StreamingDataLoader(ds, batch_size=BATCH, num_workers={sw})
''',
        "mosaicml-streaming": f'''import os

import torch

os.environ["S3_ENDPOINT_URL"] = "{ep}"
from streaming import StreamingDataset  # numpy<2.2, or streaming-community

# MDSWriter(size_limit="{mb}mb"); predownload counts samples: {sp} shards ahead per worker x {sw} workers
ds = StreamingDataset(remote="{url}", local="/tmp/mds-cache", batch_size=BATCH,
                      predownload={sp} * SAMPLES_PER_SHARD, download_retry=5)
loader = torch.utils.data.DataLoader(ds, batch_size=BATCH, num_workers={sw})
''',
    }


# --- measuring -----------------------------------------------------------------------------------

def probe(store, *, sizes: tuple[int, ...] = (8 * MiB,), concurrencies: tuple[int, ...] = (1, 4, 16, 64),
          rtt_samples: int = 10, stream_bytes: int = 64 * MiB, seconds_per_level: float = 3.0,
          max_requests_per_level: int = 256, target_bytes_per_s: float | None = None) -> ProbeResult:
    """Measure `store` (a Store or a location string). Reads existing objects of at least max(sizes)
    when there are some; otherwise writes probe objects under homeport-probe/ and deletes them after."""
    store = resolve(store)
    size = max(sizes)
    big, small, scanned = _scan(store, size)
    written: list[str] = []
    try:
        if big:
            objects, note = "existing", f"ranged GETs over {len(big)} existing object(s) of at least {_size(size)}"
        else:
            count = min(4, max(concurrencies))
            written = _write_probe_objects(store, size, count, scanned)
            big = [ObjectInfo(k, size) for k in written]
            objects = "written"
            note = (f"no object of at least {_size(size)} in the first {scanned} listed: wrote {count} probe "
                    f"object(s) of {_size(size)} under {PROBE_PREFIX} (deleted afterwards)")
        rtt = _rtt(store, (small or big)[0].key, rtt_samples)
        stream_bps, stream_req = _one_stream(store, max(big, key=lambda i: i.size), stream_bytes, rtt["median"])
        sweep = [_level(store, big, s, c, seconds_per_level, max_requests_per_level)
                 for s in sizes for c in concurrencies]
    finally:
        for key in written:
            try:
                store.delete(key)
            except StoreError:
                pass  # the note below still says where they were
    loc = getattr(store, "location", None)
    return ProbeResult(location=str(loc) if loc is not None else "?", rtt_s=rtt, stream_bytes_per_s=stream_bps,
                       stream_request_bytes=stream_req, sweep=sweep, objects=objects, objects_note=note,
                       endpoint_url=getattr(loc, "endpoint_url", None), url=_url(loc))


def _url(loc) -> str | None:
    if loc is None or getattr(loc, "kind", None) != "s3":
        return None
    return "s3://" + "/".join(p for p in (loc.bucket, loc.prefix) if p)


def _scan(store: Store, size: int):
    big, small, n = [], [], 0
    for info in store.list(""):
        n += 1
        if info.key.startswith(PROBE_PREFIX):
            continue
        (big if info.size >= size else small).append(info)
        if n >= SCAN_LIMIT or len(big) >= 64:
            break
    return big, small, n


def _write_probe_objects(store: Store, size: int, count: int, scanned: int) -> list[str]:
    run = uuid.uuid4().hex[:12]
    block = bytes(range(256)) * (MiB // 256)
    keys = []
    try:
        for i in range(count):
            key = f"{PROBE_PREFIX}{run}-{i:03d}.bin"
            full, rest = divmod(size, len(block))
            store.put(key, [block] * full + ([block[:rest]] if rest else []))
            keys.append(key)
    except StoreError as exc:
        for key in keys:
            store.delete(key)
        raise StoreError(f"the location has no object of at least {_size(size)} to read (first {scanned} listed), "
                         f"and writing probe objects under {PROBE_PREFIX} failed", got=str(exc),
                         hint="grant write access for the probe, or pass a smaller request size (--request-size)") from exc
    return keys


def _rtt(store: Store, key: str, samples: int) -> dict:
    store.head(key)  # the first request also opens the connection: not a round trip of a warm client
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        store.head(key)
        times.append(time.perf_counter() - t0)
    times.sort()
    return {"median": statistics.median(times), "p90": times[min(len(times) - 1, math.ceil(0.9 * len(times)) - 1)],
            "min": times[0], "samples": len(times), "request": "HEAD"}


def _one_stream(store: Store, info: ObjectInfo, limit: int, rtt: float) -> tuple[float, int]:
    n = min(info.size, limit)
    t0 = time.perf_counter()
    got = len(fetch(store, Part(info.key, 0, n)))
    dt = time.perf_counter() - t0
    # per-stream bandwidth excludes the first byte's round trip, as W = RTT + size / bandwidth does
    return got / max(dt - rtt, dt * 0.05, 1e-6), got


def _level(store: Store, objects: list[ObjectInfo], size: int, in_flight: int, seconds: float, cap: int) -> Sweep:
    ranges = [Part(o.key, s, s + size) for o in objects for s in range(0, o.size - size + 1, size)]
    want = min(cap, max(2 * in_flight, 4))
    deadline = [0.0]

    def tasks():
        for i in range(want):
            if i >= in_flight and time.perf_counter() > deadline[0]:
                return
            p = ranges[i % len(ranges)]
            yield lambda stop, p=p: len(fetch(store, p, stop=stop))

    t0 = time.perf_counter()
    deadline[0] = t0 + seconds
    total = n = 0
    for got in window(tasks(), in_flight, ordered=False):
        total += got
        n += 1
    dt = time.perf_counter() - t0
    return Sweep(in_flight, size, n, dt, total / dt if dt > 0 else 0.0)


# --- units ---------------------------------------------------------------------------------------

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": KiB, "m": 10**6, "mb": 10**6, "mib": MiB,
          "g": 10**9, "gb": 10**9, "gib": GiB, "t": 10**12, "tb": 10**12, "tib": 1024**4}


def parse_size(text: str) -> int:
    """'64MiB', '8 MB', '1GiB/s' (the '/s' is ignored) -> bytes."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*(/\s*s)?\s*", str(text))
    unit = m.group(2).lower() if m else None
    if not m or unit not in _UNITS:
        from homeport.core.errors import UsageError

        raise UsageError(f"cannot read the size {text!r}", expected="a number with a unit, e.g. 64MiB, 800MB/s, 1GiB/s")
    return int(float(m.group(1)) * _UNITS[unit])


def _size(n: float) -> str:
    for unit, f in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= f:
            return f"{n / f:.4g} {unit}"
    return f"{n:.0f} B"


def _rate(n: float) -> str:
    return _size(n) + "/s"


# --- output and command line (registered by cli/data_cmd.py) -------------------------------------

def render(result: ProbeResult, advice: Advice | None, console) -> None:
    from rich.syntax import Syntax
    from rich.table import Table

    r = result.rtt_s
    console.print(f"[bold]{result.location}[/]  round trip {r['median'] * 1000:.1f} ms median, "
                  f"{r['p90'] * 1000:.1f} ms p90 ({r['samples']} {r['request']}s); one stream "
                  f"{_rate(result.stream_bytes_per_s)} ({_size(result.stream_request_bytes)} GET)")
    console.print(f"objects: {result.objects_note}", highlight=False)
    table = Table(title="throughput against requests in flight")
    for col in ("in flight", "request", "requests", "seconds", "throughput"):
        table.add_column(col, justify="right")
    for s in result.sweep:
        table.add_row(str(s.in_flight), _size(s.request_bytes), str(s.requests), f"{s.seconds:.2f}", _rate(s.bytes_per_s))
    console.print(table)
    if advice is None:
        return
    a = advice
    console.print(f"\n[bold]For {_rate(a.target_bytes_per_s)} from {_size(a.object_bytes)} objects[/]: "
                  f"W = {a.rtt_s * 1000:.0f} ms + {_size(a.object_bytes)} / {_rate(a.stream_bytes_per_s)} = "
                  f"{a.seconds_per_request:.3f} s, so N = X x W / size = {a.in_flight_exact:.1f} -> "
                  f"[bold]{a.in_flight} requests in flight[/] (Little's law, research/data.md s2.1)")
    console.print(f"shards: {_size(a.shard_bytes)} ({a.shard_in_flight} in flight at that size)")
    for w in a.warnings:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    for name, code in a.configs.items():
        console.print(f"\n[bold]{name}[/]")
        console.print(Syntax(code, "python", theme="ansi_dark", word_wrap=True))


def add_parser(sub) -> None:
    """Register `probe` under `homeport data` (sub: the data command's subparsers)."""
    p = sub.add_parser("probe", help="measure round trip and throughput, and size the loader (Little's law)",
                       description=__doc__)
    p.add_argument("location", metavar="LOCATION", help="local path, s3://bucket/prefix or REMOTE:bucket/prefix")
    p.add_argument("--target-throughput", default="1GiB/s", help="what the training needs (default 1GiB/s)")
    p.add_argument("--object-size", default=None,
                   help="size of the objects or shards the loader reads (default: the median of those listed)")
    p.add_argument("--request-size", default="8MiB", help="ranged GET size for the in-flight sweep (default 8MiB)")
    p.add_argument("--concurrency", default="1,4,16,64", help="requests in flight to try (default 1,4,16,64)")
    p.add_argument("--seconds", type=float, default=3.0, help="time per concurrency level (default 3)")
    p.add_argument("-f", "--format", choices=["text", "json"], default="text")
    p.set_defaults(run=run)


def run(args) -> int:
    import json
    import sys

    from rich.console import Console

    from homeport.core.errors import UsageError

    try:
        conc = tuple(int(c) for c in str(args.concurrency).split(",") if c.strip())
    except ValueError:
        conc = ()
    if not conc or min(conc) < 1:
        raise UsageError(f"cannot read --concurrency {args.concurrency!r}", expected="positive integers, e.g. 1,4,16,64")
    target = parse_size(args.target_throughput)
    store = resolve(args.location)
    result = probe(store, sizes=(parse_size(args.request_size),), concurrencies=conc, seconds_per_level=args.seconds)
    obj = parse_size(args.object_size) if args.object_size else _median_size(store)
    advice = advise(result, target, obj)
    if args.format == "json":
        sys.stdout.write(json.dumps({**result.to_dict(), "advice": advice.to_dict()}, indent=2) + "\n")
    else:
        render(result, advice, Console())
    return 0


def _median_size(store: Store) -> int:
    sizes = []
    for info in store.list(""):
        if not info.key.startswith(PROBE_PREFIX):
            sizes.append(info.size)
        if len(sizes) >= SCAN_LIMIT:
            break
    return int(statistics.median(sizes)) if sizes and statistics.median(sizes) > 0 else SHARD_MIN

"""`homeport data plan`: what a copy would move and how long it would take, before a byte moves.

The source listing streams into the manifest (never into memory); a few timed GETs of the source
measure time to first byte and per-stream throughput, and the estimate follows from them. Egress cost
comes from the catalog (homeport.catalog.egress): the listed bytes at the source provider's list price,
what its exit waiver makes of that, and, given a monthly volume, the ongoing figure; where the catalog
has no price the plan says so instead of guessing.
"""

from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from homeport.data.manifest import Entry, write_manifest
from homeport.data.store import keyable

PROBE_OBJECTS = 3
PROBE_BYTES = 16 * 1024 * 1024  # per probed object: enough to see the stream's rate, little to pay for


@dataclass
class PlanResult:
    objects: int
    bytes: int
    manifest: Path
    first_byte_s: float | None  # median time to first byte of the probe GETs
    stream_bytes_per_s: float | None  # median throughput of one stream
    workers: int
    estimate_s: float | None
    egress: str  # the cost in lines of text, or why there is none
    egress_detail: dict = field(default_factory=dict)  # homeport.catalog.egress.Estimate.to_dict()
    refused: list = field(default_factory=list)  # (name, why): objects a copy would refuse, not in the manifest

    def estimate_sentence(self) -> str:
        if self.estimate_s is None:
            return "time: not estimated (nothing to measure: the source is empty)"
        return (f"time: about {_duration(self.estimate_s)} with {self.workers} parallel streams, from a measured "
                f"{self.first_byte_s * 1000:.0f} ms to first byte and {self.stream_bytes_per_s / 1e6:.1f} MB/s per "
                f"stream, assuming the link carries {self.workers} streams at that rate "
                "(`homeport data probe` measures how far it does)")

    def to_dict(self) -> dict:
        return {**asdict(self), "manifest": str(self.manifest)}


def egress_estimate(src_location, dst_location, nbytes: int, monthly_bytes: int | None = None):
    """The catalog's egress estimate (homeport.catalog.egress.Estimate) for copying out of the source."""
    from homeport.catalog.egress import estimate

    return estimate(src_location, dst_location, nbytes, monthly_bytes=monthly_bytes)


def plan(src, dst, *, manifest: str | Path, workers: int = 16, monthly_egress: int | None = None) -> PlanResult:
    objects = total = 0
    largest: list[tuple[int, str]] = []  # a min-heap of the biggest objects: the ones worth timing
    refused: list[tuple[str, str]] = []

    def entries():
        nonlocal objects, total
        for info in keyable(src.list(), refused):
            objects += 1
            total += info.size
            if info.size:
                heapq.heappush(largest, (info.size, info.key))
                if len(largest) > PROBE_OBJECTS:
                    heapq.heappop(largest)
            yield Entry(info.key, info.size, None, info.etag, info.mtime)

    listing = entries()
    first = next(listing, None)  # a missing source fails here, before the manifest file is created
    write_manifest(manifest, itertools.chain([first], listing) if first else [])
    refused += getattr(src, "skipped", [])
    first_byte, rate = _probe(src, [key for _, key in largest])
    estimate = None
    if first_byte is not None:
        estimate = (objects * first_byte + total / rate) / max(1, workers)
    egress = egress_estimate(getattr(src, "location", None), getattr(dst, "location", None), total, monthly_egress)
    return PlanResult(objects, total, Path(manifest), first_byte, rate, workers, estimate, "\n".join(egress.lines()),
                      egress.to_dict(), refused)


def _probe(src, keys: list[str]) -> tuple[float | None, float | None]:
    """Median time to first byte and median bytes/s of one stream, over GETs of `keys`."""
    firsts, rates = [], []
    for key in keys:
        t0 = time.perf_counter()
        t1, got = None, 0
        for chunk in src.get(key, 0, PROBE_BYTES):
            t1 = t1 or time.perf_counter()
            got += len(chunk)
        if t1 is None:
            continue
        t2 = time.perf_counter()
        firsts.append(t1 - t0)
        rates.append(got / max(t2 - t0, 1e-6))
    if not firsts:
        return None, None
    return sorted(firsts)[len(firsts) // 2], sorted(rates)[len(rates) // 2]


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"

"""Re-read every destination object and check its size and SHA-256 against the evidence: a manifest
(what the copy recorded) or the source itself (hashed again). Both sides are walked in key order as
streams, so neither listing is held in memory. ETags are never compared across stores.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from homeport.core.errors import HomeportError
from homeport.data.manifest import Entry, read_manifest

SAMPLES = 100  # differences listed by name; all are counted


@dataclass
class VerifyResult:
    checked: int = 0
    ok: int = 0
    size_only: int = 0  # the evidence had no SHA-256 (a plan manifest): the size was checked, not the bytes
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    mismatched: list[tuple[str, str]] = field(default_factory=list)  # (key, what differs)
    counts: dict = field(default_factory=lambda: {"missing": 0, "extra": 0, "mismatched": 0})

    @property
    def clean(self) -> bool:
        return not any(self.counts.values())

    def _add(self, kind: str, item) -> None:
        self.counts[kind] += 1
        if len(getattr(self, kind)) < SAMPLES:
            getattr(self, kind).append(item)


def sha256_of(store, key: str) -> tuple[int, str]:
    sha, size = hashlib.sha256(), 0
    for chunk in store.get(key):
        sha.update(chunk)
        size += len(chunk)
    return size, sha.hexdigest()


def verify(dst, *, manifest=None, source=None, workers: int = 16) -> VerifyResult:
    """Compare `dst` with a manifest path or a source store (exactly one)."""
    if (manifest is None) == (source is None):
        raise HomeportError("verify needs one kind of evidence.", expected="a manifest or a source store")
    if manifest is not None:
        evidence = _ordered(read_manifest(manifest), str(manifest))
    else:
        evidence = (Entry(i.key, i.size) for i in source.list())
    result = VerifyResult()
    with ThreadPoolExecutor(workers, thread_name_prefix="homeport-verify") as pool:
        # a bounded window of hashing jobs keeps the pool busy without queueing the whole listing
        window = []
        for want, have in _merge(evidence, dst.list()):
            if have is None:
                result._add("missing", want.key)
            elif want is None:
                result._add("extra", have.key)
            else:
                window.append(pool.submit(_check, dst, source, want, have.size))
                if len(window) >= workers * 4:
                    _collect(result, window.pop(0).result())
        for fut in window:
            _collect(result, fut.result())
    return result


def _check(dst, source, want: Entry, size: int) -> tuple[str, str | None, bool]:
    """(key, what differs or None, whether only the size could be checked)."""
    if size != want.size:
        return want.key, f"size {size}, expected {want.size}", False
    expected = want.sha256
    if source is not None:
        expected = sha256_of(source, want.key)[1]
    if not expected:
        return want.key, None, True
    got_size, got = sha256_of(dst, want.key)
    if got_size != want.size:
        return want.key, f"read {got_size} bytes, expected {want.size}", False
    return want.key, (None if got == expected else f"sha256 {got[:12]}…, expected {expected[:12]}…"), False


def _collect(result: VerifyResult, outcome: tuple[str, str | None, bool]) -> None:
    key, why, size_only = outcome
    result.checked += 1
    if why:
        result._add("mismatched", (key, why))
    else:
        result.ok += 1
        result.size_only += size_only


def _ordered(entries: Iterable[Entry], name: str) -> Iterator[Entry]:
    last = None
    for entry in entries:
        if last is not None and entry.key <= last:
            raise HomeportError(f"The manifest {name} is not in key order (at {entry.key!r}).",
                                expected="keys in ascending order, each once, as homeport writes them",
                                hint="regenerate it with `homeport data plan`, or sort it by key")
        last = entry.key
        yield entry


def _merge(left: Iterable, right: Iterable) -> Iterator[tuple]:
    """Pairs (l, r) of two key-ordered streams; None on the side that lacks the key."""
    left, right = iter(left), iter(right)
    a, b = next(left, None), next(right, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a.key < b.key):
            yield a, None
            a = next(left, None)
        elif a is None or b.key < a.key:
            yield None, b
            b = next(right, None)
        else:
            yield a, b
            a, b = next(left, None), next(right, None)

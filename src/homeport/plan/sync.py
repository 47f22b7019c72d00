"""Copy one storage area from one profile to the other, then verify every copied object: at cutover (source ->
target, the latest training state) and at rollback (target -> source, what the target produced).

Built on `homeport data`: the copy streams, hashes and resumes from its own journal (a rerun after a kill
copies only what is missing), its manifest records each object's SHA-256, and the destination is read back
and checked against it. Before anything is written, objects the destination already holds under the same key
are compared with the source's: the same bytes are fine, different bytes are a conflict a person resolves
(nothing is overwritten). Objects the destination has and the source does not are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from homeport.core.errors import HomeportError
from homeport.data.copy import copy
from homeport.data.locations import find_config, load_config, open_store, parse_location
from homeport.data.store import ObjectInfo
from homeport.data.verify import sha256_of, verify
from homeport.plan.spec import Plan, Profile

Progress = Callable[[str, int], None]  # data.copy's: ("total", bytes), ("advance", bytes)


class SyncError(HomeportError):
    """The area could not be copied or verified; the message says what a person does next."""


@dataclass(frozen=True)
class Conflict:
    key: str
    why: str


def sync_area(plan: Plan, area: str, src: Profile, dst: Profile, op: str, progress: Progress | None = None) -> dict:
    config = load_config(find_config(plan.base))
    src_text, dst_text = src.storage[area], dst.storage[area]
    source = open_store(parse_location(src_text, config))
    destination = open_store(parse_location(dst_text, config))
    conflicts = list(conflicts_between(source, destination))
    if conflicts:
        shown = "; ".join(f"{c.key} ({c.why})" for c in conflicts[:5]) + (" ..." if len(conflicts) > 5 else "")
        raise SyncError(f"{len(conflicts)} object(s) of {area} differ between {src.name} and {dst.name} under the same "
                        f"key: copying would overwrite {dst.name}'s", got=shown,
                        hint=f"decide which to keep: move {dst.name}'s aside (a copy to another prefix), or remove "
                             f"the {src.name} ones that are not wanted, then run the command again; nothing was copied")
    base = plan.state_dir / "sync" / f"{op}-{area}"
    result = copy(source, destination, journal=base.with_suffix(".sqlite"), manifest=base.with_suffix(".manifest.jsonl"),
                  workers=8, progress=progress)
    if result.failed:
        shown = "; ".join(f"{k}: {why}" for k, why in result.failed[:3])
        raise SyncError(f"{len(result.failed)} object(s) of {area} could not be copied from {src_text} to {dst_text}",
                        got=shown, hint="fix the cause, then run the command again: it copies only what is missing")
    checked = verify(destination, manifest=result.manifest, workers=8)
    bad = checked.counts["missing"] + checked.counts["mismatched"]
    if bad or checked.size_only:
        shown = "; ".join([*(f"missing {k}" for k in checked.missing[:3]),
                           *(f"{k}: {why}" for k, why in checked.mismatched[:3])])
        raise SyncError(f"{bad} object(s) of {area} at {dst_text} do not match what was copied", got=shown,
                        hint="run the command again: the copy resumes and the objects are checked again")
    return {"area": area, "from": src_text, "to": dst_text, "listed": result.listed, "copied": result.copied,
            "already": result.skipped, "bytes": result.bytes_copied, "verified": checked.ok,
            "manifest": str(result.manifest)}


def conflicts_between(source, destination) -> Iterator[Conflict]:
    """Keys both stores hold with different bytes: sizes first, then SHA-256 (the metadata a copy wrote, else the
    bytes read). Both listings are walked in key order, as streams."""
    src, dst = iter(source.list()), iter(destination.list())
    a, b = next(src, None), next(dst, None)
    while a is not None and b is not None:
        if a.key < b.key:
            a = next(src, None)
        elif b.key < a.key:
            b = next(dst, None)
        else:
            why = _differs(source, a, destination, b)
            if why:
                yield Conflict(a.key, why)
            a, b = next(src, None), next(dst, None)


def _differs(source, a: ObjectInfo, destination, b: ObjectInfo) -> str | None:
    if a.size != b.size:
        return f"{a.size} bytes here, {b.size} there"
    sha_a, sha_b = _sha256(source, a), _sha256(destination, b)
    return None if sha_a == sha_b else f"same size, SHA-256 {sha_a[:12]}... here, {sha_b[:12]}... there"


def _sha256(store, info: ObjectInfo) -> str:
    """The SHA-256 a homeport copy recorded in the object's metadata (one HEAD), else of its bytes."""
    recorded = info.metadata.get("sha256") or ((store.head(info.key) or info).metadata or {}).get("sha256")
    return recorded or sha256_of(store, info.key)[1]

"""Copy every object of one store into another: streamed, parallel, hashed, resumable.

The source listing goes into the journal (SQLite on disk, never a list in memory) and a thread pool copies
what is not done yet: a new job copies each batch of the listing as soon as it is journaled, a rerun reads
the whole listing first (to tell finished, changed and gone objects apart) and then copies. Small objects: one GET, hashed into a spool, then one PUT carrying
`sha256` in its metadata (S3 sends metadata before the body, so the hash must be known first). Large
objects: ranged GETs of part_size, each sent as one part of a multipart upload, parts in parallel; the
whole-object SHA-256 is fed the parts in number order as they arrive (parts uploaded by an earlier run
are read again from the source). Transient errors (503 SlowDown, resets) are retried with exponential
backoff and full jitter; an object still failing is marked failed and reported (exit 1).
ETags are never compared across stores: the SHA-256 in the manifest is the evidence.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import queue
import random
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from homeport.core.errors import UsageError
from homeport.data import journal as jn
from homeport.data.journal import Journal
from homeport.data.locations import canonical
from homeport.data.manifest import Entry, write_manifest
from homeport.data.store import CHUNK, NotFound, ObjectInfo, StoreError, Transient, keyable

MiB = 1024 * 1024
MAX_PARTS = 10_000  # S3's limit: larger objects get larger parts
PART_BUDGET = 256 * MiB  # bytes of parts read and not yet landed, over all large objects

Progress = Callable[[str, int], None]  # ("total", bytes more to copy), ("advance", bytes that landed)


@dataclass
class CopyResult:
    listed: int = 0
    copied: int = 0
    skipped: int = 0  # done in an earlier run and still present at the destination
    bytes_copied: int = 0
    parts_uploaded: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (key, why)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (name as printable text, why): never copied
    gone: int = 0  # listed by an earlier run, deleted from the source since, never copied
    replaced: int = 0  # objects that were at the destination before this job and were written over
    kept: int = 0  # --no-clobber: objects that were at the destination and were left as they are
    dry_run: bool = False
    to_copy: int = 0  # dry run: objects and bytes a real run would copy
    bytes_to_copy: int = 0
    journal: Path | None = None
    manifest: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and not self.refused


def in_shard(key: str, shard: tuple[int, int] | None) -> bool:
    """A stable hash of the key (the same on every machine and Python) picks one of N workers."""
    if shard is None:
        return True
    k, n = shard
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % n == k


def retry(fn, attempts: int = 5, backoff: float = 0.2, cap: float = 20.0):
    """fn(), again after a Transient error, sleeping up to backoff * 2**i (full jitter)."""
    for i in itertools.count():
        try:
            return fn()
        except Transient:
            if i + 1 >= attempts:
                raise
            time.sleep(random.uniform(0, min(cap, backoff * 2 ** i)))


def part_size_for(size: int, part_size: int) -> int:
    """part_size, or the next whole MiB that keeps the object within MAX_PARTS parts."""
    need = -(-size // MAX_PARTS)
    return part_size if need <= part_size else -(-need // MiB) * MiB


def copy(src, dst, *, journal: Journal | str | Path, workers: int = 16, part_size: int = 8 * MiB,
         multipart_threshold: int = 64 * MiB, shard: tuple[int, int] | None = None, dry_run: bool = False,
         progress: Progress | None = None, manifest: str | Path | None = None, attempts: int = 5,
         backoff: float = 0.2, no_clobber: bool = False) -> CopyResult:
    if not getattr(dst, "writable", True):
        raise UsageError(f"{dst.location} cannot be a destination", expected="a local path, s3:// or REMOTE:",
                         got=f"a {type(dst).__name__} (homeport reads Azure Blob and GCS, it does not write them)",
                         hint="swap the arguments if you meant to copy from it; nothing was written")
    _refuse_nested(src, dst)
    _check_part_size(part_size, dst)
    # the first listing pages come before anything is written: a missing source or bucket, or credentials
    # the store refuses, on either side, end the command with nothing on disk
    listing = iter(src.list())
    first = next(listing, None)
    _reachable(dst)
    refused: list[tuple[str, str]] = []
    infos = keyable((i for i in itertools.chain([first] if first else [], listing) if in_shard(i.key, shard)),
                     refused)
    if dry_run:
        result = _dry_run(infos, journal)
        result.refused = refused + getattr(src, "skipped", [])
        return result
    jr = journal if isinstance(journal, Journal) else Journal(journal)
    jr.check_job(src=canonical(src.location), dst=canonical(dst.location), shard=str(shard))
    result = CopyResult(journal=jr.path, refused=refused)
    jr.note_destination(_listing(dst))
    job = _Job(src, dst, jr, result, progress or (lambda kind, n: None), part_size, multipart_threshold,
               attempts, backoff, workers)
    if jr.is_new():  # nothing to check or resume: the copy starts with the first page of the listing
        job.run_while_listing(infos, no_clobber)
        clashed = jr.clashes(states=None)  # all of them were at the destination before this job
        result.kept, result.replaced = (clashed, 0) if no_clobber else (0, clashed)
    else:
        result.listed = jr.add_listing(infos)
        result.gone = jr.counts().get(jn.GONE, (0, 0))[0]
        if no_clobber:
            result.kept = jr.keep_existing()
        else:
            result.replaced = jr.clashes()
        job.run()
    result.refused += getattr(src, "skipped", [])
    result.failed = [(k, e or "") for k, e in jr.failures()]
    # a task that died outside its own error handling leaves its object pending: never report it copied
    result.failed += [(r[0], "not finished (an unexpected error; rerun with --debug)") for r in jr.rows(jn.PENDING)]
    result.manifest = Path(manifest) if manifest else jr.path.with_suffix(".manifest.jsonl")
    write_manifest(result.manifest, (Entry(r[0], r[1], r[5], r[2], r[3]) for r in jr.rows(jn.DONE)))
    return result


def _refuse_nested(src, dst) -> None:
    """A destination inside the source (or the source itself) would copy itself again on each run, and, as
    the copy starts while the source is listed, its own new objects again within the run."""
    a, b = _place(src), _place(dst)
    if a is not None and b is not None and a[0] == b[0] and b[1].startswith(a[1]):
        raise UsageError(f"the destination {dst.location} is inside the source {src.location}",
                         expected="a destination outside the source", got=str(dst.location),
                         hint="choose a sibling directory or prefix; nothing was written")


def _place(store) -> tuple[object, str] | None:
    """(namespace, prefix) of a store's location: a destination whose prefix starts with the source's in the
    same namespace is inside it. A directory (LocalStore.root) or an S3 bucket at its endpoint; else None."""
    root = getattr(store, "root", None)
    if root is not None:
        return "local", os.path.join(Path(root).resolve(), "")
    location = getattr(store, "location", None)
    if getattr(location, "kind", None) == "s3":
        return (store.client.meta.endpoint_url, location.bucket), location.key_prefix
    return None


def _check_part_size(part_size: int, dst) -> None:
    """S3 stores refuse a part under 5 MiB only when the upload completes: refuse it before any byte moves."""
    low, high = getattr(dst, "part_limits", (1, float("inf")))
    if not low <= part_size <= high:
        raise UsageError(f"a part size of {part_size:,} bytes is outside what {dst.location} accepts",
                         expected=f"{low // 1024 ** 2}MiB to {high // 1024 ** 3}GiB for this destination",
                         got=f"{part_size:,} bytes", hint="pass e.g. --part-size 8MiB; nothing was written")


def _listing(dst):
    """The destination's objects; an empty or not yet created destination has none."""
    try:
        yield from dst.list()
    except NotFound:
        return


def _reachable(dst) -> None:
    """One listing page of the destination: a missing bucket or refused credentials stop the copy here."""
    try:
        next(iter(dst.list()), None)
    except NotFound:
        if getattr(dst, "root", None) is None:  # a local directory (LocalStore.root) is made by the first write
            raise


def _dry_run(infos: Iterable[ObjectInfo], journal) -> CopyResult:
    """Count what a real run would copy; an existing journal's finished objects count as done. Writes nothing."""
    path = journal.path if isinstance(journal, Journal) else Path(journal)
    done = {}
    if path.is_file():
        import sqlite3

        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        lookup = lambda key: db.execute("SELECT size, etag FROM objects WHERE key = ? AND state = 'done'",  # noqa: E731
                                        (key,)).fetchone()
    else:
        lookup = done.get
    result = CopyResult(dry_run=True, journal=path)
    for info in infos:
        result.listed += 1
        if lookup(info.key) == (info.size, info.etag):
            result.skipped += 1
        else:
            result.to_copy += 1
            result.bytes_to_copy += info.size
    return result


class _Stopped(Exception):
    """The copy ended (an error, Ctrl-C) while the listing was still going: the listing stops too."""


def _until_set(stop: threading.Event, items: Iterable):
    """`items`, ending with _Stopped at the first one after `stop` is set."""
    for item in items:
        if stop.is_set():
            raise _Stopped
        yield item


class _Job:
    """One run of the pool over the journal's objects."""

    def __init__(self, src, dst, jr: Journal, result: CopyResult, progress: Progress, part_size: int,
                 threshold: int, attempts: int, backoff: float, workers: int):
        self.src, self.dst, self.jr, self.result, self.progress = src, dst, jr, result, progress
        self.part_size, self.threshold, self.workers = part_size, max(threshold, 1), workers
        self.attempts, self.backoff = attempts, backoff
        self.retry = lambda fn: retry(fn, attempts, backoff)
        self.lock = threading.Lock()
        # bounds the small objects queued or in flight
        self.slots = threading.BoundedSemaphore(workers * 2)
        # large objects are read by one streaming GET each, as rclone reads them, on threads of their own
        # (a reader waits for slots that only the upload threads free, so it must never take one of theirs)
        self.readers = max(1, min(8, workers // 2))
        # parts in memory: bounded in bytes, so 64 workers with 32 MiB parts do not hold 2 GiB
        self.part_slots = threading.BoundedSemaphore(max(2, min(workers, PART_BUDGET // part_size)))
        self.stop = threading.Event()

    def run(self) -> None:
        # first the objects done in an earlier run: one the destination lost goes back to pending
        self._pool(lambda pool: [self._submit(pool, self._check_done, r[0], r[1], r[5]) for r in self.jr.rows(jn.DONE)])
        self.progress("total", sum(b for state, (_, b) in self.jr.counts().items()
                                   if state not in (jn.DONE, jn.GONE, jn.KEPT)))
        self._pool(lambda pool: self._dispatch(pool, self.jr.rows()))

    def run_while_listing(self, infos: Iterable[ObjectInfo], no_clobber: bool) -> None:
        """A new job: a thread journals the listing batch by batch while the pool copies the batches already
        journaled (as rclone starts before its listing ends; a million keys take minutes to list)."""
        batches: queue.Queue = queue.Queue(maxsize=8)  # bounded: the listing runs ahead by 8 batches at most

        def hand_over(keys: list[str]) -> None:
            if no_clobber:
                self.jr.keep_existing(keys)
            batches.put(keys)

        def journal_listing() -> None:
            try:
                self.result.listed = self.jr.add_listing(_until_set(self.stop, infos), batch=500, on_batch=hand_over)
            except BaseException as exc:  # noqa: BLE001  raised again in the copying thread
                batches.put(exc)
            else:
                batches.put(None)

        def journaled_rows():
            while (keys := batches.get()) is not None:
                if isinstance(keys, BaseException):
                    raise keys
                rows = self.jr.rows_of(keys)
                self.progress("total", sum(r[1] for r in rows if r[4] == jn.PENDING))
                yield from rows

        lister = threading.Thread(target=journal_listing, name="homeport-list", daemon=True)
        lister.start()
        try:
            self._pool(lambda pool: self._dispatch(pool, journaled_rows()))
        except BaseException:
            self.stop.set()
            while lister.is_alive():  # unblock a lister waiting on a full queue, then let it end
                try:
                    batches.get_nowait()
                except queue.Empty:
                    lister.join(0.05)
            raise
        lister.join()

    def _dispatch(self, pool, rows: Iterable) -> None:
        readers = ThreadPoolExecutor(self.readers, thread_name_prefix="homeport-read")
        reading = threading.BoundedSemaphore(self.readers * 2)  # objects opened ahead of their reader
        try:
            for row in rows:
                key, size, state, upload_id, psize = row[0], row[1], row[4], row[6], row[7]
                if state in (jn.DONE, jn.GONE, jn.KEPT):
                    continue
                if size >= self.threshold and size > self.part_size:
                    reading.acquire()
                    readers.submit(self._copy_large, pool, reading, key, size, upload_id, psize)
                else:
                    self._submit(pool, self._copy_small, key, size)
            readers.shutdown(wait=True)  # readers hand parts to `pool`: they end before it does
        except BaseException:
            self.stop.set()  # readers stop at their next chunk; their objects stay pending in the journal
            readers.shutdown(wait=True, cancel_futures=True)
            raise

    def _pool(self, fill) -> None:
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="homeport-copy")
        try:
            fill(pool)
            pool.shutdown(wait=True)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # the work in flight finishes and is journaled
            raise

    def _submit(self, pool, fn, *args, release: bool = True) -> None:
        self.slots.acquire()

        def task():
            try:
                fn(*args)
            finally:
                if release:
                    self.slots.release()
        pool.submit(task)

    def _fail(self, key: str, exc: BaseException) -> None:
        why = exc.render().splitlines()[0] if isinstance(exc, StoreError) else f"{type(exc).__name__}: {exc}"
        self.jr.failed(key, why)

    def _count(self, **fields: int) -> None:
        with self.lock:
            for name, n in fields.items():
                setattr(self.result, name, getattr(self.result, name) + n)

    # -- objects done in an earlier run ------------------------------------------------------------

    def _check_done(self, key: str, size: int, sha256: str | None) -> None:
        """Still there, and still what was copied: the size, and the SHA-256 the destination's metadata
        carries when it has one (a different object of the same size is copied again)."""
        try:
            info = self.retry(lambda: self.dst.head(key))
        except Exception as exc:  # noqa: BLE001  one object's trouble never stops the job
            return self._fail(key, exc)
        recorded = (info.metadata or {}).get("sha256") if info is not None else None
        if info is not None and info.size == size and (recorded is None or recorded == sha256):
            return self._count(skipped=1)
        self.jr.reset(key)

    # -- small objects -----------------------------------------------------------------------------

    def _copy_small(self, key: str, size: int) -> None:
        try:
            sha = self.retry(lambda: self._copy_small_once(key, size))
        except Exception as exc:  # noqa: BLE001
            return self._fail(key, exc)
        self.jr.done(key, sha)
        self._count(copied=1, bytes_copied=size)
        self.progress("advance", size)

    def _copy_small_once(self, key: str, size: int) -> str:
        sha = hashlib.sha256()
        with tempfile.SpooledTemporaryFile(max_size=8 * MiB) as spool:
            for chunk in self.src.get(key):
                sha.update(chunk)
                spool.write(chunk)
            _check_size(key, spool.tell(), size)
            spool.seek(0)
            self.dst.put(key, iter(lambda: spool.read(CHUNK), b""), metadata={"sha256": sha.hexdigest()})
        return sha.hexdigest()

    # -- large objects -----------------------------------------------------------------------------

    def _copy_large(self, pool, reading, key: str, size: int, upload_id: str | None, psize: int | None) -> None:
        try:
            upload = self.retry(lambda: self._resume_or_start(key, size, upload_id, psize))
        except Exception as exc:  # noqa: BLE001  one object's trouble never stops the job
            reading.release()
            return self._fail(key, exc)
        try:
            self._read_parts(pool, upload)
        except Exception as exc:  # noqa: BLE001
            upload.abandon(exc)
        finally:
            reading.release()

    def _resume_or_start(self, key: str, size: int, upload_id: str | None, psize: int | None) -> "_Upload":
        if upload_id:
            try:
                on_server = self.dst.list_parts(key, upload_id)
                # a part the journal missed (kill -9 between the PUT and the write) is whole on the server
                have = {n: e for n, e in on_server.items() if n <= -(-size // psize)}
                return _Upload(self, key, size, upload_id, psize, have)
            except NotFound:
                pass  # the upload expired or was aborted: start again
        psize = part_size_for(size, self.part_size)
        upload_id = self.dst.start_multipart(key)
        self.jr.start_upload(key, upload_id, psize)
        return _Upload(self, key, size, upload_id, psize, {})

    def _read_parts(self, pool, upload: "_Upload") -> None:
        """Stream the whole object once: hash every byte in order, and hand each part that is not on the
        destination yet to the upload threads (parts an earlier run uploaded are read for the hash only)."""
        sha, number, pieces, held, total = hashlib.sha256(), 1, [], 0, 0
        for chunk in self._stream(upload.key, upload.size):
            if upload.error or self.stop.is_set():
                return
            total += len(chunk)
            sha.update(chunk)
            pieces.append(chunk)
            held += len(chunk)
            while number <= upload.n and held >= upload.part_bytes(number):
                data = b"".join(pieces)
                cut = upload.part_bytes(number)
                pieces, held = ([data[cut:]] if len(data) > cut else []), len(data) - cut
                self._send_part(pool, upload, number, data[:cut])
                number += 1
        _check_size(upload.key, total, upload.size)
        upload.read(sha.hexdigest())

    def _stream(self, key: str, size: int):
        """The object's bytes in order; a dropped connection resumes at the byte it reached (ranged GET)."""
        at, failures = 0, 0
        while at < size:
            try:
                for chunk in self.src.get(key, at, size):
                    at += len(chunk)
                    yield chunk
                if at < size:  # the stream ended early: the object is shorter now
                    return
            except Transient:
                failures += 1
                if failures >= self.attempts:
                    raise
                time.sleep(random.uniform(0, min(20.0, self.backoff * 2 ** (failures - 1))))

    def _send_part(self, pool, upload: "_Upload", number: int, data: bytes) -> None:
        if number in upload.have:
            return self.progress("advance", len(data))
        self.part_slots.acquire()

        def put():
            try:
                etag = self.retry(lambda: self.dst.put_part(upload.key, upload.upload_id, number, data))
                self.jr.part_done(upload.key, upload.upload_id, number, etag)
                self._count(parts_uploaded=1, bytes_copied=len(data))
                self.progress("advance", len(data))
                upload.landed(number, etag)
            except Exception as exc:  # noqa: BLE001
                upload.abandon(exc)
            finally:
                self.part_slots.release()
        pool.submit(put)


class _Upload:
    """One multipart object in flight: its parts' ETags as they land, and its SHA-256 once read."""

    def __init__(self, job: _Job, key: str, size: int, upload_id: str, part_size: int, have: dict[int, str]):
        self.job, self.key, self.size, self.upload_id, self.part_size = job, key, size, upload_id, part_size
        self.n = -(-size // part_size)
        self.have = dict(have)  # uploaded by an earlier run
        self.etags = dict(have)
        self.pending = self.n - len(have)  # parts still to land
        self.sha: str | None = None  # set when the whole object was read
        self.error: BaseException | None = None
        self.finishing = False
        self.lock = threading.Lock()

    def part_bytes(self, number: int) -> int:
        return min(self.part_size, self.size - (number - 1) * self.part_size)

    def landed(self, number: int, etag: str) -> None:
        with self.lock:
            self.etags[number] = etag
            self.pending -= 1
        self._finish_when_ready()

    def read(self, sha: str) -> None:
        with self.lock:
            self.sha = sha
        self._finish_when_ready()

    def _finish_when_ready(self) -> None:
        """Whichever of the reader and the last part comes second completes the upload, once."""
        with self.lock:
            if self.finishing or self.error or self.pending or self.sha is None:
                return
            self.finishing = True
        try:
            self._finish()
        except Exception as exc:  # noqa: BLE001  e.g. the source's HEAD refused: the object fails, the job goes on
            self.job._fail(self.key, exc)

    def _finish(self) -> None:
        job, sha = self.job, self.sha
        if self._source_changed():
            return
        try:
            job.retry(lambda: job.dst.complete_multipart(self.key, self.upload_id, sorted(self.etags.items())))
        except Transient as exc:  # the parts stay: a rerun completes the same upload
            return job._fail(self.key, exc)
        except Exception as exc:  # noqa: BLE001  refused (e.g. parts too small): a rerun starts a new upload
            try:
                job.dst.abort_multipart(self.key, self.upload_id)
            except StoreError:
                pass
            why = exc.render().replace("\n", " ") if isinstance(exc, StoreError) else f"{type(exc).__name__}: {exc}"
            return job.jr.failed(self.key, why, restart=True)
        set_metadata = getattr(job.dst, "set_metadata", None)  # S3 takes metadata only when an upload starts
        if set_metadata:
            try:  # the object is complete and hashed: the manifest has the SHA-256 even if this fails
                job.retry(lambda: set_metadata(self.key, {"sha256": sha}))
            except StoreError:
                pass  # e.g. CopyObject above 5 GiB, or a store without it: verify reads the manifest
        job.jr.done(self.key, sha)
        job._count(copied=1)

    def _source_changed(self) -> bool:
        """Parts of an earlier run, or a read resumed after a cut, come from other GETs: if the object
        changed meanwhile they may mix two versions. Checked once all is read; such an upload is dropped."""
        job = self.job
        size, etag = job.jr.listed(self.key)
        now = job.retry(lambda: job.src.head(self.key))
        if now is not None and now.size == size and now.etag == etag:
            return False
        try:
            job.dst.abort_multipart(self.key, self.upload_id)
        except StoreError:
            pass  # an upload left behind costs storage, not correctness; the journal forgets it
        job.jr.failed(self.key, "the source object changed while it was copied; rerun the copy", restart=True)
        return True

    def abandon(self, exc: BaseException) -> None:
        with self.lock:
            self._abandon_locked(exc)

    def _abandon_locked(self, exc: BaseException) -> None:
        """A part or the read failed for good: the object fails once; its upload stays for a rerun."""
        if self.error is None and not self.finishing:
            self.error = exc
            self.job._fail(self.key, exc)


def _check_size(key: str, got: int, expected: int) -> None:
    if got != expected:
        raise StoreError(f"The source object {key!r} changed while it was copied.",
                         expected=f"{expected} bytes", got=f"{got} bytes", hint="rerun the copy")


"""The copy journal: one SQLite file (WAL) per copy job, so an interrupted copy resumes.

objects: one row per source key of this job (and shard): its size and source etag as listed, its state
(pending, done, failed), the SHA-256 once copied, and for a multipart object the upload id and part
size. parts: the parts of an unfinished multipart upload already uploaded, so a rerun uploads only the
rest (cross-checked with the store's list_parts). A row is written when the work it records is done, and
each write is its own transaction, so a kill -9 loses at most the objects and parts in flight.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator

from homeport.core.errors import HomeportError
from homeport.data.store import ObjectInfo

PENDING, DONE, FAILED = "pending", "done", "failed"
DONE_BATCH, DONE_WAIT_S = 256, 0.5
GONE = "gone"  # listed by an earlier run, not by the last one: deleted from the source before it was copied
KEPT = "kept"  # --no-clobber: the destination had an object of that key before this job copied one

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    key TEXT PRIMARY KEY, size INTEGER NOT NULL, etag TEXT, mtime REAL,
    state TEXT NOT NULL DEFAULT 'pending', sha256 TEXT, upload_id TEXT, part_size INTEGER, error TEXT,
    listed_in INTEGER
);
CREATE TABLE IF NOT EXISTS parts (
    key TEXT NOT NULL, upload_id TEXT NOT NULL, number INTEGER NOT NULL, etag TEXT NOT NULL,
    PRIMARY KEY (key, upload_id, number)
);
CREATE TABLE IF NOT EXISTS job (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS existing (key TEXT PRIMARY KEY, size INTEGER);
"""

ROWS = "SELECT key, size, etag, mtime, state, sha256, upload_id, part_size FROM objects"  # a row, as rows() gives it

# A source object that changed since the last run (size or etag) is copied again.
UPSERT = """
INSERT INTO objects (key, size, etag, mtime, listed_in) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET
    state = CASE WHEN objects.size = excluded.size AND objects.etag IS excluded.etag
                      AND objects.state NOT IN ('gone', 'kept')
                 THEN objects.state ELSE 'pending' END,
    listed_in = excluded.listed_in,
    upload_id = CASE WHEN objects.size = excluded.size AND objects.etag IS excluded.etag
                     THEN objects.upload_id ELSE NULL END,
    size = excluded.size, etag = excluded.etag, mtime = excluded.mtime
"""


def default_path(src: str, dst: str, shard: tuple[int, int] | None, base: str | os.PathLike = ".") -> Path:
    """`.homeport/data/<job-id>.sqlite`: the same SRC, DST and shard find the same journal again."""
    job = hashlib.sha256(f"{src}\n{dst}\n{shard}".encode()).hexdigest()[:16]
    return Path(base) / ".homeport" / "data" / f"{job}.sqlite"


class Journal:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._done: list[tuple[str, str]] = []  # (sha256, key) of finished objects not written yet
        self._done_since = 0.0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # one connection shared by the copy threads, serialized by the lock: writes are tiny
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # survives kill -9; only a power cut can lose the tail
            self._db.executescript(SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(objects)")}
            if "listed_in" not in columns:  # a journal from before listing runs were counted
                self._db.execute("ALTER TABLE objects ADD COLUMN listed_in INTEGER")
        except (OSError, sqlite3.Error) as exc:
            raise HomeportError(f"Cannot open the copy journal {self.path}.", got=str(exc),
                                hint="choose a writable file with --journal") from exc

    def close(self) -> None:
        with self._lock:
            self._flush_done()
        self._db.close()

    def _run(self, sql: str, args: tuple = ()) -> list:
        with self._lock:
            self._flush_done()  # every read and write sees the finished objects noted before it
            return self._db.execute(sql, args).fetchall()

    # -- the job's identity ------------------------------------------------------------------------

    def check_job(self, **fields: str) -> None:
        """Record the job's SRC, DST and shard, or refuse a journal that belongs to another job."""
        for name, value in fields.items():
            row = self._run("SELECT value FROM job WHERE name = ?", (name,))
            if row and row[0][0] != value:
                raise HomeportError(f"The journal {self.path} belongs to another copy job.",
                                    expected=f"{name} = {row[0][0]}", got=value,
                                    hint="give another --journal, or the same arguments as before")
            if not row:
                self._run("INSERT INTO job VALUES (?, ?)", (name, value))

    # -- listing -----------------------------------------------------------------------------------

    def is_new(self) -> bool:
        """No object listed yet: nothing of this job was copied, nothing to check or resume."""
        return not self._run("SELECT 1 FROM objects LIMIT 1")

    def add_listing(self, infos: Iterable[ObjectInfo], batch: int = 1000,
                    on_batch: Callable[[list[str]], None] | None = None) -> int:
        """Stream the source listing in, a batch per transaction; returns the number of objects. An object
        an earlier run listed and this one does not, and that was not copied, becomes `gone`. `on_batch`
        gets the keys of each batch once it is written."""
        previous = self._run("SELECT value FROM job WHERE name = 'listings'")
        run = int(previous[0][0]) + 1 if previous else 1
        # taken now: a rerun after a listing cut short counts from the next number, so what that listing saw
        # and this one does not is told apart
        self._run("INSERT INTO job VALUES ('listings', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                  (str(run),))
        count, rows, size = 0, [], min(batch, 100)  # a short first batch: `on_batch` starts on it at once
        for info in infos:
            rows.append((info.key, info.size, info.etag, info.mtime, run))
            if len(rows) >= size:
                count += self._insert(rows, on_batch)
                rows, size = [], batch
        count += self._insert(rows, on_batch)
        # only after the whole listing: an interrupted listing must not make listed objects gone
        self._run("UPDATE objects SET state = 'gone', upload_id = NULL WHERE listed_in IS NOT ? AND state != 'done'",
                  (run,))
        return count

    def note_destination(self, infos: Iterable[ObjectInfo], batch: int = 1000) -> None:
        """What the destination holds now, streamed to disk."""
        self._run("DELETE FROM existing")
        rows = []
        for info in infos:
            rows.append((info.key, info.size))
            if len(rows) >= batch:
                self._insert_existing(rows)
                rows = []
        self._insert_existing(rows)

    def clashes(self, states: tuple[str, ...] | None = (PENDING, FAILED)) -> int:
        """Objects in `states` (None: in any) that the destination held before the copy; by default those this
        job has not copied yet (a rerun's own copies are `done` and do not count)."""
        where = "" if states is None else f" WHERE state IN ({', '.join('?' * len(states))})"
        return self._run("SELECT COUNT(*) FROM objects JOIN existing USING (key)" + where, states or ())[0][0]

    def keep_existing(self, keys: list[str] | None = None) -> int:
        """--no-clobber: objects already at the destination are not copied (all, or those of `keys`); returns
        how many."""
        among, args = ("", ()) if keys is None else (f" AND key IN ({', '.join('?' * len(keys))})", tuple(keys))
        with self._lock:
            return self._db.execute("UPDATE objects SET state = 'kept' WHERE state IN ('pending', 'failed') AND key IN "
                                    "(SELECT key FROM existing)" + among, args).rowcount

    def _insert_existing(self, rows: list) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO existing VALUES (?, ?)", rows)
            self._db.execute("COMMIT")

    def _insert(self, rows: list, on_batch=None) -> int:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(UPSERT, rows)
            self._db.execute("COMMIT")
        if on_batch is not None and rows:
            on_batch([row[0] for row in rows])
        return len(rows)

    def rows(self, state: str | None = None, page: int = 1000) -> Iterator[sqlite3.Row]:
        """(key, size, etag, mtime, state, sha256, upload_id, part_size) in key order, page by page."""
        last = ""
        cond = "AND state = ?" if state else ""
        while True:
            args = (last, state, page) if state else (last, page)
            batch = self._run(f"{ROWS} WHERE key > ? {cond} ORDER BY key LIMIT ?", args)
            yield from batch
            if len(batch) < page:
                return
            last = batch[-1][0]

    def rows_of(self, keys: list[str]) -> list[sqlite3.Row]:
        """The rows of `keys` (at most a listing batch), as rows() gives them."""
        return self._run(f"{ROWS} WHERE key IN ({', '.join('?' * len(keys))}) ORDER BY key", tuple(keys))

    def counts(self) -> dict[str, tuple[int, int]]:
        """state -> (objects, bytes)."""
        return {s: (n, b or 0) for s, n, b in self._run("SELECT state, COUNT(*), SUM(size) FROM objects GROUP BY state")}

    # -- progress ----------------------------------------------------------------------------------

    def start_upload(self, key: str, upload_id: str, part_size: int) -> None:
        self._run("UPDATE objects SET upload_id = ?, part_size = ? WHERE key = ?", (upload_id, part_size, key))
        self._run("DELETE FROM parts WHERE key = ?", (key,))

    def part_done(self, key: str, upload_id: str, number: int, etag: str) -> None:
        self._run("INSERT OR REPLACE INTO parts VALUES (?, ?, ?, ?)", (key, upload_id, number, etag))

    def done(self, key: str, sha256: str) -> None:
        """Noted now, written with others in one transaction (every DONE_BATCH objects or DONE_WAIT_S):
        one transaction per small object made the copy threads queue here, each statement giving up and
        waiting to get back Python's GIL. A kill -9 loses at most the unwritten notes, whose objects a
        rerun copies again (a whole-object write, so nothing is mixed)."""
        with self._lock:
            if not self._done:
                self._done_since = time.monotonic()
            self._done.append((sha256, key))
            if len(self._done) >= DONE_BATCH or time.monotonic() - self._done_since > DONE_WAIT_S:
                self._flush_done()

    def _flush_done(self) -> None:
        """Under the lock."""
        if not self._done:
            return
        rows, self._done = self._done, []
        self._db.execute("BEGIN")
        self._db.executemany("UPDATE objects SET state = 'done', sha256 = ?, upload_id = NULL, error = NULL "
                             "WHERE key = ?", rows)
        self._db.executemany("DELETE FROM parts WHERE key = ?", [(key,) for _, key in rows])
        self._db.execute("COMMIT")

    def failed(self, key: str, error: str, restart: bool = False) -> None:
        """`restart`: forget the upload too (its parts hold bytes of a version that is gone)."""
        if restart:
            self._run("DELETE FROM parts WHERE key = ?", (key,))
        self._run("UPDATE objects SET state = 'failed', error = ?" + (", upload_id = NULL" if restart else "")
                  + " WHERE key = ?", (error, key))

    def listed(self, key: str) -> tuple[int, str | None]:
        """(size, etag) of the object as the listing saw it."""
        return tuple(self._run("SELECT size, etag FROM objects WHERE key = ?", (key,))[0])

    def failures(self) -> list[tuple[str, str]]:
        return self._run("SELECT key, error FROM objects WHERE state = 'failed' ORDER BY key")

    def reset(self, key: str) -> None:
        """The destination lost an object marked done: copy it again."""
        self._run("UPDATE objects SET state = 'pending', sha256 = NULL WHERE key = ?", (key,))

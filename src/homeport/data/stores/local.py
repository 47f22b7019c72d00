"""A directory as an object store: keys are relative paths with "/", values are files.

Writes are atomic (a temp file in the root, then rename), so a kill -9 never leaves half an object
under its key. Bookkeeping lives in hidden folders of the root that `list` never shows:
`.homeport-parts/<upload_id>/` (multipart parts), `.homeport-meta/<key>.json` (user metadata, which a
plain file cannot carry, so `sha256` round-trips), `.homeport-tmp/` (writes in flight).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import uuid
from pathlib import Path
from typing import Iterable, Iterator

from homeport.data.store import CHUNK, NotFound, ObjectInfo, StoreError

HIDDEN = (".homeport-parts", ".homeport-meta", ".homeport-tmp")


class LocalStore:
    def __init__(self, location):
        self.location = location
        self.root = Path(getattr(location, "path", None) or location)
        self.skipped: list[tuple[str, str]] = []  # (key, why) of entries a listing met and could not give

    # -- paths -------------------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts) or parts[0] in HIDDEN:
            raise StoreError(f"The key {key!r} cannot name a file under {self.root}.",
                             expected="a relative '/'-separated path without '.', '..' or empty segments")
        return self.root.joinpath(*parts)

    def _meta_path(self, key: str) -> Path:
        return self.root / ".homeport-meta" / (key + ".json")

    def _tmp(self) -> Path:
        tmp = self.root / ".homeport-tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        return tmp / uuid.uuid4().hex

    def _info(self, key: str, st: os.stat_result) -> ObjectInfo:
        try:
            metadata = json.loads(self._meta_path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            metadata = {}
        # a cheap change detector, like a web server's: the store's own, never compared across stores
        etag = f"{st.st_mtime_ns:x}-{st.st_size:x}"
        return ObjectInfo(key, st.st_size, etag=etag, mtime=st.st_mtime, metadata=metadata)

    # -- reading -----------------------------------------------------------------------------------

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        if not self.root.is_dir():
            raise NotFound(f"The directory {self.root} does not exist.", hint="check the path")
        base = prefix.rpartition("/")[0]
        start = self.root.joinpath(*base.split("/")) if base else self.root
        yield from self._walk(start, base + "/" if base else "", prefix)

    def _walk(self, directory: Path, rel: str, prefix: str) -> Iterator[ObjectInfo]:
        try:
            with os.scandir(directory) as it:
                entries = [(e.name + "/" if e.is_dir(follow_symlinks=False) else e.name, e) for e in it]
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError(f"Cannot read the directory {directory}.", got=exc.strerror or str(exc)) from exc
        # "a/" sorts where the keys "a/..." sort, so per-directory order is the global key order
        for name, entry in sorted(entries, key=lambda t: t[0]):
            key = rel + name
            if not rel and name.rstrip("/") in HIDDEN:
                continue
            if name.endswith("/"):
                if key.startswith(prefix) or prefix.startswith(key):
                    yield from self._walk(Path(entry.path), key, prefix)
            elif key.startswith(prefix) and entry.is_file():  # a link to a file: its content, as a file
                yield self._info(key, entry.stat())
            elif key.startswith(prefix):  # said, never skipped in silence
                self.skipped.append((key, _not_a_file(entry)))

    def head(self, key: str) -> ObjectInfo | None:
        try:
            st = self._path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return None if stat.S_ISDIR(st.st_mode) else self._info(key, st)

    def get(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        try:
            fh = open(self._path(key), "rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise NotFound(f"No object {key!r} under {self.root}.") from exc
        with fh:
            fh.seek(start)
            left = None if end is None else max(0, end - start)
            while left is None or left > 0:
                chunk = fh.read(CHUNK if left is None else min(CHUNK, left))
                if not chunk:
                    return
                if left is not None:
                    left -= len(chunk)
                yield chunk

    # -- writing -----------------------------------------------------------------------------------

    def put(self, key: str, chunks: Iterable[bytes], metadata: dict | None = None) -> ObjectInfo:
        dest = self._path(key)
        tmp = self._tmp()
        try:
            with open(tmp, "wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
            return self._publish(key, dest, tmp, metadata)
        finally:
            tmp.unlink(missing_ok=True)

    def _publish(self, key: str, dest: Path, tmp: Path, metadata: dict | None) -> ObjectInfo:
        try:
            self._write_meta(key, metadata)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, dest)
            return self._info(key, dest.stat())
        except OSError as exc:
            raise StoreError(f"Cannot write {dest}.", got=exc.strerror or str(exc),
                             hint="check the permissions and the free space") from exc

    def set_metadata(self, key: str, metadata: dict) -> None:
        """Replace an object's user metadata (a multipart copy learns the SHA-256 only at the end)."""
        self._write_meta(key, metadata)

    def _write_meta(self, key: str, metadata: dict | None) -> None:
        meta = self._meta_path(key)
        if not metadata:
            meta.unlink(missing_ok=True)
            return
        meta.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._tmp()
        tmp.write_text(json.dumps({k.lower(): str(v) for k, v in metadata.items()}), encoding="utf-8")
        os.replace(tmp, meta)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
        self._meta_path(key).unlink(missing_ok=True)

    # -- multipart ---------------------------------------------------------------------------------

    def _upload_dir(self, upload_id: str) -> Path:
        if not upload_id.isalnum():
            raise StoreError(f"The upload id {upload_id!r} is not one this store made.")
        return self.root / ".homeport-parts" / upload_id

    def _upload(self, key: str, upload_id: str) -> tuple[Path, dict]:
        directory = self._upload_dir(upload_id)
        try:
            info = json.loads((directory / "upload.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise NotFound(f"No multipart upload {upload_id} under {self.root}.") from exc
        if info["key"] != key:
            raise NotFound(f"The upload {upload_id} is for {info['key']!r}, not {key!r}.")
        return directory, info

    def start_multipart(self, key: str, metadata: dict | None = None) -> str:
        self._path(key)  # refuse a bad key now, not at the end
        upload_id = uuid.uuid4().hex
        directory = self._upload_dir(upload_id)
        directory.mkdir(parents=True)
        (directory / "upload.json").write_text(json.dumps({"key": key, "metadata": metadata or {}}),
                                               encoding="utf-8")
        return upload_id

    def put_part(self, key: str, upload_id: str, number: int, data: bytes) -> str:
        directory, _ = self._upload(key, upload_id)
        etag = hashlib.md5(data).hexdigest()
        for old in directory.glob(f"{number:05d}-*"):  # a part uploaded again replaces the old one
            old.unlink(missing_ok=True)
        tmp = self._tmp()
        tmp.write_bytes(data)
        os.replace(tmp, directory / f"{number:05d}-{etag}")
        return etag

    def list_parts(self, key: str, upload_id: str) -> dict[int, str]:
        directory, _ = self._upload(key, upload_id)
        parts = {}
        for path in directory.iterdir():
            number, _, etag = path.name.partition("-")
            if number.isdigit() and etag:
                parts[int(number)] = etag
        return parts

    def complete_multipart(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> ObjectInfo:
        directory, info = self._upload(key, upload_id)
        tmp = self._tmp()
        try:
            with open(tmp, "wb") as out:
                for number, etag in sorted(parts):
                    part = directory / f"{number:05d}-{etag}"
                    if not part.is_file():
                        raise StoreError(f"Part {number} of {key!r} with ETag {etag} was never uploaded.",
                                         hint="upload the part again, then complete")
                    with open(part, "rb") as fh:
                        shutil.copyfileobj(fh, out, CHUNK)
            result = self._publish(key, self._path(key), tmp, info["metadata"])
        finally:
            tmp.unlink(missing_ok=True)
        shutil.rmtree(directory, ignore_errors=True)
        return result

    def abort_multipart(self, key: str, upload_id: str) -> None:
        shutil.rmtree(self._upload_dir(upload_id), ignore_errors=True)


def _not_a_file(entry: os.DirEntry) -> str:
    if entry.is_symlink():
        if entry.is_dir():  # followed, a link can loop or bring a tree in twice
            return "a link to a folder, not followed: copy its target as a location of its own"
        return "a link to nothing (dangling): there is nothing to copy"
    return "not a regular file (a FIFO, socket or device): object stores hold files"

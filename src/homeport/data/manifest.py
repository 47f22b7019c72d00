"""The manifest: one JSON object per line (key, size, sha256, etag, mtime), in key order.

It is written and read as a stream, so a listing of millions of keys never sits in memory (the
out-of-memory reports in research/data.md s1.4). `etag` is the source store's own, kept for the record
and never compared with another store's.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Iterator

from homeport.core.errors import HomeportError


@dataclass(frozen=True)
class Entry:
    key: str
    size: int
    sha256: str | None = None
    etag: str | None = None
    mtime: float | None = None


def write_manifest(path: str | os.PathLike, entries: Iterable[Entry]) -> int:
    """Write `entries` to `path` atomically (temp + rename); returns how many were written."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as fh:
            for entry in entries:
                fh.write(json.dumps(asdict(entry), separators=(",", ":")) + "\n")
                count += 1
        os.replace(tmp, path)
    except OSError as exc:
        raise HomeportError(f"Cannot write the manifest {path}.", got=exc.strerror or str(exc),
                            hint="choose a writable path with --manifest") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return count


def read_manifest(path: str | os.PathLike) -> Iterator[Entry]:
    """The entries of a manifest, one at a time; a clear error on an unreadable or malformed line."""
    path = Path(path)
    try:
        fh = open(path, encoding="utf-8")
    except OSError as exc:
        raise HomeportError(f"Cannot read the manifest {path}.", got=exc.strerror or str(exc),
                            hint="give the manifest that `homeport data plan` or `copy` wrote") from exc
    with fh:
        number, line = 0, ""
        try:
            for number, line in enumerate(fh, 1):
                if line.strip():
                    row = json.loads(line)
                    sha = row.get("sha256")
                    if sha is not None and not (isinstance(sha, str) and len(sha) == 64):
                        raise ValueError("sha256 is not 64 hex digits")
                    yield Entry(str(row["key"]), int(row["size"]), sha, row.get("etag"), row.get("mtime"))
        except (ValueError, KeyError, TypeError) as exc:  # UnicodeDecodeError is a ValueError too
            raise HomeportError(f"The manifest {path} is malformed at line {number + isinstance(exc, UnicodeError)}.",
                                expected='UTF-8, one JSON object per line with "key", "size" and a hex "sha256"',
                                got=line[:80].rstrip(), hint="regenerate it with `homeport data plan`") from exc

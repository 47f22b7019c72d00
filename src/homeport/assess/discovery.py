"""Find the files to analyze under a root, and say why every other file was left out.

Respects .gitignore files (root and nested), skips virtualenvs, vendored code, caches and binaries,
and never follows a link: a linked file is analyzed where it really lies, if that is inside the root.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pathspec

from homeport.assess.kinds import kind_of
from homeport.core.model import Skipped

MAX_FILE_BYTES = 16 * 1024 * 1024
# JSON and YAML this large are data (vocabularies, golden values, datasets, generated API dumps), not the
# configuration a pipeline is deployed with; reading them costs more than the rest of a repository.
MAX_DATA_BYTES = {"json": 256 * 1024, "yaml": 256 * 1024}

# Directory names that never hold the pipeline's own code.
_SKIP_DIRS = {
    ".git": "version-control metadata", ".hg": "version-control metadata", ".svn": "version-control metadata",
    "node_modules": "vendored dependencies", "site-packages": "installed packages",
    "vendor": "vendored code", "vendored": "vendored code", "_vendor": "vendored code",
    "third_party": "vendored code", "third-party": "vendored code", "thirdparty": "vendored code",
    ".homeport": "homeport's own state (revert patches, change logs)",
    "__pycache__": "cache", ".mypy_cache": "cache", ".pytest_cache": "cache", ".ruff_cache": "cache",
    ".tox": "test environments", ".nox": "test environments", ".eggs": "build output",
    ".terraform": "Terraform provider cache", ".ipynb_checkpoints": "notebook checkpoints",
}


@dataclass(frozen=True)
class Candidate:
    path: Path  # absolute
    rel: str  # relative to the root, "/"-separated
    kind: str
    size: int


def _is_virtualenv(path: Path) -> bool:
    try:  # Path.is_file raises on EACCES (an unreadable directory), which must not stop the walk
        return (path / "pyvenv.cfg").is_file() or (path / "conda-meta").is_dir()
    except OSError:
        return False


def _load_ignore(directory: Path, rel: str, skipped: list) -> pathspec.GitIgnoreSpec | None:
    path = directory / ".gitignore"
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return None  # git reads no .gitignore through a link, and a FIFO would block the walk
        text = read_bytes(path).decode("utf-8", errors="replace")
    except OSError:
        return None
    lines, bad = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        try:  # git drops a pattern it cannot parse (a lone `!`, a trailing `\`); say so instead of crashing
            pathspec.GitIgnoreSpec.from_lines([line])
        except ValueError:
            bad.append(f"line {number}: {line!r}")
            continue
        lines.append(line)
    if bad:
        skipped.append(Skipped(_join(rel, ".gitignore"), f"patterns that are not valid gitignore syntax were not "
                                                         f"applied ({'; '.join(bad)})"))
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _ignored_by(specs: dict[str, pathspec.GitIgnoreSpec], rel: str, is_dir: bool) -> str | None:
    """The .gitignore that ignores `rel`, or None. As in git, the deepest file with a matching pattern
    decides, and within it the last matching pattern: `!keep.py` below re-includes what `*.py` above ignored."""
    parts = rel.split("/")
    for depth in range(len(parts) - 1, -1, -1):
        base = "/".join(parts[:depth])
        spec = specs.get(base)
        if spec is None:
            continue
        sub = "/".join(parts[depth:])
        include = spec.check_file(sub + "/" if is_dir else sub).include
        if include is not None:
            return _join(base, ".gitignore") if include else None
    return None


def discover(root: Path) -> tuple[list[Candidate], list[Skipped]]:
    skipped: list[Skipped] = []
    return list(iter_candidates(root, skipped)), skipped


def iter_candidates(root: Path, skipped: list[Skipped]) -> Iterator[Candidate]:
    """The files to analyze, as the walk finds them (so analysis can start before it ends); every
    other input goes to `skipped` with its reason, complete once the iterator is exhausted."""
    root = root.resolve()
    found: list[Candidate] = []
    if not root.is_dir():  # one file given as PATH (or a FIFO, a device: _one_file says why not)
        _one_file(root, _display(root.name), root.parent, found, skipped)
        yield from found
        return
    specs: dict[str, pathspec.GitIgnoreSpec] = {}
    links: list[tuple[int, str]] = []  # (index in skipped, target) of links to files inside the root
    for dirpath, dirnames, filenames in os.walk(root, topdown=True, followlinks=False,
                                                onerror=lambda e: skipped.append(
                                                    Skipped(_rel(Path(e.filename or root), root) or ".",
                                                            f"directory not readable: {e.strerror}"))):
        here = Path(dirpath)
        rel_here = _rel(here, root)
        spec = _load_ignore(here, rel_here, skipped)
        if spec is not None:
            specs[rel_here] = spec
        keep = []
        for name in sorted(dirnames):
            sub = here / name
            rel = _join(rel_here, name)
            if sub.is_symlink():
                skipped.append(Skipped(rel, "link to a directory (links are not followed)"))
            elif name in _SKIP_DIRS:
                if name != ".git":
                    skipped.append(Skipped(rel, _SKIP_DIRS[name]))
            elif _is_virtualenv(sub):
                skipped.append(Skipped(rel, "virtual environment"))
            elif (ignore := _ignored_by(specs, rel, is_dir=True)) is not None:
                skipped.append(Skipped(rel, f"ignored by {ignore}"))  # the whole folder, listed once
            else:
                keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            rel = _join(rel_here, name)
            if name == ".gitignore":
                continue
            if (ignore := _ignored_by(specs, rel, is_dir=False)) is not None:
                skipped.append(Skipped(rel, f"ignored by {ignore}"))
                continue
            before = len(found)
            target = _one_file(here / name, rel, root, found, skipped)
            if target is not None:
                links.append((len(skipped) - 1, target))
            yield from found[before:]
    # "analyzed there" only where it is true: the target may itself be skipped, ignored or in a venv.
    analyzed = {c.rel for c in found}
    for i, target in links:
        if target not in analyzed:
            skipped[i] = Skipped(skipped[i].path, f"link to {target} (not followed; the target is not "
                                                  "analyzed either, see its own entry)")


def _one_file(path: Path, rel: str, root: Path, found: list, skipped: list) -> str | None:
    """Add `path` to `found` or `skipped`; for a link to a file inside the root, return the target."""
    try:
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError):
                skipped.append(Skipped(rel, "broken or looping link"))
                return None
            if not target.is_relative_to(root):
                skipped.append(Skipped(rel, f"link to a file outside the root ({_display(str(target))})"))
                return None
            if not target.is_file():
                skipped.append(Skipped(rel, f"link to {_rel(target, root)}, not a regular file"))
                return None
            skipped.append(Skipped(rel, f"link to {_rel(target, root)} (analyzed there)"))
            return _rel(target, root)
        if not stat.S_ISREG(st.st_mode):
            skipped.append(Skipped(rel, "not a regular file"))
            return None
        head = read_bytes(path, 8192)
    except OSError as exc:
        skipped.append(Skipped(rel, f"not readable: {exc.strerror or exc}"))
        return None
    first_line = head.split(b"\n", 1)[0]
    kind = kind_of(path.name, first_line)
    if kind is None:
        skipped.append(Skipped(rel, "no analyzer for this file type"))
    elif st.st_size > MAX_FILE_BYTES:
        skipped.append(Skipped(rel, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB ({st.st_size} bytes)"))
    elif st.st_size > MAX_DATA_BYTES.get(kind, MAX_FILE_BYTES):
        skipped.append(Skipped(rel, f"{kind.upper()} larger than {MAX_DATA_BYTES[kind] // 1024} KiB ({st.st_size} "
                                    "bytes): a data file, not configuration"))
    elif b"\0" in head and kind != "notebook":
        skipped.append(Skipped(rel, "binary file (NUL bytes)"))
    else:
        found.append(Candidate(path, rel, kind, st.st_size))
    return None


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """Read without following a link and without blocking on a FIFO, even if `path` changed since it was
    listed: O_NOFOLLOW refuses a link, O_NONBLOCK opens a FIFO at once, and fstat refuses what is not a file."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    with open(fd, "rb", closefd=True) as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return fh.read() if limit is None else fh.read(limit)


def _display(name: str) -> str:
    """File names are bytes on Linux; one that is not UTF-8 is shown escaped (`\\xff`), so reports
    stay valid UTF-8 (a lone surrogate would make every JSON, SARIF or terminal write fail)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _rel(path: Path, root: Path) -> str:
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        return _display(path.as_posix())
    return "" if rel == "." else _display(rel)


def _join(base: str, name: str) -> str:
    return f"{base}/{_display(name)}" if base else _display(name)

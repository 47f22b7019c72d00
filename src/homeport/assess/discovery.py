"""Find the files to analyze under a root, and say why every other file was left out.

Respects .gitignore files (root and nested), skips virtualenvs, vendored code, caches and binaries,
and never follows a link: a linked file is analyzed where it really lies, if that is inside the root.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import pathspec

from homeport.assess.kinds import kind_of
from homeport.core.model import Skipped

MAX_FILE_BYTES = 16 * 1024 * 1024

# Directory names that never hold the pipeline's own code.
_SKIP_DIRS = {
    ".git": "version-control metadata", ".hg": "version-control metadata", ".svn": "version-control metadata",
    "node_modules": "vendored dependencies", "site-packages": "installed packages",
    "vendor": "vendored code", "vendored": "vendored code", "_vendor": "vendored code",
    "third_party": "vendored code", "third-party": "vendored code", "thirdparty": "vendored code",
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
    return (path / "pyvenv.cfg").is_file() or (path / "conda-meta").is_dir()


def _load_ignore(directory: Path) -> pathspec.GitIgnoreSpec | None:
    try:
        text = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(text.splitlines())


def _ignored(specs: list[tuple[str, pathspec.PathSpec]], rel: str, is_dir: bool) -> bool:
    """True when a .gitignore at or above `rel` ignores it (the deepest matching spec decides)."""
    for base, spec in specs:
        if base and not rel.startswith(base + "/"):
            continue
        sub = rel[len(base) + 1:] if base else rel
        if spec.match_file(sub + "/" if is_dir else sub):
            return True
    return False


def discover(root: Path) -> tuple[list[Candidate], list[Skipped]]:
    root = root.resolve()
    found: list[Candidate] = []
    skipped: list[Skipped] = []
    if root.is_file():
        return _one_file(root, root.name, root.parent, found, skipped)
    specs: list[tuple[str, pathspec.PathSpec]] = []
    for dirpath, dirnames, filenames in os.walk(root, topdown=True, followlinks=False,
                                                onerror=lambda e: skipped.append(
                                                    Skipped(_rel(Path(e.filename or root), root),
                                                            f"directory not readable: {e.strerror}"))):
        here = Path(dirpath)
        rel_here = _rel(here, root)
        spec = _load_ignore(here)
        if spec is not None:
            specs.append((rel_here, spec))
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
            elif _ignored(specs, rel, is_dir=True):
                continue  # ignored by .gitignore: not part of the pipeline's sources
            else:
                keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            rel = _join(rel_here, name)
            if name == ".gitignore" or _ignored(specs, rel, is_dir=False):
                continue
            _one_file(here / name, rel, root, found, skipped)
    return found, skipped


def _one_file(path: Path, rel: str, root: Path, found: list, skipped: list):
    try:
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError):
                skipped.append(Skipped(rel, "broken or looping link"))
                return found, skipped
            if not target.is_relative_to(root):
                skipped.append(Skipped(rel, f"link to a file outside the root ({target})"))
            else:
                skipped.append(Skipped(rel, f"link to {_rel(target, root)} (analyzed there)"))
            return found, skipped
        if not stat.S_ISREG(st.st_mode):
            skipped.append(Skipped(rel, "not a regular file"))
            return found, skipped
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        skipped.append(Skipped(rel, f"not readable: {exc.strerror or exc}"))
        return found, skipped
    first_line = head.split(b"\n", 1)[0]
    kind = kind_of(path.name, first_line)
    if kind is None:
        skipped.append(Skipped(rel, "no analyzer for this file type"))
    elif st.st_size > MAX_FILE_BYTES:
        skipped.append(Skipped(rel, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB ({st.st_size} bytes)"))
    elif b"\0" in head and kind != "notebook":
        skipped.append(Skipped(rel, "binary file (NUL bytes)"))
    else:
        found.append(Candidate(path, rel, kind, st.st_size))
    return found, skipped


def _rel(path: Path, root: Path) -> str:
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
    return "" if rel == "." else rel


def _join(base: str, name: str) -> str:
    return f"{base}/{name}" if base else name

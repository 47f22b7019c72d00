"""Where a port goes: a diff on stdout, a complete copy (`--out`), or the tree itself (`--write`) with a
revert patch that `homeport port --revert` turns back into byte-identical files."""

from __future__ import annotations

import difflib
import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

from homeport.core.errors import HomeportError, UsageError
from homeport.port.changes import FilePort

_NO_NEWLINE = "\n\\ No newline at end of file\n"
_HEADER = "# homeport-revert"  # `# homeport-revert PATH SHA256-ORIGINAL SHA256-PORTED` before each file's diff


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def unified_diff(files: list[FilePort], reverse: bool = False) -> str:
    """A git-style unified diff of every changed file (ported -> original when `reverse`)."""
    out = []
    for f in files:
        if not f.changed:
            continue
        old, new = (f.after, f.before) if reverse else (f.before, f.after)
        out.append(f"diff --git a/{f.path} b/{f.path}\n")
        out.extend(_diff_lines(old, new, f.path))
    return "".join(out)


def _lines(text: str) -> list[str]:
    """Lines ending in "\n" only: a form feed or a lone "\r" is part of its line (str.splitlines would cut)."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _diff_lines(old: bytes, new: bytes, path: str) -> list[str]:
    a, b = _lines(old.decode("utf-8", "surrogateescape")), _lines(new.decode("utf-8", "surrogateescape"))
    lines = []
    for line in difflib.unified_diff(a, b, "/dev/null" if not old else f"a/{path}",
                                     "/dev/null" if not new else f"b/{path}", n=3):
        lines.append(line if line.endswith("\n") else line + _NO_NEWLINE)
    return lines


# -- --out DIR ----------------------------------------------------------------------------------------
def write_copy(root: Path, out: Path, files: list[FilePort]) -> int:
    """A complete ported copy of `root` in `out` (which must not exist or be empty). Returns files written."""
    out = out.resolve()
    if out == root or root in out.parents:
        raise UsageError(f"--out {out} is inside the tree being ported", expected="a directory outside it",
                         hint="choose a sibling directory, e.g. ../ported")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"--out {out} already exists and is not empty", expected="a new or empty directory",
                         hint="remove it, or choose another directory; nothing was written")
    shutil.copytree(root, out, symlinks=True, ignore=shutil.ignore_patterns(".git"), dirs_exist_ok=True)
    return _write(out, files)


def _write(base: Path, files: list[FilePort]) -> int:
    written = 0
    for f in files:
        if f.changed:
            target = base / f.path
            target.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(target, f.after)
            written += 1
    return written


def _atomic_write(path: Path, data: bytes) -> None:
    """Write beside, then rename: an interrupted port never leaves half a file."""
    tmp = path.with_name(f".{path.name}.homeport-tmp")
    tmp.write_bytes(data)
    if path.exists():
        shutil.copymode(path, tmp)
    os.replace(tmp, path)


# -- --write ---------------------------------------------------------------------------------------------
def write_in_place(root: Path, files: list[FilePort], force: bool = False) -> Path | None:
    """Rewrite the tree itself, after saving the revert patch. Returns the patch path (None: no change)."""
    if not force:
        _require_clean_git(root)
    changed = [f for f in files if f.changed]
    if not changed:
        return None
    for f in changed:  # the tree must still be what was ported: refuse before writing anything
        current = (root / f.path).read_bytes() if (root / f.path).exists() else b""
        if current != f.before:
            raise HomeportError(f"{f.path} changed while it was being ported", expected=f"sha256 {sha256(f.before)[:12]}",
                                got=f"sha256 {sha256(current)[:12]}", hint="run `homeport port --write` again")
    patch = root / ".homeport" / "port" / f"revert-{time.strftime('%Y%m%d-%H%M%S')}.patch"
    patch.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(patch, revert_patch(changed).encode("utf-8", "surrogateescape"))
    _write(root, changed)
    return patch


def revert_patch(files: list[FilePort]) -> str:
    """A patch from the ported tree back to the original (also usable with `git apply`), each file
    preceded by the digests that `revert` checks before and after applying it."""
    out = ["# homeport port: revert patch. Apply with `homeport port --revert THIS_FILE` (or `git apply`).\n"]
    for f in files:
        out.append(f"{_HEADER} {f.path} {sha256(f.before)} {sha256(f.after)}\n")
        out.append(unified_diff([f], reverse=True))
    return "".join(out)


def _require_clean_git(root: Path) -> None:
    try:
        proc = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError("--write needs git to check the tree", got=str(exc),
                         hint="install git, or use --out DIR, or --force to write anyway") from None
    if proc.returncode != 0:
        raise UsageError(f"{root} is not inside a git work tree", expected="a git work tree with no uncommitted changes",
                         got=proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "git status failed",
                         hint="use --out DIR for a ported copy, or --force to rewrite in place anyway")
    if proc.stdout.strip():
        dirty = proc.stdout.strip().splitlines()
        raise UsageError("the work tree has uncommitted changes", expected="a clean work tree, so the port is one reviewable diff",
                         got=f"{len(dirty)} changed: {', '.join(line[3:] for line in dirty[:5])}",
                         hint="commit or stash them first, or pass --force")


# -- --revert PATCH -------------------------------------------------------------------------------------
def revert(patch_path: Path, root: Path, force: bool = False) -> list[str]:
    """Apply a revert patch: every file must still be exactly what the port wrote (unless `force`),
    and ends byte-identical to the original, or nothing is written. Returns the paths restored."""
    try:
        text = patch_path.read_bytes().decode("utf-8", "surrogateescape")
    except OSError as exc:
        raise UsageError(f"cannot read the revert patch {patch_path}", got=exc.strerror or str(exc),
                         hint="pass the path printed by `homeport port --write`") from None
    plans = []
    for path, before_sha, after_sha, hunks in _parse(text, patch_path):
        target = root / path
        current = target.read_bytes() if target.exists() else b""
        if sha256(current) != after_sha and not force:
            raise HomeportError(f"{path} changed since the port", expected=f"sha256 {after_sha[:12]} (as ported)",
                                got=f"sha256 {sha256(current)[:12]}",
                                hint="commit or undo those edits first (nothing was reverted), or pass --force")
        restored = _apply_hunks(current, hunks, path)
        if sha256(restored) != before_sha:
            raise HomeportError(f"reverting {path} would not restore the original", expected=f"sha256 {before_sha[:12]}",
                                got=f"sha256 {sha256(restored)[:12]}", hint="restore it from version control")
        plans.append((target, restored))
    empty = sha256(b"")
    for (target, restored), (_, before_sha, _, _) in zip(plans, _parse(text, patch_path)):
        if before_sha == empty and not restored:
            target.unlink(missing_ok=True)  # a file the port created (an Apptainer definition)
        else:
            _atomic_write(target, restored)
    return [str(t.relative_to(root)) for t, _ in plans]


def _parse(text: str, patch_path: Path):
    files = []
    current = None
    for line in _lines(text):
        if line.startswith(_HEADER + " "):
            path, before, after = line[len(_HEADER):].split()
            current = (path, before, after, [])
            files.append(current)
        elif current is not None:
            current[3].append(line)
    if not files:
        raise UsageError(f"{patch_path} is not a homeport revert patch", expected=f"lines starting with {_HEADER!r}",
                         hint="pass the .patch file printed by `homeport port --write`")
    return files


def _apply_hunks(data: bytes, lines: list[str], path: str) -> bytes:
    """Apply one file's unified diff (the ones homeport writes) to `data`."""
    old = _lines(data.decode("utf-8", "surrogateescape"))
    out: list[str] = []
    pos = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.startswith("@@"):
            continue
        first, _, count = line.split()[1][1:].partition(",")  # "@@ -first,count +...": the old side
        start = int(first) if count == "0" else int(first) - 1  # an empty range names the line before it
        out.extend(old[pos:start])
        pos = start
        while i < len(lines) and lines[i][:1] in (" ", "-", "+", "\\"):
            body = lines[i]
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            chunk = body[1:]
            if nxt.startswith("\\"):  # "\ No newline at end of file": the line had none
                chunk = chunk[:-1] if chunk.endswith("\n") else chunk
            if body[0] in " -":
                if pos >= len(old) or old[pos] != chunk:
                    raise HomeportError(f"the revert patch does not fit {path}", expected=repr(chunk[:60]),
                                        got=repr(old[pos][:60]) if pos < len(old) else "end of file",
                                        hint="restore it from version control")
                pos += 1
            if body[0] in " +":
                out.append(chunk)
            i += 2 if nxt.startswith("\\") else 1
    out.extend(old[pos:])
    return "".join(out).encode("utf-8", "surrogateescape")

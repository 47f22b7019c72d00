"""Where a port goes: a diff on stdout, a complete copy (`--out`), or the tree itself (`--write`) with a
revert patch that `homeport port --revert` turns back into byte-identical files.

Every write here is all or nothing: a copy is built in a temporary sibling and renamed into place, and
an in-place write or a revert that fails part-way (or is interrupted) puts back the files it had
already written before it reports the error."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from homeport.core.errors import HomeportError, UsageError
from homeport.port.changes import FilePort
from homeport.port.patch import apply_hunks, parse, revert_patch, sha256

class RollbackIncomplete(HomeportError):
    """A write failed and putting back what it had written failed too (exit 3, DESIGN.md)."""

    exit_code = 3


# -- --out DIR ----------------------------------------------------------------------------------------
@dataclass
class Copy:
    """What `write_copy` did: the ported files written, and what was not copied (with why)."""

    written: int
    not_copied: list[str] = field(default_factory=list)


def check_out(root: Path, out: Path, single: Path | None = None) -> Path:
    """Refuse an --out that cannot take the copy, before anything is ported or written. `single`: the
    one file given as PATH (then only it is copied, and `out` may be beside it). Returns `out` resolved."""
    out, root = Path(out).resolve(), Path(root).resolve()
    if single is None and (out == root or root in out.parents):
        raise UsageError(f"--out {out} is inside the tree being ported", expected="a directory outside it",
                         hint="choose a sibling directory, e.g. ../ported; nothing was written")
    try:
        busy = out.exists() and (not out.is_dir() or any(out.iterdir()))
    except OSError as exc:
        raise UsageError(f"cannot read --out {out}", got=exc.strerror or str(exc),
                         hint="choose another directory; nothing was written") from None
    if busy:
        raise UsageError(f"--out {out} already exists and is not empty", expected="a new or empty directory",
                         hint="remove it, or choose another directory; nothing was written")
    return out


def write_copy(root: Path, out: Path, files: list[FilePort], single: Path | None = None) -> Copy:
    """A complete ported copy of `root` (of the file `single` only, when PATH was a file) in `out`, which
    must not exist or be empty. The copy is made in a temporary sibling and renamed into place, so a
    failure leaves nothing behind; FIFOs, sockets, devices and unreadable files are not copied (listed
    in the result), nor is .git."""
    root = Path(root).resolve()
    out = check_out(root, out, single)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.homeport-", dir=out.parent))
    except OSError as exc:
        raise HomeportError(f"cannot create {out}", got=exc.strerror or str(exc),
                            hint="choose a writable place for --out; nothing was written") from None
    result = Copy(0)
    try:
        dirs: list[tuple[Path, Path]] = [(root, tmp)]
        if single is None:
            _copy_dir(root, tmp, "", result.not_copied, dirs)
        else:
            single = Path(single).resolve()
            _copy_file(single, tmp / single.name, single.name, result.not_copied)
            dirs = []
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(tmp, 0o777 & ~mask)  # mkdtemp's 0700 is not what a new directory gets
        result.written = _write(tmp, files)
        for src, dst in reversed(dirs):  # after the writes: a read-only directory is copied read-only
            shutil.copystat(src, dst)
        _into_place(tmp, out)
    except BaseException as exc:
        _remove(tmp)
        if isinstance(exc, KeyboardInterrupt):
            raise KeyboardInterrupt(f"the partial copy was removed; nothing was written to {out}") from None
        if isinstance(exc, OSError):
            raise HomeportError(f"cannot write the ported copy to {out}",
                                got=f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""),
                                hint="the partial copy was removed, nothing was left behind: "
                                     "free some space or fix the permissions, then run again") from None
        raise
    return result


def _copy_dir(src: Path, dst: Path, rel: str, not_copied: list[str], dirs: list[tuple[Path, Path]]) -> None:
    try:
        with os.scandir(src) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        not_copied.append(f"{rel or '.'}/ (directory not readable: {exc.strerror or exc})")
        return
    for entry in entries:
        if entry.name == ".git":
            continue
        sub = f"{rel}/{entry.name}" if rel else entry.name
        source, target = Path(entry.path), dst / entry.name
        try:
            mode = entry.stat(follow_symlinks=False).st_mode
            link = os.readlink(source) if stat.S_ISLNK(mode) else None
        except OSError as exc:
            not_copied.append(f"{sub} (not readable: {exc.strerror or exc})")
            continue
        if link is not None:
            os.symlink(link, target)  # as the tree has it (shutil.copytree(symlinks=True))
        elif stat.S_ISDIR(mode):
            target.mkdir()
            dirs.append((source, target))
            _copy_dir(source, target, sub, not_copied, dirs)
        elif stat.S_ISREG(mode):
            _copy_file(source, target, sub, not_copied)
        else:
            not_copied.append(f"{sub} ({_special(mode)})")


def _copy_file(source: Path, target: Path, rel: str, not_copied: list[str]) -> None:
    """Copy one file; one that cannot be read is listed, not copied (an error writing the copy is raised)."""
    try:
        src = open(source, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        not_copied.append(f"{rel} (not readable: {exc.strerror or exc})")
        return
    unreadable = None
    with src, open(target, "xb") as dst:
        while True:
            try:
                chunk = src.read(1 << 20)
            except OSError as exc:
                unreadable = exc
                break
            if not chunk:
                break
            dst.write(chunk)
    if unreadable is not None:
        target.unlink()
        not_copied.append(f"{rel} (not readable: {unreadable.strerror or unreadable})")
        return
    shutil.copystat(source, target)


def _special(mode: int) -> str:
    for test, what in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return what
    return "not a regular file"


def _into_place(tmp: Path, out: Path) -> None:
    try:
        os.replace(tmp, out)  # `out` absent, or an empty directory (POSIX replaces it)
    except OSError:
        if not out.is_dir() or any(out.iterdir()):
            raise
        out.rmdir()
        os.replace(tmp, out)


def _remove(tree: Path) -> None:
    """Remove a temporary tree, read-only directories included."""
    for dirpath, _, _ in os.walk(tree):
        try:
            os.chmod(dirpath, 0o700)
        except OSError:
            pass
    shutil.rmtree(tree, ignore_errors=True)


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
    try:
        tmp.write_bytes(data)
        if path.exists():
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


# -- all or nothing --------------------------------------------------------------------------------------
def _replace_all(root: Path, plan: list[tuple[Path, bytes | None, bytes | None]]) -> None:
    """Give each (target, new, old) its `new` bytes (None: delete it), or, on any failure or an interrupt,
    put every file back to `old` (None: it did not exist) and raise an error that says so."""
    done: list[tuple[Path, bytes | None]] = []
    made: list[Path] = []
    try:
        for target, new, old in plan:
            done.append((target, old))
            if new is None:
                target.unlink(missing_ok=True)
            else:
                missing = [d for d in [target.parent, *target.parent.parents] if not d.exists()]
                for d in reversed(missing):
                    d.mkdir()
                    made.append(d)
                _atomic_write(target, new)
    except BaseException as exc:
        where = _rel(done[-1][0], root) if done else str(root)
        before = len(done) - 1  # the files written before the one that failed
        put_back = f"restored the {before} file{'' if before == 1 else 's'} already written"
        left = _undo(done, made)
        if left:
            raise RollbackIncomplete(f"cannot write {where}, and {len(left)} of the files written before it could "
                                     "not be put back", got=f"{type(exc).__name__}: {exc}",
                                     hint=f"restore them from version control: {', '.join(_rel(p, root) for p in left)}"
                                     ) from None
        if isinstance(exc, KeyboardInterrupt):
            raise KeyboardInterrupt(f"nothing changed: {put_back}") from None
        if isinstance(exc, OSError):
            raise HomeportError(f"cannot write {where}", got=exc.strerror or str(exc),
                                hint=f"nothing changed ({put_back}): "
                                     "make it writable, then run again") from None
        raise


def _undo(done: list[tuple[Path, bytes | None]], made: list[Path]) -> list[Path]:
    """Put each file back; returns those that could not be."""
    left = []
    for target, old in reversed(done):
        try:
            if old is None:
                target.unlink(missing_ok=True)
            elif not target.is_file() or target.read_bytes() != old:
                _atomic_write(target, old)
        except OSError:
            left.append(target)
    for d in reversed(made):
        try:
            d.rmdir()
        except OSError:
            pass
    return left


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


# -- --write ---------------------------------------------------------------------------------------------
def write_in_place(root: Path, files: list[FilePort], force: bool = False) -> Path | None:
    """Rewrite the tree itself, after saving the revert patch. Returns the patch path (None: no change).
    A failure part-way restores the files already written and removes the patch."""
    root = Path(root)
    if not force:
        _require_clean_git(root)
    changed = [f for f in files if f.changed]
    if not changed:
        return None
    plan = []
    for f in changed:  # the tree must still be what was ported: refuse before writing anything
        target = root / f.path
        try:
            current = target.read_bytes() if os.path.lexists(target) else None
        except OSError as exc:
            raise HomeportError(f"cannot read {f.path}", got=exc.strerror or str(exc),
                                hint="nothing was written; make it readable and run again") from None
        if (current or b"") != f.before:
            raise HomeportError(f"{f.path} changed while it was being ported", expected=f"sha256 {sha256(f.before)[:12]}",
                                got=f"sha256 {sha256(current or b'')[:12]}",
                                hint="nothing was written; run `homeport port --write` again")
        plan.append((target, f.after, current))
    patch = _new_patch(root / ".homeport" / "port", revert_patch(changed, root).encode("utf-8", "surrogateescape"))
    try:
        _replace_all(root, plan)
    except RollbackIncomplete as exc:
        raise RollbackIncomplete(exc.what, got=exc.got,
                                 hint=f"undo the rest with `homeport port --revert {patch}`, or {exc.hint}") from None
    except BaseException:
        _unlink(patch)
        raise
    return patch


def _new_patch(folder: Path, data: bytes) -> Path:
    """Save `data` as a new revert patch: a name of its own (the time to the microsecond, then a counter),
    created exclusively, so a patch is never overwritten."""
    now = time.time_ns()
    stamp = f"{time.strftime('%Y%m%d-%H%M%S', time.localtime(now // 1_000_000_000))}-{now // 1000 % 1_000_000:06d}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(1000):
            patch = folder / f"revert-{stamp}{f'-{n}' if n else ''}.patch"
            if patch.with_suffix(".json").exists():
                continue
            try:
                fd = os.open(patch, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
            except FileExistsError:
                continue
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
            except BaseException:
                _unlink(patch)
                raise
            return patch
    except OSError as exc:
        raise HomeportError(f"cannot save the revert patch in {folder}", got=exc.strerror or str(exc),
                            hint="nothing was written: make it writable, or use --out DIR") from None
    raise HomeportError(f"cannot find a free name for the revert patch in {folder}", got=f"revert-{stamp}-*.patch taken",
                        hint="nothing was written; remove old patches there and run again")


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
    dirty = [line for line in proc.stdout.splitlines() if line.strip()]  # "XY PATH": X may be a space
    if dirty:
        raise UsageError("the work tree has uncommitted changes", expected="a clean work tree, so the port is one reviewable diff",
                         got=f"{len(dirty)} changed: {', '.join(line[3:] for line in dirty[:5])}",
                         hint="commit or stash them first, or pass --force")


# -- --revert PATCH -------------------------------------------------------------------------------------
@dataclass
class Reverted:
    """What `revert` did, file by file."""

    restored: list[str] = field(default_factory=list)  # byte-identical to the original again
    kept_edits: list[str] = field(default_factory=list)  # --force: the port undone, later edits kept
    already: list[str] = field(default_factory=list)  # were already the original: left alone


def revert(patch_path: Path, root: Path, force: bool = False) -> Reverted:
    """Apply a revert patch. Each file must still be exactly what the port wrote, and ends byte-identical
    to the original; a file already back to the original is left alone. With `force`, a file edited since
    the port gets the port's changes undone where the patch still fits, keeping the edits (so not
    byte-identical). All files are written, or (on any error) none is."""
    root = Path(root).resolve()
    try:
        text = Path(patch_path).read_bytes().decode("utf-8", "surrogateescape")
    except OSError as exc:
        raise UsageError(f"cannot read the revert patch {patch_path}", got=exc.strerror or str(exc),
                         hint="pass the path printed by `homeport port --write`") from None
    done = Reverted()
    plan = []
    for section in parse(text, patch_path):
        target = _inside(root, section.path, patch_path)
        try:
            current = target.read_bytes() if os.path.lexists(target) else None
        except OSError as exc:
            raise HomeportError(f"cannot read {section.path}", got=exc.strerror or str(exc),
                                hint="nothing was reverted; make it readable and run again") from None
        if section.deletes:
            original = current is None  # the port created it: gone again
        else:
            original = current is not None and sha256(current) == section.before
        if original:
            done.already.append(section.path)
            continue
        edited = current is None or sha256(current) != section.after
        if edited and not force:
            raise HomeportError(f"{section.path} changed since the port", expected=f"sha256 {section.after[:12]} (as ported)",
                                got="missing" if current is None else f"sha256 {sha256(current)[:12]}",
                                hint="nothing was reverted: undo those edits first, or pass --force to undo the port's "
                                     "changes and keep yours (where the patch still fits)")
        restored = apply_hunks(current or b"", section.lines, section.path)
        if sha256(restored) == section.before:
            done.restored.append(section.path)
        elif edited:
            done.kept_edits.append(section.path)
        else:
            raise HomeportError(f"reverting {section.path} would not restore the original",
                                expected=f"sha256 {section.before[:12]}", got=f"sha256 {sha256(restored)[:12]}",
                                hint="nothing was reverted; restore it from version control")
        plan.append((target, None if section.deletes and not restored else restored, current))
    _replace_all(root, plan)
    return done


def _inside(root: Path, path: str, patch_path: Path) -> Path:
    """The file `path` of the patch, which must lie inside `root` (links resolved)."""
    target = (root / path).resolve()
    if not path or Path(path).is_absolute() or target == root or root not in target.parents:
        raise UsageError(f"the revert patch names a file outside the tree: {path}", expected=f"paths inside {root}",
                         got=str(target),
                         hint=f"{patch_path} was not written by `homeport port --write` for this tree; nothing was reverted")
    return target


def is_change_log(path: Path) -> bool:
    """Whether `path` holds a change log `homeport port --log` wrote (which a later --log may replace)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("tool") == "homeport port" and "schema_version" in data

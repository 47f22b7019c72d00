"""The revert patch: a git-style unified diff from the ported tree back to the original, each file's
diff preceded by `# homeport-revert PATH SHA256-ORIGINAL SHA256-PORTED`; writing it, reading it back,
and applying one file's hunks. `git apply` reads the same text."""

from __future__ import annotations

import difflib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from homeport.core.errors import HomeportError, UsageError
from homeport.port.changes import FilePort

_NO_NEWLINE = "\n\\ No newline at end of file\n"
HEADER = "# homeport-revert"  # `# homeport-revert PATH SHA256-ORIGINAL SHA256-PORTED` before each file's diff
_MODE = "100644"  # the mode git records for a file homeport creates (an Apptainer definition)
_GIT_ESCAPES = {"\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f", "\r": "\\r",
                '"': '\\"', "\\": "\\\\"}
_GIT_UNESCAPES = {v[1]: k for k, v in _GIT_ESCAPES.items()}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- diffs -----------------------------------------------------------------------------------------------
def quote_path(name: str) -> str:
    """`name` as git writes it in a patch: as it is, or C-quoted when it holds a double quote, a
    backslash or a control character (other characters stay as they are, as with core.quotePath=false)."""
    if not any(c in _GIT_ESCAPES or ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        return name
    return '"' + "".join(_GIT_ESCAPES.get(c) or (f"\\{ord(c):03o}" if ord(c) < 0x20 or ord(c) == 0x7F else c)
                         for c in name) + '"'


def unquote_path(text: str) -> str:
    """The inverse of `quote_path` (and of git's own quoting, octal-escaped UTF-8 included)."""
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        return text
    out = bytearray()
    body, i = text[1:-1], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in _GIT_UNESCAPES:
                out += _GIT_UNESCAPES[nxt].encode()
                i += 2
                continue
            if body[i + 1:i + 4].isdigit() and len(body[i + 1:i + 4]) == 3:
                out.append(int(body[i + 1:i + 4], 8) & 0xFF)
                i += 4
                continue
        out += c.encode("utf-8", "surrogateescape")
        i += 1
    return out.decode("utf-8", "surrogateescape")


def unified_diff(files: list[FilePort], reverse: bool = False, root: Path | None = None) -> str:
    """A git-style unified diff of every changed file (ported -> original when `reverse`) that `git apply`
    accepts: names quoted as git quotes them, and a file the port creates (empty before, and absent
    from `root` when given) marked `new file mode` (`deleted file mode` in the reverse diff)."""
    out = []
    for f in files:
        if f.changed:
            created = not f.before and (root is None or not os.path.lexists(Path(root) / f.path))
            out.extend(_file_diff(f, reverse, created))
    return "".join(out)


def _file_diff(f: FilePort, reverse: bool, created: bool) -> list[str]:
    old, new = (f.after, f.before) if reverse else (f.before, f.after)
    a, b = f"a/{f.path}", f"b/{f.path}"
    lines = [f"diff --git {quote_path(a)} {quote_path(b)}\n"]
    if created:
        lines.append(f"{'deleted' if reverse else 'new'} file mode {_MODE}\n")
    lines.append(f"--- {'/dev/null' if created and not reverse else _name(a)}\n")
    lines.append(f"+++ {'/dev/null' if created and reverse else _name(b)}\n")
    body = difflib.unified_diff(lines_of(old.decode("utf-8", "surrogateescape")),
                                lines_of(new.decode("utf-8", "surrogateescape")), n=3)
    for line in list(body)[2:]:  # difflib's own ---/+++ lines are replaced by git's above
        lines.append(line if line.endswith("\n") else line + _NO_NEWLINE)
    return lines


def _name(name: str) -> str:
    """A name on a ---/+++ line: git ends an unquoted one that holds a space with a tab."""
    quoted = quote_path(name)
    return quoted + "\t" if quoted == name and " " in name else quoted


def lines_of(text: str) -> list[str]:
    """Lines ending in "\n" only: a form feed or a lone "\r" is part of its line (str.splitlines would cut)."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def revert_patch(files: list[FilePort], root: Path | None = None) -> str:
    """A patch from the ported tree back to the original (also usable with `git apply`), each file
    preceded by the digests that `revert` checks before and after applying it."""
    out = ["# homeport port: revert patch. Apply with `homeport port --revert THIS_FILE` (or `git apply`).\n"]
    for f in files:
        out.append(f"{HEADER} {quote_path(f.path)} {sha256(f.before)} {sha256(f.after)}\n")
        out.append(unified_diff([f], reverse=True, root=root))
    return "".join(out)


@dataclass
class Section:
    path: str
    before: str  # sha256 of the original
    after: str  # sha256 of what the port wrote
    lines: list[str]

    @property
    def deletes(self) -> bool:
        """The port created the file: reverting removes it (`+++ /dev/null`, before the first hunk)."""
        for line in self.lines:
            if line.startswith("@@"):
                return False
            if line.rstrip("\n") == "+++ /dev/null":
                return True
        return False


def parse(text: str, patch_path: Path) -> list[Section]:
    files: list[Section] = []
    current = None
    for line in lines_of(text):
        if line.startswith(HEADER + " "):
            parts = line[len(HEADER) + 1:].rstrip("\n").rsplit(" ", 2)
            if len(parts) != 3 or not all(len(s) == 64 and all(c in "0123456789abcdef" for c in s) for s in parts[1:]):
                raise UsageError(f"{patch_path} has a malformed header", expected=f"{HEADER} PATH SHA256 SHA256",
                                 got=line.rstrip("\n")[:200], hint="pass the .patch file printed by `homeport port --write`")
            current = Section(unquote_path(parts[0]), parts[1], parts[2], [])
            files.append(current)
        elif current is not None:
            current.lines.append(line)
    if not files:
        raise UsageError(f"{patch_path} is not a homeport revert patch", expected=f"lines starting with {HEADER!r}",
                         hint="pass the .patch file printed by `homeport port --write`")
    return files


def _hunks(lines: list[str], path: str) -> list[tuple[int, list[str], list[str]]]:
    """(where the old side starts, 0-based; its lines; the new lines) of each hunk of one file's diff."""
    hunks = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.startswith("@@"):
            continue
        try:
            first, _, count = line.split()[1][1:].partition(",")  # "@@ -first,count +...": the old side
            start = int(first) if count == "0" else int(first) - 1  # an empty range names the line before it
        except (IndexError, ValueError):
            raise UsageError(f"the revert patch has a malformed hunk for {path}", expected="@@ -LINE,COUNT +LINE,COUNT @@",
                             got=line.rstrip("\n")[:80], hint="nothing was reverted") from None
        old: list[str] = []
        new: list[str] = []
        while i < len(lines) and lines[i][:1] in (" ", "-", "+", "\\"):
            body = lines[i]
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if body[0] == "\\":
                i += 1
                continue
            chunk = body[1:]
            if nxt.startswith("\\"):  # "\ No newline at end of file": the line had none
                chunk = chunk[:-1] if chunk.endswith("\n") else chunk
            if body[0] in " -":
                old.append(chunk)
            if body[0] in " +":
                new.append(chunk)
            i += 2 if nxt.startswith("\\") else 1
        hunks.append((start, old, new))
    return hunks


def apply_hunks(data: bytes, lines: list[str], path: str) -> bytes:
    """Apply one file's unified diff (the ones homeport writes) to `data`. A hunk goes where its old
    lines are, nearest to where the patch puts them (lines added or removed above it move it)."""
    old = lines_of(data.decode("utf-8", "surrogateescape"))
    out: list[str] = []
    pos = shift = 0
    for start, before, after in _hunks(lines, path):
        at = _find(old, before, start + shift, pos)
        if at is None:
            raise HomeportError(f"the revert patch no longer fits {path}", expected=f"near line {start + 1}: "
                                f"{before[0][:60]!r}" if before else "an empty file", got="other lines: edited since the port",
                                hint="nothing was reverted; restore that file from version control, or undo the port in "
                                     "it by hand")
        out.extend(old[pos:at])
        out.extend(after)
        pos, shift = at + len(before), at - start
    out.extend(old[pos:])
    return "".join(out).encode("utf-8", "surrogateescape")


def _find(old: list[str], part: list[str], guess: int, lo: int) -> int | None:
    """Where `part` is in `old` at or after `lo`, nearest to `guess`."""
    n = len(part)
    if not n:
        return min(max(guess, lo), len(old))
    if lo <= guess <= len(old) - n and old[guess:guess + n] == part:
        return guess
    for at in sorted(range(lo, len(old) - n + 1), key=lambda k: abs(k - guess)):
        if old[at:at + n] == part:
            return at
    return None

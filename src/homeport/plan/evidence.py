"""Evidence: the files the gates read, who recorded them, and whether they still speak for what they judge.

A gate never passes on evidence that is
- missing or unreadable;
- unattributed: nothing says which profile it was recorded under;
- from another profile: recorded under the other profile, or whose content names another target, accelerator
  or destination than the profile's;
- changed since it was recorded (its SHA-256 differs from the stamp's);
- stale: recorded before a file it judges last changed (the pipeline's code for an assessment, a test run or a
  script bench; the copy manifest for a data verification; the policy for a fence log; the cost job and the
  bench results it read for a cost report).

Who recorded it: the plan's own records (`plan exec --record`, `plan verify`) carry the profile inside; any
other file (an assessment, a bench result, a fence audit log) gets a stamp beside it, FILE.stamp.json, written
by `homeport plan exec --profile P --stamp FILE -- COMMAND` once COMMAND has written FILE: the profile, the
command, its exit code, when it started and ended, and the file's SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from homeport.plan.spec import Plan, Profile

STAMP_KIND, RECORD_PREFIX = "homeport-plan-stamp", "homeport-plan-"
_SKIP_DIRS = {".homeport", ".git", "__pycache__", ".venv", "node_modules", ".pytest_cache"}


class EvidenceProblem(Exception):
    """Why a piece of evidence cannot be used; a gate reports it as the check's reason."""

    def __init__(self, kind: str, reason: str):
        self.kind = kind  # missing | unreadable | unattributed | other-profile | changed | stale
        self.reason = reason
        super().__init__(reason)


@dataclass
class Evidence:
    path: Path
    doc: Any
    recorded: float  # when what it records began (epoch seconds): anything that judged input changed after is newer
    profile: str
    stamp: dict | None = None


def stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".stamp.json")


def sha256_file(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def load(path: Path, profile: Profile | None, *, jsonl: bool = False, produce: str = "") -> Evidence:
    """The evidence at `path`, recorded under `profile` (None: under either, for a file that compares both, such
    as a cost report); EvidenceProblem otherwise. `produce`: the command that records it, quoted in the reason
    when it is missing, stale or from elsewhere."""
    how = f"; record it with: {produce}" if produce else ""
    if not path.is_file():
        raise EvidenceProblem("missing", f"no evidence at {_shown(path)}{how}")
    try:
        text = path.read_text(encoding="utf-8")
        doc = [json.loads(line) for line in text.splitlines() if line.strip()] if jsonl else json.loads(text)
    except (OSError, ValueError) as exc:
        raise EvidenceProblem("unreadable", f"{_shown(path)} is not readable {'JSONL' if jsonl else 'JSON'} ({exc}){how}")
    stamp = _stamp(path, how)
    own = doc.get("profile") if isinstance(doc, dict) and str(doc.get("kind", "")).startswith(RECORD_PREFIX) else None
    by = stamp["profile"] if stamp else own
    if profile is None:
        by = by or ""
    elif by is None:
        raise EvidenceProblem("unattributed", f"{_shown(path)} does not say which profile it was recorded under (no stamp "
                                              f"{stamp_path(path).name} beside it){how}")
    elif by != profile.name:
        raise EvidenceProblem("other-profile", f"{_shown(path)} was recorded under profile {by!r}, this check needs "
                                               f"profile {profile.name!r} ({profile.role}){how}")
    started = (stamp or (doc if isinstance(doc, dict) else {})).get("started")
    recorded = _epoch(started) if started else path.stat().st_mtime
    return Evidence(path, doc, recorded, by, stamp)


def _stamp(path: Path, how: str) -> dict | None:
    sp = stamp_path(path)
    if not sp.is_file():
        return None
    try:
        stamp = json.loads(sp.read_text(encoding="utf-8"))
        assert stamp.get("kind") == STAMP_KIND and stamp.get("profile") and stamp.get("sha256")
    except (OSError, ValueError, AssertionError):
        raise EvidenceProblem("unreadable", f"the stamp {_shown(sp)} is not one `homeport plan exec --stamp` wrote{how}") from None
    if sha256_file(path) != stamp["sha256"]:
        raise EvidenceProblem("changed", f"{_shown(path)} changed after it was stamped (SHA-256 "
                                         f"{stamp['sha256'][:12]}... then, not now){how}")
    return stamp


def check_fresh(evidence: Evidence, inputs: Iterable[Path], base: Path, produce: str = "", *,
                must_exist: bool = False) -> None:
    """Stale when any input changed after the evidence's run began. `must_exist`: an input that cannot be found
    means freshness cannot be judged (a listing of the tree may name deleted files: those are skipped)."""
    newest, when = None, 0.0
    for p in inputs:
        try:
            m = p.stat().st_mtime
        except OSError:
            if must_exist:
                raise EvidenceProblem("stale", f"cannot tell whether {evidence.path.name} is current: what it judges, "
                                               f"{p}, is not there (a relative path is read from {base})") from None
            continue
        if m > when:
            newest, when = p, m
    if newest is not None and when > evidence.recorded:
        shown = _rel(newest, base)
        raise EvidenceProblem("stale", f"{evidence.path.name} is stale: {shown} changed at {iso(when)}, after the "
                                       f"evidence was recorded at {iso(evidence.recorded)}"
                                       + (f"; record it again with: {produce}" if produce else ""))


def pipeline_inputs(plan: Plan) -> list[Path]:
    """The pipeline's own files: git's tracked and not-ignored files when it is a work tree (so training outputs
    such as outputs/ stay out), else every file; never .homeport/ nor the migration file itself."""
    root = plan.pipeline
    try:
        out = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "-c", "-o", "--exclude-standard"],
                             capture_output=True, timeout=60)
        names = [n for n in out.stdout.decode("utf-8", "surrogateescape").split("\0") if n] if out.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):
        names = None
    if names is None:
        names = []
        for d, dirs, files in os.walk(root):
            dirs[:] = [x for x in dirs if x not in _SKIP_DIRS]
            names += [os.path.relpath(os.path.join(d, f), root) for f in files]
    plan_file = plan.path.resolve()
    return [root / n for n in names
            if not set(Path(n).parts) & {".homeport"} and (root / n).resolve() != plan_file]


def write_stamp(path: Path, profile: str, command: list[str], exit_code: int, started: float, finished: float) -> Path:
    doc = {"schema_version": 1, "kind": STAMP_KIND, "profile": profile, "file": path.name,
           "sha256": sha256_file(path), "command": command, "exit_code": exit_code,
           "started": iso(started), "finished": iso(finished)}
    return write_json(stamp_path(path), doc)


def write_json(path: Path, doc: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="microseconds")


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _shown(path: Path) -> str:
    """Relative to the current folder when inside it, as a person typed it."""
    rel = os.path.relpath(path)
    return str(path) if rel.startswith("..") else rel


def _rel(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path)

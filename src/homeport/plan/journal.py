"""The plan's journal: `.homeport/plan/journal.jsonl`, one JSON line per event, appended with one write and
synced to disk before the work it records goes on, so a kill -9 loses at most the line being written (a torn
last line is skipped on reading).

An operation (`cutover-1`, `rollback-1`) is a sequence of named actions, each journaled `begin`, then `done`
(with what it did) or `failed` (with why). Running an unfinished operation again skips its done actions and
redoes the others, so every action is written to be safe to repeat: a copy resumes from its own journal, a
profile switch rewrites the same files, a revert leaves restored files alone. One process at a time: an
exclusive lock on `.homeport/plan/lock`, which the kernel releases when the process dies.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from homeport.core.errors import HomeportError

OP = "operation"  # the action name of an operation's own begin/done/undone lines
Action = tuple[str, Callable[[], dict | None]]  # (name, run) -> what it did, for the journal
OnEvent = Callable[[str, str, dict], None]  # (action, begin|done|already|failed, detail)


class NeedsPerson(HomeportError):
    """A step failed and what it had started cannot be completed or undone by homeport: exit 3 (DESIGN.md); the
    message names the step, what a person must do, and the journal."""

    exit_code = 3


@dataclass
class Operation:
    id: str  # cutover-1, rollback-2
    kind: str
    begun: str
    status: str = "open"  # open | done | undone (a cutover put back) | refused
    detail: dict = field(default_factory=dict)
    actions: dict[str, dict] = field(default_factory=dict)  # name -> its last line
    done_lines: dict[str, int] = field(default_factory=dict)  # name -> how many `done` lines (1 when idempotent)
    failed_lines: dict[str, int] = field(default_factory=dict)  # name -> attempts that failed before
    finished: str | None = None

    @property
    def open(self) -> bool:
        return self.status == "open"


class Journal:
    def __init__(self, state_dir: Path):
        self.dir = Path(state_dir)
        self.path = self.dir / "journal.jsonl"
        self.torn = 0  # lines that could not be read (a write cut by a kill)

    def records(self) -> list[dict]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        out, self.torn = [], 0
        for line in raw.splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                self.torn += 1
        return out

    def append(self, op: str, action: str, event: str, **detail) -> dict:
        record = {"time": _now(), "op": op, "action": action, "event": event, "pid": os.getpid(), **detail}
        line = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                if os.fstat(fd).st_size and not self._ends_with_newline():
                    os.write(fd, b"\n")  # a torn line left by a kill stays alone on its line
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise HomeportError(f"cannot write the plan journal {self.path}", got=exc.strerror or str(exc),
                                hint="make .homeport/plan writable; nothing further was done") from None
        return record

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"\n"

    def operations(self) -> list[Operation]:
        ops: dict[str, Operation] = {}
        for r in self.records():
            op = ops.get(r["op"])
            if r["action"] == OP and r["event"] == "begin":
                ops[r["op"]] = Operation(r["op"], r.get("kind", r["op"].rsplit("-", 1)[0]), r["time"],
                                         detail={k: v for k, v in r.items() if k not in ("time", "op", "action", "event", "pid")})
            elif op is None:
                continue
            elif r["action"] == OP:
                op.status, op.finished = r["event"], r["time"]
            else:
                op.actions[r["action"]] = r
                if r["event"] in ("done", "failed"):
                    lines = op.done_lines if r["event"] == "done" else op.failed_lines
                    lines[r["action"]] = lines.get(r["action"], 0) + 1
        return list(ops.values())

    def begin(self, kind: str, **detail) -> str:
        n = sum(op.kind == kind for op in self.operations()) + 1
        op = f"{kind}-{n}"
        self.append(op, OP, "begin", kind=kind, **detail)
        return op

    def finish(self, op: str, status: str = "done", **detail) -> None:
        self.append(op, OP, status, **detail)

    @contextmanager
    def lock(self) -> Iterator[None]:
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dir / "lock", os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise HomeportError("another homeport plan command is running on this migration",
                                    got=f"{self.dir / 'lock'} is held",
                                    hint="wait for it to finish (its progress is in the journal), then run again") from None
            yield
        finally:
            os.close(fd)


def run_actions(journal: Journal, op: str, actions: list[Action], on_event: OnEvent | None = None) -> None:
    """Run `op`'s actions in order, skipping those already done; an error is journaled and raised."""
    on_event = on_event or (lambda *_: None)
    done = done_actions(journal, op)
    for name, run in actions:
        if name in done:
            on_event(name, "already", {})
            continue
        journal.append(op, name, "begin")
        on_event(name, "begin", {})
        try:
            detail = run() or {}
        except HomeportError as exc:
            journal.append(op, name, "failed", error=one_line(exc))
            on_event(name, "failed", {"error": one_line(exc)})
            raise
        except BaseException as exc:  # an interrupt or a bug: the next run redoes this action
            journal.append(op, name, "failed", error=f"{type(exc).__name__}: {exc}")
            raise
        journal.append(op, name, "done", **detail)
        on_event(name, "done", detail)


def done_actions(journal: Journal, op: str) -> set[str]:
    """The actions of `op` the journal records as done."""
    found = next((o for o in journal.operations() if o.id == op), None)
    return {name for name, n in (found.done_lines if found else {}).items() if n}


def one_line(exc: HomeportError) -> str:
    """An error's sentences on one line, for a journal entry or a check's reason."""
    return exc.render().replace(".\n  ", "; ").replace("\n  ", "; ")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")

"""The fence's JSONL audit log, and what `fence run` prints from it at the end.

Each line is one decision (Verdict.to_json plus `asked`: dns | connect | botocore | subprocess, `pid`, and
what was seen: `address`, `bucket`, `command`). A line is appended with a single write() on a file opened with
O_APPEND, so every process of a job (DataLoader workers, torchrun ranks, their children) can share one file
without interleaving lines, and a worker that ends with os._exit loses nothing.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from homeport.core.errors import HomeportError
from homeport.policy.verdict import Verdict

DEFAULT_LOG = "fence-audit.jsonl"


class AuditLog:
    def __init__(self, path: str | os.PathLike):
        self.path = os.path.abspath(path)
        try:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise HomeportError(f"cannot open the fence's audit log {self.path}", got=exc.strerror or str(exc),
                                hint="choose a writable path with --audit-log or audit_log: in the policy") from None

    def write(self, verdict: Verdict, **seen) -> None:
        os.write(self._fd, (verdict.to_json(**seen) + "\n").encode("utf-8"))

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


@dataclass
class Summary:
    counts: Counter = field(default_factory=Counter)  # verdict -> lines
    processes: set = field(default_factory=set)
    blocked: Counter = field(default_factory=Counter)  # (verdict, asked, host:port) -> lines, deny and audit
    unreadable: int = 0

    def lines(self, path: str) -> list[str]:
        out = [f"homeport fence: {self.counts['allow']} allowed, {self.counts['deny']} denied, "
               f"{self.counts['audit']} audited in {len(self.processes)} process(es); log: {path}"]
        for (verdict, asked, where), n in self.blocked.most_common(10):
            out.append(f"  {verdict:<5} {where} ({asked}){f' x{n}' if n > 1 else ''}")
        if len(self.blocked) > 10:
            out.append(f"  ... and {len(self.blocked) - 10} more destinations (see the log)")
        if self.unreadable:
            out.append(f"  {self.unreadable} line(s) of the log could not be read")
        return out


def summarize(path: str | os.PathLike, offset: int = 0) -> Summary:
    """Counts of the lines written to `path` after byte `offset` (where a run started)."""
    summary = Summary()
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read()
    except FileNotFoundError:
        return summary
    for raw in data.splitlines():
        try:
            entry = json.loads(raw)
            verdict = entry["verdict"]
        except (ValueError, KeyError, TypeError):
            summary.unreadable += 1
            continue
        summary.counts[verdict] += 1
        summary.processes.add(entry.get("pid"))
        if verdict != "allow":
            port = f":{entry['port']}" if entry.get("port") else ""
            summary.blocked[(verdict, entry.get("asked", "?"), f"{entry.get('host')}{port}")] += 1
    return summary

"""What `homeport port` did, call site by call site: the change log (research/portability.md section 5,
modelled on the Gaudi migration log and HIPIFY's statistics)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from homeport.core.model import Applicability


class Kind(str, Enum):
    """How faithful a replacement is (the Gaudi toolkit's hpu_match / hpu_modified / hpu_mismatch)."""

    EXACT = "exact"  # the same behaviour on the source NVIDIA machine, portable elsewhere
    SEMANTIC = "semantic-change"  # portable, but numerics or behaviour may differ
    UNSUPPORTED = "unsupported"  # no portable form: a person must port it (see `route`)


class Status(str, Enum):
    APPLIED = "applied"
    LEFT = "left"  # a fix exists but was not applied (unsafe without --unsafe-fixes, torch too old, ...)
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Change:
    """One call site. `original`/`replacement` are source text; `reason` says why a change was left."""

    path: str  # relative to the ported root, "/"-separated
    line: int  # 1-based, in the original file
    rule: str
    original: str
    replacement: str
    kind: Kind
    applicability: Applicability
    status: Status
    reason: str = ""

    def to_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "rule": self.rule, "original": self.original,
                "replacement": self.replacement, "kind": self.kind.value,
                "applicability": self.applicability.value, "status": self.status.value, "reason": self.reason}

    def left(self, reason: str) -> Change:
        """The same change, not applied, for `reason`."""
        return Change(self.path, self.line, self.rule, self.original, self.replacement, self.kind,
                      self.applicability, Status.LEFT, reason)


@dataclass
class FilePort:
    """One file: its bytes before and after, the changes, and the flagged references before and after
    (counted by re-running the detector on the result, so the figures never claim more than was done)."""

    path: str
    before: bytes
    after: bytes
    changes: list[Change] = field(default_factory=list)
    flagged_before: int = 0  # accelerator/dependency findings in the original
    flagged_after: int = 0  # the same, in the ported file
    lines_before: int = 0  # distinct flagged lines
    lines_after: int = 0
    skipped: str = ""  # why the file was not ported (syntax error, unreadable, ...)

    @property
    def changed(self) -> bool:
        return self.before != self.after

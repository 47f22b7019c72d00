"""Findings and the vocabulary they are written in (DESIGN.md, "Contracts")."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from homeport.core.inventory import Inventory


class Category(str, Enum):
    ACCELERATOR = "accelerator"
    CLOUD = "cloud"
    DEPENDENCY = "dependency"
    RESIDENCY = "residency"


class Severity(str, Enum):
    """Ordered: info < warning < blocker. `blocker` means it will not run on the target as written."""

    INFO = "info"
    WARNING = "warning"
    BLOCKER = "blocker"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.BLOCKER: 2}


class Target(str, Enum):
    """Where the pipeline is going. `portable` means any non-NVIDIA accelerator: the worst case of them."""

    PORTABLE = "portable"
    ROCM = "rocm"
    GAUDI = "gaudi"
    XPU = "xpu"
    NPU = "npu"
    CPU = "cpu"
    CUDA = "cuda"


# The targets `portable` stands for.
NON_NVIDIA = (Target.ROCM, Target.GAUDI, Target.XPU, Target.NPU, Target.CPU)


class Applicability(str, Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class Fix:
    applicability: Applicability
    title: str

    def to_dict(self) -> dict:
        return {"applicability": self.applicability.value, "title": self.title}


@dataclass(frozen=True, order=True)
class Location:
    path: str  # relative to the scanned root, "/"-separated
    line: int  # 1-based
    column: int  # 1-based
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Finding:
    rule: str
    name: str
    category: Category
    severity: Severity
    location: Location
    message: str
    fix: Fix | None = None
    snippet: str = ""
    # category residency: the policy's verdict on the destination (homeport.policy.Verdict), else None
    residency: Any = None

    def to_dict(self) -> dict:
        loc = self.location
        out = {
            "rule": self.rule,
            "name": self.name,
            "category": self.category.value,
            "severity": self.severity.value,
            "path": loc.path,
            "line": loc.line,
            "column": loc.column,
            "end_line": loc.end_line,
            "end_column": loc.end_column,
            "message": self.message,
            "fix": self.fix.to_dict() if self.fix else None,
            "snippet": self.snippet,
        }
        if self.residency is not None:  # only with `assess --policy`: other findings keep their shape
            out["residency"] = self.residency.to_dict()
        return out


@dataclass(frozen=True)
class Skipped:
    """An input that was not analyzed, and why (never skip silently)."""

    path: str
    reason: str

    def to_dict(self) -> dict:
        return {"path": self.path, "reason": self.reason}


@dataclass
class Suppressed:
    finding: Finding
    reason: str


@dataclass
class FileResult:
    """What one analyzer returns for one file."""

    path: str
    kind: str
    lines: int = 0
    findings: list[Finding] = field(default_factory=list)
    facts: list = field(default_factory=list)  # inventory facts, see core/inventory.py
    suppressed: list[Suppressed] = field(default_factory=list)
    skipped: Skipped | None = None  # the whole file was not analyzed
    partial: list[Skipped] = field(default_factory=list)  # parts of it were not (a notebook cell)


@dataclass
class Assessment:
    """Everything `homeport assess` found in one tree: the input every report format renders."""

    root: str
    target: Target
    rules: list[str]  # the codes that ran
    files: list[FileResult]
    findings: list[Finding]
    suppressed: list[Suppressed]
    skipped: list[Skipped]
    inventory: Inventory
    seconds: float = 0.0
    policy: str | None = None  # the residency policy the RES rules judged against (`assess --policy`)

    @property
    def lines(self) -> int:
        return sum(f.lines for f in self.files)

    def counts(self, attr: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for finding in self.findings:
            key = getattr(finding, attr).value
            out[key] = out.get(key, 0) + 1
        return out

    def at_or_above(self, threshold: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity.rank >= threshold.rank]

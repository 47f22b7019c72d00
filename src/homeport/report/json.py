"""JSON output, `"schema_version": 1` (DESIGN.md, "Contracts")."""

from __future__ import annotations

import json

from homeport import __version__
from homeport.core.model import Assessment
from homeport.core.rule import blockers_by_target

SCHEMA_VERSION = 1


def to_dict(a: Assessment) -> dict:
    out = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "homeport", "version": __version__},
        "root": a.root,
        "target": a.target.value,
        "rules": a.rules,
        "summary": {
            "files": len(a.files), "lines": a.lines, "findings": len(a.findings),
            "by_category": a.counts("category"), "by_severity": a.counts("severity"),
            "by_target": blockers_by_target(a.findings),
            "suppressed": len(a.suppressed), "skipped": len(a.skipped), "seconds": round(a.seconds, 3),
        },
        "findings": [f.to_dict() for f in a.findings],
        "suppressed": [{**s.finding.to_dict(), "reason": s.reason} for s in a.suppressed],
        "skipped": [s.to_dict() for s in a.skipped],
        "inventory": a.inventory.to_dict(),
    }
    if a.policy is not None:  # `assess --policy`: residency findings carry the verdict under "residency"
        out["policy"] = a.policy
    return out


def render(a: Assessment) -> str:
    # Compact: json's C encoder only runs without `indent` (4x faster on large reports); pipe
    # through `python -m json.tool` to read it.
    return json.dumps(to_dict(a), ensure_ascii=False, separators=(",", ":")) + "\n"

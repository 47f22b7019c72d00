"""SARIF 2.1.0 output: one run, every rule that ran described, findings as results.

Suppressed findings stay in the log as results with an `inSource` suppression and its reason;
skipped inputs are tool execution notifications (never skip silently). homeport's fixes carry no
replacement text yet, so they are not SARIF `fixes`: their title and safety go in `result.properties`.
Columns are characters (`unicodeCodePoints`), 1-based; `endColumn` is the column after the region.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from homeport import __version__
from homeport.core.model import Assessment, Finding, Severity, Skipped
from homeport.core.rule import Rule

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "SRCROOT"
FINGERPRINT = "homeport/v1"

LEVEL = {Severity.BLOCKER: "error", Severity.WARNING: "warning", Severity.INFO: "note"}

SKIPPED_NOTIFICATION = {
    "id": "skipped-input",
    "name": "skipped-input",
    "shortDescription": {"text": "An input was not analyzed; the message says why."},
    "defaultConfiguration": {"level": "warning"},
}
# Skipped by design (not the pipeline's own code, or nothing to analyze): a note, not a warning.
_BY_DESIGN = ("no analyzer for this file type", "vendored", "installed packages", "cache", "virtual environment",
              "version-control", "test environments", "build output", "Terraform provider cache",
              "notebook checkpoints", "(analyzed there)", "link to a directory")
_NOTEBOOK_CELL = re.compile(r"^(?P<path>.+)#(?P<cell>cell\d+)$")


def render(a: Assessment) -> str:
    return json.dumps(to_dict(a), indent=2, ensure_ascii=False) + "\n"


def to_dict(a: Assessment) -> dict:
    from homeport.assess.engine import load_rules

    registry = load_rules()
    rules = [registry[code] for code in a.rules if code in registry]
    # A finding from a rule that is not in `a.rules` would break ruleIndex: describe it too.
    for code in sorted({f.rule for f in a.findings} | {s.finding.rule for s in a.suppressed}):
        if code not in a.rules and code in registry:
            rules.append(registry[code])
    index = {rule.code: i for i, rule in enumerate(rules)}
    counter: dict[tuple[str, str, str], int] = {}
    entries = [(f, None) for f in a.findings] + [(s.finding, s.reason) for s in a.suppressed]
    entries.sort(key=lambda e: (e[0].location, e[0].rule))
    results = [_result(f, reason, index, counter) for f, reason in entries]
    run = {
        "tool": {"driver": {
            "name": "homeport",
            "version": __version__,
            "semanticVersion": __version__,
            **_information_uri(),
            "rules": [_rule(rule, a) for rule in rules],
            "notifications": [SKIPPED_NOTIFICATION],
        }},
        "invocations": [{
            "executionSuccessful": True,
            "toolExecutionNotifications": [_notification(s) for s in a.skipped],
        }],
        "originalUriBaseIds": {SRCROOT: {"uri": _root_uri(a.root)}},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "target": a.target.value,
            "files": len(a.files),
            "lines": a.lines,
            "suppressed": len(a.suppressed),
            "skipped": len(a.skipped),
        },
    }
    if a.policy is not None:
        run["properties"]["policy"] = a.policy
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def _rule(rule: type[Rule], a: Assessment) -> dict:
    from homeport.report.ruledocs import rule_markdown

    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary()},
        "fullDescription": {"text": _full_description(rule)},
        "help": {"text": rule.doc(), "markdown": rule_markdown(rule)},
        "defaultConfiguration": {"level": LEVEL[rule.severity_for(a.target)]},
        "properties": {
            "category": rule.category.value,
            "tags": [rule.category.value, rule.name, *(["fixable"] if rule.fix_title else [])],
        },
    }


def _full_description(rule: type[Rule]) -> str:
    """"What it does" and "Why it blocks a migration", as plain paragraphs."""
    doc = rule.doc()
    parts = []
    for section in ("## What it does", "## Why it blocks a migration"):
        if section in doc:
            parts.append(doc.split(section, 1)[1].split("\n## ", 1)[0].strip())
    return "\n\n".join(p for p in parts if p) or rule.summary()


def _result(f: Finding, reason: str | None, index: dict[str, int], counter: dict) -> dict:
    loc = f.location
    region = {"startLine": loc.line, "startColumn": loc.column,
              "endLine": max(loc.end_line, loc.line), "endColumn": loc.end_column}
    if region["endLine"] == region["startLine"] and region["endColumn"] < region["startColumn"]:
        region["endColumn"] = region["startColumn"]
    if f.snippet:
        region["snippet"] = {"text": f.snippet}
    result = {
        "ruleId": f.rule,
        "level": LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(loc.path), "region": region}}],
        "partialFingerprints": {FINGERPRINT: _fingerprint(f, counter)},
        "properties": {"name": f.name, "category": f.category.value, "severity": f.severity.value},
    }
    if f.rule in index:
        result["ruleIndex"] = index[f.rule]
    if f.fix:
        result["properties"]["fix"] = {"applicability": f.fix.applicability.value, "title": f.fix.title}
    if f.residency is not None:  # the verdict, the clause and the catalog rows, as the JSON report has them
        result["properties"]["residency"] = f.residency.to_dict()
    if reason is not None:
        suppression = {"kind": "inSource", "status": "accepted"}
        if reason:
            suppression["justification"] = reason
        result["suppressions"] = [suppression]
    return result


def _fingerprint(f: Finding, counter: dict) -> str:
    """Stable across runs and line shifts: rule, path, the line's text (whitespace-normalized), and
    which occurrence of that triple it is, so two identical lines in one file stay two results."""
    snippet = " ".join(f.snippet.split())
    key = (f.rule, f.location.path, snippet)
    nth = counter[key] = counter.get(key, 0) + 1
    return hashlib.sha256("\0".join((*key, str(nth))).encode("utf-8")).hexdigest()[:32]


def _artifact(path: str) -> dict:
    if PurePosixPath(path).is_absolute():  # outside the root (a directory walk error): no base
        return {"uri": Path(path).as_uri()}
    match = _NOTEBOOK_CELL.match(path)
    if match:  # a notebook cell: the file, with the cell as a fragment
        return {"uri": f"{quote(match['path'])}#{match['cell']}", "uriBaseId": SRCROOT}
    return {"uri": quote(path), "uriBaseId": SRCROOT}


def _notification(s: Skipped) -> dict:
    level = "note" if any(marker in s.reason for marker in _BY_DESIGN) else "warning"
    note = {
        "descriptor": {"id": SKIPPED_NOTIFICATION["id"], "index": 0},
        "level": level,
        "message": {"text": f"{s.path or '.'}: not analyzed: {s.reason}"},
        "properties": {"path": s.path, "reason": s.reason},
    }
    if s.path:
        note["locations"] = [{"physicalLocation": {"artifactLocation": _artifact(s.path)}}]
    return note


def _root_uri(root: str) -> str:
    uri = Path(root).resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"  # a base URI must end with a slash (SARIF 3.14.14)


def _information_uri() -> dict:
    """The home page named by the installed package (`[project.urls]` in pyproject.toml), if any:
    `informationUri` is optional in SARIF, and a made-up address would be worse than none."""
    try:
        from importlib.metadata import PackageNotFoundError, metadata

        meta = metadata("homeport")
    except (ImportError, PackageNotFoundError):
        return {}
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("homepage", "home", "repository", "source", "documentation") and url.strip():
            return {"informationUri": url.strip()}
    home = meta.get("Home-page")
    return {"informationUri": home} if home and home.upper() != "UNKNOWN" else {}

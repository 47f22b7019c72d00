"""Turns rule matches in one file into findings: location, severity for the target, snippet, suppression."""

from __future__ import annotations

from homeport.assess.destinations import Destinations
from homeport.assess.suppress import covers, parse_suppressions
from homeport.core.model import FileResult, Finding, Location, Severity, Suppressed, Target
from homeport.core.rule import Rule

SNIPPET_CHARS = 160


class Reporter:
    def __init__(self, result: FileResult, lines: list[str], target: Target, suppressions: bool = True,
                 destinations: Destinations | None = None):
        """`suppressions`: whether the file may hold any (the caller knows from one search of its text).
        `destinations`: where the file's destinations are collected for `assess --policy`; None without one."""
        self.result = result
        self.lines = lines
        self.target = target
        self.destinations = destinations
        self._suppressions = parse_suppressions(lines) if suppressions else {}
        self._seen: set[tuple] = set()

    def add(self, rule: type[Rule], line: int, col: int, end_line: int, end_col: int, message: str, *,
            value: str | None = None, note: str = "", severity: Severity | None = None, residency=None) -> None:
        """`col`/`end_col` are 0-based character offsets, as Python's ast gives them (after conversion).
        `value`: the text the rule matched, kept as a destination when the rule declares one (`note`: where
        it came from). `severity` and `residency`: a residency rule's verdict (assess/residency.py)."""
        if value is not None and rule.destination and self.destinations is not None:
            self.destinations.matched(rule.destination, value, line, col, end_line, end_col, note)
        key = (rule.code, line, col)
        if key in self._seen:
            return
        self._seen.add(key)
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        finding = Finding(
            rule=rule.code, name=rule.name, category=rule.category, severity=severity or rule.severity_for(self.target),
            location=Location(self.result.path, line, col + 1, end_line, end_col + 1),
            message=message, fix=rule.fix(), snippet=text[:SNIPPET_CHARS * 8].strip()[:SNIPPET_CHARS],
            residency=residency,
        )
        entry = self._suppressions.get(line)
        if covers(entry, rule.code):
            self.result.suppressed.append(Suppressed(finding, entry[1]))
        else:
            self.result.findings.append(finding)

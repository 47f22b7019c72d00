"""Suppression comments: `# homeport: ignore[ACC001,CLD005] reason`.

On the flagged line itself, or alone on the line just above it. Without `[...]` it covers every rule.
The reason is kept and shown in the report: a suppression without one is a smell, not an error.
"""

from __future__ import annotations

import re

_MARK = re.compile(r"(?:#|//)\s*homeport:\s*ignore(?:\[(?P<codes>[A-Za-z0-9,\s]*)\])?\s*(?P<reason>.*)$")
ALL = "*"


def parse_suppressions(lines: list[str]) -> dict[int, tuple[frozenset[str], str]]:
    """Map 1-based line number -> (codes or {"*"}, reason) for lines a suppression covers."""
    found: dict[int, tuple[frozenset[str], str]] = {}
    for number, line in enumerate(lines, start=1):
        if "homeport:" not in line:
            continue
        match = _MARK.search(line)
        if not match:
            continue
        raw = match.group("codes")
        codes = frozenset(c.strip().upper() for c in raw.split(",") if c.strip()) if raw else frozenset({ALL})
        entry = (codes, match.group("reason").strip())
        before = line[: match.start()].strip()
        _merge(found, number, entry)
        if not before:  # a comment line on its own covers the next line too
            _merge(found, number + 1, entry)
    return found


def _merge(found: dict, number: int, entry: tuple[frozenset[str], str]) -> None:
    """A line covered by the comment above it and by its own comment: both hold."""
    if number in found:
        codes, reason = found[number]
        entry = (codes | entry[0], "; ".join(r for r in (reason, entry[1]) if r))
    found[number] = entry


def covers(entry: tuple[frozenset[str], str] | None, code: str) -> bool:
    """`ignore[ACC]` covers every ACC rule, as `--ignore ACC` does."""
    return entry is not None and (ALL in entry[0] or any(code.startswith(c) for c in entry[0]))

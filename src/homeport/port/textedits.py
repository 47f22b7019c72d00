"""Edits by position in the original text, for the infrastructure files (YAML, shell): the parser only
says *where*; every byte it does not point at is kept, so comments, key order, anchors, quoting and
indentation survive a port exactly."""

from __future__ import annotations

from dataclasses import dataclass

from homeport.port.changes import Change


@dataclass(frozen=True)
class Edit:
    start: int  # character offsets into the original text, end exclusive
    end: int
    text: str
    change: Change  # the change-log entry this edit carries out


def line_span(text: str, first: int, last: int) -> tuple[int, int]:
    """Offsets of whole lines `first`..`last` (0-based, inclusive), their line ends included."""
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    start = starts[first]
    end = starts[last + 1] if last + 1 < len(starts) else len(text)
    return start, end


def apply_edits(text: str, edits: list[Edit]) -> str:
    """The text with every edit made; overlapping edits (one node reached twice) are made once."""
    out, cursor = [], 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < cursor:
            continue
        out += [text[cursor:edit.start], edit.text]
        cursor = edit.end
    return "".join(out) + text[cursor:]


def settle(text: str, edits: list[Edit], notes: list[Change], apply_unsafe: bool, unsafe_reason: str
           ) -> tuple[str, list[Change]]:
    """Apply the safe edits, and the unsafe ones when asked; the rest become `left` changes with the
    reason. `notes` are changes with no edit (left or unsupported) and pass through."""
    applied, changes = [], list(notes)
    for edit in edits:
        if edit.change.applicability.value == "unsafe" and not apply_unsafe:
            changes.append(edit.change.left(unsafe_reason))
        else:
            applied.append(edit)
            changes.append(edit.change)
    seen, unique = set(), []
    for change in changes:  # an anchored node reached through its aliases is one change
        key = (change.line, change.rule, change.original, change.status)
        if key not in seen:
            seen.add(key)
            unique.append(change)
    return apply_edits(text, applied), unique

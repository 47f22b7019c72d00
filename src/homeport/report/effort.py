"""Effort in story points, on the scale of Konveyor/MTA (0, 1, 3, 5, 7, 13 points an incident).

The levels and their meaning are catalog data (`effort_levels.csv`, with MTA as the source). A rule's level
comes from `rule_effort.csv` when a row names it, otherwise from this default:

- the finding is only `info` on the target (ROCm keeps the `cuda` device string): information, 0;
- the rule has a fix that `homeport port` writes (safe, or unsafe with --unsafe-fixes): trivial, 1;
- no fix, a warning on the target: complex, 3;
- no fix, a blocker on the target: redesign, 5.

The effort of a tree on a target is the sum over its findings of their level's points (MTA: story points
x incidents). Like MTA's, the figure compares targets and repositories; it is not a count of days.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from homeport.catalog.rows import Row, bad, read_rows
from homeport.core.model import Severity, Target
from homeport.core.rule import Rule

LEVELS_FILE, RULES_FILE = "effort_levels.csv", "rule_effort.csv"
LEVEL_COLUMNS = ("level", "story_points", "meaning", "source", "as_of")
RULE_COLUMNS = ("rule", "level", "why", "source", "as_of")
MTA_POINTS = (0, 1, 3, 5, 7, 13)

DEFAULT_WHY = {
    "information": "the finding is only informational on the target",
    "trivial": "`homeport port` rewrites it",
    "complex": "a warning without an automatic fix",
    "redesign": "a blocker without an automatic fix",
}


@dataclass(frozen=True)
class Level:
    level: str
    story_points: int
    meaning: str
    source: str
    as_of: str


@dataclass(frozen=True)
class RuleEffort:
    rule: str
    level: str
    why: str
    source: str
    as_of: str
    ref: str  # `rule_effort.csv:4`


@lru_cache(maxsize=1)
def levels() -> dict[str, Level]:
    return load_levels()


def load_levels(path: str | Path | None = None) -> dict[str, Level]:
    out: dict[str, Level] = {}
    for row in read_rows(LEVELS_FILE, LEVEL_COLUMNS, required=("level", "story_points", "meaning"), path=path):
        points = _points(row)
        out[row["level"]] = Level(row["level"], points, row["meaning"], row["source"], row["as_of"])
    missing = set(DEFAULT_WHY) - set(out)
    if missing:
        raise bad(Path(path).name if path else LEVELS_FILE, 1, "level",
                  f"the levels the default needs are missing: {', '.join(sorted(missing))}")
    return out


@lru_cache(maxsize=1)
def rule_efforts() -> dict[str, RuleEffort]:
    return load_rule_efforts()


def load_rule_efforts(path: str | Path | None = None,
                      known_levels: dict[str, Level] | None = None) -> dict[str, RuleEffort]:
    known = known_levels or levels()
    out: dict[str, RuleEffort] = {}
    for row in read_rows(RULES_FILE, RULE_COLUMNS, required=("rule", "level", "why"), path=path):
        if row["level"] not in known:
            raise row.bad("level", f"expected one of {', '.join(known)}, got {row['level']!r}")
        out[row["rule"]] = RuleEffort(row["rule"], row["level"], row["why"], row["source"], row["as_of"], row.ref)
    return out


def _points(row: Row) -> int:
    try:
        points = int(row["story_points"])
    except ValueError:
        raise row.bad("story_points", f"expected a whole number, got {row['story_points']!r}") from None
    if points not in MTA_POINTS:
        raise row.bad("story_points", f"expected one of MTA's {MTA_POINTS}, got {points}")
    return points


def level_of(code: str, severity: Severity) -> tuple[str, str]:
    """(level, why) of one incident of rule `code` found at `severity` on the target."""
    if severity is Severity.INFO:
        return "information", DEFAULT_WHY["information"]
    override = rule_efforts().get(code)
    if override:
        return override.level, override.why
    rule = Rule.registry.get(code)
    if rule is not None and rule.fix_title:
        return "trivial", DEFAULT_WHY["trivial"]
    level = "redesign" if severity is Severity.BLOCKER else "complex"
    return level, DEFAULT_WHY[level]


def severity_on(code: str, recorded: str, target: Target) -> Severity:
    """A finding's severity on `target`: the rule decides (the same line weighs differently on ROCm and
    Gaudi); a residency verdict, or a rule this version does not know, keeps what was recorded."""
    rule = Rule.registry.get(code)
    if rule is None or rule.judges:
        return Severity(recorded)
    return rule.severity_for(target)


@dataclass(frozen=True)
class Effort:
    target: Target
    points: int
    incidents: Counter  # level -> incidents at that level

    def points_at(self, level: str) -> int:
        return self.incidents[level] * levels()[level].story_points


def effort(findings: list[dict], target: Target) -> Effort:
    """Story points of `findings` (JSON finding objects: `rule`, `severity`) on `target`."""
    incidents: Counter = Counter()
    for finding in findings:
        level, _ = level_of(finding["rule"], severity_on(finding["rule"], finding["severity"], target))
        incidents[level] += 1
    points = sum(n * levels()[level].story_points for level, n in incidents.items())
    return Effort(target, points, incidents)

"""Story points on MTA's scale: the levels from the catalog, a rule's level from rule_effort.csv or the
documented default, and the sum per target."""

from __future__ import annotations

import pytest

from homeport.assess.engine import load_rules
from homeport.core.errors import CatalogError
from homeport.core.model import Severity, Target
from homeport.report import effort as E

load_rules()


def test_the_levels_are_mtas_with_their_source():
    got = {name: level.story_points for name, level in E.levels().items()}
    assert got == {"information": 0, "trivial": 1, "complex": 3, "redesign": 5, "rearchitecture": 7, "unknown": 13}
    for level in E.levels().values():
        assert level.meaning and "migration_toolkit_for_applications" in level.source and level.as_of


@pytest.mark.parametrize("code, severity, level", [
    ("ACC002", Severity.INFO, "information"),  # info on the target weighs nothing, whatever the rule
    ("ACC002", Severity.BLOCKER, "trivial"),  # a fix homeport port writes
    ("ACC102", Severity.BLOCKER, "trivial"),  # an unsafe fix is still a fix
    ("DEP102", Severity.BLOCKER, "redesign"),  # no fix, no row: a blocker
    ("ACC205", Severity.WARNING, "complex"),  # no fix, no row: a warning
    ("ACC010", Severity.BLOCKER, "rearchitecture"),  # rule_effort.csv
    ("CLD016", Severity.WARNING, "trivial"),  # rule_effort.csv: one point a Terraform line
    ("ACC116", Severity.BLOCKER, "unknown"),
])
def test_level_of_a_rule(code, severity, level):
    assert E.level_of(code, severity)[0] == level


def test_every_rule_effort_row_names_a_known_rule():
    unknown = set(E.rule_efforts()) - set(load_rules())
    assert not unknown, f"rule_effort.csv names rules that do not exist: {sorted(unknown)}"


def test_points_are_incidents_times_level():
    findings = [{"rule": "ACC002", "severity": "blocker"}] * 3 + [{"rule": "DEP102", "severity": "blocker"}] * 2 \
        + [{"rule": "ACC010", "severity": "blocker"}]
    on_gaudi = E.effort(findings, Target.GAUDI)  # all blockers there: 3 x 1 + 2 x 5 + 1 x 7
    assert on_gaudi.points == 20
    assert dict(on_gaudi.incidents) == {"trivial": 3, "redesign": 2, "rearchitecture": 1}
    on_rocm = E.effort(findings, Target.ROCM)  # ACC002 and DEP102 are info on ROCm; ACC010 a warning, still 7
    assert on_rocm.points == 7 and on_rocm.points_at("information") == 0


def test_a_residency_finding_keeps_its_recorded_severity():
    assert E.severity_on("RES001", "warning", Target.ROCM) is Severity.WARNING
    assert E.severity_on("XYZ999", "info", Target.ROCM) is Severity.INFO  # a rule this version does not know


def test_bad_effort_files_name_the_file_line_and_field(tmp_path):
    levels = tmp_path / "effort_levels.csv"
    levels.write_text("level,story_points,meaning,source,as_of\ntrivial,2,x,y,2026-11-27\n")
    with pytest.raises(CatalogError, match=r"effort_levels.csv, line 2, field 'story_points'.*MTA"):
        E.load_levels(levels)
    rules = tmp_path / "rule_effort.csv"
    rules.write_text("rule,level,why,source,as_of\nACC001,enormous,x,y,2026-11-27\n")
    with pytest.raises(CatalogError, match=r"rule_effort.csv, line 2, field 'level'"):
        E.load_rule_efforts(rules)

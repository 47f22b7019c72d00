"""SARIF output: valid against the official OASIS schema (tests/data), and true to the assessment."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse
from urllib.request import url2pathname

import jsonschema
import pytest

from homeport import assess
from homeport.assess.engine import load_rules
from homeport.core.model import Severity, Target
from homeport.report import sarif
from homeport.report.ruledocs import rule_markdown

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"
OFFICIAL_ID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {Severity.BLOCKER: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)  # the schema's own $schema decides (draft-04)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def errors(validator, log: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]


def render(a) -> dict:
    return json.loads(sarif.render(a))


def test_schema_is_the_official_one():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema.get("$id", schema.get("id")) == OFFICIAL_ID
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]
    assert sarif.SCHEMA_URI == OFFICIAL_ID


@pytest.mark.parametrize("target", ["portable", "rocm", "cuda"])
def test_example_is_valid_sarif(validator, example_path, target):
    a = assess(example_path, target=target)
    log = render(a)
    assert errors(validator, log) == []
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    assert len(log["runs"][0]["results"]) == len(a.findings) > 0


def test_tricky_tree_is_valid_sarif(validator, tricky):
    assert tricky.suppressed and tricky.skipped  # the tree exercises both
    assert errors(validator, render(tricky)) == []


def test_validator_rejects_a_broken_log(validator, tricky):
    """Proves the schema is really applied: a wrong level and a 0-based column are caught."""
    log = render(tricky)
    broken = copy.deepcopy(log)
    broken["runs"][0]["results"][0]["level"] = "blocker"
    assert errors(validator, broken)
    broken = copy.deepcopy(log)
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startColumn"] = 0
    assert errors(validator, broken)


def test_driver_describes_every_rule_that_ran(tricky):
    driver = render(tricky)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "homeport" and driver["version"]
    if "informationUri" in driver:  # from [project.urls] in pyproject.toml, when it names one
        assert urlparse(driver["informationUri"]).scheme in ("http", "https")
    registry = load_rules()
    assert [r["id"] for r in driver["rules"]] == tricky.rules
    for desc in driver["rules"]:
        rule = registry[desc["id"]]
        assert desc["name"] == rule.name
        assert desc["shortDescription"]["text"] == rule.summary()
        assert desc["fullDescription"]["text"]
        assert desc["help"]["markdown"] == rule_markdown(rule)
        assert desc["help"]["text"] == rule.doc()
        assert desc["properties"]["category"] == rule.category.value
        assert rule.category.value in desc["properties"]["tags"]


def test_every_result_has_its_rule_metadata(example):
    run = render(example)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


@pytest.mark.parametrize("target", [Target.ROCM, Target.GAUDI, Target.CUDA])
def test_levels_follow_the_target(example_path, target):
    a = assess(example_path, target=target)
    run = render(a)["runs"][0]
    registry = load_rules()
    for desc in run["tool"]["driver"]["rules"]:
        assert desc["defaultConfiguration"]["level"] == LEVEL[registry[desc["id"]].severity_for(target)]
    for result, finding in zip(run["results"], a.findings):
        assert result["ruleId"] == finding.rule
        assert result["level"] == LEVEL[registry[finding.rule].severity_for(target)] == LEVEL[finding.severity]
    assert run["properties"]["target"] == target.value


def test_the_same_line_changes_level_with_the_target(example_path):
    """`device="cuda"` is harmless on ROCm and a blocker on Gaudi (DESIGN.md, target awareness)."""
    levels = {}
    for target in (Target.ROCM, Target.GAUDI):
        run = render(assess(example_path, target=target, select=["ACC001"]))["runs"][0]
        levels[target] = {r["level"] for r in run["results"]}
    assert levels == {Target.ROCM: {"note"}, Target.GAUDI: {"error"}}


def test_regions_are_one_based_and_match_the_findings(example, tricky):
    for a in (example, tricky):
        run = render(a)["runs"][0]
        unsuppressed = [r for r in run["results"] if "suppressions" not in r]
        assert len(unsuppressed) == len(a.findings)
        for result, finding in zip(unsuppressed, a.findings):
            region = result["locations"][0]["physicalLocation"]["region"]
            loc = finding.location
            assert region["startLine"] == loc.line >= 1
            assert region["startColumn"] == loc.column >= 1
            assert region["endLine"] >= region["startLine"]
            if region["endLine"] == region["startLine"]:
                assert region["endColumn"] > region["startColumn"]
    assert run["columnKind"] == "unicodeCodePoints"


def test_first_column_is_column_one(tricky):
    run = render(tricky)["runs"][0]
    by_rule = {r["ruleId"]: r for r in run["results"] if r["locations"][0]["physicalLocation"]["artifactLocation"]
               ["uri"] == "requirements.txt"}
    assert by_rule["DEP001"]["locations"][0]["physicalLocation"]["region"]["startColumn"] == 1


def test_uris_are_relative_to_srcroot(tricky, tricky_root):
    run = render(tricky)["runs"][0]
    base = run["originalUriBaseIds"]["SRCROOT"]["uri"]
    assert base.startswith("file:///") and base.endswith("/")
    assert Path(url2pathname(urlparse(base).path)) == tricky_root.resolve()
    uris = set()
    for result in run["results"]:
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "SRCROOT"
        assert not urlparse(artifact["uri"]).scheme and not artifact["uri"].startswith("/")
        uris.add(artifact["uri"])
        assert Path(url2pathname(urlparse(urljoin(base, artifact["uri"])).path)).is_file()
    assert {"with%20space.py", "odd%7Cname.py", "train.py"} <= uris


def test_fingerprints_are_stable_and_distinct(tricky, tricky_root):
    first = [r["partialFingerprints"] for r in render(tricky)["runs"][0]["results"]]
    again = [r["partialFingerprints"] for r in render(assess(tricky_root))["runs"][0]["results"]]
    assert first == again
    values = [next(iter(fp.values())) for fp in first]
    assert len(set(values)) == len(values)  # two identical `torch.cuda.empty_cache()` lines stay two


def test_fixes_are_properties_not_sarif_fixes(tricky):
    results = render(tricky)["runs"][0]["results"]
    assert all("fixes" not in r for r in results)
    for result, finding in zip([r for r in results if "suppressions" not in r], tricky.findings):
        if finding.fix:
            assert result["properties"]["fix"] == finding.fix.to_dict()
        else:
            assert "fix" not in result["properties"]
    assert any("fix" in r["properties"] for r in results)


def test_suppressed_findings_are_results_with_their_reason(tricky):
    results = render(tricky)["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert len(suppressed) == len(tricky.suppressed) == 2
    by_rule = {r["ruleId"]: r["suppressions"] for r in suppressed}
    assert by_rule["ACC002"] == [{"kind": "inSource", "status": "accepted",
                                  "justification": "NVIDIA-only smoke test | kept on purpose"}]
    assert by_rule["ACC005"][0]["kind"] == "inSource"  # no reason given: no justification invented
    assert "justification" not in by_rule["ACC005"][0]


def test_skipped_inputs_are_tool_notifications(tricky):
    run = render(tricky)["runs"][0]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is True
    notes = invocation["toolExecutionNotifications"]
    assert len(notes) == len(tricky.skipped)
    for note, skipped in zip(notes, tricky.skipped):
        assert skipped.reason in note["message"]["text"]
        assert note["properties"] == {"path": skipped.path, "reason": skipped.reason}
        assert note["descriptor"]["id"] == run["tool"]["driver"]["notifications"][note["descriptor"]["index"]]["id"]
    levels = {n["properties"]["path"]: n["level"] for n in notes}
    assert levels["notes.md"] == "note"  # by design
    assert levels["pkg/bad.py"] == "warning"  # meant to be analyzed, and could not be
    uris = {n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes}
    assert "nb.ipynb#cell3" in uris


def test_no_findings_still_valid(validator, tmp_path):
    (tmp_path / "clean.py").write_text("print('hello')\n")
    log = render(assess(tmp_path))
    assert errors(validator, log) == []
    assert log["runs"][0]["results"] == []
    assert unquote(log["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"]).endswith("/")

"""`homeport assess --policy`: exit codes with --fail-on, a bad policy, and residency findings in every output."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from homeport.cli.main import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "llm-pipeline"
SARIF_SCHEMA = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"
DENY_US = "allow:\n  countries: [EU]\ndeny:\n  parent_jurisdictions: [US]\n"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if "-f" not in argv:  # the terminal view wraps lines: compare words
        out, err = " ".join(out.split()), " ".join(err.split())
    return code, out, err


@pytest.fixture
def tree(tmp_path) -> Path:
    """One destination and nothing else any rule reports: W&B's API set as the tracking server."""
    root = tmp_path / "tree"
    root.mkdir()
    (root / "job.env").write_text("WANDB_BASE_URL=https://api.wandb.ai\n")
    return root


def policy(tmp_path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


def test_a_deny_is_a_blocker_for_fail_on(capsys, tmp_path, tree):
    enforce = policy(tmp_path, DENY_US)
    assert run(capsys, "assess", tree)[0] == 0  # no policy: nothing to report
    code, out, _ = run(capsys, "assess", tree, "--policy", enforce)
    assert code == 1 and "RES001" in out and "DENY by policy.yaml" in out
    assert run(capsys, "assess", tree, "--policy", enforce, "--fail-on", "never")[0] == 0


def test_an_audit_is_a_warning_for_fail_on(capsys, tmp_path, tree):
    audit = policy(tmp_path, "mode: audit\n" + DENY_US)
    assert run(capsys, "assess", tree, "--policy", audit)[0] == 0  # default threshold: blocker
    assert run(capsys, "assess", tree, "--policy", audit, "--fail-on", "warning")[0] == 1


def test_allowed_destinations_fail_only_at_info_when_shown(capsys, tmp_path, tree):
    (tree / "job.env").write_text("AWS_ENDPOINT_URL_S3=https://s3.gra.io.cloud.ovh.net\n")
    allowed = policy(tmp_path, DENY_US)
    assert run(capsys, "assess", tree, "--policy", allowed, "--fail-on", "info")[0] == 0
    code, out, _ = run(capsys, "assess", tree, "--policy", allowed, "--show-allowed", "--fail-on", "info")
    assert code == 1 and "ALLOW by policy.yaml allow.countries[0] (EU)" in out


def test_the_policy_file_inside_the_tree_is_not_judged(capsys, tree):
    inside = tree / "policy.yaml"
    inside.write_text(DENY_US + 'hosts:\n  "minio.internal": {country: DE, note: "mirror of https://api.wandb.ai"}\n')
    (tree / "job.env").unlink()
    assert run(capsys, "assess", tree, "--policy", inside)[0] == 0
    (tree / "notes.yaml").write_text('mirror: "https://api.wandb.ai"\n')  # the same URL elsewhere is judged
    assert run(capsys, "assess", tree, "--policy", inside)[0] == 1


@pytest.mark.parametrize("text, says", [
    ("allow:\n  countries: [Germny]\n", "allow.countries[0]"),
    ("mode: enforced\n", "mode"),
])
def test_a_bad_policy_is_its_own_error_and_exit_2(capsys, tmp_path, tree, text, says):
    code, out, err = run(capsys, "assess", tree, "--policy", policy(tmp_path, text))
    assert code == 2 and says in err and "fence validate" in err and out == ""


def test_a_missing_policy_and_a_lonely_flag_are_usage_errors(capsys, tmp_path, tree):
    code, _, err = run(capsys, "assess", tree, "--policy", tmp_path / "nope.yaml")
    assert code == 2 and "nope.yaml" in err
    code, _, err = run(capsys, "assess", tree, "--show-allowed")
    assert code == 2 and "--show-allowed needs --policy" in err
    code, _, err = run(capsys, "assess", tree, "--select", "RES")
    assert code == 2 and "--policy" in err


def test_json_carries_the_category_and_the_verdict(capsys):
    code, out, _ = run(capsys, "assess", EXAMPLE, "--policy", EXAMPLE / "policy.yaml", "-f", "json",
                       "--fail-on", "never")
    data = json.loads(out)
    assert code == 0 and data["policy"].endswith("policy.yaml")
    found = [f for f in data["findings"] if f["category"] == "residency"]
    assert len(found) == data["summary"]["by_category"]["residency"] == 20
    wandb = next(f for f in found if f["path"] == "tracking.py" and f["line"] == 38)
    assert wandb["rule"] == "RES004" and wandb["severity"] == "blocker"
    assert wandb["residency"]["verdict"] == "deny" and wandb["residency"]["host"] == "api.wandb.ai"
    assert wandb["residency"]["catalog_row"].startswith("endpoints.csv:")
    assert all("residency" not in f for f in data["findings"] if f["category"] != "residency")


def test_a_residency_finding_weighs_the_same_on_every_target(capsys, tmp_path):
    """Its severity is the verdict's: summary.by_target does not re-weigh an audit as the rule's blocker."""
    audit = policy(tmp_path, "mode: audit\n" + DENY_US)
    out = run(capsys, "assess", EXAMPLE, "--policy", audit, "-f", "json", "--select", "RES")[1]
    by_target = json.loads(out)["summary"]["by_target"]
    assert {(c["blocker"], c["warning"], c["info"]) for c in by_target.values()} == {(0, 22, 0)}


def test_sarif_carries_the_category_and_the_verdict_and_stays_valid(capsys, tmp_path):
    audit = policy(tmp_path, "mode: audit\n" + DENY_US)
    code, out, _ = run(capsys, "assess", EXAMPLE, "--policy", audit, "-f", "sarif", "--select", "RES")
    log = json.loads(out)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    run_ = log["runs"][0]
    assert code == 0 and run_["properties"]["policy"].endswith("policy.yaml")
    assert [r["id"] for r in run_["tool"]["driver"]["rules"]] == ["RES001", "RES002", "RES003", "RES004"]
    assert all(r["properties"]["category"] == "residency" for r in run_["tool"]["driver"]["rules"])
    assert len(run_["results"]) == 22  # the example's 20, and download.pytorch.org twice: not allowed here
    for result in run_["results"]:
        assert result["level"] == "warning" and result["properties"]["category"] == "residency"
        assert result["properties"]["residency"]["verdict"] == "audit"


def test_markdown_and_terminal_show_the_residency_findings(capsys):
    args = ("assess", EXAMPLE, "--policy", EXAMPLE / "policy.yaml", "--fail-on", "never")
    _, md, _ = run(capsys, *args, "-f", "markdown")
    assert "- Residency policy:" in md and "| residency | 20 | 0 | 0 | 20 |" in md
    assert "| RES003 | region-outside-policy | residency | by verdict | 12 |" in md
    _, text, _ = run(capsys, *args)
    assert "residency policy" in text and "RES004" in text

"""Evidence discovery: every kind recognised by its content, folders scanned with every skip said, and a bad
file named by the user stopping the report with a sentence (exit 2), never a traceback."""

from __future__ import annotations

import json

import pytest

from homeport.cli.main import main
from homeport.core.errors import HomeportError
from homeport.report.evidence import DEFAULT_PLAN, collect, read
from report_fixtures import write_all_evidence


@pytest.fixture(scope="module")
def evidence(tmp_path_factory):
    base = tmp_path_factory.mktemp("evidence")
    return write_all_evidence(base / "reports", base)


def test_every_phase_writes_evidence_the_report_recognises(evidence):
    found = collect([evidence])
    kinds = {i.path.name: i.kind for i in found.items}
    assert kinds == {"port.json": "port", "data-plan.json": "data-plan", "manifest.jsonl": "data-manifest",
                     "fence-audit.jsonl": "fence-log", "bench-source.json": "bench", "bench-target.json": "bench",
                     "parity.json": "bench-parity", "cost.json": "cost"}
    assert found.skipped == []


def test_a_manifest_and_an_audit_log_are_summarised_while_read(evidence):
    found = collect([evidence])
    manifest = found.first("data-manifest").doc
    assert manifest.objects == 7 and manifest.hashed == 0  # a plan's manifest: sizes only
    assert {k: v[0] for k, v in manifest.by_prefix.items()} == {"datasets": 5, "checkpoints": 2}
    log = found.first("fence-log").doc
    assert log.lines == 7 and log.verdicts == {"allow": 4, "deny": 3}
    assert {host for (_, host, _) in log.destinations} == {"s3.gra.io.cloud.ovh.net", "api.wandb.ai", "pypi.org",
                                                         "s3.eu-west-1.amazonaws.com"}


def test_a_torn_line_in_an_audit_log_is_counted_not_fatal(evidence, tmp_path):
    log = tmp_path / "audit.jsonl"
    log.write_text((evidence / "fence-audit.jsonl").read_text() + '{"time": "2026-11-27T1')
    assert read(log).doc.unreadable == 1


def test_a_scanned_folder_lists_what_it_did_not_read(tmp_path):
    (tmp_path / "notes.md").write_text("# notes\n")
    (tmp_path / "assessment.sarif").write_text('{"version": "2.1.0"}')
    (tmp_path / "other.json").write_text('{"hello": "world"}')
    (tmp_path / "broken.json").write_text('{"kind": "homeport-cost", ')
    (tmp_path / "old-cost.json").write_text('{"kind": "homeport-cost", "schema_version": 0}')
    (tmp_path / "bench.json").write_text('{"kind": "homeport-bench", "schema_version": 1}')
    (tmp_path / "empty.json").write_text("")
    (tmp_path / "ported").mkdir()  # a ported copy of the tree is source code, not evidence
    (tmp_path / "ported" / "config.json").write_text('{"lr": 0.1}')
    found = collect([tmp_path])
    assert found.items == []
    reasons = {s.path.rsplit("/", 1)[-1] or s.path: s.reason for s in found.skipped}
    assert "SARIF" in reasons["assessment.sarif"]
    assert "no homeport `kind`" in reasons["other.json"]
    assert "not valid JSON (line 1" in reasons["broken.json"]
    assert "schema_version 0" in reasons["old-cost.json"] and "write it again" in reasons["old-cost.json"]
    assert "breaks its schema" in reasons["bench.json"]
    assert reasons["empty.json"] == "an empty file"
    assert any("notes.md" in r and "not read" in r for r in reasons.values())
    assert not any("config.json" in s.path for s in found.skipped)


def test_a_bad_file_named_by_the_user_is_an_error_with_a_sentence(tmp_path):
    bad = tmp_path / "cost.json"
    bad.write_text("not json at all")
    with pytest.raises(HomeportError) as caught:
        collect([bad])
    text = caught.value.render()
    assert f"{bad} is not evidence homeport can read" in text and "got: not valid JSON" in text
    assert "what to do:" in text


def test_the_cli_says_it_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "bench.json"
    bad.write_text(json.dumps({"kind": "homeport-bench", "schema_version": 1}))
    code = main(["report", str(tmp_path), "--no-port", "--evidence", str(bad), "-o", str(tmp_path / "r.html")])
    err = capsys.readouterr().err
    assert code == 2 and "is not evidence homeport can read" in err and "Traceback" not in err
    assert not (tmp_path / "r.html").exists()
    code = main(["report", str(tmp_path), "--no-port", "--evidence", str(tmp_path / "missing.json")])
    assert code == 2 and "evidence not found" in capsys.readouterr().err


def test_without_evidence_reports_and_homeport_folders_are_scanned(tmp_path, evidence, monkeypatch):
    repo = tmp_path / "repo"
    (repo / ".homeport" / "data").mkdir(parents=True)
    (repo / "reports").mkdir()
    (repo / "reports" / "cost.json").write_text((evidence / "cost.json").read_text())
    (repo / ".homeport" / "data" / "manifest.jsonl").write_text((evidence / "manifest.jsonl").read_text())
    (repo / DEFAULT_PLAN).write_text("kind: homeport-plan\nversion: 1\n")
    monkeypatch.chdir(tmp_path)
    found = collect([], default_roots=[repo])
    assert sorted(i.kind for i in found.items) == ["cost", "data-manifest", "plan"]
    assert sorted(found.folders) == [str(repo / ".homeport"), str(repo / "reports")]

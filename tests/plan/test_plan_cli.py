"""The migration file (init, strict reading), the profiles' environment, `plan exec` records and stamps, the
runbook, and the sentences errors are said in."""

from __future__ import annotations

import json
import sys

import pytest
import yaml
from plan_helpers import local_plan

from homeport.cli.main import main
from homeport.plan import evidence as ev
from homeport.plan.profiles import environment
from homeport.plan.spec import PlanError, dump_plan, load_plan, parse_plan


@pytest.fixture
def plan(tmp_path, monkeypatch):
    monkeypatch.delenv("HOMEPORT_CONFIG", raising=False)
    for var in ("HOMEPORT_PLAN", "HOMEPORT_PROFILE", "AWS_ENDPOINT_URL_S3", "NCCL_SOCKET_IFNAME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return local_plan(tmp_path, policy="policy.yaml")


def test_init_from_catalog_providers_leaves_todos_that_block_the_cutover(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HOMEPORT_CONFIG", raising=False)
    assert main(["plan", "init", "--from", "aws:eu-west-1", "--to", "scaleway:fr-par"]) == 0
    doc = yaml.safe_load((tmp_path / "homeport-plan.yaml").read_text())
    assert doc["profiles"]["source"]["country"] == "IE" and doc["profiles"]["target"]["country"] == "FR"
    assert [p["phase"] for p in doc["phases"]] == ["assess", "port", "data", "fence", "poc", "parallel_run",
                                                   "cutover", "decommission"]
    assert "storage areas left as TODO" in capsys.readouterr().err
    assert main(["plan", "init", "--from", "aws", "--to", "ovhcloud"]) == 2  # the file exists: never overwritten
    assert main(["plan", "cutover"]) == 2
    assert "still has fields to fill in" in capsys.readouterr().err


def test_init_refuses_what_the_catalog_does_not_know(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["plan", "init", "--from", "aws", "--to", "hetzbla:x"]) == 2
    err = capsys.readouterr().err
    assert "neither a profile of homeport.toml nor a provider of the catalog" in err and "what to do" in err
    assert not (tmp_path / "homeport-plan.yaml").exists()


def test_the_migration_file_is_read_strictly_with_every_problem_named(plan):
    doc = plan.raw
    doc["phases"][0]["gate"][0]["check"] = "no_blocker"
    doc["phases"][1]["decides"] = "nobody"
    doc["waivers"] = [{"rules": ["ACC001"], "decided_by": "platform"}]
    doc["sync"]["back"] = ["logs"]
    with pytest.raises(PlanError) as caught:
        parse_plan(doc, plan.path)
    text = caught.value.render()
    for said in ("phases[0].gate[0].check: expected one of", "phases[1].decides: expected an owner",
                 "waivers[0].reason", "sync.back: the storage area 'logs' has no location"):
        assert said in text, text


def test_the_environment_switches_endpoint_and_collectives_and_clears_the_other_side(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMEPORT_REMOTE_SOV_ENDPOINT", "http://127.0.0.1:9000")
    monkeypatch.setenv("HOMEPORT_REMOTE_SOV_ACCESS_KEY_ID", "key-123456")
    monkeypatch.setenv("HOMEPORT_REMOTE_SOV_SECRET_ACCESS_KEY", "secret-123456")
    monkeypatch.setenv("HOMEPORT_REMOTE_SOV_REGION", "fr-par")
    plan = local_plan(tmp_path)
    doc = plan.raw
    doc["profiles"]["target"]["storage"] = {"data": "sov:bucket/data", "checkpoints": "sov:bucket/checkpoints"}
    plan.path.write_text(dump_plan(doc))
    plan = load_plan(plan.path)
    env = environment(plan, plan.profile("target"))
    assert env.values["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:9000"
    assert env.values["AWS_REQUEST_CHECKSUM_CALCULATION"] == "when_required"
    assert env.values["HOMEPORT_STORAGE_CHECKPOINTS"] == "s3://bucket/checkpoints/"
    assert env.values["GLOO_SOCKET_IFNAME"] == "eth0"  # the source's NCCL_SOCKET_IFNAME, for the cpu target
    assert "NCCL_SOCKET_IFNAME" in env.unset and "AWS_SECRET_ACCESS_KEY" not in env.public()
    back = environment(plan, plan.profile("source"))
    assert "AWS_ENDPOINT_URL_S3" in back.unset and back.values["NCCL_SOCKET_IFNAME"] == "eth0"
    child = back.apply({"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000", "HOME": "/root"})
    assert "AWS_ENDPOINT_URL_S3" not in child and child["HOME"] == "/root"


def test_exec_gives_the_profile_to_the_command_and_records_it(plan, tmp_path, capsys):
    out = tmp_path / "seen.json"
    code = ("import json, os, sys; json.dump({k: os.environ.get(k) for k in ('HOMEPORT_PROFILE', 'NCCL_SOCKET_IFNAME',"
            " 'HOMEPORT_STORAGE_DATA')}, open(sys.argv[1], 'w'))")
    record = tmp_path / "run.json"
    assert main(["plan", "exec", "--profile", "global", "--record", str(record), "--stamp", str(out), "--",
                 sys.executable, "-c", code, str(out)]) == 0
    seen = json.loads(out.read_text())
    assert seen == {"HOMEPORT_PROFILE": "global", "NCCL_SOCKET_IFNAME": "eth0",
                    "HOMEPORT_STORAGE_DATA": str(tmp_path / "global" / "data")}
    run = json.loads(record.read_text())
    assert run["profile"] == "global" and run["exit_code"] == 0 and run["command"][0] == sys.executable
    assert json.loads(ev.stamp_path(out).read_text())["sha256"] == ev.sha256_file(out)


def test_exec_says_so_when_a_stamped_file_was_not_written(plan, tmp_path, capsys):
    never = tmp_path / "never.json"
    assert main(["plan", "exec", "--stamp", str(never), "--", sys.executable, "-c", "pass"]) == 1
    assert "not stamped (the command did not write them)" in capsys.readouterr().err
    assert not ev.stamp_path(never).exists()
    assert main(["plan", "exec"]) == 2
    assert "no command to run" in capsys.readouterr().err


def test_exec_passes_on_the_commands_exit_code(plan):
    assert main(["plan", "exec", "--", sys.executable, "-c", "raise SystemExit(7)"]) == 7


def test_env_prints_the_active_profile_without_secrets(plan, capsys):
    assert main(["plan", "env", "--export"]) == 0
    out = capsys.readouterr().out
    assert "export HOMEPORT_PROFILE=global" in out and "unset AWS_ENDPOINT_URL_S3" in out


def test_an_unknown_profile_or_phase_is_a_sentence(plan, capsys):
    assert main(["plan", "exec", "--profile", "mars", "--", "true"]) == 2
    assert "no profile 'mars'" in capsys.readouterr().err
    assert main(["plan", "gate", "launch"]) == 2
    assert "no phase 'launch'" in capsys.readouterr().err


def test_the_runbook_has_every_step_its_command_gate_rollback_and_who_decides(plan, tmp_path):
    assert main(["plan", "runbook", "-o", str(tmp_path / "RUNBOOK.md")]) == 0
    text = (tmp_path / "RUNBOOK.md").read_text()
    for phase in ("assess", "port", "data", "fence", "poc", "parallel_run", "cutover", "decommission"):
        assert f"(`{phase}`)" in text and f"homeport plan gate {phase}" in text
    assert text.count("Rollback: ") == 8 and text.count("Decides: **") == 8
    assert f"homeport data copy {tmp_path / 'global' / 'data'} {tmp_path / 'sovereign' / 'data'}" in text
    assert "(1) sync back checkpoints" in text and "## Where it stands" in text and "**fail**" in text


def test_status_json_lists_every_gate(plan, capsys):
    assert main(["plan", "status", "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["state"] == "source" and doc["active_profile"] == "global" and len(doc["gates"]) == 8
    assert all(g["verdict"] == "fail" for g in doc["gates"])

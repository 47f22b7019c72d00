"""Gates never pass on evidence that is missing, unattributed, from the other profile, changed since it was
stamped, or stale (older than what it judges), and each check's threshold is applied to real evidence: real
assessments, copies, fence audit lines, bench result documents and cost reports."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest
from plan_helpers import cut_over, local_plan, port_in_place

from homeport.assess.engine import assess
from homeport.bench import results
from homeport.cli.main import main
from homeport.core.model import Target
from homeport.plan import evidence as ev
from homeport.plan import gates
from homeport.plan.spec import dump_plan, load_plan
from homeport.policy.verdict import Verdict
from homeport.report import json as json_report

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "llm-pipeline"


@pytest.fixture
def plan(tmp_path, monkeypatch):
    monkeypatch.delenv("HOMEPORT_CONFIG", raising=False)
    (tmp_path / "policy.yaml").write_text("version: 1\nallow:\n  countries: [EU]\n")
    return local_plan(tmp_path, policy="policy.yaml")


def _edit(plan, change) -> object:
    """Change the migration file's document and load it again."""
    doc = plan.raw
    change(doc)
    plan.path.write_text(dump_plan(doc))
    return load_plan(plan.path)


def _assessment(plan, path: Path, target: str, profile: str, stamp: bool = True) -> Path:
    started = time.time()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json_report.render(assess(plan.pipeline, target=Target(target))))
    if stamp:
        ev.write_stamp(path, profile, ["homeport", "assess"], 0, started, time.time())
    return path


def _assess_evidence(plan) -> Path:
    return plan.resolve(plan.phase("assess").checks[0]["evidence"])


def _ported_assessment(plan, target: str = "cpu", profile: str = "sovereign", stamp: bool = True) -> Path:
    """Port the pipeline, then record its assessment at the assess check's evidence path."""
    port_in_place(plan.pipeline)
    return _assessment(plan, _assess_evidence(plan), target, profile, stamp)


def _one(plan, phase: str) -> gates.CheckResult:
    result = gates.evaluate(plan, phase)
    assert len(result.checks) == 1
    return result.checks[0]


def _future(path: Path, seconds: float = 5) -> None:
    t = time.time() + seconds
    os.utime(path, (t, t))


# -- what makes evidence unusable ------------------------------------------------------------------------------

def test_missing_evidence_fails_and_says_how_to_record_it(plan):
    check = _one(plan, "assess")
    assert (check.verdict, check.problem) == ("fail", "missing")
    assert "homeport plan exec --profile sovereign --stamp" in check.reason and "homeport assess" in check.reason


def test_ported_code_assessed_for_the_target_passes(plan):
    _ported_assessment(plan)
    check = _one(plan, "assess")
    assert check.passed, check.reason


def test_evidence_older_than_the_code_it_judges_is_stale(plan):
    _ported_assessment(plan)
    (plan.pipeline / "train.py").write_text((plan.pipeline / "train.py").read_text() + "# edited\n")
    _future(plan.pipeline / "train.py")
    check = _one(plan, "assess")
    assert (check.verdict, check.problem) == ("fail", "stale")
    assert "train.py changed" in check.reason and "record it again with" in check.reason


def test_evidence_recorded_under_the_other_profile_fails(plan):
    _ported_assessment(plan, profile="global")
    check = _one(plan, "assess")
    assert (check.verdict, check.problem) == ("fail", "other-profile")
    assert "recorded under profile 'global'" in check.reason


def test_an_assessment_for_another_target_is_the_other_profiles(plan):
    _ported_assessment(plan, "cuda")  # stamped right, judged for the source's stack
    check = _one(plan, "assess")
    assert (check.verdict, check.problem) == ("fail", "other-profile") and "'cuda'" in check.reason


def test_evidence_without_a_stamp_is_unattributed(plan):
    _ported_assessment(plan, stamp=False)
    assert _one(plan, "assess").problem == "unattributed"


def test_evidence_edited_after_its_stamp_fails(plan):
    path = _ported_assessment(plan)
    doc = json.loads(path.read_text())
    doc["findings"] = []
    path.write_text(json.dumps(doc))
    check = _one(plan, "assess")
    assert (check.verdict, check.problem) == ("fail", "changed")


# -- thresholds --------------------------------------------------------------------------------------------------

def test_blockers_fail_the_gate_until_a_signed_waiver_covers_them(plan):
    _assessment(plan, _assess_evidence(plan), "cpu", "sovereign")  # not ported: .cuda() blocks on cpu
    check = _one(plan, "assess")
    assert not check.passed and "ACC" in check.reason and "train.py:3" in check.reason
    plan = _edit(plan, lambda d: d.update(waivers=[{"rules": ["ACC"], "paths": ["train.py"],
                                                    "reason": "runs on a CUDA target only", "decided_by": "platform"}]))
    check = _one(plan, "assess")
    assert check.passed and check.figures["waived"] >= 1


def test_tests_pass_reads_the_exit_code_of_the_recorded_run(plan, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    record = plan.resolve(plan.phase("port").checks[0]["evidence"])
    for code, verdict in ((3, "fail"), (0, "pass")):
        assert main(["plan", "exec", "--plan", str(plan.path), "--profile", "sovereign", "--record", str(record), "--",
                     sys.executable, "-c", f"raise SystemExit({code})"]) == code
        check = _one(plan, "port")
        assert check.verdict == verdict and f"exited {code}" in check.reason


def test_data_verified_checks_every_object_and_the_destination(plan, monkeypatch, tmp_path):
    from homeport.plan.commands import manifest_path

    monkeypatch.chdir(tmp_path)
    src, dst = plan.profile("source").storage["data"], plan.profile("target").storage["data"]
    for i in range(3):
        Path(src, f"shard_{i:06d}.bin").write_bytes(os.urandom(1000 + i))
    manifest = manifest_path(plan, "data")
    assert main(["data", "copy", src, dst, "--manifest", str(manifest)]) == 0
    assert main(["plan", "verify", "data", "--plan", str(plan.path)]) == 0
    check = _one(plan, "data")
    assert check.passed and "3 of 3" in check.reason
    Path(dst, "shard_000001.bin").write_bytes(os.urandom(1001))  # same size, other bytes
    assert main(["plan", "verify", "data", "--plan", str(plan.path)]) == 1
    check = _one(plan, "data")
    assert not check.passed and "1 mismatched" in check.reason
    _future(manifest)  # a new copy since the verification: its result says nothing about it
    assert _one(plan, "data").problem == "stale"


def test_a_verification_of_another_destination_is_the_other_profiles(plan, tmp_path):
    record = {"schema_version": 1, "kind": "homeport-plan-data-verify", "profile": "sovereign", "area": "data",
              "destination": str(tmp_path / "elsewhere"), "manifest": str(plan.path), "started": ev.iso(time.time()),
              "checked": 1, "ok": 1, "size_only": 0, "counts": {"missing": 0, "extra": 0, "mismatched": 0}}
    ev.write_json(gates.data_evidence_path(plan, plan.profile("target"), "data"), record)
    check = _one(plan, "data")
    assert check.problem == "other-profile" and "elsewhere" in check.reason


def _audit(plan, *verdicts: str) -> Path:
    log = plan.resolve(plan.phase("fence").checks[0]["evidence"])
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.time()
    lines = [Verdict("s3.fr-par.scw.cloud" if v != "deny" else "s3.amazonaws.com", 443, v, "allow.countries[0] (EU)",
                     "test").to_json(asked="connect", pid=1) for v in verdicts]
    log.write_text("".join(line + "\n" for line in lines))
    ev.write_stamp(log, "sovereign", ["homeport", "fence", "run"], 0, started, time.time())
    return log


def test_residency_fails_on_a_denied_destination_or_an_empty_log(plan):
    _audit(plan, "allow", "deny")
    check = _one(plan, "fence")
    assert not check.passed and "1 destination(s) denied" in check.reason and "s3.amazonaws.com:443" in check.reason
    _audit(plan)
    assert "records no decision" in _one(plan, "fence").reason
    _audit(plan, "allow", "audit")
    check = _one(plan, "fence")
    assert check.passed and check.figures["audited"] == 1


def test_residency_evidence_older_than_the_policy_is_stale(plan):
    _audit(plan, "allow")
    _future(plan.resolve("policy.yaml"))
    check = _one(plan, "fence")
    assert check.problem == "stale" and "policy.yaml changed" in check.reason


def _bench(path: Path, profile: str, tokens_per_s: float, curves: list[list[float]], accelerator=None) -> None:
    device = {"type": "cpu", "name": "x86_64", "accelerator": accelerator, "count": 1, "world_size": 1,
              "runtime": "none", "driver": None, "peak_bf16_tflops": None, "peak_fp8_tflops": None, "host": "test"}
    config = {"size": "tiny", "seq_len": 64, "batch_size": 2, "steps": len(curves[0]), "lr": 3e-4, "precision": "bf16",
              "compile": "none", "world_size": 1}
    workload = {"name": "gpt", "config": config, "flops_per_token": 1e6, "tokens_per_s": tokens_per_s,
                "tokens_per_s_per_device": tokens_per_s, "tflops": 0.1, "mfu": None, "mfu_note": "cpu",
                "step_time_s": {"median": 0.1}, "peak_memory_bytes": None, "losses": curves[0], "loss_curves": curves}
    started = time.time()
    results.save(results.new(device, {}, [workload]), path)
    ev.write_stamp(path, profile, ["homeport", "bench"], 0, started, time.time())


def test_throughput_and_loss_parity_judge_the_target_against_the_source(plan):
    source, target = (plan.resolve(plan.phase("poc").checks[0][k]) for k in ("source_evidence", "evidence"))
    band = [[6.0, 5.0, 4.0, 3.0], [6.1, 5.1, 4.1, 3.1], [5.9, 4.9, 3.9, 2.9]]
    _bench(source, "global", 1000, band)
    _bench(target, "sovereign", 950, [[6.0, 5.0, 4.0, 3.0]])
    throughput, parity = gates.evaluate(plan, "poc").checks
    assert throughput.passed and abs(throughput.figures["ratio"] - 0.95) < 1e-9 and parity.passed
    _bench(target, "sovereign", 500, [[6.0, 5.5, 5.0, 4.5]])  # slower, and the loss drifts away
    throughput, parity = gates.evaluate(plan, "poc").checks
    assert not throughput.passed and "0.500" in throughput.reason
    assert not parity.passed and "loss parity fail" in parity.reason


def test_a_bench_from_another_accelerator_is_the_other_profiles(plan):
    source, target = (plan.resolve(plan.phase("poc").checks[0][k]) for k in ("source_evidence", "evidence"))
    _bench(source, "global", 1000, [[6.0, 5.0], [6.1, 5.1]])
    _bench(target, "sovereign", 1000, [[6.0, 5.0]], accelerator="H100-SXM")  # the profile says cpu
    check = gates.evaluate(plan, "poc").checks[0]
    assert check.problem == "other-profile" and "H100-SXM" in check.reason


def test_cost_passes_under_budget_fails_over_it_and_goes_stale_with_its_job(plan, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    job = tmp_path / "cost.yaml"
    shutil.copy(EXAMPLE / "cost.yaml", job)
    report = plan.resolve(plan.phase("parallel_run").checks[0]["evidence"])
    assert main(["cost", str(job), "--provider", "aws", "--provider", "scaleway", "-f", "json", "-o", str(report)]) == 0
    check = _one(plan, "parallel_run")
    assert check.passed and check.figures["versus_source"] < 0, check.reason
    tight = _edit(plan, lambda d: d["phases"][5]["gate"][0].update(max_total=1))
    assert "above the budget" in _one(tight, "parallel_run").reason
    _future(job)
    assert _one(plan, "parallel_run").problem == "stale"


def test_the_cutover_gate_names_the_earlier_gates_that_fail(plan):
    check = _one(plan, "cutover")
    assert not check.passed and check.figures["failed"] == ["assess", "port", "data", "fence", "poc", "parallel_run"]


def test_decommission_waits_for_the_days_on_the_target(plan):
    assert "not the active profile" in _one(plan, "decommission").reason
    cut_over(plan)
    from homeport.plan import state
    from homeport.plan.journal import Journal

    when = state.current(plan, Journal(plan.state_dir)).cutover_time
    assert not gates.evaluate(plan, "decommission", cutover_time=when).passed
    plan = _edit(plan, lambda d: d["phases"][7]["gate"][0].update(min_days=0))
    assert gates.evaluate(plan, "decommission", cutover_time=when).passed


def test_the_gate_command_exits_1_on_a_failing_gate_and_0_on_a_passing_one(plan, capsys):
    assert main(["plan", "gate", "assess", "--plan", str(plan.path)]) == 1
    assert "fail" in capsys.readouterr().out
    _ported_assessment(plan)
    assert main(["plan", "gate", "assess", "--plan", str(plan.path), "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "pass"


def test_a_record_missing_its_fields_fails_as_unreadable(plan):
    record = {"schema_version": 1, "kind": "homeport-plan-data-verify", "profile": "sovereign", "area": "data",
              "destination": plan.profile("target").storage["data"], "manifest": str(plan.path),
              "started": ev.iso(time.time())}  # no counts: a file cut short or written by hand
    ev.write_json(gates.data_evidence_path(plan, plan.profile("target"), "data"), record)
    check = _one(plan, "data")
    assert (check.verdict, check.problem) == ("fail", "unreadable") and "lacks what the check reads" in check.reason

"""`homeport fence run`: the fence in every Python process a command starts (the command, a grandchild started
with subprocess, a worker started with multiprocessing's spawn), the command's exit code passed through, one
JSONL log for all of them, a summary at the end, and clear errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest
from fence_support import ALLOWED, DENIED, DENIED_IP, EU_NO_US, LOG_FIELDS

from homeport.cli.main import main
from homeport.policy.inherit import child_environment

JOB = textwrap.dedent(f'''
    import json, multiprocessing, os, subprocess, sys, urllib.request

    def attempt(host, port):
        try:
            with urllib.request.urlopen(f"http://{{host}}:{{port}}/shard", timeout=5) as response:
                return response.read().decode()
        except Exception as exc:
            while exc is not None and type(exc).__name__ != "FenceViolation":
                exc = exc.__cause__ or exc.__context__ or getattr(exc, "reason", None)
            return "blocked" if exc is not None else "failed"

    def probe(role, allowed_port, denied_port, out):
        result = {{"role": role, "pid": os.getpid(), "allowed": attempt("{ALLOWED}", allowed_port),
                   "denied": attempt("{DENIED}", denied_port)}}
        with open(out, "a") as fh:
            fh.write(json.dumps(result) + "\\n")

    if __name__ == "__main__":
        allowed_port, denied_port, out, role = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
        probe(role, allowed_port, denied_port, out)
        if role == "child":
            subprocess.run([sys.executable, __file__, *sys.argv[1:4], "grandchild"], check=True)
            worker = multiprocessing.get_context("spawn").Process(
                target=probe, args=("spawned worker", allowed_port, denied_port, out))
            worker.start()
            worker.join()
            sys.exit(7)
''')


def fence_run(capfd, *argv) -> tuple[int, str, str]:
    code = main(["fence", "run", *argv])
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def job(tmp_path, write_policy, allowed_server, denied_server):
    script = tmp_path / "train.py"
    script.write_text(JOB, encoding="utf-8")
    results = tmp_path / "results.jsonl"

    def run(capfd, *options):
        argv = [*options, "--", sys.executable, str(script), str(allowed_server.port), str(denied_server.port),
                str(results), "child"]
        code, out, err = fence_run(capfd, "--policy", write_policy(EU_NO_US), *argv)
        found = [json.loads(line) for line in results.read_text().splitlines()] if results.exists() else []
        return code, err, {r["role"]: r for r in found}

    return run


def test_every_python_process_is_fenced_and_the_exit_code_passes_through(job, capfd, tmp_path, allowed_server,
                                                                         denied_server):
    log = tmp_path / "audit.jsonl"
    code, err, results = job(capfd, "--audit-log", str(log))
    assert code == 7
    assert set(results) == {"child", "grandchild", "spawned worker"}
    for role, result in results.items():
        assert (result["allowed"], result["denied"]) == ("ok", "blocked"), role
    assert denied_server.settle() == (0, 0)
    assert allowed_server.settle()[0] == 3
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert {line["pid"] for line in lines} == {r["pid"] for r in results.values()}
    for line in lines:
        assert all(field in line for field in LOG_FIELDS), line
    denials = [line for line in lines if line["verdict"] == "deny"]
    assert len(denials) == 3 and {(d["host"], d["asked"], d["rule"]) for d in denials} == {
        (DENIED, "dns", "deny.parent_jurisdictions[0] (US)")}
    summary = re.search(r"homeport fence: (\d+) allowed, 3 denied, 0 audited in 3 process\(es\); log: (\S+)", err)
    assert summary and summary.group(2) == str(log)
    assert f"deny  {DENIED}:{denied_server.port} (dns) x3" in err


def test_audit_mode_lets_everything_through_and_logs_it(job, capfd, tmp_path, denied_server):
    log = tmp_path / "audit.jsonl"
    code, err, results = job(capfd, "--mode", "audit", "--audit-log", str(log))
    assert code == 7 and all(r["denied"] == "ok" for r in results.values()) and len(results) == 3
    assert denied_server.settle()[0] == 3
    audited = [json.loads(line) for line in log.read_text().splitlines() if '"verdict":"audit"' in line]
    assert {(line["host"], line["asked"]) for line in audited} == {(DENIED, "dns"), (DENIED, "connect")}
    assert "0 denied, 6 audited in 3 process(es)" in err


def test_the_command_itself_is_checked(capfd, write_policy, tmp_path, denied_server):
    url = f"http://{DENIED}:{denied_server.port}/"
    code, _, err = fence_run(capfd, "--policy", write_policy(EU_NO_US), "--audit-log", str(tmp_path / "a.jsonl"),
                             "--", "curl", "-s", "--resolve", f"{DENIED}:{denied_server.port}:{DENIED_IP}", url)
    assert code == 1 and "blocked:" in err and f"the command `curl {url}`" in err
    assert denied_server.settle() == (0, 0)


def test_a_bad_policy_exits_2_with_its_own_messages(capfd, write_policy):
    path = write_policy("allow:\n  countries: [EU, Germny]\nmode: strict\n")
    code, _, err = fence_run(capfd, "--policy", path, "--", sys.executable, "-c", "print('never')")
    flat = " ".join(err.split())
    assert code == 2 and "never" not in flat
    assert "allow.countries[1]: expected an ISO 3166 code" in flat and "mode: expected one of enforce, audit" in flat


@pytest.mark.parametrize("argv, message", [
    (["--policy", "POLICY"], "no command to run"),
    (["--policy", "POLICY", "--", "no-such-program-here"], "cannot start 'no-such-program-here'"),
    (["--policy", "missing.yaml", "--", "true"], "the policy file does not exist"),
])
def test_usage_errors_exit_2(capfd, write_policy, argv, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where the default log would go
    argv = [write_policy(EU_NO_US) if a == "POLICY" else a for a in argv]
    code, _, err = fence_run(capfd, *argv)
    assert code == 2 and message in " ".join(err.split())


def test_a_python_that_cannot_be_fenced_refuses_to_run(tmp_path):
    """The policy is gone by the time the child starts: enforce stops it (exit 2), audit warns and runs it."""
    for mode, expected in (("enforce", 2), ("audit", 0)):
        env = child_environment(str(tmp_path / "gone.yaml"), mode, str(tmp_path / "a.jsonl"))
        done = subprocess.run([sys.executable, "-c", "print('ran')"], env=env, capture_output=True, text=True)
        assert done.returncode == expected, done.stderr
        assert "cannot fence" in done.stderr and "the policy file does not exist" in done.stderr
        assert ("ran" in done.stdout) == (mode == "audit")


def test_boto3_imported_after_the_fence_is_checked(tmp_path, write_policy):
    """In a fenced child, botocore is imported after the fence (the post-import hook patches it)."""
    code = ("import sys, boto3, homeport.fence\n"
            "assert 'homeport.policy.guard' in sys.modules\n"
            "c = boto3.client('s3', region_name='eu-west-1', aws_access_key_id='k', aws_secret_access_key='s')\n"
            "try:\n    c.list_objects_v2(Bucket='train-shards')\n"
            "except homeport.fence.FenceViolation as e:\n    print('blocked', e.asked, e.verdict.host)\n")
    env = child_environment(write_policy(EU_NO_US), "enforce", str(tmp_path / "a.jsonl"))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "blocked botocore train-shards.s3.eu-west-1.amazonaws.com", done.stderr


def test_a_hidden_sitecustomize_still_runs(tmp_path, write_policy):
    own = tmp_path / "own"
    own.mkdir()
    (own / "sitecustomize.py").write_text("import os\nos.environ['OWN_SITECUSTOMIZE'] = 'ran'\n", encoding="utf-8")
    env = child_environment(write_policy(EU_NO_US), "enforce", str(tmp_path / "a.jsonl"),
                            base={"PYTHONPATH": str(own), "PATH": "/usr/bin:/bin"})
    probe = "import os, homeport.fence; print(os.environ.get('OWN_SITECUSTOMIZE'), homeport.fence.active().mode)"
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert done.stdout.split() == ["ran", "enforce"], done.stderr

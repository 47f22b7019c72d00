import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from homeport.bench import results
from homeport.cli.main import main

TRAIN = """
import sys, torch
steps = int(sys.argv[1])
model = torch.nn.Linear(16, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(steps):
    loss = model(torch.randn(32, 16)).pow(2).mean()
    loss.backward()
    opt.step()
    opt.zero_grad()
print("finished", steps, flush=True)
"""


def test_bench_writes_a_valid_result(tmp_path, capsys):
    out = tmp_path / "r.json"
    code = main(["bench", "--size", "tiny", "--seq-len", "32", "--steps", "4", "--warmup", "1", "--probes", "matmul",
                 "--probe-seconds", "0.05", "--out", str(out), "-f", "json"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == results.load(out)
    assert [m["precision"] for m in printed["probes"]["matmul"]] == ["bf16", "fp16", "fp32"]
    assert printed["workloads"][0]["config"]["seq_len"] == 32


def test_text_output_names_device_and_figures(capsys):
    assert main(["bench", "--size", "tiny", "--seq-len", "32", "--steps", "3", "--warmup", "1", "--probes", "none"]) == 0
    out = capsys.readouterr().out
    assert "tokens/s" in out and "MFU" in out and "torch " in out


def test_unknown_probe_is_exit_2(capsys):
    assert main(["bench", "--probes", "matmul,disk"]) == 2
    assert "unknown probe disk" in capsys.readouterr().err


def test_bad_size_is_exit_2(capsys):
    assert main(["bench", "--size", "7b", "--probes", "none"]) == 2
    assert "unknown model size '7b'" in capsys.readouterr().err


def test_compare_and_parity_commands(source_doc, repeat_doc, perturbed_doc, write, tmp_path, capsys):
    a, b, c = write(source_doc, "a.json"), write(repeat_doc, "b.json"), write(perturbed_doc, "c.json")
    assert main(["bench", "compare", a, b, "-f", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert any(r["metric"].endswith("tokens/s") and r["ratio"] for r in rows)

    chart = tmp_path / "parity.svg"
    assert main(["bench", "parity", a, b, "--chart", str(chart)]) == 0
    assert "parity pass" in capsys.readouterr().out
    svg = ET.parse(chart).getroot()
    assert svg.tag.endswith("svg")
    assert len(svg.findall("{http://www.w3.org/2000/svg}polyline")) == 2  # source and target curves
    assert len(svg.findall("{http://www.w3.org/2000/svg}polygon")) == 1  # the band

    assert main(["bench", "parity", a, c]) == 1
    assert "parity fail" in capsys.readouterr().out


def test_compare_of_a_missing_file_is_exit_2(tmp_path, capsys):
    assert main(["bench", "compare", str(tmp_path / "no.json"), str(tmp_path / "no.json")]) == 2
    assert "cannot read bench result" in capsys.readouterr().err


def test_script_is_timed_at_its_optimizer_steps_and_stopped(tmp_path, capsys):
    script = tmp_path / "train.py"
    script.write_text(TRAIN)
    code = main(["bench", "--steps", "6", "--warmup", "2", "--tokens-per-step", "512", "-f", "json",
                 "--script", str(script), "--", "1000"])
    assert code == 0
    captured = capsys.readouterr()
    s = json.loads(captured.out)["script"]
    assert s["stopped_by"] == "homeport"  # 1000 steps asked of the script, 6 timed, then stopped
    assert s["steps_timed"] == 4
    assert s["tokens_per_s"] == s["steps_per_s"] * 512
    assert s["args"] == ["1000"]


def test_script_that_ends_first_gives_the_steps_it_made(tmp_path, capsys):
    script = tmp_path / "train.py"
    script.write_text(TRAIN)
    assert main(["bench", "--steps", "50", "--warmup", "1", "-f", "json", "--script", str(script), "--", "5"]) == 0
    s = json.loads(capsys.readouterr().out)["script"]
    assert s["stopped_by"] == "the script (exit code 0)" and s["steps_timed"] == 3  # 5 marks, 4 gaps, 1 warm-up


def test_script_without_an_optimizer_is_a_sentence(tmp_path, capsys):
    script = tmp_path / "hello.py"
    script.write_text("print('no training here')\n")
    assert main(["bench", "--script", str(script)]) == 2
    err = capsys.readouterr().err
    assert "made 0 optimizer step(s)" in err and "torch.optim optimizer" in err


def test_missing_script_is_a_sentence(tmp_path, capsys):
    assert main(["bench", "--script", str(tmp_path / "nope.py")]) == 2
    assert "no training script at" in capsys.readouterr().err


def test_torchrun_two_processes_all_reduce_and_train_together(tmp_path):
    """Real torchrun, two CPU processes on gloo: the all-reduce probe and data-parallel training."""
    out = tmp_path / "dist.json"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                             "-m", "homeport", "bench", "--size", "tiny", "--seq-len", "32", "--steps", "4",
                             "--warmup", "1", "--probes", "allreduce", "--probe-seconds", "0.05", "--out", str(out)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # a hung rendezvous is killed with its ranks, not left behind
    try:
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    # torchrun's summary is the last 2 KB; a rank's own error (a gloo abort, once, on a loaded machine) is above it
    assert proc.returncode == 0, err[-8000:]
    doc = results.load(out)
    assert doc["probes"]["allreduce"]["world_size"] == 2 and doc["probes"]["allreduce"]["backend"] == "gloo"
    assert doc["probes"]["allreduce"]["busbw_bytes_per_s"] == doc["probes"]["allreduce"]["algbw_bytes_per_s"]  # 2(n-1)/n = 1
    w = doc["workloads"][0]
    assert w["config"]["world_size"] == 2 and w["tokens_per_s"] == 2 * w["tokens_per_s_per_device"]


def test_storage_is_probed_as_the_data_probe_does(tmp_path, capsys):
    store = tmp_path / "shards"
    store.mkdir()
    for i in range(2):
        (store / f"shard-{i:06d}.bin").write_bytes(os.urandom(1 << 20))
    out = tmp_path / "r.json"
    assert main(["bench", "--no-workload", "--probes", "none", "--storage", str(store), "--out", str(out),
                 "-f", "json"]) == 0
    probe = results.load(out)["probes"]["storage"]
    assert probe["location"] == str(store) and probe["peak_bytes_per_s"] > 0 and probe["rtt_s"]["median"] >= 0
    assert [s["in_flight"] for s in probe["sweep"]] == [1, 4, 16, 64]

"""Checkpoint portability with real torch: a probe written in each format loads back tensor for tensor; the
known traps are said (weights_only since torch 2.6, saved devices, DCP across versions, the writer's version);
a tampered or refused checkpoint fails."""

from __future__ import annotations

import argparse
import importlib.util
import json

import pytest
import torch

from homeport.cli.main import main
from homeport.plan.checkpoint import check, detect, probe

HAS_SAFETENSORS = importlib.util.find_spec("safetensors") is not None


def test_a_probe_loads_back_in_every_format_it_wrote(tmp_path):
    record = probe(tmp_path / "probe")
    reports = check(tmp_path / "probe")
    assert {r.format for r in reports} == set(record["files"])
    assert all(r.verdict == "ok" and r.matched == len(record["tensors"]) for r in reports), reports
    assert record["torch"] == torch.__version__ and all(r.written_by == torch.__version__ for r in reports)
    dcp = next(r for r in reports if r.format == "dcp")
    assert any("promises no compatibility across torch versions" in w for w in dcp.warnings)
    assert ("safetensors" in record["files"]) == HAS_SAFETENSORS
    if not HAS_SAFETENSORS:
        assert record["not_written"] == ["safetensors (not installed here)"]


def test_a_tampered_probe_file_fails(tmp_path):
    record = probe(tmp_path / "probe")
    state = torch.load(tmp_path / "probe" / "probe.pt")
    state["layer.bias"] += 1
    torch.save(state, tmp_path / "probe" / "probe.pt")
    report = next(r for r in check(tmp_path / "probe") if r.format == "torch-zip")
    assert report.verdict == "fail" and report.matched == len(record["tensors"]) - 1 and "differ" in report.error


def test_the_weights_only_default_trap_is_named_with_its_globals(tmp_path):
    path = tmp_path / "ckpt.pt"
    torch.save({"model": {"w": torch.ones(2)}, "args": argparse.Namespace(lr=3e-4)}, path)
    (report,) = check(path)
    assert report.verdict == "fail"
    assert "argparse.Namespace" in report.error and "add_safe_globals" in report.error and "2.6" in report.error


def test_a_plain_state_dict_loads_with_a_warning_on_versions_and_devices(tmp_path):
    path = tmp_path / "ckpt.pt"
    torch.save({"model": {"w": torch.ones(3)}, "step": 4}, path)
    (report,) = check(path, written_by="2.7.1")
    assert report.verdict == "ok" and report.tensors == 1 and report.saved_devices == ["cpu"]
    assert any("written by torch 2.7.1" in w for w in report.warnings)
    (report,) = check(path)
    assert any("does not record the torch that wrote" in w for w in report.warnings)


def test_a_safetensors_file_is_checked_or_said_to_be_unchecked(tmp_path):
    path = tmp_path / "model.safetensors"
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    path.write_bytes(len(header).to_bytes(8, "little") + header + torch.ones(2).numpy().tobytes())
    assert detect(path) == "safetensors"
    (report,) = check(path)
    if HAS_SAFETENSORS:
        assert report.verdict == "ok" and report.tensors == 1
    else:
        assert report.verdict == "not-checked" and "safetensors is not installed" in report.error


def test_the_cli_exits_1_on_a_checkpoint_that_does_not_load(tmp_path, capsys):
    torch.save({"args": argparse.Namespace(x=1)}, tmp_path / "bad.pt")
    assert main(["plan", "checkpoint", "probe", str(tmp_path / "probe")]) == 0
    assert main(["plan", "checkpoint", "check", str(tmp_path / "probe"), "-f", "json"]) == 0
    assert {r["verdict"] for r in json.loads(capsys.readouterr().out)} == {"ok"}
    assert main(["plan", "checkpoint", "check", str(tmp_path / "bad.pt")]) == 1


def test_a_path_that_is_not_there_is_a_sentence(tmp_path, capsys):
    assert main(["plan", "checkpoint", "check", str(tmp_path / "nothing.pt")]) == 2
    assert "no checkpoint at" in capsys.readouterr().err


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device to save GPU tensors")
def test_gpu_tensors_are_named_and_load_on_the_cpu(tmp_path):
    path = tmp_path / "gpu.pt"
    torch.save({"w": torch.ones(2, device="cuda")}, path)
    (report,) = check(path, device="cpu")
    assert report.verdict == "ok" and report.saved_devices == ["cuda:0"]
    assert any("map_location" in w for w in report.warnings)

"""The shipped pre-commit hook runs the ratchet: its entry fails on CUDA-only code a safe fix would
remove, and passes once the port is applied."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml

from homeport.cli.main import main

HOOKS = yaml.safe_load((Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml").read_text())


def test_hook_manifest_is_well_formed():
    for hook in HOOKS:
        assert {"id", "name", "entry", "language"} <= set(hook) and hook["entry"].startswith("homeport ")


def test_port_check_hook_is_a_ratchet(tmp_path, monkeypatch, capsys):
    (entry,) = [h["entry"] for h in HOOKS if h["id"] == "homeport-port-check"]
    argv = shlex.split(entry)[1:]
    (tmp_path / "train.py").write_text("import torch\nx = torch.ones(1).cuda()\n")
    monkeypatch.chdir(tmp_path)  # pre-commit runs hooks at the repository root
    assert main(argv) == 1
    assert main(["port", "--write", "--force"]) == 0
    assert main(argv) == 0
    capsys.readouterr()

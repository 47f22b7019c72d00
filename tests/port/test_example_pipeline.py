"""The bundled example, ported with default options, trains on this CPU-only machine; the original
does not. Real torch, real files, real subprocesses.

One stand-in: `tiktoken.get_encoding("gpt2")` downloads the BPE file from the internet, which this
machine cannot reach; the example only reads its vocabulary size (the shards are pre-tokenized), so
the test puts a module answering `n_vocab` first on PYTHONPATH.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from homeport.port.apply import write_copy
from homeport.port.engine import port

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "llm-pipeline"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("example")
    stub = root / "stub"
    stub.mkdir()
    (stub / "tiktoken.py").write_text("class _Enc:\n    n_vocab = 50257\n\n\ndef get_encoding(name):\n    return _Enc()\n")
    shards = root / "shards"
    shards.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        rng.integers(0, 50257, size=4096, dtype=np.uint16).tofile(shards / f"shard_{i:06d}.bin")
    config = yaml.safe_load((EXAMPLE / "configs" / "train.yaml").read_text())
    config["model"].update(n_layer=1, n_head=2, n_embd=32, block_size=32)
    config["data"].update(train_uri=str(shards), val_uri=None, num_workers=0)
    config["train"].update(micro_batch_size=2, grad_accum_steps=2, max_steps=3, log_interval=1)
    config["runtime"]["precision"] = "bf16"  # the source keeps device: cuda, backend: nccl
    config["checkpoint"].update(s3_uri=None, interval=1000)
    config["tracking"]["cloudwatch"] = False
    (root / "tiny.yaml").write_text(yaml.safe_dump(config))
    ported = root / "ported"
    result = port(EXAMPLE)
    write_copy(result.root, ported, result.files)
    return root, ported, result


def _train(tree: Path, root: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB", "SM_", "CUDA"))}
    env.update(PYTHONPATH=f"{root / 'stub'}{os.pathsep}{tree}", SM_MODEL_DIR=str(root / f"model-{tree.name}"))
    return subprocess.run([sys.executable, str(tree / "train.py"), "--config", str(root / "tiny.yaml")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300)


def test_the_original_does_not_run_on_this_cpu_machine(workspace):
    root, _, _ = workspace
    run = _train(EXAMPLE, root)
    assert run.returncode != 0
    assert "no GPU is visible" in run.stderr or "CUDA" in run.stderr, run.stderr[-2000:]


def test_the_ported_example_trains_a_few_steps_on_the_cpu(workspace):
    root, ported, result = workspace
    run = _train(ported, root)
    assert run.returncode == 0, run.stderr[-3000:]
    losses = [float(line.split("| loss ")[1].split()[0]) for line in run.stderr.splitlines() if "| loss " in line]
    assert len(losses) == 3 and all(np.isfinite(losses)), run.stderr[-2000:]
    assert (root / "model-ported" / "model.pt").stat().st_size > 0


def test_the_port_of_the_example_is_safe_only_and_counted(workspace):
    _, _, result = workspace
    totals = result.totals()
    assert totals["references_converted"] > 0 and totals["references_left"] > 0
    assert 0 < totals["share_migrated"] < 1
    applied = [c for c in result.changes if c.status.value == "applied"]
    assert applied and all(c.applicability.value == "safe" for c in applied)
    assert result.options.min_torch == (2, 7)  # the lowest torch examples/llm-pipeline/requirements.txt allows

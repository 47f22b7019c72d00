"""Prepare the GPU check of `homeport plan` (device_check.sh) on a CPU machine, in FOLDER (default .devcheck/,
which must be git-ignored): the example ported to portable PyTorch trains 4 steps on this CPU and writes its
checkpoint; a checkpoint probe is written with this torch; import stand-ins for what the GPU machine lacks
(boto3: the check reads local files only; tiktoken: its BPE download).

    python benchmarks/plan/prepare.py .devcheck && cp benchmarks/plan/device_check.sh .devcheck/run.sh
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml

from homeport.plan.checkpoint import probe
from homeport.port.apply import write_copy
from homeport.port.engine import port

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "llm-pipeline"
STUBS = {
    "tiktoken.py": "class _Enc:\n    n_vocab = 50257\n\n\ndef get_encoding(name):\n    return _Enc()\n",
    "boto3.py": "def client(*a, **k):\n    raise RuntimeError('no S3 in this check')\n",
    "botocore/__init__.py": "",
    "botocore/config.py": "class Config:\n    def __init__(self, *a, **k):\n        pass\n",
}


def main(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    for name, text in STUBS.items():
        (folder / "stub" / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / "stub" / name).write_text(text)
    (folder / "shards").mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        rng.integers(0, 50257, size=4096, dtype=np.uint16).tofile(folder / "shards" / f"shard_{i:06d}.bin")
    cfg = yaml.safe_load((EXAMPLE / "configs" / "train.yaml").read_text())
    cfg["model"].update(n_layer=1, n_head=2, n_embd=32, block_size=32)
    cfg["data"].update(train_uri="../shards", val_uri=None, num_workers=0)
    cfg["train"].update(micro_batch_size=2, grad_accum_steps=1, max_steps=4, log_interval=1)
    cfg["runtime"]["precision"] = "bf16"
    cfg["checkpoint"].update(s3_uri=None, interval=1000)
    cfg["tracking"]["cloudwatch"] = False
    (folder / "tiny.yaml").write_text(yaml.safe_dump(cfg))
    result = port(EXAMPLE)
    write_copy(result.root, (folder / "ported").resolve(), result.files)
    (folder / "run").mkdir()
    env = dict(os.environ, PYTHONPATH=str((folder / "stub").resolve()))
    subprocess.run([sys.executable, "../ported/train.py", "--config", "../tiny.yaml"], cwd=folder / "run", env=env,
                   check=True)
    shutil.rmtree(folder / "ported")
    shutil.rmtree(folder / "run" / "outputs" / "model", ignore_errors=True)
    probe(folder / "probe")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ".devcheck"))

#!/bin/bash
# Device check for homeport plan: the ORIGINAL example pipeline (CUDA) resumes from a checkpoint that the
# PORTED pipeline wrote on a CPU with torch 2.13; a probe written by torch 2.13 loads with the device's torch;
# GPU tensors are named by checkpoint.check.
set -u
cd "$(dirname "$0")"
export PYTHONPATH=$PWD/stub:$PWD/../src PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee $OUT/gpu.txt
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())" | tee -a $OUT/gpu.txt
cd run && timeout 200 python3 ../../examples/llm-pipeline/train.py --config ../tiny.yaml --max-steps 6 > $OUT/original.log 2>&1
echo "original exit $?" | tee -a $OUT/gpu.txt
grep -E "resumed|step [0-9] \||saved|Error|error" $OUT/original.log | head -20
cd ..
timeout 120 python3 - <<'PY' 2>&1 | tee $OUT/checkpoint.txt
import json, torch
from dataclasses import asdict
from pathlib import Path
from homeport.plan.checkpoint import check
for device in ("cpu", "cuda:0"):
    for r in check(Path("probe"), device=device):
        print(device, r.format, r.verdict, r.matched, r.written_by, "->", r.loaded_by, r.error, r.warnings)
torch.save({"w": torch.ones(2, device="cuda")}, "gpu.pt")
(r,) = check(Path("gpu.pt"), device="cpu")
print("gpu.pt", r.verdict, r.saved_devices, r.warnings)
(r,) = check(Path("run/outputs/checkpoints/step_00000004.pt"), device="cuda:0", written_by="2.13.0")
print("ported ckpt on cuda", r.verdict, r.tensors, r.saved_devices, r.warnings, r.error)
PY

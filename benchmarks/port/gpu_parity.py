"""Original vs ported example on a real GPU: the same seed in deterministic mode must give the same
losses, and the ported code must be as fast (issue 3, "GPU" verification).

    python benchmarks/port/gpu_parity.py --steps 30 --runs 3 --out benchmarks/port/gpu

Runs examples/llm-pipeline/train.py (original) and its `homeport port` output alternately, each
`--runs` times, in one call on one machine, with a small GPT on generated token shards. Determinism:
`torch.use_deterministic_algorithms(True)`, `CUBLAS_WORKSPACE_CONFIG=:4096:8`, fp32 or bf16 without
autocast differences (both sides run the same precision from the same config). Throughput is the
mean tokens/s the script logs over the steps after `--warmup`. Writes results.json and results.md.

On a machine without CUDA the original cannot run; `--ported-only` then checks the ported side alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "llm-pipeline"
sys.path.insert(0, str(REPO / "src"))

# Runs train.py with deterministic algorithms on; argv after the script path goes to train.py.
# The train logger is set to INFO here: a package that configures logging on import (before train.py's
# basicConfig) would otherwise leave the root at WARNING and the step lines unprinted.
DETERMINISTIC = ("import sys, runpy, logging, torch; torch.use_deterministic_algorithms(True); "
                 "logging.getLogger('train').setLevel(logging.INFO); "
                 "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')")


def prepare(work: Path, steps: int, precision: str) -> tuple[Path, Path]:
    from homeport.port.apply import write_copy
    from homeport.port.engine import port

    stub = work / "stub"  # tiktoken's BPE download needs the internet; the shards are pre-tokenized
    stub.mkdir()
    (stub / "tiktoken.py").write_text("class _Enc:\n    n_vocab = 50257\n\n\ndef get_encoding(name):\n    return _Enc()\n")
    shards = work / "shards"
    shards.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        rng.integers(0, 50257, size=1 << 20, dtype=np.uint16).tofile(shards / f"shard_{i:06d}.bin")
    config = yaml.safe_load((EXAMPLE / "configs" / "train.yaml").read_text())
    config["model"].update(n_layer=6, n_head=8, n_embd=512, block_size=512, use_flash_attn=False)
    config["data"].update(train_uri=str(shards), val_uri=None, num_workers=0)
    config["train"].update(micro_batch_size=8, grad_accum_steps=1, max_steps=steps, log_interval=1)
    config["runtime"].update(precision=precision, tf32=False, cudnn_benchmark=False)
    config["checkpoint"].update(s3_uri=None, interval=10**9)
    config["tracking"]["cloudwatch"] = False
    (work / "parity.yaml").write_text(yaml.safe_dump(config))
    result = port(EXAMPLE)
    write_copy(result.root, work / "ported", result.files)
    return EXAMPLE, work / "ported"


def train(tree: Path, work: Path, tag: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB", "SM_"))}
    path = os.pathsep.join(p for p in (str(work / "stub"), str(tree), os.environ.get("PYTHONPATH", "")) if p)
    env.update(PYTHONPATH=path, SM_MODEL_DIR=str(work / f"model-{tag}"),
               CUBLAS_WORKSPACE_CONFIG=":4096:8", PYTHONHASHSEED="0")
    cwd = work / f"run-{tag}"  # train.py checkpoints under ./outputs: a shared folder would make runs resume
    cwd.mkdir()
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", DETERMINISTIC, str(tree / "train.py"), "--config",
                          str(work / "parity.yaml")], cwd=cwd, env=env, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"{tag} failed:\n{run.stderr[-3000:]}")
    losses, tps = [], []
    for line in (run.stderr + run.stdout).splitlines():
        if "| loss " in line:
            losses.append(float(line.split("| loss ")[1].split()[0]))
            tps.append(float(line.split(" tok/s")[0].rsplit("|", 1)[1].strip()))
    if not losses:  # the log is the only channel: show what came out instead of failing on an empty list
        raise SystemExit(f"{tag}: no '| loss' lines in its output\nstdout:\n{run.stdout[-2500:]}\n"
                         f"stderr:\n{run.stderr[-2500:]}")
    return {"losses": losses, "tokens_per_s": tps, "wall_s": time.perf_counter() - started}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--precision", choices=("fp32", "bf16"), default="bf16")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "port" / "gpu")
    ap.add_argument("--ported-only", action="store_true", help="no CUDA here: run the ported side only")
    args = ap.parse_args()
    import torch

    if not torch.cuda.is_available() and not args.ported_only:
        raise SystemExit("no CUDA device: the original needs one (pass --ported-only to check the ported side)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        original, ported = prepare(work, args.steps, args.precision)
        runs = {"original": [], "ported": []}
        for i in range(args.runs):  # alternate, so drift on a shared machine hits both sides alike
            for tag, tree in (("original", original), ("ported", ported)):
                if tag == "original" and args.ported_only:
                    continue
                runs[tag].append(train(tree, work, f"{tag}-{i}"))
    report = summarize(runs, args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(report, indent=1) + "\n")
    (args.out / "results.md").write_text(markdown(report))
    print(markdown(report))


def summarize(runs: dict, args) -> dict:
    import torch

    def mean_tps(run):
        return statistics.fmean(run["tokens_per_s"][args.warmup:] or run["tokens_per_s"])

    report = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "host": platform.node(), "torch": torch.__version__,
              "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
              "steps": args.steps, "warmup": args.warmup, "runs": args.runs, "precision": args.precision,
              "tokens_per_s": {tag: [mean_tps(r) for r in rs] for tag, rs in runs.items()},
              "losses": {tag: rs[0]["losses"] if rs else [] for tag, rs in runs.items()}}
    if runs["original"]:
        a, b = np.array(runs["original"][0]["losses"]), np.array(runs["ported"][0]["losses"])
        report["max_relative_loss_difference"] = float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-12)))
        report["losses_identical"] = bool(np.array_equal(a, b))
        report["throughput_ratio_ported_over_original"] = (statistics.fmean(report["tokens_per_s"]["ported"])
                                                           / statistics.fmean(report["tokens_per_s"]["original"]))
    return report


def markdown(r: dict) -> str:
    lines = [f"GPU parity, {r['date']} on {r['device']} (torch {r['torch']}), {r['steps']} steps x {r['runs']} "
             f"alternating runs, {r['precision']}", ""]
    for tag, values in r["tokens_per_s"].items():
        lines.append(f"- {tag}: tokens/s per run {', '.join(f'{v:,.0f}' for v in values)}")
    if "throughput_ratio_ported_over_original" in r:
        lines.append(f"- losses identical: {r['losses_identical']}; max relative difference "
                     f"{r['max_relative_loss_difference']:.2e}")
        lines.append(f"- throughput ratio ported/original: {r['throughput_ratio_ported_over_original']:.4f}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

"""homeport bench on a real GPU (issue 6 targets), in one call, writing as it goes:

1. the matmul probe against a plain `torch.matmul` loop, alternating, in the same process
   (target: the probe reaches >= 95% of the plain loop);
2. the reference workload at ~1.3B parameters, seq 2048, bf16 + compile
   (target: >= 55% MFU against the dense BF16 peak);
3. the full probe set and a seeded tiny workload (3 seeds) for `homeport bench parity` against a CPU run;
4. when time is left, more configurations (whole-model compile, larger batch).

    python benchmarks/bench/gpu_check.py --out benchmarks/bench/gpu --deadline 420
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))

import torch  # noqa: E402

from homeport.bench import probes, results, runner  # noqa: E402
from homeport.bench.device import detect, synchronize  # noqa: E402
from homeport.bench.workload import WorkloadConfig  # noqa: E402

STARTED = time.perf_counter()


def plain_loop(n: int, iters: int) -> float:
    """TFLOP/s of the loop anyone would write: a @ b, iters times, one sync."""
    a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    for _ in range(3):
        torch.matmul(a, b)
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(iters):
        torch.matmul(a, b)
    torch.cuda.synchronize()
    return 2 * n**3 * iters / (time.perf_counter() - t) / 1e12


def log(out: Path, name: str, value) -> None:
    """Print and add to gpu_check.json at once, so a run cut short keeps what it measured."""
    print(f"[{time.perf_counter() - STARTED:6.1f}s] {name}: {json.dumps(value)[:400]}", flush=True)
    path = out / "gpu_check.json"
    done = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**done, name: value}, indent=1) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "bench" / "gpu")
    ap.add_argument("--deadline", type=float, default=420, help="seconds: optional parts start only before this")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    device = detect()
    log(args.out, "device", {**device.to_dict(), "torch": torch.__version__})

    # 1. probe vs plain loop, alternating so clock and thermal drift hit both
    n, rounds = 8192, 5
    ours, plain = [], []
    for _ in range(rounds):
        ours.append(probes.matmul(device, "bf16", n=n, seconds=0.5)["tflops"])
        plain.append(plain_loop(n, 200))
    log(args.out, "matmul_vs_plain", {"n": n, "rounds": rounds, "probe_tflops": ours, "plain_tflops": plain,
                                      "ratio_median": statistics.median(ours) / statistics.median(plain)})

    # 2. the MFU target
    big = dict(size="1.3b", seq_len=2048, batch_size=8, steps=30, warmup=10, precision="bf16")
    doc = runner.bench(WorkloadConfig(**big, compile="blocks"), probe_names=("matmul", "memory", "host"))
    results.save(doc, args.out / "bench-1.3b-compile-blocks.json")
    log(args.out, "summary-1.3b-blocks", _summary(doc))

    # 3. parity material: tiny, 3 seeds, bf16 and fp32 (a CPU run of the same is the other side)
    for precision in ("fp32", "bf16"):
        tiny = runner.bench(WorkloadConfig(size="tiny", seq_len=256, batch_size=8, steps=60, warmup=5,
                                           precision=precision), seeds=3)
        results.save(tiny, args.out / f"bench-tiny-{precision}-3seeds.json")
        log(args.out, f"summary-tiny-{precision}", _summary(tiny))

    # 4. extras while time lasts
    for label, extra in (("1.3b-compile-model", dict(big, compile="model")),
                         ("1.3b-compile-blocks-batch16", dict(big, compile="blocks", batch_size=16)),
                         ("1.3b-eager", dict(big, compile="none"))):
        if time.perf_counter() - STARTED > args.deadline:
            log(args.out, f"skipped-{label}", "deadline")
            continue
        torch.compiler.reset()
        torch.cuda.empty_cache()
        try:
            doc = runner.bench(WorkloadConfig(**extra))
        except torch.OutOfMemoryError as exc:
            log(args.out, f"oom-{label}", str(exc)[:300])
            continue
        results.save(doc, args.out / f"bench-{label}.json")
        log(args.out, f"summary-{label}", _summary(doc))
    synchronize(device)


def _summary(doc: dict) -> dict:
    out = {"probes": {k: v for k, v in doc["probes"].items()}}
    for w in doc["workloads"]:
        out[w["config"]["size"]] = {k: w[k] for k in ("tokens_per_s", "tflops", "mfu", "peak_memory_bytes")}
        out[w["config"]["size"]]["step_median_s"] = w["step_time_s"]["median"]
    return out


if __name__ == "__main__":
    main()

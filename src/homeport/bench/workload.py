"""The reference workload: train the GPT of model.py on synthetic tokens and measure it.

Per step: forward and backward under autocast (bf16/fp16; fp32 runs without), AdamW (fused where the
backend has it), `loss.item()` (which waits for the device, so a step's wall time is its real time).
Steps before `warmup` (compilation, allocator growth) are run and recorded but not measured.
"""

from __future__ import annotations

import statistics
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from typing import Callable

import torch

from homeport.bench.device import Device, allocated_bytes, reset_peak_memory, synchronize
from homeport.bench.model import GPT, SIZES, batch
from homeport.core.errors import HomeportError

PRECISIONS = ("bf16", "fp16", "fp32", "fp8")
COMPILE_MODES = ("none", "blocks", "model")


@dataclass(frozen=True)
class WorkloadConfig:
    size: str = "tiny"
    seq_len: int = 256
    batch_size: int = 8
    steps: int = 20
    warmup: int = 5
    precision: str = "bf16"
    compile: str = "none"  # blocks: each block on its own (torchtitan's way: one compile serves all layers)
    seed: int = 0
    lr: float = 3e-4
    perturb: float = 0.0  # noise added to the weights after each step, relative to their spread: a stand-in
    # for a device that computes wrongly, so parity's rejection can be tested

    def check(self) -> None:
        if self.size not in SIZES:
            raise HomeportError(f"unknown model size {self.size!r}", expected=", ".join(SIZES))
        if self.precision not in PRECISIONS:
            raise HomeportError(f"unknown precision {self.precision!r}", expected=", ".join(PRECISIONS))
        if self.compile not in COMPILE_MODES:
            raise HomeportError(f"unknown compile mode {self.compile!r}", expected=", ".join(COMPILE_MODES))
        for name in ("seq_len", "batch_size", "steps"):
            if getattr(self, name) < 1:
                raise HomeportError(f"{name.replace('_', '-')} must be at least 1", got=str(getattr(self, name)))
        if not 0 <= self.warmup < self.steps:
            raise HomeportError("warmup must leave steps to measure", expected=f"0 <= warmup < steps ({self.steps})",
                                got=str(self.warmup), hint="raise --steps or lower --warmup")


def run(config: WorkloadConfig, device: Device, on_step: Callable[[int, float], None] | None = None,
        ddp: bool = False) -> dict:
    """Train `config.steps` steps; returns the workload entry of a bench result (results.py)."""
    config.check()
    size = SIZES[config.size]
    torch.manual_seed(config.seed)
    dev = device.torch_device
    reset_peak_memory(device)
    before = allocated_bytes(device)  # what earlier work left allocated is not this workload's
    model = GPT(size, config.seq_len).to(dev)  # built on the CPU: the same initial weights on every device
    flops_per_token = model.flops_per_token()
    params = {"params": sum(p.numel() for p in model.parameters()), "matmul_params": model.matmul_params()}
    optimizer = _adamw(model, config.lr)
    if config.precision == "fp8":
        _to_float8(model)
    _compile(model, config.compile)
    trained = torch.nn.parallel.DistributedDataParallel(model) if ddp else model
    autocast = (torch.autocast(dev.type, dtype=torch.float16 if config.precision == "fp16" else torch.bfloat16)
                if config.precision != "fp32" else nullcontext())
    scaler = torch.amp.GradScaler(dev.type) if config.precision == "fp16" else None
    gen = torch.Generator().manual_seed(config.seed)

    losses, step_s = [], []
    rank = _rank()
    for step in range(config.steps):
        x, y = (t.to(dev, non_blocking=True) for t in batch(size, config.batch_size, config.seq_len,
                                                             config.seed * 65_537 + rank, step))
        started = time.perf_counter()
        with autocast:
            loss = trained(x, y)
        (scaler.scale(loss) if scaler else loss).backward()
        if scaler:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if config.perturb:
            _perturb(model, config.perturb, gen)
        value = loss.item()
        synchronize(device)
        step_s.append(time.perf_counter() - started)
        losses.append(value)
        if on_step:
            on_step(step, value)
    peak = allocated_bytes(device, peak=True)
    return _figures(config, device, params, flops_per_token, losses, step_s,
                    peak - before if peak is not None and before is not None else None)


def _figures(config: WorkloadConfig, device: Device, params: dict, flops_per_token: float, losses: list[float],
             step_s: list[float], peak_memory: int | None) -> dict:
    measured = step_s[config.warmup:]
    mean_s = statistics.fmean(measured)
    tokens_per_step = config.batch_size * config.seq_len
    per_device = tokens_per_step / mean_s
    tflops = flops_per_token * per_device / 1e12
    peak = device.peak_bf16_tflops
    if config.precision == "fp8":  # the peak is ill-defined under FP8 (torchtitan reports none)
        mfu, note = None, "FP8: TFLOP/s are BF16-equivalent model FLOPs; MFU is not defined against an FP8 peak"
    elif config.precision == "fp32":
        mfu, note = None, "fp32: the catalog records BF16 dense peaks only, so no MFU"
    elif peak is None:
        mfu, note = None, f"no dense BF16 peak in the catalog for {device.name!r}, so no MFU"
    else:
        mfu, note = tflops / peak, f"against the dense BF16 peak of {device.accelerator}: {peak:g} TFLOP/s"
    return {
        "name": "gpt",
        "config": {**asdict(config), **params,
                   "layers": SIZES[config.size].layers, "d_model": SIZES[config.size].d_model,
                   "heads": SIZES[config.size].heads, "vocab": SIZES[config.size].vocab,
                   "world_size": device.world_size},
        "flops_per_token": flops_per_token,
        "tokens_per_s": per_device * device.world_size,
        "tokens_per_s_per_device": per_device,
        "tflops": tflops,
        "mfu": mfu,
        "mfu_note": note,
        "step_time_s": spread(measured),
        "peak_memory_bytes": peak_memory,  # above what was allocated before the model was built
        "losses": losses,
    }


def spread(values: list[float]) -> dict:
    ordered = sorted(values)
    mean = statistics.fmean(values)
    stdev = statistics.stdev(values) if len(values) > 1 else 0.0
    return {"mean": mean, "median": statistics.median(values), "p10": ordered[int(0.1 * (len(ordered) - 1))],
            "p90": ordered[round(0.9 * (len(ordered) - 1))], "stdev": stdev, "cv": stdev / mean if mean else 0.0,
            "samples": len(values)}


def _adamw(model: torch.nn.Module, lr: float) -> torch.optim.Optimizer:
    try:  # fused: one kernel for all parameters where the backend has it
        return torch.optim.AdamW(model.parameters(), lr=lr, fused=True)
    except RuntimeError:
        return torch.optim.AdamW(model.parameters(), lr=lr)


def _to_float8(model: torch.nn.Module) -> None:
    try:
        from torchao.float8 import convert_to_float8_training  # noqa: PLC0415
    except ImportError:
        raise HomeportError("fp8 needs torchao's float8 training", got="torchao is not installed",
                            hint="pip install torchao (on a device with FP8 matmuls: H100, H200, MI300X, Gaudi 2/3)"
                            ) from None
    # the tied head stays in bf16: float8 needs its weight as a plain Linear's
    convert_to_float8_training(model, module_filter_fn=lambda module, fqn: fqn.startswith("blocks."))


def _compile(model: torch.nn.Module, mode: str) -> None:
    if mode == "blocks":
        for block in model.blocks:
            block.compile()
    elif mode == "model":
        model.compile()


def _perturb(model: torch.nn.Module, eps: float, gen: torch.Generator) -> None:
    with torch.no_grad():
        for p in model.parameters():
            noise = torch.randn(p.shape, generator=gen).to(p.device, p.dtype)
            p.add_(noise * eps * p.std())


def _rank() -> int:
    import torch.distributed as dist  # noqa: PLC0415

    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0

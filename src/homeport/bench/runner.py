"""One `homeport bench` run: set up the process group under torchrun, run the probes, run the reference
workload once per seed, and put it all in one result document (results.py)."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Callable

import torch

from homeport.bench import probes, results, workload
from homeport.bench.device import Device, detect


def init_distributed() -> bool:
    """Join torchrun's process group (WORLD_SIZE > 1) on the backend torch picks for this device."""
    import torch.distributed as dist  # noqa: PLC0415

    if int(os.environ.get("WORLD_SIZE", 1)) < 2 or dist.is_initialized():
        return dist.is_initialized()
    if torch.accelerator.is_available():
        torch.accelerator.set_device_index(int(os.environ.get("LOCAL_RANK", 0)))
        kind = torch.accelerator.current_accelerator()
    else:
        kind = torch.device("cpu")
    dist.init_process_group(backend=dist.get_default_backend_for_device(kind))
    return True


def bench(config: workload.WorkloadConfig | None, *, seeds: int = 1, probe_names: tuple[str, ...] = (),
          precisions: tuple[str, ...] = ("bf16", "fp16", "fp32"), storage: str | None = None,
          probe_seconds: float = 0.5, on_stage: Callable[[str], None] | None = None,
          on_step: Callable[[int, float], None] | None = None) -> dict:
    ddp = init_distributed()
    device = detect()
    stage = on_stage or (lambda _name: None)
    found = probes.run(device, probe_names, precisions, storage, probe_seconds, on_probe=lambda n: stage(f"probe {n}"))
    workloads = []
    if config is not None:
        workloads.append(_seeded(config, device, seeds, ddp, stage, on_step))
    return results.new(device.to_dict(), found, workloads)


def _seeded(config: workload.WorkloadConfig, device: Device, seeds: int, ddp: bool, stage, on_step) -> dict:
    """The first seed's figures, with every seed's loss curve (parity's run-to-run band)."""
    runs = []
    for i in range(seeds):
        stage(f"gpt {config.size} seed {config.seed + i}")
        runs.append(workload.run(replace(config, seed=config.seed + i), device, on_step=on_step, ddp=ddp))
    first = runs[0]
    first["loss_curves"] = [r["losses"] for r in runs]
    first["tokens_per_s_runs"] = [r["tokens_per_s"] for r in runs]
    return first


def is_main_process() -> bool:
    import torch.distributed as dist  # noqa: PLC0415

    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0

"""The accelerator this process runs on, through `torch.accelerator` only (cuda, rocm, hpu, xpu, npu,
mps) with the CPU as the fallback, and the catalog row that gives its dense peak."""

from __future__ import annotations

import os
import platform
from dataclasses import asdict, dataclass

import torch

from homeport.catalog.accelerators import identify


@dataclass(frozen=True)
class Device:
    type: str  # the torch device string: cuda (also ROCm), hpu, xpu, npu, mps, cpu
    name: str  # as the runtime reports it
    accelerator: str | None  # catalog key, None where the catalog has no row
    count: int  # devices visible to this process
    world_size: int  # processes in the job (torchrun)
    runtime: str  # CUDA / HIP / ... version torch was built with
    driver: str | None
    peak_bf16_tflops: float | None
    peak_fp8_tflops: float | None
    host: str

    @property
    def torch_device(self) -> torch.device:
        if self.type == "cpu":
            return torch.device("cpu")
        return torch.device(self.type, int(os.environ.get("LOCAL_RANK", 0)))

    def to_dict(self) -> dict:
        return asdict(self)


def detect() -> Device:
    kind = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else None
    dtype = kind.type if kind is not None else "cpu"
    name = _name(dtype)
    row = identify(name)
    return Device(type=dtype, name=name, accelerator=row.accelerator if row else None,
                  count=torch.accelerator.device_count() if kind is not None else 1,
                  world_size=int(os.environ.get("WORLD_SIZE", 1)), runtime=_runtime(), driver=_driver(dtype),
                  peak_bf16_tflops=row.bf16_dense_tflops if row else None,
                  peak_fp8_tflops=row.fp8_dense_tflops if row else None, host=platform.node())


def _name(dtype: str) -> str:
    module = getattr(torch, dtype, None)
    get = getattr(module, "get_device_name", None)
    if dtype != "cpu" and get is not None:
        try:
            return get()
        except Exception:  # a backend without the call answers with its type below
            pass
    return (platform.processor() or platform.machine() or "cpu") if dtype == "cpu" else dtype


def _runtime() -> str:
    for label, version in (("HIP", torch.version.hip), ("CUDA", torch.version.cuda),
                           ("XPU", getattr(torch.version, "xpu", None))):
        if version:
            return f"{label} {version}"
    return "none"


def _driver(dtype: str) -> str | None:
    if dtype != "cuda":
        return None
    try:  # NVML through torch, when it is there: no subprocess, no nvidia-smi needed
        import pynvml  # noqa: PLC0415

        pynvml.nvmlInit()
        version = pynvml.nvmlSystemGetDriverVersion()
        return version.decode() if isinstance(version, bytes) else version
    except Exception:
        return None


def synchronize(device: Device) -> None:
    if device.type != "cpu":
        torch.accelerator.synchronize()


def reset_peak_memory(device: Device) -> None:
    if device.type != "cpu":
        torch.accelerator.reset_peak_memory_stats()


def allocated_bytes(device: Device, peak: bool = False) -> int | None:
    """Bytes allocated on the device now (or at the peak since the last reset); None on the CPU and on
    backends without allocator stats."""
    if device.type == "cpu":
        return None
    try:
        return int(torch.accelerator.max_memory_allocated() if peak else torch.accelerator.memory_allocated())
    except (RuntimeError, AttributeError):
        return None

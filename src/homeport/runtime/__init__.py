"""homeport.runtime: the little that plain PyTorch lacks for code ported off CUDA. Opt-in and tiny.

    from homeport.runtime import device, dist_backend, mark_step
    dev = device(local_rank)                                   # cuda:0, xpu:0, hpu:0, npu:0 ... or cpu
    dist.init_process_group(dist_backend(dev), device_id=dev)  # where device_id is supported
    ...; loss.backward(); mark_step(); optimizer.step(); mark_step()

It reads torch, never changes it: nothing here patches `torch.cuda` (the runtime shims that do break
other libraries' device detection and TorchScript: research/portability.md section 4, items 1-2).
It imports nothing from homeport, so it can be copied into a project as a single file. Its two small
tables mirror catalog/data/target_stacks.csv (a test keeps them equal).
"""

from __future__ import annotations

import importlib
import os
import re

__all__ = ["device", "dist_backend", "visible_devices_env", "mark_step"]

# Probe order without torch.accelerator: vendor devices before CUDA, because a CUDA shim on those
# machines (Ascend's transfer_to_npu) makes torch.cuda answer for them (accelerate#3020).
_DEVICE_MODULES = ("hpu", "npu", "xpu", "cuda")

# device type -> distributed backend, for torch without dist.get_default_backend_for_device.
_BACKENDS = {"cuda": "nccl", "hpu": "hccl", "xpu": "xccl", "npu": "hccl", "cpu": "gloo", "mps": "gloo"}

# device type -> the variable that masks devices (None: the device type has no mask).
_VISIBLE = {"cuda": "CUDA_VISIBLE_DEVICES", "hpu": "HABANA_VISIBLE_MODULES", "xpu": "ZE_AFFINITY_MASK",
            "npu": "ASCEND_RT_VISIBLE_DEVICES", "cpu": None, "mps": None}


def device(index: int | None = None):
    """The current accelerator as a `torch.device` (`cuda:1` for index 1), or `cpu` when there is none.
    Uses `torch.accelerator` where it exists (torch 2.6+), else the device modules. On Gaudi with torch
    before autoloading, import `habana_frameworks.torch` first so that `torch.hpu` exists."""
    import torch

    return _device(torch, index)


def _device(torch, index: int | None = None):
    kind = _accelerator_type(torch) or "cpu"
    return torch.device(kind) if index is None or kind == "cpu" else torch.device(kind, index)


def _accelerator_type(torch) -> str | None:
    accelerator = getattr(torch, "accelerator", None)
    if accelerator is not None and hasattr(accelerator, "current_accelerator"):
        current = accelerator.current_accelerator()
        return current.type if current is not None and accelerator.is_available() else None
    for name in _DEVICE_MODULES:
        module = getattr(torch, name, None)
        available = getattr(module, "is_available", None)
        if callable(available) and available():
            return name
    mps = getattr(getattr(torch, "backends", None), "mps", None)
    return "mps" if mps is not None and mps.is_available() else None


def dist_backend(device=None) -> str:
    """The torch.distributed backend for a device (default: `device()`): `nccl` on CUDA and ROCm, `hccl`
    on Gaudi and Ascend, `xccl` on Intel GPUs (`ccl` before torch 2.8), `gloo` on the CPU."""
    import torch
    import torch.distributed as dist

    dev = torch.device(device) if device is not None else _device(torch)
    default = getattr(dist, "get_default_backend_for_device", None)
    if default is not None:
        try:
            return default(dev)
        except (RuntimeError, ValueError):  # a device type this torch build does not know
            pass
    if dev.type == "xpu" and _older_than(torch.__version__, (2, 8)):
        return "ccl"  # oneCCL bindings for PyTorch, before XCCL was upstream
    return _BACKENDS.get(dev.type, "gloo")


def visible_devices_env(device_type) -> str | None:
    """The variable that masks devices of this type (`xpu` -> `ZE_AFFINITY_MASK`); None for the CPU.
    A ROCm build answers `HIP_VISIBLE_DEVICES` for `cuda` (it honours `CUDA_VISIBLE_DEVICES` too)."""
    kind = getattr(device_type, "type", device_type)
    if kind not in _VISIBLE:
        raise ValueError(f"unknown device type {kind!r}; expected one of {', '.join(_VISIBLE)}")
    if kind == "cuda":
        import torch

        if getattr(torch.version, "hip", None):
            return "HIP_VISIBLE_DEVICES"
    return _VISIBLE[kind]


def mark_step() -> None:
    """In Gaudi lazy mode (PT_HPU_LAZY_MODE=1), run the graph accumulated so far: call it after
    `backward()` and after `optimizer.step()`. Everywhere else (eager, torch.compile, other devices)
    it does nothing."""
    if os.environ.get("PT_HPU_LAZY_MODE") != "1":
        return
    try:
        core = importlib.import_module("habana_frameworks.torch.core")
    except ImportError:  # lazy mode asked for on a machine without the Gaudi software: nothing to step
        return
    core.mark_step()


def _older_than(version: str, minimum: tuple[int, int]) -> bool:
    """`2.7.1+xpu` is older than (2, 8); an unreadable version is not."""
    match = re.match(r"(\d+)\.(\d+)", version)
    return bool(match) and (int(match.group(1)), int(match.group(2))) < minimum

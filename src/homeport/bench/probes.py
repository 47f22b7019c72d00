"""Micro-probes of what a training step is made of: matmul TFLOP/s per precision, device memory
bandwidth, host<->device copies, all-reduce bus bandwidth across processes, and storage (the data
probe of `homeport data probe`).

Each probe repeats its operation until `seconds` have passed between two device synchronizations,
three times, and reports the median of the three: one sync per batch of operations, so the figure
is the device's, not Python's. Sizes default to what fills a data-centre GPU; the CPU gets small ones.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

import torch

from homeport.bench.device import Device, synchronize

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}
PROBES = ("matmul", "memory", "host", "allreduce")


def timed(device: Device, op: Callable[[], object], seconds: float, repeats: int = 3,
          agree: Callable[[bool], bool] = bool) -> float:
    """Median seconds per call of `op`, after one warm call. `agree(done)` turns this process's "time is up"
    into the decision every process takes (a collective must be called as often on every rank)."""
    op()
    synchronize(device)
    per_call = []
    for _ in range(repeats):
        calls, started = 0, time.perf_counter()
        while True:
            for _ in range(max(1, 2 ** min(calls.bit_length(), 6))):  # batches grow: few syncs per timing
                op()
                calls += 1
            synchronize(device)
            elapsed = time.perf_counter() - started
            if agree(elapsed >= seconds):
                break
        per_call.append(elapsed / calls)
    return statistics.median(per_call)


def matmul(device: Device, precision: str, n: int | None = None, seconds: float = 0.5) -> dict:
    """TFLOP/s of an n x n x n product (2n^3 FLOPs), out= preallocated as a training step's are."""
    n = n or (8192 if device.type != "cpu" else 512)
    dev, dtype = device.torch_device, DTYPES[precision]
    a, b = torch.randn(n, n, device=dev, dtype=dtype), torch.randn(n, n, device=dev, dtype=dtype)
    out = torch.empty(n, n, device=dev, dtype=dtype)
    s = timed(device, lambda: torch.matmul(a, b, out=out), seconds)
    tflops = 2 * n**3 / s / 1e12
    peak = device.peak_bf16_tflops if precision in ("bf16", "fp16") else None
    return {"precision": precision, "n": n, "seconds_per_matmul": s, "tflops": tflops,
            "fraction_of_peak": tflops / peak if peak else None}


def memory(device: Device, nbytes: int | None = None, seconds: float = 0.5) -> dict:
    """Device-to-device copy; bytes read plus bytes written per second (how vendors quote HBM)."""
    nbytes = nbytes or (2 << 30 if device.type != "cpu" else 64 << 20)
    dev = device.torch_device
    src = torch.empty(nbytes, dtype=torch.uint8, device=dev).fill_(1)
    dst = torch.empty_like(src)
    s = timed(device, lambda: dst.copy_(src), seconds)
    return {"bytes": nbytes, "bytes_per_s": 2 * nbytes / s, "counts": "bytes read + bytes written"}


def host(device: Device, nbytes: int = 256 << 20, seconds: float = 0.5) -> dict:
    """Pinned host memory to the device and back."""
    if device.type == "cpu":
        return {"skipped": "no device: host and device memory are the same"}
    dev = device.torch_device
    try:
        pinned = torch.empty(nbytes, dtype=torch.uint8, pin_memory=True)
    except RuntimeError:  # a backend without pinned memory: pageable copies are what it gets
        pinned = torch.empty(nbytes, dtype=torch.uint8)
    on_device = torch.empty(nbytes, dtype=torch.uint8, device=dev)
    h2d = timed(device, lambda: on_device.copy_(pinned, non_blocking=True), seconds)
    d2h = timed(device, lambda: pinned.copy_(on_device, non_blocking=True), seconds)
    return {"bytes": nbytes, "pinned": pinned.is_pinned(), "host_to_device_bytes_per_s": nbytes / h2d,
            "device_to_host_bytes_per_s": nbytes / d2h}


def allreduce(device: Device, nbytes: int = 256 << 20, seconds: float = 0.5) -> dict:
    """Bus bandwidth of a bf16 all-reduce, as nccl-tests defines it: algbw * 2(n-1)/n."""
    import torch.distributed as dist  # noqa: PLC0415

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() < 2:
        return {"skipped": "one process: run under torchrun with two or more to measure all-reduce"}
    n = dist.get_world_size()
    tensor = torch.ones(nbytes // 2, dtype=torch.bfloat16, device=device.torch_device)
    flag = torch.zeros(1, device=device.torch_device)

    def any_rank_done(done: bool) -> bool:
        """Each rank's clock says "done" at its own moment: stopping on that alone, one rank could call one
        more all-reduce than another, which hangs NCCL and makes gloo abort (seen under load with 2 CPU ranks)."""
        flag.fill_(float(done))
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item())
    s = timed(device, lambda: dist.all_reduce(tensor), seconds, agree=any_rank_done)
    algbw = nbytes / s
    return {"bytes": nbytes, "world_size": n, "backend": dist.get_backend(), "algbw_bytes_per_s": algbw,
            "busbw_bytes_per_s": algbw * 2 * (n - 1) / n}


def storage(location: str, seconds: float = 2.0) -> dict:
    """`homeport data probe` from where the training runs: round trip, one stream, the in-flight sweep."""
    from homeport.data.probe import probe  # noqa: PLC0415

    return probe(location, seconds_per_level=seconds).to_dict()


def run(device: Device, names: tuple[str, ...], precisions: tuple[str, ...] = ("bf16", "fp16", "fp32"),
        storage_location: str | None = None, seconds: float = 0.5,
        on_probe: Callable[[str], None] | None = None) -> dict:
    """The probes in `names` (PROBES), plus storage when a location is given."""
    out: dict = {}
    for name in names:
        if on_probe:
            on_probe(name)
        if name == "matmul":
            out["matmul"] = [matmul(device, p, seconds=seconds) for p in precisions]
        else:
            out[name] = globals()[name](device, seconds=seconds)
    if storage_location:
        if on_probe:
            on_probe("storage")
        out["storage"] = storage(storage_location)
    return out

"""Measured throughput from `homeport bench` results (JSON, `kind: homeport-bench`, `schema_version: 1`).

Only what the cost model needs is read: `device.accelerator`, `device.count`, and per workload
`tokens_per_s`, `config.params` and `mfu` (null under FP8). The rate per device is `tokens_per_s_per_device`
where the file has it (bench/workload.py writes it), else `tokens_per_s` over `device.world_size` (the
processes that produced the total), else over `device.count`; `flops_per_token`, where present, scales a
measurement to another model size. Other fields are ignored, so the bench schema can grow; a field the model
needs and does not find is an error that names the file and the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from homeport.catalog import accelerators
from homeport.core.errors import HomeportError

KIND = "homeport-bench"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class BenchWorkload:
    name: str
    params: float
    tokens_per_s: float  # all devices of the run together
    per_device: float
    flops_per_token: float | None
    mfu: float | None


@dataclass(frozen=True)
class Measurement:
    path: str
    accelerator: str
    device_count: int
    device_name: str
    workloads: tuple[BenchWorkload, ...]

    def closest(self, params: float) -> BenchWorkload:
        """The workload nearest in size to the job's model, by ratio (for 350M: 124M, 2.8x off, before 1.3B, 3.7x)."""
        return min(self.workloads, key=lambda w: abs(math.log(w.params / params)))


def parse(data, path: str) -> Measurement:
    if not isinstance(data, dict):
        raise _bad(path, "(top level)", "a JSON object", type(data).__name__)
    if data.get("kind") != KIND:
        raise _bad(path, "kind", f"{KIND!r}", repr(data.get("kind")),
                   hint="pass a result file that `homeport bench` wrote")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise _bad(path, "schema_version", str(SCHEMA_VERSION), repr(data.get("schema_version")),
                   hint="rerun `homeport bench` with this homeport version")
    device = data.get("device")
    if not isinstance(device, dict):
        raise _bad(path, "device", "an object with accelerator and count", repr(device))
    key = device.get("accelerator")
    if not isinstance(key, str) or accelerators.find(key) is None:
        known = ", ".join(a.accelerator for a in accelerators.accelerators())
        raise _bad(path, "device.accelerator", f"a key of accelerators.csv ({known})", repr(key),
                   hint="the bench could not identify the device; set device.accelerator to its catalog key")
    count = device.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise _bad(path, "device.count", "a whole number >= 1", repr(count))
    loads = data.get("workloads")
    if not isinstance(loads, list) or not loads:
        raise _bad(path, "workloads", "a non-empty list", repr(loads))
    world = device.get("world_size")
    devices = world if _positive(world) and isinstance(world, int) else count
    return Measurement(path, accelerators.find(key).accelerator, count, str(device.get("name", "")),
                       tuple(_workload(path, i, w, devices) for i, w in enumerate(loads)))


def _workload(path: str, i: int, w, devices: int) -> BenchWorkload:
    where = f"workloads[{i}]"
    if not isinstance(w, dict):
        raise _bad(path, where, "an object", repr(w))
    rate = w.get("tokens_per_s")
    if not _positive(rate):
        raise _bad(path, f"{where}.tokens_per_s", "a number above 0", repr(rate))
    config = w.get("config")
    params = config.get("params") if isinstance(config, dict) else None
    if not _positive(params):
        raise _bad(path, f"{where}.config.params", "the model's parameter count, above 0", repr(params))
    mfu = w.get("mfu")
    if mfu is not None and not _positive(mfu):
        raise _bad(path, f"{where}.mfu", "a number above 0, or null (FP8 runs report none)", repr(mfu))
    per_device = w.get("tokens_per_s_per_device")
    per_device = float(per_device) if _positive(per_device) else rate / devices
    flops = w.get("flops_per_token")
    return BenchWorkload(str(w.get("name", where)), float(params), float(rate), per_device,
                         float(flops) if _positive(flops) else None, None if mfu is None else float(mfu))


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def _bad(path: str, field: str, expected: str, got: str, hint: str = "") -> HomeportError:
    return HomeportError(f"bench result {path}: field {field} is missing or not valid", expected=expected, got=got,
                         hint=hint or "fix the file or rerun `homeport bench`")

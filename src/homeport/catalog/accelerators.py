"""Accelerators and their dense peaks (research/cost-performance.md section 2).

`accelerators.csv`: `accelerator` (the key offers and results use), `vendor`, `device_type` (the torch
device string), `name_pattern` (a regular expression matched against the name the runtime reports,
e.g. `torch.cuda.get_device_name()`), `bf16_dense_tflops` and `fp8_dense_tflops` (dense, never the
sparse figures vendors like to quote; empty where no trustworthy figure exists), `memory_gb`,
`memory_bandwidth_tbps`, `scale_up_link`, `note`, `source`, `as_of`.

MFU is only defined against a recorded BF16 dense peak: an accelerator without one gets TFLOP/s and
no MFU (the Ascend 910B's published figures disagree; see its row).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from homeport.catalog.libraries import read_csv

FILE = "accelerators.csv"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Accelerator:
    accelerator: str
    vendor: str
    device_type: str
    name_pattern: re.Pattern
    bf16_dense_tflops: float | None
    fp8_dense_tflops: float | None
    memory_gb: float | None
    memory_bandwidth_tbps: float | None
    scale_up_link: str
    note: str
    source: str
    as_of: str

    def peak_flops(self, precision: str = "bf16") -> float | None:
        """Dense peak in FLOP/s for `bf16` (also used for fp16) or `fp8`; None where unknown."""
        tflops = self.fp8_dense_tflops if precision == "fp8" else self.bf16_dense_tflops
        return tflops * 1e12 if tflops else None


def parse(rows: list[dict], file: str = FILE) -> tuple[Accelerator, ...]:
    out = []
    for number, row in enumerate(rows, start=2):
        where = f"{file}, line {number}"
        if not row.get("source", "").strip():
            raise ValueError(f"{where}: every row needs its source")
        if not _DATE.match(row.get("as_of", "")):
            raise ValueError(f"{where}: as_of must be a date (YYYY-MM-DD), got {row.get('as_of')!r}")
        try:
            pattern = re.compile(row["name_pattern"], re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"{where}: name_pattern is not a regular expression ({exc})") from exc
        out.append(Accelerator(row["accelerator"], row["vendor"], row["device_type"], pattern,
                               *(_number(where, row, col) for col in ("bf16_dense_tflops", "fp8_dense_tflops",
                                                                      "memory_gb", "memory_bandwidth_tbps")),
                               row["scale_up_link"], row["note"], row["source"], row["as_of"]))
    return tuple(out)


def _number(where: str, row: dict, col: str) -> float | None:
    text = row.get(col, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: {col} must be a number, got {text!r}") from None
    if value <= 0:
        raise ValueError(f"{where}: {col} must be above zero, got {text!r}")
    return value


@lru_cache(maxsize=1)
def accelerators() -> tuple[Accelerator, ...]:
    return parse(read_csv(FILE))


def find(key: str) -> Accelerator | None:
    """By catalog key (`H100-SXM`), case-insensitive."""
    return next((a for a in accelerators() if a.accelerator.lower() == key.lower()), None)


def identify(device_name: str) -> Accelerator | None:
    """The catalog row for a name the runtime reports (`NVIDIA H100 80GB HBM3` -> H100-SXM), or None."""
    return next((a for a in accelerators() if a.name_pattern.search(device_name)), None)

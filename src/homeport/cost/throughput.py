"""Tokens per second per GPU: measured where a bench result exists for the chip, else expected from its dense
BF16 peak and an assumed MFU (research/cost-performance.md s5.2: the PaLM / torchtitan formula).

The same chip trains at the same speed on any cloud (research s4.4 item 2), so a measurement on one cloud
stands for the same accelerator key everywhere; power caps and interconnect are what it cannot see.
"""

from __future__ import annotations

from dataclasses import dataclass

from homeport.catalog import accelerators
from homeport.cost.job import count
from homeport.cost.measured import Measurement


@dataclass(frozen=True)
class Throughput:
    tokens_per_s: float  # per GPU
    basis: str  # "measured" | "expected"
    sentence: str


def flops_per_token(params: float, layers: int | None = None, d_model: int | None = None,
                    seq_len: int | None = None) -> float:
    """6N, plus the attention term 12·L·d·T when the shape is known (PaLM appendix B; H·Q = d_model)."""
    attention = 12 * layers * d_model * seq_len if layers and d_model and seq_len else 0
    return 6 * params + attention


def expected(accelerator: str, mfu: float, flops: float) -> Throughput | None:
    """MFU x peak / FLOPs per token; None where the catalog records no dense BF16 peak."""
    acc = accelerators.find(accelerator)
    peak = acc.peak_flops("bf16") if acc else None
    if not peak:
        return None
    rate = mfu * peak / flops
    return Throughput(rate, "expected", f"expected: {acc.bf16_dense_tflops:g} TFLOP/s dense BF16 peak x MFU {mfu:g} "
                                        f"/ {flops:.3g} FLOP per token = {rate:,.0f} tokens/s per GPU "
                                        f"[accelerators.csv: {acc.source}; as of {acc.as_of}]")


def measured(m: Measurement, params: float, flops: float) -> Throughput:
    """The bench workload closest in size, per device; another size is scaled by FLOPs per token (same MFU)."""
    w = m.closest(params)
    rate = w.per_device
    how = f"measured: {rate:,.0f} tokens/s per {m.accelerator}"
    if abs(w.params / params - 1) > 0.01:
        ratio = (w.flops_per_token / flops) if w.flops_per_token else w.params / params
        rate *= ratio
        rule = "FLOPs per token" if w.flops_per_token else "the 6N rule"
        how += f" at {count(w.params)} parameters, scaled to {count(params)} by {rule} (same MFU) = {rate:,.0f}"
    mfu = f", MFU {w.mfu:.1%}" if w.mfu else ""
    return Throughput(rate, "measured", f"{how} tokens/s per GPU ({w.name}{mfu}) [{m.path}]")


def for_accelerator(accelerator: str, *, params: float, flops: float, mfu: float,
                    measurements: dict[str, Measurement]) -> Throughput | None:
    if accelerator in measurements:
        return measured(measurements[accelerator], params, flops)
    return expected(accelerator, mfu, flops)

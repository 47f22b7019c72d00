"""Two bench results side by side: `compare` gives ratios B/A of every figure both have; `parity`
asks whether B's loss curve stays inside the run-to-run band that A's seeds define.

Parity follows research/cost-performance.md s5.3 (torchtitan's converging.md; MLPerf's RCPs): the
source runs the same seeded workload with N >= 2 seeds; at each step the band is the source's mean
+- k standard deviations across seeds (never narrower than `floor` of the mean, the rounding a bf16
run cannot avoid); the target's mean curve over the same seeds must stay inside at `min_inside` of
the steps, and its mean difference over the last quarter must be inside the band too (no drift).
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass

from homeport.core.errors import HomeportError

# the config fields that must agree for two workloads to be the same workload
SAME_WORKLOAD = ("size", "seq_len", "batch_size", "steps", "lr")


@dataclass(frozen=True)
class Row:
    metric: str
    a: float | None
    b: float | None
    unit: str

    @property
    def ratio(self) -> float | None:
        return self.b / self.a if self.a and self.b is not None else None


def compare(a: dict, b: dict) -> list[Row]:
    rows = [Row(f"matmul {m['precision']}", m["tflops"], _find(b, m["precision"]), "TFLOP/s")
            for m in a["probes"].get("matmul", [])]
    for probe, field, label in (("memory", "bytes_per_s", "device memory"),
                                ("host", "host_to_device_bytes_per_s", "host to device"),
                                ("host", "device_to_host_bytes_per_s", "device to host"),
                                ("allreduce", "busbw_bytes_per_s", "all-reduce bus bandwidth"),
                                ("storage", "peak_bytes_per_s", "storage read")):
        va, vb = (doc["probes"].get(probe, {}).get(field) for doc in (a, b))
        if va is not None or vb is not None:
            rows.append(Row(label, _gb(va), _gb(vb), "GB/s"))
    for wa in a["workloads"]:
        wb = _match(wa, b["workloads"])
        tag = _tag(wa)
        for field, label, unit in (("tokens_per_s", "tokens/s", ""), ("tokens_per_s_per_device", "tokens/s per device", ""),
                                   ("tflops", "achieved", "TFLOP/s"), ("mfu", "MFU", ""),
                                   ("peak_memory_bytes", "peak memory", "GB")):
            va, vb = wa.get(field), wb.get(field) if wb else None
            if field == "peak_memory_bytes":
                va, vb = _gb(va), _gb(vb)
            rows.append(Row(f"{tag} {label}", va, vb, unit))
        rows.append(Row(f"{tag} step time (median)", wa["step_time_s"]["median"],
                        wb["step_time_s"]["median"] if wb else None, "s"))
    return rows


def _find(doc: dict, precision: str) -> float | None:
    return next((m["tflops"] for m in doc["probes"].get("matmul", []) if m["precision"] == precision), None)


def _gb(value: float | None) -> float | None:
    return value / 1e9 if value is not None else None


def _tag(workload: dict) -> str:
    c = workload["config"]
    return f"gpt {c['size']} seq {c['seq_len']} x{c['batch_size']} {c['precision']}" + (
        f" compile={c['compile']}" if c.get("compile", "none") != "none" else "")


def _match(workload: dict, others: list[dict]) -> dict | None:
    key = {f: workload["config"].get(f) for f in SAME_WORKLOAD + ("precision", "compile")}
    return next((o for o in others if all(o["config"].get(f) == v for f, v in key.items())), None)


@dataclass(frozen=True)
class Parity:
    verdict: str  # pass | fail
    workload: str
    steps: int
    seeds_a: int
    seeds_b: int
    k: float
    floor: float
    inside_fraction: float
    min_inside: float
    tail_mean_difference: float
    tail_band: float
    worst_step: int
    worst_z: float
    mean_a: list[float]
    lower: list[float]
    upper: list[float]
    mean_b: list[float]
    reasons: list[str]

    def to_dict(self) -> dict:
        return {"schema_version": 1, "kind": "homeport-bench-parity", **asdict(self)}


def parity(a: dict, b: dict, *, k: float = 3.0, floor: float = 0.002, min_inside: float = 0.95) -> Parity:
    wa = next((w for w in a["workloads"] if len(_curves(w)) >= 2), None)
    if wa is None:
        raise HomeportError("the source result has no run-to-run band", expected="a workload run with two or more seeds",
                            got="one loss curve per workload",
                            hint="rerun the source with `homeport bench --seeds 3` (the band comes from their spread)")
    wb = next((w for w in b["workloads"] if all(w["config"].get(f) == wa["config"].get(f) for f in SAME_WORKLOAD)),
              None)
    if wb is None:
        want = ", ".join(f"{f}={wa['config'].get(f)}" for f in SAME_WORKLOAD)
        raise HomeportError("the target result has no run of the source's workload", expected=want,
                            got="; ".join(_tag(w) for w in b["workloads"]) or "no workloads",
                            hint="run the target with the same --size, --seq-len, --batch, --steps and --lr")
    curves_a, curves_b = _curves(wa), _curves(wb)
    steps = min(map(len, curves_a + curves_b))
    mean_a = [statistics.fmean(c[i] for c in curves_a) for i in range(steps)]
    sd_a = [statistics.stdev(c[i] for c in curves_a) for i in range(steps)]
    mean_b = [statistics.fmean(c[i] for c in curves_b) for i in range(steps)]
    half = [k * max(s, floor * abs(m)) for s, m in zip(sd_a, mean_a)]
    z = [abs(mb - ma) / h for ma, mb, h in zip(mean_a, mean_b, half)]
    inside = sum(v <= 1 for v in z) / steps
    tail = range(steps - max(1, steps // 4), steps)
    tail_diff = statistics.fmean(mean_b[i] - mean_a[i] for i in tail)
    tail_band = statistics.fmean(half[i] for i in tail)
    reasons = []
    if inside < min_inside:
        reasons.append(f"{inside:.0%} of steps inside the band, {min_inside:.0%} needed")
    if abs(tail_diff) > tail_band:
        reasons.append(f"over the last quarter the target is {tail_diff:+.4g} off the source's mean, "
                       f"beyond the band's {tail_band:.4g}")
    if wa["config"].get("precision") != wb["config"].get("precision"):
        reasons.append(f"note: precisions differ ({wa['config'].get('precision')} vs {wb['config'].get('precision')})")
    worst = max(range(steps), key=z.__getitem__)
    failed = any(not r.startswith("note:") for r in reasons)
    return Parity("fail" if failed else "pass", _tag(wa), steps, len(curves_a), len(curves_b), k, floor, inside,
                  min_inside, tail_diff, tail_band, worst, z[worst], mean_a,
                  [m - h for m, h in zip(mean_a, half)], [m + h for m, h in zip(mean_a, half)], mean_b, reasons)


def _curves(workload: dict) -> list[list[float]]:
    return workload.get("loss_curves") or [workload["losses"]]

"""Phase 5, prove the target (`homeport bench`): achieved throughput against the catalog's peak, and
loss-curve parity between the source and the target."""

from __future__ import annotations

from homeport.bench.chart import line_chart
from homeport.catalog import accelerators
from homeport.report.evidence import KINDS
from homeport.report.page.charts import BarRow, hbars
from homeport.report.page.context import Context
from homeport.report.page.document import Bullets, Cell, Figure, Missing, Para, Section, Table
from homeport.report.page.words import count, figure, pct

HALF_PRECISION = ("bf16", "fp16")  # the catalog's dense BF16 peak applies to both


def section(ctx: Context) -> Section:
    results, parities = ctx.evidence.of("bench"), ctx.evidence.of("bench-parity")
    if not (results or parities):
        return Section("prove", "Prove the target", "prove", "none", "Nothing has been measured yet.",
                       [Missing("no bench result yet", KINDS["bench"] + " (on the source and on the target)")],
                       command="homeport bench")
    blocks: list = []
    for item in results + parities:
        ctx.use(item, "prove")
    if results:
        blocks += [_table(ctx, results), _chart(results)]
    for item in parities:
        blocks += _parity(item)
    devices = {i.doc["device"]["accelerator"] or i.doc["device"]["name"] for i in results}
    accelerated = [i for i in results if i.doc["device"]["type"] != "cpu"]
    passed = [p for p in parities if p.doc["verdict"] == "pass"]
    lead = f"{len(results)} bench result(s) on {', '.join(sorted(devices)) or 'no device'}"
    lead += f"; loss parity {'passed' if passed else 'failed'} ({parities[-1].doc['workload']})." if parities else \
        "; no loss-parity check between source and target yet."
    if not accelerated and results:
        blocks.append(Para("Measured on CPUs only: run `homeport bench --out` on the target accelerator, and "
                           "`homeport bench parity` against the source.", "warn"))
    status = "evidence" if accelerated and passed else "partial"
    return Section("prove", "Prove the target", "prove", status, lead, blocks, command="homeport bench")


def _peak(doc: dict, precision: str) -> float | None:
    if precision in HALF_PRECISION:
        return doc["device"].get("peak_bf16_tflops")
    if precision == "fp8":
        return doc["device"].get("peak_fp8_tflops")
    return None


def _table(ctx: Context, results) -> Table:
    rows = []
    for item in results:
        d = item.doc
        dev = d["device"]
        row = accelerators.find(dev["accelerator"]) if dev.get("accelerator") else None
        if row is not None:
            ctx.cite("accelerators.csv", row.accelerator, "bench peaks", row.source, row.as_of)
        for w in d["workloads"]:
            c = w["config"]
            peak = _peak(d, c.get("precision", ""))
            mfu = Cell(pct(w["mfu"]), "") if w.get("mfu") is not None else Cell("-", "muted", w.get("mfu_note", ""))
            rows.append([f"{dev['name']} x{dev['count']}", dev.get("runtime", ""),
                         f"gpt {c.get('size')} {c.get('precision')} seq {c.get('seq_len')} x{c.get('batch_size')}",
                         count(w["tokens_per_s"]), figure(w["tflops"]), figure(peak) if peak else "-", mfu,
                         f"{w['step_time_s']['median'] * 1000:.1f} ms", d["created"][:10]])
    return Table("Reference workloads", ["device", "runtime", "workload", "tokens/s", "TFLOP/s achieved",
                                         "peak TFLOP/s", "MFU", "step time (median)", "measured"], rows,
                 numeric=(3, 4, 5, 6, 7, 8),
                 note="MFU: achieved model FLOP/s over the catalog's dense peak for the precision; none where the "
                      "catalog has no peak for the device (CPUs) or the precision (fp32).")


def _chart(results) -> Figure:
    bars = []
    for item in results:
        d = item.doc
        name = d["device"]["accelerator"] or d["device"]["name"]
        for m in d["probes"].get("matmul", []):
            peak = _peak(d, m["precision"])
            text = (f"{figure(m['tflops'])} of {figure(peak)} TFLOP/s" if peak
                    else f"{figure(m['tflops'])} TFLOP/s, no peak")
            bars.append(BarRow(f"{name} matmul {m['precision']}", m["tflops"], peak, text, "muted"))
        for w in d["workloads"]:
            c = w["config"]
            peak = _peak(d, c.get("precision", ""))
            text = (f"{figure(w['tflops'])} of {figure(peak)} TFLOP/s ({pct(w['mfu'])} MFU)" if peak and w.get("mfu")
                    else f"{figure(w['tflops'])} TFLOP/s, no peak")
            bars.append(BarRow(f"{name} gpt {c.get('size')} {c.get('precision')}", w["tflops"], peak, text))
    svg = hbars("Achieved TFLOP/s against the dense peak", bars, ident="bench-peak")
    alt = "; ".join(f"{b.label}: {b.text}" for b in bars)
    return Figure(svg, "Achieved TFLOP/s per device, the grey track is the catalog's dense peak where it has one.", alt)


def _parity(item) -> list:
    p = item.doc
    verdict = Cell(p["verdict"], "ok" if p["verdict"] == "pass" else "bad")
    table = Table("Loss parity between source and target", ["verdict", "workload", "steps", "seeds (source, target)",
                                                "steps inside the band", "needed"],
                  [[verdict, p["workload"], p["steps"], f"{p['seeds_a']}, {p['seeds_b']}", pct(p["inside_fraction"]),
                    pct(p["min_inside"])]], numeric=(2, 4, 5), note=f"`{item.path}`")
    svg = line_chart(f"Loss parity: {p['workload']}", {"source (mean of seeds)": p["mean_a"],
                                                       "target (mean of seeds)": p["mean_b"]},
                     band=(p["lower"], p["upper"]), band_label=f"source mean ± {p['k']:g} sd")
    alt = (f"Parity {p['verdict']}: the target's mean loss stays inside the source's band at "
           f"{pct(p['inside_fraction'])} of {p['steps']} steps ({pct(p['min_inside'])} needed).")
    out = [table, Figure(svg, "Loss curves of source and target, with the source's run-to-run band.", alt)]
    if p.get("reasons"):
        out.append(Bullets(list(p["reasons"]), "Why"))
    return out

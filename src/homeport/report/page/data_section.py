"""Phase 3, move the data (`homeport data plan/copy/verify`): what a copy would move or moved, whether the
destination was verified, and the volumes in one chart."""

from __future__ import annotations

from homeport.report.evidence import KINDS
from homeport.report.page.charts import BarRow, hbars
from homeport.report.page.context import Context
from homeport.report.page.document import Bullets, Cell, Figure, Missing, Row, Section, Table
from homeport.report.page.words import count, size, upper_first

PREFIXES = 5  # top-level prefixes of a manifest drawn in the chart


def section(ctx: Context) -> Section:
    plans, manifests, verifies = (ctx.evidence.of(k) for k in ("data-plan", "data-manifest", "data-verify"))
    cost = ctx.evidence.first("cost")
    blocks: list = []
    tables: list = []
    for item in plans:
        ctx.use(item, "data")
        tables.append(_plan(item))
    for item in manifests:
        ctx.use(item, "data")
        tables.append(_manifest(item))
    for item in verifies:
        ctx.use(item, "data")
        tables.append(_verify(item))
    if tables:
        blocks.append(Row(tables))
    if plans and plans[-1].doc.get("egress"):
        blocks.append(Bullets([line.strip() for line in plans[-1].doc["egress"].splitlines() if line.strip()],
                              "Egress of the planned copy"))
    chart = _chart(plans, manifests, cost)
    if chart:
        blocks.insert(0, chart)
    if not (plans or manifests or verifies):
        blocks.append(Missing("no data plan, manifest or verification yet", KINDS["data-plan"]))
        lead = "No data has been planned or copied yet."
        if cost:
            lead += f" The cost job plans {cost.doc['job']['migration_gb']:,.0f} GB to move (chart)."
        return Section("data", "Move the data", "data", "none", lead, blocks, command="homeport data plan/copy/verify")
    parts = []
    if plans:
        parts.append(f"a plan lists {count(plans[-1].doc['objects'])} objects, {size(plans[-1].doc['bytes'])}")
    if manifests:
        m = manifests[-1].doc
        parts.append(f"a manifest records {count(m.objects)} objects, {size(m.bytes)}"
                     + (f" ({m.hashed:,} with SHA-256)" if m.hashed else " (sizes only)"))
    if verifies:
        v = verifies[-1].doc
        parts.append("the destination verified clean" if not any(v["counts"].values())
                     else f"verification found {sum(v['counts'].values()):,} differences")
    status = "evidence" if verifies and not any(verifies[-1].doc["counts"].values()) else "partial"
    return Section("data", "Move the data", "data", status, upper_first("; ".join(parts)), blocks,
                   command="homeport data plan/copy/verify")


def _plan(item) -> Table:
    d = item.doc
    rows = [["objects", count(d["objects"])], ["bytes", size(d["bytes"])], ["parallel streams", d.get("workers", "-")]]
    if d.get("estimate_s") is not None:
        rows.append(["time, estimated", _duration(d["estimate_s"])])
    if d.get("first_byte_s") is not None:
        rows.append(["time to first byte, measured", f"{d['first_byte_s'] * 1000:.0f} ms"])
    if d.get("stream_bytes_per_s"):
        rows.append(["one stream, measured", f"{d['stream_bytes_per_s'] / 1e6:.1f} MB/s"])
    return Table("Data plan", ["figure", "value"], rows, numeric=(1,), note=f"`{item.path}`")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


def _manifest(item) -> Table:
    m = item.doc
    rows = [[f"`{p}`", count(n), size(b)] for p, (n, b) in sorted(m.by_prefix.items(), key=lambda kv: -kv[1][1])[:10]]
    rows.append([Cell("all"), count(m.objects), size(m.bytes)])
    note = (f"{m.hashed:,} of {m.objects:,} entries carry a SHA-256 (written by a copy); "
            if m.hashed else "no entry carries a SHA-256: a plan's manifest, sizes only; ")
    return Table("Manifest", ["prefix", "objects", "bytes"], rows, numeric=(1, 2),
                 note=f"`{item.path}`: " + note + "`homeport data verify DST --manifest` re-reads the destination "
                      "against it.")


def _verify(item) -> Table:
    v = item.doc
    c = v["counts"]
    rows = [["checked", count(v["checked"])], ["ok", Cell(count(v["ok"]), "ok")],
            ["mismatched", Cell(count(c.get("mismatched", 0)), "bad" if c.get("mismatched") else "ok")],
            ["missing", Cell(count(c.get("missing", 0)), "bad" if c.get("missing") else "ok")],
            ["extra", Cell(count(c.get("extra", 0)), "warn" if c.get("extra") else "ok")],
            ["size only (no SHA-256 to compare)", count(v.get("size_only", 0))]]
    return Table("Verification of the destination", ["objects", "count"], rows, numeric=(1,), note=f"`{item.path}`")


def _chart(plans, manifests, cost) -> Figure | None:
    rows: list[BarRow] = []
    if cost:
        job = cost.doc["job"]
        rows += [BarRow("cost job: to migrate", job["migration_gb"] * 1e9, text=size(job["migration_gb"] * 1e9)),
                 BarRow("cost job: stored at the target", job["stored_gb"] * 1e9, text=size(job["stored_gb"] * 1e9)),
                 BarRow(f"cost job: egress over {job['duration_months']:g} months",
                        job["monthly_egress_gb"] * job["duration_months"] * 1e9,
                        text=size(job["monthly_egress_gb"] * job["duration_months"] * 1e9))]
    if plans:
        d = plans[-1].doc
        rows.append(BarRow("listed by the data plan", d["bytes"], text=size(d["bytes"]), tone="ok"))
    if manifests:
        m = manifests[-1].doc
        rows.append(BarRow("in the manifest", m.bytes, text=size(m.bytes), tone="ok"))
        for prefix, (_, b) in sorted(m.by_prefix.items(), key=lambda kv: -kv[1][1])[:PREFIXES]:
            rows.append(BarRow(f"  {prefix}/", b, text=size(b), tone="muted"))
    if not rows:
        return None
    svg = hbars("Data volumes: planned in the cost job and listed or copied", rows, ident="data-volumes")
    alt = "; ".join(f"{r.label.strip()}: {r.text}" for r in rows)
    return Figure(svg, "Data volumes: what the cost job assumes, and what a plan listed or a copy recorded.", alt)


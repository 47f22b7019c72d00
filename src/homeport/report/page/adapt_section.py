"""Phase 2, adapt the code (`homeport port`): what a port changed, file by file, and what it left to a
person and why, from the change log (port/changelog.py, schema 1)."""

from __future__ import annotations

from collections import Counter

from homeport.report.evidence import KINDS
from homeport.report.page.context import Context
from homeport.report.page.document import Cell, Missing, Para, Section, Table
from homeport.report.page.words import pct, plural, share_cell

LEFT_ROWS = 12


def section(ctx: Context) -> Section:
    logs = ctx.evidence.of("port")
    if not logs:
        blocks = [Missing("no change log yet", KINDS["port"])]
        measured = [r for r in ctx.readiness if r.port and r.port.in_memory]
        if measured:
            best = max(measured, key=lambda r: r.port.totals["share_migrated"])
            blocks.append(Para(f"Measured in memory for this report: on `{best.target.value}` the port migrates "
                               f"{pct(best.port.totals['share_migrated'])} of the flagged lines (readiness section)."))
        return Section("adapt", "Adapt the code", "adapt", "none", "No port has been written yet.", blocks,
                       command="homeport port PATH")
    log = logs[-1].doc
    t = log["totals"]
    kinds = Counter(c["kind"] for c in log["changes"] if c["status"] == "applied")
    fixes = "with --unsafe-fixes" if log.get("unsafe_fixes") else "safe fixes only"
    changes = t["changes"]
    lead = (f"The port to `{log['target']}` ({fixes}) changed {t['files_changed']} of "
            f"{plural(t['files'], 'flagged file')}: {changes.get('applied', 0)} call sites rewritten, "
            f"{changes.get('left', 0)} left although a fix exists, {changes.get('unsupported', 0)} for a person; "
            f"{pct(t['share_migrated'])} of the flagged lines migrated.")
    blocks = [_files(log)]
    if kinds.get("semantic-change"):
        blocks.append(Para(f"{plural(kinds['semantic-change'], 'applied change')} may change behaviour or numerics "
                           "(semantic-change in the change log): the Prove phase checks them.", "warn"))
    blocks.append(_left(log))
    blocks.append(Para(f"torch floor: {log.get('min_torch', '?')} ({log.get('min_torch_from', '')}). "
                       f"Change log: `{logs[-1].path}`; older logs: {len(logs) - 1}."))
    return Section("adapt", "Adapt the code", "adapt", "evidence", lead, blocks, command="homeport port PATH")


def _files(log: dict) -> Table:
    rows = [[f"`{f['path']}`" + (" (not rewritten)" if f.get("skipped") else ""), f["references_before"],
             f["references_converted"], f["references_left"], share_cell(f["share_migrated"])]
            for f in sorted(log["files"], key=lambda f: (-f["references_left"], f["path"]))]
    t = log["totals"]
    rows.append([Cell("total"), t["references_before"], t["references_converted"], t["references_left"],
                 share_cell(t["share_migrated"])])
    return Table("References per file", ["file", "flagged", "converted", "left", "lines migrated"], rows,
                 numeric=(1, 2, 3, 4))


def _left(log: dict) -> Table:
    grouped: Counter = Counter()
    for c in log["changes"]:
        if c["status"] != "applied":
            grouped[(c["rule"], c["status"], c["reason"])] += 1
    rows = [[f"`{rule}`", Cell(status, "warn" if status == "left" else "bad"), n, reason]
            for (rule, status, reason), n in sorted(grouped.items(), key=lambda kv: (-kv[1], kv[0]))[:LEFT_ROWS]]
    more = len(grouped) - len(rows)
    return Table("What the port left, and why", ["rule", "status", "call sites", "reason, and what to do"], rows,
                 numeric=(2,), note=(f"{more} more groups in the change log. " if more > 0 else "")
                 + "left: a fix exists but was not applied (unsafe without --unsafe-fixes, or torch too old); "
                   "unsupported: no automatic rewrite.")

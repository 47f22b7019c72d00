"""Phase 4, keep it inside the border (`homeport fence`): what the runtime fence allowed, audited and
denied (its JSONL audit log), and the verdicts `fence check` explained."""

from __future__ import annotations

from homeport.report.evidence import KINDS
from homeport.report.page.context import Context
from homeport.report.page.document import Cell, Missing, Para, Section, Table
from homeport.report.page.words import plural, split_cite

TONE = {"allow": "ok", "audit": "warn", "deny": "bad"}
DESTINATIONS = 15


def section(ctx: Context) -> Section:
    logs, checks = ctx.evidence.of("fence-log"), ctx.evidence.of("fence-check")
    residency = [f for f in ctx.findings if f["category"] == "residency"]
    blocks: list = []
    if residency:
        blocks.append(Para(f"The assessment judged {plural(len(residency), 'destination')} in the code against the "
                           f"policy `{ctx.assessment.get('policy', '?')}` (residency findings, readiness section).",
                           "bad" if any(f["severity"] == "blocker" for f in residency) else ""))
    for item in logs:
        ctx.use(item, "fence")
        blocks += _log(item)
        for d in item.doc.destinations.values():
            _cite(ctx, d.get("catalog_row", ""))
    if checks:
        for item in checks:
            ctx.use(item, "fence")
            _cite(ctx, item.doc.get("catalog_row", ""))
        blocks.append(_checks(checks))
    if not (logs or checks):
        blocks.append(Missing("no fence audit log or verdict yet", KINDS["fence-log"]))
        return Section("fence", "Keep it inside the border", "fence", "partial" if residency else "none",
                       "No run has been fenced yet.", blocks, command="homeport fence")
    if logs:
        s = logs[-1].doc
        denied, audited = s.verdicts.get("deny", 0), s.verdicts.get("audit", 0)
        lead = (f"The fence decided {plural(s.lines, 'connection')}: {s.verdicts.get('allow', 0):,} allowed, "
                f"{audited:,} audited, {denied:,} denied.")
        status = "evidence" if not denied and not audited else "partial"
    else:
        denied = sum(1 for i in checks if i.doc["verdict"] != "allow")
        lead = f"{plural(len(checks), 'destination')} checked against the policy, {denied} not allowed."
        status = "partial"
    return Section("fence", "Keep it inside the border", "fence", status, lead, blocks, command="homeport fence")


def _cite(ctx: Context, row: str) -> None:
    """`endpoints.csv:33 s3.<region>.io.cloud.ovh.net [SOURCE; as of DATE]`: the row that identified a host."""
    what, source, as_of = split_cite(row)
    if source:
        ref, _, key = what.partition(" ")
        table, _, line = ref.partition(":")
        ctx.cite(table, f"line {line}" if line.isdigit() else key, "fence verdicts", source, as_of)


def _log(item) -> list:
    s = item.doc
    rows = []
    ranked = sorted(s.destinations.items(), key=lambda kv: ({"deny": 0, "audit": 1}.get(kv[0][0], 2), -kv[1]["count"]))
    for (verdict, host, port), d in ranked[:DESTINATIONS]:
        where = f"{host}:{port}" if port else host or "(local path)"
        rows.append([Cell(verdict, TONE.get(verdict, "")), f"`{where}`", d["country"] or "-", d["provider"] or "-",
                     d["count"], d["rule"]])
    more = len(s.destinations) - len(rows)
    note = f"`{item.path}`" + (f", {s.first} to {s.last}. " if s.first else ". ")
    note += f"{more} more destinations in the log. " if more > 0 else ""
    note += f"{s.unreadable} torn or unreadable lines counted apart." if s.unreadable else ""
    return [Table("Destinations in the fence's audit log", ["verdict", "destination", "country", "provider",
                                                                  "connections", "deciding clause"], rows,
                  numeric=(4,), note=note.strip())]


def _checks(items) -> Table:
    rows = [[Cell(i.doc["verdict"], TONE.get(i.doc["verdict"], "")), f"`{i.doc['target']}`",
             i.doc.get("country") or "-", i.doc.get("provider") or "-", i.doc["rule"], i.doc.get("reason", "")]
            for i in items]
    return Table("Destinations checked with `homeport fence check`", ["verdict", "destination", "country", "provider",
                                                                      "deciding clause", "reason"], rows)

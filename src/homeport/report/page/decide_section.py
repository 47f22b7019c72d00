"""Phase 6, decide (`homeport cost`): the job priced per provider, adjusted by throughput, with the chart
`homeport cost --chart` draws, the scorecard's leader and every catalog row the prices came from."""

from __future__ import annotations

from homeport.cost.chart import render_svg_from_report
from homeport.report.evidence import KINDS
from homeport.report.page.context import Context
from homeport.report.page.document import Bullets, Cell, Figure, Missing, Section, Table
from homeport.report.page.words import split_cite

OFFERS = 10


def section(ctx: Context) -> Section:
    item = ctx.evidence.first("cost")
    if item is None:
        return Section("decide", "Decide", "decide", "none", "No cost comparison yet.",
                       [Missing("no cost report yet", KINDS["cost"])], command="homeport cost")
    for other in ctx.evidence.of("cost"):
        ctx.use(other, "decide" if other is item else "decide (an older cost report, not shown)")
    doc = item.doc
    cur = doc["currency"]
    offers = doc["offers"]
    today = next((o for o in offers if o["is_source"]), None)
    cheapest = next((o for o in offers if not o["is_source"]), None)
    leader = max(offers, key=lambda o: o["scorecard"]["score"]) if offers else None
    lead = f"Job `{doc['job']['name']}` priced at {len(offers)} offers in {cur}"
    if cheapest and today:
        lead += (f": the cheapest, {cheapest['provider']} {cheapest['offer']}, totals {_money(cheapest)} "
                 f"({_versus(cheapest)} against today's {today['provider']} {today['offer']}, {_money(today)})")
    if leader:
        lead += (f"; the best weighted score is {leader['provider']} {leader['offer']} "
                 f"({leader['scorecard']['score']:.2f} of 5)")
    blocks = [Figure(render_svg_from_report(doc),
                     "Total cost per provider, its cheapest offer, stacked by compute, storage and egress.",
                     _alt(doc)), _offers(doc)]
    if doc.get("skipped"):
        blocks.append(Bullets([f"{s['provider']} {s['offer']}: {s['reason']}" for s in doc["skipped"]],
                              "Providers not priced"))
    if doc.get("assumptions"):
        blocks.append(Bullets(list(doc["assumptions"]), "Assumptions"))
    if doc.get("notes"):
        blocks.append(Bullets(list(doc["notes"]), "Notes"))
    for cite in doc.get("catalog_rows", []):
        what, source, as_of = split_cite(cite)
        table, _, row = what.partition(":")
        table, _, line = table.partition(" ")  # `gpu_offers.csv line 23`
        ctx.cite(table, line or row.split(",")[0].strip(), "cost", source, as_of)
    return Section("decide", "Decide", "decide", "evidence", lead + ".", blocks, command="homeport cost")


def _money(o: dict) -> str:
    return f"{'>= ' if not o['complete'] else ''}{o['total']:,.2f}"


def _versus(o: dict) -> str:
    v = o.get("versus_source")
    return "-" if v is None else f"{v:+.0%}"


def _alt(doc: dict) -> str:
    seen, parts = set(), []
    for o in doc["offers"]:
        if o["provider"] in seen:
            continue
        seen.add(o["provider"])
        parts.append(f"{o['provider']} {_money(o)} {doc['currency']}")
    return "Total per provider, cheapest offer each: " + "; ".join(parts)


def _offers(doc: dict) -> Table:
    rows = []
    for o in doc["offers"][:OFFERS]:
        v = o.get("versus_source")
        tone = "" if v is None else "ok" if v < 0 else "bad"
        name = o["offer"] + (" (today)" if o["is_source"] else "")
        rows.append([o["rank"], o["provider"], name, o["accelerator"], o["gpus"],
                     f"{o['hours_to_train']:,.1f} h", _money(o), Cell(_versus(o), tone),
                     f"{o['scorecard']['score']:.2f}",
                     Cell(o["throughput"]["basis"], "ok" if o["throughput"]["basis"] == "measured" else "muted")])
    more = len(doc["offers"]) - len(rows)
    return Table(f"The {len(rows)} cheapest offers, total in {doc['currency']}",
                 ["#", "provider", "offer", "chip", "GPUs", "time to train", "total", "vs today", "score",
                  "throughput"], rows, numeric=(0, 4, 5, 6, 7, 8),
                 note=(f"{more} more offers in the cost report. " if more > 0 else "")
                 + "A total marked >= misses a component with no price. Throughput: measured by `homeport bench`, "
                   "or expected from the catalog's peak and an assumed MFU.")

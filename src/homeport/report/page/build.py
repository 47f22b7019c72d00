"""Assemble the migration report: the verdict and key figures on top, then readiness, then one section
per phase in DESIGN.md's order, then the sources of every catalog fact and the evidence read or skipped."""

from __future__ import annotations

import os
from datetime import datetime, timezone

from homeport import __version__
from homeport.core.model import Target
from homeport.report.page import (adapt_section, catalog_section, cutover_section, data_section, decide_section,
                                  fence_section, prove_section, readiness_section)
from homeport.report.page.context import Context, gather
from homeport.report.page.document import Document, KeyFigure, Para, Section, Source, Table
from homeport.report.page.words import pct, plural
from homeport.report.readiness import TARGET_NAMES, effort, provider_findings

PHASES = (catalog_section, adapt_section, data_section, fence_section, prove_section, decide_section,
          cutover_section)


def build_report(path: str | os.PathLike | None = None, evidence: list[str] = (), *,
                 targets: list[Target] | None = None, port: bool = True, now: datetime | None = None) -> Document:
    """The library entry point behind `homeport report`."""
    ctx = gather(path, list(evidence), targets=targets, port=port)
    return assemble(ctx, now or datetime.now(timezone.utc))


def assemble(ctx: Context, now: datetime) -> Document:
    sections = [readiness_section.section(ctx)] + [phase.section(ctx) for phase in PHASES]
    return Document(
        title=f"Migration report: {ctx.name}", subject=ctx.root, generated=now.strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__, verdict=_verdict(ctx, sections), key_figures=_key_figures(ctx, sections),
        sections=sections, appendix=_appendix(ctx), skipped=[[s.path, s.reason] for s in ctx.evidence.skipped])


def _appendix(ctx: Context) -> Section:
    groups: dict[tuple[str, str, str], list[Source]] = {}
    for s in ctx.sources:
        groups.setdefault((s.table, s.source, s.as_of), []).append(s)
    rows = [[f"`{table}`", _rows([s.row for s in group]), source, as_of,
             ", ".join(dict.fromkeys(s.used_for for s in group))]
            for (table, source, as_of), group in sorted(groups.items())]
    count = len({(s.table, s.row) for s in ctx.sources})
    blocks: list = [Table(f"Catalog rows used ({count}), by table and source", ["table", "rows", "source", "as of",
                                                                               "used for"], rows)]
    if ctx.evidence.items:
        unused = "not used: an older file of the same kind"
        blocks.append(Table("Evidence read", ["file", "kind", "used in"],
                            [[f"`{i.path}`", i.kind, ctx.used.get(str(i.path), unused)] for i in ctx.evidence.items]))
    else:
        blocks.append(Para("No evidence file was read: each phase above names the command that writes its evidence."))
    if ctx.evidence.skipped:
        blocks.append(Table("Evidence skipped, and why", ["file", "reason"],
                            [[f"`{s.path}`", s.reason] for s in ctx.evidence.skipped]))
    folders = ", ".join(f"`{f}`" for f in ctx.evidence.folders) or "none"
    lead = (f"Every catalog fact above, with its source and the date it was read; the evidence files behind each "
            f"phase (folders scanned: {folders}).")
    return Section("sources", "Sources and evidence", "", "info", lead, blocks)


def _rows(rows: list[str]) -> str:
    """`line 2, line 5, line 9` -> `lines 2, 5, 9`; keys are listed as they are."""
    lines = sorted({int(r[5:]) for r in rows if r.startswith("line ") and r[5:].isdigit()})
    keys = list(dict.fromkeys(r for r in rows if not (r.startswith("line ") and r[5:].isdigit())))
    out = ([f"line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}"] if lines else []) + keys
    return ", ".join(out)


def _phases(sections: list[Section]) -> list[Section]:
    return [s for s in sections if s.phase]


def _verdict(ctx: Context, sections: list[Section]) -> str:
    """The page's first paragraph: one sentence per fact a decision rests on, each from the sections below."""
    parts = []
    side = provider_findings(ctx.findings)
    blockers = sum(f["severity"] == "blocker" for f in side)
    leaving = (f"the work is leaving {ctx.leaving_name}, {plural(blockers, 'cloud blocker')} and "
               f"{plural(effort(side, Target.PORTABLE).points, 'story point')}" if side
               else "no finding ties the pipeline to a cloud")
    nvidia = [p for p in ctx.providers if p.target is Target.CUDA and p.cloud_act == "no"]
    if nvidia:
        code = nvidia[0].code["blocker"]
        runs = "as it is" if not code else f"once {plural(code, 'code blocker')} are fixed"
        names = ", ".join(p.name for p in nvidia[:4]) + (" and more" if len(nvidia) > 4 else "")
        parts.append(f"On NVIDIA GPUs at a provider out of US law's reach ({names}) the code runs {runs}: {leaving}.")
    elif side:
        parts.append(f"Whichever provider is chosen, {leaving}.")
    best = ctx.best()
    if best is not None:
        port = f"; `homeport port` migrates {pct(best.port.totals['share_migrated'])} of its flagged lines on its own" \
            if best.port else ""
        parts.append(f"Of the other accelerators, {TARGET_NAMES[best.target]} is closest: "
                     f"{plural(best.blockers, 'code blocker')}, "
                     f"{plural(best.effort.points, 'more story point')}{port}.")
    cost = ctx.evidence.first("cost")
    cheapest = next((o for o in cost.doc["offers"] if not o["is_source"]), None) if cost else None
    today = next((o for o in cost.doc["offers"] if o["is_source"]), None) if cost else None
    if cheapest and today and cheapest.get("versus_source") is not None:
        basis = "measured" if cheapest["throughput"]["basis"] == "measured" else "expected, not measured"
        parts.append(f"The cheapest offer, {cheapest['provider']} {cheapest['offer']}, costs "
                     f"{abs(cheapest['versus_source']):.0%} {'less' if cheapest['versus_source'] < 0 else 'more'} than "
                     f"today's {today['offer']} for this job (throughput {basis}).")
    missing = [s.title.lower() for s in _phases(sections) if s.status == "none"]
    if missing:
        parts.append(f"No evidence yet for: {', '.join(missing)}.")
    return " ".join(parts)


def _key_figures(ctx: Context, sections: list[Section]) -> list[KeyFigure]:
    out = []
    side = provider_findings(ctx.findings)
    cloud_blockers = sum(f["severity"] == "blocker" for f in side)
    out.append(KeyFigure("cloud blockers, any provider", str(cloud_blockers),
                         f"{plural(effort(side, Target.PORTABLE).points, 'story point')} to leave "
                         f"{ctx.leaving_name}",
                         "bad" if cloud_blockers else "ok"))
    best = ctx.best()
    if best is not None:
        out.append(KeyFigure(f"code blockers on {best.target.value}", str(best.blockers),
                             f"{plural(best.effort.points, 'story point')}; 0 on NVIDIA" if _nvidia_ready(ctx)
                             else f"{plural(best.effort.points, 'story point')}", "bad" if best.blockers else "ok"))
        if best.port:
            share = best.port.totals["share_migrated"]
            out.append(KeyFigure("flagged lines ported automatically", pct(share),
                                 f"{best.port.totals['flagged_lines_migrated']:,} of "
                                 f"{best.port.totals['flagged_lines']:,} on {best.target.value}",
                                 "ok" if share >= 0.8 else "warn"))
    cost = ctx.evidence.first("cost")
    if cost is not None:
        cheapest = next((o for o in cost.doc["offers"] if not o["is_source"]), None)
        if cheapest and cheapest.get("versus_source") is not None:
            out.append(KeyFigure("cheapest offer against today", f"{cheapest['versus_source']:+.0%}",
                                 f"{cheapest['provider']} {cheapest['offer']}, throughput "
                                 f"{cheapest['throughput']['basis']}",
                                 "ok" if cheapest["versus_source"] < 0 else "bad"))
    phases = _phases(sections)
    done = sum(s.status != "none" for s in phases)
    out.append(KeyFigure("phases with evidence", f"{done} of {len(phases)}",
                         "none yet: " + ", ".join(s.title.split(",")[0].lower() for s in phases if s.status == "none")
                         if done < len(phases) else "every phase",
                         "ok" if done == len(phases) else "warn"))
    return out


def _nvidia_ready(ctx: Context) -> bool:
    return any(p.target is Target.CUDA and not p.code["blocker"] for p in ctx.providers)

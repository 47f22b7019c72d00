"""The readiness section: per accelerator target and per provider, what blocks, what the port migrates on
its own, and the effort in story points, with each effort level explained."""

from __future__ import annotations

from collections import Counter

from homeport.core.model import Target
from homeport.core.rule import Rule
from homeport.report import effort as E
from homeport.report.page.context import Context
from homeport.report.page.document import Cell, Heading, Para, Section, Table
from homeport.report.page.words import blockers_cell, count, pct, plural, share_cell
from homeport.report.readiness import TARGET_NAMES, effort, provider_findings

TOP_RULES = 10


def section(ctx: Context) -> Section:
    best = ctx.best()
    side = provider_findings(ctx.findings)
    side_effort = effort(side, Target.PORTABLE)
    port = (f"; `homeport port` migrates {pct(best.port.totals['share_migrated'])} of the flagged lines on its own"
            if best is not None and best.port else "")
    lead = "No non-NVIDIA target was compared." if best is None else (
        f"{TARGET_NAMES[best.target]} needs the least work: {plural(best.blockers, 'code blocker')} and "
        f"{plural(best.effort.points, 'story point')}" + port
        + f". Leaving {ctx.leaving_name} adds {plural(side_counts(side)['blocker'], 'cloud blocker')} "
          f"({plural(side_effort.points, 'point')}) whatever the chip.")
    blocks = [Heading("Per accelerator target"), _targets_table(ctx)]
    ports = [r.port for r in ctx.readiness if r.port]
    if ports:
        basis = ("the port engine ran on each target, in memory: safe fixes only, as `homeport port` applies them "
                 "by default; nothing was written" if all(p.in_memory for p in ports)
                 else "; ".join(f"{r.target.value}: {r.port.basis}" for r in ctx.readiness if r.port))
        blocks.append(Para(f"Automatic migration: {basis}. The counts are code findings (categories accelerator and "
                           "dependency); cloud and residency findings are counted per provider below."))
    else:
        blocks.append(Para("Automatic migration not measured: the report was given no PATH to run the port engine "
                           "on and no change log (`homeport port PATH --log reports/port.json`).", "warn"))
    if best is not None:
        blocks += [Heading(f"What drives the effort on {TARGET_NAMES[best.target]}"), _drivers(ctx, best.target)]
    blocks += [Heading("Per provider"), *_providers(ctx)]
    blocks += [Heading("Effort levels (story points per incident)"), _levels_table(ctx, best.target if best else None)]
    return Section("readiness", "Readiness", "", "info", lead, blocks)


def side_counts(findings: list[dict]) -> Counter:
    out = Counter({"blocker": 0, "warning": 0, "info": 0})
    out.update(f["severity"] for f in findings)
    return out


def _targets_table(ctx: Context) -> Table:
    rows = []
    for r in ctx.readiness:
        t = r.port.totals if r.port else None
        share = Cell(f"{pct(t['share_migrated'])} ({t['flagged_lines_migrated']:,} of {t['flagged_lines']:,})",
                     share_cell(t["share_migrated"]).tone) if t else Cell("not measured", "muted")
        rows.append([f"{TARGET_NAMES[r.target]} `{r.target.value}`", blockers_cell(r.blockers), r.warnings,
                     f"{r.effort.points:,}", share,
                     count(t["references_converted"]) if t else "-", count(t["references_left"]) if t else "-"])
    return Table("Code readiness per accelerator target",
                 ["target", "blockers", "warnings", "story points", "flagged lines ported automatically",
                  "references converted", "references left"], rows,
                 numeric=(1, 2, 3, 4, 5, 6),
                 note="Blockers will not run on the target as written; warnings run but behave or perform differently. "
                      "References are flagged call sites; a line may hold several.")


def _drivers(ctx: Context, target: Target) -> Table:
    """The rules that cost most on `target`, code and cloud together: where the work is."""
    per_rule: dict[str, list] = {}
    for f in ctx.findings:
        severity = E.severity_on(f["rule"], f["severity"], target)
        level, why = E.level_of(f["rule"], severity)
        entry = per_rule.setdefault(f["rule"], [f["name"], f["category"], 0, level, why, 0])
        entry[2] += 1
        entry[5] += E.levels()[level].story_points
    ranked = sorted(per_rule.items(), key=lambda kv: (-kv[1][5], kv[0]))[:TOP_RULES]
    rows = [[f"`{code}` {name}", category, n, f"{level}\u00a0({E.levels()[level].story_points})", why, points]
            for code, (name, category, n, level, why, points) in ranked]
    return Table(f"The {len(rows)} rules with the most story points on {target.value}",
                 ["rule", "category", "incidents", "level (points)", "why this level", "points"], rows,
                 numeric=(2, 5), nowrap=(0, 3),
                 note="`homeport rules show CODE` explains a rule; the JSON assessment lists every incident.")


def _provider_rows(ctx: Context) -> tuple[list, list[str]]:
    rows, without = [], []
    for p in ctx.providers:
        for ref, source, as_of in p.refs:
            table, _, row = ref.replace(" line ", ":line ").partition(":")
            ctx.cite(table, row if row.startswith("line") else f"line {row}", "providers", source, as_of)
        if not p.accelerators:
            without.append(p.name)
            continue
        price = f"{p.cheapest[0]:.2f} {p.cheapest[1]}" if p.cheapest else Cell("no price found", "muted")
        chips = ", ".join(p.accelerators)
        act = Cell(p.cloud_act, {"yes": "bad", "no": "ok"}.get(p.cloud_act, "muted"))
        rows.append([p.name, p.jurisdiction, act, chips, p.target.value if p.target else "-",
                     blockers_cell(p.code["blocker"]) if p.target else "-", blockers_cell(p.provider_side["blocker"]),
                     f"{p.points:,}", price])
    return rows, without


def _providers(ctx: Context) -> list:
    rows, without = _provider_rows(ctx)
    out = [Table("Readiness per provider with GPU offers in the catalog (the hyperscalers left out)",
                 ["provider", "operator (parent)", "US law reach (CLOUD Act)", "accelerators offered", "code target",
                  "code blockers", "cloud blockers", "story points", "cheapest GPU-hour"], rows,
                 numeric=(5, 6, 7, 8),
                 note="Code target: the target of the provider's accelerators that costs least. Cloud blockers are the "
                      "same for every provider: what ties the pipeline to the cloud it leaves. Prices are list prices "
                      "per GPU-hour in the catalog's currency, on demand where listed; the Decide section compares "
                      "whole jobs.")]
    if without:
        out.append(Para(f"No GPU offer recorded in the catalog for {', '.join(without)}: only their cloud findings "
                        "are known (the Decide section lists why each was not priced).", "muted"))
    return out


def _levels_table(ctx: Context, target: Target | None) -> Table:
    counted = E.effort(ctx.findings, target).incidents if target else Counter()
    rows = []
    for level in E.levels().values():
        n = counted[level.level]
        rows.append([level.level, level.story_points, level.meaning, n, n * level.story_points])
        ctx.cite("effort_levels.csv", level.level, "effort", level.source, level.as_of)
    for code, entry in sorted(E.rule_efforts().items()):
        if code in Rule.registry and any(f["rule"] == code for f in ctx.findings):
            ctx.cite("rule_effort.csv", code, "effort", entry.source, entry.as_of)
    default = ", ".join(f"{level} when {why}" for level, why in E.DEFAULT_WHY.items())
    where = f" on {target.value}, all findings" if target else ""
    return Table(f"Effort levels of Konveyor/MTA, with this tree's incidents{where}",
                 ["level", "points", "meaning (MTA)", "incidents", "story points"], rows, numeric=(1, 3, 4),
                 note=f"A rule's level is its row in the catalog's rule_effort.csv, else by default {default}. "
                      "Story points compare targets and repositories; they are not days.")

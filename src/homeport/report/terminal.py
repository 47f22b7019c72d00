"""The terminal view: findings grouped by file, then counts per category, severity and target."""

from __future__ import annotations

from collections import defaultdict

from rich.console import Console
from rich.table import Table
from rich.text import Text

from homeport.core.model import Assessment, Severity
from homeport.core.rule import blockers_by_target

STYLE = {Severity.BLOCKER: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render(a: Assessment, console: Console, *, show_info: bool = True, max_per_file: int = 50) -> None:
    by_file = defaultdict(list)
    for finding in a.findings:
        if show_info or finding.severity != Severity.INFO:
            by_file[finding.location.path].append(finding)
    for path, findings in by_file.items():
        console.print(Text(path, style="bold underline"))
        for f in findings[:max_per_file]:
            line = Text("  ")
            line.append(f"{f.location.line}:{f.location.column}".ljust(8), style="dim")
            line.append(f"{f.severity.value:<8}", style=STYLE[f.severity])
            line.append(f"{f.rule} ", style="bold")
            line.append(f.message)
            if f.fix:
                line.append(f"  [fix: {f.fix.applicability.value}]", style="green")
            console.print(line)
        if len(findings) > max_per_file:
            console.print(Text(f"  ... and {len(findings) - max_per_file} more in this file (see --format json)",
                               style="dim"))
    _summary(a, console)


def _summary(a: Assessment, console: Console) -> None:
    console.print()
    table = Table(title=f"homeport assess: {a.root} (target: {a.target.value})", title_justify="left")
    table.add_column("category")
    for sev in (Severity.BLOCKER, Severity.WARNING, Severity.INFO):
        table.add_column(sev.value, justify="right", style=STYLE[sev])
    table.add_column("total", justify="right")
    counts: dict[tuple[str, Severity], int] = defaultdict(int)
    for f in a.findings:
        counts[(f.category.value, f.severity)] += 1
    for category in sorted({f.category.value for f in a.findings}):
        row = [counts[(category, s)] for s in (Severity.BLOCKER, Severity.WARNING, Severity.INFO)]
        table.add_row(category, *map(str, row), str(sum(row)))
    if a.findings:
        console.print(table)
        per_target = blockers_by_target(a.findings)
        console.print("blockers by target: " + ", ".join(f"{t} {c['blocker']}" for t, c in per_target.items()),
                      markup=False, highlight=False)
    fixable = sum(1 for f in a.findings if f.fix)
    console.print(f"{len(a.findings)} findings in {len({f.location.path for f in a.findings})} of "
                  f"{len(a.files)} files ({a.lines:,} lines, {a.seconds:.2f}s); {fixable} fixable by "
                  f"`homeport port`; {len(a.suppressed)} suppressed; {len(a.skipped)} inputs skipped.",
                  markup=False, highlight=False)
    if a.policy is not None:
        judged = sum(1 for f in a.findings if f.residency is not None)
        console.print(f"residency policy {a.policy}: {judged} destinations judged and reported (RES rules).",
                      markup=False, highlight=False)
    _inventory(a, console)
    if a.skipped:
        reasons = defaultdict(int)
        for s in a.skipped:
            reasons[s.reason.split(" (")[0].split(":")[0]] += 1
        console.print("skipped: " + "; ".join(f"{n} {r}" for r, n in sorted(reasons.items(), key=lambda x: -x[1])),
                      style="dim", markup=False, highlight=False)  # reasons quote paths: never markup


# Kinds listed by name in the summary; modules and packages are only counted (there can be thousands).
_NAMED = ("entry-point", "accelerator", "accelerator-library", "compute", "cloud-service", "data-location",
          "container-image", "job-manifest", "infrastructure", "config", "distributed", "experiment-tracking")


def _inventory(a: Assessment, console: Console, shown: int = 6) -> None:
    inv = a.inventory
    if not inv.components:
        return
    console.print(Text("inventory", style="bold"))
    for kind in _NAMED:
        comps = inv.of_kind(kind)
        if not comps:
            continue
        names = [_label(c) for c in comps[:shown]]
        more = f" (+{len(comps) - shown} more)" if len(comps) > shown else ""
        console.print(f"  {kind:<20} " + ", ".join(names) + more, highlight=False, markup=False)
    counts = ", ".join(f"{len(inv.of_kind(k))} {k}s" for k in ("module", "package") if inv.of_kind(k))
    console.print(f"  {'':<20} {counts}{'; ' if counts else ''}{len(inv.links)} links", style="dim")


def _label(comp) -> str:
    d = comp.details
    if comp.kind == "compute" and d.get("accelerator"):
        return f"{comp.name} ({d.get('accelerator_count')}x {d['accelerator']})"
    if comp.kind == "data-location" and d.get("directions"):
        return f"{comp.name} ({'/'.join(d['directions'])})"
    return comp.name

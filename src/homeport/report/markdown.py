"""The Markdown report: a summary a person can read in a pull request or a wiki, then the details.

Title, summary (files, lines, findings by category and severity, target), the inventory, findings
grouped by file, suppressed findings with their reasons, skipped inputs with their reasons, and the
rules that fired. Table cells are escaped (`|`, line breaks), so any message or path stays in its cell.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from homeport import __version__
from homeport.core.model import Assessment, Category, Finding, Severity
from homeport.core.rule import blockers_by_target

SEVERITIES = (Severity.BLOCKER, Severity.WARNING, Severity.INFO)
MAX_NAMES = 12  # component names listed per kind; the JSON report has them all


def render(a: Assessment) -> str:
    out: list[str] = []
    out += _title(a)
    out += _summary(a)
    out += _inventory(a)
    out += _findings(a)
    out += _suppressed(a)
    out += _skipped(a)
    out += _rules(a)
    return "\n".join(out).rstrip("\n") + "\n"


# -- helpers -------------------------------------------------------------------------------------

def cell(text: object) -> str:
    """One table cell: `|` escaped, line breaks folded, never empty."""
    value = str(text).replace("|", "\\|")
    value = " ".join(value.splitlines()).strip()
    return value or " "


def code(text: str) -> str:
    """An inline code span that survives backticks inside `text`."""
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _table(header: list[str], rows: list[list[object]], align: list[str] | None = None) -> list[str]:
    align = align or ["---"] * len(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines + [""]


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


# -- sections ------------------------------------------------------------------------------------

def _title(a: Assessment) -> list[str]:
    name = Path(a.root).name or a.root
    return [f"# homeport assessment: {name}", "",
            f"Assessed `{a.root}` for target **{a.target.value}** with homeport {__version__} "
            f"({_plural(len(a.rules), 'rule')}).", ""]


def _summary(a: Assessment) -> list[str]:
    blockers = sum(1 for f in a.findings if f.severity == Severity.BLOCKER)
    files_with = len({f.location.path for f in a.findings})
    fixable = sum(1 for f in a.findings if f.fix)
    out = ["## Summary", "",
           f"- Target: **{a.target.value}**",
           f"- Files analyzed: {len(a.files):,} ({_plural(a.lines, 'line')})",
           f"- Findings: {len(a.findings):,} in {_plural(files_with, 'file')}, {blockers:,} of them blockers; "
           f"{fixable:,} fixable by `homeport port`",
           f"- Suppressed: {len(a.suppressed):,}",
           f"- Inputs skipped: {len(a.skipped):,}",
           *([f"- Residency policy: {code(a.policy)} (residency findings: destinations it does not allow)"]
             if a.policy is not None else []),
           ""]
    if not a.findings:
        return out + ["No findings: nothing in this tree is tied to NVIDIA or one hyperscaler "
                      "for the rules that ran.", ""]
    counts: dict[tuple[str, Severity], int] = defaultdict(int)
    for f in a.findings:
        counts[(f.category.value, f.severity)] += 1
    rows = []
    for category in [c.value for c in Category]:
        row = [counts[(category, s)] for s in SEVERITIES]
        if sum(row):
            rows.append([category, *row, sum(row)])
    totals = [sum(counts[(c.value, s)] for c in Category) for s in SEVERITIES]
    rows.append(["**total**", *totals, sum(totals)])
    by_target = [[t, *(c[s.value] for s in SEVERITIES)] for t, c in blockers_by_target(a.findings).items()]
    return (out + _table(["category", *(s.value for s in SEVERITIES), "total"], rows,
                         ["---", "---:", "---:", "---:", "---:"])
            + ["", "The same findings weighed for each target:", ""]
            + _table(["target", *(s.value for s in SEVERITIES)], by_target, ["---", "---:", "---:", "---:"]))


def _inventory(a: Assessment) -> list[str]:
    inv = a.inventory
    components = list(getattr(inv, "components", {}).values())
    links = getattr(inv, "links", ())
    out = ["## Inventory", ""]
    if not components:
        return out + ["No components were recognized.", ""]
    by_kind: dict[str, list[str]] = defaultdict(list)
    for comp in components:
        by_kind[comp.kind].append(comp.name)
    rows = []
    for kind, names in sorted(by_kind.items()):
        names = sorted(names)
        shown = ", ".join(code(n) for n in names[:MAX_NAMES])
        if len(names) > MAX_NAMES:
            shown += f", and {len(names) - MAX_NAMES} more"
        rows.append([kind, len(names), shown])
    out += _table(["kind", "count", "components"], rows, ["---", "---:", "---"])
    return out + [f"{_plural(len(components), 'component')}, {_plural(len(links), 'link')} between them "
                  "(the JSON report lists every one with its evidence).", ""]


def _findings(a: Assessment) -> list[str]:
    out = ["## Findings", ""]
    if not a.findings:
        return out + ["None.", ""]
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in a.findings:
        by_file[f.location.path].append(f)
    for path in sorted(by_file):
        findings = by_file[path]
        out += [f"### {code(path)}", "", _plural(len(findings), "finding") + ".", ""]
        rows = [[f"{f.location.line}:{f.location.column}", f.severity.value, f"{f.rule} {f.name}", f.message,
                 f"{f.fix.applicability.value}: {f.fix.title}" if f.fix else "-"] for f in findings]
        out += _table(["line", "severity", "rule", "message", "fix"], rows, ["---:", "---", "---", "---", "---"])
    return out


def _suppressed(a: Assessment) -> list[str]:
    out = ["## Suppressed findings", ""]
    if not a.suppressed:
        return out + ["None.", ""]
    out += ["Findings silenced by a `# homeport: ignore[...]` comment, with the reason it gives.", ""]
    rows = [[f"{code(s.finding.location.path)}:{s.finding.location.line}", s.finding.severity.value,
             s.finding.rule, s.finding.message, s.reason or "(no reason given)"]
            for s in sorted(a.suppressed, key=lambda s: (s.finding.location, s.finding.rule))]
    return out + _table(["where", "severity", "rule", "message", "reason"], rows)


def _skipped(a: Assessment) -> list[str]:
    out = ["## Skipped inputs", ""]
    if not a.skipped:
        return out + ["None: every file under the root was analyzed.", ""]
    out += ["These were not analyzed; nothing above speaks for them.", ""]
    rows = [[code(s.path or "."), s.reason] for s in a.skipped]
    return out + _table(["path", "reason"], rows)


def _rules(a: Assessment) -> list[str]:
    from homeport.assess.engine import load_rules

    registry = load_rules()
    fired: dict[str, int] = defaultdict(int)
    silenced: dict[str, int] = defaultdict(int)
    for f in a.findings:
        fired[f.rule] += 1
    for s in a.suppressed:
        fired.setdefault(s.finding.rule, 0)
        silenced[s.finding.rule] += 1
    out = ["## Rules that fired", ""]
    if not fired:
        return out + ["None.", ""]
    rows = []
    for code_ in sorted(fired):
        rule = registry.get(code_)
        if rule is None:
            rows.append([code_, "", "", "", fired[code_] + silenced[code_], "(unknown rule)"])
            continue
        count = f"{fired[code_]} (+{silenced[code_]} suppressed)" if silenced[code_] else fired[code_]
        severity = "by verdict" if rule.judges else rule.severity_for(a.target).value
        rows.append([code_, rule.name, rule.category.value, severity, count, rule.summary()])
    out += _table(["rule", "name", "category", f"severity ({a.target.value})", "findings", "summary"], rows,
                  ["---", "---", "---", "---", "---:", "---"])
    return out + ["Each rule's documentation (why it blocks a migration, what to use instead, fix safety): "
                  "`homeport rules show CODE`, or docs/rules.md.", ""]

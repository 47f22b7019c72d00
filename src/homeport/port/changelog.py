"""The change log of a port, as JSON (schema-versioned, for the report and the plan gates) and as text
for people: one line per call site, then the per-file and total statistics (HIPIFY's)."""

from __future__ import annotations

import json

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from homeport.port.changes import Status
from homeport.port.engine import PortResult, summarize

SCHEMA_VERSION = 1


def to_dict(result: PortResult) -> dict:
    opts = result.options
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": "homeport port",
        "root": str(result.root),
        "target": opts.target.value,
        "min_torch": f"{opts.min_torch[0]}.{opts.min_torch[1]}",
        "min_torch_from": result.torch_floor,
        "unsafe_fixes": opts.unsafe,
        "totals": result.totals(),
        "files": [{"path": f.path, "changed": f.changed, "skipped": f.skipped or None,
                   **{k: v for k, v in summarize([f]).items() if k not in ("files", "files_changed")}}
                  for f in result.files],
        "changes": [c.to_dict() for c in result.changes],
        "skipped": [s.to_dict() for s in result.skipped],
    }


def render_json(result: PortResult) -> str:
    return json.dumps(to_dict(result), indent=1) + "\n"


_STYLE = {Status.APPLIED: "green", Status.LEFT: "yellow", Status.UNSUPPORTED: "red"}


def render_text(result: PortResult, console: Console, verbose: bool = True) -> None:
    opts = result.options
    console.print(f"[bold]homeport port[/] {escape(str(result.root))} -> target {opts.target.value}, "
                  f"torch >= {opts.min_torch[0]}.{opts.min_torch[1]} ({escape(result.torch_floor)})"
                  + ("" if opts.unsafe else "; safe fixes only"), highlight=False)
    if verbose:
        for c in result.changes:
            arrow = f" --> {escape(_one_line(c.replacement)) or '(removed)'}" if c.status is not Status.UNSUPPORTED else ""
            reason = f"\n      [dim]{escape(c.reason)}[/]" if c.reason else ""
            console.print(f"  {escape(c.path)}:{c.line} [{_STYLE[c.status]}]{c.status.value}[/] {escape(f'[{c.kind.value}]')} {c.rule} "
                          f"{escape(_one_line(c.original))}{arrow}{reason}", highlight=False, soft_wrap=True)
    table = Table(title="references per file", title_justify="left")
    for col in ("file", "flagged", "converted", "left", "lines migrated"):
        table.add_column(col, justify="left" if col == "file" else "right")
    for f in result.files:
        s = summarize([f])
        table.add_row(escape(f.path) + (" [dim](not rewritten)[/]" if f.skipped else ""), str(s["references_before"]),
                      str(s["references_converted"]), str(s["references_left"]), f"{s['share_migrated']:.0%}")
    t = result.totals()
    table.add_row("[bold]total[/]", str(t["references_before"]), str(t["references_converted"]),
                  str(t["references_left"]), f"[bold]{t['share_migrated']:.0%}[/]")
    console.print(table)
    for s in result.skipped:
        console.print(f"  [dim]not ported:[/] {escape(s.path)}: {escape(s.reason)}", highlight=False)
    counts = ", ".join(f"{n} {status}" for status, n in t["changes"].items()) or "no changes"
    console.print(f"{t['files_changed']} of {t['files']} flagged files changed; call sites: {counts}", highlight=False)


def _one_line(text: str) -> str:
    text = " ".join(line.strip() for line in text.splitlines())
    return text if len(text) <= 120 else text[:117] + "..."

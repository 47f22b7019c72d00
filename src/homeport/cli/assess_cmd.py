"""`homeport assess PATH`: catalog a pipeline and find every line tied to NVIDIA or one hyperscaler; with
`--policy`, also every destination (endpoint, storage URI, region, telemetry) the residency policy does not
allow."""

from __future__ import annotations

import argparse
import os

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from homeport.cli.main import EXIT_FINDINGS, EXIT_OK, write_output
from homeport.core.errors import UsageError
from homeport.core.model import Severity, Target

FORMATS = ("terminal", "json", "sarif", "markdown")
FAIL_ON = ("blocker", "warning", "info", "never")


def add_parser(sub) -> None:
    p = sub.add_parser("assess", help="find every line tied to NVIDIA or one hyperscaler; catalog the pipeline",
                       description=__doc__)
    p.add_argument("path", help="the repository (or file) to assess")
    p.add_argument("-t", "--target", choices=[t.value for t in Target],
                   default=os.environ.get("HOMEPORT_TARGET", "portable"),
                   help="where the pipeline is going; severities depend on it (default: portable = any non-NVIDIA)")
    p.add_argument("-f", "--format", choices=FORMATS, default=os.environ.get("HOMEPORT_FORMAT", "terminal"),
                   help="report format (default: terminal, or HOMEPORT_FORMAT); json, sarif and markdown for files")
    p.add_argument("-o", "--output", help="write the report to this file instead of standard output")
    p.add_argument("--select", default="", help="only these rule codes or prefixes, comma-separated (ACC,CLD001)")
    p.add_argument("--ignore", default="", help="skip these rule codes or prefixes, comma-separated")
    p.add_argument("--fail-on", choices=FAIL_ON, default="blocker",
                   help="exit 1 when a finding has this severity or higher (default: blocker)")
    p.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: one per core)")
    p.add_argument("-q", "--quiet", action="store_true", help="terminal format: hide info findings")
    p.add_argument("--policy", metavar="POLICY",
                   help="residency policy (YAML, as `homeport fence`): add residency findings (RES rules) for "
                        "endpoints, storage URIs, regions and telemetry it does not allow")
    p.add_argument("--show-allowed", action="store_true",
                   help="with --policy: report allowed destinations too, as info findings")
    p.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(run=run)


def _check(args) -> None:
    """Values can come from HOMEPORT_* variables, which argparse does not check against the choices."""
    if args.target not in {t.value for t in Target}:
        raise UsageError(f"unknown target {args.target!r}", expected=", ".join(t.value for t in Target),
                         hint="fix --target or the HOMEPORT_TARGET variable")
    if args.format not in FORMATS:
        raise UsageError(f"unknown format {args.format!r}", expected=", ".join(FORMATS),
                         hint="fix --format or the HOMEPORT_FORMAT variable")
    if args.show_allowed and not args.policy:
        raise UsageError("--show-allowed needs --policy", hint="add --policy POLICY, or drop --show-allowed")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1", expected="an integer >= 1", got=str(args.jobs),
                         hint="leave -j out to use one worker per core")


def run(args) -> int:
    from homeport.assess.engine import assess, no_cyclic_gc  # here, not at the top: every command's start paid it

    _check(args)
    err = Console(stderr=True)
    show_progress = err.is_terminal and args.format == "terminal" or (err.is_terminal and args.output)
    with Progress(TextColumn("assessing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=not show_progress) as progress:
        task = progress.add_task("files", total=None)
        result = assess(args.path, target=Target(args.target), select=_codes(args.select),
                        ignore=_codes(args.ignore), jobs=args.jobs,
                        policy=args.policy, show_allowed=args.show_allowed,  # a bad policy stops before any work
                        progress=lambda done, total: progress.update(task, completed=done, total=total))
    if args.format == "terminal" and not args.output:
        from homeport.report import terminal

        terminal.render(result, Console(), show_info=not args.quiet)
    else:
        with no_cyclic_gc():  # tens of thousands of small dicts for the report, none cyclic
            write_output(_render(result, args.format), args.output)
        if args.output:
            err.print(f"wrote {args.format} report to {args.output} ({len(result.findings)} findings)")
    if args.fail_on == "never":
        return EXIT_OK
    return EXIT_FINDINGS if result.at_or_above(Severity(args.fail_on)) else EXIT_OK


def _render(result, fmt: str) -> str:
    from homeport.report import json as json_report

    if fmt == "json":
        return json_report.render(result)
    if fmt == "sarif":
        from homeport.report import sarif

        return sarif.render(result)
    if fmt == "markdown":
        from homeport.report import markdown

        return markdown.render(result)
    from io import StringIO

    from homeport.report import terminal

    buffer = StringIO()
    terminal.render(result, Console(file=buffer, width=120, color_system=None))
    return buffer.getvalue()


def _codes(value: str) -> list[str]:
    return [v for v in value.split(",") if v.strip()]



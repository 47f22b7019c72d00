"""`homeport report [PATH]`: the migration on one page. Assesses PATH (and runs the port engine per
target, in memory), reads the evidence the other phases wrote, and writes one self-contained HTML file or
the same content as Markdown."""

from __future__ import annotations

import argparse

from rich.console import Console

from homeport.cli.main import EXIT_OK, write_output
from homeport.core.errors import UsageError
from homeport.core.model import Target

FORMATS = ("html", "markdown")
EPILOG = """evidence (found by its `kind` or schema, not its name):
  assessment        homeport assess PATH -f json -o reports/assessment.json
  port change log   homeport port PATH --log reports/port.json
  data              homeport data plan SRC DST -f json (the JSON and the --manifest it writes), a copy's manifest
  fence             homeport fence run --audit-log reports/fence-audit.jsonl; fence check -f json
  bench             homeport bench --out reports/bench.json; bench parity -f json
  cost              homeport cost JOB.yaml -f json -o reports/cost.json
without --evidence, reports/ and .homeport/ under PATH and the current folder are scanned.

examples:
  homeport report examples/llm-pipeline --evidence reports -o reports/report.html
  homeport report . -f markdown -o report.md
  homeport report --evidence reports/assessment.json reports/cost.json -o report.html
"""


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="the migration on one page: readiness, evidence per phase, charts (HTML)",
                       description=__doc__, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", nargs="?", default=None,
                   help="the repository to assess (default: the assessment among the evidence, else .)")
    p.add_argument("-o", "--output", help="the file to write (default: report.html, or report.md for markdown; "
                   "- for standard output)")
    p.add_argument("-f", "--format", choices=FORMATS, help="html (default) or markdown; a .md output means markdown")
    p.add_argument("--evidence", nargs="+", action="append", metavar="DIR|FILE",
                   help="evidence files or folders to read (repeatable; default: reports/ and .homeport/); "
                   "it takes every word up to the next option, so put PATH before it")
    p.add_argument("--targets", metavar="T,T", default=",".join(t.value for t in _default_targets()),
                   help="accelerator targets to compare (default: %(default)s)")
    p.add_argument("--no-port", action="store_true", help="do not run the port engine per target (faster; "
                   "the automatic share then comes from change logs only)")
    p.set_defaults(run=run)


def _default_targets() -> tuple[Target, ...]:
    from homeport.report.readiness import TARGETS

    return TARGETS


def _targets(text: str) -> list[Target]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    known = {t.value for t in Target}
    bad = [n for n in names if n not in known]
    if bad or not names:
        raise UsageError(f"unknown target {', '.join(bad) or '(none)'} in --targets", got=text,
                         expected=f"a comma-separated list of {', '.join(sorted(known))}")
    return [Target(n) for n in dict.fromkeys(names)]


def run(args) -> int:
    from homeport.report.page import build_report, html, markdown

    output = args.output
    fmt = args.format or ("markdown" if output and output.endswith((".md", ".markdown")) else "html")
    output = output or ("report.md" if fmt == "markdown" else "report.html")
    evidence = [p for group in (args.evidence or []) for p in group]
    doc = build_report(args.path, evidence, targets=_targets(args.targets), port=not args.no_port)
    write_output(html.render(doc) if fmt == "html" else markdown.render(doc), output)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if doc.skipped:  # each with its reason in the report's last section
        err.print(f"{len(doc.skipped)} evidence input(s) skipped, each with its reason under \"Sources and evidence\": "
                  + ", ".join(p for p, _ in doc.skipped), markup=False)
    if output != "-":
        err.print(f"wrote {fmt} report to {output}", markup=False)
    return EXIT_OK


"""`homeport cost JOB.yaml`: price a training job at every catalog offer, adjusted by measured or expected
throughput, with storage, migration and ongoing egress, sensitivity, break-even and a weighted scorecard."""

from __future__ import annotations

import argparse
from io import StringIO

from rich.console import Console

from homeport.cli.main import EXIT_OK, write_output

FORMATS = ("text", "json", "markdown")
EPILOG = """examples:
  homeport cost examples/llm-pipeline/cost.yaml
  homeport cost job.yaml --provider aws --provider nebius --provider scaleway
  homeport cost job.yaml --format json -o cost.json --chart cost.svg
"""


def add_parser(sub) -> None:
    p = sub.add_parser("cost", help="price a training job per provider: throughput-adjusted cost, egress, scorecard",
                       description=__doc__, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("job", help="the cost job (YAML); examples/llm-pipeline/cost.yaml is a model")
    p.add_argument("--provider", action="append", metavar="P",
                   help="compare only this provider (repeat for several; replaces compare.providers of the job)")
    p.add_argument("-f", "--format", choices=FORMATS, default="text", help="report format (default: text)")
    p.add_argument("-o", "--output", help="write the report to this file instead of standard output")
    p.add_argument("--chart", metavar="FILE.svg", help="also write an SVG bar chart of the total per provider")
    p.set_defaults(run=run)


def run(args) -> int:
    from homeport.cost import chart, report
    from homeport.cost.job import load_job
    from homeport.cost.model import estimate

    result = estimate(load_job(args.job), providers=tuple(args.provider) if args.provider else None)
    if args.format == "json":
        write_output(report.render_json(result), args.output)
    elif args.format == "markdown":
        write_output(report.render_markdown(result), args.output)
    elif args.output:
        buffer = StringIO()
        report.render_text(result, Console(file=buffer, width=200, color_system=None))
        write_output(buffer.getvalue(), args.output)
    else:
        console = Console()
        report.render_text(result, console if console.is_terminal else Console(width=200))
    if args.chart:
        write_output(chart.render_svg(result), args.chart)
    err = Console(stderr=True)
    for path, what in ((args.output, f"{args.format} report"), (args.chart, "chart")):
        if path:
            err.print(f"wrote {what} to {path}", markup=False, highlight=False)
    return EXIT_OK

"""`homeport rules list|show`: what each rule finds, why it matters, and how it is fixed."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from homeport.cli.main import EXIT_OK
from homeport.core.errors import UsageError
from homeport.core.model import Target


def add_parser(sub) -> None:
    p = sub.add_parser("rules", help="list the rules or show one", description=__doc__)
    rsub = p.add_subparsers(dest="rules_command", metavar="{list,show,docs}", required=True)
    lp = rsub.add_parser("list", help="every rule: code, name, category, severity per target")
    lp.add_argument("--category", choices=["accelerator", "cloud", "dependency", "residency"])
    lp.set_defaults(run=list_rules)
    sp = rsub.add_parser("show", help="one rule's documentation and examples")
    sp.add_argument("code")
    sp.set_defaults(run=show_rule)
    dp = rsub.add_parser("docs", help="write the rules reference (Markdown) generated from the declarations")
    dp.add_argument("-o", "--output", default="-", help="file to write (default: standard output)")
    dp.set_defaults(run=write_docs)


def load_rules():
    from homeport.assess.engine import load_rules  # on use: the engine's import would slow every command's start

    return load_rules()


def list_rules(args) -> int:
    table = Table(title="homeport rules")
    table.add_column("code", style="bold")
    table.add_column("name")
    table.add_column("category")
    targets = [t for t in Target if t != Target.PORTABLE]
    for t in targets:
        table.add_column(t.value)
    table.add_column("fix")
    for code, rule in sorted(load_rules().items()):
        if args.category and rule.category.value != args.category:
            continue
        severities = ["verdict" if rule.judges else rule.severity_for(t).value for t in targets]
        table.add_row(code, rule.name, rule.category.value, *severities,
                      rule.fix_applicability.value if rule.fix_title else "-")
    console = Console()
    if not console.is_terminal:  # piped: never cut cells, so `homeport rules list | grep` works
        console = Console(width=400)
    console.print(table)
    return EXIT_OK


def show_rule(args) -> int:
    from rich.markdown import Markdown

    from homeport.report.ruledocs import rule_markdown

    rules = load_rules()
    rule = rules.get(args.code.upper())
    if rule is None:
        close = [c for c in rules if c.startswith(args.code.upper()[:3])][:10]
        raise UsageError(f"no rule {args.code!r}", expected="a rule code such as ACC001",
                         hint=f"close matches: {', '.join(close)}" if close else "run `homeport rules list`")
    Console().print(Markdown(rule_markdown(rule)))
    return EXIT_OK


def write_docs(args) -> int:
    from homeport.cli.main import write_output
    from homeport.report.ruledocs import rules_markdown

    write_output(rules_markdown(load_rules()), args.output)
    return EXIT_OK

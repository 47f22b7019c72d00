"""`homeport` command line. Exit codes (DESIGN.md): 0 ok, 1 findings at or above --fail-on,
2 usage, configuration or internal error, 3 a failed step whose rollback is incomplete."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from homeport import __version__
from homeport.core.errors import HomeportError, UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own exit is 2 too; keep its message, add the way out
        raise UsageError(message, hint=f"run `{self.prog} --help`")


def build_parser() -> argparse.ArgumentParser:
    from homeport.cli import (assess_cmd, bench_cmd, cost_cmd, data_cmd, fence_cmd, plan_cmd, port_cmd, report_cmd,
                              rules_cmd)

    parser = _Parser(prog="homeport", description="Move AI training pipelines to sovereign and local clouds.")
    parser.add_argument("--version", action="version", version=f"homeport {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    # the phases in the order a migration takes them
    assess_cmd.add_parser(sub)
    port_cmd.add_parser(sub)
    data_cmd.add_parser(sub)
    fence_cmd.add_parser(sub)
    bench_cmd.add_parser(sub)
    cost_cmd.add_parser(sub)
    report_cmd.add_parser(sub)
    plan_cmd.add_parser(sub)
    rules_cmd.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv or bool(os.environ.get("HOMEPORT_DEBUG"))
    if debug:  # the library reads it too (a port re-raises a fixer's error instead of skipping the file)
        os.environ["HOMEPORT_DEBUG"] = "1"
    err = Console(stderr=True)
    try:
        parser = build_parser()
        # what follows `--` belongs to the command a subcommand wraps (bench --script, fence run): argparse
        # would read it as more of ours, so it is split off first
        ours, passthrough = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, None)
        args = parser.parse_args(ours)
        if passthrough is not None and not getattr(args, "passthrough_ok", False):
            raise UsageError("arguments after `--` are only for commands that run another command",
                             got=" ".join(passthrough) or "`--` alone", hint="remove the `--`")
        args.passthrough = passthrough or []
        if not args.command:
            parser.print_help()
            return EXIT_ERROR
        return args.run(args)
    except HomeportError as exc:
        if debug:
            raise
        # escape(): the message quotes paths and input, and `a[/x].py` would read as a closing markup tag
        err.print(f"[bold red]error:[/] {escape(exc.render())}", highlight=False, markup=True)
        return exc.exit_code
    except KeyboardInterrupt as exc:  # what was being written says what became of it (port/apply.py)
        err.print(f"interrupted{f': {exc}' if str(exc) else ''}", highlight=False, markup=False)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # an internal error still gets a sentence, not a traceback
        if debug:
            raise
        err.print(f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}\n"
                  "  what to do: rerun with --debug for the traceback and report it", highlight=False)
        return EXIT_ERROR


def write_output(text: str, output: str | None) -> None:
    if not output or output == "-":
        sys.stdout.write(text)
        return
    path = Path(output)
    try:
        if path.exists() and not path.is_file():  # /dev/null, a FIFO: write into it, never replace it
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)  # never leave a half-written report behind
        except BaseException:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
            raise
    except OSError as exc:
        raise HomeportError(f"cannot write {path}", got=exc.strerror or str(exc),
                            hint="choose a writable path") from exc


def run() -> None:
    raise SystemExit(main())

"""`homeport port PATH`: rewrite CUDA-bound code into portable PyTorch, safely and reversibly.
By default prints a unified diff and changes nothing."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from homeport.cli.main import EXIT_FINDINGS, EXIT_OK, write_output
from homeport.core.errors import UsageError
from homeport.core.model import Applicability, Target


def add_parser(sub) -> None:
    p = sub.add_parser("port", help="rewrite CUDA-bound code into portable PyTorch (diff by default)",
                       description=__doc__)
    p.add_argument("path", nargs="?", default=None, help="the repository (or file) to port (default: .)")
    p.add_argument("-t", "--target", choices=[t.value for t in Target],
                   default=os.environ.get("HOMEPORT_TARGET", "portable"),
                   help="where the code is going (default: portable = runs on any accelerator or the CPU)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--diff", action="store_true", help="print a unified diff and change nothing (the default)")
    mode.add_argument("--out", metavar="DIR", help="write a complete ported copy of the tree to DIR")
    mode.add_argument("--write", action="store_true",
                      help="rewrite in place (a clean git work tree required) and save a revert patch")
    mode.add_argument("--check", action="store_true", help="exit 1 while any safe fix remains (for CI)")
    mode.add_argument("--revert", metavar="PATCH", help="undo a --write with the revert patch it printed")
    p.add_argument("--force", action="store_true", help="--write outside git or with uncommitted changes; "
                   "--revert files edited since the port")
    p.add_argument("--unsafe-fixes", action="store_true", help="also apply fixes that may change behaviour")
    p.add_argument("--min-torch", metavar="X.Y", help="the oldest torch the ported code must run on "
                   "(default: the lowest the requirements allow)")
    p.add_argument("-f", "--format", choices=("text", "json"), default="text",
                   help="the change log on the terminal as text (default) or JSON")
    p.add_argument("--log", metavar="FILE", help="also write the change log as JSON to FILE")
    p.add_argument("-q", "--quiet", action="store_true", help="the summary only, not every call site")
    p.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(run=run)


def run(args) -> int:
    if args.revert:
        return _revert(args)
    if args.target not in {t.value for t in Target}:
        raise UsageError(f"unknown target {args.target!r}", expected=", ".join(t.value for t in Target),
                         hint="fix --target or the HOMEPORT_TARGET variable")
    from homeport.port import apply, changelog
    from homeport.port.engine import port

    err = Console(stderr=True)
    with Progress(TextColumn("porting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                  transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("files", total=None)
        result = port(args.path or ".", target=args.target, min_torch=args.min_torch, unsafe=args.unsafe_fixes,
                      progress=lambda done, total: progress.update(task, completed=done, total=total))
    if args.log:
        write_output(changelog.render_json(result), args.log)
    if args.format == "json":
        write_output(changelog.render_json(result), None)
    else:
        changelog.render_text(result, err, verbose=not args.quiet)
    if args.check:
        return _check(result, err)
    if args.out:
        written = apply.write_copy(result.root, Path(args.out), result.files)
        err.print(f"wrote a ported copy to {args.out} ({written} files rewritten)", highlight=False)
    elif args.write:
        patch = apply.write_in_place(result.root, result.files, force=args.force)
        if patch is None:
            err.print("nothing to rewrite")
        else:
            log = patch.with_suffix(".json")
            write_output(changelog.render_json(result), str(log))
            err.print(f"rewrote {len(result.changed)} files; change log {log}\n"
                      f"undo with: homeport port --revert {patch}", highlight=False)
    elif args.format == "text":
        sys.stdout.write(apply.unified_diff(result.files))
    return EXIT_OK


def _check(result, err: Console) -> int:
    """The ratchet: a safe fix still applicable means CUDA-only code came back."""
    pending = [c for c in result.changes if c.status.value == "applied" and c.applicability is Applicability.SAFE]
    if pending:
        err.print(f"[red]{len(pending)} safe fixes remain[/]: run `homeport port --write`", highlight=False)
        return EXIT_FINDINGS
    unread = result.skipped + [f for f in result.files if f.skipped and f.path.endswith(".py")]
    if unread:  # "no safe fix remains" cannot be said of a file that was not read
        err.print(f"[red]{len(unread)} Python files could not be checked[/] (listed above as not ported)",
                  highlight=False)
        return EXIT_FINDINGS
    err.print("[green]no safe fix remains[/]")
    return EXIT_OK


def _revert(args) -> int:
    from homeport.port.apply import revert

    patch = Path(args.revert)
    root = Path(args.path) if args.path else _root_of(patch)
    restored = revert(patch, root.resolve(), force=args.force)
    Console(stderr=True).print(f"restored {len(restored)} files byte for byte: {', '.join(restored)}", highlight=False)
    return EXIT_OK


def _root_of(patch: Path) -> Path:
    """A patch written by --write lives in ROOT/.homeport/port/."""
    parents = patch.resolve().parents
    if len(parents) >= 3 and parents[1].name == ".homeport":
        return parents[2]
    raise UsageError(f"cannot tell which tree {patch} reverts", expected="a patch inside ROOT/.homeport/port/, or PATH",
                     hint=f"pass the tree too: homeport port ROOT --revert {patch}")

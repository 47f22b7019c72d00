"""`homeport port PATH`: rewrite CUDA-bound code into portable PyTorch, safely and reversibly.
By default prints a unified diff and changes nothing."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from homeport.cli.main import EXIT_FINDINGS, EXIT_OK, write_output
from homeport.core.errors import HomeportError, UsageError
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
                   "--revert also files edited since the port (the port's changes undone where the patch still "
                   "fits, the edits kept: not byte-identical)")
    p.add_argument("--unsafe-fixes", action="store_true", help="also apply fixes that may change behaviour")
    p.add_argument("--registry", metavar="HOST[/PREFIX]", default=os.environ.get("HOMEPORT_REGISTRY", ""),
                   help="the target's container registry: Kubernetes manifests' ECR images move there (unsafe fix)")
    p.add_argument("--provider", choices=("scaleway", "ovhcloud"),
                   help="also write a Terraform starting point for this provider beside the AWS Terraform files")
    p.add_argument("--policy", metavar="FILE", help="the residency policy that picks the provider's region "
                   "(with --provider; default: the first region in the catalog)")
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
    from homeport.port.patch import unified_diff
    from homeport.port.engine import port

    source = Path(args.path or ".")
    single = source if source.exists() and not source.is_dir() else None  # one file: copy just it with --out
    root = source.resolve().parent if single else source.resolve()
    if args.out:  # before the port, which may take minutes
        out = apply.check_out(root, Path(args.out), single)
        if args.log and args.log != "-" and _within(Path(args.log).resolve(), out):
            raise UsageError(f"--log {args.log} is inside --out {args.out}", expected="a log path outside the copy",
                             hint="write the log elsewhere, e.g. beside the copy; nothing was written")
    err = Console(stderr=True)
    with Progress(TextColumn("porting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                  transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("files", total=None)
        result = port(args.path or ".", target=args.target, min_torch=args.min_torch, unsafe=args.unsafe_fixes,
                      registry=args.registry, provider=args.provider or "", policy=_policy(args.policy), progress=lambda done, total: progress.update(task, completed=done, total=total))
    if args.log:
        _check_log(args.log, result, single)
        write_output(changelog.render_json(result), args.log)
    if args.format == "json":
        write_output(changelog.render_json(result), None)
    else:
        changelog.render_text(result, err, verbose=not args.quiet)
    if args.check:
        return _check(result, err)
    if args.out:
        copy = apply.write_copy(result.root, Path(args.out), result.files, single=single)
        if copy.not_copied:
            err.print(f"[yellow]not copied[/] ({len(copy.not_copied)}): {escape(', '.join(copy.not_copied))}",
                      highlight=False)
        err.print(f"wrote a ported copy to {escape(args.out)} ({copy.written} files rewritten)", highlight=False)
    elif args.write:
        patch = apply.write_in_place(result.root, result.files, force=args.force)
        if patch is None:
            err.print("nothing to rewrite")
        else:
            undo = f"homeport port --revert {patch}"
            log = patch.with_suffix(".json")
            try:
                write_output(changelog.render_json(result), str(log))
            except KeyboardInterrupt:
                raise KeyboardInterrupt(f"the tree was rewritten; undo with: {undo}") from None
            except HomeportError as exc:
                raise HomeportError(exc.what, got=exc.got, hint=f"the tree was rewritten all the same; undo with: {undo}"
                                    ) from None
            err.print(f"rewrote {len(result.changed)} files; change log {escape(str(log))}\n"
                      f"undo with: {escape(undo)}", highlight=False)
    elif args.format == "text":
        _write_diff(unified_diff(result.files, root=result.root))
    return EXIT_OK


def _policy(path: str | None):
    if not path:
        return None
    from homeport.policy.engine import load_policy
    return load_policy(path)


def _write_diff(text: str) -> None:
    """The diff as the bytes of the files it quotes (a latin-1 line stays latin-1, as `git apply` needs),
    whatever the encoding of stdout."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (tests, embedding): it takes the text as it is
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    buffer.write(text.encode("utf-8", "surrogateescape"))
    buffer.flush()


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _check_log(log: str, result, single: Path | None) -> None:
    """--log must not overwrite what the port reads or writes, nor any other file of the ported tree
    (an earlier change log excepted)."""
    from homeport.port.apply import is_change_log

    if log == "-":
        return
    path = Path(log).resolve()
    ported = {(Path(result.root) / f.path).resolve() for f in result.files} | ({single.resolve()} if single else set())
    if path in ported:
        raise UsageError(f"--log {log} is a file the port reads or writes", expected="a path outside the ported files",
                         hint="choose another path for the change log, e.g. port-log.json; nothing was written")
    if path.is_file() and _within(path, Path(result.root).resolve()) and not is_change_log(path):
        raise UsageError(f"--log {log} would overwrite a file of the tree being ported",
                         expected="a new file, or a change log an earlier --log wrote",
                         hint="choose another path for the change log; nothing was written")


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
    if not patch.exists():
        raise UsageError(f"revert patch not found: {patch}", expected="the .patch file printed by `homeport port --write`",
                         hint="they are kept in ROOT/.homeport/port/revert-*.patch")
    if patch.is_dir():
        raise UsageError(f"--revert {patch} is a directory", expected="the .patch file printed by `homeport port --write`",
                         hint=f"pick one of {patch}/revert-*.patch")
    root = Path(args.path) if args.path else _root_of(patch)
    if not root.is_dir():
        raise UsageError(f"{root} is not a directory", expected="the root of the tree the patch reverts",
                         hint=f"homeport port ROOT --revert {patch}")
    done = revert(patch, root.resolve(), force=args.force)
    err = Console(stderr=True)
    if done.restored:
        err.print(f"restored {len(done.restored)} files byte for byte: {escape(', '.join(done.restored))}",
                  highlight=False)
    if done.kept_edits:
        err.print(f"[yellow]undid the port in {len(done.kept_edits)} files edited since, keeping those edits "
                  f"(not byte-identical to the original)[/]: {escape(', '.join(done.kept_edits))}", highlight=False)
    if done.already:
        lead = "nothing to revert: " if not (done.restored or done.kept_edits) else ""
        err.print(f"{lead}already restored ({len(done.already)} files): {escape(', '.join(done.already))}",
                  highlight=False)
    return EXIT_OK


def _root_of(patch: Path) -> Path:
    """A patch written by --write lives in ROOT/.homeport/port/."""
    parents = patch.resolve().parents
    if len(parents) >= 3 and parents[1].name == ".homeport":
        return parents[2]
    raise UsageError(f"cannot tell which tree {patch} reverts", expected="a patch inside ROOT/.homeport/port/, or PATH",
                     hint=f"pass the tree too: homeport port ROOT --revert {patch}")

"""`homeport data plan|copy|verify|probe`: move a dataset between object stores, verified and resumable,
and size the loader for a store that is far away."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn,
                           TransferSpeedColumn)

from homeport.cli.main import EXIT_FINDINGS, EXIT_OK
from homeport.core.errors import HomeportError, UsageError

UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "kib": 2**10, "m": 10**6, "mb": 10**6, "mib": 2**20,
         "g": 10**9, "gb": 10**9, "gib": 2**30, "t": 10**12, "tb": 10**12, "tib": 2**40}


def add_parser(sub) -> None:
    p = sub.add_parser("data", help="plan, copy and verify datasets between object stores; probe a store far away", description=__doc__)
    dsub = p.add_subparsers(dest="data_command", metavar="{plan,copy,verify,probe}", required=True)
    where = "a local path, s3://bucket/prefix or REMOTE:bucket/prefix"

    pp = dsub.add_parser("plan", help="list the source into a manifest; count, time and cost the copy")
    pp.add_argument("src", help=f"the source: {where}")
    pp.add_argument("dst", help="the destination")
    pp.add_argument("--manifest", default="manifest.jsonl", help="the manifest to write (default: manifest.jsonl)")
    pp.add_argument("--workers", type=_positive, default=16, help="parallel streams the estimate assumes")
    pp.add_argument("--monthly-egress", type=parse_size, metavar="SIZE",
                    help="data read out of the source each month after the move (e.g. 2TB): "
                    "adds the ongoing egress cost")
    pp.add_argument("-f", "--format", choices=("text", "json"), default="text")
    _policy_option(pp)
    pp.set_defaults(run=run_plan)

    cp = dsub.add_parser("copy", help="copy every object, hashed (SHA-256), resumable from a journal")
    cp.add_argument("src", help=f"the source: {where}")
    cp.add_argument("dst", help="the destination")
    cp.add_argument("--workers", type=_positive, default=16, help="parallel transfers (default: 16)")
    cp.add_argument("--part-size", type=parse_size, default="8MiB", help="multipart part size (default: 8MiB)")
    cp.add_argument("--multipart-threshold", type=parse_size, default="64MiB",
                    help="objects this large or larger go in parts (default: 64MiB)")
    cp.add_argument("--shard", type=parse_shard, help="K/N: copy only the keys of worker K of N (K from 0)")
    cp.add_argument("--dry-run", action="store_true", help="list and count what would be copied; write nothing")
    cp.add_argument("--no-clobber", action="store_true",
                    help="leave objects the destination already has (before this job) as they are; they are counted")
    cp.add_argument("--journal", help="the journal (default: .homeport/data/<job-id>.sqlite)")
    cp.add_argument("--manifest", help="the manifest to write (default: next to the journal)")
    _policy_option(cp)
    cp.set_defaults(run=run_copy)

    vp = dsub.add_parser("verify", help="re-read the destination; check size and SHA-256 of every object")
    vp.add_argument("dst", help=f"the destination: {where}")
    evidence = vp.add_mutually_exclusive_group(required=True)
    evidence.add_argument("--manifest", help="the manifest a copy (or plan) wrote")
    evidence.add_argument("--source", help="the source, hashed again")
    vp.add_argument("--workers", type=_positive, default=16, help="parallel reads (default: 16)")
    vp.add_argument("-f", "--format", choices=("text", "json"), default="text",
                    help="json: the result as evidence for `homeport report` and `homeport plan`")
    vp.set_defaults(run=run_verify)
    from homeport.data import probe as probe_cmd

    probe_cmd.add_parser(dsub)


# -- arguments -------------------------------------------------------------------------------------

def _policy_option(parser) -> None:
    parser.add_argument("--policy", metavar="POLICY.yaml",
                        help="residency policy (homeport fence): refuse a destination it does not allow, before "
                        "anything is listed or written")


def check_destination(policy_path: str | None, dst: str) -> None:
    """Refuse a destination the policy denies (exit 2, nothing done); say so and go on when it audits."""
    if not policy_path:
        return
    from homeport.policy import load_policy

    verdict = load_policy(policy_path).decide_location(dst)
    if verdict.verdict == "deny":
        raise HomeportError(f"refused: the policy {policy_path} does not allow the destination {dst}",
                            got=verdict.reason + (f" ({verdict.via})" if verdict.via else ""),
                            hint="choose a destination the policy allows (`homeport fence check DST --policy P` "
                                 "explains a verdict); nothing was listed or written")
    if verdict.verdict == "audit":
        Console(stderr=True, highlight=False).print(f"audit: {escape(verdict.reason)}")


def parse_size(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    if not m or m.group(2).lower() not in UNITS or float(m.group(1)) <= 0:
        raise UsageError(f"{text!r} is not a size.", expected="a number with an optional unit: 8MiB, 64MB, 1048576")
    size = int(float(m.group(1)) * UNITS[m.group(2).lower()])
    if size < 1:
        raise UsageError(f"{text!r} is less than one byte.", expected="a size of at least 1 byte")
    return size


def parse_shard(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if not m or not int(m.group(1)) < int(m.group(2)):
        raise UsageError(f"{text!r} is not a shard.", expected="K/N with 0 <= K < N, e.g. 0/4 (K counts from 0)",
                         hint="in a Kubernetes Indexed Job: $(JOB_COMPLETION_INDEX)/N; in Slurm: --array=0-(N-1)")
    return int(m.group(1)), int(m.group(2))


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"{text!r} is not a positive whole number.")
    return int(text)


def _store(text: str):
    from homeport.data.locations import open_store, parse_location

    return open_store(parse_location(text))


def _out(line: str) -> None:
    Console(highlight=False, soft_wrap=True).print(escape(line))


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


# -- commands --------------------------------------------------------------------------------------

def run_plan(args) -> int:
    from homeport.data.plan import plan

    check_destination(args.policy, args.dst)
    result = plan(_store(args.src), _store(args.dst), manifest=args.manifest, workers=args.workers,
                  monthly_egress=getattr(args, "monthly_egress", None))
    if getattr(args, "format", "text") == "json":
        import json

        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
        return EXIT_OK
    _out(f"{result.objects} objects, {_size(result.bytes)} ({result.bytes} bytes) in {args.src}")
    _out(result.estimate_sentence())
    for line in result.egress.splitlines():
        _out(line)
    _out(f"manifest: {result.manifest}")
    for name, why in result.refused:
        _out(f"  refused: {name}: {why}")
    return EXIT_FINDINGS if result.refused else EXIT_OK


def run_copy(args) -> int:
    from homeport.data import journal as jn
    from homeport.data.copy import copy
    from homeport.data.locations import canonical

    check_destination(args.policy, args.dst)
    src, dst = _store(args.src), _store(args.dst)
    if args.manifest and not os.access(Path(args.manifest).resolve().parent, os.W_OK):
        raise UsageError(f"cannot write the manifest {args.manifest}", expected="a path in a writable directory",
                         hint="choose another --manifest; nothing was copied")
    journal = args.journal or jn.default_path(canonical(src.location), canonical(dst.location), args.shard)
    with _progress() as (bar, on_progress):
        try:
            result = copy(src, dst, journal=journal, workers=args.workers, part_size=args.part_size,
                          multipart_threshold=args.multipart_threshold, shard=args.shard, dry_run=args.dry_run,
                          progress=on_progress, manifest=args.manifest, no_clobber=args.no_clobber)
        except KeyboardInterrupt:
            raise KeyboardInterrupt(f"the journal {journal} keeps what was copied; rerun the same command to resume")
    shard = f" (shard {args.shard[0]}/{args.shard[1]})" if args.shard else ""
    for name, why in result.refused:
        _out(f"  refused: {name}: {why}")
    if result.dry_run:
        _out(f"dry run{shard}: would copy {result.to_copy} of {result.listed} objects ({_size(result.bytes_to_copy)});"
             f" {result.skipped} already copied; nothing written" + (f"; {len(result.refused)} refused"
                                                                     if result.refused else ""))
        return EXIT_FINDINGS if result.refused else EXIT_OK
    if not result.listed:
        _out(f"warning: nothing listed under {args.src}{shard}: check the bucket and the prefix")
    _out(f"copied {result.copied} objects ({_size(result.bytes_copied)}, {result.parts_uploaded} parts){shard}; "
         f"{result.skipped} already copied; {len(result.failed)} failed; {result.listed} listed"
         + (f"; {len(result.refused)} refused (above)" if result.refused else ""))
    for key, why in result.failed:
        _out(f"  failed: {key}: {why}")
    if result.gone:
        _out(f"{result.gone} objects an earlier run listed are gone from the source: not copied")
    if result.replaced:
        _out(f"notice: {result.replaced} objects were at the destination before this job and were written over "
             "(--no-clobber leaves them)")
    if result.kept:
        _out(f"{result.kept} objects were at the destination already and were left as they are (--no-clobber); "
             "`homeport data verify` against the source shows whether they differ")
    _out(f"manifest: {result.manifest}")
    _out(f"journal: {result.journal}")
    if result.failed:
        _out("rerun the same command to retry the failed objects")
    return EXIT_OK if result.ok else EXIT_FINDINGS


def run_verify(args) -> int:
    from homeport.data.verify import verify

    dst = _store(args.dst)
    source = _store(args.source) if args.source else None
    result = verify(dst, manifest=args.manifest, source=source, workers=args.workers)
    if args.format == "json":
        import json
        from dataclasses import asdict

        sys.stdout.write(json.dumps({"schema_version": 1, "kind": "homeport-data-verify", "destination": args.dst,
                                     "evidence": args.manifest or args.source, "clean": result.clean,
                                     **asdict(result)}, indent=2) + "\n")
        return EXIT_OK if result.clean else EXIT_FINDINGS
    c = result.counts
    _out(f"checked {result.checked} objects: {result.ok} ok, {c['mismatched']} mismatched, "
         f"{c['missing']} missing, {c['extra']} extra")
    if result.size_only:
        _out(f"  {result.size_only} objects had no SHA-256 in the manifest: only their size was checked")
    for key in result.missing:
        _out(f"  missing: {key}")
    for key in result.extra:
        _out(f"  extra: {key}")
    for key, why in result.mismatched:
        _out(f"  mismatched: {key}: {why}")
    return EXIT_OK if result.clean else EXIT_FINDINGS


class _progress:
    """A bytes bar with speed and ETA on stderr, fed by copy's progress callback from any thread."""

    def __enter__(self):
        self.bar = Progress(TextColumn("copy"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                            TimeRemainingColumn(), console=Console(stderr=True), transient=True,
                            disable=not sys.stderr.isatty())
        self.task = self.bar.add_task("copy", total=0)
        self.bar.start()
        return self.bar, self.update

    def update(self, kind: str, n: int) -> None:
        if kind == "total":
            self.bar.update(self.task, total=(self.bar.tasks[0].total or 0) + n)
        else:
            self.bar.advance(self.task, n)

    def __exit__(self, *exc):
        self.bar.stop()
        return False


"""`homeport plan`: run the migration as a gated, reversible sequence.

init writes the migration file (profiles, phases, gates with thresholds); exec runs a command with a profile's
environment and records or stamps the evidence it writes; verify records a data verification; status and gate
judge the evidence (never missing, stale or the other profile's); cutover switches the active profile; rollback
goes back (sync back, switch back, revert the code), exit 3 when a person must act; runbook writes the Markdown
for the people in the room; checkpoint probes and checks checkpoint portability between the two sides.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn, TransferSpeedColumn
from rich.table import Table

from homeport.cli.main import EXIT_FINDINGS, EXIT_OK, write_output
from homeport.core.errors import HomeportError, UsageError

DEFAULT_PLAN = "homeport-plan.yaml"
EPILOG = """examples:
  homeport plan init --from global --to sovereign            profiles from homeport.toml [profiles.NAME]
  homeport plan init --from aws:eu-west-1 --to scaleway:fr-par
  homeport plan exec --profile sovereign --stamp .homeport/evidence/sovereign/assess.json -- \\
      homeport assess . --target rocm -f json -o .homeport/evidence/sovereign/assess.json --fail-on never
  homeport plan exec --profile sovereign --fence --record .homeport/evidence/sovereign/tests.json -- python train.py
  homeport plan verify data
  homeport plan status
  homeport plan gate poc
  homeport plan cutover
  homeport plan rollback
  homeport plan runbook -o RUNBOOK.md
"""


def add_parser(sub) -> None:
    p = sub.add_parser("plan", help="run the migration as gated phases: evidence, cutover, rollback, runbook",
                       description=__doc__, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--plan", metavar="FILE", default=os.environ.get("HOMEPORT_PLAN", DEFAULT_PLAN),
                        help=f"the migration file (default: HOMEPORT_PLAN, else {DEFAULT_PLAN})")
    fmt = argparse.ArgumentParser(add_help=False)  # status, gate, journal and checkpoint check print text or JSON
    fmt.add_argument("-f", "--format", choices=("text", "json"), default="text")
    psub = p.add_subparsers(dest="plan_command", required=True, parser_class=type(p),
                            metavar="{init,status,gate,exec,env,verify,cutover,rollback,runbook,journal,checkpoint}")

    ip = psub.add_parser("init", parents=[common], help="write the migration file from two profiles",
                         description="Write the migration file from two profiles: the standard phases, their gates "
                                     "and thresholds, default owners and per-profile evidence paths, ready to edit "
                                     "and commit. It refuses to replace an existing file without --force.")
    ip.add_argument("--from", dest="source", required=True, metavar="PROFILE",
                    help="where it runs now: a [profiles.NAME] of homeport.toml, or PROVIDER[:REGION]")
    ip.add_argument("--to", dest="target", required=True, metavar="PROFILE", help="where it goes (the same forms)")
    ip.add_argument("--pipeline", default=".", help="the pipeline's code, relative to the migration file (default: .)")
    ip.add_argument("--name", help="the migration's name (default: SOURCE -> TARGET)")
    ip.add_argument("--force", action="store_true", help="replace an existing migration file")
    ip.set_defaults(run=run_init)

    sp = psub.add_parser("status", parents=[common, fmt], help="where the migration stands: each gate, its evidence, its verdict")
    sp.set_defaults(run=run_status)

    gp = psub.add_parser("gate", parents=[common, fmt], help="judge one phase's gate from its evidence (exit 1 if it fails)")
    gp.add_argument("phase", help="assess, port, data, fence, poc, parallel_run, cutover or decommission")
    gp.set_defaults(run=run_gate)

    ep = psub.add_parser("exec", parents=[common], help="run a command with a profile's environment; record its evidence")
    ep.add_argument("--profile", help="source, target or a profile's name (default: the active profile)")
    ep.add_argument("--record", metavar="FILE", help="write a run record (command, exit code, times, profile) to FILE")
    ep.add_argument("--stamp", metavar="FILE", action="append", default=[],
                    help="a file the command writes: stamp it with the profile and its SHA-256 (repeatable)")
    ep.add_argument("--fence", action="store_true", help="run the command under `homeport fence run` with the "
                    "profile's policy; the fence's audit log becomes the residency evidence")
    ep.set_defaults(run=run_exec, passthrough_ok=True)

    vp = psub.add_parser("env", parents=[common], help="print a profile's environment (KEY=VALUE)")
    vp.add_argument("--profile", help="source, target or a name (default: the active profile)")
    vp.add_argument("--export", action="store_true", help="as `export` and `unset` lines for `eval`")
    vp.add_argument("--secrets", action="store_true", help="include the storage credentials")
    vp.set_defaults(run=run_env)

    fp = psub.add_parser("verify", parents=[common], help="verify a copied storage area at a profile; record the result")
    fp.add_argument("areas", nargs="*", metavar="AREA", help="storage areas (default: sync.data)")
    fp.add_argument("--profile", default="target", help="where the copy is (default: target)")
    fp.add_argument("--manifest", help="the copy's manifest (default: .homeport/plan/data/AREA.manifest.jsonl)")
    fp.set_defaults(run=run_verify)

    cp = psub.add_parser("cutover", parents=[common], help="judge the gates again, carry the state, switch to the target")
    cp.set_defaults(run=run_cutover)
    rp = psub.add_parser("rollback", parents=[common], help="sync back, switch to the source, revert the code (exit 3: act)")
    rp.set_defaults(run=run_rollback)

    bp = psub.add_parser("runbook", parents=[common], help="the Markdown runbook: steps, commands, gates, rollback, who decides")
    bp.add_argument("-o", "--output", help="write it here instead of standard output")
    bp.add_argument("--no-status", action="store_true", help="leave out where the migration stands (no gate is judged)")
    bp.set_defaults(run=run_runbook)

    jp = psub.add_parser("journal", parents=[common, fmt], help="the cutovers and rollbacks, each action with its outcome")
    jp.set_defaults(run=run_journal)

    kp = psub.add_parser("checkpoint", parents=[common], help="checkpoint portability between the two sides")
    ksub = kp.add_subparsers(dest="checkpoint_command", required=True, parser_class=type(p), metavar="{probe,check}")
    kpp = ksub.add_parser("probe", parents=[common], help="write one small checkpoint in every format this torch writes")
    kpp.add_argument("folder")
    kpp.set_defaults(run=run_checkpoint_probe)
    kcp = ksub.add_parser("check", parents=[common, fmt], help="load checkpoints (or a probe folder) with this torch")
    kcp.add_argument("paths", nargs="+", metavar="PATH")
    kcp.add_argument("--device", default="cpu", help="map_location (default: cpu)")
    kcp.add_argument("--written-by", metavar="VERSION", help="the torch that wrote them (a probe folder records it)")
    kcp.set_defaults(run=run_checkpoint_check)


# -- helpers ----------------------------------------------------------------------------------------------------

def _plan(args):
    from homeport.plan.spec import load_plan

    return load_plan(args.plan)


def _err() -> Console:
    return Console(stderr=True, highlight=False)


def _say(console: Console, text: str, style: str = "") -> None:
    console.print(f"[{style}]{escape(text)}[/]" if style else escape(text), soft_wrap=True)


def _profile(plan, name: str | None):
    from homeport.plan import state as st

    return plan.profile(name) if name else st.active(plan)[0]


# -- init, status, gate ----------------------------------------------------------------------------------------------

def run_init(args) -> int:
    from homeport.plan.create import new_plan
    from homeport.plan.spec import dump_plan

    path = Path(args.plan)
    if path.exists() and not args.force:
        raise UsageError(f"{path} already exists", hint="edit it, pass --force to replace it, or --plan another path")
    doc, notes = new_plan(args.source, args.target, base=path.resolve().parent, pipeline=args.pipeline, name=args.name)
    write_output(dump_plan(doc), str(path))
    from homeport.plan.commands import manifest_path
    from homeport.plan.spec import load_plan

    manifest_path(load_plan(path), "data").parent.mkdir(parents=True, exist_ok=True)  # `data copy --manifest` needs it
    err = _err()
    _say(err, f"wrote {path}: {doc['profiles']['source']['name']} -> {doc['profiles']['target']['name']}, "
              f"{len(doc['phases'])} phases")
    for note in notes:
        _say(err, f"  to do: {note}", "yellow")
    _say(err, "next: edit the owners and thresholds, then `homeport plan runbook -o RUNBOOK.md`")
    return EXIT_OK


def _render_gate(console: Console, g) -> None:
    color = "green" if g.passed else "red"
    console.print(f"[bold {color}]{g.verdict}[/] [bold]{escape(g.phase)}[/] (decides: {escape(g.decides or '-')})",
                  highlight=False)
    for c in g.checks:
        mark = "[green]pass[/]" if c.passed else "[red]fail[/]"
        problem = f" [yellow]({c.problem})[/]" if c.problem else ""
        console.print(f"  {mark} {escape(c.check)}{problem}: {escape(c.reason)}", highlight=False, soft_wrap=True)


def run_status(args) -> int:
    from homeport.plan import gates, state
    from homeport.plan.journal import Journal

    plan = _plan(args)
    s = state.current(plan, Journal(plan.state_dir))
    with _err().status("judging the gates"):
        results = gates.evaluate_all(plan, s.cutover_time)
    if args.format == "json":
        doc = {"schema_version": 1, "kind": "homeport-plan-status", "plan": str(plan.path), "state": s.name,
               "active_profile": s.active.name, "since": s.since,
               "unfinished": s.unfinished.id if s.unfinished else None, "gates": [g.to_dict() for g in results]}
        sys.stdout.write(json.dumps(doc, indent=1) + "\n")
        return EXIT_OK
    out = Console(highlight=False)
    out.print(f"[bold]{escape(plan.name)}[/]: state [bold]{s.name}[/], active profile [bold]{escape(s.active.name)}"
              f"[/]" + (f" since {s.since}" if s.since else ""))
    if s.unfinished:
        out.print(f"[yellow]unfinished: {s.unfinished.id}[/]: run `homeport plan {s.unfinished.kind}` again to complete it")
    for g in results:
        _render_gate(out, g)
    nxt = next((g.phase for g in results if not g.passed), None)
    out.print(f"next: the {nxt} gate (`homeport plan gate {nxt}`; `homeport plan runbook` lists its commands)"
              if nxt else "every gate passes")
    return EXIT_OK


def run_gate(args) -> int:
    from homeport.plan import gates, state
    from homeport.plan.journal import Journal

    plan = _plan(args)
    s = state.current(plan, Journal(plan.state_dir))
    result = gates.evaluate(plan, args.phase, cutover_time=s.cutover_time)
    if args.format == "json":
        sys.stdout.write(json.dumps(result.to_dict(), indent=1) + "\n")
    else:
        _render_gate(Console(highlight=False), result)
    return EXIT_OK if result.passed else EXIT_FINDINGS


# -- exec, env, verify ---------------------------------------------------------------------------------------------

def run_exec(args) -> int:
    from homeport.plan import evidence as ev
    from homeport.plan.profiles import environment

    plan = _plan(args)
    profile = _profile(plan, args.profile)
    command = list(args.passthrough)
    if not command:
        raise UsageError("no command to run", expected="homeport plan exec [--profile P] [--record F] [--stamp F] -- COMMAND",
                         hint="put the command after `--`, e.g. homeport plan exec -- python train.py")
    argv = [sys.executable, "-m", "homeport", *command[1:]] if command[0] == "homeport" else list(command)
    stamps = [Path(s) for s in args.stamp]
    if args.fence:
        argv, log = _fenced(plan, profile, argv)
        stamps.append(log)
        log.unlink(missing_ok=True)  # the log of this run alone is its residency evidence
    for s in stamps:  # the last attempt is the evidence: a failed rerun must not leave an older file attested
        ev.stamp_path(s).unlink(missing_ok=True)
    env = environment(plan, profile)
    err = _err()
    for note in env.notes:
        _say(err, f"note: {note}", "dim")
    started = time.time()
    try:
        code = subprocess.run(argv, env=env.apply(os.environ)).returncode
    except FileNotFoundError:
        raise UsageError(f"cannot run {command[0]!r}: no such program", hint="check the command after `--`") from None
    finished = time.time()
    code = 128 - code if code < 0 else code  # a signal N as the shell reports it
    if args.record:
        ev.write_json(Path(args.record), {"schema_version": 1, "kind": "homeport-plan-run", "profile": profile.name,
                                          "command": command, "fenced": args.fence, "cwd": os.getcwd(),
                                          "exit_code": code, "started": ev.iso(started), "finished": ev.iso(finished)})
    missing = []
    for s in stamps:
        if s.is_file() and s.stat().st_mtime >= started - 0.01:  # written by this run (10 ms for coarse clocks)
            ev.write_stamp(s, profile.name, command, code, started, finished)
        else:
            missing.append(str(s))
    _say(err, f"{' '.join(command)}: exit {code} under profile {profile.name}"
              + (f"; recorded {args.record}" if args.record else "")
              + (f"; stamped {', '.join(str(s) for s in stamps if str(s) not in missing)}" if len(stamps) > len(missing) else ""))
    if missing:
        _say(err, f"not stamped (the command did not write them): {', '.join(missing)}", "red")
        return code or EXIT_FINDINGS
    return code


def _fenced(plan, profile, argv: list[str]) -> tuple[list[str], Path]:
    if importlib.util.find_spec("homeport.policy.guard") is None:
        raise UsageError("--fence needs `homeport fence run`, which this homeport does not have",
                         hint="run without --fence, or update homeport")
    if not profile.policy:
        raise UsageError(f"--fence: profile {profile.name} names no residency policy",
                         hint=f"set profiles.{profile.role}.policy in {plan.path}")
    log = plan.base / ".homeport" / "evidence" / profile.name / "fence-audit.jsonl"
    for phase in plan.phases:
        for check in phase.checks:
            if check.kind == "residency_clean" and plan.profile(check.profile).name == profile.name:
                log = plan.resolve(check["evidence"])
    log.parent.mkdir(parents=True, exist_ok=True)
    return [sys.executable, "-m", "homeport", "fence", "run", "--policy", str(plan.resolve(profile.policy)),
            "--audit-log", str(log), "--", *argv], log


def run_env(args) -> int:
    import shlex

    from homeport.plan.profiles import environment

    plan = _plan(args)
    env = environment(plan, _profile(plan, args.profile))
    values = env.values if args.secrets else env.public()
    lead = "export " if args.export else ""
    lines = [f"unset {k}" for k in env.unset] if args.export else []
    lines += [f"{lead}{k}={shlex.quote(v)}" for k, v in sorted(values.items())]
    sys.stdout.write("\n".join(lines) + "\n")
    for note in env.notes:
        _say(_err(), f"note: {note}", "dim")
    return EXIT_OK


def run_verify(args) -> int:
    from homeport.data.locations import find_config, load_config, open_store, parse_location
    from homeport.data.verify import verify
    from homeport.plan import evidence as ev
    from homeport.plan.commands import manifest_path
    from homeport.plan.gates import data_evidence_path

    plan = _plan(args)
    profile = plan.profile(args.profile)
    areas = args.areas or list(plan.sync["data"])
    if not areas:
        raise UsageError("no storage area to verify", hint="name one, or list areas under sync.data in the migration file")
    if args.manifest and len(areas) > 1:
        raise UsageError("--manifest goes with one area", got=", ".join(areas))
    config, worst = load_config(find_config(plan.base)), EXIT_OK
    for area in areas:
        if area not in profile.storage:
            raise UsageError(f"profile {profile.name} has no storage area {area!r}", expected=", ".join(profile.storage))
        manifest = Path(args.manifest) if args.manifest else manifest_path(plan, area)
        if not manifest.is_file():
            raise UsageError(f"no manifest for {area} at {manifest}",
                             hint=f"copy first: homeport data copy SRC {profile.storage[area]} --manifest {manifest}")
        started = time.time()
        with _err().status(f"verifying {area} at {profile.storage[area]}"):
            result = verify(open_store(parse_location(profile.storage[area], config)), manifest=manifest)
        doc = {"schema_version": 1, "kind": "homeport-plan-data-verify", "profile": profile.name, "area": area,
               "destination": profile.storage[area], "manifest": str(manifest.resolve()),
               "manifest_sha256": ev.sha256_file(manifest), "started": ev.iso(started), "finished": ev.iso(time.time()),
               "checked": result.checked, "ok": result.ok, "size_only": result.size_only, "counts": result.counts,
               "missing": result.missing, "mismatched": result.mismatched}
        out = ev.write_json(data_evidence_path(plan, profile, area), doc)
        c = result.counts
        clean = c["missing"] == c["mismatched"] == 0 and not result.size_only and result.checked
        _say(_err(), f"{area}: {result.ok} of {result.checked} objects match size and SHA-256; {c['missing']} missing, "
                     f"{c['mismatched']} mismatched, {c['extra']} extra at the destination; recorded {out}",
             "" if clean else "red")
        worst = worst if clean else EXIT_FINDINGS
    return worst


# -- cutover, rollback, journal ------------------------------------------------------------------------------------

class _Steps:
    """Each journaled action as a line, and a bytes bar while a storage area is copied."""

    def __init__(self):
        self.console = _err()
        self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                            TransferSpeedColumn(), console=self.console, transient=True,
                            disable=not self.console.is_terminal)
        self.task = None

    def __enter__(self):
        self.bar.start()
        return self

    def __exit__(self, *exc):
        self.bar.stop()
        return False

    def event(self, action: str, event: str, detail: dict) -> None:
        if event == "begin":
            self.task = self.bar.add_task(action, total=None)
            return
        if self.task is not None:
            self.bar.remove_task(self.task)
            self.task = None
        said = {"done": ("green", "done"), "already": ("dim", "already done"), "failed": ("red", "failed")}[event]
        figures = ", ".join(f"{k} {v}" for k, v in detail.items() if k in ("listed", "copied", "already", "verified",
                                                                             "profile", "restored") and v != [])
        self.bar.console.print(f"  [{said[0]}]{said[1]}[/] {escape(action)}" + (f" ({escape(figures)})" if figures else ""),
                               highlight=False)

    def progress(self, kind: str, n: int) -> None:
        if self.task is None:
            return
        if kind == "total":
            task = next(t for t in self.bar.tasks if t.id == self.task)
            self.bar.update(self.task, total=(task.total or 0) + n)
        else:
            self.bar.advance(self.task, n)


def run_cutover(args) -> int:
    from homeport.plan.cutover import cutover

    plan = _plan(args)
    with _Steps() as steps:
        result = cutover(plan, on_event=steps.event, progress=steps.progress)
    target = plan.profile("target").name
    if result.already:
        _say(_err(), f"already cut over: {target} is the active profile (`homeport plan status`)")
    else:
        _say(_err(), f"cutover {result.op} done: {target} is the active profile; the pipeline reads "
                     f"{plan.state_dir / 'active.env'} or runs with `homeport plan exec -- COMMAND`", "green")
    return EXIT_OK


def run_rollback(args) -> int:
    from homeport.plan.rollback import rollback

    plan = _plan(args)
    with _Steps() as steps:
        result = rollback(plan, on_event=steps.event, progress=steps.progress)
    source = plan.profile("source").name
    if result.op is None:
        _say(_err(), f"nothing to roll back: {source} is active and no port is left to revert")
    else:
        _say(_err(), f"rollback {result.op} {'completed' if result.resumed else 'done'}: {source} is the active "
                     "profile and the code is the original again", "green")
    return EXIT_OK


def run_journal(args) -> int:
    from homeport.plan.journal import Journal

    plan = _plan(args)
    journal = Journal(plan.state_dir)
    ops = journal.operations()
    if args.format == "json":
        sys.stdout.write(json.dumps([{"op": o.id, "status": o.status, "begun": o.begun, "finished": o.finished,
                                      "actions": {a: {"event": r["event"], "time": r["time"],
                                                      "done_lines": o.done_lines.get(a, 0),
                                                      "failed_lines": o.failed_lines.get(a, 0)}
                                                  for a, r in o.actions.items()}}
                                     for o in ops], indent=1) + "\n")
        return EXIT_OK
    out = Console(highlight=False)
    if not ops:
        out.print(f"no cutover or rollback yet ({journal.path})")
    for o in ops:
        out.print(f"[bold]{o.id}[/] {o.status} (begun {o.begun}" + (f", ended {o.finished})" if o.finished else ")"))
        for action, last in o.actions.items():
            failed = o.failed_lines.get(action, 0) if last["event"] != "failed" else 0
            before = f" (after {failed} failed attempt{'s' if failed > 1 else ''})" if failed else ""
            out.print(f"  {escape(action)}: {last['event']} at {last['time']}{before}", highlight=False)
    if journal.torn:
        out.print(f"[yellow]{journal.torn} line(s) cut short by an interruption were skipped[/]")
    return EXIT_OK


# -- runbook, checkpoint ---------------------------------------------------------------------------------------

def run_runbook(args) -> int:
    from homeport.plan import gates, runbook, state
    from homeport.plan.journal import Journal

    plan = _plan(args)
    s, results = None, None
    if not args.no_status:
        s = state.current(plan, Journal(plan.state_dir))
        with _err().status("judging the gates"):
            results = gates.evaluate_all(plan, s.cutover_time)
    write_output(runbook.render(plan, results, s), args.output)
    if args.output:
        _say(_err(), f"wrote the runbook to {args.output}")
    return EXIT_OK


def run_checkpoint_probe(args) -> int:
    from homeport.plan.checkpoint import probe

    record = probe(Path(args.folder))
    _say(_err(), f"wrote {', '.join(record['files'])} with torch {record['torch']} to {args.folder}"
                 + (f"; not written: {', '.join(record['not_written'])}" if record["not_written"] else ""))
    return EXIT_OK


def run_checkpoint_check(args) -> int:
    from homeport.plan.checkpoint import check, to_dicts

    other = _other_torch(args)
    reports = [r for p in args.paths for r in check(Path(p), device=args.device, written_by=args.written_by,
                                                    other_torch=other)]
    if args.format == "json":
        sys.stdout.write(json.dumps(to_dicts(reports), indent=1) + "\n")
    else:
        table = Table("checkpoint", "format", "verdict", "tensors", "written by", "notes", title_justify="left",
                      title=f"loaded with torch {reports[0].loaded_by if reports else '?'} on {args.device}")
        for r in reports:
            notes = "; ".join(([r.error] if r.error else []) + r.warnings)
            color = {"ok": "green", "fail": "red"}.get(r.verdict, "yellow")
            matched = f" ({r.matched} match)" if r.matched is not None else ""
            table.add_row(escape(r.path), r.format, f"[{color}]{r.verdict}[/]", f"{r.tensors}{matched}",
                          r.written_by or "?", escape(notes))
        Console(highlight=False).print(table)
    return EXIT_FINDINGS if any(r.verdict == "fail" for r in reports) else EXIT_OK


def _other_torch(args) -> str | None:
    """Under `plan exec` (HOMEPORT_PROFILE set), the torch of the other side, for the version warnings."""
    from homeport.plan.profiles import TODO

    here = os.environ.get("HOMEPORT_PROFILE")
    if not here or not Path(args.plan).is_file():
        return None
    try:
        plan = _plan(args)
        return next(p.torch for p in plan.profiles.values() if p.name != here and p.torch != TODO)
    except (HomeportError, StopIteration):
        return None

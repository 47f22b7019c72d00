"""`homeport fence check|validate|run|export`: residency verdicts, the runtime fence, and the network rules.

`check TARGET --policy P`: TARGET is a host, host:port, URL or storage location. Exit 0 when the policy allows
it, 1 when it denies it or only lets it through under audit, 2 for a bad policy, catalog or argument.
`validate P`: exit 0 and a summary of what the policy means, or 2 with every bad field.
`run --policy P -- COMMAND...`: run COMMAND with the fence active in every Python process it starts; exit with
COMMAND's exit code (128+N for a signal), 1 when the policy blocks COMMAND itself, 2 for a bad policy or a
missing command. A summary goes to stderr at the end.
`export --policy P --format F`: a default-deny egress firewall (Kubernetes NetworkPolicy, CiliumNetworkPolicy,
nftables, iptables-restore) opening what the policy allows; what F cannot express is said in its header.

What the fence cannot see: sockets opened outside Python's socket module (gRPC core, aws-crt, Arrow S3,
NCCL/Gloo, libcurl inside extensions), DNS done in C extensions, and what a child process that is not Python does
(only its command line is checked, for aws, gsutil, gcloud storage, azcopy, curl, wget and rclone). `export`
writes the network-level rules that cover them.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys

from rich.console import Console
from rich.markup import escape

from homeport.cli.main import EXIT_FINDINGS, EXIT_OK, write_output
from homeport.core.errors import HomeportError, UsageError
from homeport.policy.audit_log import DEFAULT_LOG
from homeport.policy.firewall import FORMATS
from homeport.policy.targets import is_ip
from homeport.policy.spec import MODES

RUN_HELP = """Run COMMAND with the residency fence active in every Python process it starts.

  homeport fence run --policy policy.yaml -- python train.py --epochs 3
  homeport fence run --policy policy.yaml --mode audit --audit-log fence.jsonl -- torchrun --nproc-per-node 8 train.py

Every Python process the command starts (the command itself, DataLoader workers started with spawn or fork,
torchrun's ranks, scripts they run) imports a sitecustomize that activates the fence before user code; a denied
name lookup, connection, botocore request or tool launch raises FenceViolation (a PermissionError) in enforce
mode, and is logged and let through in audit mode. Every decision is appended to one JSONL log. COMMAND's own
command line is checked too when it is a known tool.

The fence cannot see: sockets opened outside Python's socket module (gRPC core, aws-crt, Arrow S3, NCCL/Gloo,
libcurl inside extensions), DNS done in C extensions, a Python started with -I, -E or -S, and what a child that
is not Python does (only the command lines of aws, gsutil, gcloud storage, azcopy, curl, wget and rclone are
checked). Pair it with `homeport fence export` rules at the network level.

Exit: COMMAND's exit code (128+N when a signal N ended it), 1 when the policy blocked COMMAND itself, 2 for a
bad policy or a missing command."""

EXPORT_HELP = """Default-deny egress rules generated from the policy: DNS open, then what the policy allows.

  homeport fence export --policy policy.yaml --format k8s-networkpolicy --namespace training
  homeport fence export --policy policy.yaml --format nftables --from-log fence.jsonl --dns-server 10.0.0.2

Opened: allow.hosts and audit.hosts, hosts: declarations the policy allows, --host destinations and the hosts
of an audit log (--from-log), each checked against the policy. Literal names are resolved now (policy resolve:
first, then DNS) and their addresses can change; --format cilium keeps names (toFQDNs) and wildcards. A country
or provider clause is not a list of addresses: the header of the output says what the format cannot express."""


def add_parser(sub) -> None:
    p = sub.add_parser("fence", help="residency: check destinations, fence a job, export firewall rules",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    fsub = p.add_subparsers(dest="fence_command", metavar="{check,validate,run,export}", required=True)

    cp = fsub.add_parser("check", help="explain the verdict of a policy on a host, URL or storage location")
    cp.add_argument("target", metavar="HOST|URL|LOCATION",
                    help="a host (s3.gra.io.cloud.ovh.net, host:9000), a URL, or a storage location "
                    "(s3://bucket, REMOTE:bucket, gs://bucket, az://container, ./local/path)")
    cp.add_argument("--policy", required=True, metavar="POLICY", help="the policy file (YAML)")
    cp.add_argument("-f", "--format", choices=("text", "json"), default="text")
    cp.set_defaults(run=run_check)

    vp = fsub.add_parser("validate", help="check a policy file and summarize what it allows")
    vp.add_argument("policy", metavar="POLICY", help="the policy file (YAML)")
    vp.set_defaults(run=run_validate)

    rp = fsub.add_parser("run", help="run a command with the fence active in every Python process it starts",
                         description=RUN_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    rp.add_argument("--policy", required=True, metavar="POLICY", help="the policy file (YAML)")
    rp.add_argument("--mode", choices=MODES, help="override the policy's mode: enforce blocks, audit only logs")
    rp.add_argument("--audit-log", metavar="FILE", help="the JSONL log every process appends to (default: the "
                    f"policy's audit_log, else {DEFAULT_LOG})")
    rp.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- COMMAND ...", help="the command to run")
    rp.set_defaults(run=run_fenced, passthrough_ok=True)

    ep = fsub.add_parser("export", help="egress firewall rules from the policy (the network-level complement)",
                         description=EXPORT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    ep.add_argument("--policy", required=True, metavar="POLICY", help="the policy file (YAML)")
    ep.add_argument("--format", required=True, choices=FORMATS)
    ep.add_argument("--host", action="append", default=[], metavar="HOST|URL|LOCATION",
                    help="a destination the job uses, opened when the policy allows it (repeatable)")
    ep.add_argument("--from-log", metavar="FILE", help="open the hosts a fence audit log allowed or audited")
    ep.add_argument("--no-resolve", action="store_true", help="do not resolve names with DNS (the policy's "
                    "resolve: still applies); unresolved names are left out of address-only formats")
    ep.add_argument("--namespace", default="", help="Kubernetes namespace of the policy")
    ep.add_argument("--pod-selector", action="append", default=[], metavar="KEY=VALUE",
                    help="Kubernetes pod labels the policy selects (repeatable; default: every pod)")
    ep.add_argument("--dns-server", action="append", default=[], metavar="IP",
                    help="nftables/iptables: the only resolvers DNS may go to (default: any)")
    ep.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    ep.set_defaults(run=run_export)


def _out(line: str) -> None:
    Console(highlight=False, soft_wrap=True).print(escape(line))


def run_check(args) -> int:
    from homeport.policy import load_policy

    policy = load_policy(args.policy)
    verdict = policy.check(args.target)
    if args.format == "json":
        doc = {"target": args.target, "policy": policy.name, "mode": policy.mode, **verdict.to_dict()}
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    else:
        for line in explain(verdict, args.target, policy):
            _out(line)
    return EXIT_OK if verdict.verdict == "allow" else EXIT_FINDINGS


def explain(verdict, target: str, policy) -> list[str]:
    """The text `fence check` prints: verdict, how the host was found and identified, the deciding clause."""
    port = f":{verdict.port}" if verdict.port else ""
    lines = [f"{verdict.verdict.upper()}  {verdict.host + port if verdict.host else target}"]
    if verdict.via:
        lines.append(f"  via:         {verdict.via}")
    if verdict.host:
        if verdict.catalog_row:
            facts = ", ".join(f for f in (verdict.provider, verdict.region and f"region {verdict.region}",
                                          verdict.country and f"country {verdict.country}") if f)
            unlocated = "" if verdict.country else "; the host names no location the catalog knows"
            lines.append(f"  identified:  {facts or 'no provider'}{unlocated}")
            lines += [f"    {row}" for row in (verdict.catalog_row, *verdict.evidence)]
        else:
            lines.append("  identified:  not in the catalog, not declared by the policy")
    lines.append(f"  decided by:  {verdict.rule}")
    lines.append(f"  reason:      {verdict.reason}")
    lines.append(f"  policy:      {policy.name} (mode {policy.mode})")
    return lines


def run_validate(args) -> int:
    from homeport.catalog.countries import expand
    from homeport.catalog.providers import providers
    from homeport.policy import load_policy

    spec = load_policy(args.policy).spec
    _out(f"valid: {spec.name} (mode {spec.mode})")
    for label, clauses in (("allow.countries", spec.allow_countries), ("allow.providers", spec.allow_providers),
                           ("allow.hosts", spec.allow_hosts), ("audit.hosts", spec.audit_hosts),
                           ("deny.countries", spec.deny_countries), ("deny.providers", spec.deny_providers),
                           ("deny.hosts", spec.deny_hosts)):
        if clauses:
            _out(f"  {label}: {', '.join(_entry(c) for c in clauses)}")
    if not (spec.allow_countries or spec.allow_providers or spec.allow_hosts or spec.audit_hosts):
        _out("  allows nothing: every destination but loopback is denied" if spec.allow_loopback
             else "  allows nothing: every destination is denied")
    if spec.deny_parent_jurisdictions:
        denied = frozenset().union(*(expand(c.value) for c in spec.deny_parent_jurisdictions))
        hit = sorted(k for k, p in providers().items()
                     if p.control_jurisdictions and denied & set(p.control_jurisdictions))
        unverified = sorted(k for k, p in providers().items() if p.control_jurisdictions is None)
        _out(f"  deny.parent_jurisdictions: {', '.join(c.value for c in spec.deny_parent_jurisdictions)}: denies "
             f"{len(hit)} of {len(providers())} catalog providers ({', '.join(hit)})")
        if unverified:
            _out(f"    and, failing closed, those whose parents are unverified ({', '.join(unverified)})")
    for d in spec.declarations:
        _out(f"  {d.clause.field}: declared in {d.country}" + (f", provider {d.provider}" if d.provider else ""))
    _out(f"  unknown_hosts: {spec.unknown_hosts}; direct_ip: {spec.direct_ip}; "
         f"loopback: {'allowed' if spec.allow_loopback else 'denied'}")
    return EXIT_OK


def _entry(clause) -> str:
    members = len(clause.members)
    return f"{clause.value} ({members} countries)" if members > 1 else clause.value


def run_fenced(args) -> int:
    from homeport.policy import load_policy
    from homeport.policy.audit_log import summarize
    from homeport.policy.guard import FenceViolation, activate
    from homeport.policy.inherit import child_environment

    command = args.passthrough or args.argv  # main() splits off what follows `--`
    if not command:
        raise UsageError("no command to run", expected="homeport fence run --policy POLICY -- COMMAND [ARGS...]")
    policy = load_policy(args.policy)
    mode = args.mode or policy.mode
    log = os.path.abspath(args.audit_log or policy.audit_log or DEFAULT_LOG)
    offset = os.path.getsize(log) if os.path.isfile(log) else 0
    env = child_environment(args.policy, mode, log)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    fence = activate(policy, mode=mode, audit_log=log)  # checks COMMAND's own command line as it starts
    try:
        process = subprocess.Popen(command, env=env)
    except FenceViolation as exc:
        err.print(f"[bold red]blocked:[/] {escape(str(exc))}")
        return EXIT_FINDINGS
    except OSError as exc:
        raise HomeportError(f"cannot start {command[0]!r}", got=exc.strerror or str(exc),
                            hint="check the command after `--` (is it installed and on PATH?)") from None
    finally:
        fence.deactivate()
    code = _wait(process)
    for line in summarize(log, offset).lines(log):
        err.print(escape(line))
    return code


def _wait(process: subprocess.Popen) -> int:
    """The child's exit code; SIGTERM and SIGHUP are passed on, Ctrl-C reaches the child from the terminal."""
    forwarded = {}
    try:
        for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if sig is not None:
                forwarded[sig] = signal.signal(sig, lambda number, frame: process.send_signal(number))
        forwarded[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: no handlers to set
        pass
    try:
        code = process.wait()
    finally:
        for sig, previous in forwarded.items():
            signal.signal(sig, previous)
    return 128 - code if code < 0 else code


def run_export(args) -> int:
    from homeport.policy import load_policy
    from homeport.policy.egress import build_plan
    from homeport.policy.firewall import render

    policy = load_policy(args.policy)
    labels = {}
    for item in args.pod_selector:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise UsageError(f"--pod-selector {item!r}", expected="KEY=VALUE, e.g. app=train")
        labels[key] = value
    for server in args.dns_server:
        if not is_ip(server):
            raise UsageError(f"--dns-server {server!r} is not an IP address", expected="an IPv4 or IPv6 address")
    plan = build_plan(policy, args.host, _log_hosts(args.from_log) if args.from_log else (),
                      resolve=not args.no_resolve)
    text, not_expressed = render(plan, args.format, namespace=args.namespace, pod_selector=labels,
                                 dns_servers=tuple(args.dns_server))
    write_output(text, args.output)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    opened = sum(1 for r in plan.opens() if r.networks or args.format == "cilium")
    err.print(escape(f"{args.format}: {opened} destination(s) opened, {len(plan.left_out)} denied by the policy, "
                     f"{len(not_expressed) + len(plan.limits)} thing(s) this format cannot express (see the header)"))
    return EXIT_OK



def _log_hosts(path: str) -> list[tuple[str, str]]:
    """(host, path) for every host a fence audit log allowed or audited, in first-seen order."""
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError as exc:
        raise HomeportError(f"cannot read the audit log {path}", got=exc.strerror or str(exc)) from None
    hosts = {}
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("verdict") in ("allow", "audit") and entry.get("host") and \
                entry.get("asked") != "subprocess":
            hosts.setdefault(entry["host"], path)
    return list(hosts.items())

"""`homeport fence check|validate`: explain a residency verdict, or check a policy file.

`check TARGET --policy P`: TARGET is a host, host:port, URL or storage location. Exit 0 when the policy allows
it, 1 when it denies it or only lets it through under audit, 2 for a bad policy, catalog or argument.
`validate P`: exit 0 and a summary of what the policy means, or 2 with every bad field.
"""

from __future__ import annotations

import json
import sys

from rich.console import Console
from rich.markup import escape

from homeport.cli.main import EXIT_FINDINGS, EXIT_OK


def add_parser(sub) -> None:
    p = sub.add_parser("fence", help="residency: check destinations against a policy", description=__doc__)
    fsub = p.add_subparsers(dest="fence_command", metavar="{check,validate}", required=True)

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

"""The network-level complement of the fence: which destinations a default-deny egress firewall must open.

A policy speaks in countries, providers and jurisdictions; a firewall speaks in addresses (and, with Cilium, in
DNS names). The plan opens only destinations that are named somewhere and that the policy lets through:
- `allow.hosts` and `audit.hosts` (a literal name, a glob, an IP network), each checked against `deny.hosts`;
- `hosts:` declarations whose declared place the policy allows;
- hosts given with `--host` or read from a fence audit log (`--from-log`, the allowed and audited lines: run
  the job once under `fence run --mode audit`, then export), each decided by the policy.
A literal name is resolved now (the policy's `resolve:` first, then DNS): its addresses can change, which is why
the Cilium format keeps names. `deny.hosts` networks become drops before the opens (nftables, iptables) or
`except` blocks of an open network (Kubernetes). What a plan cannot carry is said in `limits` and in each
output's header.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from dataclasses import dataclass, field
from datetime import date

from homeport.policy.engine import Policy
from homeport.policy.targets import is_ip


@dataclass(frozen=True)
class EgressRule:
    source: str  # what asked for it: "allow.hosts[0] (pypi.org)", "--host minio.internal", "audit log x.jsonl"
    name: str  # the host, glob or network as written
    verdict: str  # allow | audit (opened, logged where the format can log) | deny (deny.hosts networks)
    networks: tuple[str, ...] = ()  # CIDRs
    fqdn: str = ""  # a literal host name (Cilium toFQDNs matchName)
    pattern: str = ""  # a host glob (Cilium toFQDNs matchPattern)
    note: str = ""  # how the addresses were found

    def comment(self) -> str:
        text = f"{self.source}" + (f": {self.note}" if self.note else "")
        return text.replace("\n", " ")


@dataclass
class EgressPlan:
    policy: str
    mode: str
    loopback: bool
    rules: list[EgressRule] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)  # what no format of the plan can express
    left_out: list[str] = field(default_factory=list)  # asked for, and denied by the policy
    generated: str = field(default_factory=lambda: date.today().isoformat())

    def opens(self) -> list[EgressRule]:
        return [r for r in self.rules if r.verdict != "deny"]

    def drops(self) -> list[EgressRule]:
        return [r for r in self.rules if r.verdict == "deny"]


def build_plan(policy: Policy, hosts=(), log_hosts=(), resolve: bool = True) -> EgressPlan:
    """`hosts`: extra destinations (host, URL or location text) as `--host` gives them; `log_hosts`: (host,
    log path) pairs read from an audit log."""
    spec = policy.spec
    plan = EgressPlan(spec.name, spec.mode, spec.allow_loopback)
    resolver = _Resolver(policy, resolve, plan.generated)
    for clause in spec.deny_hosts:
        if clause.network is not None:
            plan.rules.append(EgressRule(str(clause), clause.value, "deny", (str(clause.network),)))
    for clauses, verdict in ((spec.allow_hosts, "allow"), (spec.audit_hosts, "audit")):
        for clause in clauses:
            _add(plan, resolver, policy, str(clause), clause.value, clause.network, verdict)
    for d in spec.declarations:
        sample = str(d.clause.network.network_address) if d.clause.network else d.clause.value.replace("*", "x")
        verdict = policy.decide(sample).verdict
        if verdict == "deny":
            continue  # declared so that it can be denied, or in a place the policy does not allow
        _add(plan, resolver, policy, f"{d.clause.field} (declared {d.country})", d.clause.value, d.clause.network,
             verdict)
    for text, source in [*((h, f"--host {h}") for h in hosts), *((h, f"audit log {p}") for h, p in log_hosts)]:
        verdict = policy.check(text)
        if not verdict.host:
            continue
        if verdict.verdict == "deny":
            plan.left_out.append(f"{source}: denied by {verdict.rule}")
        elif not any(r.fqdn == verdict.host or r.name == verdict.host for r in plan.rules):
            _add(plan, resolver, policy, source, verdict.host, None, verdict.verdict)
    plan.limits += _limits(spec)
    return plan


def _add(plan, resolver, policy, source, name, network, verdict) -> None:
    if network is not None:
        plan.rules.append(EgressRule(source, name, verdict, (str(network),)))
    elif any(ch in name for ch in "*?["):
        plan.rules.append(EgressRule(source, name, verdict, pattern=name))
    elif policy.decide(name).verdict == "deny":  # allow.hosts lists it, deny.hosts wins (engine order)
        plan.left_out.append(f"{source}: {name} is denied by {policy.decide(name).rule}")
    else:
        networks, note = resolver(name)
        plan.rules.append(EgressRule(source, name, verdict, networks, fqdn=name, note=note))


class _Resolver:
    def __init__(self, policy: Policy, resolve: bool, today: str):
        self.overrides, self.resolve, self.today = policy.resolve_overrides, resolve, today

    def __call__(self, name: str) -> tuple[tuple[str, ...], str]:
        addresses = self.overrides.get(name)
        if addresses:
            return tuple(_cidr(a) for a in addresses), "the policy's resolve: " + ", ".join(addresses)
        if is_ip(name):
            return (_cidr(name),), ""
        if not self.resolve:
            return (), "not resolved (--no-resolve)"
        try:
            found = sorted({info[4][0] for info in socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)})
        except OSError as exc:
            return (), f"did not resolve ({exc.strerror or exc})"
        return tuple(_cidr(a) for a in found), f"resolved {self.today} to {', '.join(found)}; addresses change"



def _cidr(address: str) -> str:
    return str(ipaddress.ip_network(address))


def _limits(spec) -> list[str]:
    out = []
    places = [*(c for c in spec.allow_countries), *(c for c in spec.allow_providers)]
    if places:
        listed = ", ".join(str(c) for c in places)
        out.append(f"{listed}: a country or a provider is not a list of addresses; only the destinations named "
                   "here are opened. Add the hosts the job uses with --host, or --from-log after a run under "
                   "`fence run --mode audit` (each is checked against the policy).")
    for name, action in (("unknown_hosts", spec.unknown_hosts), ("direct_ip", spec.direct_ip)):
        if action != "deny":
            out.append(f"{name}: {action} cannot be expressed by a default-deny firewall; these rules drop such "
                       "destinations (stricter than the policy).")
    if spec.mode == "audit":
        out.append("mode: audit: a firewall does not log-and-allow what the policy denies; these rules drop it. "
                   "Apply them when the policy is enforced.")
    return out


def quoted(text: str) -> str:
    """A string as a double-quoted scalar that YAML and nft both read (JSON's quoting)."""
    return json.dumps(text, ensure_ascii=False)

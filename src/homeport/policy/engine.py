"""Deciding one destination: identify the host (policy declaration, else catalog), then apply the clauses.

Order, first match wins, each naming the clause in `Verdict.rule`:
1. `deny.hosts`, then `audit.hosts`, then `allow.hosts`: the explicit lists (globs or IP networks);
2. loopback (`localhost`, 127.0.0.0/8, ::1): `allow.loopback` (default true);
3. a host nobody identifies: `direct_ip` for an IP address, `unknown_hosts` for a name;
4. `deny.providers`; `deny.parent_jurisdictions` against the operator's jurisdiction and every parent's (an
   operator whose parents the catalog has not verified is denied: the rule fails closed);
5. a host that names no location (`*.blob.core.windows.net`): `unknown_hosts`, unless `allow.providers`
   alone (no `allow.countries`) lets its provider in;
6. `deny.countries`; then every allow clause given must agree: the provider in `allow.providers`, every
   country of the location in `allow.countries` (a multi-country region counts all of its countries);
7. nothing allows it: deny (a policy with no allow clause allows nothing).
`mode: audit` turns each deny into `audit` (logged, let through); `unknown_hosts`/`direct_ip: audit` do that
for their case in either mode.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from pathlib import Path

from homeport.catalog.countries import describe, expand
from homeport.catalog.endpoints import identify_host, normalize_host
from homeport.catalog.providers import Provider, find_provider, providers
from homeport.catalog.regions import Region, lookup_region
from homeport.core.errors import UsageError
from homeport.policy.spec import Clause, PolicySpec, parse_policy_spec, read_policy_file
from homeport.policy.targets import parse_target
from homeport.policy.verdict import Verdict

_CACHE_SIZE = 8192
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


@dataclass(frozen=True)
class _Identity:
    """What is known about a host before the policy judges it."""
    known: bool = False
    provider: str = ""
    region: str = ""
    country: str = ""  # ISO code or group; "" when not located
    jurisdiction: str = ""
    parents: tuple[str, ...] | None = ()  # None: not verified
    catalog_row: str = ""
    evidence: tuple[str, ...] = ()
    unlocated: str = ""  # why the location is unknown

    @property
    def countries(self) -> frozenset[str]:
        return expand(self.country) if self.country else frozenset()

    @property
    def control(self) -> tuple[str, ...] | None:
        if self.parents is None:
            return None
        return tuple(dict.fromkeys(j for j in (self.jurisdiction, *self.parents) if j))

    def where(self, host: str) -> str:
        """`s3.gra.io.cloud.ovh.net (ovhcloud, region gra, FR (France))`."""
        facts = [f for f in (self.provider, self.region and f"region {self.region}",
                             self.country and describe(self.country)) if f]
        return f"{host} ({', '.join(facts)})" if facts else host


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])  # fe80::1%eth0
    except ValueError:
        return None


def _identify(spec: PolicySpec, host: str, address) -> _Identity:
    declared = next((d for d in spec.declarations if d.clause.matches(host, address)), None)
    match = identify_host(host) if address is None else None
    provider_key = (declared.provider if declared else "") or (match.provider if match else "")
    provider = providers().get(provider_key)
    evidence = []
    if match and match.place:
        evidence.append(_region_row(match.place))
    if provider:
        evidence.append(_provider_row(provider))
    if declared:
        parents = declared.parent_jurisdictions
        if parents is None:
            parents = provider.parent_jurisdictions if provider else ()
        if match:
            evidence.insert(0, f"catalog: {match.endpoint.cite()}")
        return _Identity(True, provider_key, declared.region or (match.region if match else ""), declared.country,
                         provider.operator_jurisdiction if provider else "", parents,
                         f"{spec.name}: {declared.clause.field}" + (f" ({declared.note})" if declared.note else ""),
                         tuple(evidence))
    if match is None:
        return _Identity()
    if match.country:
        unlocated = ""
    elif match.region:
        unlocated = f"the catalog has no region {match.region!r} for {match.provider}"
    else:
        note = match.endpoint.note
        unlocated = f"the host names no location{f' ({note})' if note else ''}"
    return _Identity(True, match.provider, match.region, match.country, provider.operator_jurisdiction,
                     provider.parent_jurisdictions, match.endpoint.cite(), tuple(evidence), unlocated)


def _region_row(place: Region) -> str:
    """`regions.csv:24 aws/eu-west-1 -> IE [source; as of date]`: how a verdict cites a region row."""
    return (f"{place.ref} {place.provider}/{place.region} -> {place.country}{' ' + place.city if place.city else ''}"
            f" [{place.source}; as of {place.as_of}]")


def _provider_row(provider: Provider) -> str:
    return f"{provider.ref} {provider.describe()} [{provider.source}; as of {provider.as_of}]"


def _locate(provider_name: str, region: str) -> _Identity:
    """What the catalog knows about a provider's region, keyed by the pair (research s3.3)."""
    provider = find_provider(provider_name)
    if provider is None:
        return _Identity()
    place = lookup_region(provider.provider, region) if region else None
    provider_row = _provider_row(provider)
    if place is None:
        unlocated = f"the catalog has no region {region!r} for {provider.provider}" if region else "no region given"
        return _Identity(True, provider.provider, region, "", provider.operator_jurisdiction,
                         provider.parent_jurisdictions, provider_row, (), unlocated)
    return _Identity(True, provider.provider, place.region, place.country, provider.operator_jurisdiction,
                     provider.parent_jurisdictions, _region_row(place), (provider_row,))


class Policy:
    """A checked policy. `decide(host, port)` is what the runtime guard calls at every name resolution
    (cached per host and port); `decide_location` and `check` explain a storage location or any target."""

    def __init__(self, spec: PolicySpec):
        self.spec = spec
        self._cache: dict[tuple[str, int | None], Verdict] = {}
        self._regions: dict[tuple[str, str], Verdict] = {}

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def mode(self) -> str:
        return self.spec.mode

    @property
    def resolve_overrides(self) -> dict[str, tuple[str, ...]]:
        """host -> addresses the runtime guard answers instead of DNS (tests, air-gapped sites)."""
        return dict(self.spec.resolve)

    @property
    def audit_log(self) -> str | None:
        return self.spec.audit_log

    def decide(self, host: str, port: int | None = None) -> Verdict:
        key = (host, port)
        found = self._cache.get(key)
        if found is None:
            name = normalize_host(host or "")
            if not name:
                raise UsageError("An empty host name cannot be checked.", expected="a host name or an IP address")
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            found = self._cache[key] = self._finish(_decide(self.spec, name), port)
        return found

    def decide_region(self, provider: str, region: str) -> Verdict:
        """A provider's region as code or infrastructure names it (`boto3.client("s3", region_name=...)`,
        `provider "aws" { region = var.region }`). The pair picks the catalog row, never the bare name:
        `eu-central-2` is Zurich at aws, Frankfurt at impossible-cloud. No host is involved, so the host lists
        and declarations do not apply; the provider and country clauses do, in the order of `decide`.
        `Verdict.host` is ""; `via` names the pair."""
        key = (provider.strip().lower(), region.strip())
        found = self._regions.get(key)
        if found is None:
            if len(self._regions) >= _CACHE_SIZE:
                self._regions.clear()
            found = self._regions[key] = self._finish(_decide_region(self.spec, *key), None)
        return found

    def decide_url(self, url: str) -> Verdict:
        return self.check(url if "://" in url else "https://" + url)

    def decide_location(self, location, config=None, env=None) -> Verdict:
        """A storage location (text as homeport reads it, or a data.locations.Location)."""
        return self.check(getattr(location, "text", location), config, env)

    def check(self, text: str, config=None, env=None) -> Verdict:
        """Any target `fence check` accepts: host, host:port, URL or storage location. `env`: the variables an
        `s3://` or `az://` location is resolved with (default: this process's; `{}` for a static reading)."""
        target = parse_target(text, config, env)
        if target.host is None:
            return Verdict("", None, "allow", "local", target.via, via=target.via)
        return replace(self.decide(target.host, target.port), via=target.via)

    def _finish(self, verdict: Verdict, port: int | None) -> Verdict:
        if self.spec.mode == "audit" and verdict.verdict == "deny":
            verdict = replace(verdict, verdict="audit", reason=verdict.reason + " Mode audit: logged, not blocked.")
        return replace(verdict, port=port)


def _verdict(host: str, who: _Identity, verdict: str, rule: str, reason: str) -> Verdict:
    return Verdict(host, None, verdict, rule, reason, who.provider, who.region, who.country, who.jurisdiction,
                   who.parents, who.catalog_row, who.evidence)


def _setting(host: str, who: _Identity, name: str, action: str, why: str) -> Verdict:
    hint = {"deny": "denied", "allow": "allowed", "audit": "let through and logged"}[action]
    todo = " Declare it under hosts: or list it in allow.hosts to decide otherwise." if action != "allow" else ""
    return _verdict(host, who, action, f"{name}: {action}", f"{who.where(host)}: {why}; {name} says {hint}.{todo}")


def _decide(spec: PolicySpec, host: str) -> Verdict:
    address = _address(host)
    who = _identify(spec, host, address)
    for clauses, action in ((spec.deny_hosts, "deny"), (spec.audit_hosts, "audit"), (spec.allow_hosts, "allow")):
        clause = next((c for c in clauses if c.matches(host, address)), None)
        if clause is not None:
            return _verdict(host, who, action, str(clause), f"{who.where(host)} matches {clause}.")
    if host in _LOOPBACK_NAMES or (address is not None and address.is_loopback):
        action = "allow" if spec.allow_loopback else "deny"
        return _verdict(host, who, action, f"allow.loopback: {str(spec.allow_loopback).lower()}",
                        f"{host} is this machine (loopback).")
    if not who.known:
        if address is not None:
            return _setting(host, who, "direct_ip", spec.direct_ip, "an IP address that no declaration names")
        return _setting(host, who, "unknown_hosts", spec.unknown_hosts,
                        "neither the catalog nor a declaration of the policy identifies this host")
    return _judge(spec, host, who)


def _decide_region(spec: PolicySpec, provider: str, region: str) -> Verdict:
    who = _locate(provider, region)
    label = providers()[who.provider].name if who.known else provider
    if not who.known:
        verdict = _setting(label, who, "unknown_hosts", spec.unknown_hosts,
                           f"the catalog has no provider {provider!r}")
    else:
        verdict = _judge(spec, label, who)
    return replace(verdict, host="", via=f"the {who.provider or provider} region {region}")


def _judge(spec: PolicySpec, host: str, who: _Identity) -> Verdict:
    where = who.where(host)
    for clause in spec.deny_providers:
        if who.provider in clause.members:
            return _verdict(host, who, "deny", str(clause),
                            f"{where} is operated by {who.provider}, which {clause} denies.")
    if spec.deny_parent_jurisdictions and (who.provider or who.parents):
        chain = who.control
        if chain is None:
            return _verdict(host, who, "deny", "deny.parent_jurisdictions",
                            f"{where}: the catalog has not verified who controls {who.provider}, so "
                            "deny.parent_jurisdictions cannot clear it (the rule fails closed).")
        for clause in spec.deny_parent_jurisdictions:
            hit = sorted(set(chain) & clause.members)
            if hit:
                parents = " ".join(who.parents) or "none"
                return _verdict(host, who, "deny", str(clause),
                                f"{where}: the operator or a parent is under {', '.join(hit)} law (operator in "
                                f"{who.jurisdiction or 'an undeclared country'}, parents in {parents}), "
                                f"which {clause} denies.")
    allowing_provider = _first(spec.allow_providers, who.provider)
    if not who.country:
        if allowing_provider is not None and not spec.allow_countries:
            return _verdict(host, who, "allow", str(allowing_provider),
                            f"{where} is {who.provider}'s, which {allowing_provider} allows wherever it is.")
        return _setting(host, who, "unknown_hosts", spec.unknown_hosts, who.unlocated)
    for clause in spec.deny_countries:
        hit = sorted(who.countries & clause.members)
        if hit:
            return _verdict(host, who, "deny", str(clause), f"{where} is in {', '.join(hit)}, which {clause} denies.")
    allowed_by: list[Clause] = []
    if spec.allow_providers and who.provider:
        if allowing_provider is None:
            listed = ", ".join(c.value for c in spec.allow_providers)
            return _verdict(host, who, "deny", "allow.providers",
                            f"{where}: {who.provider} is not among the allowed providers ({listed}).")
        allowed_by.append(allowing_provider)
    if spec.allow_countries:
        allowed = frozenset().union(*(c.members for c in spec.allow_countries))
        missing = sorted(who.countries - allowed)
        if missing:
            listed = ", ".join(c.value for c in spec.allow_countries)
            shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
            return _verdict(host, who, "deny", "allow.countries",
                            f"{where}: {shown} {'is' if len(missing) == 1 else 'are'} not among the allowed "
                            f"countries ({listed}).")
        allowed_by += [c for c in spec.allow_countries if c.members & who.countries]
    if not allowed_by:
        what = "the policy allows nothing" if _allows_nothing(spec) else "no allow clause covers it"
        return _verdict(host, who, "deny", "allow", f"{where}: {what}.")
    return _verdict(host, who, "allow", " + ".join(map(str, allowed_by)),
                    f"{where} is allowed by {' and '.join(map(str, allowed_by))}.")


def _first(clauses: tuple[Clause, ...], provider: str) -> Clause | None:
    return next((c for c in clauses if provider and provider in c.members), None)


def _allows_nothing(spec: PolicySpec) -> bool:
    return not (spec.allow_countries or spec.allow_providers or spec.allow_hosts or spec.audit_hosts)


def parse_policy(data, name: str = "<policy>") -> Policy:
    """A Policy from an already parsed document (a mapping; None or {} allows nothing)."""
    return Policy(parse_policy_spec(data, name))


def load_policy(path: str | Path) -> Policy:
    """The policy file at `path`, checked; PolicyError (exit 2) lists every bad field."""
    return parse_policy(read_policy_file(path), str(path))

"""The policy file: YAML read strictly, then checked field by field into a PolicySpec.

Every problem names the file and the field, says what was expected and what was got, and offers a likely
meaning where there is one (`policy.yaml: allow.countries[2]: expected an ISO 3166 code or a group (EU, EEA,
ADEQUACY), got 'Germny' (did you mean DE (Germany)?)`). All problems of a file are reported at once.

YAML is read with two guards a residency file needs: only `true`/`false` are booleans (YAML 1.1 reads
Norway's `NO` as false), and a key written twice is an error instead of a silent overwrite.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Mapping

import yaml

from homeport.catalog.countries import expand, groups, is_place, suggest
from homeport.catalog.endpoints import normalize_host
from homeport.catalog.providers import find_provider, providers
from homeport.core.errors import HomeportError

MODES = ("enforce", "audit")
ACTIONS = ("deny", "allow", "audit")
TOP_KEYS = ("version", "mode", "allow", "deny", "audit", "hosts", "unknown_hosts", "direct_ip", "resolve", "audit_log")
SECTION_KEYS = {
    "allow": ("countries", "providers", "hosts", "loopback"),
    "deny": ("countries", "providers", "hosts", "parent_jurisdictions"),
    "audit": ("hosts",),
}
DECLARATION_KEYS = ("country", "provider", "region", "parent_jurisdictions", "note")
_HOST_GLOB = re.compile(r"^[a-z0-9*?\[\]_.-]+$")
_IP_LIKE = re.compile(r"^[0-9a-f:.]+(/\d+)?$")


class PolicyError(HomeportError):
    """A policy file that cannot be used; `problems` holds one line per bad field. Exit 2 in the CLI."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(self.problems[0], hint="fix the policy; `homeport fence validate POLICY` checks it")

    def render(self) -> str:
        return "\n".join(self.problems) + f"\n  what to do: {self.hint}"


@dataclass(frozen=True)
class Clause:
    """One entry of a policy list and where it was written: `allow.countries[0]` = EU."""
    field: str
    value: str
    members: frozenset[str] = frozenset()  # the countries of a place, the provider key of a provider

    def __str__(self) -> str:
        return f"{self.field} ({self.value})"


@dataclass(frozen=True)
class HostClause(Clause):
    """A host glob (`*.pythonhosted.org`, `*` spans dots) or an IP network (`10.0.0.0/8`)."""
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None

    def matches(self, host: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        if self.network is not None:
            return address is not None and address.version == self.network.version and address in self.network
        return fnmatchcase(host, self.value)


@dataclass(frozen=True)
class Declaration:
    """`hosts: {"minio.internal.example": {country: DE}}`: a location for a host that encodes none."""
    clause: HostClause  # field `hosts['minio.internal.example']`
    country: str  # ISO code or group
    provider: str  # catalog key, "" when the host is not a catalog provider's
    region: str
    parent_jurisdictions: tuple[str, ...] | None  # None: not declared (the provider's, or none)
    note: str


@dataclass(frozen=True)
class PolicySpec:
    name: str  # the file as given, for messages
    mode: str = "enforce"
    allow_countries: tuple[Clause, ...] = ()
    allow_providers: tuple[Clause, ...] = ()
    allow_hosts: tuple[HostClause, ...] = ()
    allow_loopback: bool = True
    deny_countries: tuple[Clause, ...] = ()
    deny_providers: tuple[Clause, ...] = ()
    deny_hosts: tuple[HostClause, ...] = ()
    deny_parent_jurisdictions: tuple[Clause, ...] = ()
    audit_hosts: tuple[HostClause, ...] = ()
    declarations: tuple[Declaration, ...] = ()
    unknown_hosts: str = "deny"
    direct_ip: str = "deny"
    resolve: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    audit_log: str | None = None


# -- reading ------------------------------------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: the base class says so
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError("while reading a mapping", node.start_mark,
                                                        f"found the key {key!r} twice", key_node.start_mark)
        return super().construct_mapping(node, deep)


_BOOL = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {first: [r for r in resolvers if r[0] != _BOOL]
                                   for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def read_policy_file(path: str | Path) -> Any:
    """The YAML document of `path`; PolicyError for a missing file or broken YAML."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError([f"{name}: the policy file does not exist"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError([f"{name}: cannot read the policy file ({exc})"]) from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError([f"{name}: {where}not valid YAML: {problem}"]) from None


# -- checking -----------------------------------------------------------------------------------------

class _Problems:
    def __init__(self, name: str):
        self.name, self.lines = name, []

    def add(self, where: str, expected: str, got: Any, maybe: str = "") -> None:
        hint = f" (did you mean {maybe}?)" if maybe else ""
        self.lines.append(f"{self.name}: {where}: expected {expected}, got {_show(got)}{hint}")


class _Said(str):
    """A `got` that is a description, printed as is: got an unknown key."""


def _show(value: Any) -> str:
    if isinstance(value, _Said):
        return value
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _closest(word: Any, options) -> str:
    found = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return found[0] if found else ""


def _mapping(p: _Problems, value: Any, where: str, keys: tuple[str, ...]) -> Mapping:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        p.add(where or "the document", f"a mapping with the keys {', '.join(keys)}", value)
        return {}
    for key in value:
        if key not in keys:
            p.add(f"{where}.{key}" if where else str(key), f"one of the keys {', '.join(keys)}",
                  _Said("an unknown key"), _closest(key, keys))
    return value


def _list(p: _Problems, value: Any, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        p.add(where, "a list", value)
        return []
    return value


def _places(p: _Problems, value: Any, where: str) -> tuple[Clause, ...]:
    expected = f"an ISO 3166 code or a group ({', '.join(groups())})"
    out = []
    for i, item in enumerate(_list(p, value, where)):
        if isinstance(item, str) and is_place(item):
            out.append(Clause(f"{where}[{i}]", item, expand(item)))
        else:
            p.add(f"{where}[{i}]", expected, item, suggest(item) if isinstance(item, str) else "")
    return tuple(out)


def _providers(p: _Problems, value: Any, where: str) -> tuple[Clause, ...]:
    out = []
    for i, item in enumerate(_list(p, value, where)):
        found = find_provider(item) if isinstance(item, str) else None
        if found is None:
            p.add(f"{where}[{i}]", "a provider of the catalog (homeport/catalog/data/providers.csv)", item,
                  _closest(item, providers()))
        else:
            out.append(Clause(f"{where}[{i}]", item, frozenset({found.provider})))
    return tuple(out)


def _host_clause(p: _Problems, item: Any, where: str) -> HostClause | None:
    text = normalize_host(item) if isinstance(item, str) else ""
    if "://" in text or ("/" in text and not _IP_LIKE.match(text)):
        host = text.split("://", 1)[-1].split("/", 1)[0]
        p.add(where, "a host name, a glob or an IP network, not a URL", item, repr(host))
        return None
    if text and _IP_LIKE.match(text) and any(c.isdigit() for c in text) and ("." in text or ":" in text):
        try:
            return HostClause(where, text, network=ipaddress.ip_network(text, strict=False))
        except ValueError:
            pass  # a name like "1e100.net" that only looks numeric: a glob
    if not text or not _HOST_GLOB.match(text):
        p.add(where, "a host name, a glob (*.example.com) or an IP network (10.0.0.0/8)", item)
        return None
    return HostClause(where, text)


def _hosts(p: _Problems, value: Any, where: str) -> tuple[HostClause, ...]:
    clauses = (_host_clause(p, item, f"{where}[{i}]") for i, item in enumerate(_list(p, value, where)))
    return tuple(c for c in clauses if c is not None)


def _action(p: _Problems, value: Any, where: str) -> str:
    if value is None:
        return "deny"
    if value not in ACTIONS:
        p.add(where, f"one of {', '.join(ACTIONS)}", value, _closest(value, ACTIONS))
        return "deny"
    return value


def _declarations(p: _Problems, value: Any) -> tuple[Declaration, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        p.add("hosts", "a mapping of host -> {country: ...}", value)
        return ()
    out = []
    for host, spec in value.items():
        where = f"hosts[{host!r}]"
        clause = _host_clause(p, host, where)
        spec = _mapping(p, spec, where, DECLARATION_KEYS)
        country = spec.get("country")
        if not (isinstance(country, str) and is_place(country)):
            p.add(f"{where}.country", f"an ISO 3166 code or a group ({', '.join(groups())})", country,
                  suggest(country) if isinstance(country, str) else "")
            country = None
        provider = ""
        if spec.get("provider") is not None:
            found = find_provider(spec["provider"]) if isinstance(spec["provider"], str) else None
            if found is None:
                p.add(f"{where}.provider", "a provider of the catalog (providers.csv)", spec["provider"],
                      _closest(spec["provider"], providers()))
            else:
                provider = found.provider
        parents = None
        if "parent_jurisdictions" in spec:
            parents = tuple(m for c in _places(p, spec["parent_jurisdictions"], f"{where}.parent_jurisdictions")
                            for m in sorted(c.members))
        if clause is not None and country is not None:
            out.append(Declaration(clause, country, provider, str(spec.get("region") or ""), parents,
                                   str(spec.get("note") or "")))
    return tuple(out)


def _resolve(p: _Problems, value: Any) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        p.add("resolve", "a mapping of host -> IP address or list of IP addresses", value)
        return {}
    out = {}
    for host, addresses in value.items():
        where = f"resolve[{host!r}]"
        items = addresses if isinstance(addresses, list) else [addresses]
        good = []
        for i, item in enumerate(items):
            try:
                good.append(str(ipaddress.ip_address(str(item))))
            except ValueError:
                p.add(f"{where}[{i}]" if isinstance(addresses, list) else where, "an IP address", item)
        if not isinstance(host, str) or not host.strip():
            p.add(where, "a host name", host)
        else:
            out[normalize_host(host)] = tuple(good)
    return out


def parse_policy_spec(data: Any, name: str = "<policy>") -> PolicySpec:
    """A PolicySpec from a parsed document (`{}` or None: a policy that allows nothing); PolicyError lists
    every bad field."""
    p = _Problems(name)
    top = _mapping(p, data, "", TOP_KEYS)
    if data is not None and not isinstance(data, Mapping):
        raise PolicyError(p.lines)
    if top.get("version", 1) != 1:
        p.add("version", "1", top.get("version"))
    mode = top.get("mode", "enforce")
    if mode not in MODES:
        p.add("mode", f"one of {', '.join(MODES)}", mode, _closest(mode, MODES))
    allow = _mapping(p, top.get("allow"), "allow", SECTION_KEYS["allow"])
    deny = _mapping(p, top.get("deny"), "deny", SECTION_KEYS["deny"])
    audit = _mapping(p, top.get("audit"), "audit", SECTION_KEYS["audit"])
    loopback = allow.get("loopback", True)
    if not isinstance(loopback, bool):
        p.add("allow.loopback", "true or false", loopback)
    audit_log = top.get("audit_log")
    if audit_log is not None and not (isinstance(audit_log, str) and audit_log.strip()):
        p.add("audit_log", "a file path", audit_log)
    spec = PolicySpec(
        name=name, mode=mode if mode in MODES else "enforce",
        allow_countries=_places(p, allow.get("countries"), "allow.countries"),
        allow_providers=_providers(p, allow.get("providers"), "allow.providers"),
        allow_hosts=_hosts(p, allow.get("hosts"), "allow.hosts"),
        allow_loopback=loopback is True,
        deny_countries=_places(p, deny.get("countries"), "deny.countries"),
        deny_providers=_providers(p, deny.get("providers"), "deny.providers"),
        deny_hosts=_hosts(p, deny.get("hosts"), "deny.hosts"),
        deny_parent_jurisdictions=_places(p, deny.get("parent_jurisdictions"), "deny.parent_jurisdictions"),
        audit_hosts=_hosts(p, audit.get("hosts"), "audit.hosts"),
        declarations=_declarations(p, top.get("hosts")),
        unknown_hosts=_action(p, top.get("unknown_hosts"), "unknown_hosts"),
        direct_ip=_action(p, top.get("direct_ip"), "direct_ip"),
        resolve=_resolve(p, top.get("resolve")),
        audit_log=audit_log if isinstance(audit_log, str) else None,
    )
    if p.lines:
        raise PolicyError(p.lines)
    return spec

"""`assess --policy`: every destination a file names (assess/destinations.py) is judged by the residency
policy, and a verdict other than allow becomes a finding of the RES rule for its kind. The finding carries the
verdict (`Finding.residency`), and its message says it in words: the verdict, the policy clause that decided,
the reason, and the catalog rows behind it (file:line, source, as of).

Severity follows the verdict, not the target: deny is a blocker, audit (not allowed, let through and logged) a
warning; allow is no finding, or an info with `show_allowed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from homeport.assess.destinations import HOST, LOCATION, REGION, TELEMETRY, Destination
from homeport.core.errors import UsageError
from homeport.core.model import Severity

if TYPE_CHECKING:  # the policy package loads YAML and the catalog: only `assess --policy` needs it
    from homeport.policy import Policy, Verdict

SEVERITY = {"deny": Severity.BLOCKER, "audit": Severity.WARNING, "allow": Severity.INFO}
_VERDICT_WORDS = {"deny": "DENY", "audit": "AUDIT (not allowed; let through and logged)", "allow": "ALLOW"}
# Hadoop and fsspec spellings of the stores homeport reads locations of (policy/targets.py).
_SCHEMES = {"s3": "s3", "s3a": "s3", "s3n": "s3", "gs": "gs", "gcs": "gs", "az": "az", "abfs": "abfs",
            "abfss": "abfss", "wasb": "abfs", "wasbs": "abfss"}
_HOLES = set("{}$<>%")
_STATIC = {}  # no environment: what the files say is judged, not the variables of the machine that assesses


@dataclass(frozen=True)
class Residency:
    """What `assess --policy` runs with. `source`: the policy file, whose own host lists are decisions, not
    destinations (it is not judged when it lies in the assessed tree)."""

    policy: Policy
    show_allowed: bool = False
    source: Path | None = None

    @classmethod
    def of(cls, policy: Policy | str | Path, show_allowed: bool = False) -> Residency:
        """From a Policy or a policy file (PolicyError, exit 2, names every bad field)."""
        from homeport.policy import Policy, load_policy

        if isinstance(policy, Policy):
            return cls(policy, show_allowed)
        return cls(load_policy(policy), show_allowed, Path(policy).resolve())

    @property
    def name(self) -> str:
        return Path(self.policy.name).name

    def is_policy_file(self, path: Path) -> bool:
        """Whether `path` is the policy file: its host lists are decisions, not destinations."""
        return self.source is not None and path.resolve() == self.source


def judge(reporter, residency: Residency, rules: dict) -> None:
    """Report the destinations `reporter` collected, through the RES rule that judges each kind (`rules`:
    kind -> rule, those selected); then forget them, so a notebook cell is judged once."""
    destinations = reporter.destinations
    for d in destinations.judged():
        rule = rules.get(d.kind)
        verdict = decide(residency.policy, d) if rule else None
        if verdict is None or (verdict.verdict == "allow" and not residency.show_allowed):
            continue
        reporter.add(rule, d.line, d.column, d.end_line, d.end_column, message(d, verdict, residency.name),
                     severity=SEVERITY[verdict.verdict], residency=verdict)
    destinations.found.clear()


def decide(policy: Policy, d: Destination) -> Verdict | None:
    """The policy's verdict on one destination; None when it names nothing the policy can judge (a bucket
    built at run time, a scheme no store of homeport's reads)."""
    if d.kind == REGION:
        return policy.decide_region(d.provider, d.value)
    if d.kind in (HOST, TELEMETRY):
        return policy.decide(d.host, d.port)
    location = static_location(d.value)
    if location is None:
        return None
    try:
        return policy.check(location, config=_STATIC, env=_STATIC)
    except UsageError:  # a malformed URI (`abfss://x@host-outside-azure/...`): nothing to judge
        return None


def static_location(uri: str) -> str | None:
    """`s3a://b/k` -> `s3://b/k`; None for a URI whose bucket is built at run time (`s3://{bucket}/x`) or whose
    scheme homeport does not read (`adl://`)."""
    scheme, _, rest = uri.partition("://")
    scheme = _SCHEMES.get(scheme.lower())
    bucket = rest.split("/", 1)[0]
    if scheme is None or not bucket or _HOLES & set(bucket):
        return None
    return f"{scheme}://{rest}"


def message(d: Destination, v: Verdict, policy: str) -> str:
    """`<what> -> DENY by policy.yaml deny.parent_jurisdictions[0] (US): <reason> Catalog: <rows>.`"""
    rows = "; ".join(r for r in (d.row, v.catalog_row, *v.evidence) if r) or "no catalog row names it"
    return f"{_subject(d, v)} -> {_VERDICT_WORDS[v.verdict]} by {policy} {v.rule}: {v.reason} Catalog: {rows}."


def _subject(d: Destination, v: Verdict) -> str:
    note = f", {d.note}" if d.note else ""
    if d.kind == REGION:
        return f"`{d.value}` ({d.provider} region{note})"
    if d.kind == TELEMETRY:
        return f"`{d.value}()` talks to {d.host} unless {d.note} points it elsewhere"
    if d.kind == LOCATION:
        return f"`{d.value}` goes to {v.host} unless an endpoint is configured"
    return f"`{d.value}`" + (f" ({d.note})" if d.note else "")

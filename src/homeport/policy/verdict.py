"""A policy's answer about one destination, with what identified the host and which clause decided."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

VERDICTS = ("allow", "deny", "audit")  # audit: the policy does not allow it, and lets it through logged


@dataclass(frozen=True)
class Verdict:
    host: str  # normalized; "" for a local path
    port: int | None
    verdict: str  # allow | deny | audit
    rule: str  # the policy clause that decided: "allow.countries[0] (EU)", "unknown_hosts: deny"
    reason: str  # one or two sentences a person can act on
    provider: str = ""  # catalog key; "" when unknown
    region: str = ""
    country: str = ""  # ISO code, a group for a multi-country region, "" when the location is unknown
    jurisdiction: str = ""  # the operator's
    parent_jurisdictions: tuple[str, ...] | None = ()  # None: the catalog has not verified them
    catalog_row: str = ""  # the row (or policy declaration) that identified the host, with source and date
    evidence: tuple[str, ...] = ()  # the other rows read: region, provider
    via: str = ""  # how a URL or a storage location became this host

    @property
    def allowed(self) -> bool:
        """Whether the connection may proceed: allow, or audit (logged, not blocked)."""
        return self.verdict != "deny"

    def to_dict(self) -> dict:
        out = asdict(self)
        out["parent_jurisdictions"] = None if self.parent_jurisdictions is None else list(self.parent_jurisdictions)
        out["evidence"] = list(self.evidence)
        out["allowed"] = self.allowed
        return out

    def to_json(self, time: datetime | str | None = None, **extra) -> str:
        """One line of the JSONL audit log: time (UTC, ISO 8601; now unless given), host, port, provider,
        region, country, verdict, rule, reason, catalog_row, then `extra` (the runtime guard adds what asked:
        dns, connect, botocore or subprocess, the process id and what it saw)."""
        if time is None:
            time = datetime.now(timezone.utc)
        stamp = time.isoformat(timespec="milliseconds") if isinstance(time, datetime) else time
        return json.dumps({"time": stamp, "host": self.host, "port": self.port, "provider": self.provider,
                           "region": self.region, "country": self.country, "verdict": self.verdict,
                           "rule": self.rule, "reason": self.reason, "catalog_row": self.catalog_row, **extra},
                          ensure_ascii=False, separators=(",", ":"))

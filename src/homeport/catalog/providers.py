"""Who operates a destination, and which law reaches the operator (research/assessment-residency.md s3).

`providers.csv`, one row per operator:
- `provider` (the key every other table uses), `name`, `kind` (hyperscaler, sovereign-partner, cloud,
  neocloud, object-storage, saas), `hq_country`;
- `operator_jurisdiction`: the country whose law the operating company answers to;
- `parent` (in words) and `parent_jurisdictions`: the countries of the controlling parents up the chain,
  space-separated (`AT MX` for Exoscale), `none` when no controlling parent was found, `unverified` when
  nobody checked. The country of a data centre says nothing about this: a US parent brings the CLOUD Act
  to every region (research s0 item 9);
- `us_operations` (yes, no, unverified): US regions or a US entity, which is not a US parent but is a
  contract question; `aliases` (space-separated other spellings: rclone's provider names, `ovh`);
- `confidence`, `note`, `source`, `as_of`.

`certifications.csv`: provider, certification, scope, status (qualified, in-progress, reported, claimed,
unverified), note, source, as_of. A certification often covers some services or one region only (OVHcloud's
SecNumCloud, Outscale's cloudgouv region): read `scope` before relying on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from homeport.catalog.countries import countries
from homeport.catalog.rows import Row, read_rows

PROVIDERS_FILE = "providers.csv"
CERTIFICATIONS_FILE = "certifications.csv"
PROVIDER_COLUMNS = ("provider", "name", "kind", "hq_country", "operator_jurisdiction", "parent",
                    "parent_jurisdictions", "us_operations", "aliases", "confidence", "note", "source", "as_of")
CERTIFICATION_COLUMNS = ("provider", "certification", "scope", "status", "note", "source", "as_of")
KINDS = ("hyperscaler", "sovereign-partner", "cloud", "neocloud", "object-storage", "saas")
YES_NO = ("yes", "no", "unverified")
STATUSES = ("qualified", "in-progress", "reported", "claimed", "unverified")
NO_PARENT, UNVERIFIED = "none", "unverified"
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Certification:
    provider: str
    certification: str
    scope: str  # "" when the source names no narrower scope
    status: str
    note: str
    source: str
    as_of: str
    ref: str

    def describe(self) -> str:
        scope = f" for {self.scope}" if self.scope else ""
        return f"{self.certification}{scope} ({self.status})"


@dataclass(frozen=True)
class Provider:
    provider: str
    name: str
    kind: str
    hq_country: str
    operator_jurisdiction: str
    parent: str
    parent_jurisdictions: tuple[str, ...] | None  # () no controlling parent found; None: not verified
    us_operations: str
    aliases: tuple[str, ...]
    confidence: str
    note: str
    source: str
    as_of: str
    ref: str
    certifications: tuple[Certification, ...] = ()

    @property
    def control_jurisdictions(self) -> tuple[str, ...] | None:
        """The operator's jurisdiction and its parents', or None when the parents are not verified."""
        if self.parent_jurisdictions is None:
            return None
        return tuple(dict.fromkeys((self.operator_jurisdiction, *self.parent_jurisdictions)))

    @property
    def cloud_act_exposure(self) -> str:
        """"yes" when the operator or a parent is a US company, "no" when neither is, "unverified"."""
        if self.operator_jurisdiction == "US" or "US" in (self.parent_jurisdictions or ()):
            return "yes"
        return "unverified" if self.parent_jurisdictions is None else "no"

    def describe(self) -> str:
        """`OVHcloud: operator in FR, no controlling parent found, CLOUD Act exposure no`."""
        if self.parent_jurisdictions is None:
            parent = "parent not verified"
        elif not self.parent_jurisdictions:
            parent = "no controlling parent found"
        else:
            parent = f"parent {self.parent} ({' '.join(self.parent_jurisdictions)})"
        us_ops = ", has US operations" if self.us_operations == "yes" else ""
        return (f"{self.name}: operator in {self.operator_jurisdiction}, {parent}, "
                f"CLOUD Act exposure {self.cloud_act_exposure}{us_ops}")


def _jurisdictions(row: Row) -> tuple[str, ...] | None:
    cell = row["parent_jurisdictions"]
    if cell == UNVERIFIED:
        return None
    if cell == NO_PARENT:
        return ()
    codes = row.words("parent_jurisdictions")
    for code in codes:
        if code not in countries():
            raise row.bad("parent_jurisdictions", f"expected ISO 3166 codes, '{NO_PARENT}' or '{UNVERIFIED}', "
                          f"got {code!r}")
    return codes


def _certifications(path: str | Path | None, known: set[str]) -> dict[str, tuple[Certification, ...]]:
    out: dict[str, list[Certification]] = {}
    for row in read_rows(CERTIFICATIONS_FILE, CERTIFICATION_COLUMNS, required=("provider", "certification", "status"),
                         path=path):
        if row["provider"] not in known:
            raise row.bad("provider", f"{row['provider']!r} is not in {PROVIDERS_FILE}")
        if row["status"] not in STATUSES:
            raise row.bad("status", f"expected one of {', '.join(STATUSES)}, got {row['status']!r}")
        out.setdefault(row["provider"], []).append(Certification(
            row["provider"], row["certification"], row["scope"], row["status"], row["note"], row["source"],
            row["as_of"], row.ref))
    return {k: tuple(v) for k, v in out.items()}


def load(path: str | Path | None = None, certifications_path: str | Path | None = None) -> dict[str, Provider]:
    """provider -> Provider, from the packaged tables or the given copies; a bad row raises CatalogError
    naming the file, the line and the field."""
    rows = read_rows(PROVIDERS_FILE, PROVIDER_COLUMNS, path=path, required=(
        "provider", "name", "kind", "hq_country", "operator_jurisdiction", "parent_jurisdictions", "us_operations",
        "confidence"))
    out: dict[str, Provider] = {}
    for row in rows:
        key = row["provider"]
        if not _KEY.match(key):
            raise row.bad("provider", f"expected a lower-case key (letters, digits, '-'), got {key!r}")
        if key in out:
            raise row.bad("provider", f"{key!r} is listed twice (first at {out[key].ref})")
        if row["kind"] not in KINDS:
            raise row.bad("kind", f"expected one of {', '.join(KINDS)}, got {row['kind']!r}")
        for column in ("hq_country", "operator_jurisdiction"):
            if row[column] not in countries():
                raise row.bad(column, f"expected an ISO 3166 alpha-2 code, got {row[column]!r}")
        if row["us_operations"] not in YES_NO:
            raise row.bad("us_operations", f"expected one of {', '.join(YES_NO)}, got {row['us_operations']!r}")
        out[key] = Provider(key, row["name"], row["kind"], row["hq_country"], row["operator_jurisdiction"],
                            row["parent"], _jurisdictions(row), row["us_operations"], row.words("aliases"),
                            row["confidence"], row["note"], row["source"], row["as_of"], row.ref)
    certs = _certifications(certifications_path, set(out))
    return {k: replace(p, certifications=certs.get(k, ())) for k, p in out.items()}


@lru_cache(maxsize=1)
def providers() -> dict[str, Provider]:
    return load()


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Every spelling -> key: the key, its aliases, and both without '-' (rclone writes ImpossibleCloud)."""
    out: dict[str, str] = {}
    for key, p in providers().items():
        for name in (key, *p.aliases):
            out.setdefault(name, key)
            out.setdefault(name.replace("-", ""), key)
    return out


def find_provider(name: str) -> Provider | None:
    """The provider a user or a config file names: `OVH`, `ovhcloud`, `ImpossibleCloud`, `Open Telekom Cloud`."""
    if not name:
        return None
    spelled = re.sub(r"[\s_]+", "-", name.strip().lower())
    key = _names().get(spelled) or _names().get(spelled.replace("-", ""))
    return providers()[key] if key else None

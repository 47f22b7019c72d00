"""Hyperscaler regions and GPU instance types (research/assessment-residency.md section 3.1).

`regions.csv`: provider, region, country (ISO 3166 alpha-2), city, source, as_of. The key is the
pair (provider, region), never the bare region string: `eu-central-2` is Zurich at AWS and
Frankfurt at Impossible Cloud (research section 3.3).

`provider_regions.csv`: the same key for every other provider of providers.csv (European clouds, US object
stores with European regions, SaaS) and for hyperscaler multi-regions: provider, region, country, city,
confidence, note, source, as_of. Its country cell may name a group of countries.py (`gcp`/`eu` -> `EU`): the
data is somewhere in the group. `lookup_region` reads both files.

`instance_types.csv`: provider, instance_type, accelerator, accelerator_count,
accelerator_memory_gib, source, as_of. Memory is per accelerator, as the provider's page states it
(providers write "GB" for what is GiB-sized HBM; the number is kept as written). SageMaker's
`ml.<type>` names are the EC2 type with a prefix and are looked up without it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from homeport.catalog.countries import is_place
from homeport.catalog.libraries import read_csv
from homeport.catalog.providers import PROVIDERS_FILE, providers
from homeport.catalog.rows import read_rows

PROVIDERS = ("aws", "azure", "gcp")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Region:
    provider: str
    region: str
    country: str  # ISO 3166 alpha-2; in provider_regions.csv possibly a group (EU)
    city: str
    source: str
    as_of: str
    ref: str = ""  # `regions.csv:19`
    confidence: str = "verified"
    note: str = ""


@dataclass(frozen=True)
class InstanceType:
    provider: str
    instance_type: str
    accelerator: str
    accelerator_count: int
    accelerator_memory_gib: float
    source: str
    as_of: str

    def describe(self) -> str:
        """`8x A100 (40 GiB each)`."""
        return f"{self.accelerator_count}x {self.accelerator} ({self.accelerator_memory_gib:g} GiB each)"


def _check(name: str, row: dict, number: int) -> None:
    where = f"{name}, line {number}"
    if row["provider"] not in PROVIDERS:
        raise ValueError(f"{where}: provider must be one of {PROVIDERS}, got {row['provider']!r}")
    if not row["source"].strip():
        raise ValueError(f"{where}: every row needs its source")
    if not _DATE.match(row["as_of"]):
        raise ValueError(f"{where}: as_of must be a date (YYYY-MM-DD), got {row['as_of']!r}")


@lru_cache(maxsize=1)
def regions() -> tuple[Region, ...]:
    out = []
    for number, row in enumerate(read_csv("regions.csv"), start=2):
        _check("regions.csv", row, number)
        if not _COUNTRY.match(row["country"]):
            raise ValueError(f"regions.csv, line {number}: country must be an ISO 3166 alpha-2 code, "
                             f"got {row['country']!r}")
        out.append(Region(row["provider"], row["region"], row["country"], row["city"], row["source"],
                          row["as_of"], f"regions.csv:{number}"))
    return tuple(out)


PROVIDER_REGIONS_FILE = "provider_regions.csv"
PROVIDER_REGION_COLUMNS = ("provider", "region", "country", "city", "confidence", "note", "source", "as_of")


def load_provider_regions(path: str | Path | None = None) -> tuple[Region, ...]:
    """provider_regions.csv (or a copy at `path`), checked against providers.csv, the countries and groups, and
    regions.csv: a (provider, region) pair is defined once across both files."""
    seen = {(r.provider, r.region): r.ref for r in regions()}
    out = []
    for row in read_rows(PROVIDER_REGIONS_FILE, PROVIDER_REGION_COLUMNS, path=path,
                         required=("provider", "region", "country", "confidence")):
        if row["provider"] not in providers():
            raise row.bad("provider", f"{row['provider']!r} is not in {PROVIDERS_FILE}")
        if not is_place(row["country"]):
            raise row.bad("country", f"expected an ISO 3166 code or a country group, got {row['country']!r}")
        key = (row["provider"], row["region"].lower())
        if key in seen:
            raise row.bad("region", f"{row['provider']}/{row['region']} is defined twice (first at {seen[key]})")
        seen[key] = row.ref
        out.append(Region(row["provider"], row["region"], row["country"], row["city"], row["source"], row["as_of"],
                          row.ref, row["confidence"], row["note"]))
    return tuple(out)


@lru_cache(maxsize=1)
def provider_regions() -> tuple[Region, ...]:
    return load_provider_regions()


@lru_cache(maxsize=1)
def _provider_region_index() -> dict[tuple[str, str], Region]:
    return {(r.provider, r.region.lower()): r for r in provider_regions()}


def lookup_region(provider: str, name: str) -> Region | None:
    """The region `name` at `provider`, in either file: hyperscaler spellings as find_region reads them, other
    providers' names compared without case. None when the catalog does not know the pair."""
    if provider in PROVIDERS:
        found = find_region(provider, name) if name else None
        if found is not None:
            return found
    return _provider_region_index().get((provider, name.strip().lower()))


def regions_of(provider: str) -> tuple[Region, ...]:
    return tuple(r for r in regions() if r.provider == provider)


def find_region(provider: str, name: str) -> Region | None:
    """The region called `name` at `provider`; Azure names compare without spaces or case
    (`West Europe` is `westeurope`), AWS availability zones map to their region (`eu-west-1a`)."""
    key = name.strip()
    if provider == "azure":
        key = key.replace(" ", "").lower()
    for region in regions_of(provider):
        if region.region == key:
            return region
    if provider == "aws" and key[-1:].isalpha() and key[:-1][-1:].isdigit():
        return find_region(provider, key[:-1])
    if provider == "gcp" and re.search(r"-[a-z]$", key):
        return find_region(provider, key[:-2])
    return None


@lru_cache(maxsize=1)
def instance_types() -> tuple[InstanceType, ...]:
    out = []
    for number, row in enumerate(read_csv("instance_types.csv"), start=2):
        _check("instance_types.csv", row, number)
        try:
            count, memory = int(row["accelerator_count"]), float(row["accelerator_memory_gib"])
        except ValueError as exc:
            raise ValueError(f"instance_types.csv, line {number}: accelerator_count and "
                             f"accelerator_memory_gib must be numbers ({exc})") from None
        out.append(InstanceType(row["provider"], row["instance_type"], row["accelerator"], count, memory,
                                row["source"], row["as_of"]))
    return tuple(out)


def _instance_key(provider: str, name: str) -> tuple[str, str]:
    key = name.strip()
    if provider == "aws" and key.startswith("ml."):
        key = key[3:]
    return provider, key.lower() if provider == "azure" else key


@lru_cache(maxsize=1)
def _instance_index() -> dict[tuple[str, str], InstanceType]:
    return {_instance_key(item.provider, item.instance_type): item for item in instance_types()}


def find_instance_type(provider: str | None, name: str) -> InstanceType | None:
    """The machine called `name` at `provider` (any provider when None): `ml.p4d.24xlarge` is the EC2
    `p4d.24xlarge` with SageMaker's prefix; Azure sizes compare without case."""
    index = _instance_index()
    for candidate in (provider,) if provider else PROVIDERS:
        found = index.get(_instance_key(candidate, name))
        if found is not None:
            return found
    return None

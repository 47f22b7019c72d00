"""Which imports and SDK clients are which services (catalog/data/services.csv)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from homeport.catalog.libraries import read_csv


@dataclass(frozen=True)
class Service:
    component: str  # cloud-service, experiment-tracking, distributed
    name: str
    provider: str
    source: str


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, Service], dict[str, Service]]:
    imports, boto3 = {}, {}
    for row in read_csv("services.csv"):
        table = imports if row["match_kind"] == "import" else boto3
        table[row["match"]] = Service(row["component"], row["name"], row["provider"], row["source"])
    return imports, boto3


def service_for_import(module: str) -> Service | None:
    """The most specific entry for a module: `google.cloud.storage.blob` -> Google Cloud Storage."""
    imports, _ = _tables()
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        found = imports.get(".".join(parts[:end]))
        if found:
            return found
    return None


def service_for_boto3(service_name: str) -> Service | None:
    return _tables()[1].get(service_name)

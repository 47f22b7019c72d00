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
def _tables() -> dict[str, dict[str, Service]]:
    """match_kind (import, boto3, terraform) -> match -> service."""
    tables: dict[str, dict[str, Service]] = {}
    for row in read_csv("services.csv"):
        tables.setdefault(row["match_kind"], {})[row["match"]] = Service(
            row["component"], row["name"], row["provider"], row["source"])
    return tables


def _longest_prefix(table: dict[str, Service], name: str, sep: str) -> Service | None:
    parts = name.split(sep)
    for end in range(len(parts), 0, -1):
        found = table.get(sep.join(parts[:end]))
        if found:
            return found
    return None


def service_for_import(module: str) -> Service | None:
    """The most specific entry for a module: `google.cloud.storage.blob` -> Google Cloud Storage."""
    return _longest_prefix(_tables()["import"], module, ".")


def service_for_boto3(service_name: str) -> Service | None:
    return _tables()["boto3"].get(service_name)


def service_for_terraform(resource_type: str) -> Service | None:
    """`aws_s3_bucket_versioning` -> AWS S3 (the longest known prefix of the resource type)."""
    return _longest_prefix(_tables()["terraform"], resource_type, "_")

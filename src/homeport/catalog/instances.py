"""Instance and machine types -> accelerator model and count (catalog/data/instance_types.csv)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from homeport.catalog.libraries import read_csv


@dataclass(frozen=True)
class InstanceType:
    provider: str
    instance_type: str
    accelerator: str
    accelerator_count: int
    source: str
    as_of: str


@lru_cache(maxsize=1)
def _table() -> dict[str, InstanceType]:
    out = {}
    for row in read_csv("instance_types.csv"):
        item = InstanceType(row["provider"], row["instance_type"], row["accelerator"],
                            int(row["accelerator_count"] or 0), row["source"], row["as_of"])
        out[item.instance_type.lower()] = item
    return out


def instance_type(name: str) -> InstanceType | None:
    """`ml.p4d.24xlarge` and `p4d.24xlarge` are the same machine (SageMaker's `ml.` prefix)."""
    key = name.lower()
    table = _table()
    return table.get(key) or (table.get(key[3:]) if key.startswith("ml.") else None)

"""What a Kubernetes pod asks for to land on each target's accelerator (`k8s_accelerators.csv`).

One row per concrete target (`portable` has none):
- `device_resource`: the extended resource the vendor's device plugin advertises (`amd.com/gpu`);
  empty for `cpu`, which asks for none;
- `node_label`: one `key=value` label that nodes with the accelerator carry (node feature discovery or
  the vendor's operator); empty where none is recorded;
- `runtime_class`: the RuntimeClass the pod needs (empty: the default runtime does);
- `rdma_resource`: the RDMA device resource a multi-node job asks for instead of AWS EFA (empty: none
  recorded, or the accelerator scales out over its own links);
- `notes`, `source` and `as_of`; "unverified" in `source` marks what was not checked on a cluster.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from homeport.catalog.libraries import read_csv
from homeport.catalog.targets import every_target, row_for, table_row
from homeport.core.model import Target

K8S_FILE = "k8s_accelerators.csv"
_NAME = r"(?:[a-z0-9.-]+/)?[A-Za-z0-9][A-Za-z0-9_.-]*"
_RESOURCE = re.compile(rf"^{_NAME}$")
_LABEL = re.compile(rf"^{_NAME}=[A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class K8sAccelerator:
    target: Target
    device_resource: str
    node_label: tuple[str, str] | None  # (key, value)
    runtime_class: str
    rdma_resource: str
    notes: str
    source: str
    as_of: str


def parse_k8s(rows: list[dict], file: str = K8S_FILE) -> dict[Target, K8sAccelerator]:
    out: dict[Target, K8sAccelerator] = {}
    for number, row in enumerate(rows, start=2):
        target, value, bad = table_row(file, number, row, out)
        for field in ("device_resource", "rdma_resource"):
            if value[field] and not _RESOURCE.match(value[field]):
                raise bad(field, "a resource name such as amd.com/gpu")
        if value["node_label"] and not _LABEL.match(value["node_label"]):
            raise bad("node_label", "key=value")
        label = tuple(value["node_label"].split("=", 1)) if value["node_label"] else None
        out[target] = K8sAccelerator(target, value["device_resource"], label, value["runtime_class"],
                                     value["rdma_resource"], value["notes"], value["source"], value["as_of"])
    return every_target(file, out)


@lru_cache(maxsize=1)
def k8s_accelerators() -> dict[Target, K8sAccelerator]:
    return parse_k8s(read_csv(K8S_FILE))


def k8s_accelerator(target: Target | str) -> K8sAccelerator | None:
    """The row for a concrete target; None for `portable`."""
    return row_for(k8s_accelerators(), target)

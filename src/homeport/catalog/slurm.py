"""What a Slurm batch script asks for on each target (`slurm_accelerators.csv`), one row per concrete
target: `gres`, the generic resource name the site gives the accelerator (empty for `cpu`: no request);
`module`, the environment module that replaces `module load cuda` (empty: none recorded, the line is
left for a person); `notes`, `source`, `as_of`. GRES and module names are each site's choice: the
rows record the common one, and "unverified" says where it was not checked on a cluster."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from homeport.catalog.libraries import read_csv
from homeport.catalog.targets import every_target, row_for, table_row
from homeport.core.model import Target

SLURM_FILE = "slurm_accelerators.csv"


@dataclass(frozen=True)
class SlurmAccelerator:
    target: Target
    gres: str
    module: str
    notes: str
    source: str
    as_of: str


def parse_slurm(rows: list[dict], file: str = SLURM_FILE) -> dict[Target, SlurmAccelerator]:
    out: dict[Target, SlurmAccelerator] = {}
    for number, row in enumerate(rows, start=2):
        target, value, bad = table_row(file, number, row, out)
        for name in ("gres", "module"):
            if value[name] and not re.fullmatch(r"[A-Za-z0-9][\w.+/-]*", value[name]):
                raise bad(name, "a Slurm GRES or module name")
        out[target] = SlurmAccelerator(target, value["gres"], value["module"], value["notes"], value["source"],
                                       value["as_of"])
    return every_target(file, out)


@lru_cache(maxsize=1)
def slurm_accelerators() -> dict[Target, SlurmAccelerator]:
    return parse_slurm(read_csv(SLURM_FILE))


def slurm_accelerator(target: Target | str) -> SlurmAccelerator | None:
    """The row for a concrete target; None for `portable`."""
    return row_for(slurm_accelerators(), target)

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
from homeport.catalog.targets import every_target, row_for
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
        value = {k: (v or "").strip() for k, v in row.items()}
        where = f"{file}, line {number}"
        if value.get("target") not in {t.value for t in Target if t != Target.PORTABLE} \
                or Target(value["target"]) in out:
            raise ValueError(f"{where}, field 'target': expected each concrete target once, got {value.get('target')!r}")
        for name in ("gres", "module"):
            if value[name] and not re.fullmatch(r"[A-Za-z0-9][\w.+/-]*", value[name]):
                raise ValueError(f"{where}, field {name!r}: expected a Slurm GRES or module name, got {value[name]!r}")
        if not value["source"] or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value["as_of"]):
            raise ValueError(f"{where}: expected a source and an as_of date YYYY-MM-DD")
        target = Target(value["target"])
        out[target] = SlurmAccelerator(target, value["gres"], value["module"], value["notes"], value["source"],
                                       value["as_of"])
    return every_target(file, out)


@lru_cache(maxsize=1)
def slurm_accelerators() -> dict[Target, SlurmAccelerator]:
    return parse_slurm(read_csv(SLURM_FILE))


def slurm_accelerator(target: Target | str) -> SlurmAccelerator | None:
    """The row for a concrete target; None for `portable`."""
    return row_for(slurm_accelerators(), target)

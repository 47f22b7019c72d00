"""The accelerator-library support matrix (research/portability.md section 3)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

SUPPORT_LEVELS = ("yes", "partial", "no")
TARGET_COLUMNS = ("cuda", "rocm", "gaudi", "xpu", "npu", "cpu")


@dataclass(frozen=True)
class Library:
    library: str
    import_code: str
    package_code: str
    imports: tuple[str, ...]
    packages: tuple[str, ...]
    support: dict  # target column -> yes | partial | no
    alternative: str
    source: str
    as_of: str

    @property
    def portable(self) -> bool:
        """True when every target supports it fully: nothing to flag."""
        return all(level == "yes" for target, level in self.support.items() if target != "cuda")


def read_csv(name: str) -> list[dict]:
    with resources.files("homeport.catalog").joinpath("data", name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=1)
def libraries() -> tuple[Library, ...]:
    out = []
    for row in read_csv("library_support.csv"):
        support = {t: row[t] for t in TARGET_COLUMNS}
        bad = {t: v for t, v in support.items() if v not in SUPPORT_LEVELS}
        if bad:
            raise ValueError(f"library_support.csv, {row['library']}: support must be one of "
                             f"{SUPPORT_LEVELS}, got {bad}")
        out.append(Library(row["library"], row["import_code"], row["package_code"], tuple(row["imports"].split()),
                           tuple(row["packages"].split()), support, row["alternative"], row["source"],
                           row["as_of"]))
    return tuple(out)

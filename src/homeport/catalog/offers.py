"""GPU offers with their price (research/cost-performance.md s4.1, s4.2).

`gpu_offers.csv`: `provider`, `offer` (instance type or product), `accelerator` (a key of accelerators.csv),
`gpus_per_node`, `price_per_hour` with `price_unit` (`gpu`: per GPU-hour; `node`: per hour of the whole
offer of `gpus_per_node` GPUs), `currency`, `region`, `country` (ISO 3166 alpha-2; empty where the source
does not say), `purchase` (on-demand, spot, reserved), `confidence`, `note`, `source`, `as_of` (the date of
the figure where the source gives one, else the date it was read).

The unit is a column of its own and a per-node price needs its GPU count, so the classic per-GPU / per-node
mix-up cannot pass silently: every price reaches the model through `price_per_gpu_hour`. A provider whose
price was not found keeps a row with `price_per_hour` = `unverified` (and no unit or currency), so the
report can say "no price found" instead of leaving the provider out or guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from homeport.catalog import accelerators
from homeport.catalog.cells import CURRENCIES, choice, country, price, whole
from homeport.catalog.rows import Row, read_rows

FILE = "gpu_offers.csv"
COLUMNS = ("provider", "offer", "accelerator", "gpus_per_node", "price_per_hour", "price_unit", "currency", "region",
           "country", "purchase", "confidence", "note", "source", "as_of")
UNITS = ("gpu", "node")
PURCHASES = ("on-demand", "spot", "reserved")


@dataclass(frozen=True)
class GpuOffer:
    provider: str
    offer: str
    accelerator: str  # "" where no price (and so no chip) was found
    gpus_per_node: int | None  # None: sizes not recorded (per-GPU prices only)
    price_per_hour: float | None  # None: no price found
    price_unit: str  # "gpu" | "node" | "" without a price
    currency: str
    region: str
    country: str
    purchase: str
    confidence: str
    note: str
    source: str
    as_of: str
    line: int  # in the file, so a report can point at the row

    @property
    def priced(self) -> bool:
        return self.price_per_hour is not None

    @property
    def price_per_gpu_hour(self) -> float:
        """The one way a price enters the model: a node's price is divided by its GPU count."""
        if self.price_per_hour is None:
            raise ValueError(f"{self.provider} {self.offer}: no price found")
        return self.price_per_hour / self.gpus_per_node if self.price_unit == "node" else self.price_per_hour

    def cite(self) -> str:
        per = f"per {self.gpus_per_node}-GPU node" if self.price_unit == "node" else "per GPU-hour"
        price = f"{self.price_per_hour:g} {self.currency} {per}" if self.priced else "no price found"
        return f"{FILE} line {self.line}: {self.provider} {self.offer}, {price} [{self.source}; as of {self.as_of}]"


def parse(rows: list[Row]) -> tuple[GpuOffer, ...]:
    known = {a.accelerator for a in accelerators.accelerators()}
    out = []
    for row in rows:
        choice(row, "purchase", PURCHASES)
        if row["accelerator"] and row["accelerator"] not in known:
            raise row.bad("accelerator", f"is {row['accelerator']!r}, expected a key of accelerators.csv "
                          f"({', '.join(sorted(known))})")
        gpus = whole(row, "gpus_per_node", optional=True)
        amount = price(row, "price_per_hour")
        if amount is None:
            for col in ("price_unit", "currency"):
                if row[col]:
                    raise row.bad(col, "must be empty when no price was found")
        else:
            if not row["accelerator"]:
                raise row.bad("accelerator", "is empty: a priced offer names its accelerator")
            if choice(row, "price_unit", UNITS) == "node" and gpus is None:
                raise row.bad("gpus_per_node", "is empty: a price per node needs the node's GPU count")
            choice(row, "currency", CURRENCIES)
            if amount == 0:
                raise row.bad("price_per_hour", "is 0: a free GPU is a missing price; write unverified")
        out.append(GpuOffer(row["provider"], row["offer"], row["accelerator"], gpus, amount, row["price_unit"],
                            row["currency"], row["region"], country(row, "country"), row["purchase"],
                            row["confidence"], row["note"], row["source"], row["as_of"], row.line))
    return tuple(out)


def load(path: str | Path | None = None) -> tuple[GpuOffer, ...]:
    """The packaged table, or a user's copy at `path`; a bad row raises CatalogError naming file, line, field."""
    return parse(read_rows(FILE, COLUMNS, required=("provider", "offer", "price_per_hour", "purchase", "confidence"),
                           path=path))


@lru_cache(maxsize=1)
def offers() -> tuple[GpuOffer, ...]:
    return load()


def providers() -> tuple[str, ...]:
    return tuple(dict.fromkeys(o.provider for o in offers()))

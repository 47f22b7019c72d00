"""Object-storage prices per provider (research/cost-performance.md s4.3).

`storage_prices.csv`: `provider`, `product`, `price_per_gb_month` (decimal GB; `unverified` where the research
found no rate), `currency`, `base_per_month` and `included_gb` (a flat monthly fee that includes that many GB,
as Hetzner sells it; empty elsewhere), `confidence`, `note`, `source`, `as_of`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from homeport.catalog.cells import CURRENCIES, choice, number, price
from homeport.catalog.egress import NoPrice
from homeport.catalog.rows import Row, read_rows

FILE = "storage_prices.csv"
COLUMNS = ("provider", "product", "price_per_gb_month", "currency", "base_per_month", "included_gb", "confidence",
           "note", "source", "as_of")


@dataclass(frozen=True)
class StoragePrice:
    provider: str
    product: str
    price_per_gb_month: float | None  # None: unverified
    currency: str
    base_per_month: float | None
    included_gb: float | None
    confidence: str
    note: str
    source: str
    as_of: str
    line: int

    def monthly(self, gb: float) -> float:
        """What `gb` cost for one month; NoPrice where the volume needs a rate nobody found."""
        base, included = self.base_per_month or 0.0, self.included_gb or 0.0
        above = max(0.0, gb - included)
        if above and self.price_per_gb_month is None:
            held = f" above the {included:g} GB the base fee includes" if included else ""
            raise NoPrice(f"{self.provider}'s storage price{held} is unverified in the catalog: {self.note} "
                          f"[{self.source}; as of {self.as_of}]")
        return base + above * (self.price_per_gb_month or 0.0)

    def cite(self) -> str:
        price = ("unverified" if self.price_per_gb_month is None
                 else f"{self.price_per_gb_month:g} {self.currency}/GB-month")
        base = (f", {self.base_per_month:g} {self.currency} a month including {self.included_gb:g} GB"
                if self.base_per_month else "")
        return (f"{FILE} line {self.line}: {self.provider} {self.product}, {price}{base} "
                f"[{self.source}; as of {self.as_of}]")


def parse(rows: list[Row]) -> dict[str, StoragePrice]:
    out: dict[str, StoragePrice] = {}
    for row in rows:
        provider = row["provider"]
        if provider in out:
            raise row.bad("provider", f"{provider!r} is listed twice (line {out[provider].line}): keep one row")
        per_gb, base = price(row, "price_per_gb_month"), number(row, "base_per_month", optional=True)
        if per_gb is not None or base is not None:
            choice(row, "currency", CURRENCIES)
        if (base is None) != (not row["included_gb"]):
            raise row.bad("included_gb", "goes with base_per_month: give both or neither")
        out[provider] = StoragePrice(provider, row["product"], per_gb, row["currency"], base,
                                     number(row, "included_gb", optional=True), row["confidence"], row["note"],
                                     row["source"], row["as_of"], row.line)
    return out


def load(path: str | Path | None = None) -> dict[str, StoragePrice]:
    return parse(read_rows(FILE, COLUMNS, required=("provider", "product", "price_per_gb_month", "confidence"),
                           path=path))


@lru_cache(maxsize=1)
def storage_prices() -> dict[str, StoragePrice]:
    return load()


def storage_price(provider: str) -> StoragePrice:
    """The provider's row; NoPrice (a sentence) when the catalog has none."""
    found = storage_prices().get(provider)
    if found is None:
        raise NoPrice(f"the catalog has no storage price for {provider!r}")
    return found

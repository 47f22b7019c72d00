"""Internet egress list prices per provider (research/cost-performance.md s4.3), and what a copy costs.

The table is catalog/data/egress_prices.csv: one row per price tier of a provider's egress scope
("internet", or a narrower one such as "internet-standard-tier"). Tiers count the volume of one month,
in decimal units (1 GB = 10**9 bytes, 1 TB = 1000 GB); a provider that bills per 2**30 bytes charges up
to 7.4% more than these figures. The price column says "unverified" where the research found no rate.

Two figures answer two questions (research s4.4 item 3): the one-off migration, at list price and then
as the provider's exit waiver and the EU Data Act make it, and the ongoing egress of a month's volume.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path

FILE = "egress_prices.csv"
COLUMNS = ("provider", "scope", "tier_from_tb", "tier_to_tb", "price_per_gb", "currency", "free_tb_per_month",
           "exit_waiver", "waiver_note", "confidence", "note", "source", "as_of")
WAIVERS = ("yes", "no", "on-request", "unknown")
CONFIDENCE = ("reported", "unverified")
CURRENCIES = ("USD", "EUR")
UNVERIFIED = "unverified"
GB = Decimal(10**9)
TB_GB = Decimal(1000)

# The one rule that is not a provider's: kept here with its source and date, as the rows are.
EU_DATA_ACT_SWITCHING_BAN = date(2027, 1, 12)  # the day from which switching charges are banned
EU_DATA_ACT = ("EU Data Act (applies since 2025-09-12): until 2027-01-12 a provider may pass on only its own cost "
               "of the transfer when a customer switches away; from 2027-01-12 switching charges "
               "are banned (research/cost-performance.md s4.3: eudigitallaw.com; The Register 2025-09-10; "
               "as of 2026-11-27)")

NATIVE = {"gcs": "gcp", "azure": "azure"}  # Location.kind -> provider

# Spellings of a remote's `provider` field (rclone's among them) -> the catalog's provider.
ALIASES = {"amazon": "aws", "s3": "aws", "gcs": "gcp", "google": "gcp", "googlecloud": "gcp", "microsoft": "azure",
           "ovh": "ovhcloud", "otc": "open-telekom-cloud", "telekom": "open-telekom-cloud"}


@dataclass(frozen=True)
class Tier:
    from_tb: Decimal
    to_tb: Decimal | None  # None: open-ended
    price_per_gb: Decimal


@dataclass(frozen=True)
class Tariff:
    provider: str
    scope: str
    tiers: tuple[Tier, ...]  # empty when the price is unverified
    currency: str
    free_tb_per_month: Decimal | None
    exit_waiver: str
    waiver_note: str
    confidence: str
    note: str
    source: str
    as_of: str

    @property
    def priced(self) -> bool:
        return bool(self.tiers)


@dataclass(frozen=True)
class TierUse:
    from_tb: Decimal
    to_tb: Decimal | None
    gb: Decimal  # billed in this tier
    price_per_gb: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Cost:
    provider: str
    scope: str
    bytes: int
    list_price: Decimal
    currency: str
    tiers: tuple[TierUse, ...]
    free_gb: Decimal  # the monthly allowance taken off (0 unless asked for)
    confidence: str
    note: str
    source: str
    as_of: str

    def sentence(self) -> str:
        used = "; ".join(f"{_num(t.gb)} GB at {t.price_per_gb} {self.currency}/GB ({_tb(t.from_tb, t.to_tb)})"
                         for t in self.tiers)
        free = f", after {_num(self.free_gb)} GB free a month" if self.free_gb else ""
        caveat = f" (unverified: {self.note})" if self.confidence == UNVERIFIED else ""
        return (f"{money(self.list_price, self.currency)} at {self.provider}'s {self.scope} list price{caveat}"
                f"{free}: {used or 'nothing billed'} [{self.source}; as of {self.as_of}]")

    def to_dict(self) -> dict:
        return {"provider": self.provider, "scope": self.scope, "bytes": self.bytes,
                "list_price": float(self.list_price), "currency": self.currency,
                "tiers": [{"from_tb": float(t.from_tb), "to_tb": None if t.to_tb is None else float(t.to_tb),
                           "gb": float(t.gb), "price_per_gb": float(t.price_per_gb), "amount": float(t.amount)}
                          for t in self.tiers],
                "free_gb": float(self.free_gb), "confidence": self.confidence, "note": self.note, "source": self.source,
                "as_of": self.as_of}


class NoPrice(LookupError):
    """No usable price for a provider; str() is the sentence that says why."""


# -- the table ---------------------------------------------------------------------------------------

def load(path: str | Path | None = None) -> dict[tuple[str, str], Tariff]:
    """(provider, scope) -> Tariff, from `path` (default: the packaged table). A bad row raises ValueError
    naming the file, the line and the field."""
    if path is None:
        with resources.files("homeport.catalog").joinpath("data", FILE).open(encoding="utf-8") as fh:
            return _parse(fh, FILE)
    with open(path, encoding="utf-8") as fh:
        return _parse(fh, str(path))


@lru_cache(maxsize=1)
def tariffs() -> dict[tuple[str, str], Tariff]:
    return load()


def _parse(fh, name: str) -> dict[tuple[str, str], Tariff]:
    reader = csv.DictReader(fh)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise ValueError(f"{name}, line 1, field {missing[0]!r}: the column is missing (columns: {', '.join(COLUMNS)})")
    groups: dict[tuple[str, str], list[tuple[int, dict]]] = {}
    for row in reader:
        line = reader.line_num
        for col in ("provider", "scope", "tier_from_tb", "price_per_gb", "exit_waiver", "waiver_note", "confidence",
                    "source", "as_of"):
            if not (row[col] or "").strip():
                raise _bad(name, line, col, "is empty")
        _check_row(name, line, row)
        groups.setdefault((row["provider"].strip(), row["scope"].strip()), []).append((line, row))
    return {key: _tariff(name, rows) for key, rows in groups.items()}


def _check_row(name: str, line: int, row: dict) -> None:
    unverified = row["price_per_gb"].strip() == UNVERIFIED
    currency = row["currency"].strip()
    if currency not in CURRENCIES and (currency or not unverified):
        raise _bad(name, line, "currency", f"is {currency!r}, expected one of {CURRENCIES}")
    if row["exit_waiver"] not in WAIVERS:
        raise _bad(name, line, "exit_waiver", f"is {row['exit_waiver']!r}, expected one of {WAIVERS}")
    if row["confidence"] not in CONFIDENCE:
        raise _bad(name, line, "confidence", f"is {row['confidence']!r}, expected one of {CONFIDENCE}")
    if unverified and row["confidence"] != UNVERIFIED:
        raise _bad(name, line, "confidence", "must be unverified when price_per_gb is")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["as_of"]):
        raise _bad(name, line, "as_of", f"is {row['as_of']!r}, expected YYYY-MM-DD")
    _decimal(name, line, row, "free_tb_per_month", optional=True)


def _tariff(name: str, rows: list[tuple[int, dict]]) -> Tariff:
    first_line, first = rows[0]
    for line, row in rows[1:]:  # what describes the provider must not change from tier to tier
        for col in ("currency", "free_tb_per_month", "exit_waiver", "waiver_note", "confidence", "source", "as_of"):
            if row[col] != first[col]:
                raise _bad(name, line, col, f"differs from line {first_line} of the same provider and scope")
    tiers, expect = [], Decimal(0)
    unverified = any(r["price_per_gb"].strip() == UNVERIFIED for _, r in rows)
    for line, row in rows:
        if unverified and len(rows) > 1:
            raise _bad(name, line, "price_per_gb", "is unverified in a scope with several tiers: keep one row")
        lo = _decimal(name, line, row, "tier_from_tb")
        hi = _decimal(name, line, row, "tier_to_tb", optional=True)
        if lo != expect:
            raise _bad(name, line, "tier_from_tb", f"is {lo}, expected {expect} (tiers start at 0 and follow on)")
        if hi is not None and hi <= lo:
            raise _bad(name, line, "tier_to_tb", f"is {hi}, not above tier_from_tb {lo}")
        if hi is None and line != rows[-1][0]:
            raise _bad(name, line, "tier_to_tb", "is open-ended, but a later tier follows")
        if hi is not None and line == rows[-1][0]:
            raise _bad(name, line, "tier_to_tb", "must be empty in the last tier (open-ended)")
        expect = hi
        if not unverified:
            tiers.append(Tier(lo, hi, _decimal(name, line, row, "price_per_gb")))
    line = first_line
    return Tariff(first["provider"].strip(), first["scope"].strip(), tuple(tiers), first["currency"].strip(),
                  _decimal(name, line, first, "free_tb_per_month", optional=True), first["exit_waiver"],
                  first["waiver_note"], first["confidence"], first["note"], first["source"], first["as_of"])


def _decimal(name: str, line: int, row: dict, col: str, *, optional: bool = False) -> Decimal | None:
    text = (row[col] or "").strip()
    if not text and optional:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0:
        raise _bad(name, line, col, f"is {text!r}, expected a number >= 0")
    return value


def _bad(name: str, line: int, col: str, why: str) -> ValueError:
    return ValueError(f"{name}, line {line}, field {col!r}: {why}")


# -- who bills for reading a location ------------------------------------------------------------------

def provider_of(location) -> str:
    """"local", "aws" (s3:// through the standard AWS configuration), "gcp" (gs://), "azure" (az://, abfs://),
    the catalog's name for a remote's `provider` field, or "unknown"."""
    if location is None:
        return "unknown"
    kind = getattr(location, "kind", None)
    if kind == "local" or isinstance(location, (str, os.PathLike)):  # a store opened on a bare path
        return "local"
    if kind == "s3" and location.remote is None and location.endpoint_url is None:
        return "aws"
    if kind in NATIVE:  # gs://, az://: the scheme names the provider
        return NATIVE[kind]
    if getattr(location, "provider", None):
        name = re.sub(r"[\s_]+", "-", location.provider.strip().lower())
        return ALIASES.get(name.replace("-", ""), ALIASES.get(name, name))
    return "unknown"


def egress_cost(provider: str, nbytes: int, *, scope: str = "internet", monthly_free: bool = False) -> Cost:
    """List price of moving `nbytes` out of `provider` in one month, tier by tier. `monthly_free`: take the
    provider's free monthly allowance off the first bytes. Raises NoPrice when the catalog has no price."""
    tariff = tariffs().get((provider, scope))
    if tariff is None:
        known = sorted({p for p, _ in tariffs()})
        raise NoPrice(f"the catalog has no {scope} egress price for {provider!r} (it has {', '.join(known)})")
    if not tariff.priced:
        raise NoPrice(f"{provider}'s {scope} egress price is unverified in the catalog: {tariff.note} "
                      f"[{tariff.source}; as of {tariff.as_of}]")
    gb = Decimal(nbytes) / GB
    free = (tariff.free_tb_per_month or 0) * TB_GB if monthly_free else Decimal(0)
    used = []
    for tier in tariff.tiers:
        lo, hi = tier.from_tb * TB_GB, (gb if tier.to_tb is None else min(gb, tier.to_tb * TB_GB))
        billed = max(Decimal(0), hi - max(lo, free))
        if billed:
            used.append(TierUse(tier.from_tb, tier.to_tb, billed, tier.price_per_gb, billed * tier.price_per_gb))
    return Cost(provider, scope, nbytes, sum((t.amount for t in used), Decimal(0)), tariff.currency, tuple(used),
                min(free, gb), tariff.confidence, tariff.note, tariff.source, tariff.as_of)


# -- what a copy costs -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Estimate:
    provider: str  # who bills for reading the source
    status: str  # "priced" | "none" (nothing leaves a provider) | "unknown"
    migration: Cost | None  # the listed bytes at list price, in one month
    waiver: str  # what the provider's exit waiver makes of it
    data_act: str
    monthly: Cost | None  # the ongoing figure, when a monthly volume was given
    reason: str  # why there is no figure, when there is none
    caveat: str = ""

    def lines(self) -> list[str]:
        if self.migration is None:
            return [f"egress cost: not estimated ({self.reason})"]
        out = [f"egress cost, one-off migration: {self.migration.sentence()}",
               f"  with an exit waiver: {self.waiver}",
               f"  {self.data_act}"]
        if self.monthly is not None:
            out.append(f"egress cost, ongoing: {self.monthly.sentence()} per month")
        if self.caveat:
            out.append(f"  note: {self.caveat}")
        return out

    def to_dict(self) -> dict:
        return {"provider": self.provider, "status": self.status,
                "migration": self.migration.to_dict() if self.migration else None,
                "waiver": self.waiver, "data_act": self.data_act,
                "monthly": self.monthly.to_dict() if self.monthly else None, "reason": self.reason,
                "caveat": self.caveat}


def estimate(src_location, dst_location, nbytes: int, *, monthly_bytes: int | None = None) -> Estimate:
    """Egress for copying `nbytes` out of `src_location` to `dst_location` once, and for `monthly_bytes` a month."""
    src, dst = provider_of(src_location), provider_of(dst_location)
    if src == "local":
        why = "no egress: both local" if dst == "local" else \
            "no egress from the source: it is a local path; the catalog prices no cloud's ingress or your own link"
        return Estimate(src, "none", None, "", "", None, why)
    if src == "unknown":
        remote = getattr(src_location, "remote", None)
        why = (f"no price is known: the remote {remote!r} names no provider (set provider in [remotes.{remote}] "
               f"of homeport.toml or HOMEPORT_REMOTE_{remote.upper().replace('-', '_')}_PROVIDER)") if remote else \
            "no price is known: the source's provider is unknown"
        return Estimate(src, "unknown", None, "", "", None, why)
    try:
        migration = egress_cost(src, nbytes)
        monthly = egress_cost(src, monthly_bytes, monthly_free=True) if monthly_bytes is not None else None
    except NoPrice as e:
        return Estimate(src, "unknown", None, "", "", None, f"no price is known: {e}")
    tariff = tariffs()[(src, "internet")]
    if tariff.exit_waiver == "on-request":
        waiver = f"0 {tariff.currency} if granted: {tariff.waiver_note}"
    elif tariff.exit_waiver == "yes":
        waiver = f"0 {tariff.currency}: {tariff.waiver_note}"
    elif tariff.exit_waiver == "no":
        waiver = f"none: {tariff.waiver_note}; the list price stands"
    else:
        waiver = f"none known: {tariff.waiver_note}; the list price stands"
    caveat = (f"both ends are at {src}: the catalog holds only internet egress, and a copy that stays inside {src} "
              "may be billed otherwise") if dst == src else ""
    return Estimate(src, "priced", migration, f"{waiver} (as of {tariff.as_of})", EU_DATA_ACT, monthly, "", caveat)


def money(amount, currency: str) -> str:
    """`1,070.00 USD`: how every homeport report writes an amount (Decimal or float)."""
    return f"{amount:,.2f} {currency}"


def _num(gb: Decimal) -> str:
    if 0 < gb < 1:
        return f"{float(gb):.3g}"
    return f"{gb:,.3f}".rstrip("0").rstrip(".")


def _tb(lo: Decimal, hi: Decimal | None) -> str:
    if hi is None:
        return f"above {_num(lo)} TB" if lo else "any volume"
    return f"{_num(lo)}-{_num(hi)} TB"

"""Typed cells of a catalog row (rows.Row) for the price tables: each error names file, line and field."""

from __future__ import annotations

import math
import re

from homeport.catalog.rows import Row

UNVERIFIED = "unverified"  # in a price column: the research found no figure; never a guess
CURRENCIES = ("USD", "EUR")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def choice(row: Row, col: str, allowed: tuple[str, ...]) -> str:
    if row[col] not in allowed:
        raise row.bad(col, f"is {row[col]!r}, expected one of {', '.join(allowed)}")
    return row[col]


def number(row: Row, col: str, *, optional: bool = False) -> float | None:
    """A number >= 0; None for an empty optional cell."""
    if not row[col] and optional:
        return None
    try:
        value = float(row[col])
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise row.bad(col, f"is {row[col]!r}, expected a number >= 0")
    return value


def whole(row: Row, col: str, *, optional: bool = False) -> int | None:
    """A whole number >= 1; None for an empty optional cell."""
    if not row[col] and optional:
        return None
    if not row[col].isdigit() or int(row[col]) < 1:
        raise row.bad(col, f"is {row[col]!r}, expected a whole number >= 1")
    return int(row[col])


def price(row: Row, col: str) -> float | None:
    """A price, or None where the cell says `unverified`: then the row's confidence must say so too, so a
    missing figure can never pass for a checked one."""
    if row[col] == UNVERIFIED:
        if row["confidence"] != UNVERIFIED:
            raise row.bad("confidence", f"must be {UNVERIFIED} when {col} is")
        return None
    return number(row, col)


def country(row: Row, col: str) -> str:
    """An ISO 3166 alpha-2 code, or empty where the source does not say."""
    if row[col] and not _COUNTRY.match(row[col]):
        raise row.bad(col, f"is {row[col]!r}, expected an ISO 3166 alpha-2 code or nothing")
    return row[col]

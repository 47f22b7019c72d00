"""Countries (ISO 3166-1 alpha-2) and the groups a residency policy names: EU, EEA, ADEQUACY.

`countries.csv`: code, name, source, as_of (from the IANA tz database's iso3166.tab).
`country_groups.csv`: group, member (a country code, or another group: EEA includes EU), membership
(`full`, or `partial` for a member whose adequacy covers only some recipients, such as the US under the
Data Privacy Framework), confidence, note, source, as_of. A group expands to its full members only:
a partial member must be named on its own, so `ADEQUACY` never lets data reach the US by accident.

A region's country cell may hold a group too (GCP's `eu` multi-region): the data is somewhere in the group,
so a policy must allow every member before it allows the region.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from homeport.catalog.rows import read_rows
from homeport.core.errors import CatalogError

COUNTRIES_FILE = "countries.csv"
GROUPS_FILE = "country_groups.csv"
COUNTRY_COLUMNS = ("code", "name", "source", "as_of")
GROUP_COLUMNS = ("group", "member", "membership", "confidence", "note", "source", "as_of")
MEMBERSHIP = ("full", "partial")
# Codes people write that ISO 3166 does not use for the country they mean.
NOT_ISO = {"UK": "GB", "EL": "GR"}


@dataclass(frozen=True)
class Member:
    group: str
    member: str
    membership: str
    note: str
    source: str
    as_of: str
    ref: str


@lru_cache(maxsize=1)
def countries() -> dict[str, str]:
    """code -> name."""
    out = {}
    for row in read_rows(COUNTRIES_FILE, COUNTRY_COLUMNS, required=("code", "name")):
        if len(row["code"]) != 2 or not row["code"].isupper():
            raise row.bad("code", f"expected two capital letters, got {row['code']!r}")
        out[row["code"]] = row["name"]
    return out


def load_groups(path: str | Path | None = None) -> dict[str, tuple[Member, ...]]:
    """group -> its member rows, checked: every member a country or another group, no cycle."""
    rows = read_rows(GROUPS_FILE, GROUP_COLUMNS, required=("group", "member", "membership", "confidence"), path=path)
    names = {row["group"] for row in rows}
    out: dict[str, list[Member]] = {}
    for row in rows:
        if row["group"] in countries():
            raise row.bad("group", f"{row['group']!r} is a country code; a group needs another name")
        if row["member"] not in countries() and row["member"] not in names:
            raise row.bad("member", f"expected an ISO 3166 code or a group ({', '.join(sorted(names))}), "
                          f"got {row['member']!r}")
        if row["membership"] not in MEMBERSHIP:
            raise row.bad("membership", f"expected one of {', '.join(MEMBERSHIP)}, got {row['membership']!r}")
        out.setdefault(row["group"], []).append(Member(row["group"], row["member"], row["membership"], row["note"],
                                                       row["source"], row["as_of"], row.ref))
    groups = {k: tuple(v) for k, v in out.items()}
    for name in groups:
        _expand(groups, name, ())  # raises on a cycle
    return groups


@lru_cache(maxsize=1)
def groups() -> dict[str, tuple[Member, ...]]:
    return load_groups()


def _expand(groups: dict[str, tuple[Member, ...]], name: str, seen: tuple[str, ...]) -> frozenset[str]:
    if name in seen:
        member = groups[seen[-1]][0]
        raise CatalogError(f"{GROUPS_FILE}: the groups {' -> '.join((*seen, name))} include each other "
                         f"(see {member.ref})")
    out: set[str] = set()
    for m in groups[name]:
        if m.membership != "full":
            continue
        out |= _expand(groups, m.member, (*seen, name)) if m.member in groups else {m.member}
    return frozenset(out)


@lru_cache(maxsize=None)
def expand(place: str) -> frozenset[str]:
    """The countries a code or group stands for: `DE` -> {DE}; `EEA` -> the 27 EU states and IS, LI, NO.
    Raises KeyError for anything else."""
    if place in groups():
        return _expand(groups(), place, ())
    if place in countries():
        return frozenset({place})
    raise KeyError(place)


def is_place(text: str) -> bool:
    return text in countries() or text in groups()


def describe(place: str) -> str:
    """`FR (France)`, `EU (group of 27 countries)`."""
    if place in groups():
        return f"{place} (group of {len(expand(place))} countries)"
    return f"{place} ({countries().get(place, 'unknown')})"


def suggest(text: str) -> str:
    """A likely meaning of a wrong code or a country's name (`Germny` -> `DE (Germany)`), or ""."""
    raw = str(text).strip()
    if raw.upper() in NOT_ISO:
        return describe(NOT_ISO[raw.upper()])
    if raw.upper() in countries() or raw.upper() in groups():
        return describe(raw.upper())  # the right code in lower case
    by_name = {name.lower(): code for code, name in countries().items()}
    close = difflib.get_close_matches(raw.lower(), list(by_name), n=1, cutoff=0.75)
    return describe(by_name[close[0]]) if close else ""

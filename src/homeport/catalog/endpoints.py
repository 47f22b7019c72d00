"""Host name -> provider, region and country, from `endpoints.csv` (research/assessment-residency.md s3).

Each row is a host pattern of one provider: provider, host, region, service, addressing, confidence, note,
source, as_of. The key is (provider, host) and the region comes from the host, never from a bare region name:
`s3.eu-central-2.amazonaws.com` is Zurich, `eu-central-2.storage.impossibleapi.net` Frankfurt,
`s3.eu-central-2.ionoscloud.com` Berlin (research s3.3).

Host patterns, matched on whole lower-case labels:
- `<region>`: part of one label, looked up with the row's provider in regions.csv / provider_regions.csv;
- `<bucket>`: one or more labels (a virtual-hosted bucket may contain dots);
- `<name>`: part of one label (an account, a tenant, an instance);
- `*`: one or more labels.
The last two labels of a pattern are literal, which keeps lookups to the rows of one domain.

`region` is filled only in a pattern without `<region>`: the one region that host serves (`s3.amazonaws.com`
is us-east-1); empty, the host names no location (`<account>.blob.core.windows.net`, `s3.cubbit.eu`), and a
policy must declare it. `service`: object-storage, api, registry, cdn, tracking, model-hub, package-index,
code-hosting. `addressing`, for S3-style object storage: `path` (bucket in the path), `path-only` (the provider
refuses virtual-hosted requests: set botocore's `addressing_style='path'`), `virtual` (bucket in the host).

When several patterns match, the one whose region the catalog knows wins, then the one with more literal
characters: `bucket.s3.amazonaws.com` is the bucket row (region not encoded), not `*.<region>.amazonaws.com`
with a region called `s3`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from homeport.catalog.providers import PROVIDERS_FILE, providers
from homeport.catalog.regions import Region, lookup_region
from homeport.catalog.rows import Row, read_rows

FILE = "endpoints.csv"
COLUMNS = ("provider", "host", "region", "service", "addressing", "confidence", "note", "source", "as_of")
SERVICES = ("object-storage", "api", "registry", "cdn", "tracking", "model-hub", "package-index", "code-hosting")
ADDRESSING = ("", "path", "path-only", "virtual")
_PARTS = {
    "<region>": r"(?P<region>[a-z0-9-]+)",
    "<bucket>": r"(?P<bucket>[a-z0-9_][a-z0-9._-]*)",
    "<name>": r"[a-z0-9-]+",
    "*": r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*",
}
_TOKEN = re.compile("(" + "|".join(re.escape(p) for p in _PARTS) + ")")
_LITERAL = re.compile(r"^[a-z0-9.-]*$")


@dataclass(frozen=True)
class Endpoint:
    provider: str
    host: str  # the pattern as written
    region: str  # the region of a host that serves one; "" otherwise
    service: str
    addressing: str
    confidence: str
    note: str
    source: str
    as_of: str
    ref: str  # `endpoints.csv:12`
    pattern: re.Pattern = field(compare=False, repr=False)

    @property
    def literal_chars(self) -> int:
        return len(_TOKEN.sub("", self.host))

    def cite(self) -> str:
        """`endpoints.csv:33 s3.<region>.io.cloud.ovh.net [source; as of date]`, marked when unverified."""
        mark = ", unverified" if self.confidence == "unverified" else ""
        return f"{self.ref} {self.host} [{self.source}; as of {self.as_of}{mark}]"


@dataclass(frozen=True)
class HostMatch:
    """What the catalog knows about one host name."""
    host: str
    endpoint: Endpoint
    region: str  # from the host or the row; "" when the host names no location
    bucket: str  # "" unless the host carries one
    place: Region | None  # the region's row; None when the host names no region or the catalog lacks it

    @property
    def provider(self) -> str:
        return self.endpoint.provider

    @property
    def country(self) -> str:
        """ISO code or group; "" when the location is not known."""
        return self.place.country if self.place else ""


def _compile(row: Row) -> re.Pattern:
    host = row["host"]
    labels = host.split(".")
    if len(labels) < 2 or not all(_LITERAL.match(label) for label in labels[-2:]):
        raise row.bad("host", f"the last two labels must be literal (a domain), got {host!r}")
    literal = _TOKEN.split(host)
    for piece in literal[::2]:
        if not _LITERAL.match(piece):
            raise row.bad("host", f"expected lower-case letters, digits, '.', '-' and the placeholders "
                          f"{', '.join(_PARTS)}, got {host!r}")
    return re.compile("^" + "".join(_PARTS.get(p, re.escape(p)) for p in literal if p) + "$")


def load(path: str | Path | None = None) -> tuple[Endpoint, ...]:
    """The packaged table or a copy at `path`; a bad row raises CatalogError naming the file, line and field."""
    out, seen = [], {}
    for row in read_rows(FILE, COLUMNS, path=path, required=("provider", "host", "service", "confidence")):
        if row["provider"] not in providers():
            raise row.bad("provider", f"{row['provider']!r} is not in {PROVIDERS_FILE}")
        key = (row["provider"], row["host"])
        if key in seen:
            raise row.bad("host", f"{row['host']} of {row['provider']} is listed twice (first at {seen[key]})")
        seen[key] = row.ref
        if row["service"] not in SERVICES:
            raise row.bad("service", f"expected one of {', '.join(SERVICES)}, got {row['service']!r}")
        if row["addressing"] not in ADDRESSING:
            raise row.bad("addressing", f"expected one of path, path-only, virtual or nothing, "
                          f"got {row['addressing']!r}")
        if "<bucket>" in row["host"] and row["addressing"] != "virtual":
            raise row.bad("addressing", "a host with <bucket> is virtual-hosted: expected virtual")
        if "<region>" in row["host"] and row["region"]:
            raise row.bad("region", "must be empty: the host pattern carries <region>")
        if row["region"] and lookup_region(row["provider"], row["region"]) is None:
            raise row.bad("region", f"{row['provider']}/{row['region']} is in neither regions.csv nor "
                          "provider_regions.csv")
        out.append(Endpoint(row["provider"], row["host"], row["region"], row["service"], row["addressing"],
                            row["confidence"], row["note"], row["source"], row["as_of"], row.ref, _compile(row)))
    return tuple(out)


@lru_cache(maxsize=1)
def endpoints() -> tuple[Endpoint, ...]:
    return load()


def _domain(host: str) -> str:
    return ".".join(host.rsplit(".", 2)[-2:])


@lru_cache(maxsize=1)
def _by_domain() -> dict[str, tuple[Endpoint, ...]]:
    out: dict[str, list[Endpoint]] = {}
    for e in endpoints():
        out.setdefault(_domain(e.host), []).append(e)
    return {k: tuple(v) for k, v in out.items()}


def normalize_host(host: str) -> str:
    """Lower case, no trailing dot, no IPv6 brackets: the form every lookup uses."""
    return host.strip().lower().rstrip(".").removeprefix("[").removesuffix("]")


@lru_cache(maxsize=16384)
def identify_host(host: str) -> HostMatch | None:
    """The catalog's best reading of `host`, or None when no row matches. Cached: the runtime guard asks
    for every name a job resolves."""
    host = normalize_host(host)
    best, best_key = None, None
    for endpoint in _by_domain().get(_domain(host), ()):
        m = endpoint.pattern.match(host)
        if not m:
            continue
        groups = m.groupdict()
        region = groups.get("region") or endpoint.region
        place = lookup_region(endpoint.provider, region) if region else None
        key = (place is not None, endpoint.literal_chars)
        if best_key is None or key > best_key:
            best, best_key = HostMatch(host, endpoint, region, groups.get("bucket") or "", place), key
    return best


def path_style_only(provider: str) -> bool:
    """True when the provider refuses virtual-hosted S3 requests (IONOS, STACKIT, Outscale, Infomaniak)."""
    return any(e.provider == provider and e.addressing == "path-only" for e in endpoints())


def s3_endpoint(provider: str, region: str) -> str | None:
    """`https://s3.gra.io.cloud.ovh.net` for (ovhcloud, gra): the path-style S3 endpoint of a region the catalog
    knows, from the first row that serves it; None when there is none."""
    for e in endpoints():
        if e.provider != provider or e.service != "object-storage" or e.addressing not in ("path", "path-only"):
            continue
        if e.region == region and not _TOKEN.search(e.host):
            return f"https://{e.host}"
        if "<region>" in e.host and not _TOKEN.search(e.host.replace("<region>", "")) and \
                lookup_region(provider, region) is not None:
            return "https://" + e.host.replace("<region>", region)
    return None

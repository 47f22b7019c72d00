"""Tracking and model-hub SDK calls that talk to their vendor's SaaS host unless told otherwise
(`telemetry.csv`): `wandb.init()` streams a run to api.wandb.ai when WANDB_BASE_URL is not set.

Columns: `call` (a qualified name as the Python analyzer resolves it, import aliases included; `*` stands for
one or more dotted parts: `transformers.*.from_pretrained`), `host` (the default host, a host endpoints.csv
identifies, so a verdict cites that row), `setting` (what points the SDK elsewhere), `argument` (a regex:
when set, only calls whose first argument is a string literal matching it count, so that
`from_pretrained("./checkpoints/last")` reads a local directory and is not a Hub download), `confidence`,
`note`, `source`, `as_of`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from homeport.catalog.endpoints import identify_host
from homeport.catalog.rows import read_rows

FILE = "telemetry.csv"
COLUMNS = ("call", "host", "setting", "argument", "confidence", "note", "source", "as_of")


@dataclass(frozen=True)
class SdkHost:
    call: str
    host: str
    setting: str
    argument: re.Pattern | None
    note: str
    confidence: str
    source: str
    as_of: str
    ref: str  # `telemetry.csv:3`
    pattern: re.Pattern

    def cite(self) -> str:
        """`telemetry.csv:2 wandb.init -> api.wandb.ai [source; as of date]`, marked when unverified."""
        mark = ", unverified" if self.confidence == "unverified" else ""
        return f"{self.ref} {self.call} -> {self.host} [{self.source}; as of {self.as_of}{mark}]"

    def applies(self, first_argument: str | None) -> bool:
        """Whether a call with this first argument (None: not a string literal) goes to the host."""
        return self.argument is None or (first_argument is not None and bool(self.argument.match(first_argument)))


def load(path: str | Path | None = None) -> tuple[SdkHost, ...]:
    out = []
    for row in read_rows(FILE, COLUMNS, path=path, required=("call", "host", "setting", "confidence")):
        if identify_host(row["host"]) is None:
            raise row.bad("host", f"{row['host']!r} is not a host endpoints.csv identifies")
        try:
            argument = re.compile(row["argument"]) if row["argument"] else None
        except re.error as exc:
            raise row.bad("argument", f"not a regular expression ({exc})") from None
        pattern = re.compile(r"[\w.]+".join(re.escape(part) for part in row["call"].split("*")) + "$")
        out.append(SdkHost(row["call"], row["host"], row["setting"], argument, row["note"], row["confidence"],
                           row["source"], row["as_of"], row.ref, pattern))
    return tuple(out)


@lru_cache(maxsize=1)
def sdk_hosts() -> tuple[SdkHost, ...]:
    return load()


@lru_cache(maxsize=1)
def _roots() -> frozenset[str]:
    return frozenset(h.call.split(".", 1)[0] for h in sdk_hosts())


def find_sdk_host(qualname: str) -> SdkHost | None:
    """The row for a call (`wandb.init`, `transformers.AutoModel.from_pretrained`), or None."""
    if qualname.split(".", 1)[0] not in _roots():
        return None
    return next((h for h in sdk_hosts() if h.pattern.match(qualname)), None)

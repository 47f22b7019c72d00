"""What the fence tests share: the catalog names that lead to the local servers, the test policy, readers.

    ALLOWED = s3.gra.io.cloud.ovh.net     OVHcloud, Gravelines (FR), a French operator -> 127.0.0.2
    DENIED  = s3.eu-west-1.amazonaws.com  AWS, Ireland: an EU country, a US operator   -> 127.0.0.3

The test policy's `resolve:` section points the names at the servers (the fence's own name resolution applies
it; /etc/hosts is never touched).
"""

from __future__ import annotations

import json

import homeport.fence

ALLOWED, ALLOWED_IP = "s3.gra.io.cloud.ovh.net", "127.0.0.2"
DENIED, DENIED_IP = "s3.eu-west-1.amazonaws.com", "127.0.0.3"
RESOLVE = f"resolve:\n  {ALLOWED}: {ALLOWED_IP}\n  {DENIED}: {DENIED_IP}\n"
# EU countries, no operator under US law, loopback closed: the servers are reachable only through the names.
EU_NO_US = "allow:\n  countries: [EU]\n  loopback: false\ndeny:\n  parent_jurisdictions: [US]\n" + RESOLVE
LOG_FIELDS = ("time", "host", "port", "provider", "country", "verdict", "rule", "asked", "pid")


def read_log(fence) -> list[dict]:
    with open(fence.log_path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def violation_in(exc: BaseException | None):
    """The FenceViolation behind what a client raised (urllib3 and urllib wrap it), or None."""
    seen = set()
    todo = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, homeport.fence.FenceViolation):
            return item
        todo += [item.__cause__, item.__context__, getattr(item, "reason", None),
                 *(a for a in getattr(item, "args", ()) if isinstance(a, BaseException))]
    return None

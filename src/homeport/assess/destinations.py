"""Where a file sends a job's bytes, as `assess --policy` reads it: the destinations the RES rules judge.

The cloud rules already find regions and object-store URIs; a rule whose matches are destinations says
which (`Rule.destination`), and the analyzers hand its matches over (`Reporter.add(value=...)`). What no
cloud rule owns is read here, and only when a policy is given:
- URLs (`https://api.wandb.ai/graphql`, `AWS_ENDPOINT_URL_S3=https://s3.gra.io.cloud.ovh.net`);
- a setting whose whole value is a host the catalog knows (`endpoint: s3.gra.io.cloud.ovh.net`); an unknown
  bare name is too often a file or a module to judge;
- SDK calls that talk to their vendor's SaaS host by default (catalog/data/telemetry.csv).

An endpoint changes what a region means. A client given `endpoint_url` signs requests for `region_name` but
talks to the endpoint: `boto3.client("s3", region_name="eu-central-2", endpoint_url="https://eu-central-2.
storage.impossibleapi.net")` is Frankfurt, not AWS's Zurich. A settings file that sets `AWS_ENDPOINT_URL*` points
the AWS SDK elsewhere the same way, so the AWS region names in it are signing regions, not AWS's places.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from homeport.catalog.endpoints import identify_host
from homeport.catalog.telemetry import find_sdk_host

HOST, LOCATION, REGION, TELEMETRY = "host", "location", "region", "telemetry"

_URL = re.compile(r"\b(?:https?|wss?)://(?:[^/@\s\"'`]*@)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*"
                  r"[A-Za-z0-9])?)(?::(?P<port>\d{1,5}))?(?=[:/?#\s\"'`),;\]}>]|$)(?:\$\{[^}\s]*\}|[^\s\"'`<>)\]},;])*")
_HOSTNAME = r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
_HOST = re.compile(_HOSTNAME + r"\Z")
# `endpoint: s3.gra.io.cloud.ovh.net`, `S3_HOST=...`, `"host": "..."`: a key, then a host as the whole value.
_HOST_SETTING = re.compile(rf"""(?:^|[\s{{,])["']?(?P<key>[A-Za-z_][\w.-]*)["']?\s*[:=]\s*["']?(?P<host>{_HOSTNAME})"""
                           r"""["']?\s*,?\s*\}?\s*$""")
# The variable a URL is assigned to, for the message: `WANDB_BASE_URL=https://...`.
_SETTING = re.compile(r"\b([A-Z][A-Z0-9_]*(?:ENDPOINT|URL|URI|HOST)[A-Z0-9_]*)[\"']?\s*[=:]\s*[\"']?$")
# URLs that name a thing instead of a place to connect to: XML namespaces, JSON Schema ids.
_IDENTIFIER = re.compile(r"""(?:xmlns(?::[\w-]+)?|["']?\$(?:schema|id)["']?)\s*[=:]\s*["']?$""")
_IDENTIFIER_HOSTS = frozenset({"www.w3.org", "json-schema.org", "schemas.xmlsoap.org", "purl.org"})
# Keywords that point a client or an SDK call at a server of the caller's choice.
_ENDPOINT_KEYWORDS = frozenset({"endpoint_url", "host", "base_url", "endpoint", "url", "api_url", "server_url"})


@dataclass(frozen=True)
class Destination:
    kind: str  # host | location | region | telemetry
    value: str  # as written: the URL or host, the URI, the region name, the SDK call
    line: int
    column: int  # 0-based, as Reporter.add takes it
    end_line: int
    end_column: int
    provider: str = ""  # a region's provider (`aws`)
    host: str = ""  # host and telemetry: the host the client connects to
    port: int | None = None
    note: str = ""  # how the value was found: `var.region, set in terraform.tfvars`, `set as WANDB_BASE_URL`
    row: str = ""  # the catalog row behind the destination itself (a telemetry.csv row), cited


class Destinations:
    """The destinations one file (or notebook cell) names, collected while its analyzer runs."""

    def __init__(self):
        self.found: list[Destination] = []
        self.aws_endpoint_set = False  # the file sets AWS_ENDPOINT_URL* (see the module docstring)

    def matched(self, destination: str, value: str, line: int, col: int, end_line: int, end_col: int,
                note: str = "") -> None:
        """A match of a rule whose `destination` is `region:<provider>` or `location`."""
        kind, _, provider = destination.partition(":")
        self.found.append(Destination(kind, value, line, col, end_line, end_col, provider=provider, note=note))

    def line(self, text: str, number: int) -> None:
        """A line of a configuration file, script, image or manifest (comments removed)."""
        if "AWS_ENDPOINT_URL" in text:
            self.aws_endpoint_set = True
        if "://" in text:
            for m in _URL.finditer(text):
                setting = _SETTING.search(text, 0, m.start())
                self._url(m, text, number, m.start(), f"set as {setting.group(1)}" if setting else "")
        setting = _HOST_SETTING.search(text) if "." in text else None
        if setting and identify_host(setting["host"]):
            self.found.append(Destination(HOST, setting["host"], number, setting.start("host"), number,
                                          setting.end("host"), host=setting["host"],
                                          note=f"set as {setting['key']}"))

    def string(self, value: str, line: int, col: int, end_line: int, end_col: int, source: str) -> None:
        """A Python string literal at (line, col); `source` is its first line, to place a URL inside it."""
        if "://" in value:
            for m in _URL.finditer(value):
                at = source.find(m.group(0), col)
                self._url(m, value, line, at if at >= 0 else col)
        elif _HOST.match(value) and identify_host(value):
            self.found.append(Destination(HOST, value, line, col, end_line, end_col, host=value))

    def call(self, qualname: str, call: ast.Call, line: int, col: int, end_line: int, end_col: int) -> None:
        """A Python call: a tracking or model-hub SDK talks to its SaaS host unless pointed elsewhere."""
        sdk = find_sdk_host(qualname)
        if sdk is None or any(kw.arg in _ENDPOINT_KEYWORDS for kw in call.keywords):
            return  # a host given in the call is a URL of its own, judged as one
        first = call.args[0] if call.args else None
        literal = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
        if sdk.applies(literal):
            self.found.append(Destination(TELEMETRY, qualname, line, col, end_line, end_col, host=sdk.host,
                                          note=sdk.setting, row=sdk.cite()))

    def _url(self, m: re.Match, text: str, line: int, col: int, note: str = "") -> None:
        """A URL matched in `text`, found at (line, col) of the file."""
        if m["host"].lower() in _IDENTIFIER_HOSTS or _IDENTIFIER.search(text, 0, m.start()):
            return
        port = int(m["port"]) if m["port"] else None
        self.found.append(Destination(HOST, m.group(0), line, col, line, col + len(m.group(0)),
                                      host=m["host"].strip("[]"), port=port, note=note))

    def judged(self) -> list[Destination]:
        """What the policy is asked about: each destination once per line; AWS regions are left out of a file
        that sets AWS_ENDPOINT_URL* (they sign for that endpoint)."""
        seen, out = set(), []
        for d in self.found:
            key = (d.kind, d.value, d.line)
            if key in seen or (d.kind == REGION and d.provider == "aws" and self.aws_endpoint_set):
                continue
            seen.add(key)
            out.append(d)
        return out


def signing_region(call: ast.Call) -> ast.AST | None:
    """The `region_name=` of a call that also passes `endpoint_url=`: a signing region, no provider's place."""
    keywords = {kw.arg: kw.value for kw in call.keywords if kw.arg}
    endpoint = keywords.get("endpoint_url")
    if endpoint is None or (isinstance(endpoint, ast.Constant) and endpoint.value is None):
        return None
    return keywords.get("region_name")

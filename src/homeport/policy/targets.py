"""What `fence check` is asked about -> the host a client would connect to.

Accepted: a host (`s3.gra.io.cloud.ovh.net`, `host:9000`, `[::1]:9000`, `10.0.0.5`), a URL
(`https://api.wandb.ai/graphql`), or a storage location as homeport reads it (data/locations.py):
`s3://bucket/prefix`, `REMOTE:bucket/prefix` (homeport.toml or HOMEPORT_REMOTE_<NAME>_*), `gs://bucket`,
`az://container`, `abfs[s]://container@ACCOUNT.dfs.core.windows.net`, a local path (`./data`, `/mnt/x`).

A location becomes the host its client talks to, with a sentence saying how (`Target.via`):
- a remote with an endpoint: the endpoint's host, `<bucket>.` in front when the remote is virtual-hosted;
- `s3://` through the standard AWS configuration: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL when set, else the
  regional host of AWS_REGION / AWS_DEFAULT_REGION (botocore's rule: `<bucket>.s3.<region>.amazonaws.com`),
  else the legacy global host, which names no region. Profiles in ~/.aws/config are not read: the sentence
  says where the region came from, and the runtime guard sees the real host;
- `gs://`: storage.googleapis.com (GCS hosts name no bucket location);
- `az://`: the account's blob host (from the location or AZURE_STORAGE_ACCOUNT).
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from homeport.core.errors import UsageError

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_LOCATION_SCHEMES = ("s3", "gs", "az", "abfs", "abfss", "file")
_HOST_PORT = re.compile(r"^(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<host>[^:/\s\[\]]+)):(?P<port>\d{1,5})$")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21, "sftp": 22, "ssh": 22}


@dataclass(frozen=True)
class Target:
    text: str  # as the user wrote it
    host: str | None  # None: a local path, nothing leaves the machine
    port: int | None
    via: str  # how the host was found; "" for a plain host


def parse_target(text: str, config=None, env: Mapping[str, str] | None = None) -> Target:
    """`config`: a homeport.toml mapping or path for REMOTE:bucket locations (None: HOMEPORT_CONFIG, else the
    current directory upward). `env`: the environment whose AWS_* and AZURE_STORAGE_ACCOUNT variables apply
    (None: this process's; the runtime guard passes a child process's)."""
    env = os.environ if env is None else env
    raw = (text or "").strip()
    if not raw:
        raise UsageError("Nothing to check.", expected="a host, a URL or a storage location")
    if is_ip(raw):  # before REMOTE:bucket, which `2001:db8::1` would otherwise resemble
        return Target(raw, raw.strip("[]"), None, "")
    scheme = _URL.match(raw)
    if scheme and raw.split("://", 1)[0].lower() not in _LOCATION_SCHEMES:
        return _url(raw)
    pair = _HOST_PORT.match(raw)
    if pair:
        return Target(raw, pair.group("v6") or pair.group("host"), _port(pair.group("port"), raw), "")
    if scheme or ":" in raw or raw.startswith(("/", "./", "../", "~")) or Path(raw).exists():
        return _location(raw, config, env)
    if "/" in raw:  # `pypi.org/simple`: a URL without its scheme
        return _url("https://" + raw)
    return Target(raw, raw, None, "")


def is_ip(text: str) -> bool:
    """An IPv4 or IPv6 address (brackets and a zone index allowed), not a name."""
    try:
        ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
        return True
    except ValueError:
        return False


def _port(digits: str, text: str) -> int:
    port = int(digits)
    if not 0 < port < 65536:
        raise UsageError(f"{text!r} names the port {port}.", expected="a port from 1 to 65535")
    return port


def _url(text: str) -> Target:
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        raise UsageError(f"{text!r} has a port that is not a number from 0 to 65535.") from None
    if not parts.hostname:
        raise UsageError(f"The URL {text!r} names no host.", expected="scheme://host[:port]/path")
    return Target(text, parts.hostname, port or _DEFAULT_PORTS.get(parts.scheme.lower()),
                  f"the host of the URL {text}")


def _location(text: str, config, env: Mapping[str, str]) -> Target:
    from homeport.data.locations import parse_location

    loc = parse_location(text, config)
    if loc.kind == "local":
        return Target(text, None, None, "a local path: nothing leaves this machine (a network file system "
                      "mounted there is not seen)")
    if loc.kind == "gcs":
        return Target(text, "storage.googleapis.com", 443, "gs:// goes to storage.googleapis.com, which does not "
                      "name the bucket's location")
    if loc.kind == "azure":
        return _azure(text, loc, env)
    if loc.endpoint_url:
        return _endpoint(text, loc.endpoint_url, loc.bucket, loc.path_style,
                         f"the endpoint of the remote {loc.remote!r}")
    for var in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        if env.get(var):
            return _endpoint(text, env[var], loc.bucket, None, f"{var}")
    return _aws(text, loc.bucket, env)


def _endpoint(text: str, url: str, bucket: str, path_style: bool | None, whose: str) -> Target:
    parts = urlsplit(url if "://" in url else "https://" + url)
    host = parts.hostname or ""
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), 443)
    if path_style is False and bucket:
        return Target(text, f"{bucket}.{host}", port, f"{whose} ({url}), virtual-hosted: the bucket in the host")
    return Target(text, host, port, f"{whose} ({url})")


def _aws(text: str, bucket: str, env: Mapping[str, str]) -> Target:
    region, source = next(((env[v], v) for v in ("AWS_REGION", "AWS_DEFAULT_REGION") if env.get(v)),
                          (None, None))
    dotted = "." in bucket  # a bucket with dots breaks TLS for virtual hosts: botocore goes path-style
    if region is None:
        host = "s3.amazonaws.com" if dotted else f"{bucket}.s3.amazonaws.com"
        return Target(text, host, 443, "s3:// with no AWS_REGION or AWS_DEFAULT_REGION set: the global S3 host "
                      "(~/.aws/config is not read)")
    if region == "us-east-1":
        host = "s3.amazonaws.com" if dotted else f"{bucket}.s3.amazonaws.com"
    else:
        host = f"s3.{region}.amazonaws.com" if dotted else f"{bucket}.s3.{region}.amazonaws.com"
    return Target(text, host, 443, f"s3:// in {region} (from {source}); botocore follows a redirect when the "
                  "bucket is elsewhere, and the runtime guard sees that host too")


def _azure(text: str, loc, env: Mapping[str, str]) -> Target:
    if loc.endpoint_url:
        host = urlsplit(loc.endpoint_url).hostname
        return Target(text, host, 443, f"the account named in the location ({host})")
    account = env.get("AZURE_STORAGE_ACCOUNT")
    if account:
        return Target(text, f"{account.lower()}.blob.core.windows.net", 443, "the account in AZURE_STORAGE_ACCOUNT")
    return Target(text, "account.blob.core.windows.net", 443, "no storage account named (set AZURE_STORAGE_ACCOUNT): "
                  "any Azure storage account host, which names no region")

"""Where data lives: a local path, `s3://bucket/prefix`, or `REMOTE:bucket/prefix` (DESIGN.md,
"Storage locations"); as sources only, Azure Blob (`az://container/prefix`, `abfs[s]://container/prefix`
or `abfs[s]://container@ACCOUNT.dfs.core.windows.net/prefix`) and GCS (`gs://bucket/prefix`).

REMOTE is a table `[remotes.NAME]` in homeport.toml (found through HOMEPORT_CONFIG, else the current
directory and its parents) and/or the environment variables HOMEPORT_REMOTE_<NAME>_ENDPOINT,
_ACCESS_KEY_ID, _SECRET_ACCESS_KEY, _REGION, _PROVIDER, _PATH_STYLE (the rclone habit; the environment
wins field by field, so a secret can stay out of the file).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

from homeport.core.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_NAME = "homeport.toml"
# A one-letter name is a remote only when one of that name is defined: `C:\data` stays a Windows path.
_REMOTE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):(.*)$", re.S)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
FIELDS = ("endpoint", "access_key_id", "secret_access_key", "region", "provider", "path_style")


@dataclass(frozen=True)
class Location:
    kind: str  # "local" | "s3" | "azure" | "gcs" (the last two are sources only)
    text: str  # the user's spelling, given back by str()
    path: Path | None = None  # local only
    bucket: str = ""
    prefix: str = ""  # without leading or trailing "/"
    remote: str | None = None  # None for s3:// (standard AWS configuration)
    endpoint_url: str | None = None  # azure: the account's blob URL when the location names the account
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)  # never printed
    region: str | None = None
    provider: str | None = None
    path_style: bool | None = None  # None: botocore decides

    def __str__(self) -> str:
        return self.text

    @property
    def canonical(self) -> str:
        """One spelling per place (`/data/x/` and `./x` from /data are the same folder; `s3://b/p/` is
        `s3://b/p`): what names a copy job, so a resume does not depend on how the path was typed."""
        if self.kind == "local":
            return str(self.path.resolve())
        scheme = f"{self.remote}:" if self.remote else {"s3": "s3://", "azure": "az://", "gcs": "gs://"}[self.kind]
        account = f" ({self.endpoint_url})" if self.endpoint_url else ""  # two Azure accounts, one container name
        return f"{scheme}{self.bucket}/{self.prefix}".rstrip("/") + account

    @property
    def key_prefix(self) -> str:
        """The prefix as it starts every object key: "" or "some/prefix/"."""
        return f"{self.prefix}/" if self.prefix else ""

    def join(self, key: str) -> str:
        """The store's full key (s3) or the file path (local) of `key`, relative to this location."""
        key = key.lstrip("/")
        if self.kind == "local":
            return str(self.path / key) if key else str(self.path)
        return self.key_prefix + key

    def relative(self, full_key: str) -> str:
        """The inverse of join for s3 keys: the key relative to this location's prefix."""
        return full_key[len(self.key_prefix):] if full_key.startswith(self.key_prefix) else full_key

    def child(self, sub: str) -> "Location":
        """The location one level (or more) below this one."""
        sub = sub.strip("/")
        if not sub:
            return self
        sep = "" if self.text.endswith(("/", ":")) else "/"
        if self.kind == "local":
            return replace(self, text=self.text + sep + sub, path=self.path / sub)
        return replace(self, text=self.text + sep + sub, prefix="/".join(p for p in (self.prefix, sub) if p))

    @property
    def display_remote(self) -> str:
        return self.remote or "s3 (standard AWS configuration)"


def parse_location(text: str, config: Mapping | str | os.PathLike | None = None) -> Location:
    """Parse what the user typed. `config`: a loaded homeport.toml mapping, a path to one, or None to
    search (HOMEPORT_CONFIG, then the current directory upward)."""
    if not isinstance(text, str) or not text.strip():
        raise UsageError("A storage location is empty.", expected="a local path, s3://bucket/prefix or REMOTE:bucket/prefix")
    text = text.strip()
    if text.startswith("s3://"):
        bucket, prefix = _split_bucket(text[5:], text)
        return Location("s3", text, bucket=bucket, prefix=prefix)
    if text.startswith("file://"):
        return Location("local", text, path=Path(text[7:]))
    scheme = _SCHEME.match(text)
    if scheme and scheme.group(1).lower() == "gs":
        bucket, prefix = _split_bucket(text[5:], text)
        return Location("gcs", text, bucket=bucket, prefix=prefix)
    if scheme and scheme.group(1).lower() in ("az", "abfs", "abfss"):
        return _azure(text, text[scheme.end():])
    if scheme:
        raise UsageError(
            f"The storage location {text!r} uses the scheme {scheme.group(1)}://, which homeport cannot read.",
            expected="a local path, s3://bucket/prefix, REMOTE:bucket/prefix, or as a source gs://bucket/prefix "
            "or az://container/prefix",
            hint="for an S3-compatible store, define a remote in homeport.toml "
            "or with HOMEPORT_REMOTE_<NAME>_ENDPOINT and use NAME:bucket/prefix",
        )
    m = _REMOTE.match(text)
    if not m:
        return Location("local", text, path=Path(text))
    name, rest = m.group(1), m.group(2)
    remotes = _remotes(config)
    spec = _remote_spec(name, remotes)
    if spec is None and len(name) == 1:
        return Location("local", text, path=Path(text))
    if spec is None:
        if Path(text).exists():  # a local file whose name has a colon, and no remote of that name
            return Location("local", text, path=Path(text))
        known = ", ".join(sorted(remotes)) or "none"
        env = _env_name(name)
        raise UsageError(
            f"The storage location {text!r} names the remote {name!r}, which is not defined.",
            expected=f"a table [remotes.{name}] in {CONFIG_NAME} or the variable {env}_ENDPOINT (remotes defined: {known})",
            got=f"no definition of {name!r} in {_config_path_text(config)} or the environment",
            hint=f"define it, e.g. `export {env}_ENDPOINT=https://s3.example.com {env}_ACCESS_KEY_ID=... "
            f"{env}_SECRET_ACCESS_KEY=...`; a local path containing ':' can be written ./{text}",
        )
    bucket, prefix = _split_bucket(rest, text)
    endpoint = spec.get("endpoint") or None
    if endpoint and "://" not in endpoint:
        endpoint = "https://" + endpoint  # providers print endpoints without a scheme
    path_style = _bool(spec.get("path_style"), text)
    if path_style is None and endpoint:
        path_style = True  # virtual-host addressing needs DNS per bucket; most S3-compatible stores prefer paths
    return Location(
        "s3", text, bucket=bucket, prefix=prefix, remote=name, endpoint_url=endpoint,
        access_key_id=spec.get("access_key_id") or None, secret_access_key=spec.get("secret_access_key") or None,
        region=spec.get("region") or None, provider=spec.get("provider") or None, path_style=path_style,
    )


def open_store(location: Location):
    """The Store that serves `location` (imported lazily: boto3 is only needed for s3)."""
    if location.kind == "local":
        from homeport.data.stores.local import LocalStore

        return LocalStore(location)
    if location.kind == "s3":
        from homeport.data.stores.s3 import S3Store

        return S3Store(location)
    if location.kind == "azure":
        from homeport.data.stores.azure import AzureBlobStore

        return AzureBlobStore(location)
    if location.kind == "gcs":
        from homeport.data.stores.gcs import GCSStore

        return GCSStore(location)
    raise UsageError(f"No store for the location kind {location.kind!r}.", expected="local, s3, azure or gcs")


def find_config(start: str | os.PathLike | None = None) -> Path | None:
    """HOMEPORT_CONFIG, else the first homeport.toml in `start` (default: cwd) or a parent."""
    env = os.environ.get("HOMEPORT_CONFIG")
    if env:
        return Path(env)
    here = Path(start or os.getcwd()).resolve()
    for d in (here, *here.parents):
        if (d / CONFIG_NAME).is_file():
            return d / CONFIG_NAME
    return None


def load_config(path: str | os.PathLike | None = None) -> dict:
    """The parsed homeport.toml ({} when there is none)."""
    p = Path(path) if path is not None else find_config()
    if p is None:
        return {}
    try:
        with open(p, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise UsageError(f"The configuration file {p} does not exist.", hint="fix HOMEPORT_CONFIG or create the file") from None
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"The configuration file {p} is not valid TOML.", got=str(e), hint="fix the file") from None


def _remotes(config) -> dict:
    data = config if isinstance(config, Mapping) else load_config(config)
    remotes = data.get("remotes", {})
    if not isinstance(remotes, Mapping):
        raise UsageError(f"[remotes] in {CONFIG_NAME} is not a table.", expected="[remotes.NAME] tables")
    return dict(remotes)


def _env_name(name: str) -> str:
    return "HOMEPORT_REMOTE_" + name.upper().replace("-", "_")


def _remote_spec(name: str, remotes: dict) -> dict | None:
    """The remote's fields, the environment winning field by field; None if it is defined nowhere."""
    table = remotes.get(name)
    if table is None:  # names are case-insensitive, as the environment variables are
        table = next((v for k, v in remotes.items() if k.lower() == name.lower()), None)
    if table is not None and not isinstance(table, Mapping):
        raise UsageError(f"[remotes.{name}] in {CONFIG_NAME} is not a table.", expected=f"keys {', '.join(FIELDS)}")
    spec = {k: table[k] for k in FIELDS if table and k in table}
    if table is not None:
        unknown = set(table) - set(FIELDS)
        if unknown:
            raise UsageError(
                f"[remotes.{name}] in {CONFIG_NAME} has unknown keys: {', '.join(sorted(unknown))}.",
                expected=f"only {', '.join(FIELDS)}",
            )
    env_seen = False
    for k in FIELDS:
        v = os.environ.get(f"{_env_name(name)}_{k.upper()}")
        if v is not None:
            spec[k], env_seen = v, True
    return spec if (table is not None or env_seen) else None


def _split_bucket(rest: str, text: str) -> tuple[str, str]:
    rest = rest.lstrip("/")
    bucket, _, prefix = rest.partition("/")
    if not bucket or any(c.isspace() for c in bucket):
        raise UsageError(
            f"The storage location {text!r} has no valid bucket name.",
            expected="s3://bucket/prefix or REMOTE:bucket/prefix", got=f"bucket {bucket!r}",
        )
    return bucket, prefix.strip("/")


def _azure(text: str, rest: str) -> Location:
    """az://container/prefix and abfs[s]://container/prefix take the account from the environment;
    abfs[s]://container@ACCOUNT.dfs.core.windows.net/prefix (the Hadoop spelling) names it."""
    head, slash, tail = rest.partition("/")
    container, at, host = head.partition("@")
    endpoint = None
    if at:
        account = host.split(".", 1)[0]
        if not account or not host.endswith(".core.windows.net"):
            raise UsageError(f"The storage location {text!r} names the account host {host!r}.",
                             expected="container@ACCOUNT.dfs.core.windows.net (or .blob.core.windows.net)")
        endpoint = f"https://{account}.blob.core.windows.net"  # the blob API serves dfs accounts too
    bucket, prefix = _split_bucket(container + slash + tail, text)
    return Location("azure", text, bucket=bucket, prefix=prefix, endpoint_url=endpoint)


def _bool(value, text: str) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    v = str(value).strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise UsageError(f"path_style for {text!r} is {value!r}.", expected="true or false")


def _config_path_text(config) -> str:
    if isinstance(config, Mapping):
        return "the given configuration"
    p = Path(config) if config is not None else find_config()
    return str(p) if p else f"{CONFIG_NAME} (none found)"


def canonical(location) -> str:
    """`Location.canonical`, or the text of whatever else a store was opened on (a path in the library API)."""
    return location.canonical if isinstance(location, Location) else str(location)

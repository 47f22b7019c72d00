"""rclone command lines -> the hosts their remotes talk to, read from rclone's own configuration.

A remote is `name:path`, `name,param=value:path` or a connection string `:type,param=value:path`. Its settings
come, as rclone reads them, from RCLONE_CONFIG_<NAME>_<KEY> variables, then the config file (`--config`,
RCLONE_CONFIG, `$XDG_CONFIG_HOME/rclone/rclone.conf`, `~/.config/rclone/rclone.conf`, `~/.rclone.conf`).
A remote that cannot be read (not defined, an encrypted config, a backend whose host this module does not
know) is a Destination without a host: the fence decides it by the policy's `unknown_hosts`.
"""

from __future__ import annotations

import configparser
import os
import re
from pathlib import Path
from typing import Mapping

from homeport.policy.commands import Destination, iter_options, url_destination

# `--flag value` flags; any other `--flag` is read as a switch. Values of REMOTE_FLAGS are remotes too.
_VALUE_FLAGS = frozenset("""config s3-endpoint s3-region s3-provider transfers checkers bwlimit log-file log-level
filter filter-from include include-from exclude exclude-from files-from min-age max-age min-size max-size
max-depth retries low-level-retries stats stats-log-level timeout contimeout user-agent suffix max-transfer
cutoff-mode order-by buffer-size multi-thread-streams multi-thread-cutoff addr cache-dir header header-download
header-upload backup-dir compare-dest copy-dest tpslimit tpslimit-burst""".split())
_REMOTE_FLAGS = frozenset({"backup-dir", "compare-dest", "copy-dest"})
_NO_REMOTES = frozenset({"config", "version", "help", "listremotes", "genautocomplete", "completion", "obscure",
                         "authorize", "selfupdate"})
_REMOTE = re.compile(r"^(?P<name>:?[\w.+@ -]*?)(?P<params>(?:,(?:[^:'\"]|'[^']*'|\"[^\"]*\")*)?):(?P<path>.*)$")
_PARAM = re.compile(r",\s*([\w-]+)(?:=('[^']*'|\"[^\"]*\"|[^,]*))?")
_WRAPPERS = ("alias", "crypt", "chunker", "compress", "hasher", "cache", "union", "combine")
_FIXED_HOSTS = {"google cloud storage": "storage.googleapis.com", "gcs": "storage.googleapis.com",
                "drive": "www.googleapis.com", "b2": "api.backblazeb2.com", "dropbox": "api.dropboxapi.com",
                "onedrive": "graph.microsoft.com", "box": "api.box.com"}


def rclone_destinations(args: list[str], env: Mapping[str, str]) -> list[Destination]:
    config_file, s3_endpoint, remotes = None, None, []
    for option, word in iter_options(args, _VALUE_FLAGS, frozenset()):
        if option == "config":
            config_file = word
        elif option == "s3-endpoint":
            s3_endpoint = word
        elif option is None or option in _REMOTE_FLAGS:
            remotes.append(word)
    if not remotes or remotes[0] in _NO_REMOTES:
        return []
    config = _Config(config_file, env)
    out = []
    for word in remotes:
        m = _REMOTE.match(word)
        if m and not word.startswith(("/", ".", "~")) and m.group("name") not in ("", "http", "https"):
            out += _remote(m.group("name"), _params(m.group("params")), config, s3_endpoint)
    return out


def _params(text: str) -> dict[str, str]:
    """`,provider=AWS,endpoint='https://host'` -> settings (a value with a colon is quoted, as rclone wants)."""
    return {key.replace("-", "_"): (value or "true").strip().strip("'\"") for key, value in _PARAM.findall(text)}


class _Config:
    def __init__(self, path: str | None, env: Mapping[str, str]):
        self.env, self.path, self.problem = env, path, ""
        self.parser = configparser.ConfigParser(interpolation=None, strict=False)
        candidates = [path] if path else [env.get("RCLONE_CONFIG")] if env.get("RCLONE_CONFIG") else [
            os.path.join(env.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "rclone", "rclone.conf"),
            os.path.expanduser("~/.rclone.conf")]
        for candidate in candidates:
            try:
                text = Path(candidate).read_text(encoding="utf-8")
            except OSError:
                continue
            self.path = candidate
            if text.lstrip().startswith("# Encrypted rclone configuration"):
                self.problem = f"{candidate} is encrypted"
                return
            try:
                self.parser.read_string(text, source=candidate)
            except configparser.Error as exc:
                self.problem = f"{candidate} cannot be read ({exc.__class__.__name__})"
            return
        self.problem = f"no rclone config file ({' or '.join(str(c) for c in candidates)})"

    def section(self, name: str) -> dict[str, str] | None:
        """The remote's settings, RCLONE_CONFIG_<NAME>_* over the file; None when it is not defined."""
        prefix = f"RCLONE_CONFIG_{name.upper().replace('-', '_')}_"
        found = {k[len(prefix):].lower(): v for k, v in self.env.items() if k.startswith(prefix)}
        if self.parser.has_section(name):
            found = {**dict(self.parser.items(name)), **found}
        return found or None


def _remote(name: str, params: dict, config: _Config, s3_endpoint: str | None,
            depth: int = 0) -> list[Destination]:
    if name.startswith(":"):  # a connection string: `:s3,endpoint=...:bucket`
        settings, label = {"type": name[1:], **params}, f"rclone connection string {name}"  # no keys shown
    else:
        settings = config.section(name)
        label = f"rclone remote {name!r}"
        if settings is None:
            why = config.problem or f"{config.path} does not define it"
            return [Destination(None, None, f"{name}:", f"{label}: not defined ({why})")]
        settings = {**settings, **params}
    kind = settings.get("type", "")
    if kind == "local":
        return []
    if kind in _WRAPPERS and depth < 8:
        inner = [r for key in ("remote", "upstreams") for r in settings.get(key, "").split()]
        out = []
        for text in inner:
            m = _REMOTE.match(text)  # a union's `remote:path:ro` names the remote before the first colon
            if m and m.group("name"):
                out += _remote(m.group("name"), _params(m.group("params")), config, s3_endpoint, depth + 1)
        return out
    host = _host(kind, settings, s3_endpoint)
    if host is None:
        return [Destination(None, None, f"{name}:", f"{label}: a {kind or 'untyped'} remote whose host the "
                            "fence cannot tell from its settings")]
    if "://" in host:
        found = url_destination(host, label)
        return [found] if found else []
    return [Destination(host, _int(settings.get("port")), f"{name}:", f"{label} ({kind})")]


def _host(kind: str, settings: Mapping[str, str], s3_endpoint: str | None) -> str | None:
    if kind == "s3":
        endpoint = s3_endpoint or settings.get("endpoint")
        if endpoint:
            return endpoint if "://" in endpoint else "https://" + endpoint
        if settings.get("provider", "AWS") in ("AWS", ""):
            region = settings.get("region") or "us-east-1"
            return "s3.amazonaws.com" if region == "us-east-1" else f"s3.{region}.amazonaws.com"
        return None
    if kind in _FIXED_HOSTS:
        return _FIXED_HOSTS[kind]
    if kind == "azureblob":
        if settings.get("endpoint"):
            return settings["endpoint"]
        return f"{settings['account']}.blob.core.windows.net" if settings.get("account") else None
    if kind in ("sftp", "ftp", "smb"):
        return settings.get("host") or None
    if kind in ("webdav", "http"):
        return settings.get("url") or None
    if kind == "swift":
        return settings.get("auth") or None
    return None


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None

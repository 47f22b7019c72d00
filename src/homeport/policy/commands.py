"""Command lines -> the destinations they name, so that the fence decides before a process starts.

Known tools: `aws`, `gsutil`, `gcloud storage`, `azcopy`, `curl`, `wget`, `rclone` (remotes: `rclone.py`).
A shell command line (`sh -c "..."`, `os.system`) is split into simple commands at `;`, `&&`, `||`, `|`, `&`,
parentheses and newlines; leading `VAR=value` assignments and wrappers (`env`, `sudo`, `nohup`, `time`,
`timeout`, `nice`, `exec`, `command`, `stdbuf`, `xargs`) are stepped over, and `$VAR` / `${VAR}` are expanded
from the child's environment.

What this cannot see: URLs kept in files (`curl -K`, `wget -i`, `aws --cli-input-json`), values the shell
computes (`$(...)`, globs), `~/.aws/config` profiles (the region then comes from AWS_REGION or the default),
proxies set in the environment, other `gcloud` commands, and anything a program that is not Python does once
it runs: only its command line is checked.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence
from urllib.parse import urlsplit

from homeport.core.errors import HomeportError
from homeport.policy.targets import parse_target

SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash", "busybox"})
_OPERATOR = re.compile(r"^[();<>|&]+$")
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_HOSTLIKE = re.compile(r"^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}|localhost|"
                       r"\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?(?:[/?#].*)?$")

# Options that take a value, from `curl --help all` (7.88) and `wget --help` (1.21); the value of one of these
# is never a URL to fetch, unless the option connects somewhere (CONNECTING).
_CURL_SHORT_VALUES = frozenset("AbcCdDeEFHKmoPQrtTuUwxXyYz")
_CURL_VALUES = frozenset("""abstract-unix-socket alt-svc aws-sigv4 cacert capath cert cert-type ciphers config
connect-timeout connect-to continue-at cookie cookie-jar create-file-mode crlfile curves data data-ascii
data-binary data-raw data-urlencode delegation dns-interface dns-ipv4-addr dns-ipv6-addr dns-servers doh-url
dump-header egd-file engine etag-compare etag-save expect100-timeout form form-string ftp-account
ftp-alternative-to-user ftp-method ftp-port ftp-ssl-ccc-mode happy-eyeballs-timeout-ms header hostpubmd5
hostpubsha256 hsts interface json keepalive-time key key-type krb libcurl limit-rate local-port login-options
mail-auth mail-from mail-rcpt max-filesize max-redirs max-time netrc-file noproxy oauth2-bearer output
output-dir parallel-max pass pinnedpubkey preproxy proto proto-default proto-redir proxy proxy1.0 proxy-cacert
proxy-capath proxy-cert proxy-cert-type proxy-ciphers proxy-crlfile proxy-header proxy-key proxy-key-type
proxy-pass proxy-pinnedpubkey proxy-service-name proxy-tls13-ciphers proxy-tlsauthtype proxy-tlspassword
proxy-tlsuser proxy-user pubkey quote random-file range rate referer request request-target resolve retry
retry-delay retry-max-time sasl-authzid service-name socks4 socks4a socks5 socks5-gssapi-service
socks5-hostname speed-limit speed-time stderr telnet-option tftp-blksize time-cond tls-max tls13-ciphers
tlsauthtype tlspassword tlsuser trace trace-ascii unix-socket upload-file url url-query user user-agent
write-out""".split())
_CURL_CONNECTING = frozenset({"url", "proxy", "x", "preproxy", "proxy1.0", "socks4", "socks4a", "socks5",
                              "socks5-hostname", "doh-url"})
_WGET_SHORT_VALUES = frozenset("eoaiBtOTwQPUlARDIX")
_WGET_VALUES = frozenset("""execute output-file append-output report-speed input-file base config rejected-log
tries retry-on-http-error output-document start-pos progress timeout dns-timeout connect-timeout read-timeout
wait waitretry quota bind-address limit-rate restrict-file-names prefer-family user password use-askpass
local-encoding remote-encoding directory-prefix cut-dirs http-user http-password default-page header compression
proxy-user proxy-password referer user-agent load-cookies save-cookies post-data post-file method body-data
body-file secure-protocol certificate certificate-type private-key private-key-type ca-certificate ca-directory
crl-file pinnedpubkey ciphers ftp-user ftp-password warc-file warc-header warc-max-size warc-dedup warc-tempdir
level backups accept reject accept-regex reject-regex regex-type domains exclude-domains follow-tags ignore-tags
include-directories exclude-directories""".split())
_AWS_VALUES = frozenset({"endpoint-url", "region", "profile", "output", "query", "color", "ca-bundle",
                         "cli-read-timeout", "cli-connect-timeout", "cli-binary-format", "cli-input-json",
                         "cli-input-yaml", "include", "exclude", "storage-class", "sse", "acl", "content-type",
                         "expires", "page-size", "grants", "metadata", "cache-control", "key", "prefix"})


@dataclass(frozen=True)
class Destination:
    host: str | None  # None: named, but nothing says where it is (an rclone remote without an endpoint)
    port: int | None
    target: str  # what the command line said, without credentials or query
    via: str  # how it became the host


# -- splitting command lines ------------------------------------------------------------------------------

def simple_commands(argv: Sequence[str], env: Mapping[str, str]) -> list[tuple[list[str], Mapping[str, str]]]:
    """The simple commands an argv runs, each with its environment: `["sh", "-c", "a; b | c"]` is three."""
    argv = [os.fsdecode(a) for a in argv]
    script = _shell_script(argv)
    if script is not None:
        return [c for words in _split_script(script, env) for c in simple_commands(words, env)]
    command = _unwrap(argv, env)
    if command is None:
        return []
    words, env = command
    return simple_commands(words, env) if _shell_script(words) is not None else [command]


def _shell_script(argv: Sequence[str]) -> str | None:
    """The script of `sh -c SCRIPT` (also `bash -ec`, `busybox sh -c`), else None."""
    if not argv or _name(argv[0]) not in SHELLS:
        return None
    for i, arg in enumerate(argv[1:], 1):
        if arg.startswith("-") and not arg.startswith("--") and "c" in arg[1:]:
            return argv[i + 1] if i + 1 < len(argv) else ""
        if not arg.startswith("-") and _name(argv[0]) != "busybox":
            return None  # `sh script.sh`: a file the fence does not read
    return None


def _split_script(script: str, env: Mapping[str, str]) -> list[list[str]]:
    lexer = shlex.shlex(script.replace("\n", " ; "), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes: the shell refuses it too; read the words as they are
        tokens = script.split()
    commands, current = [], []
    for token in tokens:
        if _OPERATOR.match(token):
            commands.append(current)
            current = []
        else:
            current.append(_VARIABLE.sub(lambda m: env.get(m.group(1) or m.group(2), ""), token))
    return [c for c in (*commands, current) if c]


_WRAPPER_VALUES = {"sudo": frozenset("ugChDprtU"), "nice": frozenset("n"), "timeout": frozenset("sk"),
                   "stdbuf": frozenset("ioe"), "xargs": frozenset("dEIiLlnPs"), "env": frozenset("uCS")}


def _unwrap(words: list[str], env: Mapping[str, str]) -> tuple[list[str], Mapping[str, str]] | None:
    """Step over VAR=value assignments and wrapper commands to the command that runs."""
    env = dict(env)
    while words:
        head = words[0]
        if "=" in head and re.match(r"^\w+=", head):
            key, _, value = head.partition("=")
            env[key] = value
            words = words[1:]
            continue
        name = _name(head)
        if name not in ("env", "sudo", "nohup", "time", "timeout", "nice", "exec", "command", "stdbuf", "xargs"):
            break
        i, takes = 1, _WRAPPER_VALUES.get(name, frozenset())
        while i < len(words) and words[i].startswith("-") and words[i] != "-":
            flag = words[i]
            i += 1
            if not flag.startswith("--") and flag[-1] in takes and len(flag) == 2:
                i += 1  # `-u root`: the flag's value
        if name == "timeout" and i < len(words):
            i += 1  # the duration
        words = words[i:]
    return (words, env) if words else None


def _name(word: str) -> str:
    return os.path.basename(word)


# -- destinations -----------------------------------------------------------------------------------------

def destinations(argv: Sequence[str], env: Mapping[str, str]) -> list[Destination]:
    """What one simple command would connect to; [] for a program this module does not know."""
    reader = _TOOLS.get(_name(argv[0]).removesuffix(".exe")) if argv else None
    return reader(list(argv[1:]), env) if reader else []


def iter_options(args: list[str], values: frozenset[str], short_values: frozenset[str]):
    """(option or None, word): each positional word, and each option's value with its option."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            yield from ((None, a) for a in args[i + 1:])
            return
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            if eq:
                yield name, value
            elif name in values and i + 1 < len(args):
                i += 1
                yield name, args[i]
        elif arg.startswith("-") and len(arg) > 1:
            for j, ch in enumerate(arg[1:], 1):  # `-sSLo out`, `-ofile`: the first value option takes the rest
                if ch in short_values:
                    value = arg[j + 1:]
                    if not value and i + 1 < len(args):
                        i += 1
                        value = args[i]
                    yield ch, value
                    break
        else:
            yield None, arg
        i += 1


def _clean(url: str) -> str:
    """The URL without user, password, query or fragment: what the audit log may show."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else url.split("?", 1)[0]


def url_destination(text: str, via: str, env: Mapping[str, str] | None = None) -> Destination | None:
    try:
        target = parse_target(text, env=env)
    except HomeportError:
        return None
    if target.host is None:
        return None
    shown = _clean(text)
    return Destination(target.host, target.port, shown, f"{via}: {(target.via or target.host).replace(text, shown)}")


def _web(args: list[str], env, tool: str, values, short_values, connecting) -> list[Destination]:
    out = []
    for option, word in iter_options(args, values, short_values):
        if option is not None and option not in connecting:
            continue
        if "://" in word or _HOSTLIKE.match(word):
            text = word if "://" in word else ("http://" if tool == "wget" else "https://") + word
            found = url_destination(text, f"{tool} {'--' + option if option else 'URL'}")
            if found:
                out.append(found)
    return out


def _curl(args, env):
    return _web(args, env, "curl", _CURL_VALUES, _CURL_SHORT_VALUES, _CURL_CONNECTING)


def _wget(args, env):
    return _web(args, env, "wget", _WGET_VALUES, _WGET_SHORT_VALUES, frozenset())


def _aws(args, env):
    env, words, buckets = dict(env), [], []
    for option, word in iter_options(args, _AWS_VALUES | {"bucket"}, frozenset()):
        if option == "endpoint-url":
            env["AWS_ENDPOINT_URL_S3"] = env["AWS_ENDPOINT_URL"] = word
        elif option == "region":
            env["AWS_REGION"] = word
        elif option == "bucket":
            buckets.append(f"s3://{word}")
        elif option is None:
            words.append(word)
    if not words or words[0] in ("help", "configure", "--version"):
        return []
    service = words[0]
    uris = buckets + [w for w in words if w.startswith("s3://")]
    if service in ("s3", "s3api") and uris:
        return [d for d in (url_destination(u, f"aws {service}", env) for u in uris) if d]
    endpoint = env.get(f"AWS_ENDPOINT_URL_{service.upper().replace('-', '_')}") or env.get("AWS_ENDPOINT_URL")
    if endpoint:
        found = url_destination(endpoint, f"aws {service} endpoint")
        return [found] if found else []
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    host = f"{service}.{region}.amazonaws.com" if region else f"{service}.amazonaws.com"
    return [Destination(host, 443, f"aws {service}", f"aws {service} in {region or 'its default region'}")]


def _positionals(args: list[str], values=frozenset(), short_values=frozenset()) -> list[str]:
    return [word for option, word in iter_options(args, values, short_values) if option is None]


def _urls(words: list[str], via: str, env, schemes=("s3://", "http://", "https://")) -> list[Destination]:
    return [d for d in (url_destination(w, via, env) for w in words if w.startswith(schemes)) if d]


def _google_storage(words: list[str], env, tool: str) -> list[Destination]:
    if words and words[0] in ("version", "help", "config"):
        return []
    gcs = [Destination("storage.googleapis.com", 443, f"{tool} {w}", f"{tool}: gs:// goes to storage.googleapis.com")
           for w in words if w.startswith("gs://")][:1]
    return gcs + _urls(words, tool, env) or [
        Destination("storage.googleapis.com", 443, tool, f"{tool} talks to storage.googleapis.com")]


def _gsutil(args, env):
    return _google_storage(_positionals(args, frozenset("ohu"), frozenset("ohu")), env, "gsutil")


def _gcloud(args, env):
    words = _positionals(args, frozenset({"project", "account", "configuration", "format", "verbosity"}))
    if words[:1] == ["storage"] or words[1:2] == ["storage"]:  # `gcloud storage`, `gcloud alpha storage`
        return _google_storage(words[words.index("storage") + 1:], env, "gcloud storage")
    return []


def _azcopy(args, env):
    return _urls(_positionals(args), "azcopy", env, ("https://", "http://"))


def _rclone(args, env):
    from homeport.policy.rclone import rclone_destinations

    return rclone_destinations(args, env)


_TOOLS: dict[str, Callable[[list[str], Mapping[str, str]], list[Destination]]] = {
    "curl": _curl, "wget": _wget, "aws": _aws, "gsutil": _gsutil, "gcloud": _gcloud, "azcopy": _azcopy,
    "rclone": _rclone,
}

"""The runtime fence: a residency policy enforced inside a Python process (`homeport.fence.activate`).

How it decides, in the order a request meets it:
- botocore: a `before-send` handler on every client created after activation checks the final URL (endpoint
  and bucket) before anything is sent (`botocore_hook.py`);
- name resolution: `socket.getaddrinfo`, `gethostbyname` and `gethostbyname_ex` are wrapped while a fence is
  active. The name is decided by the policy (cached per host and port); a denied name raises before any DNS
  query; an allowed name is resolved (through the policy's `resolve:` overrides when it has them) and the
  addresses it returned are remembered. An audit hook (`sys.addaudithook`) on the same events catches calls
  that bypass the wrappers (a reference taken before activation, `_socket` called directly; the policy's
  `resolve:` cannot apply to those);
- connect: the audit hook on `socket.connect` (also raised by `connect_ex`) and `socket.sendto` lets an
  IPv4/IPv6 connection through when an allowed lookup returned its address; any other address is decided by the
  policy as an IP (loopback by `allow.loopback`, declared networks, `allow.hosts` networks, else `direct_ip`);
- process launches: the audit events `subprocess.Popen`, `os.system`, `os.exec`, `os.posix_spawn` and
  `os.spawn`: the command line of `aws`, `gsutil`, `gcloud storage`, `azcopy`, `curl`, `wget` and `rclone`
  (also inside `sh -c` scripts) is read for URLs, buckets and remotes (`commands.py`, `rclone.py`) and decided
  before the process starts.

Every decision is appended to a JSONL audit log (`audit_log.py`): time, host, port, provider, region,
country, verdict, rule, reason, catalog row, what asked (dns, connect, botocore, subprocess), the process id
and what was seen. Deny and audit decisions are logged every time; an allowed one once per process for each
asker, host, port and what was seen (address, bucket and operation, command), since repeating it says nothing
new (the in-process counters count them all).
`enforce` raises FenceViolation (a PermissionError) in the job: what was blocked, why, the policy clause and
what to do; `audit` logs and lets everything through.

What the fence cannot see, and does not claim to:
- sockets opened outside Python's socket module: gRPC core, aws-crt (boto3's CRT transfers, s3torchconnector),
  Arrow's S3 filesystem, NCCL and Gloo, libcurl inside extensions (pycurl), any C or Rust extension with its own
  network code;
- DNS done in C extensions, and connects made with a name resolved there;
- child processes that are not Python: only their command line is checked, and only for the tools above. A
  child Python process is fenced only under `homeport fence run`, which puts a sitecustomize module first on
  PYTHONPATH for every Python process it starts (`inherit.py`); Python started with -I, -E or -S, or with an
  environment that drops PYTHONPATH, escapes it;
- botocore clients created before activation (their connections are still checked by host name).
The network-level complement (`homeport fence export`) covers what the process cannot see.

The hooks themselves are in `hooks.py`. Audit hooks cannot be removed: the hook stays installed and consults
the active fence, so `Fence.deactivate()` really ends the checks (the socket wrappers and the botocore patch are
undone too).
"""

from __future__ import annotations

import errno
import os
import threading
from collections import Counter
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from homeport.catalog.endpoints import identify_host, normalize_host
from homeport.core.errors import HomeportError, UsageError
from homeport.policy import hooks
from homeport.policy.audit_log import DEFAULT_LOG, AuditLog
from homeport.policy.commands import Destination, destinations, simple_commands
from homeport.policy.engine import Policy, load_policy
from homeport.policy.spec import MODES
from homeport.policy.verdict import Verdict

_ASKED = {"dns": "name lookup", "connect": "connection", "botocore": "botocore request",
          "subprocess": "command, before it started"}
_lock = threading.RLock()  # activation and deactivation


class FenceViolation(PermissionError):
    """A destination the policy denies, raised in the job in enforce mode. `verdict` says who decided what."""

    def __init__(self, verdict: Verdict, asked: str, what: str, policy: Policy):
        self.verdict, self.asked, self.what = verdict, asked, what
        port = f":{verdict.port}" if verdict.port else ""
        subject = what or f"{verdict.host}{port}"
        message = (f"homeport fence blocked {subject} ({_ASKED[asked]}): {verdict.reason}\n"
                   f"  policy clause: {verdict.rule} in {policy.name} (mode {policy.mode})\n"
                   f"  what to do: use a destination the policy allows, or change the policy; "
                   f"`homeport fence check {verdict.host or subject} --policy {policy.name}` explains the verdict, "
                   f"and mode audit logs without blocking")
        super().__init__(message)
        self.errno = errno.EACCES


class Fence:
    """An active policy in this process. Made by `activate`; `deactivate()` ends it."""

    def __init__(self, policy: Policy, origin, log_path: str):
        self.policy = policy
        self.origin = origin  # the policy file's absolute path, or the Policy object given
        self.log = AuditLog(log_path)
        self.counts: Counter = Counter()  # verdict -> decisions, repeats included
        self.violations: list[FenceViolation] = []  # the last 100 blocked in this process
        self.overrides = {normalize_host(k): v for k, v in policy.resolve_overrides.items()}
        self._addresses: dict[str, Verdict] = {}  # address -> the verdict of the lookup that returned it
        self._logged: set = set()
        # the hooks' fast path: lookups and connections already allowed and logged need no new decision
        self.allowed_lookups: dict[tuple, tuple[Fence, Verdict, str]] = {}
        self.open_connections: set[tuple[str, int | None]] = set()

    @property
    def mode(self) -> str:
        return self.policy.mode

    @property
    def log_path(self) -> str:
        return self.log.path

    @property
    def active(self) -> bool:
        return hooks.current() is self

    def __enter__(self) -> Fence:
        return self

    def __exit__(self, *exc) -> None:
        self.deactivate()

    def __repr__(self) -> str:
        return f"<Fence {self.policy.name} mode={self.mode} log={self.log_path} {'active' if self.active else 'off'}>"

    def deactivate(self) -> None:
        """End the checks (idempotent). The audit hook stays, idle; the socket functions are restored."""
        with _lock:
            hooks.uninstall(self)
            self.log.close()

    # -- decisions ---------------------------------------------------------------------------------------

    def judge(self, host: str, port: int | None, asked: str, what: str = "", **seen) -> Verdict:
        """Decide `host`, log it, raise FenceViolation when the policy denies it."""
        return self.settle(self.policy.decide(host, port), asked, what, **seen)

    def settle(self, verdict: Verdict, asked: str, what: str = "", **seen) -> Verdict:
        self._record(verdict, asked, verdict.port, seen)
        if not verdict.allowed:
            violation = FenceViolation(verdict, asked, what, self.policy)
            self.violations = [*self.violations[-99:], violation]
            raise violation
        return verdict

    def _record(self, verdict: Verdict, asked: str, port: int | None, seen: dict) -> None:
        self.counts[verdict.verdict] += 1
        if verdict.verdict == "allow":
            key = (asked, verdict.host, port, *seen.values())
            if key in self._logged:
                return
            self._logged.add(key)
        if port != verdict.port:
            verdict = replace(verdict, port=port)
        self.log.write(verdict, asked=asked, pid=os.getpid(), **seen)

    def remember(self, addresses: list[str], verdict: Verdict) -> None:
        known = self._addresses
        for address in addresses:
            known[address] = verdict
        if verdict.verdict != "allow" and self.open_connections:  # now an audited name's: log its connects again
            self.open_connections = {key for key in self.open_connections if key[0] not in addresses}

    def check_connect(self, host: str, port: int | None) -> None:
        known = self._addresses.get(host)
        if known is None:
            verdict = self.judge(host, port, "connect", address=host)
        else:  # an address an allowed (or audited) lookup returned: the name's verdict stands for it
            verdict = known
            self._record(known, "connect", port, {"address": host})
        if verdict.verdict == "allow":
            self.open_connections.add((host, port))

    def check_command(self, argv, env) -> None:
        env = os.environ if env is None else {os.fsdecode(k): os.fsdecode(v) for k, v in env.items()}
        for words, command_env in simple_commands(argv, env):
            for dest in destinations(words, command_env):
                shown = f"{os.path.basename(words[0])} {dest.target}"
                try:
                    verdict = self.policy.decide(dest.host, dest.port) if dest.host else self._unidentified(dest)
                except HomeportError:  # a host the policy cannot read (`.`): as unknown as one never named
                    verdict = self._unidentified(dest)
                self.settle(verdict, "subprocess", f"the command `{shown}`", command=shown, via=dest.via)

    def check_botocore(self, url: str, event_name: str) -> None:
        scheme, _, rest = url.partition("://")
        netloc, _, path = rest.partition("/")
        host, port = _host_port(scheme, netloc)
        _, service, operation = (event_name.split(".") + ["", "", ""])[:3]
        bucket = _bucket(host, path) if service == "s3" else ""
        verdict = self.policy.decide(host, port)
        what = "" if verdict.allowed else (f"the {service} {operation} request to {host}"
                                           + (f" (bucket {bucket})" if bucket else ""))
        self.settle(verdict, "botocore", what, service=service, operation=operation, bucket=bucket)

    def _unidentified(self, dest: Destination) -> Verdict:
        action = self.policy.spec.unknown_hosts
        reason = f"{dest.via}; unknown_hosts says {action}."
        if action == "deny" and self.mode == "audit":
            action, reason = "audit", reason + " Mode audit: logged, not blocked."
        return Verdict(dest.target, None, action, f"unknown_hosts: {self.policy.spec.unknown_hosts}", reason)


# -- activation -----------------------------------------------------------------------------------------

def active() -> Fence | None:
    """The fence active in this process, or None."""
    return hooks.current()


def activate(policy: str | os.PathLike | Policy, *, mode: str | None = None,
             audit_log: str | os.PathLike | None = None) -> Fence:
    """Fence this process with `policy` (a file or a Policy). `mode` overrides the policy's (enforce | audit);
    `audit_log` overrides its `audit_log:` (default fence-audit.jsonl; a relative path is taken from the current
    directory). Idempotent: activating the same policy again returns the active fence; another policy, mode or
    log while one is active is a UsageError (deactivate it first)."""
    if mode is not None and mode not in MODES:
        raise UsageError(f"unknown fence mode {mode!r}", expected=" or ".join(MODES))
    with _lock:
        loaded, origin = _load(policy)
        current = hooks.current()
        if current is not None:
            same = current.origin == origin and mode in (None, current.mode) and (
                audit_log is None or os.path.abspath(audit_log) == current.log_path)
            if same:
                return current
            raise UsageError(f"a fence is already active in this process ({current!r})",
                             hint="call deactivate() on it first, or activate the same policy")
        if mode is not None and mode != loaded.mode:
            loaded = Policy(replace(loaded.spec, mode=mode))
        fence = Fence(loaded, origin, str(audit_log or loaded.audit_log or DEFAULT_LOG))
        hooks.install(fence)
        return fence


def deactivate() -> None:
    """End the active fence, if any."""
    current = hooks.current()
    if current is not None:
        current.deactivate()


def _load(policy) -> tuple[Policy, object]:
    if isinstance(policy, Policy):
        return policy, policy
    return load_policy(policy), str(Path(policy).resolve())  # messages name the file as it was given


@lru_cache(maxsize=1024)
def _host_port(scheme: str, netloc: str) -> tuple[str, int | None]:
    parts = urlsplit(f"{scheme}://{netloc}")
    try:
        port = parts.port
    except ValueError:  # not a number: the host is still what is decided
        port = None
    return parts.hostname or "", port or hooks.SERVICE_PORTS.get(scheme)


def _bucket(host: str, path: str) -> str:
    """The bucket of an S3 request: in the host (virtual-hosted, as the catalog reads it), else the path's first
    segment (path-style)."""
    match = identify_host(host)
    return match.bucket if match and match.bucket else path.split("/", 1)[0].split("?", 1)[0]


def _after_fork_in_child() -> None:
    """A forked worker keeps its parent's fence (and shares its log); a lock held by another thread at the
    fork would never be released in the child."""
    global _lock
    _lock = threading.RLock()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)

"""The fence's hooks into this process: socket wrappers, the audit hook, the botocore handler.

`install(fence)` makes `fence` the one these hooks consult and `uninstall(fence)` idles them. The audit hook
(sys.addaudithook) cannot be removed: once installed it stays, and returns at once while no fence is active.
The socket wrappers and the botocore patch are undone.

This is the path every connection takes, so it is kept short: a name already allowed and logged is answered
from the fence's cache, an address already allowed skips the decision, and the events the fence does not read
cost one dict lookup. Which events and why: homeport.policy.guard.
"""

from __future__ import annotations

import _socket
import ipaddress
import os
import socket
import sys
import threading
from functools import lru_cache

from homeport.catalog.endpoints import normalize_host
from homeport.policy import botocore_hook

SERVICE_PORTS = {"http": 80, "https": 443}
_INET = (int(socket.AF_INET), int(socket.AF_INET6))
_family = _socket.socket.family.__get__  # the C attribute: an int, without socket.socket's IntEnum conversion

_active = None  # the Fence these hooks consult
_local = threading.local()  # .inside: this thread is in the fence's own lookup; .launch: argv being checked
_hook_installed = False
_originals: dict[str, object] = {}


def current():
    """The active Fence, or None."""
    return _active


def install(fence) -> None:
    global _active, _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit_hook)
        _hook_installed = True
    _wrap_socket()
    botocore_hook.install(_check_botocore)
    _active = fence


def uninstall(fence) -> None:
    global _active
    if _active is fence:
        _active = None
        _restore_socket()
        botocore_hook.uninstall()


def _host_text(host) -> str | None:
    if isinstance(host, (bytes, bytearray)):
        host = bytes(host).decode("ascii", "replace")  # IDNA names arrive as xn-- ASCII
    return host if isinstance(host, str) and host else None


@lru_cache(maxsize=4096)
def _lookup_name(host: str) -> str | None:
    """The normalized name to decide, or None for an address (the connect decides those). Cached: parsing a
    name as an address fails through two exceptions, which the hot path cannot afford for every lookup."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return None
    except ValueError:
        return normalize_host(host) or None  # "." is no name: the resolver answers it as it would


def _port(port) -> int | None:
    if isinstance(port, (bytes, bytearray)):
        port = bytes(port).decode("ascii", "replace")
    if isinstance(port, int):
        return port
    if isinstance(port, str):
        return int(port) if port.isdigit() else SERVICE_PORTS.get(port)
    return None


def _quietly(function, *args):
    """Call `function` as the fence's own lookup: the audit hook lets it be."""
    _local.inside = True
    try:
        return function(*args)
    finally:
        _local.inside = False


def _decide_name(host, port) -> tuple | None:
    """(fence, verdict, name) for a lookup the fence must decide; None when no fence is active or `host` is an
    address (the connect decides it). Raises FenceViolation when denied. (The real lookups the wrappers make
    call _socket, never a wrapper again: only the audit hook needs to know it is the fence's own lookup.)"""
    fence = _active
    if fence is None:
        return None
    key = (host, port) if type(host) is str else None  # bytearray is not hashable
    decided = fence.allowed_lookups.get(key)
    if decided is not None:
        fence.counts["allow"] += 1
        return decided
    text = _host_text(host)
    name = _lookup_name(text) if text is not None else None
    if name is None:
        return None
    decided = fence, fence.judge(text, _port(port), "dns"), name
    if key is not None and decided[1].verdict == "allow":  # audited lookups are logged every time
        if len(fence.allowed_lookups) >= 8192:
            fence.allowed_lookups.clear()
        fence.allowed_lookups[key] = decided
    return decided


def _getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    real = _originals["getaddrinfo"]
    decided = _decide_name(host, port)
    if decided is None:
        return real(host, port, family, type, proto, flags)
    fence, verdict, name = decided
    override = fence.overrides.get(name)
    if override is None:
        _local.inside = True  # _quietly, inlined: this is the path every connection takes
        try:
            result = real(host, port, family, type, proto, flags)
        finally:
            _local.inside = False
    else:  # the policy's resolve: addresses, in the shape the caller asked for
        result = []
        for address in override:
            try:
                result += _quietly(real, address, port, family, type, proto, flags | socket.AI_NUMERICHOST)
            except socket.gaierror:
                continue  # an IPv6 address for an AF_INET lookup
        if not result:
            raise socket.gaierror(socket.EAI_NONAME, f"the policy's resolve: gives {name} no address of this family")
    fence.remember([info[4][0] for info in result], verdict)
    return result


def _by_name(function: str, hostname, from_override, addresses):
    """gethostbyname and gethostbyname_ex, decided first: `from_override(name, addresses)` shapes the policy's
    resolve: answer as the real call would, `addresses(result)` reads the addresses to remember."""
    real = _originals[function]
    decided = _decide_name(hostname, None)
    if decided is None:
        return real(hostname)
    fence, verdict, name = decided
    override = fence.overrides.get(name)
    result = _quietly(real, hostname) if override is None else from_override(name, override)
    fence.remember(addresses(result), verdict)
    return result


def _gethostbyname(hostname):
    return _by_name("gethostbyname", hostname, lambda name, found: found[0], lambda address: [address])


def _gethostbyname_ex(hostname):
    return _by_name("gethostbyname_ex", hostname, lambda name, found: (name, [], list(found)), lambda r: r[2])


_WRAPPERS = {"getaddrinfo": _getaddrinfo, "gethostbyname": _gethostbyname, "gethostbyname_ex": _gethostbyname_ex}


def _wrap_socket() -> None:
    for name, wrapper in _WRAPPERS.items():
        current = getattr(socket, name)
        if current is not wrapper:
            _originals[name] = current
            setattr(socket, name, wrapper)


def _restore_socket() -> None:
    for name, wrapper in _WRAPPERS.items():
        if getattr(socket, name) is wrapper and name in _originals:
            setattr(socket, name, _originals[name])


def _on_bypassed_lookup(fence, args) -> None:
    """A lookup that did not come through the wrappers: decide it; remember what it will answer."""
    decided = _decide_name(args[0], args[1] if len(args) == 5 else None)  # getaddrinfo: host, port, family, ...
    if decided is None:
        return
    _, verdict, name = decided
    try:
        answers = [info[4][0] for info in _quietly(_originals["getaddrinfo"], name, None)]
    except OSError:
        answers = []  # the caller's own lookup fails the same way
    fence.remember(answers, verdict)


def _on_connect(fence, args) -> None:
    sock, address = args[0], args[1]
    if type(address) is not tuple or len(address) < 2 or _family(sock) not in _INET:
        return  # AF_UNIX paths, netlink, a sendmsg on a connected socket (address None)
    if address[:2] in fence.open_connections:  # allowed and logged before
        fence.counts["allow"] += 1
        return
    host = _host_text(address[0])
    if host is not None:
        fence.check_connect(host, address[1] if isinstance(address[1], int) else None)


def _on_popen(fence, args) -> None:
    executable, argv, _cwd, env = args
    argv = list(argv) if not isinstance(argv, (str, bytes)) else [argv]
    if executable is not None and argv:
        argv[0] = executable
    _local.launch = args[1]  # the same list reaches os.posix_spawn: checked once
    fence.check_command(argv, env)


def _on_spawn(fence, path, argv, env) -> None:
    if argv is not None and argv is getattr(_local, "launch", None):
        return
    argv = list(argv or [path])
    if argv:
        argv[0] = path
    fence.check_command(argv, env)


_HANDLERS = {
    "socket.getaddrinfo": _on_bypassed_lookup,
    "socket.gethostbyname": _on_bypassed_lookup,
    "socket.gethostbyname_ex": _on_bypassed_lookup,
    "socket.connect": _on_connect,
    "socket.sendto": _on_connect,
    "subprocess.Popen": _on_popen,
    "os.system": lambda fence, args: fence.check_command(["/bin/sh", "-c", os.fsdecode(args[0])], None),
    "os.exec": lambda fence, args: _on_spawn(fence, args[0], args[1], args[2]),
    "os.posix_spawn": lambda fence, args: _on_spawn(fence, args[0], args[1], args[2]),
    "os.spawn": lambda fence, args: _on_spawn(fence, args[1], args[2], args[3]),
}


def _audit_hook(event: str, args) -> None:
    fence = _active
    if fence is None:
        return
    handler = _HANDLERS.get(event)
    if handler is not None and not getattr(_local, "inside", False):
        handler(fence, args)


def _check_botocore(url: str, event_name: str) -> None:
    fence = _active
    if fence is not None:
        fence.check_botocore(url, event_name)

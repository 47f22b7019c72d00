"""The fence against real clients and real servers: every disallowed attempt blocked with nothing arriving at the
server (counted on the server side), every allowed one through, audit mode logs and lets through, a policy that
allows nothing blocks everything but what it says about loopback, direct-IP connects follow `direct_ip`."""

from __future__ import annotations

import asyncio
import http.client
import socket
import urllib.request

import pytest
import requests
from fence_support import ALLOWED, DENIED, DENIED_IP, LOG_FIELDS, RESOLVE, read_log, violation_in
from recording_server import RecordingServer, lan_address

import homeport.fence

ATTEMPTS = 5  # per client and destination


def _raw_get(sock: socket.socket) -> bytes:
    sock.sendall(b"GET /shard-0001 HTTP/1.0\r\nHost: test\r\n\r\n")
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data.partition(b"\r\n\r\n")[2]


def get_requests(host, port):
    return requests.get(f"http://{host}:{port}/shard-0001", timeout=5).content


def get_urllib(host, port):
    with urllib.request.urlopen(f"http://{host}:{port}/shard-0001", timeout=5) as response:
        return response.read()


def get_http_client(host, port):
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", "/shard-0001")
        return conn.getresponse().read()
    finally:
        conn.close()


def get_socket(host, port):
    with socket.create_connection((host, port), timeout=5) as sock:
        return _raw_get(sock)


def get_gethostbyname(host, port):
    with socket.socket() as sock:
        sock.settimeout(5)
        sock.connect((socket.gethostbyname(host), port))
        return _raw_get(sock)


def get_asyncio(host, port):
    async def fetch():
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET / HTTP/1.0\r\n\r\n")
        data = await reader.read()
        writer.close()
        return data.partition(b"\r\n\r\n")[2]

    return asyncio.run(fetch())


CLIENTS = {"requests": get_requests, "urllib": get_urllib, "http.client": get_http_client, "socket": get_socket,
           "gethostbyname+connect": get_gethostbyname, "asyncio": get_asyncio}


@pytest.mark.parametrize("client", CLIENTS)
def test_enforce_blocks_every_denied_attempt_and_nothing_arrives(client, fence, allowed_server, denied_server):
    get = CLIENTS[client]
    active = fence()
    blocked, through = 0, 0
    for _ in range(ATTEMPTS):
        with pytest.raises(Exception) as info:
            get(DENIED, denied_server.port)
        violation = violation_in(info.value)
        assert violation is not None, f"{client} failed for another reason: {info.value!r}"
        assert violation.verdict.host == DENIED and violation.asked == "dns"
        blocked += 1
        assert get(ALLOWED, allowed_server.port) == b"ok"
        through += 1
    active.deactivate()
    assert (blocked, through) == (ATTEMPTS, ATTEMPTS)
    assert denied_server.settle() == (0, 0)  # not one connection, not one byte
    connections, received = allowed_server.settle()
    assert connections == ATTEMPTS and received > 0  # no false block
    assert active.counts["deny"] == ATTEMPTS


def test_the_violation_says_what_why_which_clause_and_what_to_do(fence, denied_server):
    active = fence()
    with pytest.raises(homeport.fence.FenceViolation) as info:
        get_socket(DENIED, denied_server.port)
    message = str(info.value)
    assert isinstance(info.value, PermissionError) and info.value.errno == 13
    assert message.startswith(f"homeport fence blocked {DENIED}:{denied_server.port} (name lookup):")
    assert "aws" in message and "IE (Ireland)" in message and "under US law" in message
    assert f"policy clause: deny.parent_jurisdictions[0] (US) in {active.policy.name} (mode enforce)" in message
    assert f"homeport fence check {DENIED} --policy" in message and "mode audit" in message
    assert active.violations[-1] is info.value


def test_the_audit_log_has_a_line_per_decision(fence, allowed_server, denied_server):
    active = fence()
    get_urllib(ALLOWED, allowed_server.port)
    with pytest.raises(Exception):
        get_urllib(DENIED, denied_server.port)
    active.deactivate()
    lines = read_log(active)
    for line in lines:
        assert all(field in line for field in LOG_FIELDS), line
    by_ask = {(line["asked"], line["host"], line["verdict"]) for line in lines}
    assert ("dns", ALLOWED, "allow") in by_ask and ("connect", ALLOWED, "allow") in by_ask
    assert ("dns", DENIED, "deny") in by_ask and not any(h == DENIED for a, h, _ in by_ask if a == "connect")
    denied = next(line for line in lines if line["host"] == DENIED)
    assert (denied["provider"], denied["country"], denied["port"], denied["rule"]) == (
        "aws", "IE", denied_server.port, "deny.parent_jurisdictions[0] (US)")
    connect = next(line for line in lines if line["asked"] == "connect")
    assert connect["address"] == "127.0.0.2" and connect["provider"] == "ovhcloud" and connect["country"] == "FR"


@pytest.mark.parametrize("client", CLIENTS)
def test_audit_mode_logs_and_lets_through(client, fence, denied_server):
    active = fence(mode="audit")
    for _ in range(ATTEMPTS):
        assert CLIENTS[client](DENIED, denied_server.port) == b"ok"
    active.deactivate()
    assert denied_server.settle()[0] == ATTEMPTS
    audited = [line for line in read_log(active) if line["verdict"] == "audit"]
    assert {line["asked"] for line in audited} == {"dns", "connect"}
    assert all(line["host"] == DENIED and "Mode audit: logged, not blocked." in line["reason"] for line in audited)
    assert len([line for line in audited if line["asked"] == "connect"]) == ATTEMPTS  # audit: every time


def test_a_policy_that_allows_nothing_blocks_everything_but_loopback(fence, allowed_server, denied_server):
    active = fence(RESOLVE)  # no allow clause; loopback true by default
    for get in CLIENTS.values():
        for host, server in ((ALLOWED, allowed_server), (DENIED, denied_server)):
            with pytest.raises(Exception) as info:
                get(host, server.port)
            assert violation_in(info.value).verdict.rule == "allow"
    assert get_socket(DENIED_IP, denied_server.port) == b"ok"  # what it says about loopback: allowed
    active.deactivate()
    assert allowed_server.settle() == (0, 0)
    assert denied_server.settle()[0] == 1


def test_a_policy_that_allows_nothing_not_even_loopback(fence, denied_server):
    fence("allow:\n  loopback: false\n" + RESOLVE)
    for address in (DENIED_IP, "127.0.0.1", "localhost"):
        with pytest.raises(homeport.fence.FenceViolation) as info:
            get_socket(address, denied_server.port)
        assert info.value.verdict.rule == "allow.loopback: false"
    homeport.fence.deactivate()
    assert denied_server.settle() == (0, 0)


@pytest.fixture
def lan_server():
    server = RecordingServer(lan_address())
    yield server
    server.close()


@pytest.mark.parametrize("direct_ip, declared, expected", [
    ("deny", False, "deny"),
    ("audit", False, "audit"),
    ("allow", False, "allow"),
    ("deny", True, "allow"),  # a declared network in an allowed country
])
def test_direct_ip_connects_follow_the_policy(fence, lan_server, direct_ip, declared, expected):
    address = lan_server.host
    text = f"allow:\n  countries: [EU]\ndirect_ip: {direct_ip}\n"
    if declared:
        text += f'hosts:\n  "{address}/32": {{country: DE, note: "the rack"}}\n'
    active = fence(text)
    if expected == "deny":
        with pytest.raises(homeport.fence.FenceViolation) as info:
            get_socket(address, lan_server.port)
        assert info.value.asked == "connect" and info.value.verdict.rule == "direct_ip: deny"
    else:
        assert get_socket(address, lan_server.port) == b"ok"
    active.deactivate()
    assert lan_server.settle()[0] == (0 if expected == "deny" else 1)
    line = next(line for line in read_log(active) if line["asked"] == "connect")
    assert (line["host"], line["verdict"], line["address"]) == (address, expected, address)


def test_only_addresses_an_allowed_lookup_returned_are_open(fence, allowed_server):
    """127.0.0.2 is open once the allowed name resolved to it, and not before (loopback is closed)."""
    fence()
    with pytest.raises(homeport.fence.FenceViolation):
        get_socket("127.0.0.2", allowed_server.port)
    socket.getaddrinfo(ALLOWED, allowed_server.port)
    assert get_socket("127.0.0.2", allowed_server.port) == b"ok"


def test_a_lookup_that_bypasses_the_wrappers_is_still_decided(fence, denied_server):
    """`_socket.getaddrinfo` (or a reference taken before activation) skips the wrapper; the audit hook decides it
    and remembers what an allowed name resolves to."""
    import _socket

    local = RecordingServer("127.0.0.1")
    try:
        fence("allow:\n  hosts: [localhost]\n  loopback: false\n" + RESOLVE)
        with pytest.raises(homeport.fence.FenceViolation) as info:
            _socket.getaddrinfo(DENIED, denied_server.port)
        assert info.value.asked == "dns"
        _socket.getaddrinfo("localhost", local.port)
        with socket.socket() as sock:  # 127.0.0.1 is open because the allowed name returned it
            sock.connect(("127.0.0.1", local.port))
            assert _raw_get(sock) == b"ok"
        with pytest.raises(homeport.fence.FenceViolation):
            get_socket("127.0.0.3", denied_server.port)  # loopback stays closed to the rest
    finally:
        local.close()


def test_udp_to_an_undeclared_address_is_blocked(fence):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind((lan_address(), 0))
    receiver.setblocking(False)
    try:
        fence("allow:\n  countries: [EU]\n")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            with pytest.raises(homeport.fence.FenceViolation) as info:
                sender.sendto(b"telemetry", receiver.getsockname())
        assert info.value.asked == "connect" and info.value.verdict.rule == "direct_ip: deny"
        with pytest.raises(BlockingIOError):
            receiver.recv(100)  # nothing arrived
    finally:
        receiver.close()


def test_a_forked_worker_keeps_the_fence(fence, denied_server):
    """DataLoader workers started with fork inherit the fence and write to the same log."""
    import multiprocessing

    active = fence()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()

    def worker():
        try:
            get_socket(DENIED, denied_server.port)
            queue.put("through")
        except homeport.fence.FenceViolation:
            queue.put("blocked")

    process = context.Process(target=worker)
    process.start()
    process.join(30)
    assert queue.get(timeout=5) == "blocked" and process.exitcode == 0
    active.deactivate()
    assert denied_server.settle() == (0, 0)
    assert {line["pid"] for line in read_log(active) if line["verdict"] == "deny"} == {process.pid}

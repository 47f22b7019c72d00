"""Overhead of the runtime fence on an allowed request (target: <= 5 %).

    .venv/bin/python benchmarks/fence_overhead.py [--requests 2000] [--block 50] [-o benchmarks/fence_overhead.json]

A local HTTP server in its own process answers every GET at once and closes the connection, so each request
pays the whole guarded path: name resolution (`localhost`, through the resolver, in both arms), the policy's
decision (cached), remembering the answers, the connect check, the audit hook on every event, the log line
(allowed lines are written once per destination). Clients, each opening a new connection per GET:
http.client (the strictest case: little else to hide the fence's cost), requests (a new session per GET, as
`requests.get` does) and boto3 `get_object` (the path training data takes; its client was made under the fence,
so its botocore check runs too). The arms alternate in blocks of --block requests, fence on, fence off, so that
drift on a shared machine falls on both; the figures are medians of the per-pair ratios (on / off) over
--requests GETs per arm and client. One fence per client serves every "on" block, as one fence serves a whole
job: between blocks its hooks are taken out and put back (outside the timed part) with its decisions and log
kept, so the "on" arm pays what each request of a running job pays. What a job pays once per destination (the
first decision and its log line, under a fresh fence) is measured apart: `first_request_us`.

Two clocks: wall time, what a job sees, and the client process's CPU time. The fence adds only CPU work in
the client, so the CPU-time figure is the steadier one on a busy machine, and in microseconds it is what the
fence costs per request. `pristine` is the same client before any fence was ever activated in the process (an
audit hook cannot be removed; `off` runs with the idle hook installed).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import requests

import homeport.fence
from homeport.policy import hooks, parse_policy

REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
POLICY = {"allow": {"countries": ["EU"]}, "deny": {"parent_jurisdictions": ["US"]}}  # loopback allowed


def serve() -> None:
    """The server process: print the port, then answer each connection with 200 "ok"."""
    server = socket.create_server(("127.0.0.1", 0), backlog=128)
    print(server.getsockname()[1], flush=True)
    while True:
        conn, _ = server.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            conn.sendall(REPLY)


def get_http_client(port: int) -> bytes:
    conn = http.client.HTTPConnection("localhost", port, timeout=5)
    conn.request("GET", "/shard-0001")
    body = conn.getresponse().read()
    conn.close()
    return body


def get_requests(port: int) -> bytes:
    return requests.get(f"http://localhost:{port}/shard-0001", timeout=5).content


def boto3_getter(port: int):
    """A get(port) through boto3 get_object; made while the fence is active, so that it has the fence's
    before-send handler (which does nothing when the fence is off)."""
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "s3", endpoint_url=f"http://localhost:{port}", region_name="us-east-1", aws_access_key_id="bench-key",
        aws_secret_access_key="bench-secret",
        config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard", "max_attempts": 1},
                      request_checksum_calculation="when_required", response_checksum_validation="when_required"))
    return lambda _port: client.get_object(Bucket="bench", Key="shard-0001")["Body"].read()


def timed_block(get, port: int, n: int) -> tuple[float, float]:
    """(wall seconds, client CPU seconds) per request over n requests."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        if get(port) != b"ok":
            raise RuntimeError("the server did not answer ok")
    return (time.perf_counter() - wall) / n, (time.process_time() - cpu) / n


def _summary(on: list[float], off: list[float]) -> dict:
    ratios = [a / b for a, b in zip(on, off)]
    return {"median_us_off": round(statistics.median(off) * 1e6, 1),
            "median_us_on": round(statistics.median(on) * 1e6, 1),
            "median_ratio": round(statistics.median(ratios), 4),
            "ratio_p25_p75": [round(q, 4) for q in statistics.quantiles(ratios, n=4)[::2]],
            "overhead_percent": round((statistics.median(ratios) - 1) * 100, 2)}


def first_request(get, port: int, policy, log: str, times: int = 20) -> dict:
    """Median µs of the first GET under a fresh fence (its decision, its log line) and of the GET after it."""
    first, second = [], []
    for _ in range(times):
        with homeport.fence.activate(policy, audit_log=log):
            first.append(timed_block(get, port, 1))
            second.append(timed_block(get, port, 1))
    return {clock: {"first": round(statistics.median(f[i] for f in first) * 1e6, 1),
                    "next": round(statistics.median(s[i] for s in second) * 1e6, 1)}
            for i, clock in enumerate(("wall", "cpu"))}


def measure(get, port: int, total: int, block: int, policy, log: str, pristine: tuple[float, float]) -> dict:
    cold = first_request(get, port, policy, log)
    on, off = [], []
    with homeport.fence.activate(policy, audit_log=log) as fence:
        timed_block(get, port, 100)  # its decisions made and logged, as in a job past its first requests
        for _ in range(total // block):
            on.append(timed_block(get, port, block))
            hooks.uninstall(fence)  # hooks out, the fence's caches and log kept
            off.append(timed_block(get, port, block))
            hooks.install(fence)
    return {"requests_per_arm": len(on) * block, "block": block,
            "pristine_us": {"wall": round(pristine[0] * 1e6, 1), "cpu": round(pristine[1] * 1e6, 1)},
            "first_request_us": cold,
            "wall": _summary([w for w, _ in on], [w for w, _ in off]),
            "cpu": _summary([c for _, c in on], [c for _, c in off])}


def micro(port: int, policy, log: str, n: int = 20000) -> dict:
    """Per-call cost of the pieces, in microseconds: a name lookup, and an audit event the fence ignores."""
    def per_call(fn) -> float:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - start) / n * 1e6

    lookup = lambda: socket.getaddrinfo("localhost", port, type=socket.SOCK_STREAM)  # noqa: E731
    event = lambda: sys.audit("homeport.benchmark")  # noqa: E731
    off = {"getaddrinfo_us": per_call(lookup), "audit_event_us": per_call(event)}
    with homeport.fence.activate(policy, audit_log=log):
        on = {"getaddrinfo_us": per_call(lookup), "audit_event_us": per_call(event)}
    return {k: {"off": round(off[k], 2), "on": round(on[k], 2)} for k in off}


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return {"cpus": os.cpu_count(), "cpu": cpu, "system": platform.platform(), "python": platform.python_version(),
            "requests": requests.__version__}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="GETs per arm and client")
    parser.add_argument("--block", type=int, default=50, help="GETs per block; the arms alternate per block")
    parser.add_argument("-o", "--output", help="write the figures as JSON here too")
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        policy = parse_policy(POLICY, "benchmark policy (EU, no US operators, loopback allowed)")
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "fence-audit.jsonl")
            clients = [("http.client", get_http_client), ("requests", get_requests), ("boto3", boto3_getter(port))]
            for _, get in clients:
                timed_block(get, port, 100)  # imports, connection setup paths
            pristine = {name: timed_block(get, port, 1000) for name, get in clients}  # no audit hook yet
            with homeport.fence.activate(policy, audit_log=log):
                clients[2] = ("boto3", boto3_getter(port))
            results = {name: measure(get, port, args.requests, args.block, policy, log, pristine[name])
                       for name, get in clients}
            results["micro"] = micro(port, policy, log)
            results["log_lines"] = sum(1 for _ in open(log, encoding="utf-8"))
    finally:
        server.kill()
        server.wait()
    doc = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
           "command": "python benchmarks/fence_overhead.py " + " ".join(sys.argv[1:]), "target_percent": 5.0,
           "results": results}
    text = json.dumps(doc, indent=2)
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    return 0 if all(results[name]["wall"]["overhead_percent"] <= 5.0 for name, _ in clients) else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve()
    else:
        raise SystemExit(main())

"""homeport.data.stream at 0 ms and 100 ms added round trip, for 16..128 requests in flight.

Target (issue 4): at 100 ms the stream sustains >= 90% of its 0 ms throughput. The server (rclone
serve s3 by default, or moto_server) and the LatencyProxy each run in their own process, so neither
competes with the reader for the GIL. Writes benchmarks/data_stream.json and prints a Markdown table.

    .venv/bin/python benchmarks/data_stream.py [--server rclone|moto] [--objects 1024] [--size 4MiB] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "data"))  # the test servers: one way to start them

from servers import REGION, start_moto, start_rclone, wait_port  # noqa: E402

from homeport.data.latency import LatencyProxy, free_port  # noqa: E402
from homeport.data.locations import Location, open_store  # noqa: E402
from homeport.data.probe import MiB, parse_size  # noqa: E402
from homeport.data.stream import stream  # noqa: E402


def _proxy_main(host, port, delay, conn):
    import logging

    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # the proxy's stop drops pending tasks noisily
    proxy = LatencyProxy(host, port, delay_s=delay).start()
    conn.send(proxy.port)
    conn.recv()  # until the parent says stop
    proxy.stop()


def start_proxy(endpoint: str, delay: float):
    host, port = endpoint.rsplit("//", 1)[1].split(":")
    parent, child = mp.Pipe()
    p = mp.Process(target=_proxy_main, args=(host, int(port), delay, child), daemon=True)
    p.start()
    url = f"http://127.0.0.1:{parent.recv()}"

    def stop():
        parent.send("stop")
        p.join(10)

    return url, stop


def start_moto_process():
    """moto_server in its own process (the in-process thread would share the reader's GIL)."""
    from servers import Server

    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc)

    def stop():
        proc.terminate()
        proc.wait(10)

    return Server("moto", f"http://127.0.0.1:{port}", "testing-key", "testing-secret"), stop


def location(server, bucket, endpoint) -> Location:
    return Location("s3", f"bench:{bucket}", bucket=bucket, remote="bench", endpoint_url=endpoint,
                    access_key_id=server.key, secret_access_key=server.secret, region=REGION, path_style=True)


def measure(store, keys, in_flight) -> dict:
    t0 = time.perf_counter()
    total = n = 0
    for _, data in stream(store, keys, in_flight=in_flight):
        total += len(data)
        n += 1
    dt = time.perf_counter() - t0
    return {"in_flight": in_flight, "objects": n, "bytes": total, "seconds": round(dt, 3),
            "mib_per_s": round(total / dt / MiB, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", choices=["rclone", "moto"], default="rclone")
    ap.add_argument("--objects", type=int, default=1024, help="4 GiB at 4 MiB: long enough to measure a sustained rate")
    ap.add_argument("--repeat", type=int, default=3, help="runs per point; the median is kept")
    ap.add_argument("--size", default="4MiB")
    ap.add_argument("--in-flight", default="16,32,64,128")
    ap.add_argument("--chosen", type=int, default=64, help="in_flight at which the 100/0 ms ratio is judged")
    ap.add_argument("--rtt", type=float, default=0.1)
    ap.add_argument("-o", "--output", default=str(HERE / "data_stream.json"))
    a = ap.parse_args()
    size, levels = parse_size(a.size), [int(x) for x in a.in_flight.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        server, stop_server = start_rclone(Path(tmp) / "buckets") if a.server == "rclone" else start_moto_process()
        try:
            bucket = server.make_bucket()
            direct = open_store(location(server, bucket, server.endpoint))
            block = os.urandom(size)
            keys = [f"shard-{i:06d}.bin" for i in range(a.objects)]
            for k in keys:
                direct.put(k, [block])
            # both proxies up at once, runs interleaved (0 ms, then far, per point): on 2 shared CPUs
            # the machine drifts, and interleaving gives both sides the same drift
            delays = (0.0, a.rtt)
            proxies = [start_proxy(server.endpoint, d) for d in delays]
            try:
                stores = [open_store(location(server, bucket, url)) for url, _ in proxies]
                for st in stores:
                    measure(st, keys[: max(levels)], max(levels))  # warm-up: open the connections once
                runs = {d: [] for d in delays}
                for n in levels:
                    got = {d: [] for d in delays}
                    for _ in range(a.repeat):
                        for d, st in zip(delays, stores):
                            got[d].append(measure(st, keys, n))
                    for d in delays:
                        ordered = sorted(got[d], key=lambda r: r["mib_per_s"])
                        runs[d].append({**ordered[len(ordered) // 2], "runs_mib_per_s": [r["mib_per_s"] for r in got[d]]})
                        print(f"rtt +{d * 1000:.0f} ms in_flight {n:>3}: {runs[d][-1]['mib_per_s']:8.1f} MiB/s",
                              file=sys.stderr)
            finally:
                for _, stop_proxy in proxies:
                    stop_proxy()
        finally:
            stop_server()

    zero, far = runs[0.0], runs[a.rtt]
    rows = []
    for z, f in zip(zero, far):
        rows.append({"in_flight": z["in_flight"], "mib_per_s_0ms": z["mib_per_s"], "mib_per_s_far": f["mib_per_s"],
                     "ratio": round(f["mib_per_s"] / z["mib_per_s"], 3)})
    chosen = next((r for r in rows if r["in_flight"] == a.chosen), rows[-1])
    out = {"schema_version": 1, "benchmark": "data_stream", "server": a.server, "objects": a.objects,
           "object_bytes": size, "added_rtt_s": a.rtt, "repeat": a.repeat,
           "runs": {f"{d * 1000:.0f}ms": v for d, v in runs.items()}, "rows": rows, "chosen_in_flight": chosen["in_flight"],
           "ratio_at_chosen": chosen["ratio"], "target_ratio": 0.9, "meets_target": chosen["ratio"] >= 0.9,
           "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
           "date": time.strftime("%Y-%m-%d")}
    Path(a.output).write_text(json.dumps(out, indent=2) + "\n")
    ms = f"{a.rtt * 1000:.0f} ms"
    print(f"homeport.data.stream, {a.objects} x {a.size} objects from {a.server}, {os.cpu_count()} CPUs\n")
    print(f"| in flight | 0 ms MiB/s | {ms} MiB/s | {ms} / 0 ms |")
    print("|---:|---:|---:|---:|")
    for r in rows:
        mark = " **(chosen)**" if r is chosen else ""
        print(f"| {r['in_flight']} | {r['mib_per_s_0ms']} | {r['mib_per_s_far']} | {r['ratio']}{mark} |")
    print(f"\nratio at in_flight {chosen['in_flight']}: {chosen['ratio']} (target >= 0.9: "
          f"{'met' if out['meets_target'] else 'NOT met'})")
    return 0 if out["meets_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""homeport data copy against rclone copy, between the same two local S3 servers, in one run.

    python benchmarks/data_copy.py                       # the issue's cases (2,000 x 64 KiB, 8 x 256 MiB; 0 and 100 ms)
    python benchmarks/data_copy.py --small 500 --large 4 --large-mib 64   # a shorter run

Source: moto server (the hyperscaler side, in this process); destination: `rclone serve s3` (files on
disk). Each tool copies the same source prefix into a fresh destination bucket; the order of the
tools alternates from one setting to the next, and each tool runs with the settings listed (its best of those is kept; with
--repeat N every setting runs N times, alternating, and the best run counts, for both tools alike).
At 100 ms a LatencyProxy (homeport.data.latency) sits in front of both servers. homeport computes
SHA-256 of every object (always on); rclone checks MD5 where the servers give one. Peak RSS of each
tool's process is sampled from /proc. Writes benchmarks/data_copy.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO)]

from homeport.data.latency import LatencyProxy  # noqa: E402
from tests.data.servers import REGION, rclone_binary, start_moto, start_rclone  # noqa: E402

MiB = 1024 * 1024


def peak_rss(proc: subprocess.Popen) -> int:
    """The highest VmRSS of the process and its children seen while it runs, in bytes."""
    peak = 0
    while proc.poll() is None:
        try:
            for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    peak = max(peak, int(line.split()[1]) * 1024)
        except OSError:
            pass
        time.sleep(0.05)
    return peak


def timed(cmd: list[str], env: dict) -> dict:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    box = {}
    sampler = threading.Thread(target=lambda: box.setdefault("rss", peak_rss(proc)))
    sampler.start()
    out, err = proc.communicate()
    sampler.join()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}):\n{err.decode(errors='replace')[-3000:]}")
    return {"wall_s": wall, "rss_mib": box.get("rss", 0) / MiB}


def fill(server, bucket: str, count: int, size: int) -> None:
    client = server.client()
    block = os.urandom(size)
    for i in range(count):
        client.put_object(Bucket=bucket, Key=f"data/obj-{i:06d}.bin", Body=block[i % 256:] + block[:i % 256])


def endpoints(src, dst, delay: float):
    if not delay:
        return src.endpoint, dst.endpoint, []
    proxies = [LatencyProxy("127.0.0.1", int(s.endpoint.rsplit(":", 1)[1]), delay_s=delay) for s in (src, dst)]
    for p in proxies:
        p.start()
    return proxies[0].url, proxies[1].url, proxies


def run_rclone(src, dst, src_url, dst_url, src_bucket, dst_bucket, transfers: int, streams: int) -> dict:
    env = dict(os.environ, RCLONE_CONFIG=os.devnull)
    for name, server, url in (("SRC", src, src_url), ("DST", dst, dst_url)):
        env.update({f"RCLONE_CONFIG_{name}_TYPE": "s3", f"RCLONE_CONFIG_{name}_PROVIDER": "Other",
                    f"RCLONE_CONFIG_{name}_ENDPOINT": url, f"RCLONE_CONFIG_{name}_ACCESS_KEY_ID": server.key,
                    f"RCLONE_CONFIG_{name}_SECRET_ACCESS_KEY": server.secret,
                    f"RCLONE_CONFIG_{name}_FORCE_PATH_STYLE": "true", f"RCLONE_CONFIG_{name}_REGION": REGION})
    cmd = [rclone_binary(), "copy", f"src:{src_bucket}/data", f"dst:{dst_bucket}/data", "--transfers", str(transfers),
           "--checkers", str(max(8, transfers)), "--multi-thread-streams", str(streams), "--s3-chunk-size", "8M",
           "--s3-upload-concurrency", str(streams)]
    return {**timed(cmd, env), "settings": f"--transfers {transfers} --multi-thread-streams {streams}"}


def run_homeport(src, dst, src_url, dst_url, src_bucket, dst_bucket, workers: int, part: str, work: Path) -> dict:
    env = dict(os.environ, AWS_ACCESS_KEY_ID=src.key, AWS_SECRET_ACCESS_KEY=src.secret, AWS_DEFAULT_REGION=REGION,
               AWS_ENDPOINT_URL_S3=src_url, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               HOMEPORT_REMOTE_SOV_ENDPOINT=dst_url, HOMEPORT_REMOTE_SOV_ACCESS_KEY_ID=dst.key,
               HOMEPORT_REMOTE_SOV_SECRET_ACCESS_KEY=dst.secret, HOMEPORT_REMOTE_SOV_REGION=REGION)
    journal = work / f"journal-{dst_bucket}.sqlite"
    cmd = [str(Path(sys.executable).parent / "homeport"), "data", "copy", f"s3://{src_bucket}/data",
           f"sov:{dst_bucket}/data", "--workers", str(workers), "--part-size", part, "--journal", str(journal)]
    return {**timed(cmd, env), "settings": f"--workers {workers} --part-size {part}"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", type=int, default=2000, help="objects in the small case (64 KiB each)")
    ap.add_argument("--large", type=int, default=8, help="objects in the large case")
    ap.add_argument("--large-mib", type=int, default=256)
    ap.add_argument("--delays", type=float, nargs="+", default=[0.0, 0.1], help="added round trips, seconds")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run every setting of both tools this many times, alternating; the best run counts")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "data_copy.json")
    args = ap.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    work = Path(tempfile.mkdtemp(prefix="homeport-copy-bench-"))
    src, stop_src = start_moto()
    dst, stop_dst = start_rclone(work / "rclone")
    cases = [("small", args.small, 64 * 1024), ("large", args.large, args.large_mib * MiB)]
    results = []
    try:
        for name, count, size in cases:
            src_bucket = src.make_bucket()
            fill(src, src_bucket, count, size)
            for delay in args.delays:
                src_url, dst_url, proxies = endpoints(src, dst, delay)
                try:
                    row = {"case": name, "objects": count, "object_bytes": size, "delay_s": delay, "rclone": [], "homeport": []}
                    # each tool with two settings, alternating: rclone's defaults-ish and its tuned ones
                    settings = (((16, 4), (16, "8MiB")), ((64, 8), (64, "32MiB"))) * args.repeat
                    for i, ((transfers, streams), (workers, part)) in enumerate(settings):
                        runs = [lambda: row["rclone"].append(run_rclone(src, dst, src_url, dst_url, src_bucket,
                                                                        dst.make_bucket(), transfers, streams)),
                                lambda: row["homeport"].append(run_homeport(src, dst, src_url, dst_url, src_bucket,
                                                                            dst.make_bucket(), workers, part, work))]
                        for run in runs[::1 if i % 2 == 0 else -1]:  # who goes first alternates
                            run()
                    best = {tool: min(row[tool], key=lambda r: r["wall_s"]) for tool in ("rclone", "homeport")}
                    row["ratio_rclone_over_homeport"] = best["rclone"]["wall_s"] / best["homeport"]["wall_s"]
                    results.append(row)
                    print(f"{name} x{count} @ {delay * 1000:.0f} ms: rclone {best['rclone']['wall_s']:.1f} s "
                          f"({best['rclone']['settings']}), homeport {best['homeport']['wall_s']:.1f} s "
                          f"({best['homeport']['settings']}), ratio {row['ratio_rclone_over_homeport']:.2f}", flush=True)
                finally:
                    for p in proxies:
                        p.stop()
    finally:
        stop_src()
        stop_dst()
        shutil.rmtree(work, ignore_errors=True)  # gigabytes of copied objects per run
    report = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "machine": f"{os.cpu_count()} CPUs, {platform.machine()}, "
              f"{platform.system()} {platform.release()}", "python": platform.python_version(), "results": results}
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print("\n| case | objects x size | added RTT | rclone best (s, settings, peak RSS) | homeport best (s, settings, "
          "peak RSS) | rclone time / homeport time |\n|---|---|---|---|---|---|")
    for r in results:
        b = {t: min(r[t], key=lambda x: x["wall_s"]) for t in ("rclone", "homeport")}
        print(f"| {r['case']} | {r['objects']} x {r['object_bytes'] // 1024} KiB | {r['delay_s'] * 1000:.0f} ms | "
              f"{b['rclone']['wall_s']:.1f}, {b['rclone']['settings']}, {b['rclone']['rss_mib']:.0f} MiB | "
              f"{b['homeport']['wall_s']:.1f}, {b['homeport']['settings']}, {b['homeport']['rss_mib']:.0f} MiB | "
              f"{r['ratio_rclone_over_homeport']:.2f} |")


if __name__ == "__main__":
    main()

"""Client CPU per S3 request: homeport's store (botocore underneath) against a bare urllib3 GET, the same
server, in one run. Explains where `homeport data copy` spends its time on many small objects.

    python benchmarks/s3_request_cpu.py            # 300 requests per case against `rclone serve s3`

The bare GET is unsigned (the server answers 403): it measures only what an HTTP round trip costs a
Python client, the floor any S3 client written in Python could reach.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO)]

from tests.data.servers import REGION, start_rclone  # noqa: E402


def per_request(fn, n: int) -> tuple[float, float]:
    fn(0)
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        fn(i)
    return (time.perf_counter() - wall) / n * 1e3, (time.process_time() - cpu) / n * 1e3


def main() -> None:
    import urllib3

    from homeport.data.locations import open_store, parse_location

    n = 300
    work = Path(tempfile.mkdtemp(prefix="homeport-s3cpu-"))
    server, stop = start_rclone(work / "buckets")
    try:
        bucket, body = server.make_bucket(), os.urandom(64 * 1024)
        for i in range(n + 1):
            server.client().put_object(Bucket=bucket, Key=f"k/{i:05d}", Body=body)
        os.environ.update(HOMEPORT_REMOTE_B_ENDPOINT=server.endpoint, HOMEPORT_REMOTE_B_ACCESS_KEY_ID=server.key,
                          HOMEPORT_REMOTE_B_SECRET_ACCESS_KEY=server.secret, HOMEPORT_REMOTE_B_REGION=REGION)
        store = open_store(parse_location(f"b:{bucket}/k"))
        pool = urllib3.PoolManager()
        cases = {
            "homeport GET 64 KiB": lambda i: b"".join(store.get(f"{i:05d}")),
            "homeport HEAD": lambda i: store.head(f"{i:05d}"),
            "homeport PUT 64 KiB (+ sha256 metadata)": lambda i: store.put(f"p{i:05d}", iter([body]),
                                                                            metadata={"sha256": "0" * 64}),
            "bare urllib3 GET (unsigned: 403)": lambda i: pool.request("GET", f"{server.endpoint}/{bucket}/k/{i:05d}").data,
        }
        print(f"| request | wall ms | client CPU ms |  ({n} each, {time.strftime('%Y-%m-%d %H:%M %Z')})\n|---|---|---|")
        for label, fn in cases.items():
            wall, cpu = per_request(fn, n)
            print(f"| {label} | {wall:.3f} | {cpu:.3f} |")
    finally:
        stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Memory of `homeport data plan` and `homeport data copy --dry-run` as the object count grows.

    python benchmarks/data_listing.py --counts 10000 100000 1000000

Creates COUNT one-byte files under a temporary directory (a local store: the listing path is the same
streaming code for every store), runs each command in its own process and samples its peak RSS from
/proc. The issue's target: 1 million listed keys in <= 300 MB RSS, flat as the count grows. Writes
benchmarks/data_listing.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data_copy import timed  # noqa: E402  (the same RSS sampler as the copy benchmark)

REPO = Path(__file__).resolve().parents[1]


def populate(root: Path, count: int) -> None:
    """COUNT files, 1,000 per directory (as sharded datasets are laid out)."""
    for i in range(count):
        if i % 1000 == 0:
            folder = root / f"d{i // 1000:05d}"
            folder.mkdir(parents=True)
        fd = os.open(folder / f"o{i:07d}", os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, b"x")
        os.close(fd)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--counts", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "data_listing.json")
    args = ap.parse_args()
    homeport = str(Path(sys.executable).parent / "homeport")
    rows = []
    for count in args.counts:
        work = Path(tempfile.mkdtemp(prefix="homeport-listing-"))
        try:
            started = time.perf_counter()
            populate(work / "src", count)
            made = time.perf_counter() - started
            plan = timed([homeport, "data", "plan", str(work / "src"), str(work / "dst"), "--manifest",
                          str(work / "manifest.jsonl")], dict(os.environ))
            dry = timed([homeport, "data", "copy", str(work / "src"), str(work / "dst"), "--dry-run", "--journal",
                         str(work / "j.sqlite")], dict(os.environ))
            rows.append({"objects": count, "populate_s": made, "plan": plan, "copy_dry_run": dry})
            print(f"{count:>9,} objects: plan {plan['wall_s']:.1f} s, {plan['rss_mib']:.0f} MiB; "
                  f"copy --dry-run {dry['wall_s']:.1f} s, {dry['rss_mib']:.0f} MiB", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    args.out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M %Z"), "cpus": os.cpu_count(),
                                    "results": rows}, indent=1) + "\n")
    print("\n| objects | plan: s, peak RSS | copy --dry-run: s, peak RSS |\n|---:|---|---|")
    for r in rows:
        print(f"| {r['objects']:,} | {r['plan']['wall_s']:.1f} s, {r['plan']['rss_mib']:.0f} MiB | "
              f"{r['copy_dry_run']['wall_s']:.1f} s, {r['copy_dry_run']['rss_mib']:.0f} MiB |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Speed benchmark: `homeport assess` (all built-in rules) against semgrep (three equivalent rules).

    python benchmarks/speed/run.py --corpus /tmp/homeport-corpus

Standard library only; installs nothing. Needs a materialized corpus (materialize.py), homeport
(default: the repository's .venv) and semgrep in its own virtual environment (semgrep pins its own
dependencies), e.g.:

    python3 -m venv /tmp/semgrep-venv && /tmp/semgrep-venv/bin/pip install semgrep

In one run, each timing repeated --repeat times (median reported), runs interleaved so drift hits
every command alike:
  (a) homeport on the full corpus:  homeport assess CORPUS --format json --fail-on never >/dev/null
  (b) semgrep with semgrep-rules.yaml: semgrep scan --metrics=off --disable-version-check -j 2 ...
  (c) homeport on nested 25% and 50% file subsets (hard-linked trees), for the linearity check
  (d) peak memory: the SUM of RSS over the whole process tree (workers included), sampled from
      /proc every 50 ms (ru_maxrss would be the largest single process only)
  (e) CPU time / wall time (children included, from wait4): above 1.5 means both cores worked
One untimed run of each tool first warms the page cache and writes the reports that the
finding comparison reads. Results: a table on stdout and benchmarks/speed/results-<date>.json.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RULES = HERE / "semgrep-rules.yaml"
PY_SUFFIXES = (".py", ".pyi")
PAGE = os.sysconf("SC_PAGE_SIZE")

# Targets from the issue.
TARGET_RATIO = 1 / 3  # homeport wall <= 1/3 of semgrep wall
TARGET_PEAK_MB = 500
TARGET_CPU_PER_WALL = 1.5  # both cores used
TARGET_LINEARITY = 1.25  # max/min of seconds per 100k lines over the subset sizes

# Directories homeport never descends into; semgrep gets the same list (its default ignore list
# would also drop tests/ and build/, scanning less than homeport does).
SEMGREPIGNORE = """\
# written by benchmarks/speed/run.py: exclude what homeport's discovery excludes, nothing more
.git/
.hg/
.svn/
node_modules/
site-packages/
vendor/
vendored/
_vendor/
third_party/
third-party/
thirdparty/
__pycache__/
.mypy_cache/
.pytest_cache/
.ruff_cache/
.tox/
.nox/
.eggs/
.terraform/
.ipynb_checkpoints/
"""


# ---------------------------------------------------------------------------------------------
# measuring one command


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                kids.extend(int(k) for k in fh.read().split())
    except OSError:
        pass
    return kids


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process and all its descendants every `interval` seconds."""

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_bytes = 0
        self.peak_procs = 0
        self.samples = 0
        self._halt = threading.Event()

    def sample(self) -> None:
        tree, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(_children(pid))
        total = sum(_rss_bytes(p) for p in tree)
        self.samples += 1
        if total > self.peak_bytes:
            self.peak_bytes, self.peak_procs = total, len(tree)

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def tool_env() -> dict:
    """The tools run as installed software does: with bytecode caching (some sandboxes set
    PYTHONDONTWRITEBYTECODE, which makes every start recompile the package from source)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["SEMGREP_ENABLE_VERSION_CHECK"] = "0"
    return env


def _busy_cpu_s() -> float:
    """CPU seconds the whole machine has been busy (all processes), from /proc/stat."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def measure(cmd: list[str], *, cwd: Path | None = None, log: Path | None = None, env=None) -> dict:
    """Run cmd; wall time, CPU time of it and its (waited-for) descendants, peak summed RSS, and the
    CPU time other processes used meanwhile (a noisy neighbour makes a timing worthless)."""
    err = open(log, "wb") if log else subprocess.DEVNULL
    try:
        busy_before = _busy_cpu_s()
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err, env=env or tool_env())
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)  # RUSAGE_BOTH of the child: its workers included
        wall = time.perf_counter() - start
        busy = _busy_cpu_s() - busy_before
        sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if log:
            err.close()
    cpu = usage.ru_utime + usage.ru_stime
    return {"rc": proc.returncode, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
            "user_s": round(usage.ru_utime, 3), "sys_s": round(usage.ru_stime, 3),
            "cpu_per_wall": round(cpu / wall, 3) if wall else None,
            # the sampled sum can miss a short spike that ru_maxrss (one process) saw: take the larger
            "peak_rss_sum_mb": round(max(sampler.peak_bytes / 2**20, usage.ru_maxrss / 1024), 1),
            "sampled_peak_rss_sum_mb": round(sampler.peak_bytes / 2**20, 1), "peak_procs": sampler.peak_procs,
            "max_single_rss_mb": round(usage.ru_maxrss / 1024, 1), "rss_samples": sampler.samples,
            "other_cpu_s": round(max(0.0, busy - cpu), 2)}


QUIET_CORES = 0.15  # other processes may use this many cores during a timing, or it is run again


def wait_quiet(max_wait: float) -> float:
    """Wait (up to max_wait s) until other processes use under QUIET_CORES cores over 2 s.
    Returns the load seen last, in cores."""
    deadline, said = time.monotonic() + max_wait, False
    while True:
        before = _busy_cpu_s()
        time.sleep(2.0)
        load = (_busy_cpu_s() - before) / 2.0
        if load < QUIET_CORES or time.monotonic() > deadline:
            return load
        if not said:
            print(f"  waiting for a quiet machine: other processes use {load:.2f} cores ...", flush=True)
            said = True


def measure_quiet(cmd: list[str], *, attempts: int, max_wait: float, **kw) -> tuple[dict, list[dict]]:
    """measure(), on a quiet machine; a sample during which other processes used more than
    QUIET_CORES cores is kept as discarded and taken again (up to `attempts` times)."""
    discarded = []
    for _ in range(attempts):
        wait_quiet(max_wait)
        sample = measure(cmd, **kw)
        sample["other_cores"] = round(sample["other_cpu_s"] / sample["wall_s"], 2) if sample["wall_s"] else 0
        if sample["rc"] != 0 or sample["other_cores"] <= QUIET_CORES:
            return sample, discarded
        discarded.append(sample)
        print(f"    noisy ({sample['other_cores']} other cores): measuring again", flush=True)
    sample["noisy"] = True
    return sample, discarded[:-1]


def _tail(path: Path, n: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""


# ---------------------------------------------------------------------------------------------
# corpus, subsets


def python_lines(root: Path) -> tuple[int, int]:
    files = lines = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            if name.endswith(PY_SUFFIXES):
                path = os.path.join(dirpath, name)
                if os.path.islink(path):
                    continue
                with open(path, "rb") as fh:
                    data = fh.read()
                files += 1
                lines += data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)
    return files, lines


def _keep(rel: str, fraction: float) -> bool:
    """Deterministic and nested: a file in the 25% subset is in the 50% one."""
    h = int.from_bytes(hashlib.sha1(rel.encode("utf-8", "surrogateescape")).digest()[:8], "big")
    return h / 2**64 < fraction


def make_subset(corpus: Path, dest: Path, fraction: float) -> Path:
    """Hard-link about `fraction` of the corpus's files (by path hash) into dest, keeping the layout.
    Every .gitignore comes along so discovery sees the same ignore rules."""
    stamp = dest / ".subset-fraction"  # no analyzer reads this name
    if stamp.exists() and stamp.read_text().strip() == repr(fraction):
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for dirpath, dirnames, filenames in os.walk(corpus):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        rel_dir = os.path.relpath(dirpath, corpus)
        for name in filenames:
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if name not in (".gitignore", ".semgrepignore") and not _keep(rel, fraction):
                continue
            src, dst = os.path.join(dirpath, name), dest / rel
            if os.path.islink(src):
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)
    stamp.write_text(repr(fraction))  # written last: a half-made subset is rebuilt next time
    return dest


# ---------------------------------------------------------------------------------------------
# tools


def find_homeport(arg: str | None) -> Path:
    for candidate in ([arg] if arg else [str(REPO / ".venv" / "bin" / "homeport"), shutil.which("homeport")]):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    raise SystemExit("homeport not found: run `make setup` (it creates .venv) or pass --homeport PATH")


def find_semgrep(arg: str | None) -> Path:
    for candidate in ([arg] if arg else ["/tmp/semgrep-venv/bin/semgrep", shutil.which("semgrep")]):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    raise SystemExit("semgrep not found. It pins its own dependencies, so install it in a separate venv:\n"
                     "    python3 -m venv /tmp/semgrep-venv && /tmp/semgrep-venv/bin/pip install semgrep\n"
                     "then pass --semgrep /tmp/semgrep-venv/bin/semgrep (the default) or put it on PATH.")


def version_of(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SystemExit(f"cannot run {' '.join(cmd)}: {exc}")
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed (rc {out.returncode}): {out.stderr.strip()[-500:]}")
    return (out.stdout.strip() or out.stderr.strip()).splitlines()[-1]


def homeport_python(homeport: Path) -> str:
    """The interpreter of homeport's console script (its shebang), for the profiler."""
    first = homeport.read_text(errors="replace").splitlines()[0]
    return first[2:].strip() if first.startswith("#!") else sys.executable


def homeport_cmd(homeport: Path, path: Path, fmt: str, out: str | None, jobs: int | None) -> list[str]:
    """Timed runs write the report to standard output, which measure() sends to /dev/null. Never
    `-o /dev/null`: homeport writes OUT.tmp and renames it over OUT, which as root replaces the
    /dev/null device with a regular file (and fails as any other user)."""
    cmd = [str(homeport), "assess", str(path), "--format", fmt, "--fail-on", "never"]
    return cmd + (["-o", out] if out else []) + (["-j", str(jobs)] if jobs else [])


def semgrep_cmd(semgrep: Path, out: str | None) -> list[str]:
    cmd = [str(semgrep), "scan", "--metrics=off", "--disable-version-check", "-j", "2",
           "--config", str(RULES), "--json"]
    return cmd + (["-o", out] if out else []) + ["."]


# ---------------------------------------------------------------------------------------------
# findings: does semgrep see the same lines as homeport's matching rules?

GROUPS = {  # semgrep rule id -> (label, homeport rule-code predicate, description of the predicate)
    "torch-cuda-call": ("torch.cuda.$F(...)",
                        lambda code: code.startswith("ACC0") and code not in ("ACC001", "ACC002"),
                        "ACC0xx except ACC001/ACC002"),
    "cuda-method": ("$X.cuda(...)", lambda code: code == "ACC002", "ACC002"),
    "boto3-client": ("boto3.client/resource(...)", lambda code: code.startswith("CLD"), "CLD*"),
}


def homeport_findings(report: Path, fmt: str) -> tuple[list[tuple[str, str, int]], dict]:
    data = json.loads(report.read_text())
    if fmt == "json":
        return [(f["rule"], f["path"], f["line"]) for f in data["findings"]], data.get("summary", {})
    run = data["runs"][0]
    found = []
    for r in run["results"]:
        loc = r["locations"][0]["physicalLocation"]
        found.append((r["ruleId"], loc["artifactLocation"]["uri"], loc["region"]["startLine"]))
    return found, run.get("properties", {})


def compare(homeport_found, semgrep_report: Path, rules_loaded: list[str]) -> dict:
    """Per semgrep rule: its matches against homeport's findings of the mapped rules, on Python files.
    A semgrep match spans lines start..end and homeport reports the line of the attribute
    (`x = (\n  f(a)\n).cuda()`), so a match counts as seen when homeport flags any of its lines."""
    sg = json.loads(semgrep_report.read_text())
    sg_spans: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for r in sg["results"]:
        rule = r["check_id"].rsplit(".", 1)[-1]
        path = r["path"][2:] if r["path"].startswith("./") else r["path"]
        sg_spans[rule].append((path, r["start"]["line"], r["end"]["line"]))
    hp_py = [(code, path, line) for code, path, line in homeport_found if path.endswith(PY_SUFFIXES)]
    hp_any = {(p, l) for _, p, l in hp_py}
    out = {}
    for rule, (label, pred, desc) in GROUPS.items():
        hp_codes = defaultdict(set)
        for code, p, l in hp_py:
            if pred(code):
                hp_codes[(p, l)].add(code)
        spans = sorted(set(sg_spans.get(rule, [])))
        covered = {(p, l) for p, a, b in spans for l in range(a, b + 1)}
        seen = [sp for sp in spans if any((sp[0], l) in hp_codes for l in range(sp[1], sp[2] + 1))]
        seen_any = [sp for sp in spans if any((sp[0], l) in hp_any for l in range(sp[1], sp[2] + 1))]
        missed = [sp for sp in spans if sp not in set(seen_any)]
        extra = sorted(k for k in hp_codes if k not in covered)
        out[rule] = {
            "pattern": label, "homeport_rules": desc,
            "homeport_rules_loaded": sorted(c for c in rules_loaded if pred(c)),
            "semgrep_matches": len(spans), "homeport_lines": len(hp_codes),
            "semgrep_matches_seen_by_these_rules": len(seen),
            "semgrep_matches_seen_by_any_homeport_rule": len(seen_any),
            "homeport_lines_outside_semgrep_matches": len(extra),
            "homeport_only_by_rule": dict(Counter(c for k in extra for c in hp_codes[k]).most_common()),
            "semgrep_only_examples": [f"{p}:{a}" for p, a, _ in missed[:8]],
            "homeport_only_examples": [f"{p}:{l}" for p, l in extra[:8]],
        }
    out["semgrep_files_scanned"] = len(sg.get("paths", {}).get("scanned", []))
    out["semgrep_errors"] = len(sg.get("errors", []))
    out["homeport_findings_by_prefix"] = dict(sorted(Counter(c[:3] for c, _, _ in homeport_found).items()))
    return out


# ---------------------------------------------------------------------------------------------
# profile


PROFILE_SNIPPET = r"""
import cProfile, os, sys
from homeport.cli.main import run
sys.argv = ["homeport"] + sys.argv[1:]
prof = cProfile.Profile()
try:
    prof.runcall(run)
except SystemExit:
    pass
prof.dump_stats(os.environ["HP_PROF_OUT"])
"""


# Time per file kind and the slowest files, one process, through homeport's library API (internal:
# if it moves, this part reports an error and the rest of the benchmark stands).
KINDS_SNIPPET = r"""
import json, sys, time
from collections import defaultdict
from pathlib import Path
from homeport.assess.analyze import analyze_file
from homeport.assess.discovery import discover
from homeport.assess.engine import load_rules
from homeport.core.model import Target
codes = frozenset(load_rules())
t0 = time.perf_counter()
candidates, _ = discover(Path(sys.argv[1]))
discover_s = time.perf_counter() - t0
kinds = defaultdict(lambda: {"files": 0, "lines": 0, "bytes": 0, "seconds": 0.0})
files = []
for c in candidates:
    t = time.perf_counter()
    r = analyze_file(c, codes, Target.PORTABLE)
    d = time.perf_counter() - t
    k = kinds[c.kind]
    k["files"] += 1; k["lines"] += r.lines or 0; k["bytes"] += c.size; k["seconds"] += d
    files.append((d, c.rel, c.kind, c.size, r.lines or 0))
files.sort(reverse=True)
print(json.dumps({"discover_s": round(discover_s, 3),
                  "by_kind": {n: dict(v, seconds=round(v["seconds"], 3),
                                      us_per_line=round(1e6 * v["seconds"] / max(v["lines"], 1), 1))
                              for n, v in sorted(kinds.items(), key=lambda kv: -kv[1]["seconds"])},
                  "slowest_files": [{"seconds": round(d, 3), "path": p, "kind": k, "bytes": b, "lines": n}
                                    for d, p, k, b, n in files[:15]]}))
"""


def time_by_kind(homeport: Path, path: Path) -> dict:
    done = subprocess.run([homeport_python(homeport), "-c", KINDS_SNIPPET, str(path)], capture_output=True,
                          text=True, env=tool_env())
    try:
        return json.loads(done.stdout)
    except ValueError:
        return {"error": (done.stderr or done.stdout)[-2000:]}


def profile(homeport: Path, path: Path, work: Path, top: int) -> dict:
    prof_out = work / "homeport-j1.prof"
    env = dict(tool_env(), HP_PROF_OUT=str(prof_out))
    cmd = [homeport_python(homeport), "-c", PROFILE_SNIPPET, "assess", str(path), "--format", "json",
           "-o", str(work / "homeport-profiled.json"), "--fail-on", "never", "-j", "1"]
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if not prof_out.exists():
        return {"error": done.stderr[-2000:]}
    import io
    import pstats

    stats = pstats.Stats(str(prof_out))
    total = stats.total_tt

    def rows(key):
        stats.sort_stats(key)
        listing = []
        for func in stats.fcn_list[:top]:
            cc, nc, tt, ct, _ = stats.stats[func]
            filename, lineno, name = func
            short = filename.split("site-packages/")[-1].split("/src/")[-1]
            listing.append({"function": f"{short}:{lineno}({name})", "calls": nc, "tottime_s": round(tt, 3),
                            "cumtime_s": round(ct, 3), "tottime_pct": round(100 * tt / total, 1)})
        return listing

    text = io.StringIO()
    pstats.Stats(str(prof_out), stream=text).sort_stats("tottime").print_stats(top)
    return {"path": str(path), "wall_s_under_profiler": round(wall, 2), "profiled_s": round(total, 2),
            "prof_file": str(prof_out), "by_tottime": rows("tottime"), "by_cumtime": rows("cumulative"),
            "time_by_kind": time_by_kind(homeport, path)}


# ---------------------------------------------------------------------------------------------
# machine


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {"nproc": len(os.sched_getaffinity(0)), "cpu_model": model, "ram_gib": round(mem_kb / 2**20, 1),
            "kernel": platform.release(), "python": platform.python_version()}


def git_rev(path: Path) -> str:
    try:
        rev = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True,
                             check=True).stdout.strip()
        diff = subprocess.run(["git", "-C", str(path), "diff", "HEAD", "--", "src"],
                              capture_output=True).stdout
        # uncommitted changes to src/ are named by a hash of the diff, so a change mid-run shows
        return rev + (f"-dirty-{hashlib.sha1(diff).hexdigest()[:10]}" if diff else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# ---------------------------------------------------------------------------------------------
# main


def med(samples: list[dict], key: str):
    values = [s[key] for s in samples if s.get(key) is not None]
    return round(statistics.median(values), 3) if values else None


def summarize(samples: list[dict]) -> dict:
    return {"runs": len(samples), "wall_s": med(samples, "wall_s"),
            "wall_s_min": min(s["wall_s"] for s in samples), "wall_s_max": max(s["wall_s"] for s in samples),
            "cpu_s": med(samples, "cpu_s"), "cpu_per_wall": med(samples, "cpu_per_wall"),
            "peak_rss_sum_mb": max(s["peak_rss_sum_mb"] for s in samples),
            "max_single_rss_mb": max(s["max_single_rss_mb"] for s in samples),
            "other_cores_max": max(s["other_cores"] for s in samples), "samples": samples}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--corpus", required=True, type=Path, help="the materialized corpus (materialize.py OUT)")
    parser.add_argument("--work", type=Path, help="subsets and reports (default: CORPUS-bench next to it)")
    parser.add_argument("--homeport", help="homeport executable (default: REPO/.venv/bin/homeport)")
    parser.add_argument("--semgrep", help="semgrep executable (default: /tmp/semgrep-venv/bin/semgrep)")
    parser.add_argument("--homeport-rev", help="the homeport commit being measured, when --homeport is an "
                        "install outside this checkout (a snapshot: see README)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, help="homeport -j (default: homeport's own, one per core)")
    parser.add_argument("--homeport-format", choices=["json", "sarif"], default="json",
                        help="report format homeport writes in every run (default: json)")
    parser.add_argument("--fractions", default="0.25,0.5", help="subset sizes besides the full corpus")
    parser.add_argument("--profile", action="store_true",
                        help="also profile one worker-free run (-j 1, cProfile) on the 25%% subset")
    parser.add_argument("--profile-full", action="store_true", help="profile on the full corpus instead")
    parser.add_argument("--no-semgrep", action="store_true", help="homeport only (no ratio)")
    parser.add_argument("--attempts", type=int, default=3,
                        help="tries per timing when other processes load the machine (default: 3)")
    parser.add_argument("--max-wait", type=float, default=300,
                        help="seconds to wait for a quiet machine before each timing (default: 300)")
    parser.add_argument("--results", type=Path, help="results file (default: HERE/results-<date>.json)")
    args = parser.parse_args(argv)

    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        raise SystemExit(f"corpus not found: {corpus}\n  create it: python {HERE / 'materialize.py'} {corpus} "
                         "[--mirror-root DIR]")
    work = (args.work or corpus.parent / f"{corpus.name}-bench").resolve()
    work.mkdir(parents=True, exist_ok=True)
    homeport = find_homeport(args.homeport)
    in_repo = homeport.resolve().is_relative_to(REPO) or str(homeport).startswith(str(REPO))
    versions = {"homeport": version_of([str(homeport), "--version"]),
                "homeport_commit": args.homeport_rev or (git_rev(REPO) if in_repo else "unknown (see --homeport-rev)")}
    semgrep = None
    if not args.no_semgrep:
        semgrep = find_semgrep(args.semgrep)
        # --disable-version-check: without it `semgrep --version` waits ~95 s on a machine with no network
        versions["semgrep"] = version_of([str(semgrep), "--version", "--disable-version-check"])
    fmt = args.homeport_format
    today = _dt.date.today().isoformat()
    results_path = args.results or HERE / f"results-{today}.json"

    # Same exclusions for semgrep as for homeport; the file stays in the corpus root.
    ignore = corpus / ".semgrepignore"
    if not ignore.exists() or ignore.read_text().startswith("# written by benchmarks/speed/run.py"):
        ignore.write_text(SEMGREPIGNORE)

    fractions = sorted(float(f) for f in args.fractions.split(",") if f.strip())
    trees = {}
    for fraction in fractions:
        label = f"{round(fraction * 100)}%"
        trees[label] = make_subset(corpus, work / f"subset-{round(fraction * 100)}", fraction)
    trees["100%"] = corpus
    sizes = {}
    for label, tree in trees.items():
        files, lines = python_lines(tree)
        sizes[label] = {"path": str(tree), "python_files": files, "python_lines": lines}
        print(f"{label:>5}: {files} Python files, {lines} Python lines  ({tree})", flush=True)

    print(f"homeport {versions['homeport']} ({versions['homeport_commit'][:12]}), "
          f"semgrep {versions.get('semgrep', '-')}; {machine()['nproc']} CPUs", flush=True)

    # Warm-up: fills the page cache and writes the reports the comparison reads.
    print("warm-up runs (untimed) ...", flush=True)
    hp_report = work / f"homeport-full.{fmt}"
    warm = measure(homeport_cmd(homeport, corpus, fmt, str(hp_report), args.jobs), log=work / "homeport-warm.log")
    if warm["rc"] != 0:
        raise SystemExit(f"homeport failed on the corpus (rc {warm['rc']}):\n{_tail(work / 'homeport-warm.log')}\n"
                         + ("  (if the JSON renderer is what fails, --homeport-format sarif measures the same "
                            "scan)" if fmt == "json" else ""))
    found, summary = homeport_findings(hp_report, fmt)
    for label, tree in trees.items():
        sizes[label]["homeport_lines"] = None
        sizes[label]["homeport_files"] = None
    sizes["100%"]["homeport_lines"], sizes["100%"]["homeport_files"] = summary.get("lines"), summary.get("files")
    sg_report = work / "semgrep-full.json"
    if semgrep:
        warm_sg = measure(semgrep_cmd(semgrep, str(sg_report)), cwd=corpus, log=work / "semgrep-warm.log")
        if warm_sg["rc"] != 0:
            raise SystemExit(f"semgrep failed (rc {warm_sg['rc']}):\n{_tail(work / 'semgrep-warm.log')}")

    runs: dict[str, list[dict]] = defaultdict(list)
    discarded: dict[str, list[dict]] = defaultdict(list)
    for rep in range(1, args.repeat + 1):
        plan = [("homeport 100%", homeport_cmd(homeport, corpus, fmt, None, args.jobs), None)]
        if semgrep:
            plan.append(("semgrep 100%", semgrep_cmd(semgrep, None), corpus))
        for label in [l for l in trees if l != "100%"]:
            plan.append((f"homeport {label}", homeport_cmd(homeport, trees[label], fmt, None, args.jobs),
                         None))
        for name, cmd, cwd in plan:
            log = work / f"{name.replace(' ', '-').replace('%', '')}-{rep}.log"
            sample, dropped = measure_quiet(cmd, cwd=cwd, log=log, attempts=args.attempts,
                                            max_wait=args.max_wait)
            discarded[name].extend(dropped)
            if sample["rc"] != 0:
                raise SystemExit(f"{name} failed (rc {sample['rc']}):\n{_tail(log)}")
            runs[name].append(sample)
            print(f"  run {rep}/{args.repeat} {name:<14} {sample['wall_s']:7.2f} s wall  "
                  f"{sample['cpu_s']:7.2f} s CPU  {sample['peak_rss_sum_mb']:6.0f} MB  "
                  f"(other processes: {sample['other_cores']:.2f} cores"
                  f"{', NOISY' if sample.get('noisy') else ''})", flush=True)

    # Subset line counts from homeport itself (one untimed run each, to read the summary).
    for label, tree in trees.items():
        if label == "100%":
            continue
        report = work / f"homeport-{label.rstrip('%')}.{fmt}"
        subprocess.run(homeport_cmd(homeport, tree, fmt, str(report), args.jobs), capture_output=True,
                       env=tool_env())
        if report.exists():
            _, s = homeport_findings(report, fmt)
            sizes[label]["homeport_lines"], sizes[label]["homeport_files"] = s.get("lines"), s.get("files")

    end_rev = git_rev(REPO) if in_repo and not args.homeport_rev else versions["homeport_commit"]
    if end_rev != versions["homeport_commit"]:
        print(f"WARNING: homeport's checkout changed during the run ({versions['homeport_commit'][:12]} -> "
              f"{end_rev[:12]}): the timings mix versions; rerun", flush=True)
        versions["homeport_commit_at_end"] = end_rev
    summary_runs = {name: summarize(samples) for name, samples in runs.items()}
    hp_full = summary_runs["homeport 100%"]
    sg_full = summary_runs.get("semgrep 100%")
    ratio = round(hp_full["wall_s"] / sg_full["wall_s"], 3) if sg_full else None
    linearity = {}
    for label in trees:
        s = summary_runs[f"homeport {label}"]
        lines = sizes[label]["python_lines"]
        linearity[label] = {"python_lines": lines, "homeport_lines": sizes[label]["homeport_lines"],
                            "wall_s": s["wall_s"],
                            "s_per_100k_python_lines": round(s["wall_s"] / lines * 1e5, 3),
                            "s_per_100k_homeport_lines": (round(s["wall_s"] / sizes[label]["homeport_lines"] * 1e5, 3)
                                                          if sizes[label]["homeport_lines"] else None)}
    per = [v["s_per_100k_python_lines"] for v in linearity.values()]
    xs = [v["python_lines"] for v in linearity.values()]
    ys = [v["wall_s"] for v in linearity.values()]
    slope, intercept = _fit(xs, ys)
    peak = max(s["peak_rss_sum_mb"] for name, s in summary_runs.items() if name.startswith("homeport"))
    targets = {
        "ratio_homeport_over_semgrep": {"value": ratio, "target": f"<= {TARGET_RATIO:.3f}",
                                        "pass": ratio is not None and ratio <= TARGET_RATIO},
        "peak_rss_sum_mb": {"value": peak, "target": f"<= {TARGET_PEAK_MB}", "pass": peak <= TARGET_PEAK_MB},
        "cpu_per_wall": {"value": hp_full["cpu_per_wall"], "target": f"> {TARGET_CPU_PER_WALL}",
                         "pass": hp_full["cpu_per_wall"] > TARGET_CPU_PER_WALL},
        "linearity_max_over_min_s_per_100k": {"value": round(max(per) / min(per), 3),
                                              "target": f"<= {TARGET_LINEARITY}",
                                              "pass": max(per) / min(per) <= TARGET_LINEARITY},
        "corpus_python_lines": {"value": sizes["100%"]["python_lines"], "target": ">= 500000",
                                "pass": sizes["100%"]["python_lines"] >= 500_000},
    }
    comparison = compare(found, sg_report, sorted({c for c, _, _ in found} | _loaded_rules(hp_report, fmt))) \
        if semgrep else None

    prof = None
    if args.profile or args.profile_full:
        target = corpus if args.profile_full else trees[min(trees, key=lambda l: sizes[l]["python_lines"])]
        print(f"profiling homeport -j 1 on {target} ...", flush=True)
        prof = profile(homeport, target, work, top=25)

    result = {
        "date": today, "machine": machine(), "versions": versions,
        "commands": {"homeport": " ".join(homeport_cmd(homeport, Path("CORPUS"), fmt, None, args.jobs)) + " > /dev/null",
                     "semgrep": ("cd CORPUS && " + " ".join(semgrep_cmd(semgrep, None)) + " > /dev/null")
                     if semgrep else None},
        "corpus": {"root": str(corpus), "csv": _read_csv(), "sizes": sizes},
        "repeat": args.repeat, "runs": summary_runs, "ratio_homeport_over_semgrep": ratio,
        "discarded_noisy_samples": {k: v for k, v in discarded.items() if v},
        "noisy_samples_kept": sum(1 for v in runs.values() for x in v if x.get("noisy")),
        "linearity": {"by_size": linearity, "fit_seconds_per_100k_lines": round(slope * 1e5, 3),
                      "fit_intercept_s": round(intercept, 3)},
        "targets": targets, "findings": comparison, "profile": prof,
    }
    results_path.write_text(json.dumps(result, indent=2) + "\n")
    print_table(result)
    print(f"\nresults: {results_path}")
    return 0 if all(t["pass"] for t in targets.values()) else 1


def _loaded_rules(report: Path, fmt: str) -> set[str]:
    data = json.loads(report.read_text())
    if fmt == "json":
        return set(data.get("rules", []))
    return {r["id"] for r in data["runs"][0]["tool"]["driver"].get("rules", [])}


def _read_csv() -> list[dict]:
    import csv

    with open(HERE / "corpus.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _fit(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    return slope, my - slope * mx


def print_table(r: dict) -> None:
    m = r["machine"]
    print(f"\n{r['date']}  {m['nproc']} CPUs ({m['cpu_model']}), {m['ram_gib']} GiB RAM; "
          f"homeport {r['versions']['homeport']}, semgrep {r['versions'].get('semgrep', '-')}; "
          f"median of {r['repeat']}")
    print(f"{'command':<15}{'Python lines':>13}{'wall s':>9}{'min-max':>14}{'CPU s':>8}{'CPU/wall':>9}"
          f"{'peak MB':>9}{'s/100k':>8}")
    for name, s in r["runs"].items():
        label = name.split()[-1]
        lines = r["corpus"]["sizes"][label]["python_lines"]
        print(f"{name:<15}{lines:>13,}{s['wall_s']:>9.2f}{s['wall_s_min']:>7.2f}-{s['wall_s_max']:<6.2f}"
              f"{s['cpu_s']:>8.2f}{s['cpu_per_wall']:>9.2f}{s['peak_rss_sum_mb']:>9.0f}"
              f"{s['wall_s'] / lines * 1e5:>8.2f}")
    if r.get("noisy_samples_kept"):
        print(f"WARNING: {r['noisy_samples_kept']} timing(s) ran while other processes loaded the machine "
              f"(see other_cores in the results); rerun on a quiet machine")
    lin = r["linearity"]
    print(f"linear fit: {lin['fit_seconds_per_100k_lines']} s per 100k lines + {lin['fit_intercept_s']} s")
    print("targets:")
    for key, t in r["targets"].items():
        print(f"  {'PASS' if t['pass'] else 'FAIL'}  {key}: {t['value']} (target {t['target']})")
    if r.get("findings"):
        print("same lines? (Python files; homeport rules in brackets)")
        for rule, c in r["findings"].items():
            if isinstance(c, dict) and "pattern" in c:
                print(f"  {c['pattern']:<27} semgrep {c['semgrep_matches']:>5} matches, "
                      f"{c['semgrep_matches_seen_by_these_rules']:>5} flagged by homeport [{c['homeport_rules']}]"
                      f" ({c['semgrep_matches_seen_by_any_homeport_rule']} by any rule); homeport flags "
                      f"{c['homeport_lines_outside_semgrep_matches']} more lines")
    if r.get("profile") and "by_tottime" in r["profile"]:
        p = r["profile"]
        print(f"profile (-j 1, {p['path']}, {p['profiled_s']} s): top by own time")
        for row in p["by_tottime"][:15]:
            print(f"  {row['tottime_s']:>7.2f} s {row['tottime_pct']:>5.1f}%  {row['calls']:>9}  {row['function']}")
        kinds = p.get("time_by_kind", {})
        if "by_kind" in kinds:
            print(f"time by file kind (-j 1, no profiler; discovery {kinds['discover_s']} s):")
            for kind, k in kinds["by_kind"].items():
                print(f"  {kind:<13}{k['files']:>6} files {k['lines']:>9} lines {k['seconds']:>8.2f} s "
                      f"{k['us_per_line']:>7.1f} us/line")
            print("slowest files:")
            for f in kinds["slowest_files"][:8]:
                print(f"  {f['seconds']:>7.2f} s  {f['kind']:<8} {f['lines']:>7} lines  {f['path']}")
        elif kinds:
            print(f"time by file kind: {kinds.get('error', '')[-300:]}")


if __name__ == "__main__":
    sys.exit(main())

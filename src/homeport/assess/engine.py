"""Run an assessment: discover, analyze in parallel on every core, assemble one Assessment."""

from __future__ import annotations

import gc
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable, Iterable

from homeport.assess.analyze import analyze_file
from homeport.assess.discovery import Candidate, discover
from homeport.core.errors import UsageError
from homeport.core.model import Assessment, FileResult, Target
from homeport.core.rule import Rule

# Below this many bytes, starting worker processes costs more than it saves.
_PARALLEL_BYTES = 2 * 1024 * 1024


def load_rules() -> dict[str, type[Rule]]:
    import homeport.rules  # noqa: F401  (registers the built-in rules)

    return Rule.registry


def select_rules(select: Iterable[str] = (), ignore: Iterable[str] = ()) -> frozenset[str]:
    """Codes chosen by prefix: `ACC` selects every ACC rule, `ACC001` just one."""
    registry = load_rules()
    select, ignore = [s.strip().upper() for s in select if s.strip()], [s.strip().upper() for s in ignore if s.strip()]
    for prefix in (*select, *ignore):
        if not any(code.startswith(prefix) for code in registry):
            prefixes = sorted({code[:3] for code in registry})
            raise UsageError(f"no rule matches {prefix!r}", expected=f"a rule code or prefix: {', '.join(prefixes)}",
                             hint="run `homeport rules list` to see every code")
    return frozenset(code for code in registry
                     if (not select or any(code.startswith(p) for p in select))
                     and not any(code.startswith(p) for p in ignore))


def assess(path: str | os.PathLike, *, target: Target | str = Target.PORTABLE, select: Iterable[str] = (),
           ignore: Iterable[str] = (), jobs: int | None = None,
           progress: Callable[[int, int], None] | None = None) -> Assessment:
    """Assess the tree (or file) at `path`. The library entry point behind `homeport assess`."""
    started = time.perf_counter()
    root = Path(path)
    if not root.exists():
        raise UsageError(f"path not found: {root}", expected="a directory or file to assess",
                         hint="check the path, or run from the repository root")
    target = Target(target)
    codes = select_rules(select, ignore)
    candidates, skipped = discover(root)
    results = _analyze_all(candidates, codes, target, jobs, progress)
    from homeport.assess.inventory import build_inventory

    findings = sorted((f for r in results for f in r.findings),
                      key=lambda f: (f.location.path, f.location.line, f.location.column, f.rule))
    for result in results:
        if result.skipped:
            skipped.append(result.skipped)
        skipped.extend(result.partial)
    base = root.resolve() if root.is_dir() else root.resolve().parent
    return Assessment(
        root=str(base), target=target, rules=sorted(codes),
        files=[r for r in results if r.skipped is None], findings=findings,
        suppressed=[s for r in results for s in r.suppressed],
        skipped=sorted(skipped, key=lambda s: s.path),
        inventory=build_inventory(base, results, findings),
        seconds=time.perf_counter() - started,
    )


def _analyze_all(candidates: list[Candidate], codes, target, jobs, progress) -> list[FileResult]:
    total = len(candidates)
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or sum(c.size for c in candidates) < _PARALLEL_BYTES:
        out = []
        for done, candidate in enumerate(candidates, start=1):
            out.append(analyze_file(candidate, codes, target))
            if progress:
                progress(done, total)
        return out
    chunks = _balanced_chunks(candidates, jobs * 8)
    out: list[FileResult] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for chunk_results in pool.map(_analyze_chunk, chunks, [codes] * len(chunks), [target] * len(chunks)):
            out.extend(chunk_results)
            if progress:
                progress(len(out), total)
    return out


def _analyze_chunk(chunk: list[Candidate], codes, target) -> list[FileResult]:
    # Syntax trees hold no reference cycles: the cyclic collector only slows parsing down (~15%).
    gc.disable()
    try:
        return [analyze_file(c, codes, target) for c in chunk]
    finally:
        gc.enable()


def _balanced_chunks(candidates: list[Candidate], count: int) -> list[list[Candidate]]:
    """Spread files over `count` chunks by size, largest first, so no worker waits on one big chunk."""
    count = max(1, min(count, len(candidates)))
    chunks: list[list[Candidate]] = [[] for _ in range(count)]
    sizes = [0] * count
    for candidate in sorted(candidates, key=lambda c: -c.size):
        i = sizes.index(min(sizes))
        chunks[i].append(candidate)
        sizes[i] += candidate.size
    return [c for c in chunks if c]

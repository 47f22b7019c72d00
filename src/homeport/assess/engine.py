"""Run an assessment: discover, analyze in parallel on every core, assemble one Assessment."""

from __future__ import annotations

import gc
import itertools
import os
import time
from contextlib import contextmanager
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Callable, Iterable

from homeport.assess.analyze import analyze_file
from homeport.assess.discovery import Candidate, iter_candidates
from homeport.assess.index import build_index
from homeport.assess.inventory import build_inventory
from homeport.assess.residency import Residency
from homeport.core.errors import UsageError
from homeport.core.model import Assessment, FileResult, Target
from homeport.core.rule import Rule

# Below this many bytes, starting worker processes costs more than it saves.
_PARALLEL_BYTES = 2 * 1024 * 1024
# Work goes to the pool in chunks this large: big enough to keep pickling cheap, small enough that
# the workers finish close together.
_CHUNK_BYTES, _CHUNK_FILES = 1024 * 1024, 256


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
    codes = frozenset(code for code in registry
                      if (not select or any(code.startswith(p) for p in select))
                      and not any(code.startswith(p) for p in ignore))
    if not codes:
        raise UsageError("--select and --ignore leave no rule to run", got=f"select {select}, ignore {ignore}",
                         hint="ignore less, or select more")
    return codes


def assess(path: str | os.PathLike, *, target: Target | str = Target.PORTABLE, select: Iterable[str] = (),
           ignore: Iterable[str] = (), jobs: int | None = None,
           progress: Callable[[int, int], None] | None = None, policy=None,
           show_allowed: bool = False) -> Assessment:
    """Assess the tree (or file) at `path`. The library entry point behind `homeport assess`.
    `policy` (a Policy or a policy file): the residency rules judge every destination against it;
    `show_allowed` reports the allowed ones too, as info."""
    started = time.perf_counter()
    root = Path(path)
    if not root.exists():
        raise UsageError(f"path not found: {root}", expected="a directory or file to assess",
                         hint="check the path, or run from the repository root")
    target = Target(target)
    codes = select_rules(select, ignore)
    residency = Residency.of(policy, show_allowed) if policy is not None else None
    codes, detect = _residency_codes(codes, residency, explicit=any(s.strip() for s in select))
    skipped: list = []
    with no_cyclic_gc():  # results and facts by the hundred thousand, none of them cyclic
        results = _analyze_all(iter_candidates(root, skipped), detect, target, jobs, progress, residency)
        return _assemble(root, target, codes, results, skipped, started, residency)


def _residency_codes(codes: frozenset[str], residency, explicit: bool) -> tuple[frozenset[str], frozenset[str]]:
    """(the codes reported, the codes run). The residency rules need a policy; they judge what the cloud rules
    with a `destination` find, so those run even when not selected (their own findings are not reported)."""
    registry = load_rules()
    judges = frozenset(c for c in codes if registry[c].judges)
    if residency is None:
        if judges and explicit:
            raise UsageError("the RES rules judge destinations against a residency policy, and none was given",
                             hint="add --policy POLICY (see `homeport fence validate`), or select other rules")
        return codes - judges, codes - judges
    if not judges:
        return codes, codes
    return codes, codes | frozenset(c for c, rule in registry.items() if rule.destination)


def _assemble(root: Path, target: Target, codes, results: list[FileResult], skipped: list,
              started: float, residency=None) -> Assessment:
    findings = sorted((f for r in results for f in r.findings if f.rule in codes),
                      key=lambda f: (f.location.path, f.location.line, f.location.column, f.rule))
    for result in results:
        if result.skipped:
            skipped.append(result.skipped)
        skipped.extend(result.partial)
    base = root.resolve() if root.is_dir() else root.resolve().parent
    return Assessment(
        root=str(base), target=target, rules=sorted(codes),
        files=[r for r in results if r.skipped is None], findings=findings,
        suppressed=[s for r in results for s in r.suppressed if s.finding.rule in codes],
        skipped=sorted(skipped, key=lambda s: s.path),
        inventory=build_inventory(base, results, findings),
        seconds=time.perf_counter() - started,
        policy=residency.policy.name if residency else None,
    )


def _analyze_all(candidates: Iterable[Candidate], codes, target, jobs, progress, residency) -> list[FileResult]:
    """Analyze while the walk goes on: small trees in this process, larger ones in a pool whose
    workers are forked after the rule index is built, so they inherit it."""
    jobs = jobs or os.cpu_count() or 1
    pending: list[Candidate] = []
    size = 0
    stream = iter(candidates)
    for candidate in stream:
        pending.append(candidate)
        size += candidate.size
        if jobs > 1 and size >= _PARALLEL_BYTES:
            break
    else:  # the whole tree is small: workers would cost more than they save
        out = []
        for done, candidate in enumerate(pending, start=1):
            out.append(analyze_file(candidate, codes, target, residency))
            if progress:
                progress(done, len(pending))
        return out
    build_index(codes)
    out: list[FileResult] = []
    submitted = 0
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        chunks: list[tuple[list[Candidate], Future]] = []
        batch, batch_bytes = [], 0
        for candidate in itertools.chain(pending, stream):
            batch.append(candidate)
            batch_bytes += candidate.size
            if batch_bytes >= _CHUNK_BYTES or len(batch) >= _CHUNK_FILES:
                chunks.append((batch, pool.submit(_analyze_chunk, batch, codes, target, residency)))
                submitted += len(batch)
                batch, batch_bytes = [], 0
        if batch:
            chunks.append((batch, pool.submit(_analyze_chunk, batch, codes, target, residency)))
            submitted += len(batch)
        for chunk, future in chunks:  # in submission order: the same tree gives the same report
            try:
                out.extend(future.result())
            except BrokenProcessPool:  # a worker was killed (out of memory, a signal): redo its share here
                out.extend(_analyze_chunk(chunk, codes, target, residency))
            if progress:
                progress(len(out), submitted)
    return out


@contextmanager
def no_cyclic_gc():
    """Syntax trees, findings and facts hold no reference cycles: the cyclic collector would only walk
    millions of objects again and again (parsing is ~15% faster without it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _analyze_chunk(chunk: list[Candidate], codes, target, residency) -> list[FileResult]:
    with no_cyclic_gc():
        return [analyze_file(c, codes, target, residency) for c in chunk]

"""The commands that produce each check's evidence and carry out each phase, with the plan's own paths and
locations filled in: quoted in a failed check's reason, and listed step by step in the runbook."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from homeport.plan.spec import Check, Phase, Plan


def rel(plan: Plan, path: str | Path) -> str:
    """A path as a person in the migration file's folder types it."""
    p = plan.resolve(path)
    try:
        return os.path.relpath(p, plan.base) if p.is_absolute() else str(p)
    except ValueError:
        return str(p)


def q(text: str | Path) -> str:
    return shlex.quote(str(text))


def produce(plan: Plan, check: Check, *, source: bool = False, area: str | None = None) -> str:
    """The command that records `check`'s evidence (the source side's with `source`, one area's with `area`)."""
    profile = plan.profile("source" if source else check.profile)
    p = f"homeport plan exec --profile {q(profile.name)}"
    pipeline = q(rel(plan, plan.pipeline))
    kind = check.kind
    if kind == "no_blockers":
        e = q(rel(plan, check["evidence"]))
        return f"{p} --stamp {e} -- homeport assess {pipeline} --target {profile.target} -f json -o {e} --fail-on never"
    if kind == "tests_pass":
        return f"{p} --record {q(rel(plan, check['evidence']))} -- YOUR-TEST-COMMAND (e.g. python -m pytest)"
    if kind == "data_verified":
        return f"homeport plan verify {area or 'AREA'} --profile {q(profile.name)}"
    if kind == "residency_clean":
        return f"{p} --fence -- YOUR-TRAINING-COMMAND (e.g. python train.py, a few steps)"
    if kind in ("throughput", "loss_parity"):
        e = q(rel(plan, check["source_evidence" if source else "evidence"]))
        return f"{p} --stamp {e} -- homeport bench --seeds 3 --out {e}"  # seeds: the band loss parity reads
    if kind == "cost":
        return f"homeport cost JOB.yaml --format json -o {q(rel(plan, check['evidence']))}"
    return ""


def phase_steps(plan: Plan, phase: Phase) -> list[str]:
    """What a person runs in `phase`, in order, before its gate."""
    src, dst = plan.profile("source"), plan.profile("target")
    pipeline = q(rel(plan, plan.pipeline))
    steps: list[str] = []
    if phase.name == "assess":
        steps.append(f"homeport assess {pipeline} --target {dst.target}" + (f" --policy {q(dst.policy)}" if dst.policy else ""))
    elif phase.name == "port":
        steps += [f"homeport port {pipeline} --target {dst.target} --write   # a clean git tree; saves a revert patch",
                  "review and commit the change; fix by hand what the change log lists as left or unsupported"]
    elif phase.name == "data":
        policy = f" --policy {q(dst.policy)}" if dst.policy else ""
        for area in plan.sync["data"]:
            steps.append(f"homeport data copy {q(src.storage[area])} {q(dst.storage[area])} "
                         f"--manifest {q(rel(plan, manifest_path(plan, area)))}{policy}")
    elif phase.name == "fence":
        if dst.policy:
            steps.append(f"homeport fence validate {q(dst.policy)}")
    elif phase.name == "cutover":
        steps += ["homeport plan cutover", "start the pipeline on the target: homeport plan exec -- YOUR-TRAINING-COMMAND"]
    elif phase.name == "decommission":
        steps.append("after the waiting period: stop the source jobs, keep the source data until the contract ends")
    for check in phase.checks:
        areas = (check["areas"] or plan.sync["data"]) if check.kind == "data_verified" else [None]
        for area in areas:
            both = [produce(plan, check, source=True)] if check.kind in ("throughput", "loss_parity") else []
            for cmd in [*both, produce(plan, check, area=area)]:
                if cmd and cmd not in steps:
                    steps.append(cmd)
    steps.append(f"homeport plan gate {phase.name}")
    return steps


def manifest_path(plan: Plan, area: str) -> Path:
    """Where the data phase's copy of `area` writes its manifest (what `plan verify` checks against)."""
    return plan.state_dir / "data" / f"{area}.manifest.jsonl"

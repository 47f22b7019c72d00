"""Where the migration stands: which profile is active, and what the journal says is under way.

The active profile is what the pipeline reads: `.homeport/plan/active.env` (KEY=VALUE lines a shell can source,
without secrets) and `.homeport/plan/active.json` (which profile, since when, by which operation, and the
variables to clear). `homeport plan exec -- CMD` runs CMD with the active profile's whole environment,
credentials included. With neither file, the source profile is active.

States: `source` (nothing cut over, or rolled back), `cutting-over` (a cutover that did not finish),
`target`, `rolling-back` (a rollback that did not finish: run it again).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from homeport.core.errors import HomeportError
from homeport.plan.journal import Journal, Operation
from homeport.plan.profiles import dotenv, environment
from homeport.plan.spec import Plan, Profile

ENV_HEADER = """\
# The active homeport profile: {name} ({role}), since {since} ({op}).
# Written by `homeport plan cutover/rollback`; do not edit (the next switch rewrites it).
# Source it before the pipeline starts (`set -a; . {path}; set +a`), or run the pipeline with
# `homeport plan exec -- COMMAND`, which also sets the storage credentials (never written here).
# Variables the other profile sets and this one must not see: {unset}
"""


@dataclass
class State:
    name: str  # source | cutting-over | target | rolling-back
    active: Profile
    since: str | None
    unfinished: Operation | None
    operations: list[Operation]

    @property
    def cutover_time(self) -> datetime | None:
        done = [op for op in self.operations if op.kind == "cutover" and op.status == "done"]
        last_rollback = max((op.finished or "" for op in self.operations if op.kind == "rollback"
                             and op.status == "done"), default="")
        if not done or (done[-1].finished or "") < last_rollback:
            return None
        return datetime.fromisoformat(done[-1].finished)


def active_file(plan: Plan) -> Path:
    return plan.state_dir / "active.json"


def active(plan: Plan) -> tuple[Profile, dict]:
    try:
        doc = json.loads(active_file(plan).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return plan.profile("source"), {}
    except (OSError, ValueError) as exc:
        raise HomeportError(f"cannot read the active profile {active_file(plan)}", got=str(exc),
                            hint="run `homeport plan cutover` or `rollback` again: each rewrites it") from None
    return plan.profile(doc.get("profile", "source")), doc


def current(plan: Plan, journal: Journal) -> State:
    profile, doc = active(plan)
    ops = journal.operations()
    unfinished = next((op for op in reversed(ops) if op.open), None)
    if unfinished is not None:
        name = "cutting-over" if unfinished.kind == "cutover" else "rolling-back"
    else:
        name = profile.role
    return State(name, profile, doc.get("since"), unfinished, ops)


def switch(plan: Plan, profile: Profile, op: str) -> dict:
    """Make `profile` the active one: both files written beside and renamed, so a reader sees the old or the
    new profile, never half of one. Safe to repeat."""
    env = environment(plan, profile)
    since = datetime.now(timezone.utc).isoformat(timespec="seconds")
    env_path = plan.state_dir / "active.env"
    header = ENV_HEADER.format(name=profile.name, role=profile.role, since=since, op=op, path=env_path,
                               unset=" ".join(env.unset) or "none")
    doc = {"schema_version": 1, "kind": "homeport-plan-active", "profile": profile.name, "role": profile.role,
           "since": since, "operation": op, "env": env.public(), "unset": env.unset, "notes": env.notes}
    _atomic(env_path, header + dotenv(env.public()))
    _atomic(active_file(plan), json.dumps(doc, indent=1) + "\n")  # last: it is what says which profile is active
    return {"profile": profile.name, "env_file": str(env_path), "variables": len(env.public())}


def _atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise HomeportError(f"cannot write {path}", got=exc.strerror or str(exc),
                            hint="make .homeport/plan writable, then run the command again") from None

"""`homeport plan init`: a migration file from two profiles, with the standard phases, their gates and
thresholds, default owners and per-profile evidence paths, ready to be edited and committed."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from homeport.core.errors import UsageError
from homeport.plan.profiles import resolve_profile
from homeport.plan.spec import KIND, SCHEMA_VERSION, parse_plan

OWNERS = {"platform": "ML platform lead (name them)", "data": "data owner (name them)",
          "security": "security / data protection officer (name them)", "finance": "budget owner (name them)"}
CARRY, BACK = ("checkpoints",), ("checkpoints", "logs", "outputs")  # training state vs datasets, by area name


def new_plan(from_text: str, to_text: str, *, base: Path, pipeline: str = ".", name: str | None = None) -> tuple[dict, list[str]]:
    """The migration file's content and notes on what a person must still fill in."""
    src, notes = resolve_profile(from_text, base)
    dst, more = resolve_profile(to_text, base)
    if src["name"] == dst["name"]:
        raise UsageError("--from and --to name the same profile", got=src["name"], hint="name where it runs now and where it goes")
    common = [a for a in src["storage"] if a in dst["storage"]]
    one_side = sorted(set(src["storage"]) ^ set(dst["storage"]))
    if one_side:
        more.append(f"storage areas on one side only, not moved: {', '.join(one_side)}")
    ev = lambda profile, file: f".homeport/evidence/{profile['name']}/{file}"  # noqa: E731
    doc = {
        "version": SCHEMA_VERSION, "kind": KIND, "name": name or f"{src['name']} -> {dst['name']}",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "pipeline": pipeline,
        "owners": dict(OWNERS),
        "profiles": {"source": src, "target": dst},
        "sync": {"data": [a for a in common if a not in CARRY + BACK],
                 "carry": [a for a in common if a in CARRY], "back": [a for a in common if a in BACK]},
        "phases": [
            {"phase": "assess", "decides": "platform",
             "gate": [{"check": "no_blockers", "evidence": ev(dst, "assess.json"), "max_severity": "warning"}]},
            {"phase": "port", "decides": "platform", "gate": [{"check": "tests_pass", "evidence": ev(dst, "tests.json")}]},
            {"phase": "data", "decides": "data", "gate": [{"check": "data_verified", "evidence": ev(dst, "data-{area}.json")}]},
            {"phase": "fence", "decides": "security",
             "gate": [{"check": "residency_clean", "evidence": ev(dst, "fence-audit.jsonl"), "max_denied": 0}]},
            {"phase": "poc", "decides": "platform",
             "gate": [{"check": "throughput", "source_evidence": ev(src, "bench.json"), "evidence": ev(dst, "bench.json"),
                       "min_ratio": 0.9},
                      {"check": "loss_parity", "source_evidence": ev(src, "bench.json"), "evidence": ev(dst, "bench.json")}]},
            {"phase": "parallel_run", "decides": "finance",
             "gate": [{"check": "cost", "evidence": ".homeport/evidence/cost.json", "max_versus_source": 0.0}]},
            {"phase": "cutover", "decides": "platform", "gate": [{"check": "earlier_gates"}]},
            {"phase": "decommission", "decides": "finance", "gate": [{"check": "days_on_target", "min_days": 30}]},
        ],
        "waivers": [],
    }
    if not doc["sync"]["data"]:
        more.append("no storage area to copy in the data phase: name one (e.g. data) in both profiles")
    if not dst.get("policy"):
        more.append(f"profile {dst['name']} names no residency policy: the fence phase's gate fails until it does")
    parse_plan(doc, (base / "homeport-plan.yaml").resolve())  # what init writes must load
    return doc, notes + more
